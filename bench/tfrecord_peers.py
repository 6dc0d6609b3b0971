#!/usr/bin/env python3
"""TFRecord to .npy, whole processes side by side: two Python peers and `tensorslab convert`.

The data: N records of `img` float32[256] + `label` int64 (N = 200 000 is 206 MB of arrays,
1 000 000 is 1.03 GB), written once by Python TensorFlow into --dir and reused.

Contenders, each a separate process, each run after `sync` (so no run pays for the previous
one's dirty pages), in rotation, --runs times (the median is reported):
  seed      the seed question's answer: batch + map(parse_example), list(as_numpy_iterator()),
            np.concatenate, np.save (one output file per feature)
  careful   what a careful Python user writes: map(parse_example, num_parallel_calls=AUTOTUNE)
            after batch, prefetch(AUTOTUNE), one preallocated np.lib.format.open_memmap per feature
            filled batch by batch, flushed at the end
  native-T  ./tensorslab convert --engine native --threads T (durable: fsync before publishing)
  tf        ./tensorslab convert --engine tensorflow (TFRecordDataset + ParseExampleV2)
  nosync-T  ./tensorslab convert --engine native --threads T --no-sync: the reader and the copy
            alone, the time inside the process taken from the manifest (JVM start excluded)

Fresh pages (--pages): on a virtual machine whose balloon reports free pages to the host (this
project's VMs do), a page freed and left a few seconds is given back to the host, and the next
write to it waits for the host to supply it again: filling 1 GB of new page-cache pages with dd took
0.2-0.4 s right after a delete and 1.7-2.9 s after 4-10 s idle, the same command. With --pages warm
(the default) each run is preceded by writing and deleting 1.25 x the arrays' bytes of scratch
(after the sync, never written to the disk), so every contender starts with pages the guest just used; --pages as-found
leaves whatever the rotation left, as earlier runs of this script did.

Per run: wall seconds of the whole process, peak RSS (wait4's ru_maxrss), for tensorslab the
in-process seconds from manifest.json, and the host's steal during the run when there was any (the
steal column of /proc/stat: CPU time the hypervisor gave to other guests while this one's vCPUs
wanted to run; a run with steal was slowed by its neighbours, a CPU-bound one most). `dd` of the same byte count with conv=fdatasync, in the
same session, gives the disk's own time for comparison. Outputs are checked equal to the seed's.

    /work/venv/bin/python bench/tfrecord_peers.py --records 200000 --runs 3
    /work/venv/bin/python bench/tfrecord_peers.py --records 1000000 --runs 3 --only seed,careful,native-2,dd

Ratios at the end: each tensorslab contender's wall and peak RSS against the faster Python peer,
and its wall against dd's, in the same run. --json FILE also writes the medians, every run and the
ratios (for bench/tfrecord_chart.py).
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WIDTH = 256

MAKE = r"""
import sys, numpy as np, tensorflow as tf
path, n, width = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(7)
with tf.io.TFRecordWriter(path) as w:
    block = 10000
    for start in range(0, n, block):
        m = min(block, n - start)
        img = rng.random((m, width), dtype=np.float32)
        for i in range(m):
            ex = tf.train.Example(features=tf.train.Features(feature={
                "img": tf.train.Feature(float_list=tf.train.FloatList(value=img[i])),
                "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[start + i]))}))
            w.write(ex.SerializeToString())
"""

SEED = r"""
import sys, numpy as np, tensorflow as tf
src, out, width = sys.argv[1], sys.argv[2], int(sys.argv[3])
spec = {"img": tf.io.FixedLenFeature([width], tf.float32), "label": tf.io.FixedLenFeature([], tf.int64)}
ds = tf.data.TFRecordDataset(src).batch(1024).map(lambda s: tf.io.parse_example(s, spec))
batches = list(ds.as_numpy_iterator())
for k in ("img", "label"):
    np.save(f"{out}/{k}.npy", np.concatenate([b[k] for b in batches]))
"""

CAREFUL = r"""
import sys, numpy as np, tensorflow as tf
src, out, width, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
spec = {"img": tf.io.FixedLenFeature([width], tf.float32), "label": tf.io.FixedLenFeature([], tf.int64)}
ds = (tf.data.TFRecordDataset(src, num_parallel_reads=tf.data.AUTOTUNE).batch(1024)
      .map(lambda s: tf.io.parse_example(s, spec), num_parallel_calls=tf.data.AUTOTUNE)
      .prefetch(tf.data.AUTOTUNE))
opts = tf.data.Options(); opts.deterministic = True; ds = ds.with_options(opts)
img = np.lib.format.open_memmap(f"{out}/img.npy", mode="w+", dtype=np.float32, shape=(n, width))
label = np.lib.format.open_memmap(f"{out}/label.npy", mode="w+", dtype=np.int64, shape=(n,))
row = 0
for b in ds.as_numpy_iterator():
    m = len(b["label"]); img[row:row + m] = b["img"]; label[row:row + m] = b["label"]; row += m
assert row == n, row
img.flush(); label.flush()  # msync: the pages are on disk when the process ends, as tensorslab's fsync
del img, label
"""


def steal_ms():
    """CPU time the host gave to others while this guest's vCPUs wanted to run, all CPUs, since
    boot (the steal column of /proc/stat); None where the kernel does not count it."""
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()
        return int(fields[8]) * 1000.0 / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def run_measured(cmd, env=None, warm=None):
    """Like run, with peak RSS from wait4 (Popen.communicate would reap the child first) and the
    host's steal during the run; warm, if given, is called after the sync, just before the start (a
    sync may take long enough for the pages it freed to be reported)."""
    subprocess.run(["sync"], check=True)
    if warm:
        warm()
    steal_before = steal_ms()
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out = p.stdout.read()
    err = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    steal_after = steal_ms()
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        sys.exit(f"failed ({p.returncode}): {' '.join(cmd)}\n{err.decode()[-3000:]}")
    steal = steal_after - steal_before if steal_before is not None and steal_after is not None else None
    return wall, usage.ru_maxrss / 1024.0, out.decode(), steal


def warm_pages(directory, nbytes):
    """Writes and deletes nbytes of scratch, never synced: the page allocator then has that many
    pages the guest just used (see --pages)."""
    path = os.path.join(directory, "warm-pages.scratch")
    block = bytes(8 << 20)
    with open(path, "wb") as f:
        for _ in range(nbytes // len(block) + 1):
            f.write(block)
    os.remove(path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=200_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--dir", default="/tmp/tensorslab-peers")
    ap.add_argument("--only", default="seed,careful,tf,native-1,native-2,nosync-1,nosync-2,dd")
    ap.add_argument("--json", help="write the medians and every run here")
    ap.add_argument("--pages", choices=("warm", "as-found"), default="warm",
                    help="warm: write and delete scratch before each run, so no contender meets pages the "
                         "host took back (see the module's comment)")
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    src = f"{args.dir}/data-{args.records}.tfrecord"
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    if not os.path.exists(src):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", MAKE, src + ".part", str(args.records), str(WIDTH)], check=True, env=env)
        os.rename(src + ".part", src)
        print(f"made {src} in {time.perf_counter() - t:.1f} s", flush=True)
    array_bytes = args.records * (WIDTH * 4 + 8)
    ts = os.path.join(ROOT, "tensorslab")
    subprocess.run([ts, "--help"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # build once

    def convert(extra):
        return [ts, "convert", "--tfrecord", src, "--feature", f"img:float32:{WIDTH}", "--feature", "label:int64:",
                "--quiet", "--overwrite"] + extra

    contenders = {
        "seed": lambda out: [sys.executable, "-c", SEED, src, out, str(WIDTH)],
        "careful": lambda out: [sys.executable, "-c", CAREFUL, src, out, str(WIDTH), str(args.records)],
        "tf": lambda out: convert(["--engine", "tensorflow", "--out", out]),
        "dd": lambda out: ["dd", "if=/dev/zero", f"of={out}/zeros", "bs=8M",
                           f"count={max(1, array_bytes // (8 << 20))}", "conv=fdatasync", "status=none"],
    }
    for t in (1, 2):
        contenders[f"native-{t}"] = lambda out, t=t: convert(["--engine", "native", "--threads", str(t), "--out", out])
        contenders[f"nosync-{t}"] = lambda out, t=t: convert(["--engine", "native", "--threads", str(t), "--no-sync",
                                                              "--out", out])
    names = [n for n in args.only.split(",") if n in contenders]
    results = {n: [] for n in names}
    for r in range(args.runs):
        for n in names:
            out = f"{args.dir}/out-{n}"
            shutil.rmtree(out, ignore_errors=True)
            os.makedirs(out)
            warm = (lambda: warm_pages(args.dir, array_bytes * 5 // 4)) if args.pages == "warm" else None
            wall, rss, _, steal = run_measured(contenders[n](out), env, warm)
            inside = None
            manifest = f"{out}/manifest.json"
            if os.path.exists(manifest):
                inside = json.load(open(manifest))["elapsed_seconds"]
            results[n].append((wall, rss, inside, steal))
            print(f"run {r + 1} {n:9s} wall {wall:6.2f} s  peak RSS {rss:7.0f} MB"
                  + (f"  in-process {inside:.2f} s ({array_bytes / 1e9 / inside:.2f} GB/s)" if inside else "")
                  + (f"  host steal {steal:.0f} ms" if steal else ""),
                  flush=True)
            if n != "dd" and n != "seed" and "seed" in names:
                check_equal(f"{args.dir}/out-seed", out)
    print(f"\nmedians over {args.runs} runs, {args.records:,} records, {array_bytes / 1e6:.0f} MB of arrays, "
          f"pages {args.pages}, load average {os.getloadavg()[0]:.2f}")
    for n in names:
        w = statistics.median(x[0] for x in results[n])
        m = statistics.median(x[1] for x in results[n])
        ins = [x[2] for x in results[n] if x[2]]
        line = f"  {n:9s} wall {w:6.2f} s  peak RSS {m:7.0f} MB"
        if ins:
            i = statistics.median(ins)
            line += f"  in-process {i:.2f} s = {array_bytes / 1e9 / i:.2f} GB/s"
        stolen = [x[3] for x in results[n] if x[3]]
        if stolen:
            line += f"  (host steal in {len(stolen)} of {len(results[n])} runs, up to {max(stolen):.0f} ms)"
        print(line)
    ratios = peer_ratios(names, results)
    for line in ratios["lines"]:
        print(line)
    if args.json:
        summary = {"records": args.records, "array_bytes": array_bytes, "pages": args.pages,
                   "load_average": os.getloadavg()[0],
                   "contenders": {n: {"wall": statistics.median(x[0] for x in results[n]),
                                      "rss_mb": statistics.median(x[1] for x in results[n]),
                                      "in_process": statistics.median([x[2] for x in results[n] if x[2]] or [0]) or None,
                                      "runs": results[n]} for n in names},
                   "ratios": ratios["ratios"]}
        with open(args.json, "w") as f:
            json.dump(summary, f, indent=1)


def peer_ratios(names, results):
    """Each tensorslab contender's median wall and RSS against the faster Python peer, and its wall
    against dd's, as the targets are stated (206 MB: <= 0.12 x wall, <= 0.15 x RSS of the faster peer;
    1 GB: <= 1.1 x dd)."""
    med = {n: (statistics.median(x[0] for x in results[n]), statistics.median(x[1] for x in results[n]))
           for n in names}
    peers = [n for n in ("seed", "careful") if n in med]
    faster = min(peers, key=lambda n: med[n][0]) if peers else None
    lines, ratios = [], {}
    if faster or "dd" in med:
        lines.append("ratios" + (f" (faster Python peer: {faster})" if faster else ""))
    for n in names:
        if n in ("seed", "careful", "dd"):
            continue
        r = {}
        text = f"  {n:9s}"
        if faster:
            r["wall_vs_peer"] = med[n][0] / med[faster][0]
            r["rss_vs_peer"] = med[n][1] / med[faster][1]
            text += f" wall {r['wall_vs_peer']:.2f} x, RSS {r['rss_vs_peer']:.2f} x the peer"
        if "dd" in med:
            r["wall_vs_dd"] = med[n][0] / med["dd"][0]
            text += f"; wall {r['wall_vs_dd']:.2f} x dd"
        ratios[n] = r
        lines.append(text)
    return {"lines": lines, "ratios": ratios}


CHECK = r"""
import sys, numpy as np
a, b = sys.argv[1], sys.argv[2]
for k in ("img", "label"):
    x, y = np.load(f"{a}/{k}.npy", mmap_mode="r"), np.load(f"{b}/{k}.npy", mmap_mode="r")
    if x.shape != y.shape or x.dtype != y.dtype or not np.array_equal(x, y):
        sys.exit(f"{b}/{k}.npy differs from the seed's")
"""


def check_equal(a, b):
    # In a child: this process stays small, so the children it forks start small (a forked
    # child's peak RSS counts the parent's resident pages until it execs).
    subprocess.run([sys.executable, "-c", CHECK, a, b], check=True)


if __name__ == "__main__":
    main()

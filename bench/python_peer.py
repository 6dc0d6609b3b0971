#!/usr/bin/env python3
"""The Python peer: the seed question's own answer beside TensorSlab, on the same data.

Python side (the seed, verbatim in spirit):
    batches = list(ds.as_numpy_iterator()); x = np.concatenate(batches); np.save(path, x)
Java side: `./tensorslab convert` on the same TFRecord file (--mode tfrecord), or, where the command
is not built, io.tensorslab.bench.PeerExport exporting the same synthetic dataset
(--mode synthetic: from_tensor_slices(x).batch(b) on both sides, the same values).

Each side runs in its own process; the script reports the conversion time measured inside each
process (TensorFlow's import/start-up excluded), the whole process's wall time, the ratio of both,
and each process's peak RSS (from wait4's rusage). Output files are checked equal with NumPy.

Needs a python with TensorFlow: the script's first argument --python, else $TENSORSLAB_TF_PYTHON,
else the python3 running it. Without TensorFlow it prints why it skipped and exits 0.
Not part of CI.

    python3 -m venv /work/venv-tf && /work/venv-tf/bin/pip install tensorflow-cpu   # once
    ./build -Pbenchmarks -pl bench -am package -DskipTests                            # synthetic mode
    TENSORSLAB_TF_PYTHON=/work/venv-tf/bin/python python3 bench/python_peer.py --mode synthetic
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
JDK_FLAGS = ["--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"]

# Run by the TF python in a child process, so that its peak RSS is its own.
PY_SEED = r"""
import json, sys, time
t0 = time.perf_counter()
import numpy as np
import tensorflow as tf
mode, src, rows, width, batch, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
t1 = time.perf_counter()
if mode == "synthetic":
    x = ((np.arange(rows * width, dtype=np.int64) % 8191) / np.float32(8191)).astype(np.float32).reshape(rows, width)
    ds = tf.data.Dataset.from_tensor_slices(x).batch(batch)
    del x
else:
    spec = {"x": tf.io.FixedLenFeature([width], tf.float32)}
    ds = tf.data.TFRecordDataset(src).batch(batch).map(lambda s: tf.io.parse_example(s, spec)["x"])
t2 = time.perf_counter()
# The seed's answer: collect, concatenate, save.
batched_data = list(ds.as_numpy_iterator())
x = np.concatenate(batched_data, axis=0)
np.save(out, x)
t3 = time.perf_counter()
print(json.dumps({"rows": int(x.shape[0]), "import_s": t1 - t0, "build_s": t2 - t1, "convert_s": t3 - t2}))
"""

MAKE_TFRECORD = r"""
import sys
import numpy as np
import tensorflow as tf
path, rows, width = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
x = ((np.arange(rows * width, dtype=np.int64) % 8191) / np.float32(8191)).astype(np.float32).reshape(rows, width)
with tf.io.TFRecordWriter(path) as w:
    for r in x:
        w.write(tf.train.Example(features=tf.train.Features(feature={
            "x": tf.train.Feature(float_list=tf.train.FloatList(value=r))})).SerializeToString())
"""

CHECK = r"""
import sys
import numpy as np
a = np.load(sys.argv[1], mmap_mode="r"); b = np.load(sys.argv[2], mmap_mode="r")
assert a.shape == b.shape and a.dtype == b.dtype, (a.shape, a.dtype, b.shape, b.dtype)
assert np.array_equal(a, b)
print("outputs equal:", a.shape, a.dtype)
"""


def run(cmd, env=None):
    """Runs cmd; returns (stdout, wall seconds, peak RSS in MiB) of that one child."""
    start = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    # wait4 gives this child's own rusage (getrusage(RUSAGE_CHILDREN) would be a max over all children).
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - start
    out, err = p.stdout.read().decode(), p.stderr.read().decode()
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        sys.exit("failed (%d): %s\n%s%s" % (p.returncode, " ".join(cmd), out, err))
    return out, wall, usage.ru_maxrss / 1024.0


def last_json(text):
    return json.loads([l for l in text.splitlines() if l.startswith("{")][-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--python", default=os.environ.get("TENSORSLAB_TF_PYTHON", sys.executable),
                    help="python with tensorflow (default $TENSORSLAB_TF_PYTHON, else this python)")
    ap.add_argument("--java", default=os.path.join(os.environ.get("JAVA_HOME", "/usr/lib/jvm/temurin-25-jdk-amd64"), "bin", "java"))
    ap.add_argument("--mode", choices=["auto", "synthetic", "tfrecord"], default="auto",
                    help="tfrecord: ./tensorslab convert on a TFRecord file; synthetic: PeerExport on from_tensor_slices "
                         "(auto: tfrecord when ./tensorslab has convert)")
    ap.add_argument("--rows", type=int, default=2_000_000, help="default 2 000 000 (x 32 floats = 256 MB)")
    ap.add_argument("--width", type=int, default=32)
    ap.add_argument("--batch", type=int, default=1024)
    ap.add_argument("--tensorslab", default=os.path.join(ROOT, "tensorslab"),
                    help="the tensorslab command for --mode tfrecord (default: ./tensorslab of this checkout)")
    ap.add_argument("--durable", action="store_true", help="Java side fsyncs (np.save does not)")
    ap.add_argument("--workdir", default=None, help="default: a temporary directory under /tmp, removed after")
    args = ap.parse_args()

    probe = subprocess.run([args.python, "-c", "import tensorflow"], capture_output=True)
    if probe.returncode != 0:
        print("python_peer: SKIPPED: %s cannot import tensorflow (give --python or $TENSORSLAB_TF_PYTHON; "
              "install: python3 -m venv /work/venv-tf && /work/venv-tf/bin/pip install tensorflow-cpu)" % args.python)
        return 0

    cli = args.tensorslab
    has_convert = os.path.exists(cli) and subprocess.run([cli, "convert", "--help"], capture_output=True).returncode == 0
    mode = args.mode if args.mode != "auto" else ("tfrecord" if has_convert else "synthetic")
    if mode == "tfrecord" and not has_convert:
        sys.exit("python_peer: --mode tfrecord needs ./tensorslab with the convert command")
    jar = os.path.join(ROOT, "bench", "target", "benchmarks.jar")
    if mode == "synthetic" and not os.path.exists(jar):
        sys.exit("python_peer: build it first: ./build -Pbenchmarks -pl bench -am package -DskipTests")

    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    work = args.workdir or tempfile.mkdtemp(prefix="tensorslab-peer-", dir="/tmp")
    os.makedirs(work, exist_ok=True)
    try:
        src = os.path.join(work, "data.tfrecord")
        if mode == "tfrecord":
            print("python_peer: writing %s (%d records of float32[%d]) ..." % (src, args.rows, args.width))
            run([args.python, "-c", MAKE_TFRECORD, src, str(args.rows), str(args.width)], env)
        py_out = os.path.join(work, "seed.npy")
        out, py_wall, py_rss = run([args.python, "-c", PY_SEED, mode, src, str(args.rows), str(args.width),
                                    str(args.batch), py_out], env)
        py = last_json(out)
        jdir = os.path.join(work, "tensorslab")
        if mode == "tfrecord":
            cmd = [cli, "convert", "--tfrecord", src, "--feature", "x:float32:%d" % args.width,
                   "--batch", str(args.batch), "--out", jdir, "--overwrite", "--quiet"]
            t = time.perf_counter()
            out, j_wall, j_rss = run(cmd, env)
            j = {"convert_s": None}
            what = "./tensorslab convert (TFRecord)"
        else:
            cmd = [args.java] + JDK_FLAGS + ["-cp", jar, "io.tensorslab.bench.PeerExport", str(args.rows),
                                             str(args.width), str(args.batch), jdir] + (["durable"] if args.durable else [])
            out, j_wall, j_rss = run(cmd, env)
            j = last_json(out)
            what = "PeerExport (same from_tensor_slices data, TF Java)"
        check, _, _ = run([args.python, "-c", CHECK, py_out, os.path.join(jdir, "x.npy")], env)

        mb = args.rows * args.width * 4 / 2**20
        print("data: %d x %d float32 = %.0f MiB, batch %d, mode %s" % (args.rows, args.width, mb, args.batch, mode))
        print(check.strip())
        print("%-50s %10s %10s %12s" % ("side", "convert s", "process s", "peak RSS MiB"))
        print("%-50s %10.2f %10.2f %12.0f" % ("python seed (list + np.concatenate + np.save)", py["convert_s"], py_wall, py_rss))
        print("%-50s %10s %10.2f %12.0f" % (what[:50], "%.2f" % j["convert_s"] if j["convert_s"] else "-", j_wall, j_rss))
        if j["convert_s"]:
            print("ratio python/java, conversion: %.2fx" % (py["convert_s"] / j["convert_s"]))
        print("ratio python/java, whole process: %.2fx; peak RSS python/java: %.2fx" % (py_wall / j_wall, py_rss / j_rss))
        print(json.dumps({"mode": mode, "rows": args.rows, "width": args.width, "batch": args.batch,
                          "python": dict(py, process_s=py_wall, peak_rss_mb=py_rss),
                          "java": dict(j, process_s=j_wall, peak_rss_mb=j_rss, command=" ".join(cmd))}))
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

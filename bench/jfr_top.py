#!/usr/bin/env python3
"""Where the benchmark thread's time goes, from a JMH `-prof jfr` recording.

    python3 bench/jfr_top.py DIR/.../profile.jfr [N] [THREADS]

Counts the JFR samples of the JMH worker thread (or of the threads whose names contain one of the
comma-separated THREADS, e.g. `jmh-worker,tensorslab-range-writer`) outside @Setup/@TearDown (jdk.ExecutionSample: running Java code, including
page faults taken inside it; jdk.NativeMethodSample: inside a native call such as TensorFlow's
TFE_Execute) by top frame and by the first io.tensorslab frame below it, and prints the N largest
groups with their share. Needs the JDK's `jfr` tool ($JAVA_HOME/bin/jfr or on PATH).
"""
import collections
import json
import os
import shutil
import subprocess
import sys


def main():
    path = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 12
    wanted = (sys.argv[3] if len(sys.argv) > 3 else "jmh-worker").split(",")
    jfr = os.path.join(os.environ.get("JAVA_HOME", ""), "bin", "jfr")
    if not os.path.exists(jfr):
        jfr = shutil.which("jfr") or "/usr/lib/jvm/temurin-25-jdk-amd64/bin/jfr"
    out = subprocess.run([jfr, "print", "--json", "--stack-depth", "64", "--events", "jdk.ExecutionSample,jdk.NativeMethodSample", path],
                         capture_output=True, check=True, text=True).stdout
    counts = collections.Counter()
    for e in json.loads(out)["recording"]["events"]:
        v = e["values"]
        thread = (v.get("sampledThread") or {}).get("javaName") or ""
        if not any(w in thread for w in wanted):
            continue
        frames = (v.get("stackTrace") or {}).get("frames") or []
        # Trial set-up and tear-down (building the data, closing the eager session) are not measured.
        if any(f["method"]["name"] in ("setUp", "tearDown") and "bench" in f["method"]["type"]["name"] for f in frames):
            continue
        name = lambda f: f["method"]["type"]["name"].split("/")[-1] + "." + f["method"]["name"]
        top = name(frames[0]) if frames else "?"
        ours = next((name(f) for f in frames if "tensorslab" in f["method"]["type"]["name"]), "-")
        kind = "java" if e["type"].endswith("ExecutionSample") else "native"
        counts[(kind, top, ours)] += 1
    total = sum(counts.values()) or 1
    print("%6s %6s  %-7s %-60s %s" % ("samples", "share", "state", "top frame", "first io.tensorslab frame"))
    for (kind, top, ours), c in counts.most_common(n):
        print("%6d %5.1f%%  %-7s %-60s %s" % (c, 100.0 * c / total, kind, top[:60], ours))


if __name__ == "__main__":
    sys.exit(main())

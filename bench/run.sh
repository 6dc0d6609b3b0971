#!/usr/bin/env bash
# Runs a benchmark set and leaves JMH JSON, logs, machine facts, tables and chart in one directory.
#
#   bench/run.sh quick  [DIR]   under 5 minutes on 2 cores: one shape per question (a smoke test of the targets)
#   bench/run.sh report [DIR]   the set behind docs/benchmarks.md (~30 minutes on 2 cores)
#   bench/run.sh full   [DIR]   every @Param combination of every class, plus the report extras (many hours)
#
# Needs bench/target/benchmarks.jar:  ./build -Pbenchmarks -pl bench -am package -DskipTests
# Python peer: set TENSORSLAB_TF_PYTHON to a python with tensorflow (skipped otherwise).
# DIR defaults to bench/results/<set>-<UTC time> (ignored by git).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
set_name=${1:-quick}
out=${2:-$root/bench/results/$set_name-$(date -u +%Y%m%dT%H%M%SZ)}
. "$root/.ci/jdk.sh"
tensorslab_find_jdk
java="$TENSORSLAB_JAVA_HOME/bin/java"
jar="$root/bench/target/benchmarks.jar"
[ -f "$jar" ] || { echo "run.sh: no $jar; build it: ./build -Pbenchmarks -pl bench -am package -DskipTests" >&2; exit 1; }
export TF_CPP_MIN_LOG_LEVEL=3
flags=(--enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow)
mkdir -p "$out"

facts() {
  {
    echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "host: $(uname -srm)"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores"
    echo "memory: $(free -g | awk '/Mem:/ {print $2 " GiB"}')"
    echo "jdk: $("$java" -version 2>&1 | head -2 | tail -1)"
    echo "tmp fs: $(df -T /tmp | awk 'NR==2 {print $2 " on " $1}')"
    echo "commit: $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet || echo ' (dirty)')"
  } > "$out/machine.txt"
}

# jmh NAME ARGS...: one JMH run, JSON in $out/NAME.json, log in $out/NAME.log, load before and after.
jmh() {
  local name=$1; shift
  echo "== $name: java -jar benchmarks.jar $*" | tee -a "$out/commands.txt"
  echo "   load before: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/commands.txt"
  "$java" "${flags[@]}" -jar "$jar" "$@" -rf json -rff "$out/$name.json" > "$out/$name.log" 2>&1
  echo "   load after:  $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/commands.txt"
}

facts
case "$set_name" in
  quick)
    jmh prefetch ExportPrefetch -p sizeMb=256 -p batch=1024 -p width=32 -p prefetch=0,2 -wi 1 -i 3
    jmh iterate ExportVsIterate -p sizeMb=256 -p batch=1024 -p width=32 -wi 1 -i 3
    jmh seed ExportVsSeedApproach -p sizeMb=16,256 -p batch=1024 -p width=32 -wi 1 -i 3 -prof gc
    jmh slab SlabWriteVsMemcpy -p sizeMb=256 -p batch=1024 -p width=32,784 -wi 2 -i 5
    ;;
  report|full)
    if [ "$set_name" = full ]; then
      jmh all 'ExportVsIterate|ExportVsSeedApproach|ExportPrefetch|SlabWriteVsMemcpy' -prof gc
    else
      jmh prefetch ExportPrefetch -p sizeMb=256 -p batch=1024,4096 -p width=32,784 -p prefetch=0,1,2
      jmh iterate ExportVsIterate -p sizeMb=16,256,1024 -p batch=1024 -p width=32,784
      jmh iterate-batch ExportVsIterate -p sizeMb=256 -p batch=32,4096 -p width=32,784 -wi 1 -i 3
      jmh seed ExportVsSeedApproach -p sizeMb=16,256,1024 -p batch=1024 -p width=32,784 -prof gc
      jmh slab SlabWriteVsMemcpy -p sizeMb=16,256,1024 -p batch=1024 -p width=32,784
      jmh slab-batch SlabWriteVsMemcpy -p sizeMb=256 -p batch=32,4096 -p width=32,784
    fi
    # Where the time goes: JFR over the 256 MB export and its baseline (also for any missed target).
    jmh jfr ExportVsIterate -p sizeMb=256 -p batch=1024 -p width=32,784 -wi 1 -i 3 -prof "jfr:dir=$out/jfr"
    echo "== heap ceiling" | tee -a "$out/commands.txt"
    "$java" "${flags[@]}" -cp "$jar" io.tensorslab.bench.HeapCeiling 32 1024 16 256 1024 | tee "$out/heap.txt"
    "$java" "${flags[@]}" -cp "$jar" io.tensorslab.bench.HeapCeiling 784 1024 16 256 1024 | tee -a "$out/heap.txt"
    ;;
  *) echo "usage: bench/run.sh quick|report|full [DIR]" >&2; exit 2 ;;
esac
if [ -n "${TENSORSLAB_TF_PYTHON:-}" ] || python3 -c 'import tensorflow' 2>/dev/null; then
  [ "$set_name" = quick ] && peer_rows=500000 || peer_rows=2000000
  echo "== python peer ($peer_rows rows)" | tee -a "$out/commands.txt"
  JAVA_HOME=$TENSORSLAB_JAVA_HOME python3 "$root/bench/python_peer.py" --rows $peer_rows | tee "$out/peer.txt"
else
  echo "== python peer: skipped (no python with tensorflow; set TENSORSLAB_TF_PYTHON)" | tee "$out/peer.txt"
fi
heap_arg=(); [ -f "$out/heap.txt" ] && heap_arg=(--heap "$out/heap.txt")
python3 "$root/bench/plot.py" "$out"/*.json "${heap_arg[@]}" --md "$out/tables.md" --svg "$out/benchmarks.svg"
echo "results in $out (tables.md, benchmarks.svg, *.json, machine.txt, commands.txt)"

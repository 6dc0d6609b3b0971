#!/usr/bin/env bash
# Wall time of N shard processes at once (xargs -P N) and of the Spark local job over the input that
# make_input.py wrote into INPUTDIR (default /tmp/scale-bench); each store is written to OUTDIR.
# usage: bench/scale-out/run.sh OUTDIR REPS [INPUTDIR]
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
T=$root/tensorslab
S=$root/spark/submit
IN=$(ls "${3:-/tmp/scale-bench}"/part-*.tfrecord | paste -sd, -)
# --chunk-rows: with default chunks, label (8 bytes a row) gets chunks of 8 388 608 rows, more than the
# input holds, so the plan has one unit and one worker would write everything.
ARGS="--tfrecord $IN --feature x:float32:1024 --feature label:int64: --format zarr --chunk-rows 16384 --quiet"
out=$1/bench-store
errlog=$1/bench-errors.log
reps=$2
wall() { local s; s=$(date +%s.%N); "$@" >/dev/null 2>>"$errlog" </dev/null; local rc=$?; echo "$(echo "$(date +%s.%N) - $s" | bc) rc=$rc"; }
for rep in $(seq 1 "$reps"); do
  for n in 1 2 4; do
    rm -rf "$out"; sync
    echo "rep=$rep processes=$n wall=$(wall bash -c "seq 0 $((n-1)) | xargs -P $n -I{} $T convert $ARGS --out $out --shard {}/$n") status=$($T status "$out" >/dev/null; echo $?)"
  done
  for n in 2 4; do
    rm -rf "$out"; sync
    echo "rep=$rep spark_local2_shards=$n wall=$(wall $S --master 'local[2]' convert $ARGS --out $out --shards $n) status=$($T status "$out" >/dev/null; echo $?)"
  done
done
rm -rf "$out"

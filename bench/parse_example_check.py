#!/usr/bin/env python3
"""Checks `tensorslab convert` value for value against Python TensorFlow's own answer.

Writes a few TFRecord files of tf.train.Examples with Python TF (fixed float32, int64 and bytes
features, variable-length int64/float32/bytes features, records missing a variable feature),
converts them with ./tensorslab, then compares every .npy with what Python gives for the same
files: tf.io.parse_example over the batches followed by np.concatenate, and for '*' features
tf.RaggedTensor's flat_values / row_splits (--varlen ragged) or to_tensor() / row_lengths()
(--varlen pad).

Needs a python with tensorflow (e.g. python3 -m venv V && V/bin/pip install tensorflow-cpu):
    V/bin/python bench/parse_example_check.py [--tensorslab ./tensorslab] [--rows 5000]
Says plainly that it skipped when tensorflow cannot be imported. Not part of CI.
"""
import argparse
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import tensorflow as tf
except ImportError as e:
    print(f"parse_example_check: skipped, {e.name} cannot be imported in {sys.executable}")
    sys.exit(0)


def examples(rows, seed):
    rng = np.random.default_rng(seed)
    for r in range(rows):
        f = {
            "x": tf.train.Feature(float_list=tf.train.FloatList(value=rng.standard_normal(4).astype(np.float32))),
            "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[int(rng.integers(-2**62, 2**62))])),
            "id": tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"row-%d" % r + b"\xff" * (r % 3)])),
            "w": tf.train.Feature(float_list=tf.train.FloatList(value=rng.standard_normal(r % 4).astype(np.float32))),
            "words": tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"w%d" % j for j in range(r % 3)])),
        }
        if r % 5 != 2:
            f["tokens"] = tf.train.Feature(int64_list=tf.train.Int64List(value=list(range(r % 6))))
        yield tf.train.Example(features=tf.train.Features(feature=f)).SerializeToString()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tensorslab", default=os.path.join(os.path.dirname(__file__), "..", "tensorslab"))
    ap.add_argument("--rows", type=int, default=5000)
    ap.add_argument("--batch", type=int, default=256)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="parse-example-check-")
    files = []
    for i, n in enumerate((args.rows // 2, args.rows - args.rows // 2)):
        path = os.path.join(tmp, f"part{i}.tfrecord")
        with tf.io.TFRecordWriter(path) as w:
            for e in examples(n, seed=i):
                w.write(e)
        files.append(path)

    spec = {
        "x": tf.io.FixedLenFeature([4], tf.float32),
        "label": tf.io.FixedLenFeature([], tf.int64),
        "id": tf.io.FixedLenFeature([], tf.string),
        # int64 row splits, as the contract says (RaggedFeature defaults to int32)
        "tokens": tf.io.RaggedFeature(tf.int64, row_splits_dtype=tf.int64),
        "w": tf.io.RaggedFeature(tf.float32, row_splits_dtype=tf.int64),
        "words": tf.io.RaggedFeature(tf.string, row_splits_dtype=tf.int64),
    }
    ds = tf.data.TFRecordDataset(files).batch(args.batch).map(lambda s: tf.io.parse_example(s, spec))
    batches = list(ds.as_numpy_iterator())
    expected = {k: np.concatenate([b[k] for b in batches]) for k in ("x", "label", "id")}
    ragged = tf.data.TFRecordDataset(files).batch(args.rows).map(lambda s: tf.io.parse_example(s, spec))
    whole = next(iter(ragged))
    padded = {}
    for k in ("tokens", "w", "words"):
        expected[k + ".values"] = whole[k].flat_values.numpy()
        expected[k + ".row_splits"] = whole[k].row_splits.numpy()
        padded[k] = whole[k].to_tensor(default_value=b"" if k == "words" else 0).numpy()
        padded[k + ".lengths"] = whole[k].row_lengths().numpy()

    bad = 0
    for varlen, want_arrays in (("ragged", expected), ("pad", padded)):
        out = os.path.join(tmp, "out-" + varlen)
        cmd = [args.tensorslab, "convert", "--tfrecord", ",".join(files), "--feature", "x:float32:4",
               "--feature", "label:int64:", "--feature", "id:bytes:", "--feature", "tokens:int64:*",
               "--feature", "w:float32:*", "--feature", "words:bytes:*", "--batch", str(args.batch),
               "--varlen", varlen, "--out", out, "--quiet"]
        subprocess.run(cmd, check=True)
        for name, want in want_arrays.items():
            got = np.load(os.path.join(out, name + ".npy"), mmap_mode="r")
            if want.dtype.kind == "O":  # TF gives bytes as objects; NumPy's own array of them is |S{maxlen}
                want = np.array(want.tolist()) if want.size else np.zeros(want.shape, dtype="S1")
            if name.endswith(".lengths"):
                want = want.astype(np.int64)  # row_lengths follow the splits' dtype; the contract says int64
            same = got.shape == want.shape and got.dtype == want.dtype and np.array_equal(got, want)
            print(f"--varlen {varlen:6s} {name:18s} {str(got.dtype):7s} {str(got.shape):14s} "
                  f"{'equal' if same else 'DIFFERENT: want %s %s' % (want.dtype, want.shape)}")
            bad += not same
    print("parse_example_check:", "all equal" if not bad else f"{bad} arrays differ", f"({args.rows} rows, {tmp})")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()

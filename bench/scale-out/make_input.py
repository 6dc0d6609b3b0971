# The scale-out benchmark's input (docs/benchmarks.md, "Scale-out"): 8 TFRecord files, 989 MiB,
# 250 000 Examples of x float32[1024] + label int64, written into the current directory.
#   cd /tmp/scale-bench && /work/venv/bin/python make_input.py      (needs Python TensorFlow)
import numpy as np, tensorflow as tf
rows, files, width = 250_000, 8, 1024
rng = np.random.default_rng(1)
block = rng.standard_normal((1000, width)).astype(np.float32)
per = rows // files
for f in range(files):
    with tf.io.TFRecordWriter(f"part-{f}.tfrecord") as w:
        for r in range(f * per, (f + 1) * per):
            ex = tf.train.Example(features=tf.train.Features(feature={
                "x": tf.train.Feature(float_list=tf.train.FloatList(value=block[r % 1000])),
                "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[r])),
            }))
            w.write(ex.SerializeToString())

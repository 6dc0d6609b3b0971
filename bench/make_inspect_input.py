"""Writes about 1 GB of TFRecords for timing `tensorslab inspect` (docs/cli.md quotes the result).

    python bench/make_inspect_input.py OUT_DIR

images/: 4 shards of object-detection-style records (a 480x640 JPEG of ~100 KB, boxes, labels);
small/:  4 shards of records with many small values (float32[240] + int64 label), ~1 KB each.
"""
import os
import sys

import numpy as np
import tensorflow as tf

out = sys.argv[1]
rng = np.random.default_rng(0)


def feature(kind, values):
    if kind == 'b':
        return tf.train.Feature(bytes_list=tf.train.BytesList(value=values))
    if kind == 'f':
        return tf.train.Feature(float_list=tf.train.FloatList(value=values))
    return tf.train.Feature(int64_list=tf.train.Int64List(value=values))


def shards(name, count, make):
    os.makedirs(os.path.join(out, name), exist_ok=True)
    for s in range(4):
        with tf.io.TFRecordWriter(os.path.join(out, name, '%s-%05d-of-00004' % (name, s))) as w:
            for n in range(count // 4):
                w.write(make(n))


noise = rng.integers(0, 256, size=(480, 640, 3), dtype=np.uint8)
jpeg = tf.io.encode_jpeg(noise, quality=50).numpy()


def image_record(n):
    k = 1 + n % 4
    return tf.train.Example(features=tf.train.Features(feature={
        'image/encoded': feature('b', [jpeg]), 'image/format': feature('b', [b'jpeg']),
        'image/object/bbox/xmin': feature('f', rng.random(k)), 'image/object/class/label': feature('i', list(range(k))),
    })).SerializeToString()


values = rng.random(240).astype(np.float32).tolist()


def small_record(n):
    return tf.train.Example(features=tf.train.Features(feature={
        'x': feature('f', values), 'label': feature('i', [n % 10]),
    })).SerializeToString()


shards('images', (1 << 30) // len(jpeg), image_record)
shards('small', (1 << 30) // 1000, small_record)

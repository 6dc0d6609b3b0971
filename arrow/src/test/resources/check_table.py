"""Reads a table file TensorSlab wrote with pyarrow and compares every column with the arrays TensorFlow
parsed (an expected/ directory: NAME.npy for a fixed feature, NAME.values.npy + NAME.row_splits.npy for a *
feature, NAME.bytes.npy + NAME.byte_offsets.npy for exact bytes, '/' written as %2F). Expected names passed
as arguments after the directory limit the check to them (a fixture whose other arrays are not parses).

    python check_table.py arrow|parquet TABLE EXPECTED_DIR [NAME ...]

Prints one JSON line: the columns checked with their Arrow types, the rows, the table's column names, and
for Parquet the row groups and the first column chunk's compression.
Exits 1 naming the first column that differs.
"""
import json
import os
import sys

import numpy as np
import pyarrow as pa
import pyarrow.ipc
import pyarrow.parquet as pq

SUFFIXES = ('.row_splits', '.values', '.byte_offsets', '.bytes')


def read(kind, path):
    if kind == 'arrow':
        with pa.memory_map(path) as source:
            return pa.ipc.open_file(source).read_all()
    return pq.read_table(path)


def expected_names(directory):
    names = set()
    for f in os.listdir(directory):
        if f.endswith('.npy'):
            n = f[:-4]
            for s in SUFFIXES:
                if n.endswith(s):
                    n = n[:-len(s)]
                    break
            names.add(n.replace('%2F', '/'))
    return sorted(names)


def load(directory, name, suffix=''):
    path = os.path.join(directory, name.replace('/', '%2F') + suffix + '.npy')
    return np.load(path, allow_pickle=False) if os.path.exists(path) else None


def fail(name, why):
    print('column %r: %s' % (name, why), file=sys.stderr)
    sys.exit(1)


def same_numbers(name, actual, expected):
    actual = np.asarray(actual)
    if actual.dtype != expected.dtype or actual.shape != expected.shape:
        fail(name, 'dtype/shape %s %s, expected %s %s' % (actual.dtype, actual.shape, expected.dtype, expected.shape))
    if actual.tobytes() != expected.tobytes():  # bit for bit: NaN, -0.0 and infinities included
        fail(name, 'values differ: %r, expected %r' % (actual[:8], expected[:8]))


def expected_bytes(directory, name):
    data = load(directory, name, '.bytes')
    if data is not None:
        offsets = load(directory, name, '.byte_offsets')
        raw = data.tobytes()
        return [raw[offsets[i]:offsets[i + 1]] for i in range(len(offsets) - 1)]
    flat = load(directory, name, '.values')
    if flat is None:
        flat = load(directory, name)
    return [bytes(v) for v in flat.reshape(-1).tolist()]  # |S: NumPy's bytes (trailing NULs dropped)


def check(table, directory, name):
    if name not in table.column_names:
        fail(name, 'missing; the table has %s' % table.column_names)
    column = table.column(name).combine_chunks()
    kind = column.type
    splits = load(directory, name, '.row_splits')
    is_bytes = load(directory, name, '.bytes') is not None or any(
        a is not None and a.dtype.kind == 'S' for a in (load(directory, name), load(directory, name, '.values')))
    if splits is not None:
        if not pa.types.is_large_list(kind):
            fail(name, 'type %s, expected large_list' % kind)
        same_numbers(name + ' offsets', column.offsets.to_numpy(), splits)
        values = column.values
    elif isinstance(kind, pa.FixedShapeTensorType):
        same_numbers(name, column.to_numpy_ndarray(), load(directory, name))
        return str(kind)
    elif pa.types.is_fixed_size_list(kind):
        values = column.flatten()
    else:
        values = column
    if is_bytes:
        if not pa.types.is_large_binary(values.type):
            fail(name, 'values of type %s, expected large_binary' % values.type)
        if values.to_pylist() != expected_bytes(directory, name):
            fail(name, 'bytes differ: %r' % values.to_pylist()[:8])
    else:
        expected = load(directory, name, '.values') if splits is not None else load(directory, name)
        same_numbers(name, values.to_numpy(zero_copy_only=False), expected.reshape(-1) if splits is None and
                     expected.ndim > 1 else expected)
    return str(kind)


def main():
    kind, path, directory = sys.argv[1:4]
    table = read(kind, path)
    names = sys.argv[4:] or expected_names(directory)
    types = {name: check(table, directory, name) for name in names}
    summary = {'rows': table.num_rows, 'columns': table.column_names, 'types': types}
    if kind == 'parquet':
        metadata = pq.ParquetFile(path).metadata
        summary['row_groups'] = metadata.num_row_groups
        summary['compression'] = metadata.row_group(0).column(0).compression if metadata.num_row_groups else None
    print(json.dumps(summary, sort_keys=True))


if __name__ == '__main__':
    main()

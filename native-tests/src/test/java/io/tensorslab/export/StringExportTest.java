package io.tensorslab.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tensorslab.npy.NpyDtype;
import io.tensorslab.testutil.NumPy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.ConcreteFunction;
import org.tensorflow.Signature;
import org.tensorflow.framework.data.Dataset;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.data.MapDataset;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;

/** String tensors: {@code |S{max}} under ERROR and PAD, uint8 values plus row_splits under RAGGED. */
class StringExportTest {

  private static final int BIG = 4 << 20;

  /** Every TF_TString form we can produce: empty, inline (up to 22 bytes), large, non-UTF-8, NULs. */
  private static byte[][] mixed() {
    byte[] big = new byte[BIG];
    for (int i = 0; i < BIG; i++) {
      big[i] = (byte) (i * 7 + 3);
    }
    return new byte[][] {
        new byte[0], "abc".getBytes(StandardCharsets.US_ASCII), {(byte) 0xff, (byte) 0xfe, (byte) 0x80, 1},
        {0, 'm', 'i', 'd'}, big, "h\u00e9llo \u20ac".getBytes(StandardCharsets.UTF_8),
        "0123456789012345678901".getBytes(StandardCharsets.US_ASCII),
        "01234567890123456789012".getBytes(StandardCharsets.US_ASCII), new byte[0]};
  }

  private static final String MIXED_PY = """
      big = ((np.arange(4 << 20, dtype=np.int64) * 7 + 3) % 256).astype(np.uint8).tobytes()
      vals = [b'', b'abc', b'\\xff\\xfe\\x80\\x01', b'\\x00mid', big, 'h\\u00e9llo \\u20ac'.encode(),
              b'0123456789012345678901', b'01234567890123456789012', b'']
      """;

  private static Dataset strings(Ops tf, byte[][] values, long batch) {
    TString t = TString.tensorOfBytes(NdArrays.vectorOfObjects(values));
    return Dataset.fromTensorSlices(tf, List.of(tf.constantOf(t)), List.of(TString.class)).batch(batch);
  }

  @Test
  void mixedStringsAsFixedWidthBytes(@TempDir Path dir) throws Exception {
    Ops tf = Ops.create();
    try (ExportResult r = TensorSlab.export(strings(tf, mixed(), 4)).names("s").durable(false).to(dir).run()) {
      assertEquals(NpyDtype.bytes(BIG), r.array("s").dtype());
      assertArrayEquals(new long[] {9}, r.array("s").shape());
    }
    NumPy.run(MIXED_PY + """
        s = np.load(sys.argv[1] + '/s.npy', mmap_mode='r')
        e = np.array(vals)
        assert s.dtype == e.dtype == np.dtype('S%d' % (4 << 20)), (s.dtype, e.dtype)
        assert s.shape == (9,) and s.tobytes() == e.tobytes()
        assert s[4] == big and s[2] == b'\\xff\\xfe\\x80\\x01' and s[0] == b''
        """, dir.toString());
  }

  @Test
  void mixedStringsRagged(@TempDir Path dir) throws Exception {
    Ops tf = Ops.create();
    try (ExportResult r = TensorSlab.export(strings(tf, mixed(), 4)).names("s").durable(false)
        .shapePolicy("s", ShapePolicy.RAGGED).to(dir).run()) {
      assertEquals(NpyDtype.UINT8, r.array("s.values").dtype());
      assertArrayEquals(new long[] {10}, r.array("s.row_splits").shape());
    }
    NumPy.run(MIXED_PY + """
        v = np.load(sys.argv[1] + '/s.values.npy', mmap_mode='r'); rs = np.load(sys.argv[1] + '/s.row_splits.npy')
        assert v.dtype == np.uint8 and rs.dtype == np.int64 and rs[0] == 0
        assert [p.tobytes() for p in np.split(v, rs[1:-1])] == vals
        """, dir.toString());
  }

  @Test
  void hundredThousandShortStrings(@TempDir Path dir) throws Exception {
    byte[][] values = new byte[100_000][];
    for (int i = 0; i < values.length; i++) {
      values[i] = Integer.toString(i).getBytes(StandardCharsets.US_ASCII);
    }
    Ops tf = Ops.create();
    try (ExportResult r = TensorSlab.export(strings(tf, values, 1000)).names("s").durable(false).to(dir.resolve("e")).run();
        ExportResult g = TensorSlab.export(strings(tf, values, 1000)).names("s").durable(false)
            .shapePolicy(ShapePolicy.RAGGED).to(dir.resolve("r")).run()) {
      assertEquals(NpyDtype.bytes(5), r.array("s").dtype());
      assertArrayEquals(new long[] {100_001}, g.array("s.row_splits").shape());
    }
    NumPy.run("""
        e = np.array([b'%d' % i for i in range(100000)])
        s = np.load(sys.argv[1] + '/e/s.npy')
        assert s.dtype == np.dtype('S5') and np.array_equal(s, e)
        v = np.load(sys.argv[1] + '/r/s.values.npy'); rs = np.load(sys.argv[1] + '/r/s.row_splits.npy')
        assert v.tobytes() == b''.join(e.tolist()) and np.array_equal(np.diff(rs), [len(b'%d' % i) for i in range(100000)])
        """, dir.toString());
  }

  @Test
  void stringMatrixRows(@TempDir Path dir) throws Exception {
    String[][] m = new String[7][3];
    for (int i = 0; i < 7; i++) {
      for (int j = 0; j < 3; j++) {
        m[i][j] = "r" + i + "c" + j + "x".repeat(i * j);
      }
    }
    Ops tf = Ops.create();
    var c = tf.constant(org.tensorflow.ndarray.StdArrays.ndCopyOf(m));
    Dataset ds = Dataset.fromTensorSlices(tf, List.of(c), List.of(TString.class)).batch(3);
    try (ExportResult r = TensorSlab.export(ds).names("s").durable(false).to(dir).run()) {
      assertArrayEquals(new long[] {7, 3}, r.array("s").shape());
    }
    NumPy.run("""
        e = np.array([[('r%dc%d' % (i, j) + 'x' * (i * j)).encode() for j in range(3)] for i in range(7)])
        s = np.load(sys.argv[1] + '/s.npy')
        assert s.dtype == e.dtype and np.array_equal(s, e), (s, e)
        """, dir.toString());
  }

  /** padded_batch of variable-length string vectors: element i is [b'100i', b'100i+1', ...], i % 5 + 1 long. */
  @Test
  void paddedStringVectorsUnderPadAndRagged(@TempDir Path dir) throws Exception {
    Ops tf = Ops.create();
    ConcreteFunction fn = ConcreteFunction.create(g -> {
      var x = g.placeholder(TInt64.class, Placeholder.shape(Shape.scalar()));
      var len = g.math.add(g.math.mod(x, g.constant(5L)), g.constant(1L));
      var row = g.math.add(g.range(g.constant(0L), len, g.constant(1L)), g.math.mul(x, g.constant(100L)));
      return Signature.builder().input("x", x).output("y", g.dtypes.asString(row)).build();
    });
    var range = tf.data.rangeDataset(tf.constant(0L), tf.constant(10L), tf.constant(1L), List.of(TInt64.class),
        List.of(Shape.scalar()));
    var mapped = tf.data.mapDataset(range, List.of(), fn, List.of(TString.class), List.of(Shape.of(-1)),
        MapDataset.preserveCardinality(true));
    var batched = tf.data.paddedBatchDataset(mapped, tf.constant(3L), List.of(tf.constant(new long[] {-1})),
        List.of(tf.constant("")), tf.constant(false), List.of(Shape.of(-1, -1)));
    try (ExportResult p = TensorSlab.export(batched, List.of(TString.class), List.of(Shape.of(-1, -1))).names("s")
        .shapePolicy("s", ShapePolicy.PAD.withBytes("-".getBytes(StandardCharsets.US_ASCII)))
        .durable(false).to(dir.resolve("p")).run();
        ExportResult r = TensorSlab.export(batched, List.of(TString.class), List.of(Shape.of(-1, -1))).names("s")
            .shapePolicy("s", ShapePolicy.RAGGED).durable(false).to(dir.resolve("r")).run()) {
      assertArrayEquals(new long[] {10, 5}, p.array("s").shape());
    }
    NumPy.run("""
        rows = [[b'%d' % (100 * i + j) for j in range(i % 5 + 1)] for i in range(10)]
        batches = []
        for s in range(0, 10, 3):
            g = rows[s:s + 3]; w = max(map(len, g))
            batches.append(np.array([r + [b''] * (w - len(r)) for r in g]))
        e = np.concatenate([np.pad(b, ((0, 0), (0, 5 - b.shape[1])), constant_values=b'-') for b in batches])
        s = np.load(sys.argv[1] + '/p/s.npy'); n = np.load(sys.argv[1] + '/p/s.lengths.npy')
        assert s.dtype == e.dtype and np.array_equal(s, e), (s, e)
        assert n.tolist() == [b.shape[1] for b in batches for _ in b], n
        # RAGGED keeps the rows: row_splits splits the strings into the 10 rows (as tf.RaggedTensor's
        # row_splits of the batches' rows), byte_splits splits the bytes into strings
        v = np.load(sys.argv[1] + '/r/s.values.npy'); rs = np.load(sys.argv[1] + '/r/s.row_splits.npy')
        bs = np.load(sys.argv[1] + '/r/s.byte_splits.npy')
        strings = [q.tobytes() for q in np.split(v, bs[1:-1])]
        assert strings == [x for b in batches for x in b.reshape(-1).tolist()], (v, bs)
        assert len(rs) == 11 and rs[0] == 0 and rs[-1] == len(strings), rs
        assert [strings[rs[i]:rs[i + 1]] for i in range(10)] == [r for b in batches for r in b.tolist()], rs
        """, dir.toString());
  }
}

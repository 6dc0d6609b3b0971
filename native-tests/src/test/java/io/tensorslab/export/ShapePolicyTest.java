package io.tensorslab.export;

import static io.tensorslab.export.VariableLengthData.PYTHON;
import static io.tensorslab.export.VariableLengthData.TYPES;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorslab.npy.NpyDtype;
import io.tensorslab.testutil.NumPy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.op.Ops;

/**
 * Padded batches whose width changes from batch to batch (range -> map to variable-length rows ->
 * padded_batch), exported under each {@link ShapePolicy} and compared with what NumPy builds from
 * the same batches.
 */
class ShapePolicyTest {

  private static ExportBuilder export1d(Ops tf, long n, long batch) {
    return TensorSlab.export(VariableLengthData.rows1d(tf, n, batch), TYPES, List.of(VariableLengthData.batchShape(1)))
        .names("x").durable(false);
  }

  private static List<Path> files(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.toList();
    }
  }

  @Test
  void errorPolicyNamesComponentBatchShapesAndTheOtherPolicies(@TempDir Path dir) throws Exception {
    Ops tf = Ops.create();
    ExportException e = assertThrows(ExportException.class, () -> export1d(tf, 10, 3).to(dir).run());
    // batch 0 is 3 wide (rows 0..2 have lengths 1..3), batch 1 is 5 wide
    assertEquals("batch shape differs: rows are (5,), earlier rows (3,) (ShapePolicy.ERROR, the default); "
        + "for data whose shape varies choose shapePolicy(\"x\", ShapePolicy.PAD) to pad to the largest shape, "
        + "or ShapePolicy.RAGGED for flat values plus row_splits (component=x, batch=1)", e.getMessage());
    assertEquals(List.of(), files(dir));
  }

  @Test
  void padToLargestSeen(@TempDir Path dir) throws Exception {
    Ops tf = Ops.create();
    try (ExportResult r = export1d(tf, 10, 3).shapePolicy("x", ShapePolicy.PAD).to(dir).run()) {
      assertArrayEquals(new long[] {10, 5}, r.array("x").shape());
      assertEquals(NpyDtype.INT64, r.array("x").dtype());
      assertArrayEquals(new long[] {10}, r.array("x.lengths").shape());
      assertEquals("x", r.array("x.lengths").component());
    }
    NumPy.run(PYTHON + """
        d = sys.argv[1]
        bs = padded_batches(rows1d(10), 3)
        x = np.load(d + '/x.npy', mmap_mode='r'); n = np.load(d + '/x.lengths.npy')
        assert np.array_equal(x, pad_all(bs)), x
        assert n.dtype == np.int64 and n.tolist() == [b.shape[1] for b in bs for _ in b], n
        import json, os
        m = json.load(open(d + '/manifest.json'))
        assert [(a['name'], a['component']) for a in m['arrays']] == [('x', 'x'), ('x.lengths', 'x')], m
        assert sorted(os.listdir(d)) == ['manifest.json', 'x.lengths.npy', 'x.npy'], os.listdir(d)
        """, dir.toString());
  }

  @Test
  void padToFixedShapeWithValue(@TempDir Path dir) throws Exception {
    Ops tf = Ops.create();
    try (ExportResult r = export1d(tf, 10, 3).shapePolicy("x", ShapePolicy.pad(8).withValue(-7)).to(dir).run()) {
      assertArrayEquals(new long[] {10, 8}, r.array("x").shape());
    }
    NumPy.run(PYTHON + """
        bs = padded_batches(rows1d(10), 3)
        x = np.load(sys.argv[1] + '/x.npy')
        assert np.array_equal(x, pad_all(bs, -7, (8,))), x
        """, dir.toString());
  }

  @Test
  void fixedPadShapeSmallerThanDataFailsAndLeavesNothing(@TempDir Path dir) throws Exception {
    Ops tf = Ops.create();
    ExportException e = assertThrows(ExportException.class,
        () -> export1d(tf, 10, 3).shapePolicy("x", ShapePolicy.pad(4)).to(dir).run());
    assertEquals("rows do not fit the pad shape: rows are (5,), the pad shape is (4,); give a larger "
        + "ShapePolicy.pad(...) shape, -1 for a dim to pad to the largest seen, ShapePolicy.PAD for the largest "
        + "in every dim, or ShapePolicy.RAGGED (component=x, batch=1)", e.getMessage());
    assertEquals(List.of(), files(dir));
  }

  @Test
  void raggedValuesAndRowSplits(@TempDir Path dir) throws Exception {
    Ops tf = Ops.create();
    try (ExportResult r = export1d(tf, 10, 3).shapePolicy("x", ShapePolicy.RAGGED).to(dir).run()) {
      assertEquals(10, r.rows());
      assertArrayEquals(new long[] {11}, r.array("x.row_splits").shape());
      assertEquals(NpyDtype.INT64, r.array("x.values").dtype());
      assertEquals(0L, r.array("x.row_splits").segment().get(java.lang.foreign.ValueLayout.JAVA_LONG, 0));
    }
    NumPy.run(PYTHON + """
        d = sys.argv[1]
        bs = padded_batches(rows1d(10), 3)
        v = np.load(d + '/x.values.npy', mmap_mode='r'); rs = np.load(d + '/x.row_splits.npy')
        assert rs.dtype == np.int64 and rs[0] == 0 and len(rs) == 11, rs
        assert np.array_equal(v, np.concatenate([b.reshape(-1) for b in bs])), v
        rows = [row for b in bs for row in b]
        parts = np.split(v, rs[1:-1])
        assert len(parts) == 10 and all(np.array_equal(p, q) for p, q in zip(parts, rows)), parts
        import json
        m = json.load(open(d + '/manifest.json'))
        assert [(a['name'], a['component'], a['file']) for a in m['arrays']] == [
            ('x.values', 'x', 'x.values.npy'), ('x.row_splits', 'x', 'x.row_splits.npy')], m
        """, dir.toString());
  }

  @Test
  void limitInsideABatch(@TempDir Path dir) throws Exception {
    Ops tf = Ops.create();
    try (ExportResult r = export1d(tf, 10, 3).limit(7).shapePolicy("x", ShapePolicy.RAGGED).to(dir.resolve("r")).run();
        ExportResult p = export1d(tf, 10, 3).limit(7).shapePolicy("x", ShapePolicy.PAD).to(dir.resolve("p")).run()) {
      assertArrayEquals(new long[] {8}, r.array("x.row_splits").shape());
      assertArrayEquals(new long[] {7, 5}, p.array("x").shape());
    }
    NumPy.run(PYTHON + """
        d = sys.argv[1]
        bs = padded_batches(rows1d(10), 3)
        rows = [row for b in bs for row in b][:7]
        v = np.load(d + '/r/x.values.npy'); rs = np.load(d + '/r/x.row_splits.npy')
        assert all(np.array_equal(p, q) for p, q in zip(np.split(v, rs[1:-1]), rows))
        assert np.array_equal(np.load(d + '/p/x.npy'), pad_all(bs)[:7])
        """, dir.toString());
  }

  @Test
  void padTwoVaryingDims(@TempDir Path dir) throws Exception {
    Ops tf = Ops.create();
    var ds = VariableLengthData.rows2d(tf, 11, 2);
    try (ExportResult r = TensorSlab.export(ds, TYPES, List.of(VariableLengthData.batchShape(2))).names("m")
        .shapePolicy("m", ShapePolicy.PAD.withValue(9)).to(dir).run()) {
      assertArrayEquals(new long[] {11, 3, 2}, r.array("m").shape());
    }
    NumPy.run(PYTHON + """
        bs = padded_batches(rows2d(11), 2)
        assert [b.shape[1:] for b in bs] == [(2, 1), (3, 2), (3, 2), (2, 1), (3, 2), (2, 2)], [b.shape for b in bs]
        m = np.load(sys.argv[1] + '/m.npy')
        assert np.array_equal(m, pad_all(bs, 9)), m
        n = np.load(sys.argv[1] + '/m.lengths.npy')
        assert n.tolist() == [b.shape[1] for b in bs for _ in b], n
        """, dir.toString());
  }

  @Test
  void policyForAnUnknownComponentIsRefused(@TempDir Path dir) {
    Ops tf = Ops.create();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> export1d(tf, 10, 3).shapePolicy("y", ShapePolicy.PAD).to(dir).run());
    assertTrue(e.getMessage().contains("'y', which is not a component; the components are [x]"), e.getMessage());
  }

  /**
   * Rows that turn out to be scalars only at the first batch (the rank is not declared): the error
   * names the component and the batch in its fields and once in its text. Both used to be null and -1,
   * with the context built into the text by hand.
   */
  @Test
  void scalarRowsFoundAtTheFirstBatchNameComponentAndBatch(@TempDir Path dir) {
    for (ShapePolicy policy : List.of(ShapePolicy.RAGGED, ShapePolicy.PAD)) {
      Ops tf = Ops.create();
      var scalars = TestData.range(tf, 0, 10).batch(3);
      ExportException e = assertThrows(ExportException.class, () -> TensorSlab.export(scalars.getVariant(),
          List.of(org.tensorflow.types.TInt64.class), List.of(org.tensorflow.ndarray.Shape.unknown()))
          .names("x").shapePolicy(policy).to(dir).run());
      assertEquals("x", e.component(), policy + ": " + e.getMessage());
      assertEquals(0, e.batch(), policy + ": " + e.getMessage());
      assertTrue(e.getMessage().endsWith("(component=x, batch=0)"), e.getMessage());
      assertEquals(1, e.getMessage().split("component=", -1).length - 1, e.getMessage());
    }
  }
}

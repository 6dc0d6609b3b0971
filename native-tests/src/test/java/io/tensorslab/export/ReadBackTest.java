package io.tensorslab.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorslab.tf.MappedTensors;
import io.tensorslab.tf.TensorBytes;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.EagerSession;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.framework.data.Dataset;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;
import org.tensorflow.types.TUint8;

/**
 * Reading an export back: {@link TensorSlab#open} from the manifest, {@link ExportedArray#tensor}
 * over the mapped file bytes, {@link ExportResult#dataset} as tf.data rows.
 */
class ReadBackTest {
  private static final int ROWS = 10;

  /** x: float32 (10, 3) with x[r, c] = 10 r + c; y: int64 (10,) with y[r] = 7 r. */
  private static ExportResult exportXy(Path dir) throws Exception {
    try (EagerSession session = EagerSession.create()) {
      Ops tf = Ops.create(session);
      float[][] x = new float[ROWS][3];
      long[] y = new long[ROWS];
      for (int r = 0; r < ROWS; r++) {
        for (int c = 0; c < 3; c++) {
          x[r][c] = 10 * r + c;
        }
        y[r] = 7L * r;
      }
      Dataset ds = Dataset.fromTensorSlices(tf, List.of(tf.constant(x), tf.constant(y)),
          List.of(TFloat32.class, TInt64.class)).batch(4);
      TensorSlab.export(ds).to(dir).names("x", "y").durable(false).run().close();
    }
    return TensorSlab.open(dir);
  }

  /** The mapped file regions of {@code file} in /proc/self/maps, as [start, end) pairs. */
  private static List<long[]> mappingsOf(Path file) throws Exception {
    List<long[]> ranges = new ArrayList<>();
    String real = file.toRealPath().toString();
    for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
      if (line.endsWith(" " + real)) {
        String[] bounds = line.substring(0, line.indexOf(' ')).split("-");
        ranges.add(new long[] {Long.parseUnsignedLong(bounds[0], 16), Long.parseUnsignedLong(bounds[1], 16)});
      }
    }
    return ranges;
  }

  @Test
  void openReadsTheManifestAndMapsEveryArray(@TempDir Path dir) throws Exception {
    try (ExportResult r = exportXy(dir)) {
      assertEquals(ROWS, r.rows());
      assertEquals(3, r.batches());
      assertEquals(List.of("x", "y"), r.arrays().stream().map(ExportedArray::name).toList());
      assertArrayEquals(new long[] {ROWS, 3}, r.array("x").shape());
      assertEquals(41f, r.array("x").segment().getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, 13));
      assertEquals(ROWS * 3 * 4 + ROWS * 8, r.bytes());
    }
  }

  @Test
  void typedViewsFitTheirDtypeAndNameTheOneThatDoes(@TempDir Path dir) throws Exception {
    try (ExportResult r = exportXy(dir)) {
      assertEquals(91f, r.array("x").floatArray().getFloat(9, 1));
      assertEquals(63L, r.array("y").longArray().getLong(9));
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> r.array("y").floatArray());
      assertEquals("floatArray() does not fit: y is <i8; call longArray() (path=" + r.array("y").path() + ")",
          e.getMessage());
    }
  }

  @Test
  void tensorDataIsTheMappedFile(@TempDir Path dir) throws Exception {
    try (ExportResult r = exportXy(dir); TFloat32 x = r.array("x").tensor(TFloat32.class)) {
      assertEquals(Shape.of(ROWS, 3), x.shape());
      assertEquals(91f, x.getFloat(9, 1));
      MemorySegment data = TensorBytes.of(x);
      long address = data.address();
      assertTrue(mappingsOf(r.array("x").path()).stream().anyMatch(m -> address >= m[0] && address + data.byteSize() <= m[1]),
          "tensor data at 0x" + Long.toHexString(address) + " is not inside a mapping of x.npy");
      assertEquals(0, address % 64);
    }
  }

  @Test
  void tensorOutlivesTheResultAndIsUnmappedWhenTensorFlowLetsGo(@TempDir Path dir) throws Exception {
    int before = MappedTensors.liveMappings();
    TInt64 y;
    Path file;
    try (ExportResult r = exportXy(dir)) {
      file = r.array("y").path();
      y = r.array("y").tensor(TInt64.class);
    }
    assertEquals(before + 1, MappedTensors.liveMappings());
    try (EagerSession session = EagerSession.create()) {
      Ops tf = Ops.create(session);
      // TensorFlow uses the buffer after the result that made it is closed
      try (TInt64 sum = tf.math.add(tf.constantOf(y), tf.constant(1L)).asTensor()) {
        assertEquals(7L * 9 + 1, sum.getLong(9));
      }
      assertEquals(63L, y.getLong(9));
      y.close();
    }
    assertEquals(before, MappedTensors.liveMappings());
    assertEquals(List.of(), mappingsOf(file), "x.npy is still mapped after every holder let go");
  }

  @Test
  void tensorErrorsNameTheArray(@TempDir Path dir) throws Exception {
    ExportedArray x;
    try (ExportResult r = exportXy(dir)) {
      x = r.array("x");
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> r.array("x").tensor(TInt64.class));
      assertEquals("tensor type mismatch: x is <f4, a TFloat32, not a TInt64; call tensor(TFloat32.class) (path="
          + r.array("x").path() + ")", e.getMessage());
    }
    IllegalStateException closed = assertThrows(IllegalStateException.class, x::tensor);
    assertEquals("Already closed: the result holding x was closed (path=" + x.path() + ")", closed.getMessage());
  }

  @Test
  void stringsHaveNoZeroCopyTensorButDoHaveRows(@TempDir Path dir) throws Exception {
    try (EagerSession session = EagerSession.create()) {
      Ops tf = Ops.create(session);
      TString t = TString.vectorOf("a", "bcd", "", "ef");
      Dataset ds = Dataset.fromTensorSlices(tf, List.of(tf.constantOf(t)), List.of(TString.class)).batch(3);
      TensorSlab.export(ds).to(dir).names("s").durable(false).run().close();
      try (ExportResult r = TensorSlab.open(dir)) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> r.array("s").tensor());
        assertTrue(e.getMessage().startsWith("no zero-copy tensor for strings:"), e.getMessage());
        List<String> seen = new ArrayList<>();
        for (var element : r.dataset(tf)) {
          try (TString s = (TString) element.get(0).asTensor()) {
            seen.add(s.getObject());
          }
        }
        assertEquals(List.of("a", "bcd", "", "ef"), seen);
      }
    }
  }

  @Test
  void datasetGivesTheRowsInEagerMode(@TempDir Path dir) throws Exception {
    try (ExportResult r = exportXy(dir); EagerSession session = EagerSession.create()) {
      Ops tf = Ops.create(session);
      Dataset rows = r.dataset(tf);
      assertEquals(Shape.of(3), rows.getOutputShapes().get(0));
      int row = 0;
      for (var element : rows) {
        try (TFloat32 x = (TFloat32) element.get(0).asTensor(); TInt64 y = (TInt64) element.get(1).asTensor()) {
          assertEquals(Shape.of(3), x.shape());
          for (int c = 0; c < 3; c++) {
            assertEquals(10f * row + c, x.getFloat(c));
          }
          assertEquals(7L * row, y.getLong());
        }
        row++;
      }
      assertEquals(ROWS, row);
      try (TInt64 cardinality = tf.data.datasetCardinality(rows.getVariant()).asTensor()) {
        assertEquals(ROWS, cardinality.getLong());
      }
    }
  }

  @Test
  void datasetBatchesInGraphMode(@TempDir Path dir) throws Exception {
    try (ExportResult r = exportXy(dir); Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Dataset batches = r.dataset(tf).batch(4);
      // export the read-back batches again: the second export must equal the first
      try (ExportResult again = TensorSlab.export(batches, s).to(dir.resolve("again")).names("x", "y").durable(false)
          .run()) {
        assertEquals(r.array("x").segment().mismatch(again.array("x").segment()), -1);
        assertEquals(r.array("y").segment().mismatch(again.array("y").segment()), -1);
      }
    }
  }

  @Test
  void batchesEqualRowsBatched(@TempDir Path dir) throws Exception {
    try (ExportResult r = exportXy(dir); EagerSession session = EagerSession.create()) {
      Ops tf = Ops.create(session);
      for (long size : new long[] {1, 3, 10, 64}) {
        var expected = r.dataset(tf).batch(size).iterator();
        int batches = 0;
        for (var batch : r.batches(tf, size)) {
          var want = expected.next();
          for (int c = 0; c < 2; c++) {
            try (var got = batch.get(c).asTensor(); var w = want.get(c).asTensor()) {
              assertEquals(w.shape(), got.shape(), "size " + size + " batch " + batches);
              assertEquals(-1, TensorBytes.of(w).mismatch(TensorBytes.of(got)), "size " + size + " batch " + batches);
            }
          }
          batches++;
        }
        assertFalse(expected.hasNext());
        assertEquals((ROWS + size - 1) / size, batches);
      }
    }
  }

  @Test
  void openRefusesAManifestNamingFilesElsewhere(@TempDir Path dir) throws Exception {
    exportXy(dir.resolve("out")).close();
    Path manifest = dir.resolve("out/manifest.json");
    Files.writeString(manifest, Files.readString(manifest).replace("\"file\": \"y.npy\"", "\"file\": \"../y.npy\""));
    var e = assertThrows(java.io.IOException.class, () -> TensorSlab.open(dir.resolve("out")));
    assertEquals("bad manifest: array y names file '../y.npy' outside the export directory (path=" + manifest + ")",
        e.getMessage());
    assertEquals(List.of(), mappingsOf(dir.resolve("out/x.npy")), "a failed open left x.npy mapped");
  }

  @Test
  void openRefusesWhatIsNotAFinishedExport(@TempDir Path dir) throws Exception {
    NoSuchFileException none = assertThrows(NoSuchFileException.class, () -> TensorSlab.open(dir));
    assertTrue(none.getMessage().contains("no export here: manifest.json is missing"), none.getMessage());
    exportXy(dir).close();
    // the file was replaced by one of another shape: the manifest no longer describes it
    try (EagerSession session = EagerSession.create()) {
      Ops tf = Ops.create(session);
      Dataset ds = Dataset.fromTensorSlices(tf, List.of(tf.constant(new byte[] {1, 2})), List.of(TUint8.class)).batch(2);
      TensorSlab.export(ds).to(dir.resolve("other")).names("x").durable(false).run().close();
    }
    Files.copy(dir.resolve("other/x.npy"), dir.resolve("x.npy"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    var e = assertThrows(java.io.IOException.class, () -> TensorSlab.open(dir));
    assertEquals("export changed since it was written: the manifest says <f4 (10, 3), the file holds |u1 (2,)"
        + " (array=x, path=" + dir.resolve("x.npy") + ")", e.getMessage());
    assertEquals(List.of(), mappingsOf(dir.resolve("x.npy")), "a failed open left x.npy mapped");
  }

  /** Strings of lengths 0..6 (row r is r bytes of 'a' + r), ten rows exported RAGGED as uint8 values + row splits. */
  private static ExportResult exportRaggedStrings(Path dir) throws Exception {
    try (EagerSession session = EagerSession.create()) {
      Ops tf = Ops.create(session);
      String[] rows = new String[ROWS];
      for (int r = 0; r < ROWS; r++) {
        rows[r] = String.valueOf((char) ('a' + r)).repeat(r % 7);
      }
      Dataset ds = Dataset.fromTensorSlices(tf, List.of(tf.constant(org.tensorflow.ndarray.NdArrays.vectorOfObjects(rows)), tf.constant(new long[] {0, 1, 2, 3, 4, 5,
          6, 7, 8, 9})), List.of(TString.class, TInt64.class)).batch(4);
      TensorSlab.export(ds).to(dir).names("s", "y").shapePolicy("s", ShapePolicy.RAGGED).durable(false).run().close();
    }
    return TensorSlab.open(dir);
  }

  /** What batch {@code b} of {@code n} rows of {@link #exportRaggedStrings} must hold: its bytes and rebased splits. */
  private static void assertRaggedBatch(int b, int n, byte[] values, long[] splits, long[] y) {
    StringBuilder expected = new StringBuilder();
    List<Long> expectedSplits = new ArrayList<>(List.of(0L));
    List<Long> expectedY = new ArrayList<>();
    for (int r = b * n; r < Math.min(ROWS, (b + 1) * n); r++) {
      expected.append(String.valueOf((char) ('a' + r)).repeat(r % 7));
      expectedSplits.add((long) expected.length());
      expectedY.add((long) r);
    }
    assertEquals(expected.toString(), new String(values, java.nio.charset.StandardCharsets.US_ASCII), "batch " + b);
    assertArrayEquals(expectedSplits.stream().mapToLong(Long::longValue).toArray(), splits, "batch " + b);
    assertArrayEquals(expectedY.stream().mapToLong(Long::longValue).toArray(), y, "batch " + b);
  }

  private static byte[] bytes(TUint8 t) {
    byte[] out = new byte[(int) t.shape().size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = t.getByte(i);
    }
    return out;
  }

  private static long[] longs(TInt64 t) {
    long[] out = new long[(int) t.shape().size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = t.getLong(i);
    }
    return out;
  }

  @Test
  void raggedBatchesGiveValuesAndRebasedSplitsInEagerMode(@TempDir Path dir) throws Exception {
    try (ExportResult r = exportRaggedStrings(dir); EagerSession session = EagerSession.create()) {
      Ops tf = Ops.create(session);
      Dataset batches = r.batches(tf, 3);
      assertEquals("[[-1], [-1], [-1]]", batches.getOutputShapes().toString());
      int b = 0;
      for (var element : batches) {
        try (TUint8 values = (TUint8) element.get(0).asTensor(); TInt64 splits = (TInt64) element.get(1).asTensor();
            TInt64 y = (TInt64) element.get(2).asTensor()) {
          assertRaggedBatch(b, 3, bytes(values), longs(splits), longs(y));
        }
        b++;
      }
      assertEquals(4, b);
      try (TInt64 cardinality = tf.data.datasetCardinality(batches.getVariant()).asTensor()) {
        assertEquals(4, cardinality.getLong());
      }
    }
  }

  @Test
  void raggedBatchesInGraphMode(@TempDir Path dir) throws Exception {
    try (ExportResult r = exportRaggedStrings(dir); Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      var iterator = r.batches(tf, 4).makeInitializeableIterator();
      s.run(iterator.getInitializer());
      List<org.tensorflow.Operand<?>> next = iterator.getNext();
      int b = 0;
      while (true) {
        try (var result = s.runner().fetch(next.get(0)).fetch(next.get(1)).fetch(next.get(2)).run()) {
          assertRaggedBatch(b, 4, bytes((TUint8) result.get(0)), longs((TInt64) result.get(1)),
              longs((TInt64) result.get(2)));
        } catch (org.tensorflow.exceptions.TFOutOfRangeException end) {
          break;
        }
        b++;
      }
      assertEquals(3, b);
    }
  }

  @Test
  void raggedRowsNameBatches(@TempDir Path dir) throws Exception {
    try (ExportResult r = exportRaggedStrings(dir); EagerSession session = EagerSession.create()) {
      var e = assertThrows(IllegalArgumentException.class, () -> r.dataset(Ops.create(session)));
      assertEquals("no row-per-element dataset for a ragged component: its rows have different lengths; read it"
          + " with batches(tf, n), which gives each batch's values and row splits (component=s, path="
          + dir.resolve("s.values.npy") + ")", e.getMessage());
    }
  }

  @Test
  void openRefusesARaggedPairWithoutItsRowSplits(@TempDir Path dir) throws Exception {
    exportRaggedStrings(dir).close();
    Files.delete(dir.resolve("s.row_splits.npy"));
    var e = assertThrows(java.io.IOException.class, () -> TensorSlab.open(dir));
    assertTrue(e.getMessage().contains(dir.resolve("s.row_splits.npy").toString()), e.getMessage());
    assertEquals(List.of(), mappingsOf(dir.resolve("s.values.npy")), "a failed open left s.values.npy mapped");
  }

  @Test
  void raggedNumericBatchesKeepTheInnerDims(@TempDir Path dir) throws Exception {
    // rows 0-3 hold 3 values of 2 floats, rows 4-6 one: value j of row r is (100 r + 10 j, 100 r + 10 j + 1)
    try (EagerSession session = EagerSession.create()) {
      Ops tf = Ops.create(session);
      float[][][] wide = new float[4][3][2];
      float[][][] narrow = new float[3][1][2];
      for (int r = 0; r < 7; r++) {
        float[][] row = r < 4 ? wide[r] : narrow[r - 4];
        for (int j = 0; j < row.length; j++) {
          row[j] = new float[] {100 * r + 10 * j, 100 * r + 10 * j + 1};
        }
      }
      Dataset first = Dataset.fromTensorSlices(tf, List.of(tf.constant(wide)), List.of(TFloat32.class)).batch(4);
      Dataset second = Dataset.fromTensorSlices(tf, List.of(tf.constant(narrow)), List.of(TFloat32.class)).batch(3);
      List<Shape> shapes = List.of(Shape.of(-1, -1, 2));
      var both = tf.data.concatenateDataset(first.getVariant(), second.getVariant(), List.of(TFloat32.class), shapes);
      Dataset ds = new Dataset(tf, both, List.of(TFloat32.class), shapes) {};
      TensorSlab.export(ds).to(dir).names("v").shapePolicy(ShapePolicy.RAGGED).durable(false).run().close();
    }
    try (ExportResult r = TensorSlab.open(dir); EagerSession session = EagerSession.create()) {
      Dataset batches = r.batches(Ops.create(session), 3);
      assertEquals("[[-1, 2], [-1]]", batches.getOutputShapes().toString());
      int b = 0;
      for (var element : batches) {
        try (TFloat32 values = (TFloat32) element.get(0).asTensor(); TInt64 splits = (TInt64) element.get(1).asTensor()) {
          List<Long> expectedSplits = new ArrayList<>(List.of(0L));
          long k = 0;
          for (int row = 3 * b; row < Math.min(7, 3 * b + 3); row++) {
            for (int j = 0; j < (row < 4 ? 3 : 1); j++, k++) {
              assertEquals(100f * row + 10 * j, values.getFloat(k, 0), "batch " + b + " value " + k);
              assertEquals(100f * row + 10 * j + 1, values.getFloat(k, 1), "batch " + b + " value " + k);
            }
            expectedSplits.add(k);
          }
          assertEquals(Shape.of(k, 2).toString(), values.shape().toString(), "batch " + b);
          assertArrayEquals(expectedSplits.stream().mapToLong(Long::longValue).toArray(), longs(splits), "batch " + b);
        }
        b++;
      }
      assertEquals(3, b);
    }
  }
}

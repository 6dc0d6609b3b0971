package io.tensorslab.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tensorslab.export.TestData.Dtype;
import io.tensorslab.testutil.NumPy;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.tensorflow.Operand;
import org.tensorflow.framework.data.Dataset;
import org.tensorflow.ndarray.NdArray;
import org.tensorflow.op.Ops;
import org.tensorflow.types.family.TType;

/**
 * Every dtype, several element structures and both execution modes: the exported bytes are the
 * dataset's bytes (NaN payloads, infinities and -0.0 included), NumPy reads them with and without
 * mmap, and the zero-copy views show the same values until the result is closed.
 */
class ExportDtypesTest {

  /** 10 rows of 3 items in batches of 4: two full batches and a short one. */
  @ParameterizedTest
  @EnumSource(Dtype.class)
  void everyDtypeRoundTripsInEagerAndGraphMode(Dtype dtype, @TempDir Path dir) throws Exception {
    byte[] bytes = dtype.bytes(30, dtype.ordinal());
    Function<Ops, Dataset> build = tf -> TestData.slices(tf, List.of(dtype.constant(tf, new long[] {10, 3}, bytes)),
        List.of(dtype.type), 4, false);
    MemorySegment segment;
    NdArray<?> view;
    try (ExportResult result = TestData.eager(build, dir.resolve("eager"), b -> b.names("x"))) {
      assertEquals(10, result.rows());
      assertEquals(3, result.batches());
      assertEquals(3, result.sourceCardinality());
      assertEquals(30L * dtype.size, result.bytes());
      ExportedArray x = result.array("x");
      assertEquals(dtype.descr, x.dtype().descr());
      assertArrayEquals(new long[] {10, 3}, x.shape());
      assertEquals(10, x.rows());
      segment = x.segment();
      assertArrayEquals(bytes, segment.toArray(ValueLayout.JAVA_BYTE));
      assertThrows(IllegalArgumentException.class, () -> x.segment().set(ValueLayout.JAVA_BYTE, 0, (byte) 1),
          "the segment is read-only");
      view = x.ndArray();
      assertArrayEquals(new long[] {10, 3}, view.shape().asArray());
      for (int r = 0; r < 10; r++) {
        for (int c = 0; c < 3; c++) {
          assertEquals(dtype.value(bytes, r * 3 + c), view.getObject(r, c), "row " + r + " col " + c);
        }
      }
    }
    IllegalStateException closed = assertThrows(IllegalStateException.class,
        () -> segment.get(ValueLayout.JAVA_BYTE, 0));
    assertEquals("Already closed", closed.getMessage());
    assertThrows(IllegalStateException.class, () -> view.getObject(0, 0));

    try (ExportResult result = TestData.graph(build, dir.resolve("graph"), b -> b.names("x"))) {
      assertEquals(10, result.rows());
      assertEquals(3, result.batches());
    }
    assertEquals(-1, Files.mismatch(dir.resolve("eager/x.npy"), dir.resolve("graph/x.npy")),
        "eager and graph mode wrote different bytes");

    Path raw = TestData.writeBytes(dir.resolve("x.raw"), bytes);
    List<String> args = new ArrayList<>(TestData.npyArgs(dir.resolve("eager/x.npy"), raw, dtype.descr, 10, 3));
    assertEquals("ok 1\n", NumPy.run(TestData.NPY_CHECK, args.toArray(String[]::new)));
  }

  /** 1, 2 and 5 components of different dtypes, default names, 7 rows in batches of 3. */
  @ParameterizedTest
  @ValueSource(ints = {1, 2, 5})
  void componentCounts(int components, @TempDir Path dir) throws Exception {
    Dtype[] all = Dtype.values();
    List<Dtype> dtypes = new ArrayList<>();
    List<byte[]> data = new ArrayList<>();
    for (int i = 0; i < components; i++) {
      Dtype d = all[(i * 2 + components) % all.length];
      dtypes.add(d);
      data.add(d.bytes(7 * 2, 100 + i));
    }
    Function<Ops, Dataset> build = tf -> {
      List<Operand<?>> ops = new ArrayList<>();
      List<Class<? extends TType>> types = new ArrayList<>();
      for (int i = 0; i < components; i++) {
        ops.add(dtypes.get(i).constant(tf, new long[] {7, 2}, data.get(i)));
        types.add(dtypes.get(i).type);
      }
      return TestData.slices(tf, ops, types, 3, false);
    };
    Path out = dir.resolve("out");
    List<String> args = new ArrayList<>();
    try (ExportResult result = TestData.eager(build, out, b -> b)) {
      assertEquals(components, result.arrays().size());
      assertEquals(7, result.rows());
      assertEquals(3, result.batches());
      for (int i = 0; i < components; i++) {
        ExportedArray a = result.arrays().get(i);
        assertEquals("component_" + i, a.name());
        assertEquals(out.resolve("component_" + i + ".npy").toAbsolutePath(), a.path());
        assertEquals(dtypes.get(i).descr, a.dtype().descr());
        assertArrayEquals(data.get(i), a.segment().toArray(ValueLayout.JAVA_BYTE), a.name());
        Path raw = TestData.writeBytes(dir.resolve(i + ".raw"), data.get(i));
        args.addAll(TestData.npyArgs(a.path(), raw, dtypes.get(i).descr, 7, 2));
      }
    }
    List<String> expectedFiles = new ArrayList<>();
    for (int i = 0; i < components; i++) {
      expectedFiles.add("component_" + i + ".npy");
    }
    expectedFiles.add("manifest.json");
    assertEquals(expectedFiles.stream().sorted().toList(), TestData.listing(out));
    assertEquals("ok " + components + "\n", NumPy.run(TestData.NPY_CHECK, args.toArray(String[]::new)));
  }

  /** A batch of scalars is a 1-d array: 9 float64 scalars in batches of 4 give shape (9,). */
  @Test
  void scalarRows(@TempDir Path dir) throws Exception {
    byte[] bytes = Dtype.FLOAT64.bytes(9, 7);
    Function<Ops, Dataset> build = tf -> TestData.slices(tf, List.of(Dtype.FLOAT64.constant(tf, new long[] {9}, bytes)),
        List.of(Dtype.FLOAT64.type), 4, false);
    try (ExportResult result = TestData.eager(build, dir.resolve("eager"), b -> b.names("s"))) {
      ExportedArray s = result.array("s");
      assertArrayEquals(new long[] {9}, s.shape());
      NdArray<?> view = s.ndArray();
      assertEquals(1, view.rank());
      assertEquals(Double.NaN, view.getObject(0));
      assertEquals(Double.NEGATIVE_INFINITY, view.getObject(2));
      assertEquals(-0.0, view.getObject(3));
      assertEquals(Dtype.FLOAT64.value(bytes, 8), view.getObject(8));
    }
    try (ExportResult result = TestData.graph(build, dir.resolve("graph"), b -> b.names("s"))) {
      assertEquals(9, result.rows());
    }
    assertEquals(-1, Files.mismatch(dir.resolve("eager/s.npy"), dir.resolve("graph/s.npy")));
    Path raw = TestData.writeBytes(dir.resolve("s.raw"), bytes);
    NumPy.run(TestData.NPY_CHECK, TestData.npyArgs(dir.resolve("eager/s.npy"), raw, "<f8", 9)
        .toArray(String[]::new));
  }

  /** Rank-4 rows: 5 int32 rows shaped (2, 3, 1, 4) in batches of 2, next to a uint8 rank-4 component. */
  @Test
  void rank4Rows(@TempDir Path dir) throws Exception {
    byte[] ints = Dtype.INT32.bytes(5 * 24, 11);
    byte[] small = Dtype.UINT8.bytes(5 * 8, 12);
    Function<Ops, Dataset> build = tf -> TestData.slices(tf,
        List.of(Dtype.INT32.constant(tf, new long[] {5, 2, 3, 1, 4}, ints),
            Dtype.UINT8.constant(tf, new long[] {5, 1, 2, 2, 2}, small)),
        List.of(Dtype.INT32.type, Dtype.UINT8.type), 2, false);
    try (ExportResult result = TestData.eager(build, dir.resolve("eager"), b -> b.names("t", "u"))) {
      assertArrayEquals(new long[] {5, 2, 3, 1, 4}, result.array("t").shape());
      assertArrayEquals(new long[] {5, 1, 2, 2, 2}, result.array("u").shape());
      assertEquals(3, result.batches());
      NdArray<?> t = result.array("t").ndArray();
      assertEquals(Dtype.INT32.value(ints, 4 * 24 + 1 * 12 + 2 * 4 + 3), t.getObject(4, 1, 2, 0, 3));
    }
    try (ExportResult result = TestData.graph(build, dir.resolve("graph"), b -> b.names("t", "u"))) {
      assertEquals(5, result.rows());
    }
    assertEquals(-1, Files.mismatch(dir.resolve("eager/t.npy"), dir.resolve("graph/t.npy")));
    assertEquals(-1, Files.mismatch(dir.resolve("eager/u.npy"), dir.resolve("graph/u.npy")));
    List<String> args = new ArrayList<>(TestData.npyArgs(dir.resolve("eager/t.npy"),
        TestData.writeBytes(dir.resolve("t.raw"), ints), "<i4", 5, 2, 3, 1, 4));
    args.addAll(TestData.npyArgs(dir.resolve("eager/u.npy"), TestData.writeBytes(dir.resolve("u.raw"), small), "|u1",
        5, 1, 2, 2, 2));
    assertEquals("ok 2\n", NumPy.run(TestData.NPY_CHECK, args.toArray(String[]::new)));
  }
}

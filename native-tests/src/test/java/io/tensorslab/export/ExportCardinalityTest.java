package io.tensorslab.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorslab.testutil.NumPy;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.tensorflow.framework.data.Dataset;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * Row counts: short last batches, drop_remainder, empty, unknown (filter) and infinite (repeat)
 * cardinality, row limits; the progress listener and manifest.json that report them.
 */
class ExportCardinalityTest {

  private static long[] longs(ExportedArray a) {
    return a.segment().toArray(ValueLayout.JAVA_LONG);
  }

  /** range(10).batch(4, dropRemainder): 10 rows in 3 batches, or 8 in 2. */
  @ParameterizedTest
  @CsvSource({"false, 10, 3", "true, 8, 2"})
  void shortLastBatchAndDropRemainder(boolean dropRemainder, long rows, long batches, @TempDir Path dir)
      throws Exception {
    try (ExportResult result = TestData.eager(tf -> TestData.range(tf, 0, 10).batch(4, dropRemainder), dir,
        b -> b.names("i"))) {
      assertEquals(rows, result.rows());
      assertEquals(batches, result.batches());
      assertEquals(batches, result.sourceCardinality());
      assertArrayEquals(LongStream.range(0, rows).toArray(), longs(result.array("i")));
    }
    NumPy.run("""
        a = np.load(sys.argv[1], mmap_mode='r')
        assert a.dtype == np.int64 and a.tolist() == list(range(int(sys.argv[2]))), a
        """, dir.resolve("i.npy").toString(), Long.toString(rows));
  }

  /** No rows at all: a valid .npy of shape (0,) and (0, 3), in both modes. */
  @Test
  void emptyDataset(@TempDir Path dir) throws Exception {
    Function<Ops, Dataset> build = tf -> Dataset.fromTensorSlices(tf,
        List.of(tf.constant(new long[0]), tf.zeros(tf.constant(new long[] {0, 3}), TFloat32.class)),
        List.of(TInt64.class, TFloat32.class)).batch(4);
    for (String mode : List.of("eager", "graph")) {
      Path out = dir.resolve(mode);
      try (ExportResult result = mode.equals("eager") ? TestData.eager(build, out, b -> b.names("i", "f"))
          : TestData.graph(build, out, b -> b.names("i", "f"))) {
        assertEquals(0, result.rows());
        assertEquals(0, result.batches());
        assertEquals(0, result.sourceCardinality());
        assertArrayEquals(new long[] {0}, result.array("i").shape());
        assertArrayEquals(new long[] {0, 3}, result.array("f").shape());
        assertEquals(0, result.array("f").segment().byteSize());
        assertEquals(0, result.array("f").ndArray().size());
      }
    }
    assertEquals(-1, Files.mismatch(dir.resolve("eager/f.npy"), dir.resolve("graph/f.npy")));
    Path empty = TestData.writeBytes(dir.resolve("empty.raw"), new byte[0]);
    List<String> args = new ArrayList<>(TestData.npyArgs(dir.resolve("eager/i.npy"), empty, "<i8", 0));
    args.addAll(TestData.npyArgs(dir.resolve("eager/f.npy"), empty, "<f4", 0, 3));
    assertEquals("ok 2\n", NumPy.run(TestData.NPY_CHECK, args.toArray(String[]::new)));
  }

  /**
   * UNKNOWN cardinality: range(3000).filter(x % 3 == 0).batch(2) keeps 1000 rows in 500 batches,
   * far beyond the 64 batches preallocated, so the slab grows; the file ends exactly at the last row.
   */
  @Test
  void unknownCardinalityGrowsAndTruncates(@TempDir Path dir) throws Exception {
    List<ExportProgress> progress = new ArrayList<>();
    Function<Ops, Dataset> build = tf -> {
      var keep = TestData.scalarFunction((f, x) -> f.math.equal(f.math.floorMod(x, f.constant(3L)), f.constant(0L)));
      var filtered = tf.data.filterDataset(TestData.range(tf, 0, 3000).getVariant(), List.of(), keep,
          List.of(TInt64.class), List.of(Shape.scalar()));
      return TestData.wrap(tf, filtered, TInt64.class, Shape.scalar()).batch(2);
    };
    try (ExportResult result = TestData.eager(build, dir, b -> b.names("i").listener(progress::add))) {
      assertEquals(-2, result.sourceCardinality());
      assertEquals(1000, result.rows());
      assertEquals(500, result.batches());
      assertArrayEquals(LongStream.range(0, 1000).map(x -> x * 3).toArray(), longs(result.array("i")));
    }
    assertEquals(500, progress.size());
    assertTrue(progress.stream().allMatch(p -> p.expectedRows() == -1 && !p.totalKnown()), "no total is known");
    NumPy.run(TestData.NPY_CHECK, TestData.npyArgs(dir.resolve("i.npy"), TestData.writeBytes(dir.resolve("raw"),
        bytesOf(LongStream.range(0, 1000).map(x -> x * 3).toArray())), "<i8", 1000).toArray(String[]::new));
  }

  private static byte[] bytesOf(long[] values) {
    var bb = java.nio.ByteBuffer.allocate(values.length * 8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    for (long v : values) {
      bb.putLong(v);
    }
    return bb.array();
  }

  private static Dataset repeated(Ops tf) {
    var range = TestData.range(tf, 0, 5).getVariant();
    var repeat = tf.data.repeatDataset(range, tf.constant(-1L), List.of(TInt64.class), List.of(Shape.scalar()));
    return TestData.wrap(tf, repeat, TInt64.class, Shape.scalar()).batch(4);
  }

  /** INFINITE cardinality (repeat()) without a limit is refused before any file is made. */
  @Test
  void infiniteWithoutLimitIsRefused(@TempDir Path dir) throws Exception {
    List<ExportProgress> progress = new ArrayList<>();
    ExportException e = assertThrows(ExportException.class,
        () -> TestData.eager(ExportCardinalityTest::repeated, dir, b -> b.listener(progress::add)));
    assertEquals("dataset is infinite (cardinality -1, e.g. after repeat()): call limit(n) to stop after n rows", e.getMessage());
    assertEquals(-1, e.batch());
    assertEquals(List.of(), progress);
    assertEquals(List.of(), TestData.listing(dir));
  }

  /** INFINITE with a limit: exactly the limit, on a batch boundary (8) or mid-batch (10), both modes. */
  @ParameterizedTest
  @CsvSource({"8, 2", "10, 3", "1, 1"})
  void infiniteWithLimit(long limit, long batches, @TempDir Path dir) throws Exception {
    long[] expected = LongStream.range(0, limit).map(x -> x % 5).toArray();
    List<ExportProgress> progress = new ArrayList<>();
    try (ExportResult result = TestData.eager(ExportCardinalityTest::repeated, dir.resolve("eager"),
        b -> b.names("i").limit(limit).listener(progress::add))) {
      assertEquals(-1, result.sourceCardinality());
      assertEquals(limit, result.rows());
      assertEquals(batches, result.batches());
      assertArrayEquals(expected, longs(result.array("i")));
    }
    assertEquals(limit, progress.getLast().rows());
    assertTrue(progress.stream().allMatch(p -> p.expectedRows() == limit), "a limit is the expected total");
    try (ExportResult result = TestData.graph(ExportCardinalityTest::repeated, dir.resolve("graph"),
        b -> b.names("i").limit(limit))) {
      assertEquals(limit, result.rows());
    }
    assertEquals(-1, Files.mismatch(dir.resolve("eager/i.npy"), dir.resolve("graph/i.npy")));
    NumPy.run(TestData.NPY_CHECK, TestData.npyArgs(dir.resolve("eager/i.npy"),
        TestData.writeBytes(dir.resolve("raw"), bytesOf(expected)), "<i8", limit).toArray(String[]::new));
  }

  /** A limit on a finite dataset: range(10).batch(4) limited to 6 rows reads 2 batches; 0 rows is valid too. */
  @ParameterizedTest
  @CsvSource({"6, 2", "0, 0", "100, 3"})
  void limitOnFiniteDataset(long limit, long batches, @TempDir Path dir) throws Exception {
    long rows = Math.min(limit, 10);
    List<ExportProgress> progress = new ArrayList<>();
    try (ExportResult result = TestData.eager(tf -> TestData.range(tf, 0, 10).batch(4), dir,
        b -> b.names("i").limit(limit).listener(progress::add))) {
      assertEquals(rows, result.rows());
      assertEquals(batches, result.batches());
      assertArrayEquals(LongStream.range(0, rows).toArray(), longs(result.array("i")));
      assertArrayEquals(new long[] {rows}, result.array("i").shape());
    }
    assertEquals(batches, progress.size());
    assertTrue(progress.stream().allMatch(p -> p.expectedRows() == Math.min(12, limit)), progress.toString());
    assertThrows(IllegalArgumentException.class, () -> TensorSlab.export(TestData.range(Ops.create(), 0, 1))
        .limit(-1));
  }

  /** One call per batch, rows and bytes growing, expectedRows = cardinality x batch size (12 for 10 rows in 3 batches of 4). */
  @Test
  void progressPerBatch(@TempDir Path dir) throws Exception {
    List<ExportProgress> progress = new ArrayList<>();
    Thread exporting = Thread.currentThread();
    List<Thread> threads = new ArrayList<>();
    Function<Ops, Dataset> build = tf -> Dataset.fromTensorSlices(tf,
        List.of(tf.range(tf.constant(0L), tf.constant(10L), tf.constant(1L)),
            tf.zeros(tf.constant(new long[] {10, 2}), TFloat32.class)), List.of(TInt64.class, TFloat32.class)).batch(4);
    try (ExportResult result = TestData.eager(build, dir, b -> b.listener(p -> {
      progress.add(p);
      threads.add(Thread.currentThread());
    }))) {
      assertEquals(10 * 8 + 10 * 8, result.bytes());
      assertEquals(List.of(1L, 2L, 3L), progress.stream().map(ExportProgress::batches).toList());
      assertEquals(List.of(4L, 8L, 10L), progress.stream().map(ExportProgress::rows).toList());
      assertEquals(List.of(64L, 128L, 160L), progress.stream().map(ExportProgress::bytes).toList());
      assertTrue(progress.stream().allMatch(p -> p.expectedRows() == 12 && p.totalKnown()), progress.toString());
      for (int i = 1; i < progress.size(); i++) {
        assertTrue(progress.get(i).elapsedNanos() >= progress.get(i - 1).elapsedNanos());
      }
      assertTrue(result.elapsedNanos() >= progress.getLast().elapsedNanos());
      assertTrue(threads.stream().allMatch(t -> t == exporting), "listener runs on the exporting thread");
    }
  }

  /** manifest.json, read by Python's json module, lists every array and the export's totals. */
  @Test
  void manifest(@TempDir Path dir) throws Exception {
    Function<Ops, Dataset> build = tf -> Dataset.fromTensorSlices(tf,
        List.of(tf.range(tf.constant(0L), tf.constant(10L), tf.constant(1L)),
            tf.zeros(tf.constant(new long[] {10, 2, 3}), TFloat32.class)), List.of(TInt64.class, TFloat32.class))
        .batch(4);
    double elapsed;
    try (ExportResult result = TestData.eager(build, dir, b -> b.names("ids", "pixels"))) {
      assertEquals(dir.toAbsolutePath().resolve("manifest.json"), result.manifest());
      elapsed = result.elapsedSeconds();
    }
    assertEquals(List.of("ids.npy", "manifest.json", "pixels.npy"), TestData.listing(dir));
    NumPy.run("""
        import json, os
        d = sys.argv[1]
        m = json.load(open(os.path.join(d, 'manifest.json')))
        assert set(m) == {'format', 'batches', 'rows', 'source_cardinality', 'elapsed_seconds', 'copy_seconds',
                          'arrays'}, m
        assert m['format'] == 'tensorslab-manifest/1', m
        assert (m['batches'], m['rows'], m['source_cardinality']) == (3, 10, 3), m
        assert isinstance(m['elapsed_seconds'], float) and 0 < m['elapsed_seconds'] <= float(sys.argv[2]) + 0.001, m
        assert isinstance(m['copy_seconds'], float) and 0 < m['copy_seconds'] <= m['elapsed_seconds'], m
        want = [dict(name='ids', component='ids', file='ids.npy', descr='<i8', shape=[10], rows=10),
                dict(name='pixels', component='pixels', file='pixels.npy', descr='<f4', shape=[10, 2, 3], rows=10)]
        assert m['arrays'] == want, m['arrays']
        for e in m['arrays']:
            a = np.load(os.path.join(d, e['file']), mmap_mode='r')
            assert a.dtype.str == e['descr'] and list(a.shape) == e['shape'], (e, a.dtype, a.shape)
        """, dir.toString(), Double.toString(elapsed));
  }
}

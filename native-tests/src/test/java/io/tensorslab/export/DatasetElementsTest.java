package io.tensorslab.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.tensorflow.EagerSession;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.exceptions.TFOutOfRangeException;
import org.tensorflow.framework.data.Dataset;
import org.tensorflow.framework.data.DatasetIterator;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TUint8;

/**
 * What the export reads as rows: a framework {@code Dataset.map} (which runs on the iterator side)
 * is in the export exactly as TF Java's own iteration gives it; a dataset whose elements look like
 * rows is refused unless declared {@code batched()} or exported {@code unbatched()}.
 */
class DatasetElementsTest {

  enum Mode { EAGER, GRAPH }

  /** A map on a batched dataset, as it is meant to be used. */
  private static final Function<Dataset, Dataset> DOUBLED = ds -> {
    Ops tf = ds.getOpsInstance();
    return ds.map(c -> List.of(tf.math.mul((Operand<TFloat32>) c.get(0), tf.constant(2f))));
  };

  /** A filter-like map: keeps the even values of each batch (batches shrink). */
  private static final Function<Dataset, Dataset> EVEN_ONLY = ds -> {
    Ops tf = ds.getOpsInstance();
    return ds.map(c -> {
      Operand<TFloat32> x = (Operand<TFloat32>) c.get(0);
      Operand<TBool> even = tf.math.equal(tf.math.floorMod(x, tf.constant(2f)), tf.constant(0f));
      return List.of(tf.booleanMask(x, even));
    });
  };

  /** Two maps chained. */
  private static final Function<Dataset, Dataset> DOUBLED_PLUS_ONE = ds -> {
    Ops tf = ds.getOpsInstance();
    return DOUBLED.apply(ds).map(c -> List.of(tf.math.add((Operand<TFloat32>) c.get(0), tf.constant(1f))));
  };

  /** {@code 0, 1, ..., 24} as float32, batched by 10. */
  private static Dataset batchedRange(Ops tf) {
    float[] values = new float[25];
    for (int i = 0; i < values.length; i++) {
      values[i] = i;
    }
    return Dataset.fromTensorSlices(tf, List.of(tf.constant(values)), List.of(TFloat32.class)).batch(10);
  }

  /** Every value the framework's own iteration gives, in order. */
  private static List<Float> iterated(Dataset ds, Session session) {
    List<Float> out = new ArrayList<>();
    if (session == null) {
      for (List<Operand<?>> element : ds) {
        TFloat32 t = (TFloat32) element.get(0).asTensor();
        t.scalars().forEach(s -> out.add(s.getFloat()));
      }
      return out;
    }
    DatasetIterator it = ds.makeInitializeableIterator();
    List<Operand<?>> next = it.getNext();
    session.run(it.getInitializer());
    while (true) {
      try (Result r = session.runner().fetch(next.get(0)).run()) {
        ((TFloat32) r.get(0)).scalars().forEach(s -> out.add(s.getFloat()));
      } catch (TFOutOfRangeException end) {
        return out;
      }
    }
  }

  private static List<Float> exported(Dataset ds, Session session, Path dir) throws Exception {
    ExportBuilder b = session == null ? TensorSlab.export(ds) : TensorSlab.export(ds, session);
    try (ExportResult r = b.to(dir).names("x").durable(false).run()) {
      List<Float> out = new ArrayList<>();
      for (float f : r.array("x").segment().toArray(ValueLayout.JAVA_FLOAT)) {
        out.add(f);
      }
      return out;
    }
  }

  private static void assertExportEqualsIteration(Mode mode, Function<Dataset, Dataset> transform, List<Float> expected,
      Path dir) throws Exception {
    if (mode == Mode.EAGER) {
      try (EagerSession s = EagerSession.create()) {
        Ops tf = Ops.create(s);
        assertEquals(expected, iterated(transform.apply(batchedRange(tf)), null));
        assertEquals(expected, exported(transform.apply(batchedRange(tf)), null, dir));
      }
    } else {
      try (Graph g = new Graph(); Session s = new Session(g)) {
        Ops tf = Ops.create(g);
        assertEquals(expected, iterated(transform.apply(batchedRange(tf)), s));
        assertEquals(expected, exported(transform.apply(batchedRange(tf)), s, dir));
      }
    }
  }

  private static List<Float> range(int n, Function<Integer, Float> f, java.util.function.IntPredicate keep) {
    List<Float> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      if (keep.test(i)) {
        out.add(f.apply(i));
      }
    }
    return out;
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void frameworkMapIsExported(Mode mode, @TempDir Path dir) throws Exception {
    assertExportEqualsIteration(mode, DOUBLED, range(25, i -> 2f * i, i -> true), dir);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void filterLikeFrameworkMapIsExported(Mode mode, @TempDir Path dir) throws Exception {
    assertExportEqualsIteration(mode, EVEN_ONLY, range(25, i -> (float) i, i -> i % 2 == 0), dir);
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void chainedFrameworkMapsAreExported(Mode mode, @TempDir Path dir) throws Exception {
    // whatever TF Java's own iteration makes of two chained maps, the export holds the same
    List<Float> expected;
    try (EagerSession s = EagerSession.create()) {
      expected = iterated(DOUBLED_PLUS_ONE.apply(batchedRange(Ops.create(s))), null);
    }
    assertEquals(25, expected.size());
    assertExportEqualsIteration(mode, DOUBLED_PLUS_ONE, expected, dir);
  }

  /** 50 images of 28 x 28, pixel (r, i, j) = (r + i + j) % 256, not batched. */
  private static Dataset images(Ops tf) {
    byte[][][] pixels = new byte[50][28][28];
    for (int r = 0; r < 50; r++) {
      for (int i = 0; i < 28; i++) {
        for (int j = 0; j < 28; j++) {
          pixels[r][i][j] = (byte) (r + i + j);
        }
      }
    }
    return Dataset.fromTensorSlices(tf, List.of(tf.constant(pixels)), List.of(TUint8.class));
  }

  @Test
  void elementsThatLookLikeRowsAreRefused(@TempDir Path dir) throws Exception {
    Ops tf = Ops.create();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TensorSlab.export(images(tf)).to(dir).names("images").run());
    assertEquals("the dataset does not look batched: every component has a fixed first dim [[28, 28]] and no"
        + " batching op made its elements (it ends in TensorSliceDataset), so dim 0 may be a dim of one row;"
        + " if each element is a batch of rows, declare it with batched(); if each element is one row, export it"
        + " row by row with unbatched()", e.getMessage());
    assertEquals(List.of(), TestData.listing(dir));
  }

  @Test
  void unbatchedExportsRowByRow(@TempDir Path dir) throws Exception {
    Ops tf = Ops.create();
    try (ExportResult r = TensorSlab.export(images(tf)).unbatched().to(dir).names("images").run()) {
      assertArrayEquals(new long[] {50, 28, 28}, r.array("images").shape());
      var pixels = r.array("images").byteArray();
      assertEquals((byte) (49 + 27 + 3), pixels.getByte(49, 27, 3));
      assertEquals((byte) 7, pixels.getByte(0, 3, 4));
    }
  }

  private static final List<Class<? extends org.tensorflow.types.family.TType>> TYPES = List.of(TUint8.class);
  private static final List<Shape> STATIC_BATCH = List.of(Shape.of(10, 28, 28));

  /** {@code images.batch(10, drop_remainder=True).prefetch(2)}, declared with the static batch dim Python gives. */
  private static Operand<?> staticBatchesPrefetched(Ops tf) {
    var batches = tf.data.batchDataset(images(tf).getVariant(), tf.constant(10L), tf.constant(true), TYPES,
        STATIC_BATCH);
    return tf.data.prefetchDataset(batches, tf.constant(2L), TYPES, STATIC_BATCH);
  }

  @Test
  void staticBatchesFromABatchingOpAreBatches(@TempDir Path dir) throws Exception {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      var prefetched = staticBatchesPrefetched(tf);
      // dim 0 is a static 10 on every component; the graph shows the batch op behind the prefetch
      try (ExportResult r = TensorSlab.export(prefetched, TYPES, STATIC_BATCH, s).to(dir).names("images").run()) {
        assertArrayEquals(new long[] {50, 28, 28}, r.array("images").shape());
      }
    }
  }

  @Test
  void batchedDeclaresWhatCannotBeSeen(@TempDir Path dir) throws Exception {
    Ops tf = Ops.create();
    // an eager op does not show its inputs: behind a prefetch the batch op cannot be found
    var prefetched = staticBatchesPrefetched(tf);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TensorSlab.export(prefetched, TYPES, STATIC_BATCH).to(dir.resolve("a")).run());
    assertTrue(e.getMessage().contains("(it ends in PrefetchDataset)"), e.getMessage());
    try (ExportResult r = TensorSlab.export(prefetched, TYPES, STATIC_BATCH).batched().to(dir.resolve("b"))
        .names("images").run()) {
      assertArrayEquals(new long[] {50, 28, 28}, r.array("images").shape());
    }
  }

  @Test
  void scalarComponentsStillNameTheirOwnProblem(@TempDir Path dir) {
    Ops tf = Ops.create();
    Dataset ds = Dataset.fromTensorSlices(tf, List.of(tf.constant(new long[] {1, 2, 3})),
        List.of(org.tensorflow.types.TInt64.class));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TensorSlab.export(ds).to(dir).names("y").run());
    assertTrue(e.getMessage().startsWith("component 'y' is a scalar per element"), e.getMessage());
    assertEquals(Shape.scalar(), ds.getOutputShapes().get(0));
  }
}

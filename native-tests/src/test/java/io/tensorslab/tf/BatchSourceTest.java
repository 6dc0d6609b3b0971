package io.tensorslab.tf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorslab.tf.TfEnv.Mode;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.tensorflow.Operand;
import org.tensorflow.Tensor;
import org.tensorflow.exceptions.TFInvalidArgumentException;
import org.tensorflow.framework.data.Dataset;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.types.TBfloat16;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat16;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TUint16;
import org.tensorflow.types.TUint8;
import org.tensorflow.types.family.TType;

class BatchSourceTest {

  static final List<Class<? extends TType>> FIXED_TYPES = List.of(TBool.class, TUint8.class, TUint16.class,
      TInt32.class, TInt64.class, TFloat16.class, TFloat32.class, TFloat64.class, TBfloat16.class);

  static Stream<Arguments> modeAndType() {
    return Stream.of(Mode.values()).flatMap(m -> FIXED_TYPES.stream().map(t -> Arguments.of(m, t)));
  }

  /** One batch copied out of TF memory: its shape and bytes per component. */
  record Batch(List<Shape> shapes, List<byte[]> bytes) {}

  static List<Batch> readAll(BatchSource source) throws DatasetReadException {
    List<Batch> out = new ArrayList<>();
    for (List<Tensor> batch; (batch = source.next()) != null; ) {
      List<Shape> shapes = new ArrayList<>();
      List<byte[]> bytes = new ArrayList<>();
      try {
        assertEquals(source.spec().componentCount(), batch.size());
        for (int c = 0; c < batch.size(); c++) {
          Tensor t = batch.get(c);
          assertEquals(TfDtypes.dataType(source.spec().type(c)), t.dataType(), "component " + c);
          shapes.add(t.shape());
          bytes.add(TensorBytes.of(t).toArray(ValueLayout.JAVA_BYTE));
        }
      } finally {
        batch.forEach(Tensor::close);
      }
      out.add(new Batch(shapes, bytes));
    }
    return out;
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("modeAndType")
  void everyDtypeComesThroughADatasetByteForByte(Mode mode, Class<? extends TType> type) throws Exception {
    long rows = 10;
    Shape element = Shape.of(2, 3);
    byte[] input = Fixtures.bytes(type, rows * element.size(), type.getName().hashCode());
    try (TfEnv env = TfEnv.of(mode)) {
      var slices = env.tf.data.tensorSliceDataset(
          List.of(env.constant(type, element.prepend(rows), input)), List.of(element));
      List<Class<? extends TType>> types = List.of(type);
      Operand<?> batched = env.batch(slices, 4, types, List.of(element));
      try (BatchSource source = env.open(batched, types, TfEnv.batched(List.of(element)))) {
        assertEquals(new DatasetSpec(types, List.of(Shape.of(-1, 2, 3)), 3), source.spec());
        List<Batch> batches = readAll(source);
        assertEquals(List.of(Shape.of(4, 2, 3), Shape.of(4, 2, 3), Shape.of(2, 2, 3)),
            batches.stream().map(b -> b.shapes().get(0)).toList());
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        batches.forEach(b -> all.writeBytes(b.bytes().get(0)));
        assertArrayEquals(input, all.toByteArray());
        assertEquals(3, source.batchesRead());
        assertNull(source.next(), "stays at the end");
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void cardinalityCountsBatchesAndTheShortLastBatchComesThrough(Mode mode) throws Exception {
    try (TfEnv env = TfEnv.of(mode)) {
      List<Class<? extends TType>> types = List.of(TInt64.class);
      Operand<?> batched = env.batch(env.range(0, 1000), 64, types, List.of(Shape.scalar()));
      try (BatchSource source = env.open(batched, types, List.of(Shape.of(-1)))) {
        assertEquals(16, source.spec().cardinality()); // ceil(1000 / 64)
        assertTrue(source.spec().hasKnownCardinality());
        List<Batch> batches = readAll(source);
        assertEquals(16, batches.size());
        assertEquals(Shape.of(1000 - 15 * 64), batches.get(15).shapes().get(0));
        long expected = 0;
        for (Batch b : batches) {
          for (long v : MemorySegment.ofArray(b.bytes().get(0)).toArray(ValueLayout.JAVA_LONG_UNALIGNED)) {
            assertEquals(expected++, v);
          }
        }
        assertEquals(1000, expected);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void filterMakesCardinalityUnknownAndKeepsTheRightElements(Mode mode) throws Exception {
    try (TfEnv env = TfEnv.of(mode)) {
      List<Class<? extends TType>> types = List.of(TInt64.class);
      Operand<?> evens = env.filterInt64(env.range(0, 100),
          f -> x -> f.math.equal(f.math.mod(x, f.constant(3L)), f.constant(0L)));
      Operand<?> batched = env.batch(evens, 8, types, List.of(Shape.scalar()));
      try (BatchSource source = env.open(batched, types, List.of(Shape.of(-1)))) {
        assertEquals(DatasetSpec.UNKNOWN, source.spec().cardinality());
        assertTrue(!source.spec().hasKnownCardinality() && !source.spec().isInfinite());
        long[] values = readAll(source).stream()
            .flatMapToLong(b -> java.util.Arrays.stream(MemorySegment.ofArray(b.bytes().get(0)).toArray(ValueLayout.JAVA_LONG_UNALIGNED)))
            .toArray();
        assertArrayEquals(java.util.stream.LongStream.range(0, 34).map(i -> i * 3).toArray(), values);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void repeatMakesCardinalityInfiniteAndIterationWraps(Mode mode) throws Exception {
    try (TfEnv env = TfEnv.of(mode)) {
      List<Class<? extends TType>> types = List.of(TInt64.class);
      Operand<?> repeated = env.tf.data.repeatDataset(env.range(0, 5), env.tf.constant(-1L), types,
          List.of(Shape.scalar()));
      Operand<?> batched = env.batch(repeated, 3, types, List.of(Shape.scalar()));
      try (BatchSource source = env.open(batched, types, List.of(Shape.of(-1)))) {
        assertEquals(DatasetSpec.INFINITE, source.spec().cardinality());
        assertTrue(source.spec().isInfinite());
        long[] seen = new long[12];
        for (int b = 0; b < 4; b++) {
          List<Tensor> batch = source.next();
          try {
            MemorySegment.copy(TensorBytes.of(batch.get(0)), ValueLayout.JAVA_LONG, 0, seen, b * 3, 3);
          } finally {
            batch.forEach(Tensor::close);
          }
        }
        assertArrayEquals(new long[] {0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1}, seen);
      }
    }
  }

  /** x -> (float32[4] {x, x/2, -x, x*x}, x + 1): a map that changes the element structure. */
  static Operand<?> twoComponentPipeline(TfEnv env, long n, long batch) {
    List<Class<? extends TType>> types = List.of(TFloat32.class, TInt64.class);
    Operand<?> mapped = env.mapInt64(env.range(0, n), f -> x -> {
      var xf = f.dtypes.cast(x, TFloat32.class);
      Operand<TFloat32> vec = f.stack(List.of(xf, f.math.div(xf, f.constant(2f)), f.math.neg(xf), f.math.mul(xf, xf)));
      return List.of(vec, f.math.add(x, f.constant(1L)));
    }, types, List.of(Shape.of(4), Shape.scalar()));
    return env.batch(mapped, batch, types, List.of(Shape.of(4), Shape.scalar()));
  }

  @Test
  void eagerAndGraphProduceIdenticalBatches() throws Exception {
    List<Class<? extends TType>> types = List.of(TFloat32.class, TInt64.class);
    List<Shape> shapes = List.of(Shape.of(-1, 4), Shape.of(-1));
    List<Batch> eager;
    List<Batch> graph;
    try (TfEnv env = TfEnv.of(Mode.EAGER); BatchSource s = env.open(twoComponentPipeline(env, 1003, 100), types, shapes)) {
      assertEquals(11, s.spec().cardinality());
      eager = readAll(s);
    }
    try (TfEnv env = TfEnv.of(Mode.GRAPH); BatchSource s = env.open(twoComponentPipeline(env, 1003, 100), types, shapes)) {
      assertEquals(11, s.spec().cardinality());
      graph = readAll(s);
    }
    assertEquals(11, eager.size());
    assertEquals(eager.size(), graph.size());
    for (int b = 0; b < eager.size(); b++) {
      assertEquals(eager.get(b).shapes(), graph.get(b).shapes(), "batch " + b);
      for (int c = 0; c < 2; c++) {
        assertArrayEquals(eager.get(b).bytes().get(c), graph.get(b).bytes().get(c), "batch " + b + " component " + c);
      }
    }
    Batch last = eager.get(10);
    assertEquals(List.of(Shape.of(3, 4), Shape.of(3)), last.shapes());
    float[] v = MemorySegment.ofArray(last.bytes().get(0)).toArray(ValueLayout.JAVA_FLOAT_UNALIGNED);
    assertArrayEquals(new float[] {1000, 500, -1000, 1_000_000, 1001, 500.5f, -1001, 1001 * 1001f}, java.util.Arrays.copyOf(v, 8));
    assertArrayEquals(new long[] {1001, 1002, 1003}, MemorySegment.ofArray(last.bytes().get(1)).toArray(ValueLayout.JAVA_LONG_UNALIGNED));
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void frameworkDatasetOpensWithItsOwnTypesAndShapes(Mode mode) throws Exception {
    try (TfEnv env = TfEnv.of(mode)) {
      Dataset ds = Dataset.fromTensorSlices(env.tf,
          List.of(env.tf.constant(new int[][] {{1, 2}, {3, 4}, {5, 6}}), env.tf.constant(new float[] {0.5f, 1.5f, 2.5f})),
          List.of(TInt32.class, TFloat32.class)).batch(2);
      try (BatchSource source = env.open(ds)) {
        assertEquals(List.of(TInt32.class, TFloat32.class), source.spec().types());
        assertEquals(2, source.spec().cardinality());
        List<Batch> batches = readAll(source);
        assertArrayEquals(new int[] {1, 2, 3, 4}, MemorySegment.ofArray(batches.get(0).bytes().get(0)).toArray(ValueLayout.JAVA_INT_UNALIGNED));
        assertArrayEquals(new float[] {2.5f}, MemorySegment.ofArray(batches.get(1).bytes().get(1)).toArray(ValueLayout.JAVA_FLOAT_UNALIGNED));
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aFailingMapFunctionNamesTheBatch(Mode mode) throws Exception {
    try (TfEnv env = TfEnv.of(mode)) {
      List<Class<? extends TType>> types = List.of(TInt64.class);
      // 100 / (x - 73): integer division by zero at element 73, which is in batch 7 of 10-element batches
      Operand<?> mapped = env.mapInt64(env.range(0, 100),
          f -> x -> List.of(f.math.div(f.constant(100L), f.math.sub(x, f.constant(73L)))),
          types, List.of(Shape.scalar()));
      Operand<?> batched = env.batch(mapped, 10, types, List.of(Shape.scalar()));
      try (BatchSource source = env.open(batched, types, List.of(Shape.of(-1)))) {
        for (int b = 0; b < 7; b++) {
          List<Tensor> batch = source.next();
          assertNotNull(batch);
          batch.forEach(Tensor::close);
        }
        DatasetReadException e = assertThrows(DatasetReadException.class, source::next);
        assertEquals(7, e.batch());
        assertTrue(e.getMessage().startsWith("reading batch 7 failed: "), e.getMessage());
        assertTrue(e.getMessage().contains("Integer division by zero"), e.getMessage());
        assertInstanceOf(TFInvalidArgumentException.class, e.getCause());
        IllegalStateException again = assertThrows(IllegalStateException.class, source::next);
        assertTrue(again.getMessage().contains("failed at batch 7"), again.getMessage());
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void nextAfterCloseIsAnIllegalStateAndCloseIsIdempotent(Mode mode) throws Exception {
    try (TfEnv env = TfEnv.of(mode)) {
      List<Class<? extends TType>> types = List.of(TInt64.class);
      BatchSource source = env.open(env.batch(env.range(0, 10), 4, types, List.of(Shape.scalar())), types,
          List.of(Shape.of(-1)));
      source.close();
      source.close();
      IllegalStateException e = assertThrows(IllegalStateException.class, source::next);
      assertTrue(e.getMessage().startsWith("batch source is closed"), e.getMessage());
    }
  }

  @Test
  void wrongModeIsRejectedWithAClearMessage() throws Exception {
    List<Class<? extends TType>> types = List.of(TInt64.class);
    try (TfEnv graph = TfEnv.of(Mode.GRAPH); TfEnv eager = TfEnv.of(Mode.EAGER)) {
      Operand<?> g = graph.range(0, 3);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> BatchSource.open(g, types, List.of(Shape.scalar())));
      assertTrue(e.getMessage().contains("is a graph node"), e.getMessage());
      Operand<?> ev = eager.range(0, 3);
      e = assertThrows(IllegalArgumentException.class,
          () -> BatchSource.open(ev, types, List.of(Shape.scalar()), graph.session()));
      assertTrue(e.getMessage().contains("it is eager"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> BatchSource.open(g, types, List.of(), graph.session()));
      assertTrue(e.getMessage().contains("1 types, 0 shapes"), e.getMessage());
    }
  }
}

package io.tensorslab.tf;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tensorslab.tf.TfEnv.Mode;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.tensorflow.Operand;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.family.TType;

/**
 * Eager vs graph iteration speed over 2,000,000 x 32 float32 in batches of 1024, with nothing done
 * to the batches but checking their size. Slow and machine-dependent, so off by default:
 *
 * <pre>./build -q -pl native-tests -am test -Dtest='IterationTimingTest' -Dtensorslab.timing=true \
 *     -Dsurefire.failIfNoSpecifiedTests=false</pre>
 */
@EnabledIfSystemProperty(named = "tensorslab.timing", matches = "true")
class IterationTimingTest {

  static final long ROWS = 2_000_000;
  static final int WIDTH = 32;
  static final long BATCH = 1024;
  static final List<Class<? extends TType>> TYPES = List.of(TFloat32.class);
  static final List<Shape> BATCH_SHAPES = List.of(Shape.of(-1, WIDTH));

  /** range(ROWS).map(x -> fill([32], float(x))).batch(1024) */
  static Operand<?> rangeMap(TfEnv env) {
    Operand<?> rows = env.mapInt64(env.range(0, ROWS),
        f -> x -> List.of(f.fill(f.constant(new int[] {WIDTH}), f.dtypes.cast(x, TFloat32.class))),
        TYPES, List.of(Shape.of(WIDTH)));
    return env.batch(rows, BATCH, TYPES, List.of(Shape.of(WIDTH)));
  }

  /** from_tensor_slices(float32[ROWS, 32]).batch(1024), the seed's pipeline */
  static Operand<?> slices(TfEnv env) {
    byte[] data = Fixtures.bytes(TFloat32.class, ROWS * WIDTH, 11);
    Operand<?> rows = env.tf.data.tensorSliceDataset(
        List.of(env.constant(TFloat32.class, Shape.of(ROWS, WIDTH), data)), List.of(Shape.of(WIDTH)));
    return env.batch(rows, BATCH, TYPES, List.of(Shape.of(WIDTH)));
  }

  static double secondsToIterate(TfEnv env, Operand<?> dataset) throws Exception {
    long start = System.nanoTime();
    long rows = 0;
    try (BatchSource source = env.open(dataset, TYPES, BATCH_SHAPES)) {
      for (List<Tensor> batch; (batch = source.next()) != null; ) {
        try {
          rows += TensorBytes.of(batch.get(0)).byteSize() / (4 * WIDTH);
        } finally {
          batch.forEach(Tensor::close);
        }
      }
    }
    assertEquals(ROWS, rows);
    return (System.nanoTime() - start) / 1e9;
  }

  record Pipeline(String name, Function<TfEnv, Operand<?>> build) {}

  @Test
  void eagerVersusGraph() throws Exception {
    for (Pipeline p : List.of(new Pipeline("slices", IterationTimingTest::slices),
        new Pipeline("range+map", IterationTimingTest::rangeMap))) {
      for (Mode mode : Mode.values()) {
        try (TfEnv env = TfEnv.of(mode)) {
          Operand<?> dataset = p.build().apply(env);
          double first = secondsToIterate(env, dataset);
          double second = secondsToIterate(env, dataset);
          double third = secondsToIterate(env, dataset);
          System.out.printf("timing %-9s %-5s: %.2f s, %.2f s, %.2f s (%,d batches of %d x %d float32)%n",
              p.name(), mode, first, second, third, (ROWS + BATCH - 1) / BATCH, BATCH, WIDTH);
        }
      }
    }
  }
}

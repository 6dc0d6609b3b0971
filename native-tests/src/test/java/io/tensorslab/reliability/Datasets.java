package io.tensorslab.reliability;

import java.util.List;
import java.util.Random;
import org.tensorflow.ConcreteFunction;
import org.tensorflow.Operand;
import org.tensorflow.Signature;
import org.tensorflow.framework.data.Dataset;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TType;

/**
 * Deterministic test datasets of any size without holding them on the Java heap: a block of
 * {@code base} seeded random float rows repeated until {@code rows}, zipped with the row index
 * (int64), so that every row differs and a misplaced or missing batch changes the output's hash.
 */
final class Datasets {
  private Datasets() {}

  static final List<Class<? extends TType>> TYPES = List.of(TFloat32.class, TInt64.class);

  /**
   * {@code x: float32[rows, width]}, {@code i: int64[rows]} in batches of {@code batch}. With
   * {@code knownCardinality} false a pass-everything filter hides the cardinality (TensorFlow
   * reports UNKNOWN), so the exporter has to grow its slabs.
   */
  static Dataset indexed(Ops tf, long rows, int width, long batch, boolean knownCardinality) {
    int base = (int) Math.min(rows, 4096);
    float[] block = new float[base * width];
    Random random = new Random(20240607L + width);
    for (int k = 0; k < block.length; k++) {
      block[k] = random.nextFloat();
    }
    var x = tf.constant(Shape.of(base, width), DataBuffers.of(block, true, false));
    List<Shape> elementShapes = List.of(Shape.of(width), Shape.scalar());
    Operand<? extends TType> xs = tf.data.tensorSliceDataset(List.of(x), List.of(Shape.of(width)));
    long repeats = (rows + base - 1) / base;
    xs = tf.data.repeatDataset(xs, tf.constant(repeats), List.of(TFloat32.class), List.of(Shape.of(width)));
    xs = tf.data.takeDataset(xs, tf.constant(rows), List.of(TFloat32.class), List.of(Shape.of(width)));
    Operand<? extends TType> is = tf.data.rangeDataset(tf.constant(0L), tf.constant(rows), tf.constant(1L),
        List.of(TInt64.class), List.of(Shape.scalar()));
    Operand<? extends TType> zipped = tf.data.zipDataset(List.of(xs, is), TYPES, elementShapes);
    if (!knownCardinality) {
      try (ConcreteFunction keep = ConcreteFunction.create(ftf -> {
        Placeholder<TFloat32> row = ftf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(width)));
        Placeholder<TInt64> index = ftf.placeholder(TInt64.class, Placeholder.shape(Shape.scalar()));
        return Signature.builder().input("row", row).input("index", index)
            .output("keep", ftf.math.greaterEqual(index, ftf.constant(0L))).build();
      })) {
        zipped = tf.data.filterDataset(zipped, List.of(), keep, TYPES, elementShapes);
      }
    }
    Dataset elements = new Dataset(tf, zipped, TYPES, elementShapes) {};
    return elements.batch(batch);
  }
}

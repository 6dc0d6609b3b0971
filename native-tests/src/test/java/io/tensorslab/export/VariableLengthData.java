package io.tensorslab.export;

import java.util.List;
import org.tensorflow.ConcreteFunction;
import org.tensorflow.Operand;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.data.MapDataset;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TType;

/**
 * Datasets whose elements vary in length, built the way a TF user builds them: {@code range},
 * a structure-changing {@code map} (raw op, see TFJAVA-NOTES), then {@code padded_batch}.
 * The same rows are rebuilt in Python by {@link #PYTHON}.
 */
final class VariableLengthData {
  private VariableLengthData() {}

  static final List<Class<? extends TType>> TYPES = List.of(TInt64.class);

  /** Python twin: {@code batches(n, b)} gives the padded batches {@link #rows1d} produces. */
  static final String PYTHON = """
      def rows1d(n):
          return [np.arange(i % 5 + 1, dtype=np.int64) + 100 * i for i in range(n)]
      def rows2d(n):
          return [(np.arange((i % 3 + 1) * (i // 3 % 2 + 1), dtype=np.int64) + 100 * i).reshape(i % 3 + 1, i // 3 % 2 + 1)
                  for i in range(n)]
      def padded_batches(rows, b):
          out = []
          for s in range(0, len(rows), b):
              g = rows[s:s + b]
              shape = tuple(max(x.shape[d] for x in g) for d in range(g[0].ndim))
              out.append(np.stack([np.pad(x, [(0, m - k) for k, m in zip(x.shape, shape)]) for x in g]))
          return out
      def pad_all(bs, value=0, shape=None):
          shape = shape or tuple(max(b.shape[d + 1] for b in bs) for d in range(bs[0].ndim - 1))
          return np.concatenate([np.pad(b, [(0, 0)] + [(0, m - k) for k, m in zip(b.shape[1:], shape)],
                                        constant_values=value) for b in bs])
      """;

  /** Element i: {@code arange(i % 5 + 1) + 100 i} (int64); padded_batch(batch). Shape [-1, -1]. */
  static Operand<?> rows1d(Ops tf, long n, long batch) {
    ConcreteFunction fn = ConcreteFunction.create(g -> {
      var x = g.placeholder(TInt64.class, Placeholder.shape(Shape.scalar()));
      var len = g.math.add(g.math.mod(x, g.constant(5L)), g.constant(1L));
      var row = g.math.add(g.range(g.constant(0L), len, g.constant(1L)), g.math.mul(x, g.constant(100L)));
      return Signature.builder().input("x", x).output("y", row).build();
    });
    return paddedBatch(tf, map(tf, n, fn, Shape.of(-1)), batch, 1);
  }

  /** Element i: {@code (arange(a*b) + 100 i).reshape(a, b)}, a = i % 3 + 1, b = i // 3 % 2 + 1; padded_batch. */
  static Operand<?> rows2d(Ops tf, long n, long batch) {
    ConcreteFunction fn = ConcreteFunction.create(g -> {
      var x = g.placeholder(TInt64.class, Placeholder.shape(Shape.scalar()));
      var a = g.math.add(g.math.mod(x, g.constant(3L)), g.constant(1L));
      var b = g.math.add(g.math.mod(g.math.floorDiv(x, g.constant(3L)), g.constant(2L)), g.constant(1L));
      var flat = g.math.add(g.range(g.constant(0L), g.math.mul(a, b), g.constant(1L)),
          g.math.mul(x, g.constant(100L)));
      var row = g.reshape(flat, g.stack(List.of(a, b)));
      return Signature.builder().input("x", x).output("y", row).build();
    });
    return paddedBatch(tf, map(tf, n, fn, Shape.of(-1, -1)), batch, 2);
  }

  static Shape batchShape(int rank) {
    long[] dims = new long[rank + 1];
    java.util.Arrays.fill(dims, -1);
    return Shape.of(dims);
  }

  private static Operand<?> map(Ops tf, long n, ConcreteFunction fn, Shape elementShape) {
    var range = tf.data.rangeDataset(tf.constant(0L), tf.constant(n), tf.constant(1L), TYPES,
        List.of(Shape.scalar()));
    return tf.data.mapDataset(range, List.of(), fn, TYPES, List.of(elementShape), MapDataset.preserveCardinality(true));
  }

  private static Operand<?> paddedBatch(Ops tf, Operand<?> input, long batch, int rank) {
    long[] unknown = new long[rank];
    java.util.Arrays.fill(unknown, -1);
    return tf.data.paddedBatchDataset(input, tf.constant(batch), List.of(tf.constant(unknown)),
        List.of(tf.constant(0L)), tf.constant(false), List.of(batchShape(rank)));
  }
}

package io.tensorslab.export;

import java.nio.file.Path;
import java.util.List;
import org.tensorflow.ConcreteFunction;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.framework.data.Dataset;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.data.MapDataset;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * Exports {@code rows x 4096} float32 ({@code rows = 65536}: 1 GiB) to {@code args[0]}, run by
 * {@link ExportLargeTest} in a JVM with a small heap. Row {@code r} holds {@code c - r} at column
 * {@code c}: exact in float32 and different in every row. Prints {@code rows=N bytes=N} on success.
 *
 * <p>Usage: {@code LargeExportMain DIR [eager|graph] [rows]}.
 */
public final class LargeExportMain {
  static final int COLUMNS = 4096;
  static final int BATCH = 256;

  private LargeExportMain() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    boolean graph = args.length > 1 && args[1].equals("graph");
    long rows = args.length > 2 ? Long.parseLong(args[2]) : 65_536;
    ExportResult result;
    if (graph) {
      try (Graph g = new Graph(); Session session = new Session(g)) {
        result = TensorSlab.export(dataset(Ops.create(g), rows), session).to(dir).names("x").durable(false).run();
      }
    } else {
      result = TensorSlab.export(dataset(Ops.create(), rows)).to(dir).names("x").durable(false).run();
    }
    try (result) {
      System.out.println("rows=" + result.rows() + " bytes=" + result.bytes() + " batches=" + result.batches()
          + " maxHeap=" + Runtime.getRuntime().maxMemory());
    }
  }

  /** {@code range(rows).map(r -> float32(arange(4096) - r)).batch(256)}. */
  static Dataset dataset(Ops tf, long rows) {
    ConcreteFunction row = ConcreteFunction.create(f -> {
      var r = f.placeholder(TInt64.class, Placeholder.shape(Shape.scalar()));
      var values = f.dtypes.cast(f.math.sub(f.range(f.constant(0L), f.constant((long) COLUMNS), f.constant(1L)), r),
          TFloat32.class);
      return Signature.builder().input("r", r).output("values", values).build();
    });
    var range = tf.data.rangeDataset(tf.constant(0L), tf.constant(rows), tf.constant(1L), List.of(TInt64.class),
        List.of(Shape.scalar()));
    var mapped = tf.data.mapDataset(range, List.of(), row, List.of(TFloat32.class), List.of(Shape.of(COLUMNS)),
        MapDataset.preserveCardinality(true));
    return new Dataset(tf, mapped, List.of(TFloat32.class), List.of(Shape.of(COLUMNS))) {}.batch(BATCH);
  }
}

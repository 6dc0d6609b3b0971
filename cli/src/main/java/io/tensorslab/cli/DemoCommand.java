package io.tensorslab.cli;

import io.tensorslab.cli.args.Command;
import io.tensorslab.cli.args.CommandSpec;
import io.tensorslab.cli.args.Converter;
import io.tensorslab.cli.args.UsageException;
import io.tensorslab.export.ExportResult;
import io.tensorslab.export.TensorSlab;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import org.tensorflow.ConcreteFunction;
import org.tensorflow.EagerSession;
import org.tensorflow.Operand;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.data.ParallelMapDataset;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TUint8;
import org.tensorflow.types.family.TType;
import io.tensorslab.store.StoreFormat;

/**
 * {@code tensorslab demo}: builds an MNIST-sized dataset in TF Java itself — {@code range → batch →
 * map}, no files, no network — exports it, and says how to open it from Python.
 */
final class DemoCommand extends Command {
  static final int SIDE = 28;
  static final long BATCH = 1024;

  // Set from the arguments as spec() declares them; a default is the field's initial value.
  Path out = Path.of("tensorslab-demo");

  long rows = 60000;

  final OutputFormatOptions output = new OutputFormatOptions();

  boolean quiet;

  @Override
  protected CommandSpec spec() {
    return new CommandSpec("Builds an MNIST-sized dataset in TensorFlow Java and exports it.",
        "Builds N 28x28 uint8 images and int64 labels with a tf.data pipeline in TensorFlow Java "
        + "(range -> batch -> map, no files, no network), exports them to DIR/images.npy and DIR/labels.npy, "
        + "and prints a summary and the Python line that opens the result.",
        "", "Overwrites images.npy, labels.npy and manifest.json in DIR (its own earlier output).")
        .value("--out", "DIR", Converter.PATH, v -> out = v,
            "Output directory (default: ./tensorslab-demo); its parent must exist.")
        .value("--rows", "N", Converter.LONG, v -> rows = v, "Number of images (default: 60000).")
        .include(output::declare)
        .flag("--quiet", () -> quiet = true, "No progress bar.")
        .footer("", "Exit codes: 0 ok, 1 failure (one line on stderr), 2 usage error.");
  }

  @Override
  public Integer call() throws Exception {
    StoreFormat format = output.storeFormat();
    if (rows < 1) {
      throw new UsageException("Invalid value for option '--rows': must be at least 1, got " + rows);
    }
    PrintWriter stdout = stdout();
    PrintWriter stderr = stderr();
    EagerSession session = EagerSession.create();
    try {
      Ops tf = Ops.create(session);
      List<Class<? extends TType>> types = List.of(TUint8.class, TInt64.class);
      Operand<? extends TType> dataset = dataset(tf, rows);
      List<Shape> shapes = List.of(Shape.of(-1, SIDE, SIDE), Shape.of(-1));
      try (ExportResult result = ExportRun.run(
          // The pipeline has no AUTOTUNE stage (its parallelism is fixed), so tf.data autotuning only costs a
          // wait when the iterator closes (docs/benchmarks.md).
          TensorSlab.export(dataset, types, shapes).names("images", "labels").overwrite(true).autotune(false)
              .format(format),
          out, rows, quiet, stderr)) {
        stdout.println("tensorslab demo: " + rows + " synthetic 28x28 images and labels, made by a TF Java "
            + "tf.data pipeline (range -> batch(" + BATCH + ") -> map, vectorized)");
        ExportRun.printSummary(stdout, result, format);
        stdout.println("open it in Python" + (format.equals(StoreFormat.NPY) ? " (no copy):" : ":"));
        stdout.println("  " + ExportRun.pythonOpen(result, format));
        stdout.flush();
      }
    } finally {
      TensorSlabCommand.release(session);
    }
    return 0;
  }

  /**
   * {@code range(rows) → batch(1024) → map(indices → (images, labels))}: the map runs once per
   * batch on a vector of indices (every op in {@link #examples} is element-wise or a gather), not
   * once per example, so the demo's time goes to the export rather than to TensorFlow's per-call
   * cost — the values are the same as a per-example map's. The map changes the element structure,
   * so it is the raw {@code ParallelMapDataset} op (the framework's {@code Dataset.map} would report
   * the input's types); {@code preserveCardinality} keeps the row count known ahead.
   */
  static Operand<? extends TType> dataset(Ops tf, long rows) {
    List<Class<? extends TType>> types = List.of(TUint8.class, TInt64.class);
    Operand<? extends TType> range = tf.data.rangeDataset(tf.constant(0L), tf.constant(rows), tf.constant(1L),
        List.of(TInt64.class), List.of(Shape.scalar()));
    Operand<? extends TType> indices = tf.data.batchDataset(range, tf.constant(BATCH), tf.constant(false),
        List.of(TInt64.class), List.of(Shape.of(-1)));
    // The function is copied into the eager context's library when the op is made.
    try (ConcreteFunction examples = ConcreteFunction.create(DemoCommand::examples)) {
      return tf.data.parallelMapDataset(indices, List.of(), tf.constant((long) Runtime.getRuntime().availableProcessors()),
          examples, types, List.of(Shape.of(-1, SIDE, SIDE), Shape.of(-1)),
          ParallelMapDataset.preserveCardinality(true), ParallelMapDataset.deterministic("true"));
    }
  }

  /** Blob positions per label: 5 horizontal jitters x 5 vertical; faint stripes repeat every 23 images. */
  private static final int JITTER = 5;
  private static final int STRIPES = 23;

  /**
   * One example from its index: a label from a multiplicative hash of the index, and an image of a
   * blurred blob whose place depends on the label, jittered by the index, over faint stripes —
   * something that looks like data in a plot, every pixel value 0..255. The 5 750 possible images
   * are drawn once in Java and the map picks one per index ({@code Gather}). Takes a vector of
   * indices (a batch) and gives a batch of images and labels.
   */
  private static Signature examples(Ops tf) {
    Placeholder<TInt64> i = tf.placeholder(TInt64.class, Placeholder.shape(Shape.of(-1)));
    Operand<TInt64> label = tf.math.floorMod(
        tf.math.floorDiv(tf.math.mul(i, tf.constant(2_654_435_761L)), tf.constant(65_536L)), tf.constant(10L));
    // index = ((label * 5 + i % 5) * 5 + (i / 5) % 5) * 23 + i % 23
    Operand<TInt64> five = tf.constant((long) JITTER);
    Operand<TInt64> k = tf.math.add(tf.math.mul(label, five), tf.math.floorMod(i, five));
    k = tf.math.add(tf.math.mul(k, five), tf.math.floorMod(tf.math.floorDiv(i, five), five));
    k = tf.math.add(tf.math.mul(k, tf.constant((long) STRIPES)), tf.math.floorMod(i, tf.constant((long) STRIPES)));
    Operand<TUint8> image = tf.gather(tf.constant(IMAGES.get()), k, tf.constant(0));
    // Outputs named so that name order is component order.
    return Signature.builder().input("index", i).output("c0_image", image).output("c1_label", label).build();
  }

  private static final java.util.function.Supplier<byte[][][]> IMAGES = () -> {
    byte[][][] images = new byte[10 * JITTER * JITTER * STRIPES][SIDE][SIDE];
    int n = 0;
    for (int label = 0; label < 10; label++) {
      for (int jx = 0; jx < JITTER; jx++) {
        for (int jy = 0; jy < JITTER; jy++) {
          double cx = 6 + 4 * (label % 5) + jx;
          double cy = 7 + 10 * (label / 5) + jy;
          for (int stripe = 0; stripe < STRIPES; stripe++, n++) {
            for (int y = 0; y < SIDE; y++) {
              for (int x = 0; x < SIDE; x++) {
                double d2 = (y - cy) * (y - cy) + (x - cx) * (x - cx);
                double v = 255 * Math.exp(-d2 / 18) + Math.floorMod(y * 31 + x * 17 + stripe * 13, STRIPES);
                images[n][y][x] = (byte) Math.min(255, (int) v);
              }
            }
          }
        }
      }
    }
    return images;
  };
}

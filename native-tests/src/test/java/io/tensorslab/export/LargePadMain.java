package io.tensorslab.export;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Path;
import java.util.List;
import org.tensorflow.ConcreteFunction;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.data.MapDataset;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * Run by {@link LargePadTest} in its own JVM with a small heap: exports 1 GiB padded to the largest
 * width. Batch {@code i} (of {@value #BATCHES}) is {@value #ROWS} rows of
 * {@code arange(w(i)) + 4096 i} as float32, {@code w(i)} from {@link #width}; the widest is 1024.
 */
public final class LargePadMain {
  static final long BATCHES = 256;
  static final long ROWS = 1024;

  /** Python twin of {@link #width}. */
  static final String WIDTH_PY = "def width(i): return 1024 if i == 100 else 512 + (i * 37) % 512\n";

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    Ops tf = Ops.create();
    ConcreteFunction fn = ConcreteFunction.create(g -> {
      var i = g.placeholder(TInt64.class, Placeholder.shape(Shape.scalar()));
      var w = g.select(g.math.equal(i, g.constant(100L)), g.constant(1024L),
          g.math.add(g.constant(512L), g.math.mod(g.math.mul(i, g.constant(37L)), g.constant(512L))));
      var row = g.math.add(g.range(g.constant(0L), w, g.constant(1L)), g.math.mul(i, g.constant(4096L)));
      var batch = g.tile(g.reshape(g.dtypes.cast(row, TFloat32.class), g.constant(new long[] {1, -1})),
          g.constant(new long[] {ROWS, 1}));
      return Signature.builder().input("i", i).output("batch", batch).build();
    });
    var range = tf.data.rangeDataset(tf.constant(0L), tf.constant(BATCHES), tf.constant(1L), List.of(TInt64.class),
        List.of(Shape.scalar()));
    var batches = tf.data.mapDataset(range, List.of(), fn, List.of(TFloat32.class), List.of(Shape.of(-1, -1)),
        MapDataset.preserveCardinality(true));
    long start = System.nanoTime();
    long[] rss = new long[2]; // resident MiB after the first batch, and the most over all batches
    ExportListener listener = progress -> {
      // TF Java frees an eager IteratorGetNext's output buffers only when GC collects the op, so
      // with a barely used heap bare iteration alone grows resident memory by a batch per batch.
      // Collect now and then so that what is measured is the exporter's own footprint.
      if (progress.batches() % 16 == 0) {
        System.gc();
      }
      long now = residentMiB();
      if (progress.batches() == 1) {
        rss[0] = now;
      }
      rss[1] = Math.max(rss[1], now);
    };
    try (ExportResult r = TensorSlab.export(batches, List.of(TFloat32.class), List.of(Shape.of(-1, -1)))
        .names("x").shapePolicy("x", ShapePolicy.PAD).durable(false).listener(listener).to(dir).run()) {
      long peakHeap = 0;
      for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
        if (pool.getType() == MemoryType.HEAP) {
          peakHeap += pool.getPeakUsage().getUsed();
        }
      }
      System.out.println("rows=" + r.rows() + " shape=" + java.util.Arrays.toString(r.array("x").shape())
          + " seconds=" + (System.nanoTime() - start) / 1e9 + " peakHeapMiB=" + (peakHeap >> 20)
          + " maxHeapMiB=" + (Runtime.getRuntime().maxMemory() >> 20)
          + " rssFirstBatchMiB=" + rss[0] + " rssCopyLoopMaxMiB=" + rss[1] + " rssEndMiB=" + residentMiB());
    }
  }

  /** VmRSS of this process: native memory, mapped pages and heap together. */
  static long residentMiB() {
    try {
      for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) >> 10;
        }
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return -1;
  }
}

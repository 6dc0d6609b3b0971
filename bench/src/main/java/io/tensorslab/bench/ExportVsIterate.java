package io.tensorslab.bench;

import io.tensorslab.export.ExportBuilder;
import io.tensorslab.export.ExportResult;
import io.tensorslab.export.TensorSlab;
import io.tensorslab.tf.BatchSource;
import io.tensorslab.tf.ReadOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.tensorflow.Tensor;

/**
 * Question: what does exporting cost on top of reading the dataset at all?
 *
 * <p>{@link #iterateOnly} is the floor: the same eager iterator the exporter uses
 * ({@code AnonymousIterator} + {@code IteratorGetNext} per batch), every tensor closed, nothing
 * else. {@link #export} and {@link #exportDurable} run {@code TensorSlab.export(...)} with the
 * default options on the same dataset, without and with {@code fsync}. Each invocation is one
 * whole pass over the data (single shot), so the score is seconds per dataset and the ratio
 * {@code export / iterateOnly} is read straight off one run.
 *
 * <p><b>Target:</b> {@code export <= 1.10 x iterateOnly} at 256 MB.
 *
 * <p>How to run (from the repository root, after {@code ./build -Pbenchmarks -pl bench -am package -DskipTests}):
 * <pre>
 *   java --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
 *     -jar bench/target/benchmarks.jar ExportVsIterate                       # all 18 shapes, long
 *   java ... -jar bench/target/benchmarks.jar ExportVsIterate -p sizeMb=256 -p batch=1024 -p width=32
 * </pre>
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"})
@State(Scope.Benchmark)
public class ExportVsIterate extends SyntheticExport {

  /** Dataset size in MiB of float32 payload. */
  @Param({"16", "256", "1024"})
  public int sizeMb;

  /** Rows per batch. */
  @Param({"32", "1024", "4096"})
  public int batch;

  /** float32 values per row: 32 (a small feature vector) or 784 (a flattened 28x28 image). */
  @Param({"32", "784"})
  public int width;

  @Override
  protected int sizeMb() {
    return sizeMb;
  }

  @Override
  protected int width() {
    return width;
  }

  @Override
  protected int batch() {
    return batch;
  }

  /** Baseline: every batch pulled from TensorFlow and closed, nothing else (the exporter's own iterator, no prefetch). */
  @Benchmark
  public long iterateOnly() throws IOException {
    return iterate(data, 0);
  }

  /** Export to page-cache files, no fsync: the cost a user pays when durability is not asked for. */
  @Benchmark
  public long export() throws IOException {
    return export(data, out, b -> b);
  }

  /** The same with {@code durable(true)} (the default): adds fsync of each file and of the directory. */
  @Benchmark
  public long exportDurable() throws IOException {
    return export(data, out, b -> b.durable(true));
  }

  /**
   * The export with tf.data autotuning off ({@code autotune(false)}): no wait for the autotuning
   * thread when the iterator closes, a stall of up to ~0.5 s in some passes of the other methods.
   */
  @Benchmark
  public long exportNoAutotune() throws IOException {
    return export(data, out, b -> b.autotune(false));
  }

  static long iterate(Synthetic data, int prefetch) throws IOException {
    long rows = 0;
    var ds = data.dataset;
    try (BatchSource source = BatchSource.open(ds.getVariant(), ds.getOutputTypes(), ds.getOutputShapes(),
        new ReadOptions(prefetch, true))) {
      for (List<Tensor> batch; (batch = source.next()) != null; ) {
        for (Tensor t : batch) {
          rows += t.shape().get(0);
          t.close();
        }
      }
    }
    return rows;
  }

  /** One export of {@code data} into {@code out}, no fsync unless {@code options} ask for it; returns the rows. */
  static long export(Synthetic data, Path out, UnaryOperator<ExportBuilder> options) throws IOException {
    try (ExportResult result = options.apply(TensorSlab.export(data.dataset).to(out).overwrite(true).durable(false))
        .run()) {
      return result.rows();
    }
  }
}

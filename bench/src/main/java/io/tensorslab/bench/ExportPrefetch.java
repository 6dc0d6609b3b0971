package io.tensorslab.bench;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
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

/**
 * Question: does overlapping the copy of batch k with TensorFlow producing batch k+1 pay, and with
 * how deep a buffer? Chooses {@code ExportBuilder.prefetch}'s default.
 *
 * <p>{@code prefetch=0} reads the dataset as given: copy and production alternate on one thread.
 * {@code prefetch=n} reads it through {@code prefetch(n)}, whose background thread keeps up to n
 * batches ready. {@link #iterate} is the baseline with the same prefetch, so each row's ratio says
 * what the copy still costs once overlapped; {@code prefetch=0}'s {@code iterate} is the plain
 * {@link ExportVsIterate#iterateOnly}.
 *
 * <p>How to run:
 * <pre>
 *   java --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
 *     -jar bench/target/benchmarks.jar ExportPrefetch
 * </pre>
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"})
@State(Scope.Benchmark)
public class ExportPrefetch extends SyntheticExport {

  /** Dataset size in MiB of float32 payload. */
  @Param({"256"})
  public int sizeMb;

  /** Rows per batch. */
  @Param({"32", "1024", "4096"})
  public int batch;

  /** float32 values per row. */
  @Param({"32", "784"})
  public int width;

  /** Batches TensorFlow may produce ahead; 0 = no prefetch stage. */
  @Param({"0", "1", "2"})
  public int prefetch;

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

  /** Baseline: iterate through the same prefetch stage, closing every tensor. */
  @Benchmark
  public long iterate() throws IOException {
    return ExportVsIterate.iterate(data, prefetch);
  }

  /** Export (no fsync) with this prefetch depth. */
  @Benchmark
  public long export() throws IOException {
    return ExportVsIterate.export(data, out, b -> b.prefetch(prefetch));
  }
}

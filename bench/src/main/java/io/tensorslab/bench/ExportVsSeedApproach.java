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
 * Question: how much faster and leaner is the export than the seed question's answer done in Java?
 *
 * <p>{@link #seedApproachJava} is the baseline ({@link SeedApproach}: batches copied to
 * {@code float[]}, listed, concatenated, written with a {@code FileChannel}); {@link #export} is
 * {@code TensorSlab.export(...)}. Both write page-cache files without {@code fsync} (as
 * {@code np.save} does); the fsync cost is measured in {@link ExportVsIterate#exportDurable}.
 *
 * <p>Heap: run with {@code -prof gc} for the bytes each allocates per pass
 * ({@code gc.alloc.rate.norm}); the peak heap each needs is found by {@link HeapCeiling}, which
 * forks JVMs with a shrinking {@code -Xmx} until the pass fails.
 *
 * <p><b>Target:</b> export at least 2x faster; its heap flat with size.
 *
 * <p>How to run:
 * <pre>
 *   java --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
 *     -jar bench/target/benchmarks.jar ExportVsSeedApproach -prof gc
 *   java ... -cp bench/target/benchmarks.jar io.tensorslab.bench.HeapCeiling 16 256 1024
 * </pre>
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"})
@State(Scope.Benchmark)
public class ExportVsSeedApproach extends SyntheticExport {

  /** Dataset size in MiB of float32 payload. */
  @Param({"16", "256", "1024"})
  public int sizeMb;

  /** Rows per batch. */
  @Param({"32", "1024", "4096"})
  public int batch;

  /** float32 values per row. */
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

  /** Baseline: the seed's list + concatenate + save, in Java; heap holds the data twice. */
  @Benchmark
  public long seedApproachJava() throws IOException {
    return SeedApproach.run(data.dataset, out.resolve("seed.npy"));
  }

  /** TensorSlab: native tensor bytes copied once into a mapped .npy, no fsync. */
  @Benchmark
  public long export() throws IOException {
    return ExportVsIterate.export(data, out, b -> b);
  }
}

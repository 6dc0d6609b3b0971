package io.tensorslab.bench;

import io.tensorslab.store.StoreFormat;
import io.tensorslab.store.zarr.ZarrCodec;
import io.tensorslab.store.zarr.ZarrFormat;
import io.tensorslab.store.zarr.ZarrStoreFormat;
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
 * Question: what does writing Zarr cost against writing {@code .npy}, for the same export?
 *
 * <p>{@link #npy} is the baseline: the default export into one mapped {@code .npy} file. The others
 * export the same dataset into a Zarr store with default chunks (32-64 MiB): v2, v3, v3 with 4
 * chunks per shard file, and v2 with zstd (level 3) to show what compression adds. All
 * without fsync ({@code durable(false)}), each pass into an empty directory. Run with
 * {@code -prof gc}: the heap allocation rate and the Zarr chunk buffers (native, not heap) show
 * that the heap stays flat whatever the size.
 *
 * <p><b>Target:</b> {@code zarr <= 1.10 x npy} at 1 GiB.
 *
 * <p>How to run (after {@code ./build -Pbenchmarks -pl bench -am package -DskipTests}):
 * <pre>
 *   java --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
 *     -jar bench/target/benchmarks.jar ZarrVsNpy -p sizeMb=1024 -prof gc
 * </pre>
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"})
@State(Scope.Benchmark)
public class ZarrVsNpy extends SyntheticExport {

  /** Dataset size in MiB of float32 payload. */
  @Param({"1024"})
  public int sizeMb;

  /** Rows per batch. */
  @Param({"1024"})
  public int batch;

  /** float32 values per row (784: a flattened 28x28 image, 3 KiB rows). */
  @Param({"784"})
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

  private long export(StoreFormat format) throws IOException {
    return ExportVsIterate.export(data, out, b -> b.format(format));
  }

  /** Baseline: one mapped .npy file. */
  @Benchmark
  public long npy() throws IOException {
    return export(StoreFormat.NPY);
  }

  /** Zarr v2, uncompressed, default chunks. */
  @Benchmark
  public long zarr() throws IOException {
    return export(ZarrStoreFormat.of(ZarrFormat.V2));
  }

  /** Zarr v3, uncompressed, default chunks. */
  @Benchmark
  public long zarr3() throws IOException {
    return export(ZarrStoreFormat.of(ZarrFormat.V3));
  }

  /** Zarr v3, 4 chunks per shard file. */
  @Benchmark
  public long zarr3Sharded() throws IOException {
    return export(new ZarrStoreFormat(ZarrFormat.V3, 0, ZarrCodec.NONE, 4));
  }

  /** Zarr v2 with zstd level 3 (the data is a repeating ramp of floats, which compresses well). */
  @Benchmark
  public long zarrZstd() throws IOException {
    return export(new ZarrStoreFormat(ZarrFormat.V2, 0, ZarrCodec.parse("zstd"), 1));
  }
}

package io.tensorslab.bench;

import io.tensorslab.npy.NpyDtype;
import io.tensorslab.store.RowLayout;
import io.tensorslab.store.RowStore;
import io.tensorslab.store.StoreCapacity;
import io.tensorslab.store.StoreCommit;
import io.tensorslab.store.StoreDestination;
import io.tensorslab.store.StoreFormat;
import io.tensorslab.store.zarr.ZarrCodec;
import io.tensorslab.store.zarr.ZarrFormat;
import io.tensorslab.store.zarr.ZarrGroups;
import io.tensorslab.store.zarr.ZarrStoreFormat;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Question: without TensorFlow, what does a Zarr row store cost against the {@code .npy} row store
 * for the same rows?
 *
 * <p>Every method writes {@code sizeMb} MiB of {@code batch x 784} float32 batches from one native
 * buffer (a stand-in for a tensor) through {@link RowStore#write}, then finishes and publishes
 * the store with the export's commit (for Zarr, with the group metadata). {@link #npy} is the
 * baseline; no fsync anywhere. The export-level comparison, with TensorFlow producing the batches,
 * is {@link ZarrVsNpy}.
 *
 * <p>How to run:
 * <pre>
 *   java --enable-native-access=ALL-UNNAMED -jar bench/target/benchmarks.jar ZarrStoreWrite -prof gc
 * </pre>
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 7)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@State(Scope.Benchmark)
public class ZarrStoreWrite {
  private static final int WIDTH = 784;

  /** MiB written per pass. */
  @Param({"1024"})
  public int sizeMb;

  /** Rows per batch. */
  @Param({"1024"})
  public int batch;

  private Arena arena;
  private MemorySegment source;
  private long rows;
  private Path out;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    arena = Arena.ofShared();
    source = arena.allocate((long) batch * WIDTH * 4, 64);
    for (long i = 0; i < (long) batch * WIDTH; i++) {
      source.setAtIndex(ValueLayout.JAVA_FLOAT, i, i % 8191 / 8191f);
    }
    rows = ((long) sizeMb << 20) / (WIDTH * 4L);
    out = Synthetic.tempDir("tensorslab-zarr-bench-");
  }

  @Setup(Level.Iteration)
  public void emptyOutput() throws IOException {
    Synthetic.deleteTree(out);
    Files.createDirectories(out);
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    arena.close();
    Synthetic.deleteTree(out);
  }

  private long write(StoreFormat format, ZarrFormat groups) throws IOException {
    StoreDestination destination = new StoreDestination(out, true, false);
    RowLayout layout = new RowLayout("x", NpyDtype.FLOAT32, new long[] {WIDTH});
    try (RowStore store = format.create(layout, destination, StoreCapacity.growable(batch))) {
      for (long first = 0; first < rows; first += batch) {
        store.write(first, source, 0, Math.min(batch, rows - first));
      }
      store.finish(rows);
      StoreCommit.publish(destination, List.of(store), groups == null ? List.of()
          : ZarrGroups.stage(out, groups, List.of("x"), Map.of("rows", rows), false));
    }
    return rows;
  }

  /** Baseline: the .npy store (one mapped, preallocated file). */
  @Benchmark
  public long npy() throws IOException {
    return write(StoreFormat.NPY, null);
  }

  /** Zarr v2, uncompressed, default chunks (each a mapped temporary file). */
  @Benchmark
  public long zarr() throws IOException {
    return write(ZarrStoreFormat.of(ZarrFormat.V2), ZarrFormat.V2);
  }

  /** Zarr v3 with 4 chunks per shard: chunks go through a buffer and a positional write. */
  @Benchmark
  public long zarr3Sharded() throws IOException {
    return write(new ZarrStoreFormat(ZarrFormat.V3, 0, ZarrCodec.NONE, 4), ZarrFormat.V3);
  }

  /** Zarr v2 with zstd level 3. */
  @Benchmark
  public long zarrZstd() throws IOException {
    return write(new ZarrStoreFormat(ZarrFormat.V2, 0, ZarrCodec.parse("zstd"), 1), ZarrFormat.V2);
  }

  /** Zarr v2 with gzip level 1. */
  @Benchmark
  public long zarrGzip() throws IOException {
    return write(new ZarrStoreFormat(ZarrFormat.V2, 0, ZarrCodec.parse("gzip"), 1), ZarrFormat.V2);
  }
}

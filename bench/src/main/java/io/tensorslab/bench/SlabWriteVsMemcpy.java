package io.tensorslab.bench;

import io.tensorslab.npy.NpyDtype;
import io.tensorslab.store.NpyStore;
import io.tensorslab.store.RowLayout;
import io.tensorslab.store.RowWindow;
import io.tensorslab.store.StoreCapacity;
import io.tensorslab.store.StoreDestination;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * Question: how close to a plain memcpy is copying batches into an {@code .npy} file through
 * {@link NpyStore}, the store every {@code .npy} export writes with?
 *
 * <p>Every method copies {@code sizeMb} MiB as {@code batch x width} float32 batches from one native
 * buffer (a stand-in for TensorFlow's tensor, recently written so cache-warm). No TensorFlow here.
 * <ul>
 *   <li>{@link #memcpy}: baseline, {@code MemorySegment.copy} into native memory allocated and
 *       touched once per trial: the physical limit.
 *   <li>{@link #memcpyFresh}: into native memory allocated per pass (the JDK zeroes it, so every
 *       page is faulted in first): what fresh anonymous memory costs.
 *   <li>{@link #storeWarm}: into the window of a store whose pages are already mapped and in the
 *       page cache: the copy alone, into a file.
 *   <li>{@link #storeWrite}: what an export pays per component ({@link NpyStore#write}, which the
 *       engine prefers): create (fallocate + map), each batch written with {@code pwrite}, finish
 *       (header, unmap, truncate), publish (rename); not durable (no fsync).
 *   <li>{@link #storeWriteDurable}: {@link #storeWrite} into a durable destination (writeback
 *       started per 32 MiB, fsync of file and directory).
 *   <li>{@link #storeWindow}: the same store life with each batch copied into a mapped
 *       {@link NpyStore#window} (what writers that fill rows in place use): fresh file pages, one
 *       page fault and zero-fill per 4 KiB.
 * </ul>
 *
 * <p><b>Target:</b> {@code memcpy time / store time >= 0.5} for files in the page cache.
 *
 * <p>How to run:
 * <pre>
 *   java --enable-native-access=ALL-UNNAMED -jar bench/target/benchmarks.jar SlabWriteVsMemcpy
 *   java ... -jar bench/target/benchmarks.jar SlabWriteVsMemcpy -p sizeMb=256 -p batch=1024 -p width=32
 * </pre>
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3)
@Measurement(iterations = 10)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@State(Scope.Benchmark)
public class SlabWriteVsMemcpy {
  /** MiB copied per pass. */
  @Param({"16", "256", "1024"})
  public int sizeMb;

  /** Rows per batch. */
  @Param({"32", "1024", "4096"})
  public int batch;

  /** float32 values per row. */
  @Param({"32", "784"})
  public int width;

  private Arena arena;
  private MemorySegment source;
  private MemorySegment target;
  private long rows;
  private long rowBytes;
  private Path dir;
  private RowLayout layout;
  private NpyStore warmStore;
  private MemorySegment warmRows;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    rows = Synthetic.rowsFor(sizeMb, width);
    rowBytes = 4L * width;
    arena = Arena.ofConfined();
    source = arena.allocate(batch * rowBytes, 64);
    Synthetic.fill(source);
    target = arena.allocate(rows * rowBytes, 4096);
    target.fill((byte) 1);
    dir = Synthetic.tempDir("tensorslab-bench-");
    layout = new RowLayout("x", NpyDtype.FLOAT32, new long[] {width});
    warmStore = NpyStore.create(new RowLayout("warm", NpyDtype.FLOAT32, new long[] {width}),
        new StoreDestination(dir, true, false), StoreCapacity.exact(rows));
    RowWindow all = warmStore.window(0, rows);
    warmRows = all.bytes();
    warmRows.fill((byte) 1);
  }

  /** Each pass writes a new file, as an export into an empty directory does (no old file unlinked in rename). */
  @Setup(Level.Iteration)
  public void removeOutput() throws IOException {
    Files.deleteIfExists(dir.resolve("x.npy"));
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    warmStore.close();
    arena.close();
    Synthetic.deleteTree(dir);
  }

  /** Baseline: batch-sized copies into resident native memory. */
  @Benchmark
  public long memcpy() {
    return copyAll(target);
  }

  /** Batch-sized copies into native memory allocated (and zeroed by the JDK) for this pass. */
  @Benchmark
  public long memcpyFresh() {
    try (Arena pass = Arena.ofConfined()) {
      return copyAll(pass.allocate(rows * rowBytes, 4096));
    }
  }

  /** Batch-sized copies into a store window whose pages are mapped and resident: the copy alone. */
  @Benchmark
  public long storeWarm() {
    return copyAll(warmRows);
  }

  /** A whole store's life as an {@code .npy} export lives it: pwrite per batch, no fsync. */
  @Benchmark
  public long storeWrite() throws IOException {
    return fillStore(false, false);
  }

  /** {@link #storeWrite} into a durable destination. */
  @Benchmark
  public long storeWriteDurable() throws IOException {
    return fillStore(false, true);
  }

  /** {@link #storeWrite} with each batch copied into a mapped window instead. */
  @Benchmark
  public long storeWindow() throws IOException {
    return fillStore(true, false);
  }

  private long fillStore(boolean windows, boolean durable) throws IOException {
    try (NpyStore store = NpyStore.create(layout, new StoreDestination(dir, true, durable),
        StoreCapacity.exact(rows))) {
      long written = 0;
      while (written < rows) {
        long take = Math.min(batch, rows - written);
        if (windows) {
          RowWindow w = store.window(written, take);
          MemorySegment.copy(source, 0, w.bytes(), 0, take * rowBytes);
          store.written(w);
        } else {
          store.write(written, source, 0, take);
        }
        written += take;
      }
      store.finish(written);
      store.publish();
      return written;
    }
  }

  private long copyAll(MemorySegment into) {
    long written = 0;
    while (written < rows) {
      long take = Math.min(batch, rows - written);
      MemorySegment.copy(source, 0, into, written * rowBytes, take * rowBytes);
      written += take;
    }
    return written;
  }
}

package io.tensorslab.bench;

import io.tensorslab.npy.NpyDtype;
import io.tensorslab.slab.FileSlab;
import io.tensorslab.slab.SlabOption;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
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
 * Question: how close to a plain memcpy is copying batches into a file-backed slab?
 *
 * <p>Every method copies {@code sizeMb} MiB as {@code batch x width} float32 batches from one native
 * buffer (a stand-in for TensorFlow's tensor, recently written so cache-warm). No TensorFlow here.
 * <ul>
 *   <li>{@link #memcpy}: baseline, {@code MemorySegment.copy} into native memory allocated and
 *       touched once per trial: the physical limit.
 *   <li>{@link #memcpyFresh}: into native memory allocated per pass (the JDK zeroes it, so every
 *       page is faulted in first): what fresh anonymous memory costs.
 *   <li>{@link #slabWarm}: into a {@link FileSlab} whose pages are already mapped and in the page
 *       cache: the copy alone, into a file.
 *   <li>{@link #slabWrite}: what an export pays per component: create (fallocate + map), grow
 *       checks per batch, copy into fresh file pages (one page fault per 4 KiB), finish (header,
 *       unmap, truncate), publish (rename); no fsync.
 *   <li>{@link #slabWritePopulated}: {@link #slabWrite} with the mapping prefaulted in one
 *       {@code madvise(MADV_POPULATE_WRITE)} call (Linux 5.14+): an experiment for the engine.
 *   <li>{@link #slabWriteDurable}: {@link #slabWrite} with fsync of the file and directory.
 *   <li>{@link #slabPwrite}: the bytes written with {@code pwrite} from the source's native
 *       address into a new file, no mapping: fresh pages without the zero-fill.
 * </ul>
 *
 * <p><b>Target:</b> {@code memcpy time / slab time >= 0.5} for files in the page cache.
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
  private static final int MADV_POPULATE_WRITE = 23;
  private static final MethodHandle MADVISE = Linker.nativeLinker().downcallHandle(
      Linker.nativeLinker().defaultLookup().find("madvise").orElseThrow(),
      FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));

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
  private FileSlab warmSlab;

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
    warmSlab = FileSlab.create(dir.resolve("warm.npy"), NpyDtype.FLOAT32, new long[] {width}, rows,
        SlabOption.NO_FORCE);
    warmSlab.payload().fill((byte) 1);
  }

  /** Each pass writes a new file, as an export into an empty directory does (no old file unlinked in rename). */
  @Setup(Level.Iteration)
  public void removeOutput() throws IOException {
    java.nio.file.Files.deleteIfExists(dir.resolve("x.npy"));
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    warmSlab.close();
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

  /** Batch-sized copies into a mapped file whose pages are resident: the copy alone. */
  @Benchmark
  public long slabWarm() {
    return copyAll(warmSlab.payload());
  }

  /** A whole slab's life as an export lives it, no fsync. */
  @Benchmark
  public long slabWrite() throws IOException {
    return writeSlab(false, SlabOption.NO_FORCE, SlabOption.OVERWRITE);
  }

  /** {@link #slabWrite} with the mapping prefaulted by madvise(MADV_POPULATE_WRITE) first. */
  @Benchmark
  public long slabWritePopulated() throws IOException {
    return writeSlab(true, SlabOption.NO_FORCE, SlabOption.OVERWRITE);
  }

  /** {@link #slabWrite} with fsync of file and directory (durable(true)). */
  @Benchmark
  public long slabWriteDurable() throws IOException {
    return writeSlab(false, SlabOption.OVERWRITE);
  }

  /**
   * The same bytes without a mapping: each batch written with {@code pwrite} straight from the
   * source's native address ({@code FileChannel.write} of a direct buffer over it) into a new
   * file, then fsync-free close. The kernel fills fresh page-cache pages with the batch's bytes
   * without zeroing them first, where a fault on a mapping zeroes each page and then the copy
   * overwrites it.
   */
  @Benchmark
  public long slabPwrite() throws IOException {
    java.nio.ByteBuffer batchBytes = source.asByteBuffer();
    try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(dir.resolve("x.npy"),
        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.TRUNCATE_EXISTING,
        java.nio.file.StandardOpenOption.WRITE)) {
      long header = 128;
      long written = 0;
      while (written < rows) {
        long take = Math.min(batch, rows - written);
        batchBytes.clear().limit((int) (take * rowBytes));
        long at = header + written * rowBytes;
        while (batchBytes.hasRemaining()) {
          at += ch.write(batchBytes, at);
        }
        written += take;
      }
      return written;
    }
  }

  private long writeSlab(boolean populate, SlabOption... options) throws IOException {
    try (FileSlab slab = FileSlab.create(dir.resolve("x.npy"), NpyDtype.FLOAT32, new long[] {width}, rows, options)) {
      if (populate) {
        populate(slab.payload());
      }
      long written = 0;
      while (written < rows) {
        long take = Math.min(batch, rows - written);
        slab.ensureCapacity(written + take);
        MemorySegment.copy(source, 0, slab.payload(), written * rowBytes, take * rowBytes);
        written += take;
      }
      slab.seal(written);
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

  private static void populate(MemorySegment payload) {
    long start = payload.address() & -4096L;
    long length = payload.address() + payload.byteSize() - start;
    try {
      int rc = (int) MADVISE.invokeExact(MemorySegment.ofAddress(start), length, MADV_POPULATE_WRITE);
      if (rc != 0) {
        throw new IllegalStateException("madvise(MADV_POPULATE_WRITE) failed (kernel older than 5.14?)");
      }
    } catch (Throwable t) {
      throw t instanceof RuntimeException r ? r : new IllegalStateException(t);
    }
  }
}

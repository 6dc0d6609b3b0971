package io.tensorslab.store;

import io.tensorslab.npy.NpyHeader;
import io.tensorslab.npy.SharedArenas;
import io.tensorslab.slab.HeapBytes;
import io.tensorslab.slab.MappedFiles;
import io.tensorslab.slab.MemorySlab;
import io.tensorslab.slab.OutputFiles;
import io.tensorslab.slab.TemporaryFiles;
import io.tensorslab.slab.Writeback;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The {@code .npy} {@link RowStore}: one file, {@code NAME.npy}, written through shared memory
 * mappings under a temporary name ({@link TemporaryFiles}) and moved into place when published.
 *
 * <p>Space: the header is reserved at the start, and disk blocks for the capacity are reserved with
 * {@code posix_fallocate}, so a full disk is an {@link IOException} here rather than a fault during
 * a copy. Growth maps only the new part of the file as one more <em>extent</em> and never unmaps an
 * earlier one, so windows lent before stay valid and no growth waits for writers; a window is cut at
 * the end of its extent. Extents at least double, so a store has few of them. All extents belong to
 * one shared {@link Arena} that the store owns and closes at {@link #finish}, {@link #abort} or
 * {@link #close}.
 *
 * <p>{@link #write} copies packed rows with {@code pwrite}, without mapping them, one writer at a
 * time ({@link #tryWrite} returns at once when another is writing); {@link #window} lends them
 * through the mapping for writers that fill rows in place.
 *
 * <p>{@link #written} (and {@link #write}) releases written pages from the process's resident set in steps of
 * {@value #UNLOAD_STEP} bytes per sequential run of rows (they stay in the page cache): otherwise RSS
 * grows with the export, and JavaCPP, which TF Java allocates through, throws once RSS passes its
 * limit. One {@code madvise} per batch would cost more than the copy for small batches. For a
 * durable destination the same step also starts those pages' disk writes ({@link Writeback}), and
 * every {@value #FLUSH_STEP} bytes of them a flush to the device ({@code fdatasync} on a thread of
 * its own), so the final {@code force} waits only for what was written since the last steps, not
 * for the whole file in the disk's cache.
 *
 * <p>Sharded writing: {@link #reopen} maps the temporary file of a store that another process (or
 * another part of this one) created, at its known path {@link #temporaryPath()}, to write rows at
 * positions; only the creator finishes and publishes.
 */
public final class NpyStore implements RowStore {
  /** Bytes written in one sequential run between two unloads of its pages. */
  static final long UNLOAD_STEP = 32L << 20;
  /** Bytes whose writeback was started between two flushes to the device (durable destinations). */
  static final long FLUSH_STEP = 256L << 20;
  /**
   * Whether the file's {@code fsync} also writes the pages changed through its shared mappings, so
   * that the durable finish needs no {@code msync} of them: on Linux, where such pages are marked
   * dirty in the page cache when first written (and {@code msync(MS_ASYNC)} is a no-op for that
   * reason). There each {@code msync(MS_SYNC)} is an {@code fsync} of its range, with its own
   * journal commit and device cache flush: the header's and every extent's made three flushes per
   * store where one does.
   */
  private static final boolean FSYNC_WRITES_MAPPED_PAGES = System.getProperty("os.name", "").startsWith("Linux");

  private enum State { OPEN, FINISHED, PUBLISHED, CLOSED }

  /** Rows {@code [first, end)} mapped at {@code bytes}. */
  private record Extent(long first, long end, MemorySegment bytes) {}

  private final RowLayout layout;
  private final StoreDestination destination;
  private final Path target;
  private final Path temporary;
  private final boolean owner;
  private final boolean growable;
  private final long rowBytes;
  private final long headerBytes;
  private final FileChannel channel;
  private final Arena arena = Arena.ofShared();
  /** Starts disk writes of finished runs when the destination is durable; null otherwise. */
  private Writeback writeback;
  private final Object growLock = new Object();
  /**
   * Held while rows are copied with {@code pwrite}. Linux's buffered write holds the file's inode
   * lock for the whole copy, so writers of one file copy one at a time anyway; a waiter for that
   * lock spins on its core while the holder copies (12-15 % of all of a 1 GB convert's samples on
   * this project's 2-core VM when fresh page-cache pages were slow to fill). Taken here first, a
   * writer that finds it held can go on parsing ({@link #tryWrite}), and one that must wait parks.
   */
  private final ReentrantLock copying = new ReentrantLock();
  /**
   * Open runs of written rows not yet unloaded: first row to end row. Rows of one writer may be
   * written out of order (a staged window kept back while the store was busy), so a run joins the
   * runs on both sides. Also guards the flush fields.
   */
  private final TreeMap<Long, Long> runs = new TreeMap<>();
  /** Bytes whose writeback was started since the last flush began. */
  private long unflushed;
  /** The flush under way or done, not yet awaited; null for none. */
  private FutureTask<Void> flushing;
  /** Flushes started while rows were written; for tests. */
  private long flushesStarted;
  private volatile Extent[] extents = new Extent[0];
  private volatile long capacityRows;
  private MemorySegment header;
  private volatile State state = State.OPEN;
  private long finishedRows = -1;

  private NpyStore(RowLayout layout, StoreDestination destination, Path target, Path temporary, boolean owner,
      boolean growable, FileChannel channel) {
    this.layout = layout;
    this.destination = destination;
    this.target = target;
    this.temporary = temporary;
    this.owner = owner;
    this.growable = growable;
    this.rowBytes = layout.rowBytes();
    this.headerBytes = new NpyHeader(layout.dtype(), layout.shapeWithRows(0)).byteSize();
    this.channel = channel;
  }

  /** {@code DIR/NAME.npy}, as {@link OutputNames} maps any name: nested for {@code '/'}, escaped, never outside DIR. */
  static Path targetOf(Path directory, String name) {
    return OutputNames.resolve(directory, name, ".npy");
  }

  /**
   * Creates {@code NAME.npy}'s temporary file and maps room for the capacity. Nested directories of
   * the name are created inside the output directory.
   *
   * @throws IOException when the destination is unusable (see {@link OutputFiles#checkTarget}) or the
   *     space cannot be reserved; each message names the path
   */
  public static NpyStore create(RowLayout layout, StoreDestination destination, StoreCapacity capacity)
      throws IOException {
    Path target = targetOf(destination.directory(), layout.name());
    // Nested directories are made without following a symbolic link planted in the output directory.
    OutputNames.createParents(destination.directory(), target);
    OutputFiles.checkTarget(target, destination.overwrite());
    Path temporary = TemporaryFiles.beside(target);
    FileChannel channel = OutputFiles.createTemporary(temporary, target);
    NpyStore store = new NpyStore(layout, destination, target, temporary, true, capacity.growable(), channel);
    boolean success = false;
    try {
      store.mapFirst(capacity.rows());
      success = true;
      return store;
    } finally {
      if (!success) {
        store.abort();
      }
    }
  }

  /**
   * Maps the temporary file of a store created elsewhere with {@link #create}, to write rows into it
   * at positions. Its capacity is exact: what the file holds. It cannot grow, finish or publish; its
   * {@link #close()} releases the mapping and leaves the file to its creator.
   *
   * @param temporary the creator's {@link #temporaryPath()}
   * @param layout the creator's layout (the header space depends on it)
   * @param destination the creator's destination
   */
  public static NpyStore reopen(Path temporary, RowLayout layout, StoreDestination destination) throws IOException {
    if (!TemporaryFiles.isTemporary(temporary)) {
      throw new IllegalArgumentException("not a temporary output file (path=" + temporary + ")");
    }
    FileChannel channel = FileChannel.open(temporary, StandardOpenOption.READ, StandardOpenOption.WRITE);
    Path target = targetOf(destination.directory(), layout.name());
    NpyStore store = new NpyStore(layout, destination, target, temporary, false, false, channel);
    boolean success = false;
    try {
      long size = channel.size();
      if (size < store.headerBytes) {
        throw new IOException("reopening output failed: the file is " + size + " bytes, shorter than its "
            + store.headerBytes + "-byte header (path=" + temporary + ")");
      }
      store.mapFirst(store.rowBytes == 0 ? 0 : (size - store.headerBytes) / store.rowBytes);
      success = true;
      return store;
    } finally {
      if (!success) {
        store.abort();
      }
    }
  }

  private void mapFirst(long rows) throws IOException {
    long size = Math.addExact(headerBytes, bytesFor(rows));
    MemorySegment file = MappedFiles.extendAndMap(channel, temporary, 0, size, arena, target);
    if (destination.durable()) {
      writeback = Writeback.open(temporary);
    }
    header = file.asSlice(0, headerBytes);
    extents = new Extent[] {new Extent(0, rows, file.asSlice(headerBytes))};
    capacityRows = rows;
  }

  private long bytesFor(long rows) {
    try {
      return Math.multiplyExact(rows, rowBytes);
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException(rows + " rows of " + rowBytes + " bytes overflow a 64-bit size (path="
          + target + ")", e);
    }
  }

  @Override
  public RowLayout layout() {
    return layout;
  }

  @Override
  public long rowBytes() {
    return rowBytes;
  }

  @Override
  public Path target() {
    return target;
  }

  /** Where the file is while being written: the path {@link #reopen} takes. */
  public Path temporaryPath() {
    return temporary;
  }

  /** Rows that fit without growing. */
  public long capacityRows() {
    return capacityRows;
  }

  @Override
  public RowWindow window(long first, long n) throws IOException {
    checkOpen();
    if (first < 0 || n < 1) {
      throw new IllegalArgumentException("rows [" + first + ", " + first + " + " + n + ") are not a window (path="
          + target + ")");
    }
    checkCapacity(first, first + n);
    if (rowBytes == 0) {
      return new RowWindow(first, n, MemorySegment.NULL);
    }
    if (first >= capacityRows) {
      grow(Math.addExact(first, n));
    }
    Extent[] all = extents; // read after capacityRows: growth publishes the extent first
    for (int i = all.length - 1; i >= 0; i--) {
      Extent e = all[i];
      if (e.first <= first && first < e.end) {
        long m = Math.min(n, e.end - first);
        return new RowWindow(first, m, e.bytes.asSlice((first - e.first) * rowBytes, m * rowBytes));
      }
    }
    throw new IllegalStateException("no mapped extent holds row " + first + " (path=" + target + ")");
  }

  /**
   * Refuses rows {@code [first, end)} past an exact capacity (an {@code end} that overflowed is past
   * it too); a growable store takes any.
   */
  private void checkCapacity(long first, long end) {
    if (!growable && (end > capacityRows || end < 0)) {
      throw new IllegalArgumentException("rows [" + first + ", " + end + ") lie past the " + capacityRows
          + " rows the store was made for (path=" + target + ")");
    }
  }

  private void grow(long needed) throws IOException {
    synchronized (growLock) {
      checkOpen();
      long from = capacityRows;
      if (needed <= from) {
        return;
      }
      long to = MemorySlab.grownCapacity(from, needed);
      long start = Math.addExact(headerBytes, bytesFor(from));
      MemorySegment added = MappedFiles.extendAndMap(channel, temporary, start, Math.addExact(headerBytes,
          bytesFor(to)), arena, target);
      Extent[] all = Arrays.copyOf(extents, extents.length + 1);
      all[all.length - 1] = new Extent(from, to, added);
      extents = all;
      capacityRows = to;
    }
  }

  @Override
  public void written(RowWindow window) {
    rowsWritten(window.first(), window.end());
  }

  /**
   * Writes the rows with {@code pwrite} (a positional {@link FileChannel#write} of a buffer over
   * {@code source}'s memory) rather than through the mapping: the kernel fills fresh page-cache
   * pages with the bytes, where a first touch of a mapped page zeroes it and the copy then
   * overwrites it (JMH {@code SlabWriteVsMemcpy}, 256 MB in batches of 1024 rows, measured before the
   * benchmark moved to this class: plain {@code pwrite} 59 ms against 83 ms through a fresh mapping for
   * rows of 784 float32, 70 against 94 ms for rows of 32; docs/benchmarks.md). The pages are never mapped
   * into this process, so they never count in its resident set. The mapping of the same rows, if
   * another writer uses it, sees the same page-cache pages.
   */
  @Override
  public void write(long first, MemorySegment source, long offset, long rows) throws IOException {
    copy(first, source, offset, rows, true);
  }

  /**
   * As {@link #write}, but writes nothing and returns false when another thread is copying rows
   * into this store right now: the caller may go on with other work and write these rows later.
   */
  @Override
  public boolean tryWrite(long first, MemorySegment source, long offset, long rows) throws IOException {
    return copy(first, source, offset, rows, false);
  }

  private boolean copy(long first, MemorySegment source, long offset, long rows, boolean wait) throws IOException {
    checkOpen();
    if (first < 0 || rows < 0) {
      throw new IllegalArgumentException("rows [" + first + ", " + first + " + " + rows + ") are not rows (path="
          + target + ")");
    }
    if (rows == 0 || rowBytes == 0) {
      return true;
    }
    long end = Math.addExact(first, rows);
    checkCapacity(first, end);
    if (end > capacityRows) {
      grow(end); // the file's size and its reserved blocks, as for a window
    }
    if (wait) {
      copying.lock();
    } else if (!copying.tryLock()) {
      return false;
    }
    try {
      long length = bytesFor(rows);
      long position = headerBytes + bytesFor(first);
      for (long done = 0; done < length; ) {
        int n = (int) Math.min(length - done, 1L << 30); // a ByteBuffer holds at most 2 GiB
        java.nio.ByteBuffer bytes = source.asSlice(offset + done, n).asByteBuffer();
        while (bytes.hasRemaining()) {
          try {
            channel.write(bytes, position + done + bytes.position());
          } catch (IOException e) {
            throw new IOException("writing rows failed: " + e.getMessage() + " (path=" + temporary + ")", e);
          }
        }
        done += n;
      }
    } finally {
      copying.unlock();
    }
    rowsWritten(first, end);
    return true;
  }

  /** True: {@link #write} fills fresh pages without the zero-fill a first touch of the mapping costs. */
  @Override
  public boolean prefersWrite() {
    return true;
  }

  /** Rows {@code [first, end)} are complete: release and write back each finished run of them. */
  private void rowsWritten(long first, long end) {
    if (rowBytes == 0) {
      return;
    }
    synchronized (runs) {
      Map.Entry<Long, Long> before = runs.lowerEntry(first);
      if (before != null && before.getValue() == first) {
        runs.remove(before.getKey());
        first = before.getKey();
      }
      Long after = runs.remove(end);
      end = after == null ? end : after;
      if ((end - first) * rowBytes < UNLOAD_STEP) {
        runs.put(first, end);
        return;
      }
    }
    unload(first, end);
    if (writeback != null) {
      writeback.start(headerBytes + first * rowBytes, (end - first) * rowBytes);
      flushAfter((end - first) * rowBytes);
    }
  }

  /**
   * Counts {@code bytes} more whose writeback was started and, every {@value #FLUSH_STEP} bytes,
   * has the device make what was written so far durable ({@code fdatasync}) on a thread of its
   * own while the writers go on, one flush at a time: the finish's {@code fsync} then waits for the
   * last step alone, not for a device cache holding the whole file.
   */
  private void flushAfter(long bytes) {
    synchronized (runs) {
      unflushed += bytes;
      if (unflushed < FLUSH_STEP || (flushing != null && !flushing.isDone())) {
        return;
      }
      unflushed = 0;
      flushesStarted++;
      flushing = new FutureTask<>(() -> {
        channel.force(false);
        return null;
      });
      Thread.ofPlatform().name("tensorslab-flush").daemon().start(flushing);
    }
  }

  /** Waits for a flush started by {@link #flushAfter}; its failure is the store's (the finish's fsync may not report it again). */
  private void awaitFlush() throws IOException {
    FutureTask<Void> f;
    synchronized (runs) {
      f = flushing;
      flushing = null;
    }
    if (f == null) {
      return;
    }
    try {
      f.get();
    } catch (ExecutionException e) {
      throw new IOException("writing rows to the disk failed: " + e.getCause().getMessage() + " (path=" + temporary
          + ")", e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted waiting for the disk (path=" + temporary + ")");
    }
  }

  /** The lock a copy holds; for tests, to make the store busy. */
  ReentrantLock copyingLock() {
    return copying;
  }

  /** Flushes to the device started while rows were written (0 when not durable); for tests. */
  long flushesStarted() {
    synchronized (runs) {
      return flushesStarted;
    }
  }

  /** Runs of rows whose writeback was started before the finish (0 when not durable); for tests. */
  long writebackStarted() {
    return writeback == null ? 0 : writeback.started();
  }

  /** Whether writeback of finished runs reaches the kernel on this platform and file; for tests. */
  boolean writebackActive() {
    return writeback != null && writeback.active();
  }

  private void closeWriteback() {
    if (writeback != null) {
      writeback.close();
    }
  }

  private void unload(long first, long end) {
    for (Extent e : extents) {
      long from = Math.max(first, e.first);
      long to = Math.min(end, e.end);
      if (from < to) {
        e.bytes.asSlice((from - e.first) * rowBytes, (to - from) * rowBytes).unload();
      }
    }
  }

  @Override
  public void finish(long totalRows) throws IOException {
    checkOpen();
    if (!owner) {
      throw new IllegalStateException("a reopened store is finished by the store that created it (path="
          + target + ")");
    }
    if (totalRows < 0 || (rowBytes > 0 && totalRows > capacityRows)) {
      throw new IllegalArgumentException("cannot finish with " + totalRows + " rows: the store holds "
          + capacityRows + " (path=" + target + ")");
    }
    long[] shape = layout.shapeWithRows(totalRows);
    byte[] encoded = new NpyHeader(layout.dtype(), shape).encode((int) headerBytes);
    if (encoded.length != headerBytes) {
      throw new IllegalArgumentException("shape " + NpyHeader.shapeText(shape) + " needs a " + encoded.length
          + "-byte header, the store reserved " + headerBytes + " (path=" + target + ")");
    }
    boolean success = false;
    try {
      HeapBytes.copyInto(encoded, header, 0);
      if (destination.durable() && !FSYNC_WRITES_MAPPED_PAGES) {
        header.force();
        for (Extent e : extents) {
          e.bytes.force();
        }
      }
      SharedArenas.close(arena, "path=" + target);
      closeWriteback();
      awaitFlush();
      channel.truncate(headerBytes + bytesFor(totalRows));
      if (destination.durable()) {
        channel.force(true);
      }
      channel.close();
      finishedRows = totalRows;
      state = State.FINISHED;
      success = true;
    } finally {
      if (!success) {
        abort();
      }
    }
  }

  @Override
  public long finishedRows() {
    return finishedRows;
  }

  @Override
  public List<StagedFile> staged() {
    if (state != State.FINISHED && state != State.PUBLISHED) {
      throw new IllegalStateException("store is not finished (path=" + target + ")");
    }
    return List.of(new StagedFile(temporary, target));
  }

  @Override
  public void publish() throws IOException {
    StoreCommit.publish(destination, List.of(this), List.of());
  }

  @Override
  public void published() {
    state = State.PUBLISHED;
  }

  @Override
  public void abort() {
    if (state == State.CLOSED || state == State.PUBLISHED) {
      return;
    }
    state = State.CLOSED;
    SharedArenas.close(arena, "path=" + target);
    closeWriteback();
    try {
      awaitFlush();
    } catch (IOException ignored) {
      // the store is being deleted: what did not reach the disk no longer matters
    }
    try {
      channel.close();
    } catch (IOException ignored) {
      // written only through mappings; nothing left to flush
    }
    if (owner) {
      try {
        Files.deleteIfExists(temporary);
      } catch (IOException ignored) {
        // nothing sits at the final path either way; a stale temporary is removed by the next export
      }
    }
  }

  @Override
  public void close() {
    if (state == State.PUBLISHED) {
      state = State.CLOSED;
      return;
    }
    abort();
  }

  private void checkOpen() {
    State s = state;
    if (s != State.OPEN) {
      throw new IllegalStateException("store is " + s.name().toLowerCase(java.util.Locale.ROOT) + " (path="
          + target + ")");
    }
  }

  @Override
  public String toString() {
    return "NpyStore[" + target + ", " + layout.dtype().descr() + ", row " + Arrays.toString(layout.rowShape())
        + ", rows<=" + capacityRows + "]";
  }
}

package io.tensorslab.slab;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Starts the disk writes of finished parts of a file while the rest is still being written:
 * {@code sync_file_range(fd, offset, length, SYNC_FILE_RANGE_WRITE)} through the FFM {@link Linker},
 * on a descriptor of its own. The call only queues the dirty pages for writing and returns; the
 * durable finish ({@code msync} + {@code fsync}) then waits for the tail alone instead of every
 * byte written. {@code msync(MS_ASYNC)} would be the portable spelling, but Linux has made it a
 * no-op since 2.6.19, so it would start nothing.
 *
 * <p>Best effort by design: durability never depends on it (the finish still forces everything),
 * so where libc has no {@code sync_file_range} (not Linux), or the file cannot be opened, or a
 * call fails (a file system that does not support it), writeback simply does not start early.
 * Safe from several threads: the kernel call is, and {@link #close} waits for calls in flight.
 */
public final class Writeback implements AutoCloseable {
  /** {@code SYNC_FILE_RANGE_WRITE}: start writing the dirty pages of the range, do not wait. */
  private static final int SYNC_FILE_RANGE_WRITE = 2;

  private static final MethodHandle SYNC_FILE_RANGE;

  static {
    Linker linker = Linker.nativeLinker();
    SYNC_FILE_RANGE = linker.defaultLookup().find("sync_file_range").map(f -> linker.downcallHandle(f,
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT))).orElse(null);
  }

  private int fd;
  private final AtomicLong started = new AtomicLong();

  private Writeback(int fd) {
    this.fd = fd;
  }

  /**
   * A writeback starter for the file at {@code path} (which must exist). Never fails: when writeback
   * cannot be started early, the returned object does nothing.
   */
  public static Writeback open(Path path) {
    // Read-only is enough: sync_file_range acts on the file's page cache, not on the descriptor's mode.
    return new Writeback(SYNC_FILE_RANGE == null ? -1 : NativeFiles.openReadOnly(path));
  }

  /** Whether calls reach the kernel (false where the platform or the file does not allow it). */
  public synchronized boolean active() {
    return fd >= 0;
  }

  /** Ranges whose writeback the kernel accepted so far. */
  public long started() {
    return started.get();
  }

  /** Queues the dirty pages of bytes {@code [offset, offset + length)} for writing; returns at once. */
  public synchronized void start(long offset, long length) {
    if (fd < 0 || length <= 0) {
      return;
    }
    try {
      if ((int) SYNC_FILE_RANGE.invokeExact(fd, offset, length, SYNC_FILE_RANGE_WRITE) == 0) {
        started.incrementAndGet();
      }
    } catch (Throwable ignored) {
      // best effort: the durable finish writes these pages anyway
    }
  }

  @Override
  public synchronized void close() {
    if (fd >= 0) {
      NativeFiles.closeQuietly(fd);
      fd = -1;
    }
  }
}

package io.tensorslab.slab;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An append-only scratch file beside the outputs, for data whose final layout is known only at the
 * end (padding to the largest shape, {@code |S{n}} widths). Never published: {@link #close()}
 * deletes it, and a killed process leaves it under a {@link TemporaryFiles} name that the next
 * export removes.
 *
 * <p>Appends go through {@code write(2)} from a 1 MiB native buffer rather than a mapping: mapped
 * pages count toward the process's resident size, which JavaCPP (under TensorFlow Java) compares
 * with its {@code maxPhysicalBytes} limit on every tensor allocation, so a mapped staging file of
 * the dataset's size would fail a small-heap JVM half way. {@link #map()} then maps the file
 * read-only once, after the dataset has been read.
 *
 * <p>Confined to the creating thread (one confined {@link Arena} for the buffer and the mapping).
 *
 * {@snippet :
 * try (StagingFile staging = StagingFile.create(dir.resolve("x.staging"))) {
 *   staging.append(batchBytes);
 *   MemorySegment all = staging.map();    // every appended byte, in order
 * }
 * }
 */
public final class StagingFile implements AutoCloseable {
  private static final int BUFFER_BYTES = 1 << 20;
  private static final long WRITE_CHUNK = 1L << 30; // a ByteBuffer view is limited to 2 GiB
  private final Path target;
  private final Path temporary;
  private final FileChannel channel;
  private final Arena arena;
  private final MemorySegment buffer;
  private long buffered;
  private long written;
  private MemorySegment mapped;
  private boolean closed;

  private StagingFile(Path target, Path temporary, FileChannel channel, Arena arena) {
    this.target = target;
    this.temporary = temporary;
    this.channel = channel;
    this.arena = arena;
    this.buffer = arena.allocate(BUFFER_BYTES, 64);
  }

  /** Creates an empty scratch file beside {@code target} (which itself is never written). */
  public static StagingFile create(Path target) throws IOException {
    Path temporary = TemporaryFiles.beside(target);
    FileChannel channel;
    try {
      channel = FileChannel.open(temporary, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
          StandardOpenOption.WRITE);
    } catch (IOException e) {
      throw new IOException("creating staging file failed: " + e.getMessage() + " (path=" + temporary + ")", e);
    }
    Arena arena = Arena.ofConfined();
    boolean success = false;
    try {
      StagingFile file = new StagingFile(target, temporary, channel, arena);
      success = true;
      return file;
    } finally {
      if (!success) {
        arena.close();
        channel.close();
        Files.deleteIfExists(temporary);
      }
    }
  }

  /** Appends all of {@code bytes}. */
  public void append(MemorySegment bytes) throws IOException {
    checkWritable();
    long size = bytes.byteSize();
    if (buffered + size <= BUFFER_BYTES) {
      MemorySegment.copy(bytes, 0, buffer, buffered, size);
      buffered += size;
      return;
    }
    flush();
    if (size <= BUFFER_BYTES / 2) {
      MemorySegment.copy(bytes, 0, buffer, 0, size);
      buffered = size;
      return;
    }
    for (long at = 0; at < size; at += WRITE_CHUNK) {
      write(bytes.asSlice(at, Math.min(WRITE_CHUNK, size - at)));
    }
  }

  /** Appends one little-endian int64. */
  public void appendLong(long value) throws IOException {
    checkWritable();
    if (buffered + Long.BYTES > BUFFER_BYTES) {
      flush();
    }
    buffer.set(ValueLayout.JAVA_LONG_UNALIGNED, buffered, value);
    buffered += Long.BYTES;
  }

  /** Bytes appended so far. */
  public long byteSize() {
    return written + buffered;
  }

  /**
   * Every byte appended, mapped read-only; no more appends after this. Valid until {@link #close()}.
   */
  public MemorySegment map() throws IOException {
    if (mapped == null) {
      checkWritable();
      flush();
      mapped = written == 0 ? MemorySegment.NULL
          : channel.map(FileChannel.MapMode.READ_ONLY, 0, written, arena);
    }
    return mapped;
  }

  private void flush() throws IOException {
    if (buffered > 0) {
      write(buffer.asSlice(0, buffered));
      buffered = 0;
    }
  }

  private void write(MemorySegment bytes) throws IOException {
    var view = bytes.asByteBuffer();
    try {
      while (view.hasRemaining()) {
        written += channel.write(view, written);
      }
    } catch (IOException e) {
      throw new IOException("writing staging file failed: " + e.getMessage() + " (path=" + temporary
          + ", for " + target.getFileName() + ")", e);
    }
  }

  private void checkWritable() {
    if (closed || mapped != null) {
      throw new IllegalStateException("staging file is " + (closed ? "closed" : "mapped") + " (path=" + temporary + ")");
    }
  }

  /** Unmaps, releases the buffer and deletes the file. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    mapped = null;
    arena.close();
    try {
      channel.close();
    } catch (IOException ignored) {
      // the file is deleted next; nothing in it matters
    }
    try {
      Files.deleteIfExists(temporary);
    } catch (IOException ignored) {
      // a leftover temporary name is removed by the next export into this directory
    }
  }
}

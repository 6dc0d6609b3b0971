package io.tensorslab.slab;

import io.tensorslab.npy.NpyDtype;
import io.tensorslab.npy.NpyHeader;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;
import java.util.Set;

/**
 * A {@code .npy} file being written through a memory mapping: header space reserved, payload
 * preallocated for a number of rows, grown by remapping when more arrive, and sealed with the real
 * shape.
 *
 * <p>The file lives under a temporary name beside its final path ({@link TemporaryFiles}) until
 * {@link #seal}: the header is written, the file truncated to its exact size, forced, and atomically
 * renamed. {@link #close()} without seal, or any failure, deletes the temporary file: nothing ever
 * appears half-written at the final path. Disk blocks are reserved up front with
 * {@code posix_fallocate}, so a full disk is an {@link IOException} here rather than a fault during
 * the copy.
 *
 * <p>Thread confinement: the mapping belongs to a confined {@link Arena}; only the thread that
 * created the slab may write to it, grow it, seal it and close it.
 *
 * {@snippet :
 * try (FileSlab slab = FileSlab.create(dir.resolve("x.npy"), NpyDtype.FLOAT32, new long[] {784}, 60_000)) {
 *   MemorySegment.copy(batchBytes, 0, slab.payload(), row * slab.rowBytes(), batchBytes.byteSize());
 *   slab.seal(rows);   // x.npy now exists, shape (rows, 784)
 * }
 * }
 */
public final class FileSlab implements Slab {
  private final Path target;
  private final Path temporary;
  private final NpyDtype dtype;
  private final long[] rowShape;
  private final long rowBytes;
  private final long headerBytes;
  private final Set<SlabOption> options;
  private final FileChannel channel;
  private Arena arena;
  private MemorySegment file;
  private MemorySegment payload;
  private long capacityRows;
  private long[] finishedShape;
  private boolean sealed;
  private boolean closed;

  private FileSlab(Path target, Path temporary, NpyDtype dtype, long[] rowShape, Set<SlabOption> options,
      FileChannel channel) {
    this.target = target;
    this.temporary = temporary;
    this.dtype = dtype;
    this.rowShape = rowShape.clone();
    this.rowBytes = Slab.rowBytes(dtype, rowShape);
    long[] shape = new long[rowShape.length + 1];
    System.arraycopy(rowShape, 0, shape, 1, rowShape.length);
    this.headerBytes = new NpyHeader(dtype, shape).byteSize();
    this.options = options;
    this.channel = channel;
  }

  /**
   * Creates the temporary file beside {@code target} and maps room for {@code capacityRows} rows.
   *
   * @throws IOException when the destination is unusable (missing or unwritable directory, a directory
   *     at the target, an existing file without {@link SlabOption#OVERWRITE}) or the space cannot be
   *     reserved; each message names the path
   */
  public static FileSlab create(Path target, NpyDtype dtype, long[] rowShape, long capacityRows,
      SlabOption... options) throws IOException {
    if (capacityRows < 0) {
      throw new IllegalArgumentException("capacity rows must be >= 0, got " + capacityRows + " (path=" + target + ")");
    }
    Set<SlabOption> opts = options.length == 0 ? EnumSet.noneOf(SlabOption.class) : EnumSet.of(options[0], options);
    OutputFiles.checkTarget(target, opts.contains(SlabOption.OVERWRITE));
    Path temporary = TemporaryFiles.beside(target);
    FileChannel channel = OutputFiles.createTemporary(temporary, target);
    boolean success = false;
    try {
      FileSlab slab = new FileSlab(target, temporary, dtype, rowShape, opts, channel);
      slab.remap(capacityRows);
      success = true;
      return slab;
    } finally {
      if (!success) {
        closeQuietly(channel);
        Files.deleteIfExists(temporary);
      }
    }
  }

  /**
   * Writes one whole array to {@code target} in one step: {@code data} must hold exactly the bytes
   * of {@code shape} (C order, little-endian).
   */
  public static Path write(Path target, NpyDtype dtype, long[] shape, MemorySegment data, SlabOption... options)
      throws IOException {
    long expected = new NpyHeader(dtype, shape).payloadByteSize();
    if (data.byteSize() != expected) {
      throw new IllegalArgumentException("data is " + data.byteSize() + " bytes but shape "
          + NpyHeader.shapeText(shape) + " of " + dtype + " needs " + expected + " (path=" + target + ")");
    }
    long[] rowShape = shape.length == 0 ? new long[0] : java.util.Arrays.copyOfRange(shape, 1, shape.length);
    long rows = shape.length == 0 ? 1 : shape[0];
    try (FileSlab slab = create(target, dtype, rowShape, rows, options)) {
      MemorySegment.copy(data, 0, slab.payload(), 0, expected);
      return slab.seal(shape);
    }
  }

  // Reserve and map the larger size before unmapping the old one: when the disk is full the
  // IOException leaves the slab as it was, rows and mapping intact. Growing a file under a shared
  // mapping is safe; only shrinking it (at seal, after unmapping) is not.
  private void remap(long rows) throws IOException {
    long size = Math.addExact(headerBytes, Slab.bytesFor(rows, rowBytes));
    Arena next = Arena.ofConfined();
    MemorySegment mapped;
    try {
      mapped = MappedFiles.extendAndMap(channel, temporary, 0, size, next, target);
    } catch (IOException | RuntimeException e) {
      next.close();
      throw e;
    }
    if (arena != null) {
      arena.close();
    }
    arena = next;
    file = mapped;
    payload = file.asSlice(headerBytes);
    capacityRows = rows;
  }

  @Override
  public void ensureCapacity(long rows) throws IOException {
    checkOpen();
    if (rows > capacityRows) {
      remap(Slab.grownCapacity(capacityRows, rows));
    }
  }

  /** Seals with shape {@code [rows, *rowShape]}. */
  public Path seal(long rows) throws IOException {
    long[] shape = new long[rowShape.length + 1];
    shape[0] = rows;
    System.arraycopy(rowShape, 0, shape, 1, rowShape.length);
    return seal(shape);
  }

  /**
   * Writes the header for {@code shape}, truncates the file to header plus that payload, forces it
   * (unless {@link SlabOption#NO_FORCE}) and renames it to the final path: {@link #finish} then
   * {@link #publish}. The payload must already hold the array's bytes.
   *
   * @return the final path
   */
  public Path seal(long[] shape) throws IOException {
    finish(shape);
    return publish();
  }

  /**
   * First half of {@link #seal}: completes the temporary file (header, exact size, forced) without
   * renaming it. An exporter finishes every component first and publishes only when all succeeded,
   * so one failing component leaves none of the others at a final path. After this the payload is
   * unmapped; {@link #close()} before {@link #publish()} still deletes the temporary file.
   *
   * @throws IllegalArgumentException if the shape needs more bytes than the slab holds
   */
  public void finish(long[] shape) throws IOException {
    checkOpen();
    NpyHeader header = new NpyHeader(dtype, shape);
    long payloadBytes = header.payloadByteSize();
    if (payloadBytes > payload.byteSize()) {
      throw new IllegalArgumentException("shape " + NpyHeader.shapeText(shape) + " needs " + payloadBytes
          + " bytes but the slab holds " + payload.byteSize() + " (path=" + target + ")");
    }
    // Sealing with the rank the slab was created for gives exactly np.save's header; another rank
    // (a scalar, a reshaped array) is padded to the reserved size so the payload stays where it is.
    byte[] encoded = header.encode((int) headerBytes);
    if (encoded.length != headerBytes) {
      throw new IllegalArgumentException("seal shape " + NpyHeader.shapeText(shape) + " needs a "
          + encoded.length + "-byte header, the slab reserved " + headerBytes + " (path=" + target + ")");
    }
    boolean success = false;
    try {
      MemorySegment.copy(MemorySegment.ofArray(encoded), 0, file, 0, encoded.length);
      if (force()) {
        file.force();
      }
      arena.close();
      arena = null;
      file = null;
      payload = null;
      channel.truncate(headerBytes + payloadBytes);
      if (force()) {
        channel.force(true);
      }
      channel.close();
      finishedShape = shape.clone();
      success = true;
    } finally {
      if (!success) {
        close();
      }
    }
  }

  /**
   * Second half of {@link #seal}: atomically renames the finished file to its final path.
   *
   * @return the final path
   */
  public Path publish() throws IOException {
    if (closed || finishedShape == null) {
      throw new IllegalStateException("slab is " + (closed ? "closed" : "not finished") + " (path=" + target + ")");
    }
    boolean success = false;
    try {
      moveIntoPlace(force());
      sealed = true;
      success = true;
      return target;
    } finally {
      closed = true;
      if (!success) {
        deleteTemporary();
      }
    }
  }

  /** The shape given to {@link #finish}, or null before. */
  public long[] finishedShape() {
    return finishedShape == null ? null : finishedShape.clone();
  }

  private boolean force() {
    return !options.contains(SlabOption.NO_FORCE);
  }

  private void moveIntoPlace(boolean force) throws IOException {
    OutputFiles.moveIntoPlace(temporary, target, options.contains(SlabOption.OVERWRITE));
    if (force) {
      // The rename itself is durable only once the directory entry is: fsync the directory.
      OutputFiles.syncDirectory(target.toAbsolutePath().getParent());
    }
  }

  @Override
  public NpyDtype dtype() {
    return dtype;
  }

  @Override
  public long[] rowShape() {
    return rowShape.clone();
  }

  @Override
  public long rowBytes() {
    return rowBytes;
  }

  @Override
  public long capacityRows() {
    return capacityRows;
  }

  @Override
  public MemorySegment payload() {
    checkOpen();
    return payload;
  }

  /** The final path the file gets when sealed. */
  public Path target() {
    return target;
  }

  /** Where the file is while being written. */
  public Path temporaryPath() {
    return temporary;
  }

  public boolean isSealed() {
    return sealed;
  }

  private void checkOpen() {
    if (closed || finishedShape != null) {
      throw new IllegalStateException("slab is " + (sealed ? "sealed" : closed ? "closed" : "finished")
          + " (path=" + target + ")");
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (arena != null) {
      arena.close();
      arena = null;
      file = null;
      payload = null;
    }
    closeQuietly(channel);
    if (!sealed) {
      deleteTemporary();
    }
  }

  private void deleteTemporary() {
    try {
      Files.deleteIfExists(temporary);
    } catch (IOException ignored) {
      // nothing sits at the final path either way; a stale temporary is removed by the next export
    }
  }

  private static void closeQuietly(FileChannel channel) {
    try {
      channel.close();
    } catch (IOException ignored) {
      // closing a channel we only wrote through mappings; nothing left to flush
    }
  }

  @Override
  public String toString() {
    return "FileSlab[" + target + ", " + dtype + ", rows<=" + capacityRows + (sealed ? ", sealed" : "") + "]";
  }
}

package io.tensorslab.slab;

import io.tensorslab.npy.NpyDtype;
import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * A preallocated, growable run of rows that batch bytes are copied into: {@link FileSlab} maps a
 * {@code .npy} file being written, {@link MemorySlab} is plain native memory.
 *
 * <p>Row {@code r} lives at byte {@code r * rowBytes()} of {@link #payload()}. The payload segment is
 * replaced when the slab grows, so fetch it again after {@link #ensureCapacity}. One thread writes a
 * slab (the one that created it: the memory belongs to a confined arena).
 */
public sealed interface Slab extends AutoCloseable permits FileSlab, MemorySlab {

  NpyDtype dtype();

  /** The shape of one row; the array's shape is {@code [rows, *rowShape]}. */
  long[] rowShape();

  /** Bytes of one row: item size times the product of {@link #rowShape()}. */
  long rowBytes();

  /** Rows that fit in the current payload. */
  long capacityRows();

  /** The writable payload: {@code capacityRows() * rowBytes()} bytes. Replaced by {@link #ensureCapacity}. */
  MemorySegment payload();

  /**
   * Makes room for at least {@code rows} rows, growing geometrically (at least doubling) so that
   * appending row by row costs amortised O(1). Rows already written are kept.
   *
   * @throws IOException when the space cannot be reserved (full disk, size limit), naming the path
   */
  void ensureCapacity(long rows) throws IOException;

  /** Releases the memory; for a file slab that was not sealed, also deletes its temporary file. Idempotent. */
  @Override
  void close();

  /** Bytes for {@code rows} rows of {@code rowBytes} each, or an {@link IllegalArgumentException} on overflow. */
  static long bytesFor(long rows, long rowBytes) {
    try {
      return Math.multiplyExact(rows, rowBytes);
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException(rows + " rows of " + rowBytes + " bytes overflow a 64-bit size", e);
    }
  }

  /** Bytes of one row of {@code rowShape} items of {@code dtype}; rejects negative dims and overflow. */
  static long rowBytes(NpyDtype dtype, long[] rowShape) {
    long n = dtype.itemSize();
    for (long d : rowShape) {
      if (d < 0) {
        throw new IllegalArgumentException("row shape dims must be >= 0, got " + java.util.Arrays.toString(rowShape));
      }
      n = bytesFor(n, d);
    }
    return n;
  }

  /** The next capacity when {@code needed} rows do not fit in {@code current}: at least double, at least 1024 rows. */
  static long grownCapacity(long current, long needed) {
    long doubled = current > Long.MAX_VALUE / 2 ? Long.MAX_VALUE : current * 2;
    return Math.max(needed, Math.max(doubled, 1024));
  }
}

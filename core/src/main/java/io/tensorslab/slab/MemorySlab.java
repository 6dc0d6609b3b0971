package io.tensorslab.slab;

import io.tensorslab.npy.NpyDtype;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A preallocated, growable run of rows in native memory (the pad-to-largest writer's per-batch
 * records). Row {@code r} lives at byte {@code r * rowBytes()} of {@link #payload()}; the payload
 * segment is replaced when the slab grows, so fetch it again after {@link #ensureCapacity}. Aligned to
 * 64 bytes, like a {@code .npy} payload. Confined to the creating thread.
 *
 * {@snippet :
 * try (MemorySlab slab = MemorySlab.allocate(NpyDtype.INT64, new long[0], 1024)) {
 *   slab.payload().setAtIndex(ValueLayout.JAVA_LONG, 0, 42L);
 * }
 * }
 */
public final class MemorySlab implements AutoCloseable {
  private final long rowBytes;
  private Arena arena;
  private MemorySegment payload;
  private long capacityRows;

  private MemorySlab(NpyDtype dtype, long[] rowShape) {
    this.rowBytes = rowBytes(dtype, rowShape);
  }

  public static MemorySlab allocate(NpyDtype dtype, long[] rowShape, long capacityRows) {
    if (capacityRows < 0) {
      throw new IllegalArgumentException("capacity rows must be >= 0, got " + capacityRows);
    }
    MemorySlab slab = new MemorySlab(dtype, rowShape);
    slab.reallocate(capacityRows, 0);
    return slab;
  }

  private void reallocate(long rows, long keepBytes) {
    Arena next = Arena.ofConfined();
    MemorySegment grown = next.allocate(bytesFor(rows, rowBytes), 64);
    if (keepBytes > 0) {
      MemorySegment.copy(payload, 0, grown, 0, keepBytes);
    }
    if (arena != null) {
      arena.close();
    }
    arena = next;
    payload = grown;
    capacityRows = rows;
  }

  /**
   * Makes room for at least {@code rows} rows, growing by {@link #grownCapacity} so that appending row
   * by row costs amortised O(1). Rows already written are kept.
   */
  public void ensureCapacity(long rows) {
    checkOpen();
    if (rows > capacityRows) {
      reallocate(grownCapacity(capacityRows, rows), payload.byteSize());
    }
  }

  /** Bytes of one row: item size times the product of the row shape. */
  public long rowBytes() {
    return rowBytes;
  }

  /** Rows that fit in the current payload. */
  public long capacityRows() {
    return capacityRows;
  }

  /** The writable payload: {@code capacityRows() * rowBytes()} bytes. Replaced by {@link #ensureCapacity}. */
  public MemorySegment payload() {
    checkOpen();
    return payload;
  }

  private void checkOpen() {
    if (arena == null) {
      throw new IllegalStateException("memory slab is closed");
    }
  }

  /** Releases the memory. Idempotent. */
  @Override
  public void close() {
    if (arena != null) {
      arena.close();
      arena = null;
      payload = null;
    }
  }

  /**
   * The next capacity when {@code needed} rows do not fit in {@code current}: at least double, at
   * least 1024 rows. {@code NpyStore} grows its file by the same rule.
   */
  public static long grownCapacity(long current, long needed) {
    long doubled = current > Long.MAX_VALUE / 2 ? Long.MAX_VALUE : current * 2;
    return Math.max(needed, Math.max(doubled, 1024));
  }

  /** Bytes for {@code rows} rows of {@code rowBytes} each, or an {@link IllegalArgumentException} on overflow. */
  private static long bytesFor(long rows, long rowBytes) {
    try {
      return Math.multiplyExact(rows, rowBytes);
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException(rows + " rows of " + rowBytes + " bytes overflow a 64-bit size", e);
    }
  }

  /** Bytes of one row of {@code rowShape} items of {@code dtype}; rejects negative dims and overflow. */
  private static long rowBytes(NpyDtype dtype, long[] rowShape) {
    long n = dtype.itemSize();
    for (long d : rowShape) {
      if (d < 0) {
        throw new IllegalArgumentException("row shape dims must be >= 0, got " + java.util.Arrays.toString(rowShape));
      }
      n = bytesFor(n, d);
    }
    return n;
  }
}

package io.tensorslab.slab;

import io.tensorslab.npy.NpyDtype;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A slab in native memory only, for callers who want the {@link MemorySegment} and no file.
 * Aligned to 64 bytes, like a {@code .npy} payload. Confined to the creating thread.
 *
 * {@snippet :
 * try (MemorySlab slab = MemorySlab.allocate(NpyDtype.INT64, new long[0], 1024)) {
 *   slab.payload().setAtIndex(ValueLayout.JAVA_LONG, 0, 42L);
 * }
 * }
 */
public final class MemorySlab implements Slab {
  private final NpyDtype dtype;
  private final long[] rowShape;
  private final long rowBytes;
  private Arena arena;
  private MemorySegment payload;
  private long capacityRows;

  private MemorySlab(NpyDtype dtype, long[] rowShape) {
    this.dtype = dtype;
    this.rowShape = rowShape.clone();
    this.rowBytes = Slab.rowBytes(dtype, rowShape);
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
    MemorySegment grown = next.allocate(Slab.bytesFor(rows, rowBytes), 64);
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

  @Override
  public void ensureCapacity(long rows) {
    checkOpen();
    if (rows > capacityRows) {
      reallocate(Slab.grownCapacity(capacityRows, rows), payload.byteSize());
    }
  }

  /** The first {@code rows} rows as one segment, valid until {@link #close()}. */
  public MemorySegment rows(long rows) {
    checkOpen();
    return payload.asSlice(0, Slab.bytesFor(rows, rowBytes));
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

  private void checkOpen() {
    if (arena == null) {
      throw new IllegalStateException("memory slab is closed");
    }
  }

  @Override
  public void close() {
    if (arena != null) {
      arena.close();
      arena = null;
      payload = null;
    }
  }
}

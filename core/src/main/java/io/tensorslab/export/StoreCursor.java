package io.tensorslab.export;

import io.tensorslab.slab.MemoryAdvice;
import io.tensorslab.store.RowStore;
import io.tensorslab.store.RowWindow;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The window of one store a range writer is filling; rows up to {@code end} are the range's.
 *
 * <p>For a store that {@linkplain RowStore#prefersWrite prefers write} ({@code .npy}), the
 * window is a zeroed staging buffer of this range writer's, handed to {@link RowStore#write}
 * ({@code pwrite}) when full: fresh page-cache pages are then filled by the kernel's copy
 * instead of zeroed at a fault and overwritten, which in a fresh process on this project's
 * 2-core VM made 1 GB of fresh output 2-3 x faster (JMH {@code NativeConvert.freshPagesWrite}
 * against {@code freshPagesCopy}, first pass of each fork). Rows are staged strictly in order.
 * A full staged window the store cannot take at once (another range writer is copying into it,
 * {@link RowStore#tryWrite}) is held in a second buffer while the next window is staged, and
 * written before that one: the range writer goes on parsing instead of waiting for the store.
 * Otherwise (Zarr: its chunks are memory already) the store's own window.
 */
final class StoreCursor {
  private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  /** Bytes of rows one window lends at most. */
  private static final long WINDOW_BYTES = 8L << 20;
  /** Bytes of rows one staged window holds at most: small enough to stay in the core's cache. */
  private static final long STAGING_BYTES = 1L << 20;

  final RowStore store;
  final long end;
  /** Bytes of one item (value) of the store's dtype, and items per row. */
  final long itemBytes;
  final long itemsPerRow;
  /** Non-null when rows are staged; the staging buffer is allocated from it. */
  final Arena staging;
  MemorySegment buffer;
  /** The other staging buffer: holds {@link #held}'s rows while there is one. */
  MemorySegment spare;
  /** A full staged window not yet written, because the store was busy when it was released; or null. */
  RowWindow held;
  /** One past the last row written from a staged window. */
  long stagedTo = Long.MIN_VALUE;
  RowWindow window;
  /** The window's first item and one past its last ({@code itemsPerRow} per row); empty without a window. */
  long firstItem;
  long endItem;

  StoreCursor(RowStore store, long end, Arena staging) {
    this.store = store;
    this.end = end;
    this.staging = store.prefersWrite() ? staging : null;
    this.itemBytes = store.layout().dtype().itemSize();
    this.itemsPerRow = itemBytes == 0 ? 0 : store.rowBytes() / itemBytes;
  }

  /**
   * Makes the window hold item {@code item} of the store (row {@code item / itemsPerRow}): the
   * range writers' per-record check, two compares while the window holds it (a division per value
   * run was a runtime call in C1 code).
   */
  void ensureItem(long item) throws IOException {
    if (item < firstItem || item >= endItem) {
      ensure(item / itemsPerRow);
    }
  }

  /** Makes the window hold {@code row}, handing the previous one back. */
  void ensure(long row) throws IOException {
    if (window != null && row >= window.first() && row < window.end()) {
      return;
    }
    release();
    long rowBytes = Math.max(1, store.rowBytes());
    if (staging != null) {
      if (row < stagedTo) {
        throw new IllegalStateException("staged rows go in order: row " + row + " after rows up to " + stagedTo
            + " were written (path=" + store.target() + ")");
      }
      long n = Math.min(end - row, Math.max(1, STAGING_BYTES / rowBytes));
      long bytes = n * store.rowBytes();
      if (buffer == null || buffer.byteSize() < bytes) {
        buffer = staging.allocate(Math.max(bytes, 1), 64);
      }
      MemorySegment rows = buffer.asSlice(0, bytes);
      rows.fill((byte) 0); // a row part the writer leaves alone is zero, as in a fresh file
      window = new RowWindow(row, n, rows);
      setItems();
      return;
    }
    // Bounded windows: each is handed back after a few MiB, so the store can release its pages
    // from the resident set as the range goes on (one window over the whole range kept them all).
    window = store.window(row, Math.min(end - row, Math.max(1, WINDOW_BYTES / rowBytes)));
    // The window's fresh pages in one call rather than one fault per page during the copies.
    MemoryAdvice.populateWrite(window.bytes());
    setItems();
  }

  private void setItems() {
    firstItem = window.first() * itemsPerRow;
    endItem = window.end() * itemsPerRow;
  }

  void longAt(long row, long value) throws IOException {
    ensure(row);
    window.bytes().set(LONG_LE, (row - window.first()) * 8, value);
  }

  /** Row {@code row} of a store of int64 rows of {@code values.length}. */
  void longsAt(long row, long... values) throws IOException {
    ensure(row);
    long at = (row - window.first()) * 8L * values.length;
    for (int i = 0; i < values.length; i++) {
      window.bytes().set(LONG_LE, at + 8L * i, values[i]);
    }
  }

  /**
   * The end of the range: {@link #release()}, and the held window written. Only the rows before
   * {@code endRow} are handed back: the end of an open range (the walk-ahead plan), found once its
   * last record is written, while its staged window was made for rows past it (the next range's,
   * or none).
   */
  void releaseBefore(long endRow) throws IOException {
    if (window != null && endRow < window.end()) {
      // A window is made for a row being written, so it holds one before the end.
      if (staging == null || endRow <= window.first()) {
        throw new IllegalStateException("the window of rows " + window.first() + ".." + (window.end() - 1)
            + " cannot be cut at row " + endRow + " (path=" + store.target() + ")");
      }
      long rows = endRow - window.first();
      window = new RowWindow(window.first(), rows, window.bytes().asSlice(0, rows * store.rowBytes()));
    }
    release();
    writeHeld(); // the range ends: nothing is staged after it
  }

  void release() throws IOException {
    if (window != null) {
      RowWindow w = window;
      window = null;
      firstItem = 0;
      endItem = 0;
      if (staging != null) {
        stagedTo = w.end();
        writeStaged(w);
      } else {
        store.written(w);
      }
    }
  }

  /**
   * Writes a full staged window, or holds it in its buffer when the store is busy and no window is
   * held yet; a window already held is written first, waiting for the store if need be.
   */
  private void writeStaged(RowWindow w) throws IOException {
    writeHeld();
    if (!store.tryWrite(w.first(), w.bytes(), 0, w.rows())) {
      held = w;
      MemorySegment b = buffer; // the held rows' buffer; the next window is staged in the other
      buffer = spare;
      spare = b;
    }
  }

  /** Writes the held window, if any, waiting for the store if it is busy. */
  private void writeHeld() throws IOException {
    if (held != null) {
      RowWindow h = held;
      held = null;
      store.write(h.first(), h.bytes(), 0, h.rows());
    }
  }
}

package io.tensorslab.store;

import java.lang.foreign.MemorySegment;

/**
 * Writable bytes of rows {@code [first, first + rows)} of a {@link RowStore}, lent to one writer
 * until it hands the window back with {@link RowStore#written}. A view: it owns no memory.
 *
 * @param first the first row
 * @param rows how many rows, {@code >= 1}
 * @param bytes exactly {@code rows * rowBytes} bytes; row {@code first + k} starts at {@code k * rowBytes}
 */
public record RowWindow(long first, long rows, MemorySegment bytes) {

  /** One past the last row. */
  public long end() {
    return first + rows;
  }
}

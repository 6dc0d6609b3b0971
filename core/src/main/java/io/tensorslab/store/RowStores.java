package io.tensorslab.store;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/** Loops over the windows a {@link RowStore} lends, for writers that copy contiguous rows. */
public final class RowStores {
  private RowStores() {}

  /**
   * Copies {@code rows} rows, packed in {@code source} from byte {@code offset}, into rows
   * {@code [first, first + rows)} of {@code store}, window by window.
   */
  public static void write(RowStore store, long first, MemorySegment source, long offset, long rows)
      throws IOException {
    long rowBytes = store.rowBytes();
    long done = 0;
    while (done < rows) {
      RowWindow w = store.window(first + done, rows - done);
      try {
        MemorySegment.copy(source, offset + done * rowBytes, w.bytes(), 0, w.rows() * rowBytes);
      } finally {
        store.written(w);
      }
      done += w.rows();
    }
  }

  /** Receives one window to fill; {@code done} rows of the request precede it. */
  @FunctionalInterface
  public interface Filler {
    void fill(RowWindow window, long done) throws IOException;
  }

  /** Lends rows {@code [first, first + rows)} of {@code store} to {@code filler}, window by window. */
  public static void fill(RowStore store, long first, long rows, Filler filler) throws IOException {
    long done = 0;
    while (done < rows) {
      RowWindow w = store.window(first + done, rows - done);
      try {
        filler.fill(w, done);
      } finally {
        store.written(w);
      }
      done += w.rows();
    }
  }
}

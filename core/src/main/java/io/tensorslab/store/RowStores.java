package io.tensorslab.store;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/** Loops over the windows a {@link RowStore} lends, for writers that fill rows in place. */
public final class RowStores {
  private RowStores() {}

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

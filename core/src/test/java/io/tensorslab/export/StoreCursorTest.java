package io.tensorslab.export;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tensorslab.npy.NpyArray;
import io.tensorslab.npy.NpyDtype;
import io.tensorslab.store.NpyStore;
import io.tensorslab.store.RowLayout;
import io.tensorslab.store.RowStore;
import io.tensorslab.store.RowWindow;
import io.tensorslab.store.StagedFile;
import io.tensorslab.store.StoreCapacity;
import io.tensorslab.store.StoreDestination;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A range writer's staged windows: one the store is too busy to take is held, and every row still lands. */
class StoreCursorTest {
  @TempDir Path dir;

  /** Rows of int64 in one 1 MiB staged window. */
  private static final long WINDOW_ROWS = (1L << 20) / 8;

  @Test
  void aWindowTheStoreCannotTakeAtOnceIsHeldAndWrittenBeforeTheNext() throws IOException {
    long total = 4 * WINDOW_ROWS + 5;
    RowLayout layout = new RowLayout("label", NpyDtype.INT64, new long[0]);
    List<String> writes = new ArrayList<>();
    try (NpyStore npy = NpyStore.create(layout, new StoreDestination(dir, false, false), StoreCapacity.exact(total));
        Arena staging = Arena.ofConfined()) {
      // Busy for the first and third windows: each is held while the next one is staged.
      RowStore store = new BusyStore(npy, Set.of(0L, 2 * WINDOW_ROWS), writes);
      StoreCursor cursor = new StoreCursor(store, total, staging);
      for (long row = 0; row < total; row++) {
        cursor.longAt(row, row * 3 + 1);
      }
      cursor.releaseBefore(Long.MAX_VALUE);
      assertEquals(List.of("busy 0", "write 0", "tryWrite " + WINDOW_ROWS, "busy " + 2 * WINDOW_ROWS,
          "write " + 2 * WINDOW_ROWS, "tryWrite " + 3 * WINDOW_ROWS, "tryWrite " + 4 * WINDOW_ROWS), writes,
          "a held window goes before the next, and the last one is written at the end of the range");
      npy.finish(total);
      npy.publish();
    }
    try (NpyArray a = NpyArray.open(dir.resolve("label.npy"))) {
      MemorySegment values = a.segment();
      ValueLayout.OfLong le = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
      for (long row = 0; row < total; row++) {
        // A held window's bytes must survive the staging of the next window.
        assertEquals(row * 3 + 1, values.getAtIndex(le, row), "row " + row);
      }
    }
  }

  /** A store that refuses {@link #tryWrite} of the windows starting at the given rows, once each, and logs each write. */
  private static final class BusyStore implements RowStore {
    private final NpyStore store;
    private final Set<Long> busyAt;
    private final List<String> writes;
    private final List<Long> refused = new ArrayList<>();

    BusyStore(NpyStore store, Set<Long> busyAt, List<String> writes) {
      this.store = store;
      this.busyAt = busyAt;
      this.writes = writes;
    }

    @Override
    public boolean tryWrite(long first, MemorySegment source, long offset, long rows) throws IOException {
      if (busyAt.contains(first) && !refused.contains(first)) {
        refused.add(first);
        writes.add("busy " + first);
        return false;
      }
      writes.add("tryWrite " + first);
      return store.tryWrite(first, source, offset, rows);
    }

    @Override
    public void write(long first, MemorySegment source, long offset, long rows) throws IOException {
      writes.add("write " + first);
      store.write(first, source, offset, rows);
    }

    @Override
    public boolean prefersWrite() {
      return store.prefersWrite();
    }

    @Override
    public RowLayout layout() {
      return store.layout();
    }

    @Override
    public long rowBytes() {
      return store.rowBytes();
    }

    @Override
    public Path target() {
      return store.target();
    }

    @Override
    public RowWindow window(long first, long n) throws IOException {
      return store.window(first, n);
    }

    @Override
    public void written(RowWindow window) throws IOException {
      store.written(window);
    }

    @Override
    public void finish(long totalRows) throws IOException {
      store.finish(totalRows);
    }

    @Override
    public long finishedRows() {
      return store.finishedRows();
    }

    @Override
    public List<StagedFile> staged() {
      return store.staged();
    }

    @Override
    public void publish() throws IOException {
      store.publish();
    }

    @Override
    public void published() {
      store.published();
    }

    @Override
    public void abort() {
      store.abort();
    }

    @Override
    public void close() {
      store.close();
    }
  }
}

package io.tensorslab.arrow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorslab.npy.NpyDtype;
import io.tensorslab.store.RowLayout;
import io.tensorslab.store.RowStores;
import io.tensorslab.store.StoreCapacity;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/** The off-heap column a table format stages: exact and growable capacity, windows, the joined column. */
class ColumnStoreTest {
  private static final RowLayout PAIRS = new RowLayout("pairs", NpyDtype.INT64, new long[] {2});
  private static final Path TABLE = Path.of("/nowhere/data.arrow");

  /** Rows {@code [0, rows)} written through windows, row r holding (r, -r); the finished column's longs. */
  private static long[] fillAndRead(ColumnStore store, long rows) throws IOException {
    RowStores.fill(store, 0, rows, (w, done) -> {
      for (long k = 0; k < w.rows(); k++) {
        long r = w.first() + k;
        w.bytes().setAtIndex(ValueLayout.JAVA_LONG, 2 * k, r);
        w.bytes().setAtIndex(ValueLayout.JAVA_LONG, 2 * k + 1, -r);
      }
    });
    store.finish(rows);
    MemorySegment column = store.column();
    assertEquals(rows * 16, column.byteSize());
    return column.toArray(ValueLayout.JAVA_LONG);
  }

  private static long[] expected(long rows) {
    return LongStream.range(0, rows).flatMap(r -> LongStream.of(r, -r)).toArray();
  }

  @Test
  void exactCapacityIsOneBlockHandedOverAsItIs() throws IOException {
    try (ColumnStore store = ColumnStore.create(PAIRS, TABLE, StoreCapacity.exact(1000))) {
      assertEquals(1000, store.window(0, 5000).rows(), "one block: a window reaches the capacity");
      store.written(store.window(0, 1));
      assertArrayEquals(expected(1000), fillAndRead(store, 1000));
      assertEquals(store.column().address(), store.column().address(), "no copy at column()");
      assertEquals(List.of(), store.staged(), "nothing on disk: the table file is published instead");
    }
  }

  @Test
  void growableCapacityCutsWindowsAtBlocksAndJoinsThemOnce() throws IOException {
    try (ColumnStore store = ColumnStore.create(PAIRS, TABLE, StoreCapacity.growable(7))) {
      assertEquals(7, store.window(0, 100).rows());
      assertEquals(4, store.window(10, 100).rows(), "cut at the end of the second block");
      assertArrayEquals(expected(45), fillAndRead(store, 45));
    }
  }

  @Test
  void rowsPastAnExactCapacityAndUseAfterFinishAreRefusedNamingTheColumn() throws IOException {
    try (ColumnStore store = ColumnStore.create(PAIRS, TABLE, StoreCapacity.exact(10))) {
      IllegalArgumentException past = assertThrows(IllegalArgumentException.class, () -> store.window(10, 1));
      assertTrue(past.getMessage().contains("column pairs"), past.getMessage());
      store.finish(10);
      IllegalStateException finished = assertThrows(IllegalStateException.class, () -> store.window(0, 1));
      assertEquals("column pairs is finished", finished.getMessage());
    }
  }
}

package io.tensorslab.arrow;

import io.tensorslab.store.RowLayout;
import io.tensorslab.store.RowStore;
import io.tensorslab.store.RowWindow;
import io.tensorslab.store.StagedFile;
import io.tensorslab.store.StoreCapacity;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One column of a table staged in off-heap memory until the commit writes the table file: the
 * {@link io.tensorslab.store.TableFormat}'s store. Nothing of it is ever on disk, so a killed export
 * leaves nothing of it behind; {@link #staged()} is empty and the table file is published instead.
 *
 * <p>Memory: one block of the exact capacity when the row count is known up front (the native
 * engine's case: the table writer then hands that block to Arrow as it is); blocks of the initial
 * capacity otherwise, joined into one at {@link #column()} (one copy, for sources of unknown length).
 * The memory is held until {@link #close()}, so a table export needs its data's size in memory.
 *
 * <p>Threads: {@code window}, {@code written} and {@code write} from any thread for disjoint rows;
 * the rest from one thread, after every window was handed back (the {@link RowStore} contract). The
 * memory is of a shared arena, closed by {@link #close()} alone.
 */
final class ColumnStore implements RowStore {
  private final RowLayout layout;
  private final long rowBytes;
  private final Path target;
  private final Arena arena = Arena.ofShared();
  private final long blockRows;
  private final boolean growable;
  /** Block {@code i} holds rows {@code [i * blockRows, (i + 1) * blockRows)}; guarded by itself. */
  private final List<MemorySegment> blocks = new ArrayList<>();
  private long finishedRows = -1;
  private MemorySegment joined;
  private boolean closed;

  private ColumnStore(RowLayout layout, Path target, StoreCapacity capacity) {
    this.layout = layout;
    this.rowBytes = layout.rowBytes();
    this.target = target;
    this.growable = capacity.growable();
    this.blockRows = Math.max(1, capacity.rows());
    if (!growable) {
      blocks.add(arena.allocate(Math.multiplyExact(capacity.rows(), rowBytes), 64));
    }
  }

  /** An empty column for {@code layout}, whose table file is {@code target}. */
  static ColumnStore create(RowLayout layout, Path target, StoreCapacity capacity) {
    return new ColumnStore(layout, target, capacity);
  }

  @Override
  public RowLayout layout() {
    return layout;
  }

  @Override
  public long rowBytes() {
    return rowBytes;
  }

  @Override
  public Path target() {
    return target;
  }

  @Override
  public RowWindow window(long first, long n) {
    if (first < 0 || n < 1) {
      throw new IllegalArgumentException("rows [" + first + ", +" + n + ") asked of column " + layout.name());
    }
    MemorySegment block = block(first);
    long inBlock = first % blockRows;
    long rows = Math.min(n, blockRows - inBlock);
    if (!growable && first + rows > blockRows) {
      throw new IllegalArgumentException("rows [" + first + ", " + (first + n) + ") past the exact capacity of "
          + blockRows + " rows of column " + layout.name());
    }
    return new RowWindow(first, rows, block.asSlice(inBlock * rowBytes, rows * rowBytes));
  }

  private MemorySegment block(long row) {
    int index = Math.toIntExact(row / blockRows);
    synchronized (blocks) {
      if (closed || finishedRows >= 0) {
        throw new IllegalStateException("column " + layout.name() + " is " + (closed ? "closed" : "finished"));
      }
      if (!growable) {
        if (index > 0) {
          throw new IllegalArgumentException("row " + row + " past the exact capacity of " + blockRows
              + " rows of column " + layout.name());
        }
        return blocks.getFirst();
      }
      while (blocks.size() <= index) {
        blocks.add(arena.allocate(Math.multiplyExact(blockRows, rowBytes), 64));
      }
      return blocks.get(index);
    }
  }

  @Override
  public void written(RowWindow window) {
    // the bytes are in place already: nothing to flush until the table is written
  }

  @Override
  public void finish(long totalRows) {
    if (totalRows < 0 || (!growable && totalRows > blockRows)) {
      throw new IllegalArgumentException("cannot finish column " + layout.name() + " with " + totalRows + " rows");
    }
    synchronized (blocks) {
      finishedRows = totalRows;
    }
  }

  @Override
  public long finishedRows() {
    return finishedRows;
  }

  /**
   * The finished column's bytes, {@code finishedRows() * rowBytes()}, C order: the one block itself
   * when there is one, else the blocks joined once. Valid until {@link #close()}.
   *
   * @throws IllegalStateException before {@link #finish}
   */
  MemorySegment column() {
    if (finishedRows < 0) {
      throw new IllegalStateException("column " + layout.name() + " is not finished");
    }
    long bytes = finishedRows * rowBytes;
    if (!growable) {
      return blocks.getFirst().asSlice(0, bytes);
    }
    if (joined == null) {
      joined = arena.allocate(bytes, 64);
      long blockBytes = blockRows * rowBytes;
      for (long at = 0, i = 0; at < bytes; at += blockBytes, i++) {
        long n = Math.min(blockBytes, bytes - at);
        if (i >= blocks.size()) {
          break; // rows never asked for: zero, as in a fresh file
        }
        MemorySegment.copy(blocks.get((int) i), 0, joined, at, n);
      }
    }
    return joined;
  }

  @Override
  public List<StagedFile> staged() {
    if (finishedRows < 0) {
      throw new IllegalStateException("column " + layout.name() + " is not finished");
    }
    return List.of(); // the table file holds the rows
  }

  @Override
  public void publish() {
    throw new UnsupportedOperationException("a table column is published as part of its table file, by the"
        + " export's commit (column " + layout.name() + ")");
  }

  @Override
  public void published() {
    // nothing of a column is on disk: the commit published the table file
  }

  @Override
  public void abort() {
    close();
  }

  @Override
  public void close() {
    synchronized (blocks) {
      if (closed) {
        return;
      }
      closed = true;
      blocks.clear();
      joined = null;
    }
    arena.close();
  }
}

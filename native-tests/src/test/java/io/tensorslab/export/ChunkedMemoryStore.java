package io.tensorslab.export;

import io.tensorslab.store.RowLayout;
import io.tensorslab.store.RowStore;
import io.tensorslab.store.RowWindow;
import io.tensorslab.store.StagedFile;
import io.tensorslab.store.StoreCapacity;
import io.tensorslab.store.StoreDestination;
import io.tensorslab.store.StoreFormat;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A test-only {@link RowStore} that keeps rows on the heap in chunks of {@code k} rows, the way a
 * Zarr store cuts an array: windows end at chunk boundaries, and a chunk is "encoded" (copied to
 * {@link #encoded}) as soon as {@link #written} has covered all its rows. It shows that a store
 * other than {@code .npy} plugs in with no writer changing.
 */
final class ChunkedMemoryStore implements RowStore {

  /** The format: every store it makes is remembered by name, for the test to read back. */
  static final class Format implements StoreFormat {
    final int chunkRows;
    final Map<String, ChunkedMemoryStore> made = new ConcurrentHashMap<>();

    Format(int chunkRows) {
      this.chunkRows = chunkRows;
    }

    @Override
    public Path target(Path directory, String name) {
      return directory.resolve(name + ".chunks");
    }

    @Override
    public RowStore create(RowLayout layout, StoreDestination destination, StoreCapacity capacity) {
      ChunkedMemoryStore store = new ChunkedMemoryStore(layout, target(destination.directory(), layout.name()),
          chunkRows, capacity);
      made.put(layout.name(), store);
      return store;
    }
  }

  private final RowLayout layout;
  private final Path target;
  private final int chunkRows;
  private final long rowBytes;
  private final StoreCapacity capacity;
  private final List<byte[]> chunks = new ArrayList<>();
  private final List<Long> writtenPerChunk = new ArrayList<>();
  /** Chunks complete and "encoded" (copied), by index. */
  final Map<Integer, byte[]> encoded = new ConcurrentHashMap<>();
  private long finishedRows = -1;
  private boolean published;

  private ChunkedMemoryStore(RowLayout layout, Path target, int chunkRows, StoreCapacity capacity) {
    this.layout = layout;
    this.target = target;
    this.chunkRows = chunkRows;
    this.rowBytes = layout.rowBytes();
    this.capacity = capacity;
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
  public synchronized RowWindow window(long first, long n) {
    if (finishedRows >= 0) {
      throw new IllegalStateException("store is finished");
    }
    if (first < 0 || n < 1) {
      throw new IllegalArgumentException("not a window: " + first + ", " + n);
    }
    if (!capacity.growable() && first + n > capacity.rows()) {
      throw new IllegalArgumentException("rows past the exact capacity " + capacity.rows());
    }
    int chunk = Math.toIntExact(first / chunkRows);
    while (chunks.size() <= chunk) {
      chunks.add(new byte[Math.toIntExact(chunkRows * rowBytes)]);
      writtenPerChunk.add(0L);
    }
    long inChunk = first - (long) chunk * chunkRows;
    long m = Math.min(n, chunkRows - inChunk);
    MemorySegment bytes = MemorySegment.ofArray(chunks.get(chunk)).asSlice(inChunk * rowBytes, m * rowBytes);
    return new RowWindow(first, m, bytes);
  }

  @Override
  public synchronized void written(RowWindow window) {
    int chunk = Math.toIntExact(window.first() / chunkRows);
    long count = writtenPerChunk.get(chunk) + window.rows();
    writtenPerChunk.set(chunk, count);
    if (count == chunkRows) {
      encoded.put(chunk, chunks.get(chunk).clone());
    }
  }

  @Override
  public synchronized void finish(long totalRows) {
    for (long row = 0; row < totalRows; row += chunkRows) {
      int chunk = Math.toIntExact(row / chunkRows);
      long expected = Math.min(chunkRows, totalRows - row);
      long got = chunk < writtenPerChunk.size() ? writtenPerChunk.get(chunk) : 0;
      if (got < expected) {
        throw new IllegalStateException("chunk " + chunk + " of " + layout.name() + " has " + got + " of "
            + expected + " rows written");
      }
      if (got < chunkRows) {
        encoded.put(chunk, chunks.get(chunk).clone()); // the last, partial chunk is encoded at finish
      }
    }
    finishedRows = totalRows;
  }

  @Override
  public long finishedRows() {
    return finishedRows;
  }

  @Override
  public List<StagedFile> staged() {
    return List.of();
  }

  @Override
  public void publish() {
    published = true;
  }

  @Override
  public void published() {
    published = true;
  }

  /** The finished rows, from the encoded chunks, in order. */
  synchronized byte[] rows() {
    byte[] out = new byte[Math.toIntExact(finishedRows * rowBytes)];
    for (int c = 0; (long) c * chunkRows < finishedRows; c++) {
      long length = Math.min(chunkRows, finishedRows - (long) c * chunkRows) * rowBytes;
      System.arraycopy(encoded.get(c), 0, out, Math.toIntExact(c * chunkRows * rowBytes), Math.toIntExact(length));
    }
    return out;
  }

  boolean isPublished() {
    return published;
  }

  @Override
  public void abort() {
    chunks.clear();
  }

  @Override
  public void close() {}
}

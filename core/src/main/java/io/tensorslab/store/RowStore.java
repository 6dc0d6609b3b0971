package io.tensorslab.store;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;

/**
 * Where the rows of one output array go: a {@code .npy} file, a Zarr array, an in-memory test
 * store. A store knows rows of one {@link RowLayout} (dtype and row shape) at a destination, never
 * who writes them: writers ask it for the bytes of rows, copy into them, and say when they are done.
 *
 * <h2>Life cycle</h2>
 *
 * <ol>
 *   <li>{@link StoreFormat#create} makes the store under a temporary name, with room for a
 *       {@link StoreCapacity} of rows.
 *   <li>Writers fill rows: {@link #window(long, long)} gives the writable bytes of rows
 *       {@code [first, first + m)}, the writer copies into them (C order, little-endian, row
 *       {@code first + k} at byte {@code k * rowBytes()} of {@link RowWindow#bytes()}), then hands the
 *       window back with {@link #written(RowWindow)}.
 *   <li>{@link #finish(long)} completes the store for exactly {@code totalRows} rows, still under
 *       temporary names (a {@code .npy} header, Zarr metadata): nothing at a final path yet.
 *   <li>The commit moves the {@link #staged()} files of every store of an export into place all or
 *       nothing ({@link StoreCommit}); {@link #publish()} does it for this store alone.
 *   <li>{@link #close()} (or {@link #abort()}) before publishing deletes everything the store made.
 * </ol>
 *
 * <h2>Windows</h2>
 *
 * {@code window(first, n)} returns {@code m} rows, {@code 1 <= m <= n}: a store may cut a request at
 * its own boundary (the end of a mapped extent, a Zarr chunk of {@code k} rows), and the writer asks
 * again from {@code first + m}. {@link #write} is that loop for a contiguous run of rows.
 * The bytes of a window are valid until it is handed to {@link #written}; a writer must not keep
 * them longer. Bytes of rows never written are unspecified (zero in a fresh {@code .npy} store).
 *
 * <p>{@link #written(RowWindow)} says the window's rows are complete: a chunked store may then
 * encode and flush every chunk whose rows are all written, and the {@code .npy} store releases the
 * written pages from the process's resident set (and may start their writeback) while the export goes
 * on. Every window must be handed back exactly once, also when the copy failed (the export is then
 * aborted anyway).
 *
 * <h2>Threads</h2>
 *
 * Several threads may hold windows of one store at the same time provided their rows are disjoint
 * (two range writers over halves of a dataset). Which rows go where is the caller's plan: a store
 * does not check that two windows overlap. {@code window} and {@code written} are safe to call
 * concurrently; growth (a {@link StoreCapacity#growable} store asked for rows past its capacity) is
 * serialized inside the store and never moves bytes a window already holds. {@code finish},
 * {@code publish}, {@code abort} and {@code close} are called by one thread after every window was
 * handed back.
 *
 * {@snippet :
 * RowLayout layout = new RowLayout("x", NpyDtype.FLOAT32, new long[] {784});
 * try (RowStore store = StoreFormat.NPY.create(layout, new StoreDestination(dir, false, true),
 *     StoreCapacity.exact(60_000))) {
 *   store.write(0, batchBytes, 0, 60_000);   // one call: the store loops over windows (or writes otherwise)
 *   store.finish(60_000);
 *   store.publish();                                     // dir/x.npy, shape (60000, 784)
 * }
 * }
 */
public interface RowStore extends AutoCloseable {

  /** The name, dtype and row shape this store holds. */
  RowLayout layout();

  /** Bytes of one row: the layout's item size times the product of its row shape; may be 0. */
  long rowBytes();

  /** Where the finished store appears when published: a file, or a directory for a chunked format. */
  Path target();

  /**
   * The writable bytes of rows {@code [first, first + m)}, {@code 1 <= m <= n}.
   *
   * @throws IllegalArgumentException when {@code first < 0}, {@code n < 1}, or the rows lie past an
   *     {@link StoreCapacity#exact} capacity
   * @throws IOException when growing the store fails (full disk, mapping limit), naming the path
   * @throws IllegalStateException after {@link #finish}, {@link #abort} or {@link #close}
   */
  RowWindow window(long first, long n) throws IOException;

  /**
   * Hands back a window whose rows are now complete; its bytes must not be touched afterwards.
   *
   * @throws IOException when a chunked store fails to write out a completed chunk
   */
  void written(RowWindow window) throws IOException;

  /**
   * Copies {@code rows} rows, packed in {@code source} from byte {@code offset}, into rows
   * {@code [first, first + rows)}; thread-safe for disjoint rows, as {@link #window}. By default
   * window by window; a store may write them another way ({@link NpyStore}: {@code pwrite}, without
   * mapping the pages).
   *
   * @throws IllegalArgumentException as {@link #window} for rows outside an exact capacity
   * @throws IOException when growing or writing the store fails, naming the path
   */
  default void write(long first, MemorySegment source, long offset, long rows) throws IOException {
    long rowBytes = rowBytes();
    RowStores.fill(this, first, rows,
        (w, done) -> MemorySegment.copy(source, offset + done * rowBytes, w.bytes(), 0, w.rows() * rowBytes));
  }

  /**
   * As {@link #write}, or, when this store copies one writer's rows at a time and another
   * writer's are being copied right now, nothing: then false, and the caller keeps its rows to
   * write later and may go on with other work. By default the same as {@link #write}, returning true.
   *
   * @throws IllegalArgumentException as {@link #write}
   * @throws IOException as {@link #write}
   */
  default boolean tryWrite(long first, MemorySegment source, long offset, long rows) throws IOException {
    write(first, source, offset, rows);
    return true;
  }

  /**
   * Whether {@link #write} of packed rows costs less than filling the same rows through
   * {@link #window}: a writer that can stage rows in memory of its own then should. False by
   * default; the {@code .npy} store writes without mapping the pages.
   */
  default boolean prefersWrite() {
    return false;
  }

  /**
   * Completes the store for exactly {@code totalRows} rows (shape {@code [totalRows, *rowShape]})
   * under temporary names: header or metadata written, sizes exact, data forced to disk when the
   * destination is durable. Rows {@code [0, totalRows)} must all have been written.
   *
   * @throws IllegalArgumentException when {@code totalRows} is negative or past the capacity
   */
  void finish(long totalRows) throws IOException;

  /** Rows given to {@link #finish}, or -1 before. */
  long finishedRows();

  /**
   * The temporary files a finished store moves into place when published, in order (a chunked store
   * may list one directory). Empty for a store that keeps nothing on disk.
   *
   * @throws IllegalStateException before {@link #finish}
   */
  List<StagedFile> staged();

  /**
   * Moves this store alone into place (atomically per file); use {@link StoreCommit} to publish the
   * stores of one export all or nothing.
   *
   * @throws java.nio.file.FileAlreadyExistsException when the destination does not allow overwriting
   *     and a file appeared at the target meanwhile: it is left untouched
   */
  void publish() throws IOException;

  /** Marks the store published after a {@link StoreCommit} moved its staged files; close then keeps them. */
  void published();

  /** Deletes everything this store created and releases its memory. Idempotent. */
  void abort();

  /** {@link #abort()} unless published; releases memory either way. Idempotent. */
  @Override
  void close();
}

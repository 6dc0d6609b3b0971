package io.tensorslab.store.zarr;

import io.tensorslab.slab.OutputFiles;
import io.tensorslab.store.RowLayout;
import io.tensorslab.store.RowStore;
import io.tensorslab.store.RowWindow;
import io.tensorslab.store.StagedFile;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;

/**
 * One worker's part of a Zarr array that several workers fill at once ({@code convert --shard I/N},
 * a Spark task): the {@link RowStore} the conversion engine writes through, restricted to the rows
 * {@code [ownedFirst, ownedEnd)} this worker owns — whole chunk files, so no two workers ever
 * write one file. Rows outside the part may be written too (a range that starts before the part,
 * or reads on past it to complete a values file): their windows are scratch memory, dropped when
 * handed back. So the engine writes a part exactly as it writes a whole array, and the chunk files
 * are the bytes a one-process export writes.
 *
 * <p>{@link #finish} completes the part ({@link ZarrArrayWriter#finishPart}) and stages no
 * metadata: the array's metadata is written once every part is done (the shard ledger's last
 * worker, {@link ZarrStore#commitMetadata}). {@link #abort} deletes nothing: the chunk files of
 * other workers, and complete chunks a rerun would replace, stay.
 *
 * <p>Threads: as {@link RowStore}; scratch windows are allocated per call.
 */
public final class ZarrPartStore implements RowStore {
  /** Rows of a scratch window at most: small, as the rows it holds are thrown away. */
  private static final long SCRATCH_BYTES = 64 << 10;

  private final RowLayout layout;
  private final ZarrArrayWriter writer;
  private final long ownedFirst;
  private final long ownedEnd;
  private final long totalRows;
  private final boolean durable;
  private boolean closed;

  private ZarrPartStore(RowLayout layout, ZarrArrayWriter writer, long ownedFirst, long ownedEnd, long totalRows,
      boolean durable) {
    this.layout = layout;
    this.writer = writer;
    this.ownedFirst = ownedFirst;
    this.ownedEnd = ownedEnd;
    this.totalRows = totalRows;
    this.durable = durable;
  }

  /**
   * The part {@code [ownedFirst, ownedEnd)} of the array {@code spec} of {@code totalRows} rows in the
   * shared {@code store}; {@code ownedFirst} starts a file of the array, {@code ownedEnd} ends one or is
   * {@code totalRows} ({@link ZarrArrayWriter#finishPart} checks it at finish).
   */
  public static ZarrPartStore create(ZarrStore store, ZarrArraySpec spec, RowLayout layout, long ownedFirst,
      long ownedEnd, long totalRows, boolean durable) throws IOException {
    if (ownedFirst < 0 || ownedFirst > ownedEnd || ownedEnd > totalRows) {
      throw new IllegalArgumentException("part [" + ownedFirst + ", " + ownedEnd + ") of an array of " + totalRows
          + " rows (path=" + spec.path() + ")");
    }
    return new ZarrPartStore(layout, store.array(spec), ownedFirst, ownedEnd, totalRows, durable);
  }

  /** The array's spec. */
  public ZarrArraySpec spec() {
    return writer.spec();
  }

  @Override
  public RowLayout layout() {
    return layout;
  }

  @Override
  public long rowBytes() {
    return writer.spec().rowBytes();
  }

  @Override
  public Path target() {
    return writer.directory();
  }

  /** Rows of the part: a window never crosses its bounds; outside them it is scratch. */
  @Override
  public RowWindow window(long first, long n) throws IOException {
    if (first < 0 || n < 1) {
      throw new IllegalArgumentException("rows [" + first + ", +" + n + ") is not a valid range (path=" + target()
          + ")");
    }
    if (first >= ownedFirst && first < ownedEnd) {
      return writer.rows(first, Math.min(n, ownedEnd - first));
    }
    long limit = first < ownedFirst ? ownedFirst - first : Long.MAX_VALUE;
    long m = Math.min(Math.min(n, limit), Math.max(1, SCRATCH_BYTES / Math.max(1, rowBytes())));
    // Native, not a heap array: a heap segment would slow every segment access in C1 code (see HeapBytes).
    return new RowWindow(first, m, Arena.ofAuto().allocate(m * rowBytes()));
  }

  @Override
  public void written(RowWindow window) throws IOException {
    if (window.first() >= ownedFirst && window.first() < ownedEnd) {
      writer.written(window.first(), window.rows());
    }
  }

  /** Completes the part; {@code rows} must be the array's total the part was made with. */
  @Override
  public void finish(long rows) throws IOException {
    if (rows != totalRows) {
      throw new IllegalArgumentException("part of an array of " + totalRows + " rows finished with " + rows
          + " (path=" + target() + ")");
    }
    writer.finishPart(ownedFirst, ownedEnd, totalRows);
    if (durable) {
      // The chunk files were forced before their renames; the renames are durable once the
      // directories holding them are (v2 chunk keys are flat, v3 ones nested under c/).
      // Other workers create and rename files in these directories meanwhile: a file gone between
      // the listing and its visit is no error (Files.walk would throw for it).
      Files.walkFileTree(target(), new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
          OutputFiles.syncDirectory(dir);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFileFailed(Path file, IOException e) {
          return FileVisitResult.CONTINUE;
        }
      });
    }
  }

  @Override
  public long finishedRows() {
    return writer.finishedRows();
  }

  /** Nothing: the metadata is written once every part is done. */
  @Override
  public List<StagedFile> staged() {
    return List.of();
  }

  @Override
  public void publish() {
    published();
  }

  @Override
  public void published() {
    close();
  }

  /** Stops writing; chunk files already written stay (a rerun of the part replaces them). */
  @Override
  public void abort() {
    close();
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      writer.close();
    }
  }
}

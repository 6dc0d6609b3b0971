package io.tensorslab.store.zarr;

import io.tensorslab.slab.OutputFiles;
import io.tensorslab.store.RowLayout;
import io.tensorslab.store.RowStore;
import io.tensorslab.store.RowWindow;
import io.tensorslab.store.StagedFile;
import io.tensorslab.store.StoreCapacity;
import io.tensorslab.store.StoreDestination;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One Zarr array as a {@link RowStore}: the array directory {@code DIR/NAME} fills with chunk files
 * as their rows complete ({@link ZarrArrayWriter}); {@link #finish} writes the array's metadata
 * ({@code .zarray} or {@code zarr.json}) under a temporary name, and the commit moves it into place.
 * Until then the directory holds chunks and no metadata: an unfinished array, which no reader
 * opens. Chunk files are written at their final names (each complete when it appears), so several
 * processes can fill one array's chunks (the scale-out plan); only metadata is staged.
 *
 * <p>Memory: one chunk buffer per chunk being filled (see {@link ZarrArrayWriter}), whatever the
 * capacity. Threads: as {@link RowStore} says; the rows of two threads may meet inside a chunk
 * (the writer counts the rows handed back per chunk and writes the chunk, once, on the thread
 * that hands back its last row, compressing it outside the writer's lock so threads compress
 * different chunks at once), and the files are the same bytes for any split of the rows.
 */
public final class ZarrRowStore implements RowStore {
  private final RowLayout layout;
  private final StoreDestination destination;
  private final Path target;
  private final long capacityRows;
  private final boolean growable;
  private final ZarrArrayWriter writer;
  private List<StagedFile> stagedMetadata;
  private boolean published;
  private boolean closed;

  private ZarrRowStore(RowLayout layout, StoreDestination destination, Path target, StoreCapacity capacity,
      ZarrArrayWriter writer) {
    this.layout = layout;
    this.destination = destination;
    this.target = target;
    this.capacityRows = capacity.rows();
    this.growable = capacity.growable();
    this.writer = writer;
  }

  /**
   * Creates the array directory {@code DIR/NAME} (and the groups of a nested name).
   *
   * @throws java.nio.file.FileAlreadyExistsException when something is at the target and the destination does
   *     not overwrite, or (with overwrite) when it is not a Zarr array that may be replaced
   */
  public static ZarrRowStore create(ZarrArraySpec spec, RowLayout layout, StoreDestination destination,
      StoreCapacity capacity) throws IOException {
    Path root = destination.directory();
    Path target = root.resolve(spec.path());
    ZarrStoreFormat format = new ZarrStoreFormat(spec.format(), spec.chunkRows(), spec.codec(), spec.chunksPerFile());
    format.checkTarget(target, destination.overwrite());
    if (Files.exists(target)) {
      // The old array goes first: while the new one fills, nothing at the target looks complete.
      ZarrFiles.deleteArray(target, root);
    }
    Files.createDirectories(target);
    return new ZarrRowStore(layout, destination, target, capacity,
        new ZarrArrayWriter(target, spec, destination.durable()));
  }

  /** The array's spec: chunking, codec, format. */
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
    return target;
  }

  @Override
  public RowWindow window(long first, long n) throws IOException {
    if (!growable && first + n > capacityRows) {
      throw new IllegalArgumentException("rows [" + first + ", " + (first + n) + ") lie past the store's exact"
          + " capacity of " + capacityRows + " rows (path=" + target + ")");
    }
    return writer.rows(first, n);
  }

  @Override
  public void written(RowWindow window) throws IOException {
    writer.written(window.first(), window.rows());
  }

  @Override
  public void finish(long totalRows) throws IOException {
    if (totalRows < 0 || !growable && totalRows > capacityRows) {
      throw new IllegalArgumentException("cannot finish with " + totalRows + " rows: capacity " + capacityRows
          + (growable ? " (growable)" : "") + " (path=" + target + ")");
    }
    writer.finish(totalRows);
    List<StagedFile> staged = new ArrayList<>();
    try {
      for (ZarrArraySpec.MetadataFile file : writer.spec().metadataFiles(totalRows)) {
        Path metadata = target.resolve(file.name());
        staged.add(new StagedFile(ZarrGroups.writeTemporary(metadata, file.bytes(), destination.durable()), metadata));
      }
    } finally {
      stagedMetadata = staged; // abort deletes whatever was staged
    }
  }

  @Override
  public long finishedRows() {
    return writer.finishedRows();
  }

  @Override
  public List<StagedFile> staged() {
    if (stagedMetadata == null) {
      throw new IllegalStateException("zarr array is not finished (path=" + target + ")");
    }
    return List.copyOf(stagedMetadata);
  }

  @Override
  public void publish() throws IOException {
    for (StagedFile metadata : staged()) {
      OutputFiles.moveIntoPlace(metadata.temporary(), metadata.target(), destination.overwrite());
    }
    if (destination.durable()) {
      OutputFiles.syncDirectory(target);
    }
    published();
  }

  @Override
  public void published() {
    published = true;
    stagedMetadata = null;
    writer.close();
  }

  @Override
  public void abort() {
    if (closed) {
      return;
    }
    closed = true;
    writer.close();
    try {
      if (stagedMetadata != null) {
        for (StagedFile file : stagedMetadata) {
          Files.deleteIfExists(file.temporary());
        }
      }
      ZarrFiles.deleteArray(target, destination.directory());
    } catch (IOException ignored) {
      // best effort, like the .npy store's: without its metadata what is left is no array to a reader
    }
  }

  @Override
  public void close() {
    if (published) {
      closed = true;
      writer.close();
      return;
    }
    abort();
  }
}

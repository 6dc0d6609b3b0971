package io.tensorslab.store.zarr;

import io.tensorslab.store.RowLayout;
import io.tensorslab.store.RowStore;
import io.tensorslab.store.StoreCapacity;
import io.tensorslab.store.StoreDestination;
import io.tensorslab.store.StoreFormat;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * Zarr output as a {@link StoreFormat}: each output is one array ({@link ZarrRowStore}) in the
 * output directory, which is the store's root group; its group metadata is written by the export's
 * commit ({@link ZarrGroups#stage}).
 *
 * {@snippet :
 * StoreFormat zarr = new ZarrStoreFormat(ZarrFormat.V3, 0, ZarrCodec.parse("zstd"), 1);
 * }
 *
 * @param format v2 or v3
 * @param chunkRows rows per chunk for every array; 0 for {@link ZarrArraySpec#defaultChunkRows}
 *     (32-64 MiB chunks, by each array's row size)
 * @param codec chunk compression
 * @param chunksPerFile chunks per shard file (v3 only; 1 for one file per chunk)
 */
public record ZarrStoreFormat(ZarrFormat format, long chunkRows, ZarrCodec codec, int chunksPerFile)
    implements StoreFormat {

  public ZarrStoreFormat {
    if (chunkRows < 0) {
      throw new IllegalArgumentException("chunk rows must be >= 1 (or 0 for the default), got " + chunkRows);
    }
    if (chunksPerFile < 1) {
      throw new IllegalArgumentException("chunks per file must be >= 1, got " + chunksPerFile);
    }
    if (chunksPerFile > 1 && format != ZarrFormat.V3) {
      throw new IllegalArgumentException("several chunks per file needs Zarr v3 (sharding): use format zarr3, or"
          + " 1 chunk per file with zarr");
    }
  }

  /** Zarr v2 or v3, uncompressed, default chunks, one file per chunk. */
  public static ZarrStoreFormat of(ZarrFormat format) {
    return new ZarrStoreFormat(format, 0, ZarrCodec.NONE, 1);
  }

  /** The array's spec for {@code layout}. */
  public ZarrArraySpec spec(RowLayout layout) {
    long rows = chunkRows > 0 ? chunkRows : ZarrArraySpec.defaultChunkRows(layout.rowBytes());
    return new ZarrArraySpec(format, layout.name(), layout.dtype(), layout.rowShape(), rows, codec, chunksPerFile);
  }

  /** {@code DIR/NAME}: the array's directory ({@code '/'} in the name makes nested groups). */
  @Override
  public Path target(Path directory, String name) {
    return directory.resolve(name);
  }

  /**
   * The array directory may be written when nothing is there, or, with overwrite, when it is a Zarr
   * array (or empty): anything else is never replaced.
   */
  @Override
  public void checkTarget(Path target, boolean overwrite) throws IOException {
    if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    if (!overwrite) {
      throw new FileAlreadyExistsException(target.toString(), null,
          "output exists; ask for overwrite to replace it (path=" + target + ")");
    }
    if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS) || !ZarrFiles.isArrayOrEmpty(target)) {
      throw new FileAlreadyExistsException(target.toString(), null, "output path holds something that is not a"
          + " Zarr array, which overwrite does not replace; remove it or choose another directory (path="
          + target + ")");
    }
  }

  @Override
  public RowStore create(RowLayout layout, StoreDestination destination, StoreCapacity capacity) throws IOException {
    return ZarrRowStore.create(spec(layout), layout, destination, capacity);
  }

  @Override
  public String toString() {
    return format.optionName();
  }
}

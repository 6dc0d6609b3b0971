package io.tensorslab.store;

import io.tensorslab.store.zarr.ZarrCodec;
import io.tensorslab.store.zarr.ZarrFormat;
import io.tensorslab.store.zarr.ZarrStoreFormat;

/**
 * A {@link StoreFormat} from the convert options' text form ({@code --format}, {@code --chunk-rows},
 * {@code --codec}, {@code --chunks-per-file}), which the command and the Spark job both take: the
 * one place that checks them together.
 */
public final class StoreFormats {
  private StoreFormats() {}

  /**
   * @param format {@code npy}, {@code zarr} or {@code zarr3}
   * @param chunkRows null for the default
   * @param codec null for none, else {@code none}, {@code gzip[:1..9]} or {@code zstd[:1..22]}
   * @param chunksPerFile null for 1
   * @throws IllegalArgumentException naming the option that does not fit
   */
  public static StoreFormat fromOptions(String format, Long chunkRows, String codec, Integer chunksPerFile) {
    ZarrFormat zarr = switch (format) {
      case "npy" -> null;
      case "zarr" -> ZarrFormat.V2;
      case "zarr3" -> ZarrFormat.V3;
      default -> throw new IllegalArgumentException("--format must be npy, zarr or zarr3, got '" + format + "'");
    };
    if (zarr == null) {
      if (chunkRows != null || codec != null || chunksPerFile != null) {
        throw new IllegalArgumentException((chunkRows != null ? "--chunk-rows" : codec != null ? "--codec"
            : "--chunks-per-file") + " applies to Zarr output: add --format zarr or --format zarr3");
      }
      return StoreFormat.NPY;
    }
    if (chunkRows != null && chunkRows < 1) {
      throw new IllegalArgumentException("--chunk-rows must be at least 1, got " + chunkRows);
    }
    if (chunksPerFile != null && chunksPerFile < 1) {
      throw new IllegalArgumentException("--chunks-per-file must be at least 1, got " + chunksPerFile);
    }
    if (chunksPerFile != null && chunksPerFile > 1 && zarr != ZarrFormat.V3) {
      throw new IllegalArgumentException("--chunks-per-file " + chunksPerFile
          + " needs --format zarr3 (Zarr v2 has one file per chunk)");
    }
    ZarrCodec chosen;
    try {
      chosen = codec == null ? ZarrCodec.NONE : ZarrCodec.parse(codec);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--codec: " + e.getMessage(), e);
    }
    return new ZarrStoreFormat(zarr, chunkRows == null ? 0 : chunkRows, chosen, chunksPerFile == null ? 1
        : chunksPerFile);
  }
}

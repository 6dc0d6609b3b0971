package io.tensorslab.store;

import io.tensorslab.store.zarr.ZarrCodec;
import io.tensorslab.store.zarr.ZarrFormat;
import io.tensorslab.store.zarr.ZarrStoreFormat;
import java.util.ServiceLoader;
import java.util.Set;

/**
 * A {@link StoreFormat} from the convert options' text form ({@code --format}, {@code --chunk-rows},
 * {@code --codec}, {@code --chunks-per-file}), which the command and the Spark job both take: the
 * one place that checks them together.
 */
public final class StoreFormats {
  /** The table formats' names, known here so that a missing module is named rather than the format unknown. */
  private static final Set<String> TABLE_FORMATS = Set.of("arrow", "parquet");

  private StoreFormats() {}

  /**
   * @param format {@code npy}, {@code zarr}, {@code zarr3}, or a {@link TableFormat}'s name ({@code arrow},
   *     {@code parquet}) when a {@link TableFormatProvider} on the class path makes it
   * @param chunkRows null for the default
   * @param codec null for none, else {@code none}, {@code gzip[:1..9]} or {@code zstd[:1..22]}
   * @param chunksPerFile null for 1
   * @throws IllegalArgumentException naming the option that does not fit
   */
  public static StoreFormat fromOptions(String format, Long chunkRows, String codec, Integer chunksPerFile) {
    if (TABLE_FORMATS.contains(format)) {
      return tableFormat(format, chunkRows, codec, chunksPerFile);
    }
    ZarrFormat zarr = switch (format) {
      case "npy" -> null;
      case "zarr" -> ZarrFormat.V2;
      case "zarr3" -> ZarrFormat.V3;
      default -> throw new IllegalArgumentException("--format must be npy, zarr, zarr3, arrow or parquet, got '"
          + format + "'");
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

  private static TableFormat tableFormat(String format, Long chunkRows, String codec, Integer chunksPerFile) {
    if (chunksPerFile != null) {
      throw new IllegalArgumentException("--chunks-per-file applies to Zarr v3 output, not --format " + format);
    }
    for (TableFormatProvider provider : ServiceLoader.load(TableFormatProvider.class,
        StoreFormats.class.getClassLoader())) {
      if (provider.names().contains(format)) {
        return provider.create(format, chunkRows, codec);
      }
    }
    throw new IllegalArgumentException("--format " + format + " needs the tensorslab-arrow module on the class path"
        + " (the tensorslab command has it; a library user adds the io.tensorslab:tensorslab-arrow dependency)");
  }
}

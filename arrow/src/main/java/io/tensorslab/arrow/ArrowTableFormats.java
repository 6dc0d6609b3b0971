package io.tensorslab.arrow;

import io.tensorslab.store.TableFormat;
import io.tensorslab.store.TableFormatProvider;
import java.util.List;

/** The table formats of this module, for {@link io.tensorslab.store.StoreFormats#fromOptions} (a ServiceLoader). */
public final class ArrowTableFormats implements TableFormatProvider {

  @Override
  public List<String> names() {
    return List.of("arrow", "parquet");
  }

  @Override
  public TableFormat create(String name, Long chunkRows, String codec) {
    return switch (name) {
      case "arrow" -> {
        if (chunkRows != null) {
          throw new IllegalArgumentException("--chunk-rows does not apply to --format arrow, which writes one record"
              + " batch; drop --chunk-rows (with --format parquet it sets the rows of a row group)");
        }
        if (codec != null && !codec.equals("none")) {
          // Arrow IPC compression (lz4_frame, zstd) needs arrow-compression, which this module does not carry.
          throw new IllegalArgumentException("--codec " + codec + " does not apply to --format arrow, which writes"
              + " uncompressed Arrow IPC (read without a copy); drop --codec");
        }
        yield new ArrowTableFormat();
      }
      case "parquet" -> {
        if (chunkRows != null && chunkRows < 1) {
          throw new IllegalArgumentException("--chunk-rows must be at least 1, got " + chunkRows);
        }
        if (codec != null && !codec.equals("none")) {
          throw new IllegalArgumentException("--codec " + codec + " does not apply to --format parquet, which is"
              + " written uncompressed (parquet-java's compressors need Hadoop, which tensorslab does not carry);"
              + " drop --codec");
        }
        yield new ParquetTableFormat(chunkRows == null ? 0 : chunkRows);
      }
      default -> throw new IllegalArgumentException("--format " + name + " is not made by " + getClass().getName());
    };
  }
}

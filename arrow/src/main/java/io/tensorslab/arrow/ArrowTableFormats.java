package io.tensorslab.arrow;

import io.tensorslab.store.TableFormat;
import io.tensorslab.store.TableFormatProvider;
import java.util.List;

/** The table formats of this module, for {@link io.tensorslab.store.StoreFormats#fromOptions} (a ServiceLoader). */
public final class ArrowTableFormats implements TableFormatProvider {

  @Override
  public List<String> names() {
    return List.of("arrow");
  }

  @Override
  public TableFormat create(String name, String codec) {
    if (!name.equals("arrow")) {
      throw new IllegalArgumentException("--format " + name + " is not made by " + getClass().getName());
    }
    if (codec != null && !codec.equals("none")) {
      // Arrow IPC compression (lz4_frame, zstd) needs arrow-compression, which this module does not carry.
      throw new IllegalArgumentException("--codec " + codec + " does not apply to --format arrow, which writes"
          + " uncompressed Arrow IPC (read without a copy); drop --codec");
    }
    return new ArrowTableFormat();
  }
}

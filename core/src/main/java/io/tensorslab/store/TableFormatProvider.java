package io.tensorslab.store;

import java.util.List;

/**
 * Makes the {@link TableFormat}s of a module outside the core, found with {@link java.util.ServiceLoader}
 * ({@code META-INF/services/io.tensorslab.store.TableFormatProvider} on the class path, {@code provides}
 * on the module path), so that the core does not carry their libraries.
 */
public interface TableFormatProvider {

  /** The {@code --format} names this provider makes ({@code arrow}, {@code parquet}). */
  List<String> names();

  /**
   * The format {@code name} with rows per row group or batch {@code chunkRows} and compression
   * {@code codec} (the {@code --chunk-rows} and {@code --codec} options; null when not given).
   *
   * @throws IllegalArgumentException naming the option that does not apply to the format
   */
  TableFormat create(String name, Long chunkRows, String codec);
}

package io.tensorslab.cli;

import io.tensorslab.store.StoreFormat;
import io.tensorslab.store.StoreFormats;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code --format}, {@code --chunk-rows}, {@code --codec}, {@code --chunks-per-file}: what the export writes (docs/zarr.md). */
final class OutputFormatOptions {

  @Spec(Spec.Target.MIXEE)
  CommandSpec spec;

  @Option(names = "--format", paramLabel = "npy|zarr|zarr3|arrow|parquet", defaultValue = "npy",
      description = "Output format: one NAME.npy per output, DIR as a Zarr v2 (zarr) or v3 (zarr3) group with "
          + "one chunked array per output, or one table with a column per feature, DIR/data.arrow (Arrow IPC) or "
          + "DIR/data.parquet (default: ${DEFAULT-VALUE}).")
  String format;

  @Option(names = "--chunk-rows", paramLabel = "N",
      description = "Zarr: rows per chunk for every array (default: the largest power of two giving chunks of at "
          + "most 64 MiB, so 32-64 MiB per chunk); Parquet: rows per row group (default: 128 MiB row groups).")
  Long chunkRows;

  @Option(names = "--codec", paramLabel = "none|gzip|zstd",
      description = "Zarr: chunk compression, optionally with a level: gzip:1..9, zstd:1..22 (default: none; "
          + "gzip means gzip:1, zstd means zstd:3). Arrow and Parquet tables are written uncompressed.")
  String codec;

  @Option(names = "--chunks-per-file", paramLabel = "K",
      description = "Zarr v3: K consecutive chunks per file (the sharding_indexed codec), for small chunks "
          + "without millions of files (default: 1).")
  Integer chunksPerFile;

  /** The store format asked for; a usage error names the flag that does not fit. */
  StoreFormat storeFormat() {
    try {
      return StoreFormats.fromOptions(format, chunkRows, codec, chunksPerFile);
    } catch (IllegalArgumentException e) {
      throw usage(e.getMessage());
    }
  }

  private ParameterException usage(String message) {
    return new ParameterException(spec.commandLine(), message);
  }
}

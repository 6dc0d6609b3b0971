package io.tensorslab.cli;

import io.tensorslab.cli.args.CommandSpec;
import io.tensorslab.cli.args.Converter;
import io.tensorslab.cli.args.UsageException;
import io.tensorslab.store.StoreFormat;
import io.tensorslab.store.StoreFormats;

/** {@code --format}, {@code --chunk-rows}, {@code --codec}, {@code --chunks-per-file}: what the export writes (docs/zarr.md). */
final class OutputFormatOptions {

  String format = "npy";

  Long chunkRows;

  String codec;

  Integer chunksPerFile;

  /** Declares the options in a command's list ({@link CommandSpec#include}). */
  void declare(CommandSpec spec) {
    spec
        .value("--format", "npy|zarr|zarr3|arrow|parquet", Converter.STRING, v -> format = v,
            "Output format: one NAME.npy per output, DIR as a Zarr v2 (zarr) or v3 (zarr3) group with "
            + "one chunked array per output, or one table with a column per feature, DIR/data.arrow (Arrow IPC) or "
            + "DIR/data.parquet (default: npy).")
        .value("--chunk-rows", "N", Converter.LONG, v -> chunkRows = v,
            "Zarr: rows per chunk for every array (default: the largest power of two giving chunks of at "
            + "most 64 MiB, so 32-64 MiB per chunk); Parquet: rows per row group (default: 128 MiB row groups).")
        .value("--codec", "none|gzip|zstd", Converter.STRING, v -> codec = v,
            "Zarr: chunk compression, optionally with a level: gzip:1..9, zstd:1..22 (default: none; "
            + "gzip means gzip:1, zstd means zstd:3). Arrow and Parquet tables are written uncompressed.")
        .value("--chunks-per-file", "K", Converter.INT, v -> chunksPerFile = v,
            "Zarr v3: K consecutive chunks per file (the sharding_indexed codec), for small chunks "
            + "without millions of files (default: 1).");
  }

  /** The store format asked for; a usage error names the flag that does not fit. */
  StoreFormat storeFormat() {
    try {
      return StoreFormats.fromOptions(format, chunkRows, codec, chunksPerFile);
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage());
    }
  }
}

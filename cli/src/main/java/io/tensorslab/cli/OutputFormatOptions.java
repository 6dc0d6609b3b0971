package io.tensorslab.cli;

import io.tensorslab.store.StoreFormat;
import io.tensorslab.store.zarr.ZarrCodec;
import io.tensorslab.store.zarr.ZarrFormat;
import io.tensorslab.store.zarr.ZarrStoreFormat;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code --format}, {@code --chunk-rows}, {@code --codec}, {@code --chunks-per-file}: what the export writes (docs/zarr.md). */
final class OutputFormatOptions {

  @Spec(Spec.Target.MIXEE)
  CommandSpec spec;

  @Option(names = "--format", paramLabel = "npy|zarr|zarr3", defaultValue = "npy",
      description = "Output format: one NAME.npy per output, or DIR as a Zarr v2 (zarr) or v3 (zarr3) group with "
          + "one chunked array per output (default: ${DEFAULT-VALUE}).")
  String format;

  @Option(names = "--chunk-rows", paramLabel = "N",
      description = "Zarr: rows per chunk for every array (default: the largest power of two giving chunks of at "
          + "most 64 MiB, so 32-64 MiB per chunk).")
  Long chunkRows;

  @Option(names = "--codec", paramLabel = "none|gzip|zstd",
      description = "Zarr: chunk compression, optionally with a level: gzip:1..9, zstd:1..22 (default: none; "
          + "gzip means gzip:1, zstd means zstd:3).")
  String codec;

  @Option(names = "--chunks-per-file", paramLabel = "K",
      description = "Zarr v3: K consecutive chunks per file (the sharding_indexed codec), for small chunks "
          + "without millions of files (default: 1).")
  Integer chunksPerFile;

  /** The store format asked for; a usage error names the flag that does not fit. */
  StoreFormat storeFormat() {
    ZarrFormat zarr = switch (format) {
      case "npy" -> null;
      case "zarr" -> ZarrFormat.V2;
      case "zarr3" -> ZarrFormat.V3;
      default -> throw usage("--format must be npy, zarr or zarr3, got '" + format + "'");
    };
    if (zarr == null) {
      if (chunkRows != null || codec != null || chunksPerFile != null) {
        throw usage((chunkRows != null ? "--chunk-rows" : codec != null ? "--codec" : "--chunks-per-file")
            + " applies to Zarr output: add --format zarr or --format zarr3");
      }
      return StoreFormat.NPY;
    }
    if (chunkRows != null && chunkRows < 1) {
      throw usage("--chunk-rows must be at least 1, got " + chunkRows);
    }
    if (chunksPerFile != null && chunksPerFile < 1) {
      throw usage("--chunks-per-file must be at least 1, got " + chunksPerFile);
    }
    if (chunksPerFile != null && chunksPerFile > 1 && zarr != ZarrFormat.V3) {
      throw usage("--chunks-per-file " + chunksPerFile + " needs --format zarr3 (Zarr v2 has one file per chunk)");
    }
    ZarrCodec chosen;
    try {
      chosen = codec == null ? ZarrCodec.NONE : ZarrCodec.parse(codec);
    } catch (IllegalArgumentException e) {
      throw usage("--codec: " + e.getMessage());
    }
    return new ZarrStoreFormat(zarr, chunkRows == null ? 0 : chunkRows, chosen, chunksPerFile == null ? 1 : chunksPerFile);
  }

  private ParameterException usage(String message) {
    return new ParameterException(spec.commandLine(), message);
  }
}

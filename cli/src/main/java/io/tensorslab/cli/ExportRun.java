package io.tensorslab.cli;

import io.tensorslab.export.Cancellation;
import io.tensorslab.export.ExportBuilder;
import io.tensorslab.export.ExportListener;
import io.tensorslab.export.ExportResult;
import io.tensorslab.export.ExportedArray;
import io.tensorslab.npy.NpyHeader;
import java.io.IOException;
import io.tensorslab.store.StoreFormat;
import io.tensorslab.store.TableFormat;
import io.tensorslab.store.zarr.ZarrFormat;
import io.tensorslab.store.zarr.ZarrStoreFormat;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Runs one export for a command: progress bar when stderr is a terminal, and a clean stop on
 * Ctrl-C (the shutdown hook cancels the export and waits for it to remove its temporary files, and
 * the output directory when the export made it).
 */
final class ExportRun {
  private ExportRun() {}

  /**
   * @param totalRows rows the export will end with, or -1 when not known ahead (for the bar)
   * @param quiet no progress bar even on a terminal
   */
  static ExportResult run(ExportBuilder builder, Path dir, long totalRows, boolean quiet, PrintWriter err)
      throws IOException {
    Path absolute = dir.toAbsolutePath().normalize();
    return run((listener, cancellation) -> builder.to(absolute).cancellation(cancellation).listener(listener).run(),
        dir, totalRows, quiet, err);
  }

  /** An export that reports to a listener and stops when cancelled. */
  @FunctionalInterface
  interface Job {
    ExportResult run(ExportListener listener, Cancellation cancellation) throws IOException;
  }

  /** Runs {@code job} with the progress bar and the Ctrl-C hook; see {@link #run(ExportBuilder, Path, long, boolean, PrintWriter)}. */
  static ExportResult run(Job job, Path dir, long totalRows, boolean quiet, PrintWriter err) throws IOException {
    ProgressBar bar = !quiet && ProgressBar.stderrIsTerminal() ? new ProgressBar(err, totalRows) : null;
    Cancellation cancellation = new Cancellation();
    CountDownLatch done = new CountDownLatch(1);
    Thread hook = new Thread(() -> {
      cancellation.cancel();
      try {
        // The exporter checks between batches; give it time to delete its temporary files.
        done.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "tensorslab-cancel");
    Runtime.getRuntime().addShutdownHook(hook);
    boolean success = false;
    try {
      ExportResult result = job.run(bar, cancellation);
      success = true;
      return result;
    } finally {
      if (bar != null) {
        bar.finish();
      }
      done.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // the hook is running: it waits for done, counted down above
      }
    }
  }

  /** The summary both {@code demo} and {@code convert} print: files, shapes, dtypes, rows, MB, time, GB/s. */
  static void printSummary(PrintWriter out, ExportResult result, StoreFormat format) {
    printSummary(out, result, format, "copying into the files", "TensorFlow producing batches and sealing");
  }

  /**
   * @param copied what the timed part ({@link ExportResult#copyNanos()}) did
   * @param rest what the rest of the time went to
   */
  static void printSummary(PrintWriter out, ExportResult result, StoreFormat format, String copied, String rest) {
    double seconds = result.elapsedSeconds();
    double mb = result.bytes() / 1e6;
    out.printf(Locale.ROOT, "wrote %,d rows, %.1f MB in %.2f s (%.2f GB/s) to %s%n", result.rows(), mb, seconds,
        seconds > 0 ? result.bytes() / 1e9 / seconds : 0.0, result.directory());
    // Most of the time is usually TensorFlow making the batches; the copy itself is what TensorSlab adds.
    double copySeconds = result.copyNanos() / 1e9;
    out.printf(Locale.ROOT, "  of which %s: %.2f s (%.2f GB/s); the rest is %s%n", copied, copySeconds,
        copySeconds > 0 ? result.bytes() / 1e9 / copySeconds : 0.0, rest);
    if (format instanceof ZarrStoreFormat zarr) {
      out.printf(Locale.ROOT, "  a Zarr %s group: one array per output, %s chunks, codec %s; the root group's "
          + "attributes hold the manifest%n", zarr.format() == ZarrFormat.V2 ? "v2" : "v3",
          zarr.chunkRows() > 0 ? zarr.chunkRows() + "-row" : "32-64 MiB", zarr.codec());
      return;
    }
    if (format instanceof TableFormat table) {
      out.printf(Locale.ROOT, "  %s: one %s table, a column per feature; manifest.json lists the columns%n",
          table.tableFile(), format);
      return;
    }
    int width = 0;
    for (ExportedArray a : result.arrays()) {
      width = Math.max(width, result.directory().relativize(a.path()).toString().length());
    }
    for (ExportedArray a : result.arrays()) {
      long bytes = a.array().header().payloadByteSize();
      // relative to DIR: nested names (image/object/bbox/xmin) show their directories
      out.printf(Locale.ROOT, "  %-" + width + "s  %-5s %-9s %-18s %10.1f MB%n", result.directory().relativize(a.path()),
          a.dtype().descr(), a.dtype().displayName(), NpyHeader.shapeText(a.shape()), bytes / 1e6);
    }
    out.printf(Locale.ROOT, "  %-" + width + "s  (lists every file)%n", result.manifest().getFileName());
  }

  /**
   * The Python that opens the export: {@code numpy.load} of the first array (no copy), for a
   * Zarr store {@code zarr.open_group} of the directory, for a table pyarrow's reader of its file.
   */
  static String pythonOpen(ExportResult result, StoreFormat format) {
    if (format instanceof ZarrStoreFormat) {
      return "import zarr; group = zarr.open_group(" + pythonString(result.directory()) + ", mode=\"r\")";
    }
    if (format instanceof TableFormat table) {
      Path file = result.directory().resolve(table.tableFile());
      return table.tableFile().endsWith(".parquet")
          ? "import pyarrow.parquet; table = pyarrow.parquet.read_table(" + pythonString(file) + ")"
          : "import pyarrow; table = pyarrow.ipc.open_file(pyarrow.memory_map(" + pythonString(file) + ")).read_all()";
    }
    return "import numpy; " + result.arrays().getFirst().name().replaceAll("[^A-Za-z0-9_]", "_") + " = "
        + pythonLoad(result.arrays().getFirst().path());
  }

  private static String pythonString(Path path) {
    return "\"" + path.toAbsolutePath().toString().replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  /** The Python line that opens {@code file} without a copy; the path quoted as a Python string. */
  static String pythonLoad(Path file) {
    return "numpy.load(" + pythonString(file) + ", mmap_mode=\"r\")";
  }
}

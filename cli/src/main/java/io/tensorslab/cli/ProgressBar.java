package io.tensorslab.cli;

import io.tensorslab.export.ExportListener;
import io.tensorslab.export.ExportProgress;
import java.io.Console;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * A one-line progress bar redrawn with {@code \r} on stderr: rows, percent, bar and ETA when the
 * total is known, MB/s always. Drawn here rather than by a library: it is one line of text, and
 * the small Java progress-bar libraries would bring JLine and a drawing thread for it.
 *
 * <p>Used only when {@link #stderrIsTerminal()}; redraws at most every 100 ms. Lives on the
 * exporting thread.
 */
final class ProgressBar implements ExportListener {
  private static final long REDRAW_NANOS = 100_000_000L;
  private static final int BAR_WIDTH = 24;

  private final PrintWriter err;
  private final long totalRows;
  private long lastDraw = Long.MIN_VALUE;
  private int lastLength;
  private ExportProgress last;

  /** @param totalRows the rows the export will end with, or -1 when not known ahead */
  ProgressBar(PrintWriter err, long totalRows) {
    this.err = err;
    this.totalRows = totalRows;
  }

  /**
   * True when stderr is a terminal. {@code System.console()} is not null on JDK 22+ even in a pipe,
   * and {@code isTerminal()} looks at stdin and stdout; on Linux {@code /proc/self/fd/2} tells
   * about stderr itself.
   */
  static boolean stderrIsTerminal() {
    Console console = System.console();
    if (console == null || !console.isTerminal()) {
      return false;
    }
    try {
      String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
      return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty") || target.equals("/dev/console");
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      return true; // no /proc: trust the console
    }
  }

  @Override
  public void onBatch(ExportProgress progress) {
    last = progress;
    long now = System.nanoTime();
    if (now - lastDraw >= REDRAW_NANOS) {
      lastDraw = now;
      draw(progress);
    }
  }

  /** Draws the final state and ends the line; call once after the export, whatever its outcome. */
  void finish() {
    if (last != null) {
      draw(last);
      err.print('\n');
      err.flush();
    }
  }

  private void draw(ExportProgress p) {
    long total = totalRows >= 0 ? totalRows : p.expectedRows();
    double seconds = p.elapsedNanos() / 1e9;
    double mbPerSecond = seconds > 0 ? p.bytes() / 1e6 / seconds : 0;
    StringBuilder line = new StringBuilder(96);
    if (total > 0) {
      double fraction = Math.min(1.0, (double) p.rows() / total);
      int filled = (int) Math.round(fraction * BAR_WIDTH);
      line.append(String.format(Locale.ROOT, "%5.1f%% [", fraction * 100))
          .append("#".repeat(filled)).append(" ".repeat(BAR_WIDTH - filled)).append("] ")
          .append(String.format(Locale.ROOT, "%,d/%,d rows", p.rows(), total))
          .append(String.format(Locale.ROOT, "  %.1f MB/s", mbPerSecond));
      if (p.rows() > 0 && p.rows() < total) {
        long eta = Math.round(seconds * (total - p.rows()) / p.rows());
        line.append(String.format(Locale.ROOT, "  ETA %d:%02d", eta / 60, eta % 60));
      }
    } else {
      line.append(String.format(Locale.ROOT, "%,d rows  %.1f MB/s  %.1f s", p.rows(), mbPerSecond, seconds));
    }
    int length = line.length();
    if (length < lastLength) {
      line.append(" ".repeat(lastLength - length)); // wipe the tail of a longer previous line
    }
    lastLength = length;
    err.print("\r" + line);
    err.flush();
  }
}

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
 * total is known, or when the share of the input read tells how far the export is (a conversion
 * without an index), MB/s always. Drawn here rather than by a library: it is one line of text, and
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
  /** When the line was last drawn; meaningless before the first draw ({@code now - Long.MIN_VALUE} overflows). */
  private long lastDraw;
  private boolean drawn;
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
    if (!drawn || now - lastDraw >= REDRAW_NANOS) {
      drawn = true;
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
      bar(line, Math.min(1.0, (double) p.rows() / total));
      line.append(String.format(Locale.ROOT, "%,d/%,d rows", p.rows(), total))
          .append(String.format(Locale.ROOT, "  %.1f MB/s", mbPerSecond));
      eta(line, (double) p.rows() / total, seconds);
    } else if (p.inputFraction() >= 0 && total < 0) {
      // Rows not known until the end (a conversion without an index): the input read tells how far.
      bar(line, p.inputFraction());
      line.append(String.format(Locale.ROOT, "%,d rows  %.1f MB/s", p.rows(), mbPerSecond));
      eta(line, p.inputFraction(), seconds);
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

  private static void bar(StringBuilder line, double fraction) {
    int filled = (int) Math.round(fraction * BAR_WIDTH);
    line.append(String.format(Locale.ROOT, "%5.1f%% [", fraction * 100))
        .append("#".repeat(filled)).append(" ".repeat(BAR_WIDTH - filled)).append("] ");
  }

  /** The time left at the rate so far, while {@code fraction} is strictly between 0 and 1. */
  private static void eta(StringBuilder line, double fraction, double seconds) {
    if (fraction > 0 && fraction < 1) {
      long eta = Math.round(seconds * (1 - fraction) / fraction);
      line.append(String.format(Locale.ROOT, "  ETA %d:%02d", eta / 60, eta % 60));
    }
  }
}

package io.tensorslab.export;

/**
 * Rows and bytes the range writers of one conversion wrote so far, and input bytes they parsed,
 * told to its listener; where they check for cancellation. Thread-safe: every range writer reports
 * to the same one.
 */
final class ConversionProgress {
  private final ExportListener listener;
  private final Cancellation cancellation;
  private long rows;
  private long bytes;
  private long inputRead;
  private long startNanos = System.nanoTime();
  /** Rows the listener is told of as the total. */
  private long total;
  /** Bytes of the whole input, told to the listener while the total is not known; -1 for none. */
  private long inputBytes = -1;

  ConversionProgress(ExportListener listener, Cancellation cancellation) {
    this.listener = listener;
    this.cancellation = cancellation;
  }

  /**
   * From now on, {@code total} rows are expected (-1: not known ahead, and then {@code inputBytes},
   * if not -1, is the input's size the parsed bytes tell the progress by); elapsed times count from
   * {@code startNanos}.
   */
  synchronized void start(long startNanos, long total, long inputBytes) {
    this.startNanos = startNanos;
    this.total = total;
    this.inputBytes = total >= 0 ? -1 : inputBytes;
  }

  /**
   * Tells the listener, once more, the rows and bytes so far with {@code total} as the total: the
   * end of a plan that finds its rows as it writes them.
   */
  synchronized void finish(long total) {
    this.total = total;
    if (inputBytes >= 0) {
      inputRead = inputBytes; // every byte was parsed
    }
    tell();
  }

  /** Forgets the rows and bytes told so far: the conversion starts over on another plan. */
  synchronized void restart() {
    rows = 0;
    bytes = 0;
    inputRead = 0;
  }

  synchronized void expect(long total) {
    this.total = total;
  }

  /**
   * Adds what a range writer wrote, and the input bytes it parsed, since its last report and tells
   * the listener; fails once cancelled.
   */
  void add(long newRows, long newBytes, long newInputBytes) throws ExportCancelledException {
    if (cancellation != null && cancellation.isCancelled()) {
      throw new ExportCancelledException("cancel() was called", -1);
    }
    synchronized (this) {
      rows += newRows;
      bytes += newBytes;
      inputRead += newInputBytes;
      tell();
    }
  }

  private void tell() {
    if (listener != null) {
      listener.onBatch(new ExportProgress(rows, rows, bytes, System.nanoTime() - startNanos, total,
          inputBytes >= 0 ? Math.min(inputRead, inputBytes) : 0, inputBytes));
    }
  }
}

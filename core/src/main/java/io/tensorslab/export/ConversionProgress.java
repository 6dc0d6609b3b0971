package io.tensorslab.export;

/**
 * Rows and bytes the range writers of one conversion wrote so far, told to its listener; where
 * they check for cancellation. Thread-safe: every range writer reports to the same one.
 */
final class ConversionProgress {
  private final ExportListener listener;
  private final Cancellation cancellation;
  private long rows;
  private long bytes;
  private long startNanos = System.nanoTime();
  /** Rows the listener is told of as the total. */
  private long total;

  ConversionProgress(ExportListener listener, Cancellation cancellation) {
    this.listener = listener;
    this.cancellation = cancellation;
  }

  /** From now on, {@code total} rows are expected; elapsed times count from {@code startNanos}. */
  synchronized void start(long startNanos, long total) {
    this.startNanos = startNanos;
    this.total = total;
  }

  /**
   * Tells the listener, once more, the rows and bytes so far with {@code total} as the total: the
   * end of a plan that finds its rows as it writes them.
   */
  synchronized void finish(long total) {
    this.total = total;
    if (listener != null) {
      listener.onBatch(new ExportProgress(rows, rows, bytes, System.nanoTime() - startNanos, total));
    }
  }

  /** Forgets the rows and bytes told so far: the conversion starts over on another plan. */
  synchronized void restart() {
    rows = 0;
    bytes = 0;
  }

  synchronized void expect(long total) {
    this.total = total;
  }

  /** Adds what a range writer wrote since its last report and tells the listener; fails once cancelled. */
  void add(long newRows, long newBytes) throws ExportCancelledException {
    if (cancellation != null && cancellation.isCancelled()) {
      throw new ExportCancelledException("cancel() was called", -1);
    }
    synchronized (this) {
      rows += newRows;
      bytes += newBytes;
      if (listener != null) {
        listener.onBatch(new ExportProgress(rows, rows, bytes, System.nanoTime() - startNanos, total));
      }
    }
  }
}

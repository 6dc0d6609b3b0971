package io.tensorslab.export;

/**
 * Where an export stands after a batch, given to {@link ExportListener#onBatch}.
 *
 * @param batches batches copied so far
 * @param rows rows copied so far
 * @param bytes payload bytes copied so far, all components
 * @param elapsedNanos time since the export started
 * @param expectedRows rows the export will end with when the cardinality (or a limit) says so, else -1
 * @param inputBytesRead bytes of the input parsed so far, when {@code inputBytes} is known; else 0
 * @param inputBytes bytes of the whole input when the rows are not known ahead but how far the
 *     input was read tells how far the export is (a TFRecord conversion without an index: the
 *     files' bytes on disk, of a compressed file its compressed bytes); else -1
 */
public record ExportProgress(long batches, long rows, long bytes, long elapsedNanos, long expectedRows,
    long inputBytesRead, long inputBytes) {

  /** Progress without a known input size: {@link #inputBytes} -1. */
  public ExportProgress(long batches, long rows, long bytes, long elapsedNanos, long expectedRows) {
    this(batches, rows, bytes, elapsedNanos, expectedRows, 0, -1);
  }

  /** True when {@link #expectedRows} is known. */
  public boolean totalKnown() {
    return expectedRows >= 0;
  }

  /**
   * The part of the input parsed so far, 0 to 1, when {@link #inputBytes} is known; else -1. Where
   * {@link #expectedRows} is not known, this still tells how far the export is.
   */
  public double inputFraction() {
    return inputBytes > 0 ? Math.min(1.0, (double) inputBytesRead / inputBytes) : inputBytes == 0 ? 1.0 : -1;
  }
}

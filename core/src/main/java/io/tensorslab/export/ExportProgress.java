package io.tensorslab.export;

/**
 * Where an export stands after a batch, given to {@link ExportListener#onBatch}.
 *
 * @param batches batches copied so far
 * @param rows rows copied so far
 * @param bytes payload bytes copied so far, all components
 * @param elapsedNanos time since the export started
 * @param expectedRows rows the export will end with when the cardinality (or a limit) says so, else -1
 */
public record ExportProgress(long batches, long rows, long bytes, long elapsedNanos, long expectedRows) {

  /** True when {@link #expectedRows} is known. */
  public boolean totalKnown() {
    return expectedRows >= 0;
  }
}

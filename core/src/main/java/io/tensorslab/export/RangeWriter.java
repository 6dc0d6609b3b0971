package io.tensorslab.export;

import io.tensorslab.tf.BatchSource;
import java.io.IOException;
import java.util.List;
import org.tensorflow.Tensor;

/**
 * Copies the batches of one {@link BatchSource} into the plan's component writers as rows
 * {@code [first, first + n)}: the single-threaded export is one range writer over the whole dataset
 * from row 0. Lives on one thread.
 */
final class RangeWriter {
  /** Rows to preallocate per batch size when the cardinality is unknown; growth doubles from there. */
  private static final long UNKNOWN_CARDINALITY_BATCHES = 64;

  /** Totals of one range. */
  record Copied(long batches, long rows, long bytes, long copyNanos) {}

  private final ExportPlan plan;
  private final List<ComponentWriter> writers;
  private final long first;
  private final long limit;

  /**
   * @param first the row this range starts at
   * @param limit rows to write at most, or -1 for every row the source gives
   */
  RangeWriter(ExportPlan plan, List<ComponentWriter> writers, long first, long limit) {
    this.plan = plan;
    this.writers = List.copyOf(writers);
    this.first = first;
    this.limit = limit;
  }

  /** Reads {@code source} to its end (or the limit) and writes every row; {@code start} is the export's start, for progress. */
  Copied copy(BatchSource source, long start) throws IOException {
    ExportOptions options = plan.options();
    int components = plan.layouts().size();
    boolean knownCardinality = plan.cardinality() >= 0;
    long rows = 0;
    long batches = 0;
    long expectedRows = limit >= 0 && !knownCardinality ? limit : -1;
    long capacityHint = 0;
    long copyNanos = 0;
    while (limit < 0 || rows < limit) {
      checkCancelled(options, batches);
      List<Tensor> batch = source.next();
      if (batch == null) {
        break;
      }
      try {
        long batchRows = batchRows(batch, components, batches);
        if (batches == 0) {
          if (knownCardinality) {
            expectedRows = Math.multiplyExact(plan.cardinality(), batchRows);
            if (limit >= 0) {
              expectedRows = Math.min(expectedRows, limit);
            }
            capacityHint = expectedRows;
          } else {
            capacityHint = Math.multiplyExact(batchRows, UNKNOWN_CARDINALITY_BATCHES);
            if (limit >= 0) {
              capacityHint = Math.min(capacityHint, limit);
            }
          }
          capacityHint = Math.addExact(first, capacityHint);
        }
        long take = limit < 0 ? batchRows : Math.min(batchRows, limit - rows);
        long copyStart = System.nanoTime();
        for (ComponentWriter writer : writers) {
          try {
            writer.append(batch, batches, first + rows, take, capacityHint);
          } catch (ExportException e) {
            throw e;
          } catch (IOException e) {
            // A full disk or a failed mapping: say which component and batch it hit, keep the path.
            throw new ExportException("writing failed: " + e.getMessage(), writer.layout().name(), batches, e);
          }
        }
        copyNanos += System.nanoTime() - copyStart;
        rows += take;
      } finally {
        for (Tensor t : batch) {
          t.close();
        }
      }
      batches++;
      if (options.listener() != null) {
        options.listener().onBatch(new ExportProgress(batches, rows, bytesWritten(), System.nanoTime() - start,
            expectedRows));
      }
    }
    return new Copied(batches, rows, bytesWritten(), copyNanos);
  }

  private long bytesWritten() {
    return writers.stream().mapToLong(ComponentWriter::bytesWritten).sum();
  }

  private static void checkCancelled(ExportOptions options, long batch) throws ExportCancelledException {
    if (options.cancellation() != null && options.cancellation().isCancelled()) {
      throw new ExportCancelledException("cancel() was called", batch);
    }
    if (Thread.currentThread().isInterrupted()) {
      throw new ExportCancelledException("the exporting thread was interrupted", batch);
    }
  }

  /** Rows in this batch: the same for every writer (dim 0 of each component, rows + 1 for row splits). */
  private long batchRows(List<Tensor> batch, int components, long index) throws ExportException {
    if (batch.size() != components) {
      throw new ExportException("batch has " + batch.size() + " components, the dataset declares " + components,
          null, index, null);
    }
    long rows = -1;
    String firstName = null;
    for (ComponentWriter writer : writers) {
      long n = writer.batchRows(batch, index);
      String name = writer.layout().name();
      if (rows < 0) {
        rows = n;
        firstName = name;
      } else if (n != rows) {
        throw new ExportException("components disagree on the batch size: " + name + " has " + n
            + " rows, " + firstName + " has " + rows, name, index, null);
      }
    }
    return rows;
  }
}

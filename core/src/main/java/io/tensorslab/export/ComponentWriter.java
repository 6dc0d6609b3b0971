package io.tensorslab.export;

import io.tensorslab.store.RowStore;
import java.io.IOException;
import java.util.List;
import org.tensorflow.Tensor;
import org.tensorflow.proto.DataType;

/**
 * Turns one component's batches into rows of its output stores ({@link RowStore}s made through
 * {@link OutputStores}: a writer never knows the format). A {@link RangeWriter} calls
 * {@link #append} per batch with the row the batch starts at; the commit calls {@link #finish} once
 * and publishes the stores it returns. {@link #close()} releases everything not yet published.
 *
 * <p>Rows: a dense writer places rows at the position given, so several range writers may fill
 * disjoint rows of it at once. Writers whose layout depends on every earlier row (padded, ragged,
 * row splits) take rows in order from one range writer and say so if asked otherwise.
 */
interface ComponentWriter extends AutoCloseable {

  ComponentLayout layout();

  /** Names of the outputs this writer produces ({@code NAME}, {@code NAME.lengths}, ...), known before any work. */
  List<String> outputNames();

  /**
   * Writes the first {@code rows} rows of this writer's component(s) of a batch as rows
   * {@code [firstRow, firstRow + rows)}.
   *
   * @param components every component's tensor of the batch, in dataset order
   * @param batchIndex the batch's index in the dataset, for error messages
   * @param capacityHint rows the whole export is expected to hold (cardinality times batch size,
   *     capped by the limit), used to preallocate at the first batch
   * @throws ExportException when a tensor's dtype or shape disagrees with the layout
   */
  void append(List<Tensor> components, long batchIndex, long firstRow, long rows, long capacityHint)
      throws IOException;

  /** The tensor of {@code layout}'s component in {@code components}, checked to have the dtype the dataset declares. */
  static Tensor checkedTensor(List<Tensor> components, ComponentLayout layout, DataType expected, long batchIndex)
      throws ExportException {
    Tensor tensor = components.get(layout.index());
    if (tensor.dataType() != expected) {
      throw new ExportException("batch has the wrong dtype: " + tensor.dataType() + ", the dataset declares "
          + expected, layout.name(), batchIndex, null);
    }
    return tensor;
  }

  /**
   * Rows this writer's component holds in a batch: dim 0 of its tensor. Every writer of an export
   * must agree on it.
   */
  default long batchRows(List<Tensor> components, long batchIndex) throws ExportException {
    long[] shape = components.get(layout().index()).shape().asArray();
    if (shape.length == 0) {
      throw new ExportException("batch element is a scalar, not a batch of rows: is the dataset batched?",
          layout().name(), batchIndex, null);
    }
    return shape[0];
  }

  /** Payload bytes written so far. */
  long bytesWritten();

  /**
   * Completes the output stores for {@code totalRows} rows, under their temporary names.
   *
   * @return the finished, not yet published stores
   */
  List<RowStore> finish(long totalRows) throws IOException;

  @Override
  void close();

  /** Refuses rows that do not continue where the last batch ended: this writer's layout depends on every earlier row. */
  static void checkInOrder(ComponentLayout layout, long expected, long firstRow) {
    if (firstRow != expected) {
      throw new IllegalStateException("rows must arrive in order for component '" + layout.name() + "': got row "
          + firstRow + ", expected " + expected + "; its layout depends on every earlier row, so one range writer "
          + "writes it");
    }
  }
}

package io.tensorslab.export;

import io.tensorslab.slab.FileSlab;
import java.io.IOException;
import java.util.List;
import org.tensorflow.Tensor;
import org.tensorflow.proto.DataType;

/**
 * Writes one component's rows to its output files. The exporter owns one per component and calls
 * it from the exporting thread only: {@link #append} per batch, {@link #finish} once, then
 * publishes what finish returned. {@link #close()} releases everything not yet published.
 */
interface ComponentWriter extends AutoCloseable {

  ComponentLayout layout();

  /** Final file names this writer produces, known before any work so destinations can be checked. */
  List<String> fileNames();

  /**
   * Copies the first {@code rows} rows of this writer's component(s) of a batch into place.
   *
   * @param batch every component's tensor of the batch, in dataset order
   * @param capacityHint rows the whole export is expected to hold (cardinality times batch size,
   *     capped by the limit), used to preallocate at the first batch
   * @throws ExportException when a tensor's dtype or shape disagrees with the layout
   */
  void append(List<Tensor> batch, long index, long rows, long capacityHint) throws IOException;

  /** The tensor of {@code layout}'s component in {@code batch}, checked to have the dtype the dataset declares. */
  static Tensor checkedTensor(List<Tensor> batch, ComponentLayout layout, DataType expected, long index)
      throws ExportException {
    Tensor tensor = batch.get(layout.index());
    if (tensor.dataType() != expected) {
      throw new ExportException("batch has the wrong dtype: " + tensor.dataType() + ", the dataset declares "
          + expected, layout.name(), index, null);
    }
    return tensor;
  }

  /**
   * Rows this writer's component holds in {@code batch}: dim 0 of its tensor. Every writer of an
   * export must agree on it.
   */
  default long batchRows(List<Tensor> batch, long index) throws ExportException {
    long[] shape = batch.get(layout().index()).shape().asArray();
    if (shape.length == 0) {
      throw new ExportException("batch element is a scalar, not a batch of rows: is the dataset batched?",
          layout().name(), index, null);
    }
    return shape[0];
  }

  /** Payload bytes appended so far. */
  long bytesWritten();

  /**
   * Completes the output files for {@code totalRows} rows, under their temporary names.
   *
   * @return the finished, not yet published slabs
   */
  List<FileSlab> finish(long totalRows) throws IOException;

  @Override
  void close();
}

package io.tensorslab.export;

import io.tensorslab.npy.NpyDtype;
import io.tensorslab.npy.NpyHeader;
import io.tensorslab.store.RowLayout;
import io.tensorslab.store.RowStore;
import io.tensorslab.store.RowStores;
import io.tensorslab.store.StoreCapacity;
import io.tensorslab.tf.TensorBytes;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Tensor;
import org.tensorflow.proto.DataType;

/**
 * A ragged feature that TensorFlow already hands over as two components per batch, as
 * {@code tf.RaggedTensor} and {@code tf.io.parse_example} do: flat {@code values} and
 * {@code row_splits} (int64, rows + 1, starting at 0 in every batch). Writes {@code NAME.values.npy}
 * (the values of all batches, one after the other, through the writer the values' type calls for:
 * dense for numbers, {@code |S{max}} for strings) and {@code NAME.row_splits.npy} (rows + 1 over the
 * whole export, each batch's splits shifted by the values before it): exactly the
 * {@code flat_values} and {@code row_splits} of one ragged tensor holding every row. Rows arrive in
 * order from one range writer: each batch's splits are shifted by every value before it.
 */
final class RowSplitsWriter implements ComponentWriter {
  private static final ValueLayout.OfLong INT64 = ValueLayout.JAVA_LONG_UNALIGNED;

  private final ComponentWriter values;
  private final ComponentLayout splits;
  private final ComponentLayout layout;
  private final String splitsName;
  private final OutputStores stores;
  private RowStore splitsStore;
  private long rowsWritten;
  private long valueCount;

  /**
   * @param values writes the values component; its layout is named {@code NAME.values}
   * @param splits the row splits component
   */
  RowSplitsWriter(String name, ComponentWriter values, ComponentLayout splits, OutputStores stores) {
    this.values = values;
    this.splits = splits;
    ComponentLayout v = values.layout();
    this.layout = new ComponentLayout(v.index(), name, v.type(), v.dtype(), v.rowShape());
    this.splitsName = name + ".row_splits";
    this.stores = stores;
  }

  @Override
  public ComponentLayout layout() {
    return layout;
  }

  @Override
  public List<String> outputNames() {
    List<String> names = new ArrayList<>(values.outputNames());
    names.add(splitsName);
    return names;
  }

  /** Rows of a batch: its row splits hold one more entry than rows. */
  @Override
  public long batchRows(List<Tensor> batch, long index) throws ExportException {
    Tensor s = batch.get(splits.index());
    long[] shape = s.shape().asArray();
    if (s.dataType() != DataType.DT_INT64 || shape.length != 1 || shape[0] < 1) {
      throw new ExportException("row splits must be int64 of shape (rows + 1,), got " + s.dataType() + " "
          + NpyHeader.shapeText(shape), splits.name(), index, null);
    }
    return shape[0] - 1;
  }

  @Override
  public void append(List<Tensor> components, long batchIndex, long firstRow, long rows, long capacityHint)
      throws IOException {
    ComponentWriter.checkInOrder(layout, rowsWritten, firstRow);
    long batchRows = batchRows(components, batchIndex);
    long[] valuesShape = components.get(values.layout().index()).shape().asArray();
    if (valuesShape.length == 0) {
      throw new ExportException("ragged values must have at least one dim, got a scalar",
          values.layout().name(), batchIndex, null);
    }
    MemorySegment s = TensorBytes.of(components.get(splits.index()));
    checkSplits(s, batchRows, valuesShape[0], batchIndex);
    long takeValues = s.getAtIndex(INT64, rows);
    if (splitsStore == null) {
      startSplits(StoreCapacity.growable(Math.max(capacityHint, rows) + 1));
    }
    long valuesPerRow = batchRows == 0 ? 1 : Math.max(1, valuesShape[0] / batchRows);
    long valuesHint = Math.max(takeValues, capacityHint > Long.MAX_VALUE / valuesPerRow ? takeValues
        : capacityHint * valuesPerRow);
    values.append(components, batchIndex, valueCount, takeValues, valuesHint);
    RowStores.fill(splitsStore, rowsWritten + 1, rows, (w, done) -> {
      for (long i = 0; i < w.rows(); i++) {
        w.bytes().setAtIndex(INT64, i, valueCount + s.getAtIndex(INT64, done + i + 1));
      }
    });
    rowsWritten += rows;
    valueCount += takeValues;
  }

  private void checkSplits(MemorySegment s, long batchRows, long batchValues, long index) throws ExportException {
    long previous = s.getAtIndex(INT64, 0);
    if (previous != 0) {
      throw new ExportException("row splits must start at 0, got " + previous, splits.name(), index, null);
    }
    for (long i = 1; i <= batchRows; i++) {
      long next = s.getAtIndex(INT64, i);
      if (next < previous) {
        throw new ExportException("row splits must not decrease: entry " + i + " is " + next + " after "
            + previous, splits.name(), index, null);
      }
      previous = next;
    }
    if (previous != batchValues) {
      throw new ExportException("row splits end at " + previous + " but the batch holds " + batchValues
          + " values", splits.name(), index, null);
    }
  }

  @Override
  public long bytesWritten() {
    return values.bytesWritten() + rowsWritten * Long.BYTES;
  }

  /** The row_splits store with its leading 0. */
  private void startSplits(StoreCapacity capacity) throws IOException {
    splitsStore = stores.create(new RowLayout(splitsName, NpyDtype.INT64, new long[0]), capacity);
    RowStores.fill(splitsStore, 0, 1, (w, done) -> w.bytes().set(INT64, 0, 0L));
  }

  @Override
  public List<RowStore> finish(long totalRows) throws IOException {
    if (splitsStore == null) {
      startSplits(StoreCapacity.exact(1)); // no batch arrived: the one split an empty ragged tensor has
    }
    List<RowStore> finished = new ArrayList<>(values.finish(valueCount));
    splitsStore.finish(totalRows + 1);
    finished.add(splitsStore);
    return finished;
  }

  @Override
  public void close() {
    values.close();
    if (splitsStore != null) {
      splitsStore.close();
    }
  }
}

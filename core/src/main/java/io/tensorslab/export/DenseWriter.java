package io.tensorslab.export;

import io.tensorslab.npy.NpyHeader;
import io.tensorslab.store.RowLayout;
import io.tensorslab.store.RowStore;
import io.tensorslab.store.StoreCapacity;
import io.tensorslab.tf.TensorBytes;
import io.tensorslab.tf.TfDtypes;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import org.tensorflow.Tensor;
import org.tensorflow.proto.DataType;

/**
 * The common case: every batch has the same row shape, so rows are copied byte for byte from the
 * tensor's native buffer into one {@link RowStore} at the rows the range writer gives. Rows are
 * positional: several range writers may append disjoint rows at once.
 */
final class DenseWriter implements ComponentWriter {
  private final ComponentLayout layout;
  private final OutputStores stores;
  private final DataType expectedType;
  private final LongAdder bytes = new LongAdder();
  private volatile long[] rowShape;
  private volatile RowStore store;

  DenseWriter(ComponentLayout layout, OutputStores stores) {
    this.layout = layout;
    this.stores = stores;
    this.expectedType = TfDtypes.dataType(layout.type());
    this.rowShape = layout.rowShape();
  }

  @Override
  public ComponentLayout layout() {
    return layout;
  }

  @Override
  public List<String> outputNames() {
    return List.of(layout.name());
  }

  @Override
  public void append(List<Tensor> components, long batchIndex, long firstRow, long rows, long capacityHint)
      throws IOException {
    Tensor tensor = ComponentWriter.checkedTensor(components, layout, expectedType, batchIndex);
    long[] shape = checkShape(tensor, batchIndex);
    RowStore out = storeFor(shape, Math.max(capacityHint, firstRow + rows));
    long length = rows * out.rowBytes();
    MemorySegment source = TensorBytes.of(tensor);
    if (source.byteSize() < length) {
      throw new ExportException("copying batch failed: the tensor holds " + source.byteSize()
          + " bytes, " + rows + " rows need " + length, layout.name(), batchIndex, null);
    }
    out.write(firstRow, source, 0, rows);
    bytes.add(length);
  }

  /** The store, made at the first batch: the row shape may be known only from it. */
  private RowStore storeFor(long[] batchShape, long capacityRows) throws IOException {
    RowStore s = store;
    if (s != null) {
      return s;
    }
    synchronized (this) {
      if (store == null) {
        rowShape = Arrays.copyOfRange(batchShape, 1, batchShape.length);
        store = stores.create(new RowLayout(layout.name(), layout.dtype(), rowShape),
            StoreCapacity.growable(capacityRows));
      }
      return store;
    }
  }

  /** Checks the shape against the layout and the first batch; returns the tensor's shape. */
  private long[] checkShape(Tensor tensor, long batchIndex) throws ExportException {
    long[] shape = tensor.shape().asArray();
    long[] expected = rowShape;
    if (expected == null) {
      return shape; // rank unknown until this first batch; the store is created from it
    }
    if (shape.length != expected.length + 1) {
      throw new ExportException("batch has the wrong rank: shape " + NpyHeader.shapeText(shape)
          + ", expected a batch of rows shaped " + NpyHeader.shapeText(expected), layout.name(), batchIndex, null);
    }
    for (int i = 0; i < expected.length; i++) {
      if (expected[i] >= 0 && expected[i] != shape[i + 1]) {
        throw new ExportException(Padding.shapeChangedMessage(layout.name(),
            Arrays.copyOfRange(shape, 1, shape.length), expected), layout.name(), batchIndex, null);
      }
    }
    return shape;
  }

  @Override
  public long bytesWritten() {
    return bytes.sum();
  }

  @Override
  public List<RowStore> finish(long totalRows) throws IOException {
    if (store == null) {
      // No batch arrived: an empty array, with 0 for any dim TensorFlow did not know statically.
      long[] empty = rowShape == null ? new long[0] : Arrays.stream(rowShape).map(d -> Math.max(d, 0)).toArray();
      store = stores.create(new RowLayout(layout.name(), layout.dtype(), empty), StoreCapacity.exact(0));
    }
    store.finish(totalRows);
    return List.of(store);
  }

  @Override
  public void close() {
    if (store != null) {
      store.close();
    }
  }
}

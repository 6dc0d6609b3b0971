package io.tensorslab.export;

import io.tensorslab.npy.NpyDtype;
import io.tensorslab.store.RowLayout;
import io.tensorslab.store.RowStore;
import io.tensorslab.store.RowStores;
import io.tensorslab.store.StoreCapacity;
import io.tensorslab.tf.TStrings;
import io.tensorslab.tf.TensorBytes;
import io.tensorslab.tf.TfDtypes;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;
import org.tensorflow.Tensor;
import org.tensorflow.proto.DataType;

/**
 * {@link ShapePolicy#RAGGED}: {@code NAME.values.npy} and {@code NAME.row_splits.npy}, as
 * {@code tf.RaggedTensor}'s {@code flat_values} and {@code row_splits}. Both are appended to as
 * batches come; nothing is staged.
 *
 * <ul>
 *   <li>Numeric: a batch {@code [b, w, *inner]} adds {@code b} rows of length {@code w} (the batch's own
 *       width); values are {@code [sum of w, *inner]}, and {@code inner} must not change between batches.
 *   <li>Strings, one per row ({@code [b]} batches): every string is one row of its bytes; values
 *       are {@code uint8}.
 *   <li>String vectors ({@code [b, w]} batches, rows declared of rank 1): a row is its {@code w}
 *       strings, as in {@code tf.RaggedTensor} of strings: {@code row_splits} splits the strings
 *       into rows, and {@code NAME.byte_splits.npy} ({@code strings + 1}) splits the {@code uint8}
 *       values into strings.
 * </ul>
 *
 * Rows arrive in order from one range writer: where a row's values go depends on every earlier row.
 */
final class RaggedWriter implements ComponentWriter {
  private static final String SCALAR_ROWS = "cannot export component '%s' as ragged: its rows are scalars, with no "
      + "dim to vary";
  private final ComponentLayout layout;
  private final String valuesName;
  private final String splitsName;
  private final boolean strings;
  /** String rows of rank 1: rows of strings, each string of bytes (two levels of splits). */
  private final boolean stringVectors;
  private final String byteSplitsName;
  private RowStore byteSplits;
  private long stringCount; // string vectors: strings written
  private final DataType expectedType;
  private final OutputStores stores;
  private long[] inner; // numeric: the dims after the varying one
  private RowStore values;
  private RowStore splits;
  private long valueRows; // numeric: rows of values; strings: bytes
  private long splitCount; // rows written to row_splits, not counting its leading 0
  private long rowsWritten;
  private long bytes;

  RaggedWriter(ComponentLayout layout, OutputStores stores) {
    this.layout = layout;
    this.valuesName = layout.name() + ".values";
    this.splitsName = layout.name() + ".row_splits";
    this.strings = TfDtypes.isVariableWidth(layout.type());
    this.stringVectors = strings && layout.rowShape() != null && layout.rowShape().length == 1;
    this.byteSplitsName = layout.name() + ".byte_splits";
    this.expectedType = TfDtypes.dataType(layout.type());
    this.stores = stores;
    long[] declared = layout.rowShape();
    if (!strings && declared != null) {
      if (declared.length == 0) {
        throw new IllegalArgumentException(SCALAR_ROWS.formatted(layout.name()) + " (component=" + layout.name() + ")");
      }
      inner = Arrays.copyOfRange(declared, 1, declared.length);
    }
  }

  @Override
  public ComponentLayout layout() {
    return layout;
  }

  @Override
  public List<String> outputNames() {
    return stringVectors ? List.of(valuesName, splitsName, byteSplitsName) : List.of(valuesName, splitsName);
  }

  @Override
  public void append(List<Tensor> components, long batchIndex, long firstRow, long rows, long capacityHint)
      throws IOException {
    ComponentWriter.checkInOrder(layout, rowsWritten, firstRow);
    Tensor tensor = ComponentWriter.checkedTensor(components, layout, expectedType, batchIndex);
    long[] shape = tensor.shape().asArray();
    MemorySegment source = TensorBytes.of(tensor);
    if (strings) {
      appendStrings(source, shape, batchIndex, rows, capacityHint);
      rowsWritten += rows;
      return;
    }
    if (shape.length < 2) {
      throw new ExportException(SCALAR_ROWS.formatted(layout.name()), layout.name(), batchIndex, null);
    }
    long width = shape[1];
    long[] batchInner = Arrays.copyOfRange(shape, 2, shape.length);
    checkInner(batchInner, batchIndex);
    if (values == null) {
      inner = batchInner;
      long hint = Math.multiplyExact(Math.max(capacityHint, rows), Math.max(width, 1));
      values = stores.create(new RowLayout(valuesName, layout.dtype(), inner), StoreCapacity.growable(hint));
    }
    long addRows = Math.multiplyExact(rows, width);
    long length = Math.multiplyExact(addRows, values.rowBytes());
    if (source.byteSize() < length) {
      throw new ExportException("copying batch failed: the tensor holds " + source.byteSize()
          + " bytes, " + rows + " rows need " + length, layout.name(), batchIndex, null);
    }
    values.write(valueRows, source, 0, addRows);
    appendSplits(rows, width, valueRows, capacityHint);
    valueRows += addRows;
    bytes += length;
    rowsWritten += rows;
  }

  private void checkInner(long[] batchInner, long batch) throws ExportException {
    if (inner == null) {
      return;
    }
    boolean same = inner.length == batchInner.length;
    for (int d = 0; same && d < inner.length; d++) {
      same = inner[d] < 0 || inner[d] == batchInner[d];
    }
    if (!same) {
      throw new ExportException("batch shape differs after the ragged dim: rows are " + withWidth(batchInner)
          + ", earlier rows " + withWidth(inner)
          + "; ShapePolicy.RAGGED lets only the first row dim vary, ShapePolicy.PAD pads every dim",
          layout.name(), batch, null);
    }
  }

  private static String withWidth(long[] inner) {
    StringBuilder sb = new StringBuilder("(w");
    for (long d : inner) {
      sb.append(", ").append(d < 0 ? "?" : Long.toString(d));
    }
    return sb.append(')').toString();
  }

  /** A splits store named {@code name} with its leading 0, made at the first batch. */
  private RowStore startSplits(String name, long capacityHint) throws IOException {
    RowStore store = stores.create(new RowLayout(name, NpyDtype.INT64, new long[0]),
        StoreCapacity.growable(capacityHint + 1));
    RowStores.fill(store, 0, 1, (w, done) -> w.bytes().set(ValueLayout.JAVA_LONG_UNALIGNED, 0, 0L));
    return store;
  }

  /** Adds {@code count} rows of {@code length} each to row_splits, after {@code before} values (or strings). */
  private void appendSplits(long count, long length, long before, long capacityHint) throws IOException {
    if (splits == null) {
      splits = startSplits(splitsName, Math.max(capacityHint, count));
    }
    long[] end = {before};
    RowStores.fill(splits, splitCount + 1, count, (w, done) -> {
      for (long r = 0; r < w.rows(); r++) {
        end[0] += length;
        w.bytes().setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, r, end[0]);
      }
    });
    splitCount += count;
  }

  private void appendStrings(MemorySegment structs, long[] shape, long batch, long take, long capacityHint)
      throws IOException {
    if (shape.length == 0) {
      throw new ExportException(SCALAR_ROWS.formatted(layout.name()), layout.name(), batch, null);
    }
    if (stringVectors != (shape.length == 2)) {
      throw new ExportException("cannot export component '" + layout.name() + "' as ragged strings: a batch has"
          + " shape " + Arrays.toString(shape) + " but the dataset declares rows of shape "
          + (layout.rowShape() == null ? "unknown" : Arrays.toString(layout.rowShape()))
          + "; RAGGED keeps one string per row ([rows]) or a vector of strings per row ([rows, -1], declared"
          + " so); use ShapePolicy.PAD for more dims", layout.name(), batch, null);
    }
    long perRow = Padding.product(shape, 1, shape.length);
    long elements = Math.multiplyExact(take, perRow);
    if (TStrings.count(structs) < elements) {
      throw new ExportException("copying batch failed: the tensor holds " + TStrings.count(structs)
          + " strings, " + elements + " needed", layout.name(), batch, null);
    }
    long total = 0;
    for (long i = 0; i < elements; i++) {
      total += TStrings.length(structs, i);
    }
    if (values == null) {
      values = stores.create(new RowLayout(valuesName, NpyDtype.UINT8, new long[0]),
          StoreCapacity.growable(Math.max(total, 1024)));
    }
    if (stringVectors) {
      appendSplits(take, perRow, stringCount, capacityHint);
      stringCount += elements;
      if (byteSplits == null) {
        byteSplits = startSplits(byteSplitsName, Math.multiplyExact(Math.max(capacityHint, take), perRow));
      }
    } else if (splits == null) {
      splits = startSplits(splitsName, Math.multiplyExact(Math.max(capacityHint, take), perRow));
    }
    RowStore stringSplits = stringVectors ? byteSplits : splits;
    long stringSplitsBefore = stringVectors ? stringCount - elements : splitCount;
    // every string's bytes one after the other, however the store cuts its windows
    long[] next = {0, 0}; // string index, bytes of it already copied
    RowStores.fill(values, valueRows, total, (w, done) -> {
      long filled = 0;
      while (filled < w.rows()) {
        MemorySegment value = TStrings.bytes(structs, next[0]);
        long n = Math.min(value.byteSize() - next[1], w.rows() - filled);
        MemorySegment.copy(value, next[1], w.bytes(), filled, n);
        filled += n;
        next[1] += n;
        if (next[1] == value.byteSize()) {
          next[0]++;
          next[1] = 0;
        }
      }
    });
    long[] end = {valueRows};
    long[] index = {0};
    RowStores.fill(stringSplits, stringSplitsBefore + 1, elements, (w, done) -> {
      for (long r = 0; r < w.rows(); r++) {
        end[0] += TStrings.length(structs, index[0]++);
        w.bytes().setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, r, end[0]);
      }
    });
    if (!stringVectors) {
      splitCount += elements;
    }
    valueRows += total;
    bytes += total;
  }

  @Override
  public long bytesWritten() {
    return bytes;
  }

  @Override
  public List<RowStore> finish(long totalRows) throws IOException {
    if (values == null) {
      long[] rowShape = strings || inner == null ? new long[0] : Arrays.stream(inner).map(d -> Math.max(d, 0)).toArray();
      values = stores.create(new RowLayout(valuesName, strings ? NpyDtype.UINT8 : layout.dtype(), rowShape),
          StoreCapacity.exact(0));
    }
    if (splits == null) {
      splits = startSplits(splitsName, 0);
    }
    values.finish(valueRows);
    splits.finish(splitCount + 1);
    if (!stringVectors) {
      return List.of(values, splits);
    }
    if (byteSplits == null) {
      byteSplits = startSplits(byteSplitsName, 0);
    }
    byteSplits.finish(stringCount + 1);
    return List.of(values, splits, byteSplits);
  }

  @Override
  public void close() {
    if (values != null) {
      values.close();
    }
    if (splits != null) {
      splits.close();
    }
    if (byteSplits != null) {
      byteSplits.close();
    }
  }
}

package io.tensorslab.export;

import io.tensorslab.npy.NpyDtype;
import io.tensorslab.slab.FileSlab;
import io.tensorslab.slab.SlabOption;
import io.tensorslab.tf.TStrings;
import io.tensorslab.tf.TensorBytes;
import io.tensorslab.tf.TfDtypes;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
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
 *   <li>Strings: every string (of a {@code [b, *k]} batch, in C order) is one row of its bytes; values
 *       are {@code uint8}.
 * </ul>
 *
 * Used by the exporting thread only.
 */
final class RaggedWriter implements ComponentWriter {
  private final ComponentLayout layout;
  private final Path valuesTarget;
  private final Path splitsTarget;
  private final boolean strings;
  private final DataType expectedType;
  private final SlabOption[] options;
  private long[] inner; // numeric: the dims after the varying one
  private FileSlab values;
  private FileSlab splits;
  private long valueRows; // numeric: rows of values; strings: bytes
  private long splitCount; // rows written to row_splits, not counting its leading 0
  private long bytes;
  /** The output directory; file names are given relative to it. */
  private final Path dir;

  RaggedWriter(ComponentLayout layout, Path dir, SlabOption... options) {
    this.layout = layout;
    this.dir = dir;
    this.valuesTarget = OutputNames.resolve(dir, layout.name(), ".values.npy");
    this.splitsTarget = OutputNames.resolve(dir, layout.name(), ".row_splits.npy");
    this.strings = TfDtypes.isVariableWidth(layout.type());
    this.expectedType = TfDtypes.dataType(layout.type());
    this.options = options;
    long[] declared = layout.rowShape();
    if (!strings && declared != null) {
      if (declared.length == 0) {
        throw new IllegalArgumentException(scalarRows(-1));
      }
      inner = Arrays.copyOfRange(declared, 1, declared.length);
    }
  }

  private String scalarRows(long batch) {
    return "cannot export component '" + layout.name() + "' as ragged: its rows are scalars, with no dim to "
        + "vary (component=" + layout.name() + (batch >= 0 ? ", batch=" + batch : "") + ")";
  }

  @Override
  public ComponentLayout layout() {
    return layout;
  }

  @Override
  public List<String> fileNames() {
    return List.of(dir.relativize(valuesTarget).toString(), dir.relativize(splitsTarget).toString());
  }

  @Override
  public void append(List<Tensor> components, long batch, long take, long capacityHint) throws IOException {
    Tensor tensor = ComponentWriter.checkedTensor(components, layout, expectedType, batch);
    long[] shape = tensor.shape().asArray();
    MemorySegment source = TensorBytes.of(tensor);
    if (strings) {
      appendStrings(source, shape, batch, take, capacityHint);
      return;
    }
    if (shape.length < 2) {
      throw new ExportException(scalarRows(batch), null, -1, null);
    }
    long width = shape[1];
    long[] batchInner = Arrays.copyOfRange(shape, 2, shape.length);
    if (inner == null || values == null) {
      checkInner(batchInner, batch);
      inner = batchInner;
      long hint = Math.multiplyExact(Math.max(capacityHint, take), Math.max(width, 1));
      values = FileSlab.create(valuesTarget, layout.dtype(), inner, hint, options);
    } else {
      checkInner(batchInner, batch);
    }
    long addRows = Math.multiplyExact(take, width);
    long length = Math.multiplyExact(addRows, values.rowBytes());
    if (source.byteSize() < length) {
      throw new ExportException("copying batch failed: the tensor holds " + source.byteSize()
          + " bytes, " + take + " rows need " + length, layout.name(), batch, null);
    }
    values.ensureCapacity(valueRows + addRows);
    MemorySegment.copy(source, 0, values.payload(), valueRows * values.rowBytes(), length);
    appendSplits(take, width, capacityHint);
    valueRows += addRows;
    bytes += length;
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

  /** Adds {@code count} rows of {@code length} each to row_splits. */
  private void appendSplits(long count, long length, long capacityHint) throws IOException {
    if (splits == null) {
      splits = FileSlab.create(splitsTarget, NpyDtype.INT64, new long[0], Math.max(capacityHint, count) + 1, options);
      splits.payload().setAtIndex(ValueLayout.JAVA_LONG, 0, 0L);
    }
    splits.ensureCapacity(splitCount + count + 1);
    MemorySegment payload = splits.payload();
    long end = payload.getAtIndex(ValueLayout.JAVA_LONG, splitCount);
    for (long r = 0; r < count; r++) {
      end += length;
      payload.setAtIndex(ValueLayout.JAVA_LONG, ++splitCount, end);
    }
  }

  private void appendStrings(MemorySegment structs, long[] shape, long batch, long take, long capacityHint)
      throws IOException {
    if (shape.length == 0) {
      throw new ExportException(scalarRows(batch), null, -1, null);
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
      values = FileSlab.create(valuesTarget, NpyDtype.UINT8, new long[0], Math.max(total, 1024), options);
    }
    if (splits == null) {
      appendSplits(0, 0, Math.multiplyExact(Math.max(capacityHint, take), perRow));
    }
    values.ensureCapacity(valueRows + total);
    splits.ensureCapacity(splitCount + elements + 1);
    MemorySegment out = values.payload();
    MemorySegment ends = splits.payload();
    for (long i = 0; i < elements; i++) {
      MemorySegment value = TStrings.bytes(structs, i);
      MemorySegment.copy(value, 0, out, valueRows, value.byteSize());
      valueRows += value.byteSize();
      ends.setAtIndex(ValueLayout.JAVA_LONG, ++splitCount, valueRows);
    }
    bytes += total;
  }

  @Override
  public long bytesWritten() {
    return bytes;
  }

  @Override
  public List<FileSlab> finish(long totalRows) throws IOException {
    if (values == null) {
      long[] rowShape = strings || inner == null ? new long[0] : Arrays.stream(inner).map(d -> Math.max(d, 0)).toArray();
      values = FileSlab.create(valuesTarget, strings ? NpyDtype.UINT8 : layout.dtype(), rowShape, 0, options);
    }
    if (splits == null) {
      appendSplits(0, 0, 0);
    }
    long[] valuesShape = new long[values.rowShape().length + 1];
    valuesShape[0] = valueRows;
    System.arraycopy(values.rowShape(), 0, valuesShape, 1, valuesShape.length - 1);
    values.finish(valuesShape);
    splits.finish(new long[] {splitCount + 1});
    return List.of(values, splits);
  }

  @Override
  public void close() {
    if (values != null) {
      values.close();
    }
    if (splits != null) {
      splits.close();
    }
  }
}

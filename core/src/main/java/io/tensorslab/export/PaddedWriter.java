package io.tensorslab.export;

import io.tensorslab.npy.NpyDtype;
import io.tensorslab.npy.NpyHeader;
import io.tensorslab.slab.MemorySlab;
import io.tensorslab.slab.StagingFile;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.tensorflow.Tensor;
import org.tensorflow.proto.DataType;

/**
 * Components whose final layout is known only at the end: {@link ShapePolicy#PAD} (numeric or
 * string) and strings under {@link ShapePolicy#ERROR} (the {@code |S{n}} width is the longest value,
 * known after the last batch).
 *
 * <p>Batches are staged as they come, never on the heap: their packed bytes go to a
 * {@link StagingFile} in the output directory, string lengths to a second one, and each batch's row
 * count and row shape to a small native side slab. {@link #finish} then lays everything out once into the final
 * store, padded, and deletes the staging files. Rows arrive in order from one range writer.
 */
final class PaddedWriter implements ComponentWriter {
  private final ComponentLayout layout;
  private final String lengthsName; // null when no lengths output is written (strings under ERROR)
  private final long[] padShape; // null: largest seen in every dim
  private final boolean strings;
  private final DataType expectedType;
  private final OutputStores stores;
  private final ShapePolicy.Pad pad; // null under ERROR
  private int rank = -1;
  private long[] firstShape; // rows of the first batch, for the ERROR check
  private long[] largest;
  private long longestString;
  private StagingFile staging; // packed bytes of every batch
  private StagingFile stringLengths; // int64 per string element
  private MemorySlab batches; // per batch: rows, then the row shape
  private long batchCount;
  private long rowsWritten;
  private final List<RowStore> outputs = new ArrayList<>();

  PaddedWriter(ComponentLayout layout, ShapePolicy.Pad pad, OutputStores stores) {
    this.layout = layout;
    this.pad = pad;
    this.stores = stores;
    this.lengthsName = pad == null ? null : layout.name() + ".lengths";
    this.padShape = pad == null ? null : pad.rowShape();
    this.strings = TfDtypes.isVariableWidth(layout.type());
    this.expectedType = TfDtypes.dataType(layout.type());
    long[] known = layout.rowShape();
    String refused = known == null ? null : setRank(known.length);
    if (refused != null) {
      throw new IllegalArgumentException(refused + " (component=" + layout.name() + ")");
    }
  }

  /** Settles the rank of rows, from the declared shape or the first batch; the message says why it cannot be. */
  private String setRank(int rank) {
    if (pad != null && rank == 0) {
      return "cannot pad component '" + layout.name() + "': its rows are scalars, there is no dim to pad";
    }
    if (padShape != null && padShape.length != rank) {
      return "pad shape " + NpyHeader.shapeText(padShape) + " has rank " + padShape.length + ", rows of component '"
          + layout.name() + "' have rank " + rank;
    }
    this.rank = rank;
    return null;
  }

  @Override
  public ComponentLayout layout() {
    return layout;
  }

  @Override
  public List<String> outputNames() {
    return lengthsName == null ? List.of(layout.name()) : List.of(layout.name(), lengthsName);
  }

  @Override
  public void append(List<Tensor> components, long batchIndex, long firstRow, long rows, long capacityHint)
      throws IOException {
    ComponentWriter.checkInOrder(layout, rowsWritten, firstRow);
    Tensor tensor = ComponentWriter.checkedTensor(components, layout, expectedType, batchIndex);
    long[] shape = tensor.shape().asArray();
    long[] rowShape = Arrays.copyOfRange(shape, 1, shape.length);
    String refused = rank < 0 ? setRank(rowShape.length) : null;
    if (refused != null) {
      throw new ExportException(refused, layout.name(), batchIndex, null);
    }
    if (rowShape.length != rank) {
      throw new ExportException("batch has the wrong rank: rows are " + NpyHeader.shapeText(rowShape)
          + ", expected rank " + rank, layout.name(), batchIndex, null);
    }
    checkShape(rowShape, batchIndex);
    if (batches == null) {
      batches = MemorySlab.allocate(NpyDtype.INT64, new long[] {rank + 1}, 64);
      largest = rowShape.clone();
      firstShape = rowShape.clone();
    }
    for (int d = 0; d < rank; d++) {
      largest[d] = Math.max(largest[d], rowShape[d]);
    }
    batches.ensureCapacity(batchCount + 1);
    MemorySegment record = batches.payload().asSlice(batchCount * batches.rowBytes(), batches.rowBytes());
    record.setAtIndex(ValueLayout.JAVA_LONG, 0, rows);
    for (int d = 0; d < rank; d++) {
      record.setAtIndex(ValueLayout.JAVA_LONG, d + 1, rowShape[d]);
    }
    batchCount++;
    long elements = Math.multiplyExact(rows, Padding.product(rowShape, 0, rank));
    MemorySegment source = TensorBytes.of(tensor);
    if (strings) {
      stageStrings(source, elements, batchIndex);
    } else {
      long length = elements * layout.dtype().itemSize();
      if (source.byteSize() < length) {
        throw new ExportException("copying batch failed: the tensor holds " + source.byteSize()
            + " bytes, " + rows + " rows need " + length, layout.name(), batchIndex, null);
      }
      if (staging == null) {
        staging = StagingFile.create(stagingPath(".staging"));
      }
      staging.append(source.asSlice(0, length));
    }
    rowsWritten += rows;
  }

  private void stageStrings(MemorySegment structs, long elements, long batch)
      throws IOException {
    if (TStrings.count(structs) < elements) {
      throw new ExportException("copying batch failed: the tensor holds " + TStrings.count(structs)
          + " strings, " + elements + " needed", layout.name(), batch, null);
    }
    for (long i = 0; i < elements; i++) {
      longestString = Math.max(longestString, TStrings.length(structs, i));
    }
    if (staging == null) {
      staging = StagingFile.create(stagingPath(".staging"));
      stringLengths = StagingFile.create(stagingPath(".string-lengths"));
    }
    for (long i = 0; i < elements; i++) {
      MemorySegment value = TStrings.bytes(structs, i);
      staging.append(value);
      stringLengths.appendLong(value.byteSize());
    }
  }

  private void checkShape(long[] rowShape, long batch) throws ExportException {
    if (pad == null) {
      long[] expected = firstShape != null ? firstShape : layout.rowShape();
      for (int d = 0; expected != null && d < rank; d++) {
        if (expected[d] >= 0 && expected[d] != rowShape[d]) {
          throw new ExportException(Padding.shapeChangedMessage(layout.name(), rowShape, expected),
              layout.name(), batch, null);
        }
      }
      return;
    }
    for (int d = 0; padShape != null && d < rank; d++) {
      if (padShape[d] >= 0 && rowShape[d] > padShape[d]) {
        throw new ExportException("rows do not fit the pad shape: rows are " + NpyHeader.shapeText(rowShape)
            + ", the pad shape is " + NpyHeader.shapeText(padShape) + "; give a larger ShapePolicy.pad(...) shape, "
            + "-1 for a dim to pad to the largest seen, ShapePolicy.PAD for the largest in every dim, or "
            + "ShapePolicy.RAGGED", layout.name(), batch, null);
      }
    }
  }

  @Override
  public long bytesWritten() {
    return staging == null ? 0 : staging.byteSize();
  }

  /** Staging files live beside the output, in the output directory. */
  private java.nio.file.Path stagingPath(String suffix) {
    return stores.destination().directory().resolve(layout.name() + suffix);
  }

  @Override
  public List<RowStore> finish(long totalRows) throws IOException {
    long[] rowShape = finalRowShape();
    NpyDtype dtype = layout.dtype();
    byte[] padItem;
    if (strings) {
      long padLength = pad == null || pad.bytes() == null ? 0 : pad.bytes().length;
      long width = Math.max(1, Math.max(longestString, padLength));
      if (width > Integer.MAX_VALUE) {
        throw new ExportException("strings too long for a NumPy |S dtype: the longest is " + width
            + " bytes; use ShapePolicy.RAGGED", layout.name(), -1, null);
      }
      dtype = NpyDtype.bytes((int) width);
      padItem = new byte[(int) width];
      if (padLength > 0) {
        System.arraycopy(pad.bytes(), 0, padItem, 0, (int) padLength);
      }
    } else {
      padItem = Padding.item(dtype, pad == null ? 0 : pad.value(), layout.name());
    }
    RowStore out = stores.create(new RowLayout(layout.name(), dtype, rowShape), StoreCapacity.exact(rowsWritten));
    outputs.add(out);
    layOut(out, rowShape, dtype.itemSize(), padItem);
    out.finish(rowsWritten);
    List<RowStore> finished = new ArrayList<>(List.of(out));
    if (lengthsName != null) {
      finished.add(writeLengths(rowShape));
    }
    closeStaging();
    return finished;
  }

  /** The padded row shape: the pad shape where given, else the largest seen (0 when nothing was seen). */
  private long[] finalRowShape() {
    if (rank < 0) {
      rank = padShape != null ? padShape.length : 1; // nothing arrived and nothing declared: a 1-d row
      if (pad == null) {
        rank = 0;
      }
    }
    long[] shape = new long[rank];
    long[] declared = layout.rowShape();
    for (int d = 0; d < rank; d++) {
      if (padShape != null && padShape[d] >= 0) {
        shape[d] = padShape[d];
      } else if (largest != null) {
        shape[d] = largest[d];
      } else {
        shape[d] = declared != null && declared.length == rank ? Math.max(0, declared[d]) : 0;
      }
    }
    return shape;
  }

  /** Lays the staged batches out into {@code out}, window by window, pad first where the pad is not zero. */
  private void layOut(RowStore out, long[] rowShape, long item, byte[] padItem) throws IOException {
    if (batchCount == 0) {
      return;
    }
    boolean padded = !Padding.isZero(padItem);
    MemorySegment records = batches.payload();
    MemorySegment staged = staging.map();
    MemorySegment lengths = strings ? stringLengths.map() : null;
    long[] shape = new long[rank];
    long[] sourceElement = {0};
    long targetRow = 0;
    long[] byteCursor = {0}; // strings: where the next staged value starts
    for (long b = 0; b < batchCount; b++) {
      long batchRows = records.getAtIndex(ValueLayout.JAVA_LONG, b * (rank + 1));
      for (int d = 0; d < rank; d++) {
        shape[d] = records.getAtIndex(ValueLayout.JAVA_LONG, b * (rank + 1) + d + 1);
      }
      long sourceRow = Padding.product(shape, 0, rank);
      RowStores.fill(out, targetRow, batchRows, (window, done) -> {
        MemorySegment target = window.bytes();
        if (padded) {
          Padding.fill(target, padItem);
        }
        if (strings) {
          Padding.forEachRun(shape, rowShape, window.rows(), sourceElement[0], 0, (src, dst, count) -> {
            for (long k = 0; k < count; k++) {
              long length = lengths.getAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, src + k);
              long at = (dst + k) * item;
              MemorySegment.copy(staged, byteCursor[0], target, at, length);
              if (padded) {
                target.asSlice(at + length, item - length).fill((byte) 0); // NUL after the value, not the pad's tail
              }
              byteCursor[0] += length;
            }
          });
        } else {
          Padding.forEachRun(shape, rowShape, window.rows(), sourceElement[0], 0,
              (src, dst, count) -> MemorySegment.copy(staged, src * item, target, dst * item, count * item));
        }
        sourceElement[0] += window.rows() * sourceRow;
      });
      targetRow += batchRows;
    }
  }

  /** {@code NAME.lengths}: per row, the length of the first row dim that varies (dim 0 of the row if none does). */
  private RowStore writeLengths(long[] rowShape) throws IOException {
    int varying = -1;
    MemorySegment records = batchCount == 0 ? null : batches.payload();
    for (int d = 0; d < rank && varying < 0; d++) {
      for (long b = 0; b < batchCount; b++) {
        if (records.getAtIndex(ValueLayout.JAVA_LONG, b * (rank + 1) + d + 1) != rowShape[d]) {
          varying = d;
          break;
        }
      }
    }
    int dim = Math.max(varying, 0);
    RowStore out = stores.create(new RowLayout(lengthsName, NpyDtype.INT64, new long[0]), StoreCapacity.exact(rowsWritten));
    outputs.add(out);
    long row = 0;
    for (long b = 0; b < batchCount; b++) {
      long batchRows = records.getAtIndex(ValueLayout.JAVA_LONG, b * (rank + 1));
      long length = rank == 0 ? 1 : records.getAtIndex(ValueLayout.JAVA_LONG, b * (rank + 1) + dim + 1);
      RowStores.fill(out, row, batchRows, (window, done) -> {
        for (long r = 0; r < window.rows(); r++) {
          window.bytes().setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, r, length);
        }
      });
      row += batchRows;
    }
    out.finish(rowsWritten);
    return out;
  }

  private void closeStaging() {
    if (staging != null) {
      staging.close();
    }
    if (stringLengths != null) {
      stringLengths.close();
    }
    if (batches != null) {
      batches.close();
      batches = null;
    }
  }

  @Override
  public void close() {
    closeStaging();
    for (RowStore store : outputs) {
      store.close();
    }
  }
}

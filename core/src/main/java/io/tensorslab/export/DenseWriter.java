package io.tensorslab.export;

import io.tensorslab.npy.NpyHeader;
import io.tensorslab.slab.FileSlab;
import io.tensorslab.slab.SlabOption;
import io.tensorslab.tf.TensorBytes;
import io.tensorslab.tf.TfDtypes;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.tensorflow.Tensor;
import org.tensorflow.proto.DataType;

/**
 * The common case: every batch has the same row shape, so rows are copied byte for byte from the
 * tensor's native buffer into one {@link FileSlab} at offset {@code rows * rowBytes}.
 */
final class DenseWriter implements ComponentWriter {
  private final ComponentLayout layout;
  private final Path target;
  private final DataType expectedType;
  private final SlabOption[] options;
  private long[] rowShape;
  private FileSlab slab;
  private long rows;
  private long bytes;

  DenseWriter(ComponentLayout layout, Path dir, SlabOption... options) {
    this.layout = layout;
    this.target = dir.resolve(layout.name() + ".npy");
    this.expectedType = TfDtypes.dataType(layout.type());
    this.options = options;
    this.rowShape = layout.rowShape();
  }

  @Override
  public ComponentLayout layout() {
    return layout;
  }

  @Override
  public List<String> fileNames() {
    return List.of(target.getFileName().toString());
  }

  @Override
  public void append(Tensor tensor, long batch, long take, long capacityHint) throws IOException {
    long[] shape = checkTensor(tensor, batch);
    if (slab == null) {
      rowShape = Arrays.copyOfRange(shape, 1, shape.length);
      slab = FileSlab.create(target, layout.dtype(), rowShape, Math.max(capacityHint, take), options);
    }
    long rowBytes = slab.rowBytes();
    slab.ensureCapacity(rows + take);
    MemorySegment source = TensorBytes.of(tensor);
    long length = take * rowBytes;
    if (source.byteSize() < length) {
      throw new ExportException("copying batch failed: the tensor holds " + source.byteSize()
          + " bytes, " + take + " rows need " + length, layout.name(), batch, null);
    }
    MemorySegment target = slab.payload().asSlice(rows * rowBytes, length);
    MemorySegment.copy(source, 0, target, 0, length);
    // Written pages stay in the page cache (the mapping is shared) but leave this process's resident
    // set: otherwise RSS grows with the export, and JavaCPP, which TF Java allocates through, throws
    // OutOfMemoryError once RSS passes its maxPhysicalBytes (a multiple of -Xmx).
    if (length > 0) {
      target.unload();
    }
    rows += take;
    bytes += length;
  }

  /** Checks dtype and shape against the layout and the first batch; returns the tensor's shape. */
  private long[] checkTensor(Tensor tensor, long batch) throws ExportException {
    if (tensor.dataType() != expectedType) {
      throw new ExportException("batch has the wrong dtype: " + tensor.dataType() + ", the dataset declares "
          + expectedType, layout.name(), batch, null);
    }
    long[] shape = tensor.shape().asArray();
    if (rowShape == null) {
      return shape; // rank unknown until this first batch; the slab is created from it
    }
    if (shape.length != rowShape.length + 1) {
      throw new ExportException("batch has the wrong rank: shape " + NpyHeader.shapeText(shape)
          + ", expected a batch of rows shaped " + NpyHeader.shapeText(rowShape), layout.name(), batch, null);
    }
    for (int i = 0; i < rowShape.length; i++) {
      if (rowShape[i] >= 0 && rowShape[i] != shape[i + 1]) {
        throw new ExportException(Padding.shapeChangedMessage(layout.name(),
            Arrays.copyOfRange(shape, 1, shape.length), rowShape), layout.name(), batch, null);
      }
    }
    return shape;
  }

  @Override
  public long bytesWritten() {
    return bytes;
  }

  @Override
  public List<FileSlab> finish(long totalRows) throws IOException {
    if (slab == null) {
      // No batch arrived: an empty array, with 0 for any dim TensorFlow did not know statically.
      rowShape = rowShape == null ? new long[0] : Arrays.stream(rowShape).map(d -> Math.max(d, 0)).toArray();
      slab = FileSlab.create(target, layout.dtype(), rowShape, 0, options);
    }
    slab.finish(rowsShape(totalRows));
    return List.of(slab);
  }

  private long[] rowsShape(long totalRows) {
    long[] shape = new long[rowShape.length + 1];
    shape[0] = totalRows;
    System.arraycopy(rowShape, 0, shape, 1, rowShape.length);
    return shape;
  }

  @Override
  public void close() {
    if (slab != null) {
      slab.close();
    }
  }
}

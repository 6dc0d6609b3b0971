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
  /** Bytes written between two unloads of the written pages from the resident set. */
  static final long UNLOAD_STEP = 32L << 20;

  private long rows;
  private long bytes;
  private long unloaded;
  /** The output directory; file names are given relative to it. */
  private final Path dir;

  DenseWriter(ComponentLayout layout, Path dir, SlabOption... options) {
    this.layout = layout;
    this.dir = dir;
    this.target = OutputNames.resolve(dir, layout.name(), ".npy");
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
    return List.of(dir.relativize(target).toString());
  }

  @Override
  public void append(List<Tensor> components, long batch, long take, long capacityHint) throws IOException {
    Tensor tensor = ComponentWriter.checkedTensor(components, layout, expectedType, batch);
    long[] shape = checkShape(tensor, batch);
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
    MemorySegment.copy(source, 0, slab.payload(), rows * rowBytes, length);
    rows += take;
    bytes += length;
    // Written pages stay in the page cache (the mapping is shared) but leave this process's resident
    // set: otherwise RSS grows with the export, and JavaCPP, which TF Java allocates through, throws
    // OutOfMemoryError once RSS passes its maxPhysicalBytes (a multiple of -Xmx). In steps of
    // UNLOAD_STEP, not per batch: each unload is an madvise and a TLB flush on every core, which
    // for small batches cost more than the copy.
    if (bytes - unloaded >= UNLOAD_STEP) {
      slab.payload().asSlice(unloaded, bytes - unloaded).unload();
      unloaded = bytes;
    }
  }

  /** Checks the shape against the layout and the first batch; returns the tensor's shape. */
  private long[] checkShape(Tensor tensor, long batch) throws ExportException {
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

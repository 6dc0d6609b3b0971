package io.tensorslab.export;

import io.tensorslab.npy.NpyArray;
import io.tensorslab.npy.NpyDtype;
import io.tensorslab.npy.NpyHeader;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import org.tensorflow.ndarray.NdArray;

/**
 * One file an export wrote, mapped read-only: its NumPy dtype and shape, and zero-copy views of its
 * payload as a {@link MemorySegment} and as a TF Java {@link NdArray}. Owned by its
 * {@link ExportResult}; after the result is closed every view throws {@link IllegalStateException}.
 *
 * @param name the file's stem: the component name, or {@code name.values}, {@code name.row_splits},
 *     {@code name.lengths} for ragged and padded components
 * @param component the component the file belongs to
 * @param array the mapped file
 */
public record ExportedArray(String name, String component, NpyArray array) {

  public Path path() {
    return array.path();
  }

  public NpyDtype dtype() {
    return array.header().dtype();
  }

  public long[] shape() {
    return array.header().shape();
  }

  /** Rows: {@code shape()[0]}. */
  public long rows() {
    return array.header().rank() == 0 ? 1 : array.header().dim(0);
  }

  /** The payload, read-only, C order, little-endian; no copy. */
  public MemorySegment segment() {
    return array.segment();
  }

  /**
   * The payload as a read-only TF Java {@link NdArray} of the matching element type ({@code Float} for
   * float16/32 and bfloat16, {@code Byte} for bytes and uint8, ...), no copy. Limited to 2 GiB by
   * the NIO buffers NdArray wraps; use {@link #segment()} beyond that.
   */
  public NdArray<?> ndArray() {
    return NdArrayViews.of(array.header(), array.segment());
  }

  @Override
  public String toString() {
    return name + " " + dtype().descr() + " " + NpyHeader.shapeText(shape()) + " " + path();
  }
}

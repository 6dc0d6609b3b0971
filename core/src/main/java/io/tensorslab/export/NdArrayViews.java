package io.tensorslab.export;

import io.tensorslab.npy.NpyDtype;
import io.tensorslab.npy.NpyHeader;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.tensorflow.ndarray.NdArray;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.ndarray.buffer.layout.DataLayouts;

/**
 * Zero-copy {@link NdArray} views over a mapped payload. They go through NIO buffers derived from
 * the {@link MemorySegment}, which keep its liveness check: reading a view after the mapping is
 * closed throws {@link IllegalStateException} instead of touching unmapped memory (TF Java's raw
 * address buffers would crash the JVM).
 */
final class NdArrayViews {
  private NdArrayViews() {}

  static NdArray<?> of(NpyHeader header, MemorySegment payload) {
    if (payload.byteSize() > Integer.MAX_VALUE) {
      throw new UnsupportedOperationException("an NdArray view is limited to 2 GiB by NIO buffers; this payload is "
          + payload.byteSize() + " bytes: use segment()");
    }
    ByteBuffer bytes = payload.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    NpyDtype dtype = header.dtype();
    long[] dims = header.shape();
    // A 2-byte void is how bfloat16 is stored (NpyDtype.BFLOAT16_AS_VOID; NumPy reads '<V2' back as '|V2').
    boolean bfloat16 = dtype.kind() == 'V' && dtype.itemSize() == 2;
    if (dtype.kind() == 'S' || dtype.kind() == 'V' && !bfloat16) {
      // fixed-width bytes: one more axis of width itemSize
      long[] withWidth = Arrays.copyOf(dims, dims.length + 1);
      withWidth[dims.length] = dtype.itemSize();
      return NdArrays.wrap(Shape.of(withWidth), DataBuffers.of(bytes));
    }
    Shape shape = Shape.of(dims);
    return switch (dtype.descr()) {
      case "|b1" -> NdArrays.wrap(shape, DataLayouts.BOOL.applyTo(DataBuffers.of(bytes)));
      case "|u1", "|i1" -> NdArrays.wrap(shape, DataBuffers.of(bytes));
      case "<i2", "<u2" -> NdArrays.wrap(shape, DataBuffers.of(bytes.asShortBuffer()));
      case "<f2" -> NdArrays.wrap(shape, DataLayouts.FLOAT16.applyTo(DataBuffers.of(bytes.asShortBuffer())));
      case "|V2", "<V2" -> NdArrays.wrap(shape, DataLayouts.BFLOAT16.applyTo(DataBuffers.of(bytes.asShortBuffer())));
      case "<i4", "<u4" -> NdArrays.wrap(shape, DataBuffers.of(bytes.asIntBuffer()));
      case "<i8", "<u8" -> NdArrays.wrap(shape, DataBuffers.of(bytes.asLongBuffer()));
      case "<f4" -> NdArrays.wrap(shape, DataBuffers.of(bytes.asFloatBuffer()));
      case "<f8" -> NdArrays.wrap(shape, DataBuffers.of(bytes.asDoubleBuffer()));
      default -> throw new UnsupportedOperationException("no NdArray view for dtype " + dtype.descr()
          + "; use segment()");
    };
  }
}

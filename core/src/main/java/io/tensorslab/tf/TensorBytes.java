package io.tensorslab.tf;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.Objects;
import org.tensorflow.RawTensor;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.buffer.DataStorageVisitor;

/**
 * A tensor's own native bytes as a {@link MemorySegment}, without a copy.
 *
 * <p>The segment covers exactly {@link Tensor#numBytes()} bytes of TensorFlow's buffer, in C order.
 * It is a view: it owns nothing and is valid <b>only while the tensor is open</b>. Reading it after
 * {@code tensor.close()} reads freed memory, which the JDK cannot detect for memory it did not
 * allocate. Copy out what you need before closing the tensor.
 *
 * <p>For a {@code TString} tensor the bytes are the array of 24-byte {@code TF_TString} structs, not
 * the characters; decode them with {@link TStrings}.
 *
 * {@snippet :
 * try (TFloat32 t = TFloat32.tensorOf(Shape.of(2, 3))) {
 *   MemorySegment bytes = TensorBytes.of(t);   // 24 bytes, TensorFlow's memory
 *   MemorySegment.copy(bytes, 0, slab, offset, bytes.byteSize());
 * }
 * }
 */
public final class TensorBytes {

  private TensorBytes() {}

  /**
   * The native bytes of {@code tensor}, an empty segment when it has no elements.
   *
   * @throws IllegalStateException when the tensor is closed, or its memory is not native (TF Java
   *     never does this today; a heap buffer would mean the zero-copy contract cannot hold)
   */
  public static MemorySegment of(Tensor tensor) {
    Objects.requireNonNull(tensor, "tensor");
    RawTensor raw = tensor.asRawTensor();
    long byteSize = raw.numBytes(); // throws IllegalStateException once the tensor is closed
    if (byteSize == 0) {
      return MemorySegment.NULL;
    }
    MemorySegment bytes = raw.data().accept(new NativeStorage(raw));
    if (bytes.byteSize() != byteSize) {
      throw new IllegalStateException("tensor buffer size mismatch: TensorFlow reports " + byteSize
          + " bytes, its data buffer covers " + bytes.byteSize() + " (" + raw + ")");
    }
    return bytes;
  }

  private record NativeStorage(RawTensor tensor) implements DataStorageVisitor<MemorySegment> {

    // The path taken when ndarray can use Unsafe: TF's buffer address and its size in BYTES
    // (the Javadoc calls the second argument a length; for a byte buffer the two agree).
    @Override
    public MemorySegment visit(long address, long size, long scale) {
      return NativeMemory.at(address, size);
    }

    // TensorBuffers falls back to a direct NIO view over the same memory when Unsafe is unusable.
    @Override
    public MemorySegment visit(ByteBuffer buffer) {
      if (!buffer.isDirect()) {
        return fallback();
      }
      return MemorySegment.ofBuffer(buffer);
    }

    @Override
    public MemorySegment fallback() {
      throw new IllegalStateException("tensor memory is not native, cannot view it without a copy ("
          + tensor + ")");
    }
  }
}

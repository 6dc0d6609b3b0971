package io.tensorslab.tf;

import java.lang.foreign.MemorySegment;

/**
 * The one place in this package that turns a raw address handed out by TensorFlow into a
 * {@link MemorySegment} of a chosen size.
 *
 * <p>{@code reinterpret} is unchecked: the JDK trusts the caller that {@code byteSize} bytes live at
 * {@code address}, and the segment it returns has the global scope, so nothing stops a read after
 * TensorFlow frees the memory. Keeping every such call here keeps the trust argument in one page.
 */
final class NativeMemory {

  private NativeMemory() {}

  /**
   * A segment over {@code byteSize} bytes that TensorFlow owns at {@code address}; empty when
   * {@code byteSize} is 0 (TensorFlow may hand out a null data pointer for an empty tensor).
   */
  static MemorySegment at(long address, long byteSize) {
    if (byteSize < 0) {
      throw new IllegalArgumentException("native size must not be negative, got " + byteSize);
    }
    if (byteSize == 0) {
      return MemorySegment.NULL;
    }
    if (address == 0) {
      throw new IllegalStateException("TensorFlow returned a null data pointer for " + byteSize + " bytes");
    }
    return MemorySegment.ofAddress(address).reinterpret(byteSize);
  }
}

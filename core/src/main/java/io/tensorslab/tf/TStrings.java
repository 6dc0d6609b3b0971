package io.tensorslab.tf;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.UnionLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * Reads the elements of a TensorFlow string tensor straight from native memory, without a Java
 * {@code String} or a {@code byte[]} per element.
 *
 * <p>A {@code TString} tensor's buffer ({@link TensorBytes#of}) is an array of 24-byte
 * {@code TF_TString} structs ({@code tensorflow/tsl/platform/ctstring_internal.h}). The two low bits
 * of the first byte say which of four forms a struct is in; sizes are stored shifted left by 2:
 *
 * <ul>
 *   <li>SMALL (0): {@code uint8 size<<2}, then up to {@value #SMALL_CAPACITY} bytes inline and a NUL;
 *   <li>LARGE (1): {@code size_t size<<2 | 1}, {@code size_t cap}, {@code char* ptr} (malloc'ed);
 *   <li>OFFSET (2): {@code uint32 size<<2 | 2}, {@code uint32 offset} counted from the struct
 *       itself, {@code uint32 count}, all little-endian (serialized buffers; TF's tensors rarely
 *       hold this form);
 *   <li>VIEW (3): {@code size_t size<<2 | 3}, {@code const char* ptr} into memory TF does not own.
 * </ul>
 *
 * <p>The slices {@link #bytes} returns are views: an inline (small) string is a slice of
 * {@code structs}; a large or view string is TensorFlow's own memory and, like the struct array, is
 * valid <b>only while the tensor is open</b>. Everything here assumes a little-endian 64-bit
 * platform, the only kind TF Java ships native libraries for.
 *
 * {@snippet :
 * try (TString t = TString.tensorOfBytes(NdArrays.vectorOfObjects(a, b))) {
 *   MemorySegment structs = TensorBytes.of(t);
 *   for (long i = 0; i < TStrings.count(structs); i++) {
 *     MemorySegment s = TStrings.bytes(structs, i);   // no copy
 *     MemorySegment.copy(s, 0, out, at, s.byteSize());
 *     at += s.byteSize();
 *   }
 * }
 * }
 */
public final class TStrings {

  /** Bytes per element: {@code sizeof(TF_TString)}. */
  public static final long STRUCT_SIZE = 24;

  /** Longest string held inline in the struct ({@code TF_TString_SmallCapacity}). */
  public static final int SMALL_CAPACITY = 22;

  /** Form tags in the two low bits of byte 0 ({@code TF_TString_Type}). */
  public static final int SMALL = 0;
  public static final int LARGE = 1;
  public static final int OFFSET = 2;
  public static final int VIEW = 3;

  private static final int TYPE_MASK = 0x3;

  /**
   * {@code TF_TString}: a 24-byte union of its four forms. Fields are declared unaligned so that a
   * struct array at any address can be read; TensorFlow's own buffers are 64-byte aligned anyway.
   */
  public static final UnionLayout LAYOUT = MemoryLayout.unionLayout(
      MemoryLayout.structLayout(
          JAVA_BYTE.withName("size"),
          MemoryLayout.sequenceLayout(SMALL_CAPACITY + 1, JAVA_BYTE).withName("str")).withName("smll"),
      MemoryLayout.structLayout(
          JAVA_LONG_UNALIGNED.withName("size"),
          JAVA_LONG_UNALIGNED.withName("cap"),
          JAVA_LONG_UNALIGNED.withName("ptr")).withName("large"),
      MemoryLayout.structLayout(
          JAVA_INT_UNALIGNED.withName("size"),
          JAVA_INT_UNALIGNED.withName("offset"),
          JAVA_INT_UNALIGNED.withName("count"),
          MemoryLayout.paddingLayout(12)).withName("offset"),
      MemoryLayout.structLayout(
          JAVA_LONG_UNALIGNED.withName("size"),
          JAVA_LONG_UNALIGNED.withName("ptr"),
          MemoryLayout.paddingLayout(8)).withName("view"),
      MemoryLayout.sequenceLayout(STRUCT_SIZE, JAVA_BYTE).withName("raw"))
      .withName("TF_TString");

  private static final VarHandle TAG = handle("raw");
  private static final VarHandle SMALL_SIZE = handle("smll", "size");
  private static final long SMALL_DATA = LAYOUT.byteOffset(groupElement("smll"), groupElement("str"));
  private static final VarHandle LARGE_SIZE = handle("large", "size");
  private static final VarHandle LARGE_PTR = handle("large", "ptr");
  private static final VarHandle OFFSET_SIZE = handle("offset", "size");
  private static final VarHandle OFFSET_OFFSET = handle("offset", "offset");
  private static final VarHandle VIEW_SIZE = handle("view", "size");
  private static final VarHandle VIEW_PTR = handle("view", "ptr");

  static {
    if (LAYOUT.byteSize() != STRUCT_SIZE || ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
      throw new ExceptionInInitializerError("TF_TString decoding needs a little-endian platform"
          + " and a 24-byte struct, layout is " + LAYOUT.byteSize() + " bytes");
    }
  }

  private TStrings() {}

  /**
   * The number of strings in a struct array.
   *
   * @throws IllegalArgumentException when the size is not a multiple of {@value #STRUCT_SIZE}
   */
  public static long count(MemorySegment structs) {
    long size = Objects.requireNonNull(structs, "structs").byteSize();
    if (size % STRUCT_SIZE != 0) {
      throw new IllegalArgumentException("not a TF_TString array: " + size
          + " bytes is not a multiple of " + STRUCT_SIZE);
    }
    return size / STRUCT_SIZE;
  }

  /** The form of element {@code i}: {@link #SMALL}, {@link #LARGE}, {@link #OFFSET} or {@link #VIEW}. */
  public static int form(MemorySegment structs, long i) {
    return (byte) TAG.get(structs, base(structs, i)) & TYPE_MASK;
  }

  /** The byte length of element {@code i} (no NUL terminator counted). */
  public static long length(MemorySegment structs, long i) {
    long at = base(structs, i);
    return switch ((byte) TAG.get(structs, at) & TYPE_MASK) {
      case SMALL -> Byte.toUnsignedInt((byte) SMALL_SIZE.get(structs, at)) >>> 2;
      case LARGE -> (long) LARGE_SIZE.get(structs, at) >>> 2;
      // Stored little-endian (TF_le32toh). Early TF versions defined TF_le32toh as a byte swap on
      // little-endian hosts, which made this form unreadable there; current TF reads it as is.
      case OFFSET -> Integer.toUnsignedLong((int) OFFSET_SIZE.get(structs, at)) >>> 2;
      case VIEW -> (long) VIEW_SIZE.get(structs, at) >>> 2;
      default -> throw new AssertionError();
    };
  }

  /**
   * The bytes of element {@code i}, wherever they live, as a segment of exactly
   * {@link #length(MemorySegment, long)} bytes. No copy; valid while the tensor is open.
   *
   * @throws IndexOutOfBoundsException when {@code i} is not an element of {@code structs}
   */
  public static MemorySegment bytes(MemorySegment structs, long i) {
    long at = base(structs, i);
    long length = length(structs, i);
    return switch ((byte) TAG.get(structs, at) & TYPE_MASK) {
      case SMALL -> {
        if (length > SMALL_CAPACITY) {
          throw new IllegalStateException("corrupt TF_TString at element " + i + ": small string of "
              + length + " bytes exceeds the inline capacity " + SMALL_CAPACITY);
        }
        yield structs.asSlice(at + SMALL_DATA, length);
      }
      case LARGE -> NativeMemory.at((long) LARGE_PTR.get(structs, at), length);
      case OFFSET -> {
        long from = at + Integer.toUnsignedLong((int) OFFSET_OFFSET.get(structs, at));
        if (from + length <= structs.byteSize()) {
          yield structs.asSlice(from, length);
        }
        // An offset string normally points past the struct array into the same allocation, which
        // the segment does not cover: only its address can reach it.
        if (!structs.isNative()) {
          throw new IllegalStateException("TF_TString element " + i + " points " + (from - at)
              + " bytes past itself, outside a heap segment of " + structs.byteSize() + " bytes");
        }
        yield NativeMemory.at(structs.address() + from, length);
      }
      case VIEW -> NativeMemory.at((long) VIEW_PTR.get(structs, at), length);
      default -> throw new AssertionError();
    };
  }

  /** The length of the longest element, 0 for none: the {@code n} of a NumPy {@code |S{n}} column. */
  public static long maxLength(MemorySegment structs) {
    long max = 0;
    for (long i = 0, n = count(structs); i < n; i++) {
      max = Math.max(max, length(structs, i));
    }
    return max;
  }

  private static long base(MemorySegment structs, long i) {
    long n = count(structs);
    if (i < 0 || i >= n) {
      throw new IndexOutOfBoundsException("string element " + i + " out of range [0, " + n + ")");
    }
    return i * STRUCT_SIZE;
  }

  private static VarHandle handle(String... path) {
    if (path.length == 1) {
      // byte 0 of the raw view carries the form tag
      return LAYOUT.varHandle(groupElement(path[0]), MemoryLayout.PathElement.sequenceElement(0));
    }
    return LAYOUT.varHandle(groupElement(path[0]), groupElement(path[1]));
  }
}

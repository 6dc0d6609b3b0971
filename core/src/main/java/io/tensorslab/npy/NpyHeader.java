package io.tensorslab.npy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * The header of a {@code .npy} file: dtype, memory order and shape, plus the exact bytes NumPy
 * writes for them.
 *
 * <p>{@link #encode()} gives the same bytes as {@code numpy.save} for the same array: magic,
 * version 1.0 (2.0 when the dict is longer than 65535 bytes, 3.0 when it needs UTF-8), the dict
 * {@code {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }}, NumPy's spare spaces that let
 * {@code shape[0]} be rewritten in place, and space padding ended by {@code \n} so that the payload
 * starts at a multiple of {@value #ALIGNMENT} bytes. Because of those spare spaces the encoded
 * length does not depend on {@code shape[0]}: a writer can reserve the header before it knows how
 * many rows it will write.
 *
 * {@snippet :
 * var header = new NpyHeader(NpyDtype.FLOAT32, false, 1000, 784);
 * byte[] bytes = header.encode();          // bytes.length % 64 == 0
 * long payload = header.payloadByteSize(); // 1000 * 784 * 4
 * }
 *
 * @param dtype element type
 * @param fortranOrder NumPy's {@code fortran_order}; files written here are always C order
 * @param shape dimensions, outermost first; empty for a scalar
 */
public record NpyHeader(NpyDtype dtype, boolean fortranOrder, long[] shape) {

  /** NumPy's {@code ARRAY_ALIGN}: the payload offset is a multiple of this. */
  public static final int ALIGNMENT = 64;
  /** NumPy's {@code GROWTH_AXIS_MAX_DIGITS}: spare room so {@code shape[0]} can grow in place. */
  static final int GROWTH_AXIS_MAX_DIGITS = 21;
  static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  private static final int MAGIC_AND_VERSION = MAGIC.length + 2;

  public NpyHeader {
    Objects.requireNonNull(dtype, "dtype");
    shape = shape.clone();
    for (int i = 0; i < shape.length; i++) {
      if (shape[i] < 0) {
        throw new IllegalArgumentException("shape dims must be >= 0, got " + Arrays.toString(shape));
      }
    }
  }

  /** A C-order header. */
  public NpyHeader(NpyDtype dtype, long... shape) {
    this(dtype, false, shape);
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  public int rank() {
    return shape.length;
  }

  public long dim(int axis) {
    return shape[axis];
  }

  /** The same header with {@code shape[0]} replaced; for a scalar header, an error. */
  public NpyHeader withRows(long rows) {
    if (shape.length == 0) {
      throw new IllegalArgumentException("a scalar header has no rows to set");
    }
    long[] s = shape.clone();
    s[0] = rows;
    return new NpyHeader(dtype, fortranOrder, s);
  }

  /**
   * Number of elements: the product of the dims (1 for a scalar).
   *
   * @throws ArithmeticException if it overflows a {@code long}
   */
  public long elementCount() {
    long n = 1;
    for (long d : shape) {
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  /**
   * Bytes of payload the shape needs.
   *
   * @throws ArithmeticException if it overflows a {@code long}
   */
  public long payloadByteSize() {
    return Math.multiplyExact(elementCount(), (long) dtype.itemSize());
  }

  /** The dict text exactly as NumPy writes it, without spare spaces or padding. */
  public String dictText() {
    return "{'descr': '" + dtype.descr() + "', 'fortran_order': " + (fortranOrder ? "True" : "False")
        + ", 'shape': " + shapeText(shape) + ", }";
  }

  /** Encoded length in bytes, which is also the payload offset. Independent of {@code shape[0]}. */
  public int byteSize() {
    return encode().length;
  }

  /** The full header: magic, version, length field, dict, padding, newline; the bytes {@code np.save} writes. */
  public byte[] encode() {
    return encode(0);
  }

  /**
   * The full header, padded with extra spaces to at least {@code minimumSize} bytes. Lets a writer
   * that reserved room for one header seal with a shorter one (a different rank) without moving the
   * payload; NumPy reads any amount of padding.
   *
   * @param minimumSize a multiple of {@value #ALIGNMENT}, or 0 for NumPy's own size
   */
  public byte[] encode(int minimumSize) {
    if (minimumSize % ALIGNMENT != 0) {
      throw new IllegalArgumentException("header size must be a multiple of " + ALIGNMENT + ", got " + minimumSize);
    }
    StringBuilder text = new StringBuilder(dictText());
    if (shape.length > 0) {
      long growthDim = shape[fortranOrder ? shape.length - 1 : 0];
      text.repeat(' ', Math.max(0, GROWTH_AXIS_MAX_DIGITS - Long.toString(growthDim).length()));
    }
    // Every dict we write is ASCII, so version 3.0 (UTF-8 field names) is never needed on write.
    byte[] dict = text.toString().getBytes(StandardCharsets.ISO_8859_1);
    int major = 1;
    int lengthFieldSize = 2;
    int total = paddedSize(MAGIC_AND_VERSION + lengthFieldSize + dict.length + 1);
    if (total - MAGIC_AND_VERSION - lengthFieldSize > 0xFFFF) {
      major = 2;
      lengthFieldSize = 4;
      total = paddedSize(MAGIC_AND_VERSION + lengthFieldSize + dict.length + 1);
    }
    total = Math.max(total, minimumSize);
    int headerLength = total - MAGIC_AND_VERSION - lengthFieldSize;
    ByteBuffer out = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
    out.put(MAGIC).put((byte) major).put((byte) 0);
    if (lengthFieldSize == 2) {
      out.putShort((short) headerLength);
    } else {
      out.putInt(headerLength);
    }
    out.put(dict);
    while (out.position() < total - 1) {
      out.put((byte) ' ');
    }
    out.put((byte) '\n');
    return out.array();
  }

  // NumPy pads with 1..64 spaces: an already aligned header still gets a full 64 more
  // (numpy.lib.format._wrap_header); copying that keeps our headers byte-identical to np.save.
  private static int paddedSize(int unpadded) {
    return unpadded + (ALIGNMENT - unpadded % ALIGNMENT);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof NpyHeader h && h.dtype.equals(dtype) && h.fortranOrder == fortranOrder
        && Arrays.equals(h.shape, shape);
  }

  @Override
  public int hashCode() {
    return Objects.hash(dtype, fortranOrder, Arrays.hashCode(shape));
  }

  @Override
  public String toString() {
    return "NpyHeader[descr=" + dtype.descr() + ", fortran_order=" + fortranOrder + ", shape="
        + shapeText(shape) + "]";
  }

  /** A shape as NumPy prints it: {@code ()}, {@code (5,)}, {@code (3, 4)}. */
  public static String shapeText(long[] shape) {
    StringBuilder sb = new StringBuilder("(");
    for (int i = 0; i < shape.length; i++) {
      if (i > 0) {
        sb.append(", ");
      }
      sb.append(shape[i]);
    }
    if (shape.length == 1) {
      sb.append(',');
    }
    return sb.append(')').toString();
  }
}

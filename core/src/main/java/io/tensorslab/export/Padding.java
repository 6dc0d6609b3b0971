package io.tensorslab.export;

import io.tensorslab.npy.NpyDtype;
import io.tensorslab.npy.NpyHeader;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/** Placing rows of one shape into rows of a larger shape, element runs at a time; pad patterns. */
final class Padding {

  private Padding() {}

  /** Receives one run of {@code count} contiguous elements: source element index, destination element index. */
  @FunctionalInterface
  interface RunVisitor {
    void run(long sourceElement, long targetElement, long count);
  }

  /**
   * Visits, in source order, every run of contiguous elements when {@code rows} rows shaped
   * {@code source} (C order, packed from element {@code sourceStart}) are placed at the top-left
   * corner of rows shaped {@code target} (from element {@code targetStart}). Trailing dims that
   * agree are merged, so rows that differ only in their first dim are one run each, and equal
   * shapes are one run for the whole batch.
   */
  static void forEachRun(long[] source, long[] target, long rows, long sourceStart, long targetStart,
      RunVisitor visitor) {
    int rank = source.length;
    int inner = rank - 1; // the last dim where the shapes differ
    while (inner >= 0 && source[inner] == target[inner]) {
      inner--;
    }
    long sourceRow = product(source, 0, rank);
    long targetRow = product(target, 0, rank);
    if (inner < 0) {
      if (sourceRow * rows > 0) {
        visitor.run(sourceStart, targetStart, sourceRow * rows);
      }
      return;
    }
    long run = product(source, inner, rank);
    if (run == 0) {
      return;
    }
    long[] targetStride = new long[inner];
    for (int d = 0; d < inner; d++) {
      targetStride[d] = product(target, d + 1, rank);
    }
    long runsPerRow = product(source, 0, inner);
    long[] index = new long[inner];
    long src = sourceStart;
    for (long r = 0; r < rows; r++) {
      Arrays.fill(index, 0);
      long rowBase = targetStart + r * targetRow;
      long dst = rowBase;
      for (long k = 0; k < runsPerRow; k++) {
        visitor.run(src, dst, run);
        src += run;
        // odometer over the outer dims of the source shape, keeping dst in step
        for (int d = inner - 1; d >= 0; d--) {
          if (++index[d] < source[d]) {
            dst += targetStride[d];
            break;
          }
          dst -= (index[d] - 1) * targetStride[d];
          index[d] = 0;
        }
      }
    }
  }

  static long product(long[] dims, int from, int to) {
    long n = 1;
    for (int d = from; d < to; d++) {
      n = Math.multiplyExact(n, dims[d]);
    }
    return n;
  }

  /** Repeats {@code pattern} over all of {@code segment} (whose size is a multiple of it). */
  static void fill(MemorySegment segment, byte[] pattern) {
    long size = segment.byteSize();
    if (size == 0) {
      return;
    }
    boolean zero = true;
    for (byte b : pattern) {
      zero &= b == 0;
    }
    if (zero) {
      segment.fill((byte) 0);
      return;
    }
    if (pattern.length == 1) {
      segment.fill(pattern[0]);
      return;
    }
    // the array overload of copy: no heap segment (see io.tensorslab.slab.HeapBytes)
    MemorySegment.copy(pattern, 0, segment, ValueLayout.JAVA_BYTE, 0, (int) Math.min(pattern.length, size));
    // doubling copies: log2(size / pattern) memcpy calls
    for (long done = pattern.length; done < size; done *= 2) {
      MemorySegment.copy(segment, 0, segment, done, Math.min(done, size - done));
    }
  }

  static boolean isZero(byte[] pattern) {
    for (byte b : pattern) {
      if (b != 0) {
        return false;
      }
    }
    return true;
  }

  /**
   * The bytes of {@code value} as one item of {@code dtype}, little-endian.
   *
   * @throws IllegalArgumentException when the value does not fit the dtype exactly (a fraction or
   *     out-of-range value for an integer dtype, anything but 0 or 1 for bool)
   */
  static byte[] item(NpyDtype dtype, double value, String component) {
    ByteBuffer b = ByteBuffer.allocate(dtype.itemSize()).order(ByteOrder.LITTLE_ENDIAN);
    String descr = dtype.descr();
    switch (descr) {
      case "<f8" -> b.putDouble(value);
      case "<f4" -> b.putFloat((float) value);
      case "<f2" -> b.putShort(Float.floatToFloat16((float) value));
      case "<V2" -> { // bfloat16 (NpyDtype.BFLOAT16_AS_VOID): float32's upper half, rounded to nearest even
        int bits = Float.floatToRawIntBits((float) value);
        int rounded = Float.isNaN((float) value) ? bits : bits + 0x7FFF + ((bits >>> 16) & 1);
        b.putShort((short) (rounded >>> 16));
      }
      case "|b1" -> b.put((byte) integral(value, 0, 1, descr, component));
      case "|u1" -> b.put((byte) integral(value, 0, 255, descr, component));
      case "<u2" -> b.putShort((short) integral(value, 0, 65535, descr, component));
      case "<i4" -> b.putInt((int) integral(value, Integer.MIN_VALUE, Integer.MAX_VALUE, descr, component));
      case "<i8" -> b.putLong(integral(value, Long.MIN_VALUE, Long.MAX_VALUE, descr, component));
      default -> throw new IllegalArgumentException("no pad value conversion for dtype " + descr
          + " (component=" + component + ")");
    }
    return b.array();
  }

  private static long integral(double value, long min, long max, String descr, String component) {
    if (value != Math.rint(value) || value < min || value > max) {
      throw new IllegalArgumentException("pad value " + value + " is not a value of dtype " + descr
          + " (component=" + component + ")");
    }
    return (long) value;
  }

  /** The message for rows whose shape changed under {@link ShapePolicy#ERROR}. */
  static String shapeChangedMessage(String component, long[] rows, long[] earlier) {
    return "batch shape differs: rows are " + NpyHeader.shapeText(rows) + ", earlier rows "
        + NpyHeader.shapeText(earlier) + " (ShapePolicy.ERROR, the default); for data whose shape varies choose "
        + "shapePolicy(\"" + component + "\", ShapePolicy.PAD) to pad to the largest shape, or "
        + "ShapePolicy.RAGGED for flat values plus row_splits";
  }

  static long getLong(MemorySegment segment, long index) {
    return segment.getAtIndex(ValueLayout.JAVA_LONG, index);
  }
}

package io.tensorslab.npy;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/** Shared test data: every dtype the library writes or reads, payloads with special values, hand-built files. */
public final class TestNpy {
  private TestNpy() {}

  /** Every fixed-size dtype: all constants, plus byte strings and opaque records of a few widths. */
  public static final List<NpyDtype> ALL_DTYPES = List.of(
      NpyDtype.BOOL, NpyDtype.INT8, NpyDtype.UINT8, NpyDtype.INT16, NpyDtype.UINT16, NpyDtype.INT32,
      NpyDtype.UINT32, NpyDtype.INT64, NpyDtype.UINT64, NpyDtype.FLOAT16, NpyDtype.FLOAT32, NpyDtype.FLOAT64,
      NpyDtype.COMPLEX64, NpyDtype.COMPLEX128, NpyDtype.BFLOAT16_AS_VOID, NpyDtype.bytes(1), NpyDtype.bytes(16),
      NpyDtype.opaque(3), NpyDtype.opaque(64));

  public static Stream<NpyDtype> allDtypes() {
    return ALL_DTYPES.stream();
  }

  static final double[] SPECIAL_DOUBLES = {
      Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0, 0.0, 1.5, -2.25,
      Double.MIN_VALUE, Double.MAX_VALUE, Double.longBitsToDouble(0x7ff0_0000_0000_0001L) /* signalling NaN */};

  /**
   * {@code count} elements of {@code dtype} in a byte array: float kinds cycle through NaN, ±Inf, −0.0,
   * subnormals and ordinary values (a NaN payload bit included), bool is 0/1, the rest seeded random bytes.
   */
  public static byte[] payload(NpyDtype dtype, long count, long seed) {
    int n = Math.toIntExact(count * dtype.itemSize());
    byte[] out = new byte[n];
    MemorySegment seg = MemorySegment.ofArray(out);
    Random random = new Random(seed);
    switch (dtype.kind()) {
      case 'b' -> {
        for (int i = 0; i < n; i++) {
          out[i] = (byte) random.nextInt(2);
        }
      }
      case 'f', 'c' -> {
        int width = dtype.kind() == 'c' ? dtype.itemSize() / 2 : dtype.itemSize();
        for (int i = 0; i < n / width; i++) {
          double v = i < SPECIAL_DOUBLES.length ? SPECIAL_DOUBLES[i] : random.nextGaussian() * 1000;
          switch (width) {
            case 2 -> seg.set(ValueLayout.JAVA_SHORT_UNALIGNED, (long) i * 2, Float.floatToFloat16((float) v));
            case 4 -> seg.set(ValueLayout.JAVA_FLOAT_UNALIGNED, (long) i * 4, (float) v);
            default -> seg.set(ValueLayout.JAVA_DOUBLE_UNALIGNED, (long) i * 8, v);
          }
        }
        if (n >= width * 10 && width >= 4) {
          // A NaN with payload bits: the exact pattern must survive, not just "some NaN".
          if (width == 4) {
            seg.set(ValueLayout.JAVA_INT_UNALIGNED, 9 * 4, 0x7fc0_0123);
          }
        }
      }
      default -> random.nextBytes(out);
    }
    return out;
  }

  /** A {@code .npy} file built by hand the way NumPy lays it out: prefix, dict, space padding to 64, newline, payload. */
  public static byte[] file(int major, String dict, byte[] payload) {
    byte[] text = dict.getBytes(major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
    int lengthField = major == 1 ? 2 : 4;
    int unpadded = 8 + lengthField + text.length + 1;
    int total = unpadded + (64 - unpadded % 64) % 64;
    int headerLength = total - 8 - lengthField;
    ByteBuffer b = ByteBuffer.allocate(total + payload.length).order(ByteOrder.LITTLE_ENDIAN);
    b.put(NpyHeader.MAGIC).put((byte) major).put((byte) 0);
    if (lengthField == 2) {
      b.putShort((short) headerLength);
    } else {
      b.putInt(headerLength);
    }
    b.put(text);
    while (b.position() < total - 1) {
      b.put((byte) ' ');
    }
    b.put((byte) '\n').put(payload);
    return b.array();
  }

  /** A version 1.0 file. */
  public static byte[] file(String dict, byte[] payload) {
    return file(1, dict, payload);
  }

  /** The dict text for a C-order array. */
  public static String dict(String descr, String shape) {
    return "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  }

  public static byte[] bytes(MemorySegment segment) {
    return segment.toArray(ValueLayout.JAVA_BYTE);
  }
}

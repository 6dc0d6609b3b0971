package io.tensorslab.npy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class NpyHeaderTest {

  /** Edge shapes: scalar, 1-tuple, zero-length dims, huge dims, rank 8. */
  static final List<long[]> SHAPES = List.of(
      new long[0], new long[] {5}, new long[] {0}, new long[] {1}, new long[] {3, 4}, new long[] {0, 3},
      new long[] {3, 0}, new long[] {0, 0, 0}, new long[] {Long.MAX_VALUE}, new long[] {Long.MAX_VALUE, 1},
      new long[] {1L << 40, 1L << 20}, new long[] {1, 2, 3, 4, 5, 6, 7, 8},
      new long[] {Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE,
          Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE});

  static Stream<Arguments> dtypesAndShapes() {
    return TestNpy.allDtypes().flatMap(d -> SHAPES.stream().map(s -> Arguments.of(d, s)));
  }

  /** Headers copied from {@code numpy.lib.format} output (NumPy 2.4): dict text and the spaces after it. */
  static Stream<Arguments> numpyWritten() {
    return Stream.of(
        Arguments.of(NpyDtype.FLOAT32, new long[] {3, 4}, "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }", 58),
        Arguments.of(NpyDtype.BOOL, new long[0], "{'descr': '|b1', 'fortran_order': False, 'shape': (), }", 62),
        Arguments.of(NpyDtype.bytes(16), new long[] {5}, "{'descr': '|S16', 'fortran_order': False, 'shape': (5,), }", 59),
        Arguments.of(NpyDtype.COMPLEX128, new long[] {1, 2, 3, 4, 5, 6, 7, 8},
            "{'descr': '<c16', 'fortran_order': False, 'shape': (1, 2, 3, 4, 5, 6, 7, 8), }", 39),
        Arguments.of(NpyDtype.INT64, new long[] {Long.MAX_VALUE, 2},
            "{'descr': '<i8', 'fortran_order': False, 'shape': (9223372036854775807, 2), }", 40),
        Arguments.of(NpyDtype.BFLOAT16_AS_VOID, new long[] {0}, "{'descr': '<V2', 'fortran_order': False, 'shape': (0,), }", 60));
  }

  @ParameterizedTest
  @MethodSource("numpyWritten")
  void encodeIsByteForByteWhatNumPyWrites(NpyDtype dtype, long[] shape, String dict, int spaces) {
    byte[] expected = new byte[128];
    ByteBuffer b = ByteBuffer.wrap(expected).order(ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) 118)
        .put(dict.getBytes(StandardCharsets.US_ASCII)).put(" ".repeat(spaces).getBytes(StandardCharsets.US_ASCII))
        .put((byte) '\n');
    assertEquals(128, b.position());
    NpyHeader header = new NpyHeader(dtype, shape);
    assertEquals(dict, header.dictText());
    assertArrayEquals(expected, header.encode());
    assertEquals(128, header.byteSize());
  }

  @ParameterizedTest
  @MethodSource("dtypesAndShapes")
  void encodeLayout(NpyDtype dtype, long[] shape) throws NpyFormatException {
    NpyHeader header = new NpyHeader(dtype, shape);
    byte[] bytes = header.encode();
    assertEquals(0, bytes.length % NpyHeader.ALIGNMENT, "payload offset is a multiple of 64");
    assertArrayEquals(NpyHeader.MAGIC, Arrays.copyOf(bytes, 6));
    assertEquals(1, bytes[6]);
    assertEquals(0, bytes[7]);
    int headerLength = Short.toUnsignedInt(ByteBuffer.wrap(bytes, 8, 2).order(ByteOrder.LITTLE_ENDIAN).getShort());
    assertEquals(bytes.length - 10, headerLength);
    assertEquals('\n', bytes[bytes.length - 1]);
    String text = new String(bytes, 10, headerLength, StandardCharsets.ISO_8859_1);
    String dict = header.dictText();
    assertTrue(text.startsWith(dict), text);
    String tail = text.substring(dict.length(), text.length() - 1);
    assertTrue(tail.chars().allMatch(c -> c == ' '), "only spaces between the dict and the newline");
    int spare = shape.length == 0 ? 0 : 21 - Long.toString(shape[0]).length();
    int padding = tail.length() - spare;
    assertTrue(padding >= 1 && padding <= 64, "NumPy pads with 1..64 spaces, got " + padding);
    assertEquals(header, HeaderDictParser.parse(text));
  }

  @ParameterizedTest
  @MethodSource("dtypesAndShapes")
  void dictText(NpyDtype dtype, long[] shape) {
    String tuple = switch (shape.length) {
      case 0 -> "()";
      case 1 -> "(" + shape[0] + ",)";
      default -> Arrays.toString(shape).replace('[', '(').replace(']', ')');
    };
    assertEquals("{'descr': '" + dtype.descr() + "', 'fortran_order': False, 'shape': " + tuple + ", }",
        new NpyHeader(dtype, shape).dictText());
    assertEquals(tuple, NpyHeader.shapeText(shape));
  }

  @Test
  void fortranOrderDictText() {
    assertEquals("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }",
        new NpyHeader(NpyDtype.FLOAT64, true, new long[] {2, 3}).dictText());
  }

  static Stream<Arguments> dtypesAndRowShapes() {
    List<long[]> rowShapes = List.of(new long[0], new long[] {3}, new long[] {0, 7}, new long[] {Long.MAX_VALUE},
        new long[] {2, 2, 2, 2, 2, 2, 2});
    return TestNpy.allDtypes().flatMap(d -> rowShapes.stream().map(s -> Arguments.of(d, s)));
  }

  @ParameterizedTest
  @MethodSource("dtypesAndRowShapes")
  void encodedLengthDoesNotDependOnRows(NpyDtype dtype, long[] rowShape) {
    List<Integer> lengths = new ArrayList<>();
    for (long rows : new long[] {0, 1, 9, 10, 12345, 1L << 31, 999_999_999_999L, Long.MAX_VALUE}) {
      long[] shape = new long[rowShape.length + 1];
      shape[0] = rows;
      System.arraycopy(rowShape, 0, shape, 1, rowShape.length);
      NpyHeader header = new NpyHeader(dtype, shape);
      lengths.add(header.encode().length);
      // The dict plus NumPy's spare spaces has one length, so shape[0] can be rewritten in place.
      assertEquals(header.withRows(0).dictText().length() + 20, header.dictText().length()
          + 21 - Long.toString(rows).length());
    }
    assertEquals(1, lengths.stream().distinct().count(), "lengths " + lengths);
  }

  /** Smallest rank of all-1 dims whose header needs version 2.0 (the dict no longer fits a 16-bit length). */
  private static int firstVersion2Rank() {
    int lo = 1;
    int hi = 40_000;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (encodeOnes(mid)[6] == 2) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return lo;
  }

  private static byte[] encodeOnes(int rank) {
    long[] shape = new long[rank];
    Arrays.fill(shape, 1);
    return new NpyHeader(NpyDtype.FLOAT32, shape).encode();
  }

  @Test
  void version2OnlyWhenTheHeaderExceeds65535Bytes() throws NpyFormatException {
    int rank = firstVersion2Rank();
    byte[] v1 = encodeOnes(rank - 1);
    byte[] v2 = encodeOnes(rank);
    assertEquals(1, v1[6]);
    int v1Length = Short.toUnsignedInt(ByteBuffer.wrap(v1, 8, 2).order(ByteOrder.LITTLE_ENDIAN).getShort());
    assertEquals(v1.length - 10, v1Length);
    assertTrue(v1Length > 65535 - 64 && v1Length <= 65535, "v1 length " + v1Length + " is close to the limit");

    assertEquals(2, v2[6]);
    assertEquals(0, v2[7]);
    long v2Length = Integer.toUnsignedLong(ByteBuffer.wrap(v2, 8, 4).order(ByteOrder.LITTLE_ENDIAN).getInt());
    assertEquals(v2.length - 12, v2Length);
    assertEquals(0, v2.length % 64);
    assertEquals('\n', v2[v2.length - 1]);
    // With a 2-byte length field the same dict would not have fit.
    int dictAndNewline = new NpyHeader(NpyDtype.FLOAT32, ones(rank)).dictText().length() + 20 + 1;
    int asV1 = 10 + dictAndNewline;
    asV1 += 64 - asV1 % 64;
    assertTrue(asV1 - 10 > 65535, "v1 would need " + (asV1 - 10));

    String text = new String(v2, 12, (int) v2Length, StandardCharsets.ISO_8859_1);
    assertEquals(new NpyHeader(NpyDtype.FLOAT32, ones(rank)), HeaderDictParser.parse(text));
  }

  private static long[] ones(int rank) {
    long[] shape = new long[rank];
    Arrays.fill(shape, 1);
    return shape;
  }

  @Test
  void encodeWithMinimumSizePadsAndStillParses() throws NpyFormatException {
    NpyHeader header = new NpyHeader(NpyDtype.FLOAT64);
    byte[] bytes = header.encode(256);
    assertEquals(256, bytes.length);
    assertEquals(246, Short.toUnsignedInt(ByteBuffer.wrap(bytes, 8, 2).order(ByteOrder.LITTLE_ENDIAN).getShort()));
    assertEquals(header, HeaderDictParser.parse(new String(bytes, 10, 246, StandardCharsets.ISO_8859_1)));
    assertEquals(128, header.encode(64).length, "a minimum below NumPy's size changes nothing");
    assertEquals("header size must be a multiple of 64, got 100",
        assertThrows(IllegalArgumentException.class, () -> header.encode(100)).getMessage());
  }

  @Test
  void shapeIsCopiedAndChecked() {
    long[] shape = {2, 3};
    NpyHeader header = new NpyHeader(NpyDtype.INT8, shape);
    shape[0] = 99;
    assertArrayEquals(new long[] {2, 3}, header.shape());
    header.shape()[1] = 99;
    assertEquals(3, header.dim(1));
    assertEquals(2, header.rank());
    assertEquals("shape dims must be >= 0, got [2, -1]",
        assertThrows(IllegalArgumentException.class, () -> new NpyHeader(NpyDtype.INT8, 2, -1)).getMessage());
    assertThrows(NullPointerException.class, () -> new NpyHeader(null, 1));
  }

  @Test
  void sizesAndOverflow() {
    assertEquals(1, new NpyHeader(NpyDtype.FLOAT64).elementCount());
    assertEquals(8, new NpyHeader(NpyDtype.FLOAT64).payloadByteSize());
    assertEquals(0, new NpyHeader(NpyDtype.FLOAT64, Long.MAX_VALUE, 0).payloadByteSize());
    assertEquals(12 * 16, new NpyHeader(NpyDtype.COMPLEX128, 3, 4).payloadByteSize());
    assertThrows(ArithmeticException.class, () -> new NpyHeader(NpyDtype.INT8, 1L << 32, 1L << 32).elementCount());
    assertThrows(ArithmeticException.class, () -> new NpyHeader(NpyDtype.FLOAT64, Long.MAX_VALUE / 4).payloadByteSize());
  }

  @Test
  void withRows() {
    NpyHeader header = new NpyHeader(NpyDtype.UINT16, 0, 5);
    assertEquals(new NpyHeader(NpyDtype.UINT16, 7, 5), header.withRows(7));
    assertEquals("a scalar header has no rows to set",
        assertThrows(IllegalArgumentException.class, () -> new NpyHeader(NpyDtype.UINT16).withRows(1)).getMessage());
  }

  @Test
  void valueSemantics() {
    NpyHeader a = new NpyHeader(NpyDtype.FLOAT32, 3, 4);
    assertEquals(a, new NpyHeader(NpyDtype.FLOAT32, false, new long[] {3, 4}));
    assertEquals(a.hashCode(), new NpyHeader(NpyDtype.FLOAT32, 3, 4).hashCode());
    assertNotEquals(a, new NpyHeader(NpyDtype.FLOAT32, true, new long[] {3, 4}));
    assertNotEquals(a, new NpyHeader(NpyDtype.FLOAT64, 3, 4));
    assertNotEquals(a, new NpyHeader(NpyDtype.FLOAT32, 4, 3));
    assertEquals("NpyHeader[descr=<f4, fortran_order=false, shape=(3, 4)]", a.toString());
  }
}

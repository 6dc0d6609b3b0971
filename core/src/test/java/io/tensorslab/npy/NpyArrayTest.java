package io.tensorslab.npy;

import static io.tensorslab.npy.TestNpy.dict;
import static io.tensorslab.npy.TestNpy.file;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class NpyArrayTest {
  @TempDir Path dir;

  private Path write(byte[] bytes) throws IOException {
    return Files.write(dir.resolve("x.npy"), bytes);
  }

  /** Opens {@code bytes} as a file and returns the message of the {@link NpyFormatException} it must cause. */
  private String rejection(byte[] bytes) throws IOException {
    Path p = write(bytes);
    NpyFormatException e = assertThrows(NpyFormatException.class, () -> {
      try (NpyArray a = NpyArray.open(p)) {
        throw new AssertionError("opened " + a);
      }
    });
    assertTrue(e.getMessage().startsWith("malformed .npy: "), e.getMessage());
    assertTrue(e.getMessage().endsWith("path=" + p + ")"), "names the path: " + e.getMessage());
    return e.getMessage();
  }

  private static void assertContains(String expected, String message) {
    assertTrue(message.contains(expected), () -> "expected \"" + expected + "\" in \"" + message + "\"");
  }

  // ---- reading good files ----

  @ParameterizedTest
  @MethodSource("io.tensorslab.npy.TestNpy#allDtypes")
  void readsWhatNpyHeaderEncodes(NpyDtype dtype) throws IOException {
    for (long[] shape : NpyHeaderTest.SHAPES) {
      NpyHeader header = new NpyHeader(dtype, shape);
      long count;
      try {
        count = header.payloadByteSize() / dtype.itemSize();
      } catch (ArithmeticException e) {
        continue;
      }
      if (count > 100) {
        continue;
      }
      byte[] payload = TestNpy.payload(dtype, count, 7);
      byte[] bytes = new byte[header.byteSize() + payload.length];
      System.arraycopy(header.encode(), 0, bytes, 0, header.byteSize());
      System.arraycopy(payload, 0, bytes, header.byteSize(), payload.length);
      try (NpyArray a = NpyArray.open(write(bytes))) {
        assertEquals(header, a.header());
        assertEquals(1, a.majorVersion());
        assertEquals(0, a.minorVersion());
        assertEquals(header.byteSize(), a.payloadOffset());
        assertArrayEquals(payload, TestNpy.bytes(a.segment()), "bit patterns kept (NaN, ±Inf, -0.0)");
        assertTrue(a.segment().isReadOnly());
      }
    }
  }

  @Test
  void specialFloatValuesReadBack() throws IOException {
    double[] values = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0, 0.0};
    byte[] payload = new byte[40];
    ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer().put(values);
    try (NpyArray a = NpyArray.open(write(file(dict("<f8", "(5,)"), payload)))) {
      double[] read = a.segment().toArray(ValueLayout.JAVA_DOUBLE);
      assertTrue(Double.isNaN(read[0]));
      assertEquals(Double.POSITIVE_INFINITY, read[1]);
      assertEquals(Double.NEGATIVE_INFINITY, read[2]);
      assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(read[3]));
      assertEquals(0L, Double.doubleToRawLongBits(read[4]));
    }
  }

  @Test
  void trailingBytesAfterThePayloadAreIgnored() throws IOException {
    try (NpyArray a = NpyArray.open(write(file(dict("|u1", "(2,)"), new byte[] {1, 2, 3, 4})))) {
      assertEquals(2, a.segment().byteSize());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }",
      "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (3,)}",
      "{'shape': (3,), 'fortran_order': False, 'descr': '<f4'}",
      "{'descr':'<f4','fortran_order':False,'shape':(3,)}",
      "  {  'descr' : '<f4' , 'fortran_order' : False , 'shape' : ( 3 , ) , }  ",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (3L,), }",
      "{'descr': 'f4', 'fortran_order': False, 'shape': (3,), }",
      "{'descr': '=f4', 'fortran_order': False, 'shape': (3,), }",
      "{'descr': '<f4', 'fortran_order': True, 'shape': (3,), }"})
  void acceptsWhatNumPyAccepts(String dictText) throws IOException {
    try (NpyArray a = NpyArray.open(write(file(dictText, new byte[12])))) {
      assertEquals(NpyDtype.FLOAT32, a.header().dtype());
      assertArrayEquals(new long[] {3}, a.header().shape());
    }
  }

  @Test
  void fortranOrderIsAcceptedWhenItIsAlsoCOrder() throws IOException {
    // At most one dim above 1: Fortran and C order are the same bytes.
    try (NpyArray a = NpyArray.open(write(file("{'descr': '<i2', 'fortran_order': True, 'shape': (1, 4, 1), }",
        new byte[8])))) {
      assertTrue(a.header().fortranOrder());
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {2, 3})
  void readsVersions2And3(int major) throws IOException {
    byte[] payload = {1, 0, 2, 0};
    try (NpyArray a = NpyArray.open(write(file(major, dict("<u2", "(2,)"), payload)))) {
      assertEquals(major, a.majorVersion());
      assertEquals(0, a.payloadOffset() % 64);
      assertArrayEquals(new short[] {1, 2}, a.segment().toArray(ValueLayout.JAVA_SHORT));
    }
  }

  @Test
  void readsAVersion3HeaderWithUtf8() throws IOException {
    // Only structured dtypes have non-latin-1 names; a UTF-8 space character stands in for them here.
    try (NpyArray a = NpyArray.open(write(file(3, dict("|u1", "(1,)") + "\u3000", new byte[1])))) {
      assertEquals(3, a.majorVersion());
    }
  }

  @Test
  void closeIsIdempotentAndFencesTheSegment() throws IOException {
    NpyArray a = NpyArray.open(write(file(dict("<i4", "(2,)"), new byte[8])));
    try (a) {
      assertEquals(0, a.segment().getAtIndex(ValueLayout.JAVA_INT, 1));
      assertTrue(a.toString().contains("shape=(2,)"));
    }
    a.close();
    assertThrows(IllegalStateException.class, () -> a.segment().get(ValueLayout.JAVA_BYTE, 0));
  }

  @Test
  void missingFileIsAnIOExceptionNotAFormatError() {
    assertThrows(NoSuchFileException.class, () -> NpyArray.open(dir.resolve("absent.npy")));
  }

  // ---- every malformed case, each with its own message ----

  @Test
  void badMagic() throws IOException {
    byte[] good = file(dict("<f4", "(1,)"), new byte[4]);
    byte[] bad = good.clone();
    bad[5] = 'X';
    assertContains("bad magic, the file does not start with \\x93NUMPY", rejection(bad));
    bad = good.clone();
    bad[0] = 'N';
    assertContains("bad magic", rejection(bad));
    assertContains("bad magic", rejection(new byte[0]));
    assertContains("bad magic", rejection(new byte[] {(byte) 0x93, 'N', 'U'}));
    assertContains("bad magic", rejection("PK\3\4 this is a zip, as np.savez writes".getBytes()));
  }

  @ParameterizedTest
  @CsvSource({"0, 0", "4, 0", "1, 1", "2, 5", "255, 255"})
  void unknownVersion(int major, int minor) throws IOException {
    byte[] bytes = file(dict("<f4", "(1,)"), new byte[4]);
    bytes[6] = (byte) major;
    bytes[7] = (byte) minor;
    assertContains("unknown format version " + major + "." + minor + " (1.0, 2.0 and 3.0 are read", rejection(bytes));
  }

  @Test
  void truncatedHeader() throws IOException {
    byte[] v1 = file(dict("<f4", "(3,)"), new byte[12]);
    byte[] v2 = file(2, dict("<f4", "(3,)"), new byte[12]);
    assertContains("truncated header, no version bytes", rejection(Arrays.copyOf(v1, 6)));
    assertContains("truncated header, no version bytes", rejection(Arrays.copyOf(v1, 7)));
    assertContains("truncated header, no header length", rejection(Arrays.copyOf(v1, 8)));
    assertContains("truncated header, no header length", rejection(Arrays.copyOf(v1, 9)));
    assertContains("truncated header, no header length", rejection(Arrays.copyOf(v2, 11)));
    assertContains("truncated header, 0 of 118 header bytes present", rejection(Arrays.copyOf(v1, 10)));
    assertContains("truncated header, 40 of 118 header bytes present", rejection(Arrays.copyOf(v1, 50)));
    assertContains("truncated header, 117 of 118 header bytes present", rejection(Arrays.copyOf(v1, 127)));
    assertContains("truncated header, 100 of 116 header bytes present", rejection(Arrays.copyOf(v2, 112)));
  }

  @Test
  void headerLengthBeyondTheLimit() throws IOException {
    byte[] v2 = file(2, dict("<f4", "(3,)"), new byte[12]);
    ByteBuffer.wrap(v2).order(ByteOrder.LITTLE_ENDIAN).putInt(8, -1);
    assertContains("header length 4294967295 exceeds the 16777216-byte limit", rejection(v2));
  }

  static Stream<Arguments> unparsableDicts() {
    return Stream.of(
        Arguments.of("{'fortran_order': False, 'shape': (3,), }", "missing key 'descr'"),
        Arguments.of("{'descr': '<f4', 'shape': (3,), }", "missing key 'fortran_order'"),
        Arguments.of("{'descr': '<f4', 'fortran_order': False, }", "missing key 'shape'"),
        Arguments.of("{}", "missing key 'descr'"),
        Arguments.of("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'x': 1, }", "unexpected key 'x' (NumPy allows only descr, fortran_order, shape)"),
        Arguments.of("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (3,)}", "duplicate key 'descr'"),
        Arguments.of("{'descr': '<f4', 'fortran_order': False, 'fortran_order': False, 'shape': (3,)}", "duplicate key 'fortran_order'"),
        Arguments.of("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'shape': (3,)}", "duplicate key 'shape'"),
        Arguments.of("{'descr\": '<f4', 'fortran_order': False, 'shape': (3,), }", "expected ':'"),
        Arguments.of("{'descr': '<f4, 'fortran_order': False, 'shape': (3,), }", "expected ',' or '}'"),
        Arguments.of("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }'", "unexpected text after the dict"),
        Arguments.of("{descr: '<f4', 'fortran_order': False, 'shape': (3,), }", "expected a quoted string"),
        Arguments.of("{'descr': <f4, 'fortran_order': False, 'shape': (3,), }", "'descr' is not a string (structured dtypes are not supported)"),
        Arguments.of("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'unterminated", "unterminated string"),
        Arguments.of("{'descr': '<\\f4', 'fortran_order': False, 'shape': (3,), }", "escapes in strings are not supported"),
        Arguments.of("{'descr': '<f4', 'fortran_order': False, 'shape': [3], }", "expected '('"),
        Arguments.of("{'descr': '<f4', 'fortran_order': False, 'shape': 3, }", "expected '('"),
        Arguments.of("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4, }", "expected a non-negative integer in shape"),
        Arguments.of("{'descr': '<f4', 'fortran_order': False, 'shape': (3,, 4), }", "expected a non-negative integer in shape"),
        Arguments.of("{'descr': '<f4', 'fortran_order': False, 'shape': (3 4), }", "expected ',' or ')' in shape"),
        Arguments.of("{'descr': '<f4', 'fortran_order': False, 'shape': (a,), }", "expected a non-negative integer in shape"),
        Arguments.of("{'descr': '<f4', 'fortran_order': False, 'shape': (-3,), }", "expected a non-negative integer in shape"),
        Arguments.of("{'descr': '<f4', 'fortran_order': False, 'shape': (3.0,), }", "expected ',' or ')' in shape"),
        Arguments.of("{'descr': '<f4', 'fortran_order': False, 'shape': (0x3,), }", "expected ',' or ')' in shape"),
        Arguments.of("{'descr': '<f4', 'fortran_order': False, 'shape': (9223372036854775808,), }", "shape dim 9223372036854775808 is too large"),
        Arguments.of("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999,), }", "shape dim 99999999999999999999999 is too large"),
        Arguments.of("{'descr': '<f4', 'fortran_order': False, 'shape': (5), }", "shape '(n)' is not a tuple; NumPy writes '(n,)'"),
        Arguments.of("{'descr': '<f4', 'fortran_order': false, 'shape': (3,), }", "'fortran_order' is not True or False"),
        Arguments.of("{'descr': '<f4', 'fortran_order': 0, 'shape': (3,), }", "'fortran_order' is not True or False"),
        Arguments.of("{'descr': '<f4' 'fortran_order': False, 'shape': (3,), }", "expected ',' or '}'"),
        Arguments.of("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), } garbage", "unexpected text after the dict"),
        Arguments.of("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }}", "unexpected text after the dict"),
        Arguments.of("{'descr': '<f4', 'fortran_order': False, 'shape': (3,),", "unexpected end of header"),
        Arguments.of("['descr', '<f4']", "expected '{'"),
        Arguments.of("", "unexpected end of header"));
  }

  @ParameterizedTest(name = "[{index}] {1}")
  @MethodSource("unparsableDicts")
  void unparsableDict(String dictText, String why) throws IOException {
    String message = rejection(file(dictText, new byte[12]));
    assertContains("malformed .npy: unparsable header dict: " + why, message);
  }

  @Test
  void unparsableDictMessageShowsWhereParsingStopped() throws IOException {
    assertContains("expected ',' or ')' in shape at character 52 of \"{'descr': '<f4', 'fortran_order': False, 'shape': (3.0,), }\"",
        rejection(file(dict("<f4", "(3.0,)"), new byte[12])));
  }

  @Test
  void veryLongDictIsShortenedInTheMessage() throws IOException {
    String message = rejection(file("{'descr': '<f4', 'x" + "y".repeat(5000) + "': 1}", new byte[0]));
    assertTrue(message.length() < 500, message);
    assertContains("...", message);
  }

  @Test
  void invalidUtf8InAVersion3Header() throws IOException {
    byte[] bytes = file(3, dict("<f4", "(1,)"), new byte[4]);
    bytes[12 + 11] = (byte) 0xC3; // inside the descr string: a lone lead byte
    bytes[12 + 12] = (byte) 0x28;
    assertContains("version 3.0 header is not valid UTF-8", rejection(bytes));
  }

  @Test
  void payloadShorterThanTheShapeNeeds() throws IOException {
    assertContains("payload is 10 bytes but shape (3,) of <f4 needs 12",
        rejection(file(dict("<f4", "(3,)"), new byte[10])));
    assertContains("payload is 0 bytes but shape (2, 3) of <c16 needs 96",
        rejection(file(dict("<c16", "(2, 3)"), new byte[0])));
    assertContains("payload is 0 bytes but shape () of |b1 needs 1",
        rejection(file(dict("|b1", "()"), new byte[0])));
    assertContains("payload is 100 bytes but shape (9223372036854775807,) of |u1 needs 9223372036854775807",
        rejection(file(dict("|u1", "(9223372036854775807,)"), new byte[100])));
  }

  @Test
  void shapeOverflow() throws IOException {
    assertContains("shape (4294967296, 4294967296) overflows 64-bit byte counts",
        rejection(file(dict("|u1", "(4294967296, 4294967296)"), new byte[0])));
    assertContains("shape (1152921504606846976,) overflows 64-bit byte counts",
        rejection(file(dict("<f8", "(1152921504606846976,)"), new byte[0])));
  }

  @Test
  void fortranOrder() throws IOException {
    assertContains("unsupported order, fortran_order is True for shape (2, 3); save with np.ascontiguousarray",
        rejection(file("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", new byte[24])));
  }

  @ParameterizedTest
  @ValueSource(strings = {">f4", ">i8", ">u2", ">c8", ">f2"})
  void bigEndian(String descr) throws IOException {
    assertContains("unsupported byte order, descr '" + descr + "' is big-endian; convert with arr.astype(",
        rejection(file(dict(descr, "(1,)"), new byte[16])));
  }

  @Test
  void singleByteTypesHaveNoByteOrder() throws IOException {
    try (NpyArray a = NpyArray.open(write(file(dict(">i1", "(1,)"), new byte[1])))) {
      assertEquals(NpyDtype.INT8, a.header().dtype());
    }
  }

  static Stream<Arguments> unsupportedDescrs() {
    return Stream.of(
        Arguments.of("'|O'", "unsupported dtype: '|O' (kind 'O'"),
        Arguments.of("'<U5'", "unsupported dtype: '<U5' (kind 'U'"),
        Arguments.of("'<M8[ns]'", "unsupported dtype: '<M8[ns]' (kind 'M'"),
        Arguments.of("'<f3'", "unsupported dtype: '<f3' (no such NumPy type)"),
        Arguments.of("[('a', '<f4'), ('b', '<i8')]", "'descr' is not a string (structured dtypes are not supported)"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("unsupportedDescrs")
  void unsupportedDescr(String descrLiteral, String why) throws IOException {
    String text = "{'descr': " + descrLiteral + ", 'fortran_order': False, 'shape': (1,), }";
    assertContains(why, rejection(file(text, new byte[64])));
  }
}

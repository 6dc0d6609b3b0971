package io.tensorslab.npy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class NpyDtypeTest {

  @ParameterizedTest
  @MethodSource("io.tensorslab.npy.TestNpy#allDtypes")
  void descrRoundTrips(NpyDtype dtype) throws NpyFormatException {
    assertEquals(dtype, NpyDtype.parse(dtype.descr()));
    assertEquals(dtype.descr(), dtype.toString());
    assertTrue(dtype.isNativeOrder());
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
      "<f4, <f4", "<f8, <f8", "<f2, <f2", "|b1, |b1", "<b1, |b1", ">b1, |b1", "b1, |b1",
      "|u1, |u1", "<u1, |u1", "=u1, |u1", "u1, |u1", "|i1, |i1", ">i1, |i1",
      "=f4, <f4", "=i8, <i8", "f4, <f4", "|f4, <f4", "c16, <c16", "<c8, <c8", "<u8, <u8", "<i2, <i2",
      "|S1, |S1", "<S5, |S5", "S7, |S7", "|S999999999, |S999999999", "|V2, |V2", "<V2, <V2", ">V16, |V16",
      ">f4, >f4", ">u2, >u2"})
  void parseAcceptsAndNormalisesLikeNumPy(String descr, String normalised) throws NpyFormatException {
    assertEquals(normalised, NpyDtype.parse(descr).descr());
  }

  @Test
  void bigEndianIsParsedButNotNative() throws NpyFormatException {
    NpyDtype be = NpyDtype.parse(">f8");
    assertEquals('>', be.byteOrder());
    assertTrue(!be.isNativeOrder());
    assertEquals("float64 (big-endian)", be.displayName());
  }

  @ParameterizedTest(name = "\"{0}\"")
  @CsvSource(delimiter = ';', quoteCharacter = '"', value = {
      "\"\";          is not a fixed-size NumPy descr",
      "<;             is not a fixed-size NumPy descr",
      "<<;            kind '<' is not one of b i u f c S V",
      "|O;            kind 'O' is not one of b i u f c S V",
      "O8;            kind 'O' is not one of b i u f c S V",
      "<U5;           kind 'U' is not one of b i u f c S V",
      "<M8[ns];       kind 'M' is not one of b i u f c S V",
      "<m8;           kind 'm' is not one of b i u f c S V",
      "[('a', '<f4')]; kind '[' is not one of b i u f c S V",
      "<f;            has no valid item size",
      "|S;            has no valid item size",
      "<f-4;          has no valid item size",
      "<f4x;          has no valid item size",
      "<f 4;          has no valid item size",
      "|S1234567890;  has no valid item size",
      "|S0;           has item size 0",
      "|V000;         has item size 0",
      "<f3;           no such NumPy type",
      "<f16;          no such NumPy type",
      "<i3;           no such NumPy type",
      "<u16;          no such NumPy type",
      "|b2;           no such NumPy type",
      "<c4;           no such NumPy type",
      "<c32;          no such NumPy type"})
  void parseRejects(String descr, String why) {
    NpyFormatException e = assertThrows(NpyFormatException.class, () -> NpyDtype.parse(descr));
    assertEquals(true, e.getMessage().startsWith("unsupported dtype: '" + descr + "'"), e.getMessage());
    assertTrue(e.getMessage().contains(why), e.getMessage());
  }

  @Test
  void aHugeDescrIsCutShortInTheMessage() {
    String descr = "|S" + "9".repeat(5000);
    NpyFormatException e = assertThrows(NpyFormatException.class, () -> NpyDtype.parse(descr));
    assertEquals("unsupported dtype: '|S99999999999999999999999999999999999999...' is not a fixed-size NumPy descr",
        e.getMessage());
  }

  @Test
  void parseRejectsNull() {
    assertThrows(NullPointerException.class, () -> NpyDtype.parse(null));
  }

  @Test
  void constructorRejectsWhatNoDescrCanSay() {
    assertEquals("dtype byte order must be one of < > | =, got '!'",
        assertThrows(IllegalArgumentException.class, () -> new NpyDtype('!', 'f', 4)).getMessage());
    assertEquals("dtype kind must be one of b i u f c S V, got 'O'",
        assertThrows(IllegalArgumentException.class, () -> new NpyDtype('|', 'O', 8)).getMessage());
    assertEquals("dtype item size must be at least 1, got 0",
        assertThrows(IllegalArgumentException.class, () -> NpyDtype.bytes(0)).getMessage());
  }

  @ParameterizedTest
  @CsvSource({"|b1, bool", "|i1, int8", "<u2, uint16", "<i4, int32", "<u8, uint64", "<f2, float16",
      "<f8, float64", "<c8, complex64", "<c16, complex128", "|S12, bytes12", "|V2, void2"})
  void displayName(String descr, String name) throws NpyFormatException {
    assertEquals(name, NpyDtype.parse(descr).displayName());
  }

  @Test
  void constantsMatchTensorFlowTypesDescrs() {
    // The TF Java type -> descr table of docs/npy-format.md.
    assertEquals("|b1", NpyDtype.BOOL.descr());
    assertEquals("|u1", NpyDtype.UINT8.descr());
    assertEquals("<u2", NpyDtype.UINT16.descr());
    assertEquals("<i4", NpyDtype.INT32.descr());
    assertEquals("<i8", NpyDtype.INT64.descr());
    assertEquals("<f2", NpyDtype.FLOAT16.descr());
    assertEquals("<f4", NpyDtype.FLOAT32.descr());
    assertEquals("<f8", NpyDtype.FLOAT64.descr());
    assertEquals("<V2", NpyDtype.BFLOAT16_AS_VOID.descr());
    assertEquals("|S9", NpyDtype.bytes(9).descr());
  }
}

package io.tensorslab.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tensorslab.npy.NpyDtype;
import org.junit.jupiter.api.Test;

class PaddingTest {

  /** bfloat16's descr is {@code <V2}; the pad conversion used to look for {@code |V2} and refused it. */
  @Test
  void bfloat16PadValueIsTheUpperHalfOfFloat32RoundedToNearestEven() {
    assertArrayEquals(new byte[] {(byte) 0xC0, 0x3F}, Padding.item(NpyDtype.BFLOAT16_AS_VOID, 1.5, "b"));
    assertArrayEquals(new byte[] {(byte) 0x80, (byte) 0xBF}, Padding.item(NpyDtype.BFLOAT16_AS_VOID, -1, "b"));
    // 1 + 2^-8 lies halfway between two bfloat16 values: it rounds to the even one, 1.0
    assertArrayEquals(new byte[] {(byte) 0x80, 0x3F}, Padding.item(NpyDtype.BFLOAT16_AS_VOID, 1 + 0x1p-8, "b"));
  }

  /** {@code float32} keeps a denormal pad value bit for bit (1e-40 is 71362 as raw bits). */
  @Test
  void float32DenormalPadValueKeepsItsBits() {
    byte[] item = Padding.item(NpyDtype.FLOAT32, 1e-40, "f");
    int bits = (item[0] & 0xff) | (item[1] & 0xff) << 8 | (item[2] & 0xff) << 16 | (item[3] & 0xff) << 24;
    assertEquals(71362, bits);
  }

  @Test
  void aPadValueOutsideTheDtypeIsRefusedNamingIt() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Padding.item(NpyDtype.UINT8, 256, "tokens"));
    assertEquals("pad value 256.0 is not a value of dtype |u1 (component=tokens)", e.getMessage());
  }
}

package io.tensorslab.tf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.tensorflow.types.TBfloat16;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat16;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.family.TType;

/** Test payloads: random bytes per dtype, with NaN, +-Inf and -0 up front for floating types. */
final class Fixtures {

  private Fixtures() {}

  static byte[] bytes(Class<? extends TType> type, long elements, long seed) {
    int width = TfDtypes.toNpy(type).itemSize();
    byte[] out = new byte[Math.toIntExact(elements * width)];
    Random random = new Random(seed);
    random.nextBytes(out);
    ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
    if (type == TBool.class) {
      for (int i = 0; i < out.length; i++) {
        out[i] = (byte) (out[i] & 1); // TF bools are 0 or 1
      }
    } else if (type == TFloat32.class) {
      float[] special = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0.0f, Float.MIN_VALUE};
      for (int i = 0; i < special.length && i < elements; i++) {
        b.putFloat(i * 4, special[i]);
      }
    } else if (type == TFloat64.class) {
      double[] special = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0, Double.MIN_VALUE};
      for (int i = 0; i < special.length && i < elements; i++) {
        b.putDouble(i * 8, special[i]);
      }
    } else if (type == TFloat16.class || type == TBfloat16.class) {
      short[] special = type == TFloat16.class
          ? new short[] {0x7E00, 0x7C00, (short) 0xFC00, (short) 0x8000}
          : new short[] {0x7FC0, 0x7F80, (short) 0xFF80, (short) 0x8000};
      for (int i = 0; i < special.length && i < elements; i++) {
        b.putShort(i * 2, special[i]);
      }
    }
    return out;
  }
}

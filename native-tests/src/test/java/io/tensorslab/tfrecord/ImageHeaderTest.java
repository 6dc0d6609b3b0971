package io.tensorslab.tfrecord;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.tensorflow.EagerSession;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.image.DecodeImage;
import org.tensorflow.op.image.EncodeJpeg;
import org.tensorflow.op.image.EncodePng;
import org.tensorflow.types.TString;
import org.tensorflow.types.TUint8;

/**
 * Headers read without decoding agree with what TensorFlow's own DecodeImage gives for the same
 * bytes: images encoded by TensorFlow (EncodeJpeg, EncodePng) and hand-made GIF and BMP files.
 */
class ImageHeaderTest {

  /** The shape TensorFlow decodes {@code bytes} to with channels=0. */
  private static long[] decodedShape(Ops tf, byte[] bytes) {
    try (TString t = TString.tensorOfBytes(NdArrays.scalarOfObject(bytes))) {
      return tf.image.decodeImage(tf.constant(t), TUint8.class, DecodeImage.channels(0L),
          DecodeImage.expandAnimations(false)).shape().asArray();
    }
  }

  private static byte[] bytesOf(Operand<TString> encoded) {
    return encoded.asTensor().asBytes().getObject();
  }

  private static Operand<TUint8> pixels(Ops tf, int h, int w, int c) {
    int[] data = new int[h * w * c];
    for (int i = 0; i < data.length; i++) {
      data[i] = (i * 7) & 0xff;
    }
    return tf.dtypes.cast(tf.reshape(tf.constant(data), tf.constant(new long[] {h, w, c})), TUint8.class);
  }

  @ParameterizedTest(name = "[{index}] {0} {1}x{2}x{3}")
  @CsvSource({"jpeg, 17, 23, 3", "jpeg, 8, 300, 1", "png, 5, 7, 1", "png, 31, 2, 2", "png, 12, 12, 3", "png, 3, 9, 4"})
  void tensorflowEncodedImages(String format, int h, int w, int c) {
    try (EagerSession session = EagerSession.create()) {
      Ops tf = Ops.create(session);
      Operand<TUint8> image = pixels(tf, h, w, c);
      byte[] bytes = format.equals("jpeg") ? bytesOf(tf.image.encodeJpeg(image, EncodeJpeg.quality(90L)))
          : bytesOf(tf.image.encodePng(image, EncodePng.compression(6L)));
      ImageHeader header = ImageHeader.sniff(bytes);
      assertEquals(format, header.format().displayName());
      assertArrayEquals(decodedShape(tf, bytes), new long[] {header.height(), header.width(), header.channels()});
      assertArrayEquals(new long[] {h, w, c}, new long[] {header.height(), header.width(), header.channels()});
    }
  }

  /** A 2x3 GIF89a: logical screen 3 wide, 2 high, one frame, 2-colour table. */
  static byte[] gif() {
    return new byte[] {'G', 'I', 'F', '8', '9', 'a', 3, 0, 2, 0, (byte) 0x80, 0, 0,
        0, 0, 0, (byte) 0xff, (byte) 0xff, (byte) 0xff, // colour table
        0x2c, 0, 0, 0, 0, 3, 0, 2, 0, 0, // image descriptor
        // LZW, min code size 2: clear, six pixels of colour 0 (three 3-bit codes, three 4-bit), end
        2, 4, 0x04, 0x00, 0x00, 0x05, 0,
        0x3b};
  }

  /** A 24-bit BMP, 3 wide, 2 high (bottom-up), rows padded to 4 bytes. */
  static byte[] bmp(int bitsPerPixel, int width, int height) {
    int rowBytes = (width * bitsPerPixel / 8 + 3) / 4 * 4;
    int palette = bitsPerPixel == 8 ? 256 * 4 : 0;
    int dataOffset = 14 + 40 + palette;
    ByteBuffer b = ByteBuffer.allocate(dataOffset + rowBytes * Math.abs(height)).order(ByteOrder.LITTLE_ENDIAN);
    b.put((byte) 'B').put((byte) 'M').putInt(b.capacity()).putInt(0).putInt(dataOffset);
    b.putInt(40).putInt(width).putInt(height).putShort((short) 1).putShort((short) bitsPerPixel).putInt(0)
        .putInt(rowBytes * Math.abs(height)).putInt(2835).putInt(2835).putInt(bitsPerPixel == 8 ? 256 : 0).putInt(0);
    for (int i = 0; i < palette / 4; i++) {
      b.put((byte) i).put((byte) i).put((byte) i).put((byte) 0);
    }
    return b.array();
  }

  @Test
  void gifAndBmpAgreeWithTensorFlow() {
    try (EagerSession session = EagerSession.create()) {
      Ops tf = Ops.create(session);
      ImageHeader g = ImageHeader.sniff(gif());
      assertEquals(ImageHeader.Format.GIF, g.format());
      assertArrayEquals(decodedShape(tf, gif()), new long[] {g.height(), g.width(), g.channels()});
      for (int[] case_ : new int[][] {{24, 3, 2}, {32, 5, -4}}) {
        byte[] bytes = bmp(case_[0], case_[1], case_[2]);
        ImageHeader h = ImageHeader.sniff(bytes);
        assertEquals(ImageHeader.Format.BMP, h.format());
        assertArrayEquals(decodedShape(tf, bytes), new long[] {h.height(), h.width(), h.channels()},
            Arrays.toString(case_));
      }
    }
  }

  @Test
  void notAnImageAndCutHeaders() {
    assertNull(ImageHeader.sniff("hello".getBytes()));
    assertNull(ImageHeader.sniff(new byte[0]));
    try (EagerSession session = EagerSession.create()) {
      Ops tf = Ops.create(session);
      byte[] png = bytesOf(tf.image.encodePng(pixels(tf, 4, 4, 3)));
      byte[] jpeg = bytesOf(tf.image.encodeJpeg(pixels(tf, 4, 4, 3)));
      ImageHeader cutPng = ImageHeader.sniff(Arrays.copyOf(png, 20));
      assertEquals(ImageHeader.Format.PNG, cutPng.format());
      assertFalse(cutPng.complete());
      ImageHeader cutJpeg = ImageHeader.sniff(Arrays.copyOf(jpeg, 30));
      assertEquals(ImageHeader.Format.JPEG, cutJpeg.format());
      assertFalse(cutJpeg.complete());
      assertFalse(ImageHeader.sniff(Arrays.copyOf(gif(), 8)).complete());
      assertFalse(ImageHeader.sniff(Arrays.copyOf(bmp(24, 3, 2), 20)).complete());
    }
  }
}

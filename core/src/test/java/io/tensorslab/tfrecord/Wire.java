package io.tensorslab.tfrecord;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/** Hand encoding of protobuf fields, canonical or not, for tests of the Example reader. */
final class Wire {

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  static Wire of() {
    return new Wire();
  }

  Wire raw(int... bytes) {
    for (int b : bytes) {
      out.write(b);
    }
    return this;
  }

  Wire raw(byte[] bytes) {
    out.writeBytes(bytes);
    return this;
  }

  Wire varint(long v) {
    while ((v & ~0x7fL) != 0) {
      out.write((int) ((v & 0x7f) | 0x80));
      v >>>= 7;
    }
    out.write((int) v);
    return this;
  }

  /** {@code v} as a varint padded to {@code bytes} bytes with continuation bits (non-canonical). */
  Wire overlongVarint(long v, int bytes) {
    for (int i = 0; i < bytes - 1; i++) {
      out.write((int) ((v & 0x7f) | 0x80));
      v >>>= 7;
    }
    out.write((int) (v & 0x7f));
    return this;
  }

  Wire tag(int field, int wireType) {
    return varint((long) field << 3 | wireType);
  }

  Wire bytesField(int field, byte[] bytes) {
    return tag(field, 2).varint(bytes.length).raw(bytes);
  }

  Wire fixed32(float f) {
    out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(f).array());
    return this;
  }

  byte[] bytes() {
    return out.toByteArray();
  }

  // --- Example pieces ---

  static byte[] floatsPacked(float... v) {
    Wire p = of();
    for (float f : v) {
      p.fixed32(f);
    }
    return of().bytesField(1, p.bytes()).bytes();
  }

  static byte[] floatsUnpacked(float... v) {
    Wire p = of();
    for (float f : v) {
      p.tag(1, 5).fixed32(f);
    }
    return p.bytes();
  }

  static byte[] longsPacked(long... v) {
    Wire p = of();
    for (long x : v) {
      p.varint(x);
    }
    return of().bytesField(1, p.bytes()).bytes();
  }

  static byte[] longsUnpacked(long... v) {
    Wire p = of();
    for (long x : v) {
      p.tag(1, 0).varint(x);
    }
    return p.bytes();
  }

  static byte[] bytesList(String... v) {
    Wire p = of();
    for (String s : v) {
      p.bytesField(1, s.getBytes(StandardCharsets.UTF_8));
    }
    return p.bytes();
  }

  /** A Feature holding the given list bodies in order: kind 1 bytes, 2 float, 3 int64. */
  static byte[] feature(Object... kindAndBody) {
    Wire f = of();
    for (int i = 0; i < kindAndBody.length; i += 2) {
      f.bytesField((Integer) kindAndBody[i], (byte[]) kindAndBody[i + 1]);
    }
    return f.bytes();
  }

  static byte[] entry(String name, byte[] feature) {
    return of().bytesField(1, name.getBytes(StandardCharsets.UTF_8)).bytesField(2, feature).bytes();
  }

  /** An Example with one Features message holding the given map entries. */
  static byte[] example(byte[]... entries) {
    Wire features = of();
    for (byte[] e : entries) {
      features.bytesField(1, e);
    }
    return of().bytesField(1, features.bytes()).bytes();
  }

  /** TFRecord framing of the given records. */
  static byte[] frame(byte[]... records) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] r : records) {
      byte[] len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(r.length).array();
      out.writeBytes(len);
      out.writeBytes(crc(len));
      out.writeBytes(r);
      out.writeBytes(crc(r));
    }
    return out.toByteArray();
  }

  private static byte[] crc(byte[] b) {
    CRC32C c = new CRC32C();
    c.update(b);
    int v = (int) c.getValue();
    int masked = ((v >>> 15) | (v << 17)) + 0xa282ead8;
    return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(masked).array();
  }
}

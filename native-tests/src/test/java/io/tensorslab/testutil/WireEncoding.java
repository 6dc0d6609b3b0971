package io.tensorslab.testutil;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Hand encoding of {@code tf.train.Example} pieces, canonical or not (protobuf's own builders only
 * write canonical bytes), for tests of how records TensorFlow reads its own way are converted.
 *
 * {@snippet :
 * // a Feature holding an int64_list [1..5] and then an empty bytes_list
 * byte[] record = example(entry("x", cat(delimited(3, packed(1, 2, 3, 4, 5)), delimited(1, new byte[0]))));
 * }
 */
public final class WireEncoding {

  private WireEncoding() {}

  public static void varint(ByteArrayOutputStream o, long v) {
    while ((v & ~0x7fL) != 0) {
      o.write((int) ((v & 0x7f) | 0x80));
      v >>>= 7;
    }
    o.write((int) v);
  }

  public static void tag(ByteArrayOutputStream o, int field, int wireType) {
    varint(o, (long) field << 3 | wireType);
  }

  public static void delimited(ByteArrayOutputStream o, int field, byte[] body) {
    tag(o, field, 2);
    varint(o, body.length);
    o.writeBytes(body);
  }

  /** Field {@code field}, wire type 2, holding {@code body}. */
  public static byte[] delimited(int field, byte[] body) {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    delimited(o, field, body);
    return o.toByteArray();
  }

  public static byte[] cat(byte[]... parts) {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      o.writeBytes(p);
    }
    return o.toByteArray();
  }

  /** A packed chunk of int64 varints (field 1 of an {@code Int64List}). */
  public static byte[] packed(long... v) {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    for (long x : v) {
      varint(o, x);
    }
    return delimited(1, o.toByteArray());
  }

  /** Unpacked int64 values (field 1, wire type 0, one each). */
  public static byte[] unpacked(long... v) {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    for (long x : v) {
      tag(o, 1, 0);
      varint(o, x);
    }
    return o.toByteArray();
  }

  /** A {@code Feature} list field: 1 bytes_list, 2 float_list, 3 int64_list. */
  public static byte[] list(int kind, byte[] body) {
    return delimited(kind, body);
  }

  /** One map entry of {@code Features}: key, then value. */
  public static byte[] entry(String name, byte[] feature) {
    return cat(delimited(1, name.getBytes(StandardCharsets.UTF_8)), delimited(2, feature));
  }

  /** An {@code Example} with one {@code Features} holding these entries. */
  public static byte[] example(byte[]... entries) {
    ByteArrayOutputStream features = new ByteArrayOutputStream();
    for (byte[] e : entries) {
      delimited(features, 1, e);
    }
    return delimited(1, features.toByteArray());
  }
}

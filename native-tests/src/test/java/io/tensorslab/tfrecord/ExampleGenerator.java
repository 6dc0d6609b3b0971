package io.tensorslab.tfrecord;

import static io.tensorslab.testutil.WireEncoding.delimited;
import static io.tensorslab.testutil.WireEncoding.tag;
import static io.tensorslab.testutil.WireEncoding.varint;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;

/**
 * Seeded serialized Examples for the differential test: canonical ones and every non-canonical
 * encoding TensorFlow's fast parser treats its own way (several lists in one Feature, a list
 * repeated, packed and unpacked chunks mixed, duplicate map keys, map entries with fields swapped
 * or doubled, unknown and group fields, overlong varints, lengths past their message, several
 * Features messages), then byte mutations of them.
 */
final class ExampleGenerator {

  static final String[] NAMES = {"x", "y", "s", "z", ""};
  private static final float[] FLOATS = {0f, -0f, 1.5f, -2.25f, Float.NaN, Float.POSITIVE_INFINITY,
      Float.NEGATIVE_INFINITY, Float.MIN_VALUE, 1e-40f, Float.MAX_VALUE};
  private static final long[] LONGS = {0, 1, -1, 127, 128, 300, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 35, -12345678901L};

  private final Random rnd;
  private java.util.List<io.tensorslab.tfrecord.FeatureSpec> target = java.util.List.of();

  ExampleGenerator(long seed) {
    this.rnd = new Random(seed);
  }

  /**
   * The next input: an Example that mostly holds {@code specs}' features (right kind, right count
   * for a fixed one; any encoding) among random entries, mutated a third of the time.
   */
  byte[] next(java.util.List<io.tensorslab.tfrecord.FeatureSpec> specs) {
    target = specs;
    byte[] record = example();
    if (rnd.nextInt(3) == 0) {
      int n = 1 + rnd.nextInt(3);
      for (int i = 0; i < n && record.length > 0; i++) {
        record = mutate(record);
      }
    }
    return record;
  }

  byte[] mutate(byte[] r) {
    int at = rnd.nextInt(r.length);
    return switch (rnd.nextInt(5)) {
      case 0 -> {
        byte[] c = r.clone();
        c[at] = (byte) rnd.nextInt(256);
        yield c;
      }
      case 1 -> {
        byte[] c = r.clone();
        c[at] ^= (byte) (1 << rnd.nextInt(8));
        yield c;
      }
      case 2 -> { // delete one byte
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.write(r, 0, at);
        o.write(r, at + 1, r.length - at - 1);
        yield o.toByteArray();
      }
      case 3 -> { // insert one byte
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.write(r, 0, at);
        o.write(rnd.nextInt(256));
        o.write(r, at, r.length - at);
        yield o.toByteArray();
      }
      default -> java.util.Arrays.copyOf(r, at); // truncate
    };
  }

  byte[] example() {
    ByteArrayOutputStream features = new ByteArrayOutputStream();
    ByteArrayOutputStream record = new ByteArrayOutputStream();
    java.util.List<byte[]> entries = new java.util.ArrayList<>();
    for (io.tensorslab.tfrecord.FeatureSpec f : target) {
      if (rnd.nextInt(12) != 0) {
        entries.add(wantedEntry(f));
      }
    }
    for (int i = rnd.nextInt(4); i > 0; i--) {
      entries.add(entry());
    }
    java.util.Collections.shuffle(entries, rnd);
    for (byte[] entry : entries) {
      delimited(features, 1, entry);
      if (rnd.nextInt(12) == 0) { // split into two Features messages
        unknownMaybe(record);
        delimited(record, 1, features.toByteArray());
        features.reset();
      }
    }
    unknownMaybe(record);
    byte[] f = features.toByteArray();
    if (rnd.nextInt(15) == 0) { // a Features length past the end of the record: clamped by TensorFlow
      tag(record, 1, 2);
      varint(record, f.length + 1 + rnd.nextInt(40));
      record.writeBytes(f);
    } else if (f.length > 0 || rnd.nextBoolean()) {
      delimited(record, 1, f);
    }
    if (rnd.nextInt(20) == 0) {
      unknownMaybe(record);
    }
    return record.toByteArray();
  }

  void unknownMaybe(ByteArrayOutputStream o) {
    if (rnd.nextInt(8) != 0) {
      return;
    }
    int field = 2 + rnd.nextInt(30);
    switch (rnd.nextInt(6)) {
      case 0 -> {
        tag(o, field, 0);
        varint(o, rnd.nextLong());
      }
      case 1 -> {
        tag(o, field, 1);
        o.writeBytes(new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
      }
      case 2 -> delimited(o, field, bytes(rnd.nextInt(6)));
      case 3 -> {
        tag(o, field, 5);
        o.writeBytes(new byte[] {9, 8, 7, 6});
      }
      case 4 -> tag(o, field, 3 + rnd.nextInt(2)); // group start / end: refused
      default -> {
        o.write(0); // tag 0
        varint(o, rnd.nextInt(200));
      }
    }
  }

  /** A map entry for {@code f} of its kind, with the right count when it is fixed. */
  private byte[] wantedEntry(io.tensorslab.tfrecord.FeatureSpec f) {
    return mapEntry(f.name(), wantedFeature(f));
  }

  /** A serialized map entry: the key, then the value. */
  static byte[] mapEntry(String name, byte[] value) {
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    delimited(e, 1, name.getBytes(StandardCharsets.UTF_8));
    delimited(e, 2, value);
    return e.toByteArray();
  }

  /** A {@code Feature} of {@code f}'s kind (any encoding) with the right count when it is fixed; sometimes a second list after it. */
  byte[] wantedFeature(io.tensorslab.tfrecord.FeatureSpec f) {
    return wantedFeature(f, true);
  }

  /** {@link #wantedFeature(io.tensorslab.tfrecord.FeatureSpec)}, with a second list after the first only if {@code trailingList}. */
  byte[] wantedFeature(io.tensorslab.tfrecord.FeatureSpec f, boolean trailingList) {
    int kind = switch (f.dtype()) {
      case BYTES -> 1;
      case FLOAT32 -> 2;
      case INT64 -> 3;
    };
    int n = f.variableLength() ? rnd.nextInt(5) : (int) f.valuesPerRecord();
    forcedCount = n;
    byte[] body = switch (kind) {
      case 1 -> bytesList();
      case 2 -> floatList();
      default -> int64List();
    };
    forcedCount = -1;
    ByteArrayOutputStream feature = new ByteArrayOutputStream();
    delimited(feature, kind, body);
    if (trailingList && rnd.nextInt(8) == 0) {
      delimited(feature, 1 + rnd.nextInt(3), rnd.nextBoolean() ? new byte[0] : bytesList());
    }
    return feature.toByteArray();
  }

  /** When not -1, the next list has exactly this many values in its first chunk. */
  private int forcedCount = -1;

  private int count() {
    return forcedCount >= 0 ? forcedCount : rnd.nextInt(4);
  }

  byte[] entry() {
    byte[] name = NAMES[rnd.nextInt(NAMES.length)].getBytes(StandardCharsets.UTF_8);
    byte[] feature = feature();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    switch (rnd.nextInt(40)) {
      case 0 -> { // value first
        delimited(e, 2, feature);
        delimited(e, 1, name);
      }
      case 1 -> { // key twice
        delimited(e, 1, name);
        delimited(e, 1, name);
      }
      case 2 -> { // value twice
        delimited(e, 2, feature);
        delimited(e, 2, feature);
      }
      case 3 -> { // an overlong tag for the key (0x8a 0x00 is field 1, wire type 2)
        e.write(0x8a);
        e.write(0x00);
        varint(e, name.length);
        e.writeBytes(name);
        delimited(e, 2, feature);
      }
      default -> {
        delimited(e, 1, name);
        delimited(e, 2, feature);
      }
    }
    return e.toByteArray();
  }

  byte[] feature() {
    if (rnd.nextInt(10) == 0) {
      return new byte[0];
    }
    ByteArrayOutputStream f = new ByteArrayOutputStream();
    int lists = rnd.nextInt(4) == 0 ? 2 : 1;
    for (int i = 0; i < lists; i++) {
      int kind = 1 + rnd.nextInt(3);
      byte[] body = switch (kind) {
        case 1 -> bytesList();
        case 2 -> floatList();
        default -> int64List();
      };
      if (rnd.nextInt(25) == 0) { // a list length past the Feature's end: clamped
        tag(f, kind, 2);
        varint(f, body.length + 1 + rnd.nextInt(10));
        f.writeBytes(body);
      } else {
        delimited(f, kind, body);
      }
    }
    return f.toByteArray();
  }

  private byte[] bytesList() {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int n = count();
    for (int i = 0; i < n; i++) {
      delimited(b, 1, bytes(rnd.nextInt(5)));
    }
    return b.toByteArray();
  }

  private byte[] floatList() {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int chunks = rnd.nextInt(5) == 0 ? 2 + rnd.nextInt(2) : 1;
    for (int c = 0; c < chunks; c++) {
      int n = c == 0 ? count() : rnd.nextInt(4);
      if (rnd.nextBoolean()) {
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        for (int i = 0; i < n; i++) {
          fixed32(p, FLOATS[rnd.nextInt(FLOATS.length)]);
        }
        if (rnd.nextInt(15) == 0) {
          p.writeBytes(bytes(1 + rnd.nextInt(3))); // a length that is no multiple of 4
        }
        delimited(b, 1, p.toByteArray());
      } else {
        for (int i = 0; i < n; i++) {
          tag(b, 1, 5);
          fixed32(b, FLOATS[rnd.nextInt(FLOATS.length)]);
        }
      }
    }
    return b.toByteArray();
  }

  private byte[] int64List() {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int chunks = rnd.nextInt(5) == 0 ? 2 + rnd.nextInt(2) : 1;
    for (int c = 0; c < chunks; c++) {
      int n = c == 0 ? count() : rnd.nextInt(4);
      boolean packed = rnd.nextBoolean();
      ByteArrayOutputStream p = new ByteArrayOutputStream();
      for (int i = 0; i < n; i++) {
        if (!packed) {
          tag(p, 1, 0);
        }
        long v = LONGS[rnd.nextInt(LONGS.length)];
        if (rnd.nextInt(10) == 0) {
          overlong(p, v, Math.min(11, 1 + rnd.nextInt(11)));
        } else {
          varint(p, v);
        }
      }
      if (packed) {
        delimited(b, 1, p.toByteArray());
      } else {
        b.writeBytes(p.toByteArray());
      }
    }
    return b.toByteArray();
  }

  private byte[] bytes(int n) {
    byte[] b = new byte[n];
    rnd.nextBytes(b);
    return b;
  }

  private static void fixed32(ByteArrayOutputStream o, float f) {
    int bits = Float.floatToRawIntBits(f);
    for (int i = 0; i < 4; i++) {
      o.write(bits >>> (8 * i));
    }
  }

  /** {@code v} in at least {@code bytes} bytes (continuation bits on zero groups): valid up to 10, refused at 11. */
  private static void overlong(ByteArrayOutputStream o, long v, int bytes) {
    int i = 0;
    while (i < bytes - 1 || (v & ~0x7fL) != 0) {
      o.write((int) ((v & 0x7f) | 0x80));
      v >>>= 7;
      i++;
    }
    o.write((int) v);
  }
}

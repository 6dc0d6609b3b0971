package io.tensorslab.tfrecord;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Protocol-buffer reading over a segment with the exact semantics of the C++
 * {@code protobuf::io::CodedInputStream} over an array, as TensorFlow's fast Example parser uses it.
 *
 * <p>Those semantics are not the textbook ones, and records in the wild depend on them: a pushed
 * limit longer than what is left is clamped to the enclosing limit (no error); a varint may take up
 * to 10 bytes and keeps its low 32 (or 64) bits; {@code Skip} past the limit moves to the limit, and
 * a negative skip (a length of 2^31 or more) does not move at all. A reader that threw on those
 * would disagree with TensorFlow about which records are valid, so every rule is copied here.
 *
 * <p>Not thread-safe; one per parsing thread, reset per message.
 */
final class WireInput {

  private static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;
  private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
  /** protobuf's {@code kMaxVarintBytes}. */
  private static final int MAX_VARINT_BYTES = 10;
  /** Returned by the varint readers on failure: no 32-bit varint has this value. */
  static final long FAILED = -1;

  MemorySegment segment;
  long position;
  long limit;
  /** Set by {@link #readVarint64()}: false when the last read failed. */
  boolean ok;

  void reset(MemorySegment segment, long from, long to) {
    this.segment = segment;
    this.position = from;
    this.limit = to;
  }

  /** {@code ExpectAtEnd}: at the current limit. */
  boolean atEnd() {
    return position >= limit;
  }

  long remaining() {
    return limit - position;
  }

  /** {@code ExpectTag} for a one-byte tag: consumes it only if the next byte is exactly {@code tag}. */
  boolean expectTag(int tag) {
    if (position < limit && (segment.get(BYTE, position) & 0xff) == tag) {
      position++;
      return true;
    }
    return false;
  }

  /** TensorFlow's {@code PeekTag}: the next byte, or 0 at the limit. */
  int peekByte() {
    return position < limit ? segment.get(BYTE, position) & 0xff : 0;
  }

  /**
   * {@code ReadTag}: a varint tag of up to 10 bytes, its low 32 bits; {@link #FAILED} where the C++
   * returns 0 for a failure (every caller then fails), 0 for a real zero byte (consumed).
   */
  long readTag() {
    if (position >= limit) {
      return FAILED;
    }
    return readVarint32();
  }

  /** {@code ReadVarint32}: up to 10 bytes inside the limit, the low 32 bits as a non-negative long, or {@link #FAILED}. */
  long readVarint32() {
    long v = readVarint64();
    return ok ? v & 0xffff_ffffL : FAILED;
  }

  /** {@code ReadVarint64}: up to 10 bytes inside the limit, bits past 64 dropped; sets {@link #ok}. */
  long readVarint64() {
    long p = position;
    long end = limit;
    if (end - p >= 8) {
      // Eight bytes in one read (each segment access is a call in C1-compiled code, which a fresh
      // process runs): tags and most lengths of an Example take one or two bytes.
      long w = segment.get(LONG, p);
      ok = true;
      if ((w & 0x80) == 0) {
        position = p + 1;
        return w & 0x7f;
      }
      if ((w & 0x8000) == 0) {
        position = p + 2;
        return (w & 0x7f) | ((w >>> 1) & 0x3f80);
      }
      // The first byte with its high bit clear ends the varint; up to 8 bytes are gathered here.
      long stops = ~w & 0x8080_8080_8080_8080L;
      if (stops != 0) {
        int bits = Long.numberOfTrailingZeros(stops) + 1;
        position = p + (bits >>> 3);
        return gatherSevenBitGroups(w & lowBytes(bits >>> 3));
      }
    } else if (p < end) {
      byte b = segment.get(BYTE, p);
      if (b >= 0) {
        position = p + 1;
        ok = true;
        return b;
      }
    }
    long result = 0;
    for (int i = 0; i < MAX_VARINT_BYTES; i++) {
      if (p >= end) {
        ok = false;
        return 0;
      }
      int b = segment.get(BYTE, p++);
      result |= (long) (b & 0x7f) << (7 * i);
      if (b >= 0) {
        position = p;
        ok = true;
        return result;
      }
    }
    ok = false;
    return 0;
  }

  /** A mask of the low {@code n} bytes of a little-endian word, 0 <= n <= 8 (a shift by 64 would be no shift). */
  static long lowBytes(int n) {
    return n == 8 ? -1L : (1L << (8 * n)) - 1;
  }

  /**
   * The low 7 bits of each byte of {@code w}, packed: {@code Long.compress(w, 0x7f7f_7f7f_7f7f_7f7fL)}
   * in three shift-and-mask steps (bytes to 14-bit, 28-bit, then 56-bit groups). {@code Long.compress}
   * is one PEXT only where C2 compiles it; in C1 code, which the reader runs in a fresh process, it is
   * a 64-step loop (6 % of a 1 GB convert's samples).
   */
  static long gatherSevenBitGroups(long w) {
    long x = w & 0x7f7f_7f7f_7f7f_7f7fL;
    x = (x & 0x007f_007f_007f_007fL) | ((x & 0x7f00_7f00_7f00_7f00L) >>> 1);
    x = (x & 0x0000_3fff_0000_3fffL) | ((x & 0x3fff_0000_3fff_0000L) >>> 2);
    return (x & 0x0000_0000_0fff_ffffL) | ((x & 0x0fff_ffff_0000_0000L) >>> 4);
  }

  /** {@code ReadLittleEndian32}; false if fewer than 4 bytes are left before the limit. */
  boolean has(long bytes) {
    return bytes <= limit - position;
  }

  int readInt32LittleEndian() {
    int v = segment.get(INT, position);
    position += 4;
    return v;
  }

  /**
   * {@code PushLimit(length)} for a length read as an unsigned 32-bit varint: the new limit is
   * {@code position + length} unless that is past the current one (then the current one stays).
   *
   * @return the old limit, for {@link #popLimit}
   */
  long pushLimit(long length) {
    long old = limit;
    if (length < limit - position) {
      limit = position + length;
    }
    return old;
  }

  void popLimit(long old) {
    limit = old;
  }

  /**
   * {@code Skip(count)} with {@code count} the C++ {@code int} of a 32-bit length: a negative count
   * does not move; past the limit moves to the limit. The result is ignored by TensorFlow's callers.
   */
  void skipLikeCpp(long unsignedLength) {
    int count = (int) unsignedLength;
    if (count < 0) {
      return;
    }
    position = Math.min(limit, position + count);
  }

  /**
   * TensorFlow's {@code SkipExtraneousTag}: skips one field other than the message's own at the top
   * level of an {@code Example} or {@code SequenceExample}; false for groups, unused wire types and
   * a field cut short.
   */
  boolean skipExtraneousField() {
    long tag = readTag();
    if (tag == FAILED) {
      return false;
    }
    switch ((int) (tag & 7)) {
      case 0 -> {
        return readVarint32() != FAILED;
      }
      case 1 -> {
        if (!has(8)) {
          return false;
        }
        position += 8;
        return true;
      }
      case 2 -> {
        long length = readVarint32();
        if (length == FAILED) {
          return false;
        }
        skipLikeCpp(length);
        return true;
      }
      case 5 -> {
        if (!has(4)) {
          return false;
        }
        position += 4;
        return true;
      }
      default -> {
        return false; // groups (3, 4) and the unused wire types 6, 7
      }
    }
  }

  /** Values in the array the last {@link #readInt64s} returned. */
  int int64Count;

  /**
   * Reads int64 values up to the limit as TensorFlow's parsers do, appending them to {@code out}
   * from index {@code n}: each after its tag {@code 0x08} (an unpacked list), or back to back (inside
   * a packed chunk); a varint of up to 10 bytes each.
   *
   * @return the array holding them (a larger copy when {@code out} filled up), with
   *     {@link #int64Count} set to the values it holds; null when a tag or value is malformed
   */
  long[] readInt64s(boolean packed, long[] out, int n) {
    long[] values = out;
    int count = n;
    while (!atEnd()) {
      if (!packed && !expectTag(0x08)) {
        return null;
      }
      long v = readVarint64();
      if (!ok) {
        return null;
      }
      if (count == values.length) {
        values = java.util.Arrays.copyOf(values, count * 2);
      }
      values[count++] = v;
    }
    int64Count = count;
    return values;
  }
}

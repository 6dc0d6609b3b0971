package io.tensorslab.tfrecord;

import io.tensorslab.slab.HeapBytes;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * The (key, value) entries of a protobuf {@code map<string, ...>} as byte ranges of one record, in
 * record order, duplicates kept: what {@link ExampleView} and {@link SequenceExampleView} find. Not
 * thread-safe; {@link #clear} per record.
 */
final class MapEntries {

  private static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;
  private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

  int count;
  long[] keyOffset = new long[16];
  int[] keyLength = new int[16];
  long[] valueOffset = new long[16];
  int[] valueLength = new int[16];

  void clear() {
    count = 0;
  }

  /** Appends an entry; its index. */
  int add(long keyAt, int keyLen, long valueAt, int valueLen) {
    if (count == keyOffset.length) {
      int n = count * 2;
      keyOffset = Arrays.copyOf(keyOffset, n);
      keyLength = Arrays.copyOf(keyLength, n);
      valueOffset = Arrays.copyOf(valueOffset, n);
      valueLength = Arrays.copyOf(valueLength, n);
    }
    keyOffset[count] = keyAt;
    keyLength[count] = keyLen;
    valueOffset[count] = valueAt;
    valueLength[count] = valueLen;
    return count++;
  }

  /** The key of entry {@code i}, its bytes exactly. */
  byte[] keyBytes(MemorySegment record, int i) {
    checkIndex(i);
    return HeapBytes.copyOf(record, keyOffset[i], keyLength[i]);
  }

  /** True if the key of entry {@code i} is exactly {@code name}. */
  boolean keyEquals(MemorySegment record, int i, byte[] name) {
    checkIndex(i);
    if (keyLength[i] != name.length) {
      return false;
    }
    long at = keyOffset[i];
    int n = name.length;
    if (n <= 8 && record.byteSize() - at >= 8) {
      // Keys are short: one 8-byte read instead of one per byte (each segment access is a call in
      // the C1-compiled code a fresh process runs).
      return (record.get(LONG, at) & WireInput.lowBytes(n)) == littleEndian(name);
    }
    for (int b = 0; b < n; b++) {
      if (record.get(BYTE, at + b) != name[b]) {
        return false;
      }
    }
    return true;
  }

  /** Up to 8 bytes as a little-endian long, the rest zero. */
  private static long littleEndian(byte[] bytes) {
    long v = 0;
    for (int b = bytes.length - 1; b >= 0; b--) {
      v = (v << 8) | (bytes[b] & 0xff);
    }
    return v;
  }

  void checkIndex(int i) {
    if (i < 0 || i >= count) {
      throw new IndexOutOfBoundsException("entry " + i + " of " + count);
    }
  }
}

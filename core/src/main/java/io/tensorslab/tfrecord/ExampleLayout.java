package io.tensorslab.tfrecord;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The framing of the last {@code Example} a {@link FeatureSelection} read in full, so that the next
 * record with the same framing skips the entry split and the choice of entries
 * ({@link FeatureSelection#read(ExampleView, MemorySegment)}). Records of one dataset usually share
 * it: the same keys, the same value lengths, only the values' contents differ.
 *
 * <p><b>Why a match gives the same result as a full read.</b> The bytes a full read looks at
 * before decoding the winning values are: the whole record except the contents of its map values
 * ({@link ExampleView#parse} splits the entries from tags and lengths and skips every value
 * unread), the keys ({@link FeatureSelection} compares names) and the first byte of each value (the
 * list kind it checks). Both parsers are deterministic, so a record of the same length whose bytes
 * equal the remembered record's everywhere but in the values' contents after their first byte is
 * split into the same entries, and the same entry wins for each feature, with the same checks
 * passed. What may differ, the values, is decoded again with the full rules
 * ({@link FeatureValues#decode}), counts checked. Bytes the parse skips for other reasons (unknown
 * fields) are compared too: a needless mismatch costs a full read, never a wrong one.
 *
 * <p>The comparison reads 8 bytes at a time under a mask (a {@code MemorySegment} access is a few
 * calls in the C1-compiled code a fresh process runs): a 1 KiB record of two features is 4-5 reads,
 * where a full read makes ~25 accesses.
 *
 * <p>Tied to one {@link ExampleView}: a match also requires that the view still holds the entries
 * of the parse remembered (no other parse since). Not thread-safe.
 */
final class ExampleLayout {

  private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  private ExampleView view;
  /** {@link ExampleView#parses()} of {@link #view} right after the parse remembered. */
  private long parse;
  private long length = -1;
  /** Per compared word: where it is read, which of its bytes count, what they must be. */
  private long[] at = new long[8];
  private long[] mask = new long[8];
  private long[] expected = new long[8];
  private int words;

  /** No layout: the next {@link #matches} is false. */
  void forget() {
    length = -1;
  }

  /**
   * Remembers the framing of {@code record}, which {@code view} has just split in full and whose
   * features were all read without error.
   */
  void remember(ExampleView view, MemorySegment record) {
    forget();
    long n = record.byteSize();
    if (n < 8) {
      return; // too short to read a word from; such records are parsed in full
    }
    words = 0;
    long from = 0; // start of the bytes to compare next
    for (int i = 0; i < view.entryCount(); i++) {
      long valueLength = view.valueLength(i);
      if (valueLength < 2) {
        continue; // nothing past the first byte: the whole value is compared
      }
      long skipFrom = view.valueOffset(i) + 1;
      if (skipFrom < from) {
        return; // not in record order (never seen): no layout, full reads
      }
      addBytes(record, from, skipFrom);
      from = skipFrom + valueLength - 1;
    }
    addBytes(record, from, n);
    this.view = view;
    this.parse = view.parses();
    this.length = n;
  }

  /** Words covering bytes {@code [from, to)} of {@code record} (at least 8 bytes long). */
  private void addBytes(MemorySegment record, long from, long to) {
    long n = record.byteSize();
    for (long word = from; word < to; word += 8) {
      int bytes = (int) Math.min(8, to - word);
      long readAt = Math.min(word, n - 8); // the last word of the record is read ending at its end
      int shift = (int) (word - readAt) * 8;
      long wordMask = WireInput.lowBytes(bytes) << shift;
      if (words == at.length) {
        at = java.util.Arrays.copyOf(at, words * 2);
        mask = java.util.Arrays.copyOf(mask, words * 2);
        expected = java.util.Arrays.copyOf(expected, words * 2);
      }
      at[words] = readAt;
      mask[words] = wordMask;
      expected[words] = record.get(LONG, readAt) & wordMask;
      words++;
    }
  }

  /**
   * True when {@code record} has the remembered framing and {@code view} still holds the entries of
   * the parse remembered.
   */
  boolean matches(ExampleView view, MemorySegment record) {
    if (record.byteSize() != length || view != this.view || view.parses() != parse) {
      return false;
    }
    for (int k = 0; k < words; k++) {
      if ((record.get(LONG, at[k]) & mask[k]) != expected[k]) {
        return false;
      }
    }
    return true;
  }
}

package io.tensorslab.tfrecord;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One serialized {@code tf.train.SequenceExample} split into its entries exactly as TensorFlow's
 * parser ({@code ExtractFeaturesFromSequenceExamples} in {@code example_proto_fast_parsing.cc},
 * behind {@code ParseSequenceExampleV2} / {@code tf.io.parse_sequence_example}) splits it: the
 * {@code context} map (field 1, a {@code Features}) and the {@code feature_lists} map (field 2, a
 * {@code FeatureLists}), every occurrence of either in order, each map entry a (key, value) pair of
 * byte ranges, duplicates kept. Nothing is copied.
 *
 * <p>TensorFlow's rules here are stricter than for an {@code Example}: a map entry must hold the key
 * (1) and then the value (2), each once, and nothing else; a key or value running past its entry
 * fails the record. Unknown top-level fields are skipped as for an {@code Example} (groups refused),
 * lengths running past their enclosing message are clamped to it. Of duplicate names the last entry
 * counts ({@link #lastEntry}), an empty one included. Values are read by {@link SequenceValues}.
 *
 * {@snippet :
 * SequenceExampleView sequence = new SequenceExampleView();
 * sequence.parse(record);                                   // throws MalformedExampleException
 * int tokens = sequence.lastEntry(Section.FEATURE_LISTS, "tokens".getBytes(UTF_8));
 * }
 *
 * <p>Reusable (call {@link #parse} per record) and not thread-safe: one per thread.
 */
public final class SequenceExampleView {

  /** Which map of the {@code SequenceExample} an entry belongs to. */
  public enum Section {
    /** Field 1, {@code context}: one {@code Feature} per name, as in an {@code Example}. */
    CONTEXT,
    /** Field 2, {@code feature_lists}: one {@code FeatureList} (a {@code Feature} per step) per name. */
    FEATURE_LISTS
  }

  private final WireInput in = new WireInput();
  private MemorySegment record = MemorySegment.NULL;
  private final MapEntries entries = new MapEntries();
  private Section[] section = new Section[16];

  /** A view of no record yet; {@link #parse} gives it one. */
  public SequenceExampleView() {}

  /** Splits the whole of {@code record} into entries. */
  public void parse(MemorySegment record) throws MalformedExampleException {
    parse(record, 0, record.byteSize());
  }

  /**
   * Splits {@code record[offset, offset + length)} into entries; the segment must stay alive while
   * the entries are used.
   *
   * @throws MalformedExampleException where TensorFlow says "Invalid protocol message input"
   */
  public void parse(MemorySegment record, long offset, long length) throws MalformedExampleException {
    this.record = record;
    entries.clear();
    in.reset(record, offset, offset + length);
    while (!in.atEnd()) {
      Section s = in.expectTag(0x0a) ? Section.CONTEXT : in.expectTag(0x12) ? Section.FEATURE_LISTS : null;
      if (s == null) {
        if (!in.skipExtraneousField()) {
          throw malformed();
        }
      } else if (!parseMap(s)) {
        throw malformed();
      }
    }
  }

  private static MalformedExampleException malformed() {
    return new MalformedExampleException(
        "record is not a serialized tf.train.SequenceExample (TensorFlow: Invalid protocol message input)", null);
  }

  private boolean parseMap(Section s) {
    long length = in.readVarint32();
    if (length == WireInput.FAILED) {
      return false;
    }
    long outer = in.pushLimit(length);
    while (!in.atEnd()) {
      if (!in.expectTag(0x0a)) {
        return false;
      }
      long entryLength = in.readVarint32();
      if (entryLength == WireInput.FAILED) {
        return false;
      }
      long entryOuter = in.pushLimit(entryLength);
      if (!in.expectTag(0x0a)) {
        return false;
      }
      long keyAt = readString();
      long keyEnd = in.position;
      if (keyAt < 0 || !in.expectTag(0x12)) {
        return false;
      }
      long valueAt = readString();
      if (valueAt < 0 || !in.atEnd()) {
        return false;
      }
      add(s, keyAt, (int) (keyEnd - keyAt), valueAt, (int) (in.position - valueAt));
      in.popLimit(entryOuter);
    }
    in.popLimit(outer);
    return true;
  }

  /** TensorFlow's {@code ParseString}: a length and that many bytes inside the limit; the start, or -1. */
  private long readString() {
    long length = in.readVarint32();
    if (length == WireInput.FAILED || length > in.remaining()) {
      return -1;
    }
    long at = in.position;
    in.position += length;
    return at;
  }

  private void add(Section s, long keyAt, int keyLen, long valueAt, int valueLen) {
    int i = entries.add(keyAt, keyLen, valueAt, valueLen);
    if (i == section.length) {
      section = Arrays.copyOf(section, i * 2);
    }
    section[i] = s;
  }

  /** The record's segment, as given to {@link #parse}. */
  public MemorySegment record() {
    return record;
  }

  /** Entries of both maps, duplicates included, in record order. */
  public int entryCount() {
    return entries.count;
  }

  /** The map entry {@code i} belongs to. */
  public Section section(int i) {
    entries.checkIndex(i);
    return section[i];
  }

  /** The key of entry {@code i} as UTF-8 text (an invalid sequence becomes U+FFFD). */
  public String name(int i) {
    return new String(entries.keyBytes(record, i), StandardCharsets.UTF_8);
  }

  /** The key of entry {@code i}, its bytes exactly. */
  public byte[] nameBytes(int i) {
    return entries.keyBytes(record, i);
  }

  /** Offset in {@link #record()} of entry {@code i}'s serialized {@code Feature} or {@code FeatureList}. */
  public long valueOffset(int i) {
    entries.checkIndex(i);
    return entries.valueOffset[i];
  }

  /** Length of entry {@code i}'s serialized value; 0 for an empty one. */
  public int valueLength(int i) {
    entries.checkIndex(i);
    return entries.valueLength[i];
  }

  /**
   * The last entry of {@code section} named {@code name}, or -1: the one TensorFlow reads (an empty
   * one too: an empty context feature then has no values, an empty feature list no steps).
   */
  public int lastEntry(Section s, byte[] name) {
    for (int i = entries.count - 1; i >= 0; i--) {
      if (section[i] == s && entries.keyEquals(record, i, name)) {
        return i;
      }
    }
    return -1;
  }
}

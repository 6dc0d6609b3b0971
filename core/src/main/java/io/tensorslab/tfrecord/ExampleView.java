package io.tensorslab.tfrecord;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * One serialized {@code tf.train.Example} split into its feature-map entries exactly as TensorFlow's
 * fast parser ({@code example_proto_fast_parsing.cc}, {@code ParseExample}) splits it: every
 * {@code features} field in order (several are concatenated), each map entry as a (key, value)
 * pair of byte ranges, duplicates kept in order. Nothing is copied: the entries point into the
 * record's segment.
 *
 * <p>What TensorFlow accepts, this accepts: unknown fields of the {@code Example} are skipped
 * (groups are refused), lengths running past their enclosing message are clamped to it, varints
 * may be overlong (up to 10 bytes). A map entry must hold exactly two fields, each a key (1) or a
 * value (2) — a key given twice leaves an empty value, and nothing else may follow.
 *
 * <p>Which entry counts for a name is a question of the reader (TensorFlow answers it differently
 * for fixed and variable-length features): see {@link #lastEntry} and {@link FeatureValues}.
 *
 * {@snippet :
 * ExampleView example = new ExampleView();
 * FeatureValues values = new FeatureValues();
 * example.parse(record);                       // throws MalformedExampleException
 * for (int i = 0; i < example.entryCount(); i++) {
 *   values.decode(example, i);                 // kind, count, values of entry i
 *   System.out.println(example.name(i) + " " + values.kind() + " x" + values.count());
 * }
 * }
 *
 * <p>Reusable (call {@link #parse} per record) and not thread-safe: one per thread.
 */
public final class ExampleView {

  private static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;

  private final WireInput in = new WireInput();
  private MemorySegment record = MemorySegment.NULL;
  private final MapEntries entries = new MapEntries();
  /** Parses begun on this view: an {@link ExampleLayout} holds while it is unchanged. */
  private long parses;

  /** A view of no record yet; {@link #parse} gives it one. */
  public ExampleView() {}

  /** Splits the whole of {@code record} into entries. */
  public void parse(MemorySegment record) throws MalformedExampleException {
    parse(record, 0, record.byteSize());
  }

  /**
   * Splits {@code record[offset, offset + length)} into entries; the segment must stay alive while
   * the entries are used.
   *
   * @throws MalformedExampleException where TensorFlow says "Could not parse example input"
   */
  public void parse(MemorySegment record, long offset, long length) throws MalformedExampleException {
    this.record = record;
    parses++;
    entries.clear();
    in.reset(record, offset, offset + length);
    while (!in.atEnd()) {
      if (!in.expectTag(0x0a)) {
        if (!in.skipExtraneousField()) {
          throw malformed();
        }
      } else if (!parseFeatures()) {
        throw malformed();
      }
    }
  }

  private static MalformedExampleException malformed() {
    return new MalformedExampleException("record is not a serialized tf.train.Example (TensorFlow cannot parse it)", null);
  }

  private boolean parseFeatures() {
    long length = in.readVarint32();
    if (length == WireInput.FAILED) {
      return false;
    }
    long outer = in.pushLimit(length);
    while (!in.atEnd()) {
      if (!in.expectTag(0x0a) || !parseEntry()) {
        return false;
      }
    }
    in.popLimit(outer);
    return true;
  }

  private boolean parseEntry() {
    long length = in.readVarint32();
    if (length == WireInput.FAILED) {
      return false;
    }
    long outer = in.pushLimit(length);
    long keyAt = 0;
    long keyLen = 0;
    long valueAt = 0;
    long valueLen = 0;
    for (int field = 0; field < 2; field++) {
      long tag = in.readTag();
      if (tag != 10 && tag != 18) {
        return false;
      }
      long n = in.readVarint32();
      if (n == WireInput.FAILED || n > in.remaining() || (n > 0 && in.atEnd())) {
        return false;
      }
      if (tag == 10) {
        keyAt = in.position;
        keyLen = n;
      } else {
        valueAt = in.position;
        valueLen = n;
      }
      in.position += n;
    }
    if (!in.atEnd()) {
      return false;
    }
    in.popLimit(outer);
    entries.add(keyAt, (int) keyLen, valueAt, (int) valueLen);
    return true;
  }

  long parses() {
    return parses;
  }

  /**
   * Makes {@code record} the view's record, keeping the entries: for a record whose framing equals
   * the current record's ({@link ExampleLayout#matches}), so that its entries are these.
   */
  void moveTo(MemorySegment record) {
    this.record = record;
  }

  /** The record's segment, as given to {@link #parse}. */
  public MemorySegment record() {
    return record;
  }

  /** Entries found, duplicates included, in record order. */
  public int entryCount() {
    return entries.count;
  }

  /** The key of entry {@code i} as UTF-8 text (an invalid sequence becomes U+FFFD; see {@link #nameBytes}). */
  public String name(int i) {
    return new String(nameBytes(i), StandardCharsets.UTF_8);
  }

  /** The key of entry {@code i}, its bytes exactly. */
  public byte[] nameBytes(int i) {
    return entries.keyBytes(record, i);
  }

  /** True if the key of entry {@code i} is exactly {@code name}. */
  public boolean nameEquals(int i, byte[] name) {
    return entries.keyEquals(record, i, name);
  }

  /** Offset in {@link #record()} of entry {@code i}'s serialized {@code Feature}. */
  public long valueOffset(int i) {
    entries.checkIndex(i);
    return entries.valueOffset[i];
  }

  /** Length of entry {@code i}'s serialized {@code Feature}; 0 for a feature with no list. */
  public int valueLength(int i) {
    entries.checkIndex(i);
    return entries.valueLength[i];
  }

  /**
   * The last entry named {@code name}, or -1: the one TensorFlow uses for a variable-length
   * feature (even when it is empty, which makes an empty row).
   */
  public int lastEntry(byte[] name) {
    for (int i = entries.count - 1; i >= 0; i--) {
      if (nameEquals(i, name)) {
        return i;
      }
    }
    return -1;
  }

  /**
   * The last entry named {@code name} that holds a list, or -1: the one TensorFlow uses for a
   * fixed feature (an empty {@code Feature} counts as absent there, so an earlier duplicate wins).
   */
  public int lastNonEmptyEntry(byte[] name) {
    for (int i = entries.count - 1; i >= 0; i--) {
      if (entries.valueLength[i] > 0 && nameEquals(i, name)) {
        return i;
      }
    }
    return -1;
  }

  /**
   * The first entry named {@code name} whose {@code Feature} starts with a byte that is no list
   * tag, or -1. TensorFlow reads that byte of every entry under a name it was asked for, winning or
   * not, and fails the record on such an entry ("Unsupported datatype").
   */
  public int firstUnsupportedEntry(byte[] name) {
    for (int i = 0; i < entries.count; i++) {
      if (entries.valueLength[i] > 0 && WireKind.ofFirstByte(record.get(BYTE, entries.valueOffset[i]) & 0xff) == null
          && nameEquals(i, name)) {
        return i;
      }
    }
    return -1;
  }
}

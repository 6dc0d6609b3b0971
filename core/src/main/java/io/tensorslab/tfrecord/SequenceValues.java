package io.tensorslab.tfrecord;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The values of one feature of one {@code tf.train.SequenceExample}, read for a requested dtype
 * exactly as TensorFlow's sequence parser reads them ({@code ParseFloatFeature},
 * {@code ParseInt64Feature}, {@code ParseBytesFeature} and the step loop of
 * {@code GetSequenceFeatureLengths} in {@code example_proto_fast_parsing.cc}); its rules differ from
 * the {@code Example} parser's ({@link FeatureValues}):
 * <ul>
 *   <li>the {@code Feature}'s first list must be of the requested kind, else the record fails
 *       ("Data types don't match");
 *   <li>a packed float or int64 chunk is read to its end and must hold whole values (a packed float
 *       chunk of 4n + 1..3 bytes fails); a list read unpacked stays unpacked to its end;
 *   <li>a bytes value running past its list fails the record;
 *   <li>in a feature list, a step's {@code Feature} of 1 byte fails, of 2 bytes must be the requested
 *       kind's empty list, of 0 bytes is an empty step; a longer one is read from its start and the
 *       next step is read <em>where that read stopped</em>, not at the {@code Feature}'s end (bytes
 *       after the first packed chunk or after the first list are read as further steps).
 * </ul>
 * A context feature is one list without steps ({@link #steps} is 0); a feature list has
 * {@link #steps} steps, step {@code s} holding values {@code [stepEnd(s - 1), stepEnd(s))}.
 *
 * {@snippet :
 * SequenceValues v = new SequenceValues();
 * int e = sequence.lastEntry(Section.FEATURE_LISTS, name);
 * v.readFeatureList(sequence, e, WireKind.INT64_LIST);   // throws MalformedExampleException
 * for (int s = 0; s < v.steps(); s++) { ... v.stepEnd(s) ... }
 * }
 *
 * <p>Reusable, not thread-safe; valid until the next read or until the record's segment goes away.
 */
public final class SequenceValues implements StepValues {

  private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  private final WireInput in = new WireInput();
  private MemorySegment record = MemorySegment.NULL;
  private WireKind kind = WireKind.NONE;
  private int count;
  private int steps;
  private int[] stepEnds = new int[16];
  /** Floats as their bits: a NaN's payload is kept exactly. */
  private int[] floatBits = new int[64];
  private long[] longs = new long[64];
  private long[] bytesOffset = new long[16];
  private int[] bytesLength = new int[16];

  /** Values of nothing yet. */
  public SequenceValues() {}

  /** No values, no steps: a feature absent from the record. */
  public void clear(WireKind kind) {
    this.kind = kind;
    count = 0;
    steps = 0;
  }

  /**
   * Reads context entry {@code entry} of {@code view} (a {@code Feature}) as a list of {@code kind};
   * an empty entry has no values.
   *
   * @throws MalformedExampleException naming no feature (the caller knows it)
   */
  public void readContext(SequenceExampleView view, int entry, WireKind kind) throws MalformedExampleException {
    clear(kind);
    record = view.record();
    int length = view.valueLength(entry);
    if (length == 0) {
      return;
    }
    in.reset(record, view.valueOffset(entry), view.valueOffset(entry) + length);
    int first = in.peekByte();
    if (!readList()) {
      throw mismatch(first, "its value");
    }
  }

  /**
   * Reads feature-list entry {@code entry} of {@code view} (a {@code FeatureList}) step by step as
   * lists of {@code kind}; an empty entry has no steps.
   *
   * @throws MalformedExampleException naming no feature (the caller knows it), the step when one is at fault
   */
  public void readFeatureList(SequenceExampleView view, int entry, WireKind kind) throws MalformedExampleException {
    clear(kind);
    record = view.record();
    long from = view.valueOffset(entry);
    in.reset(record, from, from + view.valueLength(entry));
    while (!in.atEnd()) {
      long stepBytes = in.expectTag(0x0a) ? in.readVarint32() : WireInput.FAILED;
      if (stepBytes == WireInput.FAILED || stepBytes == 1) {
        throw new MalformedExampleException("feature list is malformed at step " + steps
            + " (TensorFlow: Error in sequence feature)", null);
      }
      int first = in.peekByte();
      if (stepBytes > 2) {
        long outer = in.pushLimit(stepBytes);
        if (!readList()) {
          throw mismatch(first, "step " + steps);
        }
        in.popLimit(outer);
      } else if (stepBytes == 2 && !(in.expectTag(tagOf(kind)) && in.readVarint32() == 0)) {
        throw mismatch(first, "step " + steps);
      }
      if (steps == stepEnds.length) {
        stepEnds = Arrays.copyOf(stepEnds, steps * 2);
      }
      stepEnds[steps++] = count;
    }
  }

  private MalformedExampleException mismatch(int firstByte, String where) {
    WireKind found = WireKind.ofFirstByte(firstByte);
    String problem = found != null && found != kind
        ? where + " holds " + found.valueName() + " values, not " + kind.valueName()
        : where + " is no well-formed " + kind.valueName() + " list";
    return new MalformedExampleException(problem + " (TensorFlow: Data types don't match)", null);
  }

  private static int tagOf(WireKind kind) {
    return switch (kind) {
      case BYTES_LIST -> 0x0a;
      case FLOAT_LIST -> 0x12;
      case INT64_LIST -> 0x1a;
      case NONE -> throw new IllegalArgumentException("no list kind");
    };
  }

  /** One list of {@link #kind} at the input's position, its values appended; false where TensorFlow returns -1. */
  private boolean readList() {
    if (!in.expectTag(tagOf(kind))) {
      return false;
    }
    long length = in.readVarint32();
    if (length == WireInput.FAILED) {
      return false;
    }
    if (length == 0) {
      return true;
    }
    long outer = in.pushLimit(length);
    boolean read = switch (kind) {
      case FLOAT_LIST -> readFloats();
      case INT64_LIST -> readLongs();
      case BYTES_LIST -> readBytes();
      case NONE -> false;
    };
    in.popLimit(outer);
    return read;
  }

  private boolean readFloats() {
    int first = in.peekByte();
    if (first == 0x0a) {
      in.position++;
      long packed = in.readVarint32();
      if (packed == WireInput.FAILED) {
        return false;
      }
      long outer = in.pushLimit(packed);
      while (!in.atEnd()) {
        if (!in.has(4)) {
          return false;
        }
        addFloatBits(in.segment.get(INT, in.position));
        in.position += 4;
      }
      in.popLimit(outer);
      return true;
    }
    if (first != 0x0d) {
      return false;
    }
    while (!in.atEnd()) {
      if (!in.expectTag(0x0d) || !in.has(4)) {
        return false;
      }
      addFloatBits(in.segment.get(INT, in.position));
      in.position += 4;
    }
    return true;
  }

  private boolean readLongs() {
    int first = in.peekByte();
    boolean packed = first == 0x0a;
    long outer = 0;
    if (packed) {
      in.position++;
      long packedLength = in.readVarint32();
      if (packedLength == WireInput.FAILED) {
        return false;
      }
      outer = in.pushLimit(packedLength);
    } else if (first != 0x08) {
      return false;
    }
    long[] read = in.readInt64s(packed, longs, count);
    if (read == null) {
      return false;
    }
    longs = read;
    count = in.int64Count;
    if (packed) {
      in.popLimit(outer);
    }
    return true;
  }

  private boolean readBytes() {
    while (!in.atEnd()) {
      if (!in.expectTag(0x0a)) {
        return false;
      }
      long size = in.readVarint32();
      if (size == WireInput.FAILED || !in.has(size)) {
        return false; // TensorFlow counts such a value, then fails to copy it: the record fails
      }
      if (count == bytesOffset.length) {
        bytesOffset = Arrays.copyOf(bytesOffset, count * 2);
        bytesLength = Arrays.copyOf(bytesLength, count * 2);
      }
      bytesOffset[count] = in.position;
      bytesLength[count] = (int) size;
      in.position += size;
      count++;
    }
    return true;
  }

  private void addFloatBits(int bits) {
    if (count == floatBits.length) {
      floatBits = Arrays.copyOf(floatBits, count * 2);
    }
    floatBits[count++] = bits;
  }

  /** The kind read. */
  public WireKind kind() {
    return kind;
  }

  /** Values of every step together (of the one list of a context feature). */
  @Override
  public int count() {
    return count;
  }

  /** Steps of a feature list; 0 for a context feature. */
  @Override
  public int steps() {
    return steps;
  }

  /** Values in steps {@code [0, step]}: step {@code s} holds values {@code [stepEnd(s - 1), stepEnd(s))}. */
  @Override
  public int stepEnd(int step) {
    java.util.Objects.checkIndex(step, steps);
    return stepEnds[step];
  }

  /** Float value {@code i}; {@link #floatBitsAt} keeps a NaN's payload. */
  public float floatAt(int i) {
    check(WireKind.FLOAT_LIST, i);
    return Float.intBitsToFloat(floatBits[i]);
  }

  /** The bits of float value {@code i}, exactly as in the record. */
  public int floatBitsAt(int i) {
    check(WireKind.FLOAT_LIST, i);
    return floatBits[i];
  }

  /** Int64 value {@code i}. */
  public long longAt(int i) {
    check(WireKind.INT64_LIST, i);
    return longs[i];
  }

  /** Length of bytes value {@code i}. */
  @Override
  public int bytesLength(int i) {
    check(WireKind.BYTES_LIST, i);
    return bytesLength[i];
  }

  /** Bytes value {@code i}, a slice of the record. */
  public MemorySegment bytesAt(int i) {
    check(WireKind.BYTES_LIST, i);
    return record.asSlice(bytesOffset[i], bytesLength[i]);
  }

  @Override
  public void copyFloats(int from, int n, MemorySegment dst, long dstOffset) {
    check(WireKind.FLOAT_LIST, from, n);
    MemorySegment.copy(floatBits, from, dst, INT, dstOffset, n);
  }

  @Override
  public void copyLongs(int from, int n, MemorySegment dst, long dstOffset) {
    check(WireKind.INT64_LIST, from, n);
    MemorySegment.copy(longs, from, dst, LONG, dstOffset, n);
  }

  @Override
  public void copyBytes(int i, MemorySegment dst, long dstOffset, long width) {
    int n = bytesLength(i);
    MemorySegment.copy(record, bytesOffset[i], dst, dstOffset, n);
    if (width > n) {
      dst.asSlice(dstOffset + n, width - n).fill((byte) 0); // NumPy's |S items are NUL-padded
    }
  }

  private void check(WireKind k, int i) {
    check(k, i, 1);
  }

  private void check(WireKind k, int from, int n) {
    if (kind != k) {
      throw new IllegalStateException("values are " + kind.valueName() + ", not " + k.valueName());
    }
    java.util.Objects.checkFromIndexSize(from, n, count);
  }
}

package io.tensorslab.tfrecord;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The values of one serialized {@code tf.train.Feature}, read exactly as TensorFlow's fast parser
 * reads them ({@code parsed::Feature::ParseFloatList} and siblings), so that the count here is the
 * count TensorFlow's arrays get:
 * <ul>
 *   <li>the kind is the first byte's; only the first list is read, whatever follows it in the
 *       {@code Feature} (another list, the same list again) is ignored;
 *   <li>a float or int64 list read packed takes its <em>first</em> packed chunk only; a packed
 *       float chunk whose length is no multiple of 4 drops the 1-3 extra bytes;
 *   <li>a list read unpacked must be unpacked to its end (a packed chunk after unpacked values
 *       fails the record);
 *   <li>a bytes list is every {@code value} field to the list's end.
 * </ul>
 * Floats are left where they are: packed, they are one little-endian segment
 * ({@link #packedFloats()}); unpacked, each sits 5 bytes after the previous ({@link #floatAt}).
 * Int64s are decoded ({@link #longs()}); bytes values are slices ({@link #bytesAt}).
 *
 * {@snippet :
 * FeatureValues v = new FeatureValues();
 * v.decode(example, example.lastEntry(name));      // throws MalformedExampleException
 * if (v.kind() == WireKind.FLOAT_LIST && v.packedFloats() != null) {
 *   MemorySegment.copy(v.packedFloats(), 0, row, 0, v.count() * 4L);   // one copy
 * }
 * }
 *
 * <p>Reusable, not thread-safe; valid until the next {@code decode} or until the record's segment
 * goes away.
 */
public final class FeatureValues implements RowValues {

  private static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;
  private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  /** Up to this many int64 values are copied one by one, more with one bulk copy. */
  private static final int SHORT_COPY = 8;

  private final WireInput in = new WireInput();
  private MemorySegment record = MemorySegment.NULL;
  private WireKind kind = WireKind.NONE;
  private int count;
  /** Floats: offset of the packed run, or of the first unpacked value (stride 5). */
  private long floatsAt;
  private boolean floatsPacked;
  private long[] longs = new long[64];
  private long[] bytesOffset = new long[16];
  private int[] bytesLength = new int[16];

  /** Values of no entry yet; {@link #decode} reads one. */
  public FeatureValues() {}

  /**
   * Reads the {@code Feature} of entry {@code entry} of {@code example}.
   *
   * @throws MalformedExampleException for a first byte that is no list tag ("Unsupported datatype")
   *     or a list TensorFlow cannot parse ("Can't parse serialized Example"); names no feature, the
   *     caller knows it
   */
  public void decode(ExampleView example, int entry) throws MalformedExampleException {
    decode(example.record(), example.valueOffset(entry), example.valueLength(entry));
  }

  /** Reads the serialized {@code Feature} at {@code record[offset, offset + length)}. */
  public void decode(MemorySegment record, long offset, long length) throws MalformedExampleException {
    this.record = record;
    count = 0;
    if (length == 0) {
      kind = WireKind.NONE;
      return;
    }
    WireKind k = WireKind.ofFirstByte(record.get(BYTE, offset) & 0xff);
    if (k == null) {
      kind = WireKind.NONE;
      throw new MalformedExampleException("feature value is no bytes, float or int64 list (first byte 0x"
          + Integer.toHexString(record.get(BYTE, offset) & 0xff) + "; TensorFlow: Unsupported datatype)", null);
    }
    kind = k;
    in.reset(record, offset + 1, offset + length);
    boolean parsed = switch (k) {
      case FLOAT_LIST -> parseFloats();
      case INT64_LIST -> parseLongs();
      case BYTES_LIST -> parseBytes();
      case NONE -> true;
    };
    if (!parsed) {
      count = 0;
      throw new MalformedExampleException("malformed " + k.valueName() + " list (TensorFlow: Can't parse serialized Example)", null);
    }
  }

  /** What {@link #openList} found. */
  private static final int FAILED = -1;
  private static final int EMPTY = 0x100; // no byte value: a body starting with 0x00 is not empty

  /**
   * Reads the list's length and limits the input to it (clamped, as TensorFlow's PushLimit).
   *
   * @return {@link #FAILED}, {@link #EMPTY}, or the first byte of the list's body
   */
  private int openList() {
    long length = in.readVarint32();
    if (length == WireInput.FAILED) {
      return FAILED;
    }
    in.pushLimit(length);
    return in.atEnd() ? EMPTY : in.peekByte();
  }

  /** After the 0x0a tag byte: reads a packed chunk's length and limits the input to it; its length, or {@link WireInput#FAILED}. */
  private long openPackedChunk() {
    in.position++;
    long packedLength = in.readVarint32();
    if (packedLength != WireInput.FAILED) {
      in.pushLimit(packedLength);
    }
    return packedLength;
  }

  private boolean parseFloats() {
    int first = openList();
    if (first == FAILED || first == EMPTY) {
      return first == EMPTY;
    }
    if (first == 0x0a) {
      long packedLength = openPackedChunk();
      long n = packedLength / 4;
      if (packedLength == WireInput.FAILED || !in.has(n * 4)) {
        return false;
      }
      floatsPacked = true;
      floatsAt = in.position;
      count = Math.toIntExact(n);
      return true;
    }
    if (first != 0x0d) {
      return false;
    }
    floatsPacked = false;
    floatsAt = in.position + 1;
    int n = 0;
    while (!in.atEnd()) {
      if (!in.expectTag(0x0d) || !in.has(4)) {
        return false;
      }
      in.position += 4;
      n++;
    }
    count = n;
    return true;
  }

  private boolean parseLongs() {
    int first = openList();
    if (first == FAILED || first == EMPTY) {
      return first == EMPTY;
    }
    boolean packed = first == 0x0a;
    if (packed) {
      if (openPackedChunk() == WireInput.FAILED) {
        return false;
      }
    } else if (first != 0x08) {
      return false;
    }
    long[] read = in.readInt64s(packed, longs, 0);
    if (read == null) {
      return false;
    }
    longs = read;
    count = in.int64Count;
    return true;
  }

  private boolean parseBytes() {
    if (openList() == FAILED) {
      return false;
    }
    int n = 0;
    while (!in.atEnd()) {
      if (!in.expectTag(0x0a)) {
        return false;
      }
      long size = in.readVarint32();
      if (size == WireInput.FAILED || !in.has(size)) {
        return false;
      }
      if (n == bytesOffset.length) {
        bytesOffset = Arrays.copyOf(bytesOffset, n * 2);
        bytesLength = Arrays.copyOf(bytesLength, n * 2);
      }
      bytesOffset[n] = in.position;
      bytesLength[n] = (int) size;
      in.position += size;
      n++;
    }
    count = n;
    return true;
  }

  /** The list's kind; {@link WireKind#NONE} for an empty {@code Feature}. */
  public WireKind kind() {
    return kind;
  }

  /** Number of values, as TensorFlow counts them. */
  @Override
  public int count() {
    return count;
  }

  /** The float values as one little-endian segment when they were packed (one copy away from a row); null otherwise. */
  public MemorySegment packedFloats() {
    requireKind(WireKind.FLOAT_LIST);
    return floatsPacked ? record.asSlice(floatsAt, count * 4L) : null;
  }

  /** Float value {@code i}, packed or not. */
  public float floatAt(int i) {
    requireKind(WireKind.FLOAT_LIST);
    checkIndex(i);
    return record.get(FLOAT, floatsPacked ? floatsAt + 4L * i : floatsAt + 5L * i);
  }

  /** Copies the float values into {@code dst} at {@code dstOffset} (little-endian, 4 bytes each). */
  public void copyFloats(MemorySegment dst, long dstOffset) {
    copyFloats(0, count, dst, dstOffset);
  }

  /** Copies float values {@code [from, from + n)} into {@code dst} at {@code dstOffset}: one copy when packed. */
  @Override
  public void copyFloats(int from, int n, MemorySegment dst, long dstOffset) {
    requireKind(WireKind.FLOAT_LIST);
    java.util.Objects.checkFromIndexSize(from, n, count);
    if (floatsPacked) {
      MemorySegment.copy(record, floatsAt + 4L * from, dst, dstOffset, n * 4L);
    } else {
      for (int i = 0; i < n; i++) {
        dst.set(FLOAT, dstOffset + 4L * i, record.get(FLOAT, floatsAt + 5L * (from + i)));
      }
    }
  }

  /** Copies int64 values {@code [from, from + n)} into {@code dst} at {@code dstOffset}, little-endian. */
  @Override
  public void copyLongs(int from, int n, MemorySegment dst, long dstOffset) {
    requireKind(WireKind.INT64_LIST);
    java.util.Objects.checkFromIndexSize(from, n, count);
    if (n > SHORT_COPY) {
      MemorySegment.copy(longs, from, dst, LONG, dstOffset, n);
      return;
    }
    // A few values (a label, an id): stored one by one. The array copy's setup (its array type
    // switch, a native array-length call) cost more than the copy in C1 code.
    for (int i = 0; i < n; i++) {
      dst.set(LONG, dstOffset + 8L * i, longs[from + i]);
    }
  }

  /**
   * Copies bytes value {@code i} into {@code dst} at {@code dstOffset} and fills the rest of its
   * {@code width}-byte slot with {@code fill} (NumPy's {@code |S{width}} items are NUL-padded).
   */
  @Override
  public void copyBytes(int i, MemorySegment dst, long dstOffset, long width) {
    requireKind(WireKind.BYTES_LIST);
    checkIndex(i);
    int n = bytesLength[i];
    MemorySegment.copy(record, bytesOffset[i], dst, dstOffset, n);
    if (width > n) {
      dst.asSlice(dstOffset + n, width - n).fill((byte) 0);
    }
  }

  /** The int64 values, decoded: entries {@code [0, count())} of the returned array (valid until the next decode). */
  public long[] longs() {
    requireKind(WireKind.INT64_LIST);
    return longs;
  }

  /** The bytes value {@code i} as a slice of the record. */
  public MemorySegment bytesAt(int i) {
    requireKind(WireKind.BYTES_LIST);
    checkIndex(i);
    return record.asSlice(bytesOffset[i], bytesLength[i]);
  }

  /** Length of bytes value {@code i}. */
  @Override
  public int bytesLength(int i) {
    requireKind(WireKind.BYTES_LIST);
    checkIndex(i);
    return bytesLength[i];
  }

  private void requireKind(WireKind k) {
    if (kind != k) {
      throw new IllegalStateException("feature holds " + kind.valueName() + " values, not " + k.valueName());
    }
  }

  private void checkIndex(int i) {
    if (i < 0 || i >= count) {
      throw new IndexOutOfBoundsException("value " + i + " of " + count);
    }
  }
}

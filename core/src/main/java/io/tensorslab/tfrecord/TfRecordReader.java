package io.tensorslab.tfrecord;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;
import java.util.zip.GZIPInputStream;
import java.util.zip.InflaterInputStream;
import java.util.zip.ZipException;

/**
 * Reads the records of one TFRecord file: {@code uint64} length, masked CRC-32C of it, the bytes,
 * masked CRC-32C of them. Stricter than TensorFlow's reader, which takes a file cut inside a
 * record's 12-byte header for a clean end and silently drops that record: here that is an error.
 *
 * <p>A plain file is read with positional reads ({@code pread}) into one reused off-heap window of
 * {@value #WINDOW_BYTES} bytes (larger only for a larger record), and each {@link #record()} is a
 * slice of it. Not a mapping: a fresh process paid for every page of a mapped input twice, at its
 * fault and at its release from the resident set, and the kernel's copy into a window that stays
 * in the core's cache is cheaper than both (the index walk over 1.08 GB: 710-750 ms mapped, 103-121
 * ms read, one thread, JIT C1). The input's pages then never count in the process's RSS. A GZIP
 * or ZLIB file is inflated by the JDK's {@code Inflater} in 64 KiB steps (or, {@linkplain #open(Path,
 * TfRecordCompression, boolean) read ahead}, on a thread of its own in 256 KiB steps) and each record is read
 * into one reused buffer. Offsets ({@link #recordOffset()}) count bytes of the uncompressed stream,
 * as TensorFlow's messages do; {@link #seek} (plain files only) starts at any record of a
 * {@link TfRecordIndex}, so threads can each read their own range of one file.
 *
 * {@snippet :
 * try (TfRecordReader r = TfRecordReader.open(path, TfRecordCompression.NONE)) {
 *   while (r.next()) {
 *     MemorySegment record = r.record();    // valid until the next call of next()
 *   }
 * }
 * }
 *
 * <p>Not thread-safe: one thread at a time uses a reader. Every error is a
 * {@link TfRecordException} naming the file, the record and its byte offset.
 */
public final class TfRecordReader implements AutoCloseable {

  private static final int MASK_DELTA = 0xa282ead8;
  private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  /** Far beyond any real record; a larger length means the header is garbage (its CRC matched by chance). */
  private static final long MAX_RECORD_BYTES = Integer.MAX_VALUE - 64;

  /** Bytes a plain file is read in: the window stays in a core's cache while its records are parsed. */
  static final int WINDOW_BYTES = 256 << 10;

  private final Path path;
  private final TfRecordCompression compression;
  /** The plain file, or null (compressed). */
  private final FileChannel channel;
  /** Bytes in the plain file, or -1. */
  private final long size;
  private final InputStream in;
  /** Compressed files: the file's bytes as the inflater takes them in, counted; else null. */
  private final CountingInput compressedBytes;
  private final CRC32C crc = new CRC32C();
  /**
   * Plain files: the window, memory the collector frees ({@link Arena#ofAuto()}): a reader may be
   * opened, used and closed by different threads one after the other.
   */
  private MemorySegment window = MemorySegment.NULL;
  /**
   * The window as one ByteBuffer, repositioned for each CRC: CRC32C reads a direct buffer with its
   * intrinsic, and no buffer object is made per record (a million records made hundreds of MB of
   * garbage, which a large default heap let grow into RSS).
   */
  private java.nio.ByteBuffer windowBuffer;
  /** File offset of the window's first byte, and how many bytes it holds from there. */
  private long windowStart;
  private long windowLength;
  private byte[] buffer = new byte[1 << 16];
  /** Compressed files: the record last read from {@link #buffer}, and its data CRC, in native memory. */
  private MemorySegment streamedRecord = MemorySegment.NULL;
  private MemorySegment record = MemorySegment.NULL;
  private boolean checkCrc = true;
  private long offset;
  private long index;
  private long recordOffset = -1;
  private long recordIndex = -1;
  private boolean closed;

  private TfRecordReader(Path path, TfRecordCompression compression, FileChannel channel, long size, InputStream in,
      CountingInput compressedBytes) {
    this.path = path;
    this.compression = compression;
    this.channel = channel;
    this.size = size;
    this.in = in;
    this.compressedBytes = compressedBytes;
  }

  /**
   * Opens {@code path} at record 0.
   *
   * @throws TfRecordException for a compressed file that is not of the {@code compression} named
   * @throws IOException when the file cannot be opened
   */
  public static TfRecordReader open(Path path, TfRecordCompression compression) throws IOException {
    return open(path, compression, false);
  }

  /**
   * Opens {@code path} at record 0; with {@code inflateAhead}, a compressed file is inflated on a
   * thread of its own while the caller parses the records inflated before (for a caller that has a
   * core to spare; a plain file ignores it).
   *
   * @throws TfRecordException for a compressed file that is not of the {@code compression} named
   * @throws IOException when the file cannot be opened
   */
  public static TfRecordReader open(Path path, TfRecordCompression compression, boolean inflateAhead)
      throws IOException {
    if (compression == TfRecordCompression.NONE) {
      FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
      boolean success = false;
      try {
        TfRecordReader reader = new TfRecordReader(path, compression, ch, ch.size(), null, null);
        success = true;
        return reader;
      } finally {
        if (!success) {
          ch.close();
        }
      }
    }
    CountingInput counted = new CountingInput(Files.newInputStream(path));
    // 8 KiB: only the header's small reads come through this buffer; the inflater asks for 64 KiB at
    // a time, which a BufferedInputStream passes straight through.
    InputStream raw = new BufferedInputStream(counted, 1 << 13);
    boolean success = false;
    try {
      InputStream inflated = compression == TfRecordCompression.GZIP ? new GZIPInputStream(raw, 1 << 16)
          : new InflaterInputStream(raw, new java.util.zip.Inflater(), 1 << 16);
      // Inflated into large buffers, never straight into a 12-byte header or one record: zlib's fast
      // loop needs room for its longest match, and small reads ran its slow one (17 % of a GZIP
      // convert's samples; 206 MB, gzip -1: 1.23 -> 1.13 s). A failure then surfaces at the first
      // record read from the failing buffer, and the damage lies at or after that record.
      InputStream in = inflateAhead ? new ReadAheadInput(inflated, "tensorslab-inflate")
          : new BufferedInputStream(inflated, 1 << 16);
      success = true;
      return new TfRecordReader(path, compression, null, -1, in, counted);
    } catch (ZipException | EOFException e) {
      throw new TfRecordException("not " + compression.name() + " data (" + e.getMessage()
          + "); is --compression " + compression.cliName() + " right?", path, 0, null, -1, e);
    } finally {
      if (!success) {
        raw.close();
      }
    }
  }

  /** Whether {@link #next()} checks each record's data CRC (the length CRC is always checked). Default true. */
  public TfRecordReader checkCrc(boolean check) {
    this.checkCrc = check;
    return this;
  }

  /** The file being read. */
  public Path path() {
    return path;
  }

  /** Bytes in the file (plain files), or -1 for a compressed one. */
  public long fileSize() {
    return size;
  }

  /**
   * Moves to record {@code recordIndex} at byte {@code recordOffset} (from a {@link TfRecordIndex});
   * plain files only.
   */
  public void seek(long recordIndex, long recordOffset) {
    if (channel == null) {
      throw new IllegalStateException("cannot seek in a " + compression.name() + " file (path=" + path + ")");
    }
    if (recordOffset < 0 || recordOffset > size || recordIndex < 0) {
      throw new IllegalArgumentException("record " + recordIndex + " at byte " + recordOffset
          + " is outside the file of " + size + " bytes (path=" + path + ")");
    }
    this.offset = recordOffset;
    this.index = recordIndex;
    this.record = MemorySegment.NULL;
  }

  /**
   * Reads the next record.
   *
   * @return false at a clean end of the file
   * @throws TfRecordException for a bad CRC, a cut-off record or a damaged compressed stream
   */
  public boolean next() throws IOException {
    return channel != null ? nextPlain() : nextStreamed();
  }

  /** The current record's bytes; valid until the next {@link #next()}, {@link #seek} or {@link #close()}. */
  public MemorySegment record() {
    return record;
  }

  /** 0-based index within the file of the current record. */
  public long recordIndex() {
    return recordIndex;
  }

  /** Byte offset of the current record's header in the (uncompressed) stream. */
  public long recordOffset() {
    return recordOffset;
  }

  /** Offset of the record the next call reads; after the end, the stream's length. */
  public long nextOffset() {
    return offset;
  }

  /**
   * How far into the file the reader has come, in the file's own bytes: a plain file's
   * {@link #nextOffset()}; for a compressed one the compressed bytes read from the file so far,
   * ahead of the records returned by the bytes in its buffers: 72 KiB of compressed bytes, and the
   * compressed bytes of what was inflated but not yet returned (64 KiB, or up to 768 KiB read ahead).
   * At the end, the file's size. A conversion of compressed files, whose records are not counted
   * ahead, tells its progress by it.
   */
  public long fileBytesRead() {
    return compressedBytes == null ? offset : compressedBytes.count;
  }

  /** The bytes read through it so far: how much of a compressed file the inflater has taken in. */
  private static final class CountingInput extends java.io.FilterInputStream {
    /** Written by the one thread that reads the file (the reader's, or the one reading ahead). */
    volatile long count;

    CountingInput(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = in.read();
      if (b >= 0) {
        count++;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = in.read(b, off, len);
      if (n > 0) {
        count += n;
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      long skipped = in.skip(n);
      count += skipped;
      return skipped;
    }
  }

  private boolean nextPlain() throws IOException {
    long left = size - offset;
    if (left == 0) {
      return false;
    }
    if (left < 12) {
      throw problem("file ends " + left + " bytes into its 12-byte header (truncated file)", null);
    }
    holdInWindow(offset, 12);
    long at = offset - windowStart;
    long length = window.get(LONG, at);
    checkLengthCrc(FramingCrc.maskedOfLong(length), window.get(INT, at + 8));
    if (length < 0 || length > MAX_RECORD_BYTES) {
      throw problem("length " + Long.toUnsignedString(length) + " is impossible (corrupted record)", null);
    }
    if (left - 12 < length) {
      throw problem("file ends after " + (left - 12) + " of its " + length + " data bytes (truncated file)", null);
    }
    if (left - 12 - length < 4) {
      throw problem("file ends inside its data checksum (truncated file)", null);
    }
    holdInWindow(offset, 16 + length);
    at = offset - windowStart;
    if (checkCrc && window.get(INT, at + 12 + length) != windowCrc(at + 12, (int) length)) {
      throw problem("bad data checksum (corrupted record)", null);
    }
    record = window.asSlice(at + 12, length);
    advance(length);
    return true;
  }

  /**
   * Makes the window hold bytes {@code [from, from + n)} of the file ({@code n} of them exist),
   * reading from {@code from} as much as the window takes; a record larger than the window gets a
   * window of its own size.
   */
  private void holdInWindow(long from, long n) throws IOException {
    if (from >= windowStart && from + n <= windowStart + windowLength) {
      return;
    }
    if (window.byteSize() < n) {
      window = Arena.ofAuto().allocate(Math.max(WINDOW_BYTES, n), 64);
      windowBuffer = window.asByteBuffer();
    }
    long want = Math.min(window.byteSize(), size - from);
    windowBuffer.clear().limit((int) want);
    windowStart = from;
    windowLength = readAt(channel, windowBuffer, from);
    if (windowLength < want) {
      // The file shrank after open: the checks above saw its old size.
      throw problem("file ends at byte " + (from + windowLength) + " while reading it (did it change?)", null);
    }
  }

  /**
   * Fills {@code into} (from its position to its limit) with the file's bytes from {@code position},
   * stopping early only at the end of the file; the bytes read. The reader's window and the index
   * walk's both fill this way.
   */
  static int readAt(FileChannel ch, java.nio.ByteBuffer into, long position) throws IOException {
    int start = into.position();
    while (into.hasRemaining()) {
      if (ch.read(into, position + into.position() - start) < 0) {
        break;
      }
    }
    return into.position() - start;
  }

  /** The masked CRC of {@code length} window bytes at {@code at}. */
  private int windowCrc(long at, int length) {
    windowBuffer.limit((int) at + length);
    windowBuffer.position((int) at);
    crc.reset();
    crc.update(windowBuffer);
    return mask((int) crc.getValue());
  }

  private boolean nextStreamed() throws IOException {
    try {
      byte[] header = new byte[12];
      int got = in.readNBytes(header, 0, 12);
      if (got == 0) {
        return false;
      }
      if (got < 12) {
        throw problem("file ends " + got + " bytes into its 12-byte header (truncated file)", null);
      }
      java.nio.ByteBuffer h = java.nio.ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
      long length = h.getLong(0);
      checkLengthCrc(FramingCrc.maskedOfLong(length), h.getInt(8));
      if (length < 0 || length > MAX_RECORD_BYTES) {
        throw problem("length " + Long.toUnsignedString(length) + " is impossible (corrupted record)", null);
      }
      int n = (int) length;
      int read = readUpTo(n + 4);
      if (read < n) {
        throw problem("file ends after " + read + " of its " + length + " data bytes (truncated file)", null);
      }
      if (read < n + 4) {
        throw problem("file ends inside its data checksum (truncated file)", null);
      }
      // Copied out of the stream's array into native memory: the parse then reads one kind of
      // segment, never a heap one (see io.tensorslab.slab.HeapBytes), and the CRC a direct buffer.
      if (streamedRecord.byteSize() < n + 4L) {
        streamedRecord = Arena.ofAuto().allocate(Math.max(n + 4L, 2 * streamedRecord.byteSize()), 64);
      }
      MemorySegment.copy(buffer, 0, streamedRecord, ValueLayout.JAVA_BYTE, 0, n + 4);
      MemorySegment all = streamedRecord;
      MemorySegment data = all.asSlice(0, n);
      if (checkCrc && all.get(INT, n) != maskedCrc32c(data)) {
        throw problem("bad data checksum (corrupted record)", null);
      }
      record = data;
      advance(length);
      return true;
    } catch (ZipException e) {
      throw problem("damaged " + compression.name() + " stream at or after this record (" + e.getMessage() + ")", e);
    } catch (EOFException e) {
      // GZIPInputStream / InflaterInputStream: the compressed stream stops before its end marker
      throw problem("compressed " + compression.name() + " stream ends early (truncated file)", e);
    }
  }

  /**
   * Reads up to {@code want} bytes into {@link #buffer}, growing it only as bytes arrive: a
   * corrupted length (up to 2 GiB, its CRC matched by chance) must not allocate before the stream
   * proves it holds that much.
   */
  private int readUpTo(int want) throws IOException {
    int have = 0;
    while (have < want) {
      if (have == buffer.length) {
        buffer = java.util.Arrays.copyOf(buffer, (int) Math.min(want, buffer.length * 2L));
      }
      int got = in.read(buffer, have, Math.min(want, buffer.length) - have);
      if (got < 0) {
        break;
      }
      have += got;
    }
    return have;
  }

  private void advance(long length) {
    recordOffset = offset;
    recordIndex = index;
    offset += 16 + length;
    index++;
  }

  private void checkLengthCrc(int computed, int stored) throws TfRecordException {
    if (stored != computed) {
      throw problem(index == 0 && offset == 0
          ? "bad length checksum: not a TFRecord file, or --compression " + compression.cliName() + " is wrong"
          : "bad length checksum (corrupted record)", null);
    }
  }

  private TfRecordException problem(String what, Throwable cause) {
    String at = compression == TfRecordCompression.NONE ? "byte " + offset : "byte " + offset + " of the uncompressed stream";
    return new TfRecordException("record at " + at + ": " + what, path, index, null, -1, cause);
  }

  /** TensorFlow's masked CRC-32C ({@code crc32c::Mask}) of {@code bytes}. */
  int maskedCrc32c(MemorySegment bytes) {
    return maskedCrc32c(crc, bytes);
  }

  /** The masked CRC-32C of {@code bytes}, computed with {@code crc} (reset first). */
  static int maskedCrc32c(CRC32C crc, MemorySegment bytes) {
    crc.reset();
    crc.update(bytes.asByteBuffer());
    return mask((int) crc.getValue());
  }

  /** TensorFlow's masked CRC-32C ({@code crc32c::Mask}) of {@code bytes[0, length)}, for callers without a reader. */
  public static int maskedCrc32c(byte[] bytes, int length) {
    CRC32C checksum = new CRC32C();
    checksum.update(bytes, 0, length);
    return mask((int) checksum.getValue());
  }

  static int mask(int c) {
    return ((c >>> 15) | (c << 17)) + MASK_DELTA;
  }

  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    record = MemorySegment.NULL;
    window = MemorySegment.NULL;
    if (channel != null) {
      channel.close();
    }
    if (in != null) {
      in.close();
    }
  }
}

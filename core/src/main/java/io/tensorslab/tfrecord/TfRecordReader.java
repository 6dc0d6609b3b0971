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
 * <p>A plain file is mapped and each {@link #record()} is a slice of the mapping: no copy. A GZIP
 * or ZLIB file is inflated by the JDK's {@code Inflater} in 64 KiB steps and each record is read
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
 * <p>Confined: the thread that opens a reader is the one that uses and closes it. Every error is a
 * {@link TfRecordException} naming the file, the record and its byte offset.
 */
public final class TfRecordReader implements AutoCloseable {

  private static final int MASK_DELTA = 0xa282ead8;
  private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  /** Far beyond any real record; a larger length means the header is garbage (its CRC matched by chance). */
  private static final long MAX_RECORD_BYTES = Integer.MAX_VALUE - 64;

  private final Path path;
  private final TfRecordCompression compression;
  private final Arena arena;
  /** The mapped file (plain) or null (compressed). */
  private final MemorySegment file;
  private final InputStream in;
  private final CRC32C crc = new CRC32C();
  /**
   * The mapped file as one ByteBuffer (files below 2 GiB), repositioned for each CRC: CRC32C
   * reads a direct buffer with its intrinsic, and no buffer object is made per record (a million
   * records made hundreds of MB of garbage, which a large default heap let grow into RSS).
   */
  private final java.nio.ByteBuffer fileBuffer;
  private byte[] buffer = new byte[1 << 16];
  private MemorySegment record = MemorySegment.NULL;
  private boolean checkCrc = true;
  private long offset;
  private long index;
  private long recordOffset = -1;
  private long recordIndex = -1;
  private boolean closed;
  /** Start of the mapped bytes not yet released from the resident set (see {@link #releaseReadPages}). */
  private long residentFrom;
  /**
   * Read pages are released in steps of this many bytes (the index walk too). Each thread keeps at
   * most this much plus {@link #POPULATE_STEP} of the input resident: with 2 threads, 32 MiB steps
   * made 56 MB of a 160 MB peak RSS, 8 MiB steps make ~20 MB, for one more madvise call per 8 MiB.
   */
  static final long RELEASE_STEP = 8L << 20;
  /** Bytes ahead of the reader mapped in one call ({@link io.tensorslab.slab.MemoryAdvice}) rather than fault by fault. */
  private static final long POPULATE_STEP = 4L << 20;
  /** End of the bytes mapped ahead so far. */
  private long populatedTo;

  private TfRecordReader(Path path, TfRecordCompression compression, Arena arena, MemorySegment file, InputStream in) {
    this.path = path;
    this.compression = compression;
    this.arena = arena;
    this.file = file;
    this.in = in;
    this.fileBuffer = file != null && file.byteSize() <= Integer.MAX_VALUE ? file.asByteBuffer() : null;
  }

  /**
   * Opens {@code path} at record 0.
   *
   * @throws TfRecordException for a compressed file that is not of the {@code compression} named
   * @throws IOException when the file cannot be opened or mapped
   */
  public static TfRecordReader open(Path path, TfRecordCompression compression) throws IOException {
    if (compression == TfRecordCompression.NONE) {
      Arena arena = Arena.ofConfined();
      boolean success = false;
      try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
        MemorySegment file = ch.size() == 0 ? MemorySegment.NULL.reinterpret(0)
            : ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
        success = true;
        return new TfRecordReader(path, compression, arena, file, null);
      } finally {
        if (!success) {
          arena.close();
        }
      }
    }
    InputStream raw = new BufferedInputStream(Files.newInputStream(path), 1 << 16);
    boolean success = false;
    try {
      InputStream in = compression == TfRecordCompression.GZIP ? new GZIPInputStream(raw, 1 << 16)
          : new InflaterInputStream(raw, new java.util.zip.Inflater(), 1 << 16);
      success = true;
      return new TfRecordReader(path, compression, null, null, in);
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
    return file == null ? -1 : file.byteSize();
  }

  /**
   * Moves to record {@code recordIndex} at byte {@code recordOffset} (from a {@link TfRecordIndex});
   * plain files only.
   */
  public void seek(long recordIndex, long recordOffset) {
    if (file == null) {
      throw new IllegalStateException("cannot seek in a " + compression.name() + " file (path=" + path + ")");
    }
    if (recordOffset < 0 || recordOffset > file.byteSize() || recordIndex < 0) {
      throw new IllegalArgumentException("record " + recordIndex + " at byte " + recordOffset
          + " is outside the file of " + file.byteSize() + " bytes (path=" + path + ")");
    }
    this.offset = recordOffset;
    this.index = recordIndex;
    this.residentFrom = recordOffset & -4096L;
    this.populatedTo = recordOffset;
    this.record = MemorySegment.NULL;
  }

  /**
   * Reads the next record.
   *
   * @return false at a clean end of the file
   * @throws TfRecordException for a bad CRC, a cut-off record or a damaged compressed stream
   */
  public boolean next() throws IOException {
    return file != null ? nextMapped() : nextStreamed();
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

  private boolean nextMapped() throws TfRecordException {
    long size = file.byteSize();
    long left = size - offset;
    if (left == 0) {
      return false;
    }
    if (left < 12) {
      throw problem("file ends " + left + " bytes into its 12-byte header (truncated file)", null);
    }
    long length = file.get(LONG, offset);
    checkLengthCrc(FramingCrc.maskedOfLong(length), file.get(INT, offset + 8));
    if (length < 0 || length > MAX_RECORD_BYTES) {
      throw problem("length " + Long.toUnsignedString(length) + " is impossible (corrupted record)", null);
    }
    if (left - 12 < length) {
      throw problem("file ends after " + (left - 12) + " of its " + length + " data bytes (truncated file)", null);
    }
    if (left - 12 - length < 4) {
      throw problem("file ends inside its data checksum (truncated file)", null);
    }
    releaseReadPages();
    if (offset + 16 + length > populatedTo) {
      populatedTo = Math.min(size, offset + 16 + length + POPULATE_STEP);
      io.tensorslab.slab.MemoryAdvice.populateRead(file.asSlice(offset, populatedTo - offset));
    }
    if (checkCrc && file.get(INT, offset + 12 + length) != mappedCrc(offset + 12, length)) {
      throw problem("bad data checksum (corrupted record)", null);
    }
    record = file.asSlice(offset + 12, length);
    advance(length);
    return true;
  }

  /** The masked CRC of {@code length} mapped bytes at {@code at}. */
  private int mappedCrc(long at, long length) {
    if (fileBuffer == null) {
      return maskedCrc32c(file.asSlice(at, length));
    }
    fileBuffer.limit((int) (at + length));
    fileBuffer.position((int) at);
    crc.reset();
    crc.update(fileBuffer);
    return mask((int) crc.getValue());
  }

  /**
   * Drops the pages of the records before this one from the process's resident set (they stay in
   * the page cache), every 32 MiB: a reader walking a large file keeps its RSS flat. Nothing a
   * caller may still hold is released: the previous record is invalid once next() is called.
   */
  private void releaseReadPages() {
    if (offset - residentFrom >= RELEASE_STEP) {
      long end = offset & -4096L;
      if (end > residentFrom) {
        file.asSlice(residentFrom, end - residentFrom).unload();
        residentFrom = end;
      }
    }
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
      MemorySegment h = MemorySegment.ofArray(header);
      long length = h.get(LONG, 0);
      checkLengthCrc(maskedCrc32c(h.asSlice(0, 8)), h.get(INT, 8));
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
      MemorySegment all = MemorySegment.ofArray(buffer);
      MemorySegment data = all.asSlice(0, n);
      if (checkCrc && all.get(INT, n) != maskedCrc32c(data)) {
        throw problem("bad data checksum (corrupted record)", null);
      }
      record = data;
      advance(length);
      return true;
    } catch (ZipException e) {
      throw problem("damaged " + compression.name() + " stream (" + e.getMessage() + ")", e);
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
    if (arena != null) {
      arena.close();
    }
    if (in != null) {
      in.close();
    }
  }
}

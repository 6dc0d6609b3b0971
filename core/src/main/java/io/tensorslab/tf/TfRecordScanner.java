package io.tensorslab.tf;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32C;
import java.util.zip.GZIPInputStream;
import java.util.zip.InflaterInputStream;
import java.util.zip.ZipException;

/**
 * Walks the framing of one TFRecord file in Java: {@code uint64} length, masked CRC-32C of it, the
 * bytes, masked CRC-32C of them — stricter than TensorFlow's reader, which takes a file cut inside
 * a record's 12-byte header for a clean end and silently drops that record.
 *
 * <p>Not on the hot path: TensorFlow reads the data. This re-reads a file when TensorFlow failed
 * and said only "batch N" or "corrupted record at OFFSET" with no file, and it can count a file's
 * records to catch the truncation TensorFlow misses. One thread; close it.
 *
 * {@snippet :
 * try (TfRecordScanner s = TfRecordScanner.open(path, TfRecordCompression.GZIP)) {
 *   byte[] record;
 *   while ((record = s.next()) != null) { ... }
 * }
 * }
 */
public final class TfRecordScanner implements AutoCloseable {

  private static final int MASK_DELTA = 0xa282ead8;
  /** Far beyond any real record; a larger length means the header is garbage (its CRC matched by chance). */
  private static final long MAX_RECORD_BYTES = Integer.MAX_VALUE - 64;
  /** Returned for a record skipped unread: not null, so "not at the end". */
  private static final byte[] SKIPPED = new byte[0];

  private final Path path;
  private final TfRecordCompression compression;
  private final InputStream in;
  private final byte[] header = new byte[12];
  private final byte[] footer = new byte[4];
  private long offset;
  private long record;

  private TfRecordScanner(Path path, TfRecordCompression compression, InputStream in) {
    this.path = path;
    this.compression = compression;
    this.in = in;
  }

  /** Opens {@code path}; the read position is record 0. */
  public static TfRecordScanner open(Path path, TfRecordCompression compression) throws IOException {
    InputStream raw = new BufferedInputStream(Files.newInputStream(path), 1 << 16);
    boolean success = false;
    try {
      InputStream in = switch (compression) {
        case NONE -> raw;
        case GZIP -> new GZIPInputStream(raw, 1 << 16);
        case ZLIB -> new InflaterInputStream(raw);
      };
      success = true;
      return new TfRecordScanner(path, compression, in);
    } catch (ZipException | EOFException e) {
      throw new TfRecordException("not " + compression.name() + " data (" + e.getMessage()
          + "); is --compression " + compression.cliName() + " right?", path, 0, null, -1, e);
    } finally {
      if (!success) {
        raw.close();
      }
    }
  }

  /** Counts the records of a whole file, checking its framing (and every CRC when asked). */
  public static long countRecords(Path path, TfRecordCompression compression, boolean checkCrc) throws IOException {
    try (TfRecordScanner s = open(path, compression)) {
      while (s.skipOrRead(checkCrc) != null) {
        // counting
      }
      return s.record;
    }
  }

  /** The file being read. */
  public Path path() {
    return path;
  }

  /** Index of the record the next call reads, 0-based; after the end, the number of records. */
  public long recordIndex() {
    return record;
  }

  /** Offset of the next record in the uncompressed stream (what TensorFlow's messages call "at"). */
  public long offset() {
    return offset;
  }

  /**
   * Reads the next record with both CRCs checked.
   *
   * @return its bytes, or null at a clean end of the file
   * @throws TfRecordException for a bad CRC, a cut-off record or a damaged compressed stream
   */
  public byte[] next() throws IOException {
    return skipOrRead(true);
  }

  /** Skips the next record without reading its bytes into memory unless {@code checkCrc}; false at the end. */
  public boolean skip(boolean checkCrc) throws IOException {
    return skipOrRead(checkCrc) != null;
  }

  private byte[] skipOrRead(boolean read) throws IOException {
    try {
      int got = in.readNBytes(header, 0, 12);
      if (got == 0) {
        return null;
      }
      if (got < 12) {
        throw problem("file ends " + got + " bytes into its 12-byte header (truncated file)", null);
      }
      ByteBuffer h = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
      long length = h.getLong(0);
      if (h.getInt(8) != maskedCrc32c(header, 0, 8)) {
        throw problem(record == 0 && offset == 0
            ? "bad length checksum: not a TFRecord file, or --compression " + compression.cliName() + " is wrong"
            : "bad length checksum (corrupted record)", null);
      }
      if (length < 0 || length > MAX_RECORD_BYTES) {
        throw problem("length " + Long.toUnsignedString(length) + " is impossible (corrupted record)", null);
      }
      byte[] data;
      if (read) {
        data = in.readNBytes((int) length);
        if (data.length < length) {
          throw problem("file ends after " + data.length + " of its " + length + " data bytes (truncated file)", null);
        }
      } else {
        long skipped = skipFully(length);
        if (skipped < length) {
          throw problem("file ends after " + skipped + " of its " + length + " data bytes (truncated file)", null);
        }
        data = SKIPPED;
      }
      int f = in.readNBytes(footer, 0, 4);
      if (f < 4) {
        throw problem("file ends inside its data checksum (truncated file)", null);
      }
      if (read && ByteBuffer.wrap(footer).order(ByteOrder.LITTLE_ENDIAN).getInt() != maskedCrc32c(data, 0, data.length)) {
        throw problem("bad data checksum (corrupted record)", null);
      }
      offset += 16 + length;
      record++;
      return data;
    } catch (ZipException e) {
      throw problem("damaged " + compression.name() + " stream (" + e.getMessage() + ")", e);
    } catch (EOFException e) {
      // GZIPInputStream / InflaterInputStream: the compressed stream stops before its end marker
      throw problem("compressed " + compression.name() + " stream ends early (truncated file)", e);
    }
  }

  private long skipFully(long n) throws IOException {
    long done = 0;
    while (done < n) {
      long s = in.skip(n - done);
      if (s <= 0) {
        if (in.read() < 0) {
          break;
        }
        s = 1;
      }
      done += s;
    }
    return done;
  }

  private TfRecordException problem(String what, Throwable cause) {
    String at = compression == TfRecordCompression.NONE ? "byte " + offset : "byte " + offset + " of the uncompressed stream";
    return new TfRecordException("record at " + at + ": " + what, path, record, null, -1, cause);
  }

  /** TensorFlow's masked CRC-32C ({@code crc32c::Mask}). */
  static int maskedCrc32c(byte[] bytes, int from, int length) {
    CRC32C crc = new CRC32C();
    crc.update(bytes, from, length);
    int c = (int) crc.getValue();
    return ((c >>> 15) | (c << 17)) + MASK_DELTA;
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}

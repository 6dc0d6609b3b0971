package io.tensorslab.tfrecord;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Where each record of one TFRecord file starts (like DALI's {@code tfrecord2idx}): built by
 * walking the framing once, checking every length CRC but no data CRC (that is the reader's job
 * when it reads the record). A plain file is read as the reader reads it, with positional reads
 * into a window of {@value TfRecordReader#WINDOW_BYTES} bytes that stays in the core's cache, not
 * mapped (see {@link TfRecordReader}): 1.08 GB of 1 KiB records indexed in 103-121 ms instead of
 * 710-750 ms, one thread, in a fresh process. Past records of half a window or more, only a page
 * is read at each header.
 * With it, threads start mid-file ({@link TfRecordReader#seek}) and split a file into ranges of
 * whole records ({@link #split}).
 *
 * <p>The walk over a plain file is a chain (each header gives the next one's offset). With several
 * threads the file is
 * cut into byte regions: each region's thread finds the first record start in it (a header whose
 * length CRC and data CRC both match) and walks from there to the next region; the chains are then
 * joined only where the previous region's walk lands exactly on the start the next one found, so
 * a false start (a TFRecord stored inside a record, say) is never taken: from the first region
 * whose start is not confirmed, the walk goes on alone from where the confirmed chain ended. The
 * index, and every error, are the same for any number of threads.
 *
 * <p>Immutable; offsets are of the uncompressed stream. A compressed file is indexed too (its
 * count and offsets are right) but can only be read from the start.
 */
public final class TfRecordIndex {

  private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  /** Regions are at least this large: below it a thread costs more than it saves. */
  private static final long MIN_REGION_BYTES = 16L << 20;
  /**
   * How far into its region a thread looks for the first record start. Records longer than this
   * (rare: 4 MiB and more each) leave the region to the walk before it.
   */
  private static final long MAX_SCAN_BYTES = 4L << 20;
  /** As the reader: a larger length means the header is garbage (its CRC matched by chance). */
  private static final long MAX_RECORD_BYTES = Integer.MAX_VALUE - 64;
  /** Bytes read at a header that follows a large record: a page, not a whole window of data the walk skips. */
  private static final int HEADER_READ_BYTES = 4096;

  private final Path path;
  private final long[] offsets;
  private final long end;

  private TfRecordIndex(Path path, long[] offsets, long end) {
    this.path = path;
    this.offsets = offsets;
    this.end = end;
  }

  /**
   * Indexes the whole of {@code path}, or its first {@code maxRecords}, on the caller's thread.
   *
   * @throws io.tensorslab.tfrecord.TfRecordException for a cut-off or corrupted header, naming file and record
   */
  public static TfRecordIndex build(Path path, TfRecordCompression compression, long maxRecords) throws IOException {
    return build(path, compression, maxRecords, 1);
  }

  /**
   * Indexes the whole of {@code path}, or its first {@code maxRecords}; a whole plain file of at
   * least twice {@code MIN_REGION_BYTES} is walked by up to {@code threads} threads (see the class
   * comment). The result and every error are those of one thread.
   *
   * @throws io.tensorslab.tfrecord.TfRecordException for a cut-off or corrupted header, naming file and record
   */
  public static TfRecordIndex build(Path path, TfRecordCompression compression, long maxRecords, int threads)
      throws IOException {
    return build(path, compression, maxRecords, threads, MIN_REGION_BYTES);
  }

  /** {@link #build(Path, TfRecordCompression, long, int)} with regions of at least {@code minRegionBytes} (tests use small ones). */
  static TfRecordIndex build(Path path, TfRecordCompression compression, long maxRecords, int threads,
      long minRegionBytes) throws IOException {
    if (compression != TfRecordCompression.NONE) {
      return buildStreamed(path, compression, maxRecords);
    }
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size == 0 || maxRecords == 0) {
        return new TfRecordIndex(path, new long[0], 0);
      }
      int regions = maxRecords == Long.MAX_VALUE ? (int) Math.max(1, Math.min(threads, size / minRegionBytes)) : 1;
      if (regions == 1) {
        return finish(path, walk(ch, size, 0, size, maxRecords), maxRecords);
      }
      // Mapped only to find where each region's first record starts: a few pages touched.
      try (Arena arena = Arena.ofShared()) {
        return buildInRegions(path, ch, ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena), regions);
      }
    }
  }

  /** Through the reader: a compressed stream can only be walked by inflating it. */
  private static TfRecordIndex buildStreamed(Path path, TfRecordCompression compression, long maxRecords)
      throws IOException {
    long[] offsets = new long[1024];
    int n = 0;
    try (TfRecordReader r = TfRecordReader.open(path, compression).checkCrc(false)) {
      while (n < maxRecords && r.next()) {
        if (n == offsets.length) {
          offsets = Arrays.copyOf(offsets, n * 2);
        }
        offsets[n++] = r.recordOffset();
      }
      return new TfRecordIndex(path, Arrays.copyOf(offsets, n), r.nextOffset());
    }
  }

  /** Offsets of the records walked from one start (or only their count); {@code broken} when the walk stopped at a bad header. */
  private static final class Walk {
    final boolean keepOffsets;
    long[] offsets;
    int count;
    /** Where the walk stopped: the first record start at or past its stop, or the bad header. */
    long end;
    boolean broken;

    Walk(boolean keepOffsets) {
      this.keepOffsets = keepOffsets;
      this.offsets = new long[keepOffsets ? 1024 : 0];
    }

    void add(long offset) {
      if (keepOffsets) {
        if (count == offsets.length) {
          offsets = Arrays.copyOf(offsets, count * 2);
        }
        offsets[count] = offset;
      }
      count++;
    }
  }

  private static Walk walk(FileChannel ch, long size, long start, long stop, long max) throws IOException {
    return new Walker(ch, size).walk(start, stop, max, true);
  }

  /**
   * The framing walk over a plain file with its own window, kept between calls so that a walk
   * resumed where the last one stopped reads no byte twice.
   */
  private static final class Walker {
    private final FileChannel ch;
    private final long size;
    private final MemorySegment window = Arena.ofAuto().allocate(TfRecordReader.WINDOW_BYTES, 64);
    private final java.nio.ByteBuffer windowBuffer = window.asByteBuffer();
    private long windowStart;
    private long windowEnd; // the window holds the file's bytes [windowStart, windowEnd)

    Walker(FileChannel ch, long size) {
      this.ch = ch;
      this.size = size;
    }

    /**
     * Walks the headers from {@code start} while the next record starts before {@code stop} (and the
     * end of the file) and fewer than {@code max} are found; stops at the first header that is cut off, fails its CRC or
     * claims more bytes than the file has (the reader, asked for that record, names what is wrong).
     */
    Walk walk(long start, long stop, long max, boolean keepOffsets) throws IOException {
      Walk w = new Walk(keepOffsets);
      long length = 0;
      long at = start;
      long end = Math.min(stop, size); // a walk that reaches the end of the file ends there, cleanly
      while (at < end && w.count < max) {
        if (size - at < 12) {
          w.broken = true;
          break;
        }
        if (at < windowStart || at + 12 > windowEnd) {
          long want = Math.min(length >= TfRecordReader.WINDOW_BYTES / 2 ? HEADER_READ_BYTES
              : TfRecordReader.WINDOW_BYTES, size - at);
          windowBuffer.clear().limit((int) want);
          windowStart = at;
          windowEnd = at + TfRecordReader.readAt(ch, windowBuffer, at);
          if (windowEnd - at < 12) { // the file shrank after its size was taken: the header is cut off
            w.broken = true;
            break;
          }
        }
        length = window.get(LONG, at - windowStart);
        if (FramingCrc.maskedOfLong(length) != window.get(INT, at - windowStart + 8) || length < 0
            || length > MAX_RECORD_BYTES || length > size - at - 16) {
          w.broken = true;
          break;
        }
        w.add(at);
        at += 16 + length;
      }
      w.end = at;
      return w;
    }
  }

  /**
   * Counts the records of one plain file stretch by stretch, from a record start onward, checking
   * each length CRC as {@link #build} does but keeping no offsets: where a count is all that is
   * needed and the walk must be able to stop at any record (the conversion's walk-ahead plan).
   * One thread's.
   */
  public static final class Counter {
    private final Path path;
    private final Walker walker;
    private long next;
    private long records;

    /**
     * @param ch the file, open for reading; its size is taken now
     */
    public Counter(Path path, FileChannel ch) throws IOException {
      this.path = path;
      this.walker = new Walker(ch, ch.size());
    }

    /**
     * Counts on from where the last call stopped (record 0 at byte 0 at first) to the first
     * record start at or past {@code stop}, or the end of the file.
     *
     * @throws TfRecordException for a cut-off or corrupted header, as the reader names it
     */
    public void countTo(long stop) throws IOException {
      Walk w = walker.walk(next, stop, Long.MAX_VALUE, false);
      if (w.broken) {
        throw badHeader(path, records + w.count, w.end);
      }
      next = w.end;
      records += w.count;
    }

    /** Records counted so far: the index of the record that starts at {@link #position()}. */
    public long records() {
      return records;
    }

    /** Where the count stopped: a record start, or the end of the file. */
    public long position() {
      return next;
    }
  }

  /**
   * The index of a walk from record 0; a walk that stopped at a bad header
   * before {@code max} records throws the reader's error for that record.
   */
  private static TfRecordIndex finish(Path path, Walk w, long max)
      throws IOException {
    if (w.broken && w.count < max) {
      throw badHeader(path, w.count, w.end);
    }
    return new TfRecordIndex(path, Arrays.copyOf(w.offsets, w.count), w.end);
  }

  /** The reader's own error for the header at {@code offset}: the same message as a plain read gives. */
  private static IOException badHeader(Path path, long index, long offset) throws IOException {
    try (TfRecordReader r = TfRecordReader.open(path, TfRecordCompression.NONE).checkCrc(false)) {
      r.seek(index, offset);
      r.next();
    }
    throw new IllegalStateException("the index found a bad header at byte " + offset + " that the reader accepts"
        + " (path=" + path + ")");
  }

  private static TfRecordIndex buildInRegions(Path path, FileChannel ch, MemorySegment file, int regions)
      throws IOException {
    long size = file.byteSize();
    long[] bounds = new long[regions + 1];
    for (int k = 0; k <= regions; k++) {
      bounds[k] = size * k / regions;
    }
    long[] starts = new long[regions];
    Walk[] walks = new Walk[regions];
    Thread[] threads = new Thread[regions];
    RuntimeException[] failures = new RuntimeException[regions];
    for (int k = regions - 1; k >= 0; k--) {
      int region = k;
      Runnable task = () -> {
        try {
          starts[region] = region == 0 ? 0 : firstRecordStart(file, bounds[region],
              Math.min(bounds[region + 1], bounds[region] + MAX_SCAN_BYTES));
          walks[region] = starts[region] < 0 ? null : walk(ch, size, starts[region], bounds[region + 1], Long.MAX_VALUE);
        } catch (IOException e) {
          failures[region] = new java.io.UncheckedIOException(e);
        } catch (RuntimeException e) {
          failures[region] = e;
        }
      };
      if (k == 0) {
        task.run();
      } else {
        threads[k] = Thread.ofPlatform().name("tensorslab-index").daemon().start(task);
      }
    }
    for (int k = 1; k < regions; k++) {
      try {
        threads[k].join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException("indexing interrupted (path=" + path + ")");
      }
    }
    for (RuntimeException e : failures) {
      if (e instanceof java.io.UncheckedIOException io) {
        throw io.getCause();
      }
      if (e != null) {
        throw e;
      }
    }
    // Join the chains in file order; each region counts only if the chain before it lands on its start.
    Walk joined = walks[0];
    for (int k = 1; k < regions && !joined.broken; k++) {
      Walk next = walks[k];
      if (next == null || starts[k] != joined.end) {
        Walk rest = walk(ch, size, joined.end, size, Long.MAX_VALUE); // an unconfirmed start: walk on alone
        append(joined, rest);
        return finish(path, joined, Long.MAX_VALUE);
      }
      append(joined, next);
    }
    if (!joined.broken && joined.end < size) {
      append(joined, walk(ch, size, joined.end, size, Long.MAX_VALUE)); // never in practice: the last region ends at size
    }
    return finish(path, joined, Long.MAX_VALUE);
  }

  private static void append(Walk to, Walk from) {
    // One copy: element by element, the loop ran interpreted until its on-stack compile (a region of
    // a 1 GB file holds half a million offsets).
    if (to.offsets.length - to.count < from.count) {
      to.offsets = Arrays.copyOf(to.offsets, Math.max(to.count + from.count, to.offsets.length * 2));
    }
    System.arraycopy(from.offsets, 0, to.offsets, to.count, from.count);
    to.count += from.count;
    to.end = from.end;
    to.broken = from.broken;
  }

  /**
   * The first offset in {@code [from, to)} where a whole record starts as far as its own bytes
   * tell: a length that fits the file, its masked CRC, and the data's masked CRC after it; -1 if
   * none.
   */
  static long firstRecordStart(MemorySegment file, long from, long to) {
    long size = file.byteSize();
    CRC32C crc = new CRC32C();
    for (long p = from; p < to && size - p >= 16; p++) {
      long length = file.get(LONG, p);
      if (length < 0 || length > MAX_RECORD_BYTES || length > size - p - 16 || FramingCrc.maskedOfLong(length) != file.get(INT, p + 8)) {
        continue;
      }
      if (TfRecordReader.maskedCrc32c(crc, file.asSlice(p + 12, length)) == file.get(INT, p + 12 + length)) {
        return p;
      }
    }
    return -1;
  }

  public Path path() {
    return path;
  }

  /** Records indexed. */
  public int count() {
    return offsets.length;
  }

  /** Byte offset of record {@code i}'s header. */
  public long offset(int i) {
    return offsets[i];
  }

  /** Byte offset just past the last record indexed. */
  public long end() {
    return end;
  }

  /**
   * A range of whole records of this file.
   *
   * @param first index of the first record
   * @param count records in the range
   * @param offset byte offset of the first record (give it to {@link TfRecordReader#seek})
   */
  public record Range(int first, int count, long offset) {}

  /**
   * Splits the records into at most {@code parts} contiguous ranges of nearly equal bytes (each at
   * least one record), in file order.
   */
  public List<Range> split(int parts) {
    if (parts < 1) {
      throw new IllegalArgumentException("parts must be at least 1, got " + parts);
    }
    List<Range> ranges = new ArrayList<>();
    int n = offsets.length;
    if (n == 0) {
      return ranges;
    }
    long start = offsets[0];
    long total = end - start;
    int first = 0;
    for (int p = 1; p <= parts && first < n; p++) {
      long target = start + total * p / parts;
      int next = p == parts ? n : Math.max(first + 1, lowerBound(target));
      next = Math.min(next, n);
      ranges.add(new Range(first, next - first, offsets[first]));
      first = next;
    }
    return ranges;
  }

  /** First record whose offset is at or past {@code target}. */
  private int lowerBound(long target) {
    int i = Arrays.binarySearch(offsets, target);
    return i >= 0 ? i : -i - 1;
  }
}

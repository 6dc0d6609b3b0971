package io.tensorslab.tf.example;

import io.tensorslab.tf.TfRecordCompression;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Where each record of one TFRecord file starts (like DALI's {@code tfrecord2idx}): built by
 * walking the framing once, checking every length CRC but no data CRC (that is the reader's job
 * when it reads the record), so a plain file costs one header read per record from the page cache.
 * With it, threads start mid-file ({@link TfRecordReader#seek}) and split a file into ranges of
 * whole records ({@link #split}).
 *
 * <p>Immutable; offsets are of the uncompressed stream. A compressed file is indexed too (its
 * count and offsets are right) but can only be read from the start.
 */
public final class TfRecordIndex {

  private final Path path;
  private final long[] offsets;
  private final long end;

  private TfRecordIndex(Path path, long[] offsets, long end) {
    this.path = path;
    this.offsets = offsets;
    this.end = end;
  }

  /**
   * Indexes the whole of {@code path}, or its first {@code maxRecords}.
   *
   * @throws io.tensorslab.tf.TfRecordException for a cut-off or corrupted header, naming file and record
   */
  public static TfRecordIndex build(Path path, TfRecordCompression compression, long maxRecords) throws IOException {
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

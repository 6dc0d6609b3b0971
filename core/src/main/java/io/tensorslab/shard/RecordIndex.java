package io.tensorslab.shard;

import io.tensorslab.tf.TfRecordCompression;
import io.tensorslab.tf.example.TfRecordIndex;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The global rows of TFRecord inputs read in order, from one walk of their framing
 * ({@link TfRecordIndex} per file: length CRCs checked, no data read, no parsing): each file's
 * record count and the byte offset of
 * every {@code strideRows}-th global row (the chunk starts), so a worker opens the file its share
 * starts in and seeks straight to its first record.
 *
 * <p>Offsets are in the uncompressed stream: for a gzip or zlib file a worker still inflates the
 * part before its start (compressed streams cannot be entered mid-way), but parses none of it.
 * Memory: one {@code long} per chunk. Immutable once built; any thread may read it.
 *
 * {@snippet :
 * RecordIndex index = RecordIndex.scan(files, TfRecordCompression.NONE, Long.MAX_VALUE, 65_536);
 * RecordIndex.Position start = index.position(range.firstRow());
 * }
 */
public final class RecordIndex {

  /** One input: its path as given, size in bytes, first global row and record count (after the limit). */
  public record FileRecords(Path path, long bytes, long firstRow, long records) {}

  /**
   * Where a global row starts: file {@code file} (index into {@link #files()}), its record
   * {@code record} (0-based within the file) at byte {@code offset} of the uncompressed stream.
   * The end of the rows is the position just past the last record.
   */
  public record Position(long row, int file, long record, long offset) {}

  private final List<FileRecords> files;
  private final long rows;
  private final long strideRows;
  /** strideOffsets[k] = offset of global row k*strideRows within its file; stride files say which file. */
  private final long[] strideOffsets;
  private final int[] strideFiles;
  private final Position end;

  private RecordIndex(List<FileRecords> files, long rows, long strideRows, long[] strideOffsets, int[] strideFiles,
      Position end) {
    this.files = List.copyOf(files);
    this.rows = rows;
    this.strideRows = strideRows;
    this.strideOffsets = strideOffsets;
    this.strideFiles = strideFiles;
    this.end = end;
  }

  /**
   * Walks the framing of {@code inputs} in order, up to {@code limit} rows in all.
   *
   * @throws io.tensorslab.tf.TfRecordException a file cut inside a record or with a garbage header,
   *     naming the file and record
   */
  public static RecordIndex scan(List<Path> inputs, TfRecordCompression compression, long limit, long strideRows)
      throws IOException {
    if (strideRows < 1) {
      throw new IllegalArgumentException("stride rows must be >= 1, got " + strideRows);
    }
    if (limit < 0) {
      throw new IllegalArgumentException("limit must be >= 0, got " + limit);
    }
    List<FileRecords> files = new ArrayList<>(inputs.size());
    long[] offsets = new long[16];
    int[] fileOf = new int[16];
    int strides = 0;
    long row = 0;
    Position end = new Position(0, 0, 0, 0);
    for (int f = 0; f < inputs.size(); f++) {
      Path p = inputs.get(f);
      long firstRow = row;
      // One file's full index at a time: 8 bytes a record while it is walked, then only its chunk starts.
      TfRecordIndex file = row < limit ? TfRecordIndex.build(p, compression, limit - row) : null;
      int records = file == null ? 0 : file.count();
      for (long k = firstStride(firstRow, strideRows); k < firstRow + records; k += strideRows) {
        if (strides == offsets.length) {
          offsets = Arrays.copyOf(offsets, strides * 2);
          fileOf = Arrays.copyOf(fileOf, strides * 2);
        }
        offsets[strides] = file.offset(Math.toIntExact(k - firstRow));
        fileOf[strides] = f;
        strides++;
      }
      row += records;
      files.add(new FileRecords(p, Files.size(p), firstRow, records));
      if (records > 0) {
        end = new Position(row, f, records, file.end());
      }
    }
    return new RecordIndex(files, row, strideRows, Arrays.copyOf(offsets, strides), Arrays.copyOf(fileOf, strides),
        end);
  }

  /** The first multiple of {@code stride} at or after {@code row}. */
  private static long firstStride(long row, long stride) {
    return (row + stride - 1) / stride * stride;
  }

  /** The inputs in order, each with its record count. */
  public List<FileRecords> files() {
    return files;
  }

  /** Global rows: records of all files, at most the limit. */
  public long rows() {
    return rows;
  }

  /** Rows between two indexed positions (the chunk rows the index was built for). */
  public long strideRows() {
    return strideRows;
  }

  /**
   * Where global row {@code row} starts. {@code row} must be a multiple of {@link #strideRows()}
   * below {@link #rows()}, or {@link #rows()} itself (the end).
   */
  public Position position(long row) {
    if (row == rows) {
      return end;
    }
    if (row < 0 || row > rows || row % strideRows != 0) {
      throw new IllegalArgumentException("row " + row + " is not indexed: expected a multiple of " + strideRows
          + " below " + rows + ", or " + rows);
    }
    int k = Math.toIntExact(row / strideRows);
    int f = strideFiles[k];
    return new Position(row, f, row - files.get(f).firstRow(), strideOffsets[k]);
  }
}

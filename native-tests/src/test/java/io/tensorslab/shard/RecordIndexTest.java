package io.tensorslab.shard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorslab.testutil.TfRecordWriter;
import io.tensorslab.testutil.TfRecordWriter.Compression;
import io.tensorslab.tf.TfRecordCompression;
import io.tensorslab.tf.TfRecordException;
import io.tensorslab.tf.example.TfRecordReader;
import java.lang.foreign.ValueLayout;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The framing index every shard worker builds alone: counts, and offsets that land on records. */
class RecordIndexTest {

  @TempDir
  Path dir;

  /** Records of varying size, each naming its global row, so an offset can be checked by reading there. */
  private static List<byte[]> records(int first, int count) {
    List<byte[]> records = new ArrayList<>();
    for (int i = first; i < first + count; i++) {
      records.add(TfRecordWriter.example().int64s("row", i).floats("pad", new float[i % 7]).toByteArray());
    }
    return records;
  }

  private List<Path> inputs(int... counts) {
    List<Path> files = new ArrayList<>();
    int row = 0;
    for (int f = 0; f < counts.length; f++) {
      files.add(TfRecordWriter.write(dir.resolve(f + ".tfrecord"), Compression.NONE, records(row, counts[f])));
      row += counts[f];
    }
    return files;
  }

  /** The record at {@code offset} of {@code file}, read with the framing reader from there on. */
  private static byte[] recordAt(Path file, long offset) throws IOException {
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
      raf.seek(offset);
      byte[] header = new byte[12];
      raf.readFully(header);
      long length = java.nio.ByteBuffer.wrap(header).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong(0);
      byte[] data = new byte[(int) length];
      raf.readFully(data);
      return data;
    }
  }

  @Test
  void everyChunkStartPointsAtItsRecordAcrossFiles() throws IOException {
    // 0 records in the third file: a chunk start never points into an empty file
    List<Path> files = inputs(7, 5, 0, 9);
    RecordIndex index = RecordIndex.scan(files, TfRecordCompression.NONE, Long.MAX_VALUE, 3);
    assertEquals(21, index.rows());
    assertEquals(List.of(7L, 5L, 0L, 9L), index.files().stream().map(RecordIndex.FileRecords::records).toList());
    assertEquals(List.of(0L, 7L, 12L, 12L), index.files().stream().map(RecordIndex.FileRecords::firstRow).toList());
    List<byte[]> all = records(0, 21);
    for (long row = 0; row < 21; row += 3) {
      RecordIndex.Position p = index.position(row);
      assertEquals(row - index.files().get(p.file()).firstRow(), p.record());
      assertArrayEquals(all.get((int) row), recordAt(files.get(p.file()), p.offset()), "row " + row);
    }
    RecordIndex.Position end = index.position(21);
    assertEquals(new RecordIndex.Position(21, 3, 9, files.get(3).toFile().length()), end);
  }

  @Test
  void limitStopsTheScanAndTheCountsFollowIt() throws IOException {
    List<Path> files = inputs(7, 5);
    RecordIndex index = RecordIndex.scan(files, TfRecordCompression.NONE, 9, 4);
    assertEquals(9, index.rows());
    assertEquals(List.of(7L, 2L), index.files().stream().map(RecordIndex.FileRecords::records).toList());
    assertEquals(1, index.position(8).file());
    assertEquals(new RecordIndex.Position(9, 1, 2, TfRecordWriter.recordOffset(records(7, 5), 2)), index.position(9));
  }

  @Test
  void compressedOffsetsAreInTheUncompressedStream() throws IOException {
    List<byte[]> recs = records(0, 10);
    Path gz = TfRecordWriter.write(dir.resolve("a.tfrecord.gz"), Compression.GZIP, recs);
    RecordIndex index = RecordIndex.scan(List.of(gz), TfRecordCompression.GZIP, Long.MAX_VALUE, 4);
    assertEquals(TfRecordWriter.recordOffset(recs, 8), index.position(8).offset());
    try (TfRecordReader r = TfRecordReader.open(gz, TfRecordCompression.GZIP)) {
      for (int i = 0; i <= 8; i++) {
        r.next();
      }
      assertEquals(index.position(8).offset(), r.recordOffset());
      assertArrayEquals(recs.get(8), r.record().toArray(ValueLayout.JAVA_BYTE));
    }
  }

  @Test
  void rowsBetweenChunkStartsAreNotIndexed() throws IOException {
    RecordIndex index = RecordIndex.scan(inputs(10), TfRecordCompression.NONE, Long.MAX_VALUE, 4);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> index.position(5));
    assertEquals("row 5 is not indexed: expected a multiple of 4 below 10, or 10", e.getMessage());
  }

  @Test
  void aFileCutInsideARecordIsNamed() {
    Path cut = TfRecordWriter.writeTruncated(dir.resolve("cut.tfrecord"), Compression.NONE, records(0, 6), 4, 5);
    TfRecordException e = assertThrows(TfRecordException.class,
        () -> RecordIndex.scan(List.of(cut), TfRecordCompression.NONE, Long.MAX_VALUE, 2));
    assertTrue(e.getMessage().contains("path=" + cut) && e.getMessage().contains("record=4"), e.getMessage());
  }

  @Test
  void emptyInputsHaveNoRowsAndAnEnd() throws IOException {
    RecordIndex index = RecordIndex.scan(inputs(0, 0), TfRecordCompression.NONE, Long.MAX_VALUE, 4);
    assertEquals(0, index.rows());
    assertEquals(new RecordIndex.Position(0, 0, 0, 0), index.position(0));
  }
}

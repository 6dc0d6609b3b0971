package io.tensorslab.tfrecord;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class TfRecordReaderTest {

  @TempDir
  Path dir;

  private static byte[][] records(int n) {
    byte[][] r = new byte[n][];
    for (int i = 0; i < n; i++) {
      r[i] = new byte[i * 7 % 50];
      Arrays.fill(r[i], (byte) i);
    }
    return r;
  }

  private Path write(String name, TfRecordCompression c, byte[] framed) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    switch (c) {
      case NONE -> out.writeBytes(framed);
      case GZIP -> {
        try (GZIPOutputStream z = new GZIPOutputStream(out)) {
          z.write(framed);
        }
      }
      case ZLIB -> {
        try (DeflaterOutputStream z = new DeflaterOutputStream(out)) {
          z.write(framed);
        }
      }
    }
    Path p = dir.resolve(name);
    Files.write(p, out.toByteArray());
    return p;
  }

  @ParameterizedTest
  @EnumSource(TfRecordCompression.class)
  void readsEveryRecordWithItsOffset(TfRecordCompression c) throws Exception {
    byte[][] recs = records(40);
    Path p = write("a", c, Wire.frame(recs));
    try (TfRecordReader r = TfRecordReader.open(p, c)) {
      long offset = 0;
      for (int i = 0; i < recs.length; i++) {
        assertTrue(r.next());
        assertEquals(i, r.recordIndex());
        assertEquals(offset, r.recordOffset());
        assertTrue(Arrays.equals(recs[i], r.record().toArray(ValueLayout.JAVA_BYTE)));
        offset += 16 + recs[i].length;
      }
      assertFalse(r.next());
    }
    TfRecordIndex index = TfRecordIndex.build(p, c, Long.MAX_VALUE);
    assertEquals(40, index.count());
  }

  /**
   * The file's bytes read: a plain file's next record offset; a compressed file's compressed bytes,
   * ahead of the records by at most what its buffers hold (random bytes barely compress: only the
   * records' framing does, so the compressed position falls behind by under 1 %), and at the end
   * the file's size. The same records, read ahead on a thread of its own or not.
   */
  @ParameterizedTest
  @org.junit.jupiter.params.provider.CsvSource({"NONE,false", "GZIP,false", "GZIP,true", "ZLIB,false", "ZLIB,true"})
  void fileBytesReadFollowsTheRecordsToTheFilesSize(TfRecordCompression c, boolean inflateAhead) throws Exception {
    java.util.Random random = new java.util.Random(3);
    byte[][] recs = new byte[1000][2000];
    for (byte[] r : recs) {
      random.nextBytes(r);
    }
    Path p = write("random", c, Wire.frame(recs));
    long size = Files.size(p);
    // Compressed: 8 KiB in the file's buffer, 64 KiB in the inflater's, and what was inflated but
    // not yet returned: 64 KiB, or three chunks read ahead.
    long mostAhead = (inflateAhead ? 72 << 10 : 136 << 10) + (inflateAhead ? 3L * ReadAheadInput.CHUNK_BYTES : 0) + 1024;
    try (TfRecordReader r = TfRecordReader.open(p, c, inflateAhead)) {
      long last = r.fileBytesRead();
      boolean partWay = false;
      int i = 0;
      while (r.next()) {
        assertTrue(Arrays.equals(recs[i++], r.record().toArray(ValueLayout.JAVA_BYTE)), "record " + (i - 1));
        long read = r.fileBytesRead();
        assertTrue(read >= last, "never goes back: " + read + " after " + last);
        last = read;
        partWay |= read < size;
        if (c == TfRecordCompression.NONE) {
          assertEquals(r.nextOffset(), read);
        } else {
          long ahead = read - r.nextOffset();
          assertTrue(ahead > -(8 << 10) && ahead <= mostAhead,
              "compressed bytes read " + read + " against the stream's offset " + r.nextOffset());
        }
      }
      assertEquals(recs.length, i);
      assertTrue(partWay, "less than the whole file before the end");
      assertEquals(size, r.fileBytesRead(), "the whole file at the end");
    }
  }

  @Test
  void indexSplitsIntoWholeRecordRangesThatSeekReads() throws Exception {
    byte[][] recs = records(101);
    Path p = write("a", TfRecordCompression.NONE, Wire.frame(recs));
    TfRecordIndex index = TfRecordIndex.build(p, TfRecordCompression.NONE, Long.MAX_VALUE);
    for (int parts : new int[] {1, 2, 3, 7, 200}) {
      List<TfRecordIndex.Range> ranges = index.split(parts);
      List<byte[]> seen = new ArrayList<>();
      int expectedFirst = 0;
      for (TfRecordIndex.Range range : ranges) {
        assertEquals(expectedFirst, range.first());
        assertTrue(range.count() > 0);
        try (TfRecordReader r = TfRecordReader.open(p, TfRecordCompression.NONE)) {
          r.seek(range.first(), range.offset());
          for (int i = 0; i < range.count(); i++) {
            assertTrue(r.next());
            assertEquals(range.first() + i, r.recordIndex());
            seen.add(r.record().toArray(ValueLayout.JAVA_BYTE));
          }
        }
        expectedFirst += range.count();
      }
      assertEquals(101, seen.size(), "parts=" + parts);
      assertTrue(ranges.size() <= parts);
      for (int i = 0; i < recs.length; i++) {
        assertTrue(Arrays.equals(recs[i], seen.get(i)));
      }
    }
  }

  @ParameterizedTest
  @EnumSource(TfRecordCompression.class)
  void badDataChecksumNamesFileRecordAndOffset(TfRecordCompression c) throws Exception {
    byte[] framed = Wire.frame(records(3));
    framed[16 + 7 + 12 + 3] ^= 1; // a data byte of record 1 (record 0 has 0 bytes)
    Path p = write("bad", c, framed);
    try (TfRecordReader r = TfRecordReader.open(p, c)) {
      assertTrue(r.next());
      TfRecordException e = assertThrows(TfRecordException.class, r::next);
      assertEquals(1, e.record());
      assertEquals(p, e.path());
      assertTrue(e.getMessage().contains("record at byte 16") && e.getMessage().contains("bad data checksum"), e.getMessage());
    }
  }

  @Test
  void fileCutInsideAHeaderFails() throws Exception {
    byte[] framed = Wire.frame(records(2));
    Path p = write("cut", TfRecordCompression.NONE, Arrays.copyOf(framed, framed.length - 5 - 16));
    try (TfRecordReader r = TfRecordReader.open(p, TfRecordCompression.NONE)) {
      assertTrue(r.next());
      TfRecordException e = assertThrows(TfRecordException.class, r::next);
      assertTrue(e.getMessage().contains("truncated file"), e.getMessage());
    }
  }

  @Test
  void readsExamplesAndLocatesABadOne() throws Exception {
    byte[] good = Wire.example(Wire.entry("x", Wire.feature(3, Wire.longsPacked(1, 2))));
    byte[] bad = Wire.example(Wire.entry("x", Wire.feature(3, Wire.longsPacked(1))));
    Path p = write("ex", TfRecordCompression.NONE, Wire.frame(good, good, bad));
    FeatureSelection s = new FeatureSelection(List.of(new FeatureSelection.Wanted("x", WireKind.INT64_LIST, 2, "shape [2]")));
    List<Long> sums = new ArrayList<>();
    TfRecordException e = assertThrows(TfRecordException.class, () -> ExampleRecords.read(p, TfRecordCompression.NONE, s,
        Long.MAX_VALUE, (i, sel) -> sums.add(sel.values(0).longs()[0] + sel.values(0).longs()[1])));
    assertEquals(List.of(3L, 3L), sums);
    assertEquals("cannot read TFRecord input: feature 'x' has 1 value, expected 2 int64 values, shape [2] "
        + "(record at byte " + 2 * (16 + good.length) + ") (path=" + p + ", record=2, feature=x)", e.getMessage());
  }
}

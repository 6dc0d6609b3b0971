package io.tensorslab.tfrecord;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The index walked by several threads in byte regions equals the one-thread walk, errors included. */
class TfRecordIndexTest {

  private static final TfRecordCompression NONE = TfRecordCompression.NONE;

  @TempDir
  Path dir;

  private Path write(String name, byte[] bytes) throws Exception {
    Path p = dir.resolve(name);
    Files.write(p, bytes);
    return p;
  }

  private static byte[][] randomRecords(Random rnd, int n, int maxLength) {
    byte[][] r = new byte[n][];
    for (int i = 0; i < n; i++) {
      r[i] = new byte[rnd.nextInt(maxLength + 1)];
      rnd.nextBytes(r[i]);
    }
    return r;
  }

  private static long[] offsets(TfRecordIndex index) {
    long[] o = new long[index.count() + 1];
    for (int i = 0; i < index.count(); i++) {
      o[i] = index.offset(i);
    }
    o[index.count()] = index.end();
    return o;
  }

  private static void assertSameForAnyRegions(Path p) throws Exception {
    long[] one = offsets(TfRecordIndex.build(p, NONE, Long.MAX_VALUE));
    for (int threads : new int[] {2, 3, 7, 16}) {
      for (long region : new long[] {512, 4096, 65536}) {
        assertArrayEquals(one, offsets(TfRecordIndex.build(p, NONE, Long.MAX_VALUE, threads, region)),
            "threads=" + threads + " region=" + region);
      }
    }
  }

  @Test
  void framingCrcIsTheJdkCrc32cMasked() {
    Random rnd = new Random(11);
    for (int i = 0; i < 10_000; i++) {
      long v = i < 100 ? i : rnd.nextLong();
      byte[] b = java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(v).array();
      assertEquals(TfRecordReader.maskedCrc32c(b, 8), FramingCrc.maskedOfLong(v), "value " + v);
    }
  }

  @Test
  void regionsGiveTheSameIndexAsOneThread() throws Exception {
    Random rnd = new Random(3);
    assertSameForAnyRegions(write("random", Wire.frame(randomRecords(rnd, 400, 3000))));
    assertSameForAnyRegions(write("empty-records", Wire.frame(new byte[200][0])));
    assertSameForAnyRegions(write("one", Wire.frame(new byte[][] {new byte[10]})));
    byte[][] huge = randomRecords(rnd, 6, 0);
    for (int i = 0; i < huge.length; i++) {
      huge[i] = new byte[40_000 + i]; // records far longer than a region: no region finds a start of its own
    }
    assertSameForAnyRegions(write("huge", Wire.frame(huge)));
  }

  @Test
  void aFramedRecordStoredInsideARecordIsNeverTakenForAStart() throws Exception {
    // Every record's data is itself a TFRecord stream, so scanning from any byte finds frames whose
    // CRCs match but that are not records of this file.
    Random rnd = new Random(5);
    byte[][] outer = new byte[300][];
    for (int i = 0; i < outer.length; i++) {
      outer[i] = Wire.frame(randomRecords(rnd, 1 + rnd.nextInt(4), 300));
    }
    Path p = write("nested", Wire.frame(outer));
    assertSameForAnyRegions(p);

    // The test means something only if a scan does land on such a false start.
    long[] truth = offsets(TfRecordIndex.build(p, NONE, Long.MAX_VALUE));
    int falseStarts = 0;
    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ); Arena arena = Arena.ofConfined()) {
      MemorySegment file = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
      for (long from = 1; from < file.byteSize(); from += 997) {
        long start = TfRecordIndex.firstRecordStart(file, from, file.byteSize());
        if (start >= 0 && Arrays.binarySearch(truth, start) < 0) {
          falseStarts++;
        }
      }
    }
    assertTrue(falseStarts > 10, "false starts seen: " + falseStarts);
  }

  @Test
  void aBadHeaderFailsWithTheOneThreadErrorInEveryRegion() throws Exception {
    Random rnd = new Random(9);
    byte[] framed = Wire.frame(randomRecords(rnd, 300, 2000));
    long[] truth = offsets(TfRecordIndex.build(write("good", framed), NONE, Long.MAX_VALUE));
    for (int bad : new int[] {0, 1, 77, 150, 298, 299}) {
      byte[] broken = framed.clone();
      broken[(int) truth[bad] + 9] ^= 0x40; // the length CRC of record `bad`
      Path p = write("bad-" + bad, broken);
      String expected = assertThrows(TfRecordException.class, () -> TfRecordIndex.build(p, NONE, Long.MAX_VALUE))
          .getMessage();
      assertTrue(expected.contains("record " + bad) || expected.contains("record=" + bad), expected);
      for (int threads : new int[] {2, 5}) {
        TfRecordException e = assertThrows(TfRecordException.class,
            () -> TfRecordIndex.build(p, NONE, Long.MAX_VALUE, threads, 4096));
        assertEquals(expected, e.getMessage(), "threads=" + threads);
      }
    }
    Path cut = write("cut", Arrays.copyOf(framed, framed.length - 3));
    String expected = assertThrows(TfRecordException.class, () -> TfRecordIndex.build(cut, NONE, Long.MAX_VALUE))
        .getMessage();
    assertEquals(expected, assertThrows(TfRecordException.class,
        () -> TfRecordIndex.build(cut, NONE, Long.MAX_VALUE, 4, 4096)).getMessage());
  }

  @Test
  void aLimitStopsTheWalkBeforeABadHeaderAfterIt() throws Exception {
    byte[][] recs = randomRecords(new Random(1), 20, 100);
    byte[] framed = Wire.frame(recs);
    long tenth = 0;
    for (int i = 0; i < 10; i++) {
      tenth += 16 + recs[i].length;
    }
    framed[(int) tenth + 9] ^= 1; // record 10's length CRC
    Path p = write("limited", framed);
    TfRecordIndex index = TfRecordIndex.build(p, NONE, 10, 4);
    assertEquals(10, index.count());
    assertEquals(tenth, index.end());
    assertThrows(TfRecordException.class, () -> TfRecordIndex.build(p, NONE, 11, 4));
  }

  /** Counted stretch by stretch, the records and the stops are the index's, whatever the stretch; a bad header is the reader's error. */
  @Test
  void aCounterCountsToTheIndexRecordStartsAndFailsAsTheIndex() throws Exception {
    byte[] framed = Wire.frame(randomRecords(new Random(5), 400, 3000));
    Path p = write("counted", framed);
    long[] truth = offsets(TfRecordIndex.build(p, NONE, Long.MAX_VALUE));
    for (long stretch : new long[] {1, 777, 4096, 1 << 20}) {
      try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
        TfRecordIndex.Counter counter = new TfRecordIndex.Counter(p, ch);
        assertEquals(0, counter.position());
        while (counter.position() < framed.length) {
          long stop = counter.position() + stretch;
          counter.countTo(stop);
          int at = (int) counter.records();
          assertEquals(truth[at], counter.position(), "stretch " + stretch);
          assertTrue(counter.position() >= Math.min(stop, framed.length) && (at == 0 || truth[at - 1] < stop),
              "stops at the first record start at or past " + stop);
        }
        assertEquals(truth.length - 1, counter.records());
      }
    }
    byte[] broken = framed.clone();
    broken[(int) truth[250] + 9] ^= 0x40; // the length CRC of record 250
    Path bad = write("counted-bad", broken);
    String expected = assertThrows(TfRecordException.class, () -> TfRecordIndex.build(bad, NONE, Long.MAX_VALUE))
        .getMessage();
    try (FileChannel ch = FileChannel.open(bad, StandardOpenOption.READ)) {
      TfRecordIndex.Counter counter = new TfRecordIndex.Counter(bad, ch);
      counter.countTo(truth[100]);
      assertEquals(100, counter.records());
      assertEquals(expected, assertThrows(TfRecordException.class, () -> counter.countTo(framed.length)).getMessage());
    }
  }
}

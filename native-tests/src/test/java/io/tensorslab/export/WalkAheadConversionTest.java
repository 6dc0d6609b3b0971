package io.tensorslab.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorslab.slab.TemporaryFiles;
import io.tensorslab.testutil.TfRecordWriter;
import io.tensorslab.testutil.TfRecordWriter.Compression;
import io.tensorslab.tfrecord.FeatureSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fixed features converted without an index: plain files on two threads (the walk-ahead plan),
 * and any files on one thread or one compressed file on any (in file order). The same bytes as an
 * indexed conversion (three threads), whether the second thread split the file or the first
 * reached its end alone. Records of several lengths (int64 values of 1 to 9 bytes), and each
 * range's rows cut out of its staging windows.
 */
class WalkAheadConversionTest {

  @TempDir
  Path dir;

  private Path input(int records) {
    return input(records, 0, Compression.NONE);
  }

  private Path input(int records, int first, Compression compression) {
    List<byte[]> bytes = new ArrayList<>();
    for (int i = first; i < first + records; i++) {
      float[] x = new float[24];
      for (int j = 0; j < x.length; j++) {
        x[j] = i * 0.5f + j;
      }
      bytes.add(TfRecordWriter.example().floats("x", x).int64s("id", (long) i * i * i * 7919).toByteArray());
    }
    String suffix = switch (compression) {
      case GZIP -> ".tfrecord.gz";
      case ZLIB -> ".tfrecord.zz";
      case NONE -> ".tfrecord";
    };
    return TfRecordWriter.write(dir.resolve("in-" + first + "-" + records + suffix), compression, bytes);
  }

  private static ExportResult convert(Path in, Path out, int threads, ExportListener listener) throws Exception {
    return convert(List.of(in), out, threads, listener);
  }

  private static ExportResult convert(List<Path> in, Path out, int threads, ExportListener listener)
      throws Exception {
    return convert(in, out, threads, listener, null);
  }

  private static ExportResult convert(List<Path> in, Path out, int threads, ExportListener listener,
      Cancellation cancellation) throws Exception {
    return TfRecordConversion.builder().inputs(in)
        .features(FeatureSpec.parseAll(List.of("x:float32:4,6", "id:int64:"))).threads(threads).to(out).build()
        .run(listener, cancellation);
  }

  /**
   * A listener that holds the thread making the first report (at row 4096) for 300 ms: the first
   * writer's, unless the second has split off already; meanwhile the second counts far past the
   * first's reservation. Every report is then passed on to {@code then}.
   */
  private static ExportListener holdingTheFirstWriter(ExportListener then) {
    return p -> {
      if (p.rows() == 4096) {
        try {
          Thread.sleep(300);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      then.onBatch(p);
    };
  }

  private static void assertSameArrays(Path expected, Path actual) throws Exception {
    for (String name : List.of("x.npy", "id.npy")) {
      assertArrayEquals(Files.readAllBytes(expected.resolve(name)), Files.readAllBytes(actual.resolve(name)),
          name + " differs from the indexed conversion's");
    }
  }

  /**
   * The first writer's progress listener holds it for a while after its first 4096 rows, so the
   * second thread counts past it meanwhile and always splits: two ranges (the manifest's batches).
   * The listener is told of no total until the last report, which gives it, and of every row;
   * meanwhile the share of the input parsed grows, to 1 at the end. The indexed conversion tells
   * its total from the start and no input share.
   */
  @Test
  void aSplitFileIsTheIndexedConversionsBytes() throws Exception {
    Path in = input(20_000);
    List<ExportProgress> indexedReports = new CopyOnWriteArrayList<>();
    try (ExportResult indexed = convert(in, dir.resolve("indexed"), 3, indexedReports::add)) {
      assertEquals(3, indexed.batches());
    }
    assertTrue(indexedReports.stream().allMatch(p -> p.expectedRows() == 20_000 && p.inputFraction() == -1),
        "the indexed plan knows its rows ahead: " + indexedReports.getFirst());
    AtomicLong lastRows = new AtomicLong();
    AtomicLong totals = new AtomicLong(Long.MIN_VALUE);
    AtomicLong lastTotal = new AtomicLong();
    List<ExportProgress> reports = new CopyOnWriteArrayList<>();
    ExportListener slowFirst = holdingTheFirstWriter(p -> {
      reports.add(p);
      lastRows.set(p.rows());
      lastTotal.set(p.expectedRows());
      if (p.rows() < 20_000) {
        totals.accumulateAndGet(p.expectedRows(), Math::max);
      }
    });
    try (ExportResult split = convert(in, dir.resolve("split"), 2, slowFirst)) {
      assertEquals(20_000, split.rows());
      assertEquals(2, split.batches(), "the second thread split the file");
    }
    assertEquals(20_000, lastRows.get());
    assertEquals(-1, totals.get(), "no total before the end");
    assertEquals(20_000, lastTotal.get(), "the last report's total");
    long size = Files.size(in);
    assertTrue(reports.stream().allMatch(p -> p.inputBytes() == size), "every report gives the input's size");
    for (int i = 1; i < reports.size(); i++) {
      assertTrue(reports.get(i).inputBytesRead() >= reports.get(i - 1).inputBytesRead(), "the input read never goes back");
    }
    List<ExportProgress> before = reports.subList(0, reports.size() - 1);
    assertTrue(before.stream().anyMatch(p -> p.inputFraction() > 0 && p.inputFraction() < 1),
        "a share of the input between 0 and 1 before the end");
    // Each report counts the records read, so bytes and rows go together, within the spread of the
    // records' lengths (their int64 takes 1 to 9 bytes of about 140).
    assertTrue(before.stream().allMatch(p -> Math.abs(p.inputFraction() - p.rows() / 20_000.0) < 0.06),
        "the share read is about the share of rows written: " + before);
    assertEquals(1.0, reports.getLast().inputFraction(), "all of the input by the last report");
    assertSameArrays(dir.resolve("indexed"), dir.resolve("split"));
    assertTrue(Files.readString(dir.resolve("split").resolve("manifest.json")).contains("\"batches\": 2,"));
  }

  /** A file within the first writer's first reservation cannot be split: it writes every row alone. */
  @Test
  void aFileTheFirstWriterReservesWholeIsWrittenByItAlone() throws Exception {
    Path in = input(20);
    assertTrue(Files.size(in) < 4096, "smaller than the least reservation step");
    try (ExportResult indexed = convert(in, dir.resolve("indexed"), 3, null);
        ExportResult alone = convert(in, dir.resolve("alone"), 2, null)) {
      assertEquals(20, alone.rows());
      assertEquals(1, alone.batches());
    }
    assertSameArrays(dir.resolve("indexed"), dir.resolve("alone"));
  }

  /**
   * In file order: four plain files (one empty) on one thread, and one gzip file on two threads (its index
   * would inflate the stream once more); each file is one range, its rows after the last one's.
   */
  @Test
  void filesInOrderAreTheIndexedConversionsBytes() throws Exception {
    List<Path> plain = List.of(input(7_000, 0, Compression.NONE), input(0, 7_000, Compression.NONE),
        input(1, 7_000, Compression.NONE), input(5_000, 7_001, Compression.NONE));
    try (ExportResult indexed = convert(plain, dir.resolve("indexed"), 3, null);
        ExportResult inOrder = convert(plain, dir.resolve("in-order"), 1, null)) {
      assertEquals(12_001, inOrder.rows());
      assertEquals(3, inOrder.batches(), "one range per file that holds records");
    }
    assertSameArrays(dir.resolve("indexed"), dir.resolve("in-order"));

    Path gzip = input(12_001, 0, Compression.GZIP);
    Path out = dir.resolve("gzip");
    AtomicLong reservedAtFirstReport = new AtomicLong(-1);
    ExportListener watch = p -> reservedAtFirstReport.compareAndSet(-1, temporarySize(out, "x.npy"));
    try (ExportResult one = convert(List.of(gzip), out, 2, watch)) {
      assertEquals(12_001, one.rows());
      assertEquals(1, one.batches());
    }
    assertSameArrays(dir.resolve("indexed"), out);
    // The trailer's stream length over the first record's (the shortest here): x.npy is made for
    // every row from the start, not grown from none by doubling.
    assertTrue(reservedAtFirstReport.get() >= 12_001L * 24 * 4,
        "x.npy's temporary file at the first report: " + reservedAtFirstReport.get() + " bytes");
  }

  /**
   * Compressed inputs, whose records are not known ahead, tell how far the conversion is by the
   * compressed bytes read: one GZIP file on two threads (one inflates ahead), two ZLIB files on one
   * (in file order). Every report gives the files' size; the share read grows, stays near the
   * share of rows written (ahead by what the buffers hold: the GZIP file is large enough for that to
   * be under a tenth of it), and is 1 at the end.
   */
  @Test
  void compressedInputsTellTheShareOfTheirCompressedBytesRead() throws Exception {
    List<Path> gzip = List.of(input(200_000, 0, Compression.GZIP));
    List<Path> zlib = List.of(input(30_000, 0, Compression.ZLIB), input(30_000, 30_000, Compression.ZLIB));
    for (List<Path> in : List.of(gzip, zlib)) {
      long records = in.size() == 1 ? 200_000 : 60_000;
      long size = 0;
      for (Path f : in) {
        size += Files.size(f);
      }
      assertTrue(size > 1 << 20, "an input of several times the inflater's buffers: " + size);
      List<ExportProgress> reports = new CopyOnWriteArrayList<>();
      try (ExportResult r = convert(in, dir.resolve("out-" + in.size()), in.size() == 1 ? 2 : 1, reports::add)) {
        assertEquals(records, r.rows());
      }
      long all = size;
      assertTrue(reports.stream().allMatch(p -> p.inputBytes() == all), "every report gives the files' size: " + in);
      for (int i = 1; i < reports.size(); i++) {
        assertTrue(reports.get(i).inputBytesRead() >= reports.get(i - 1).inputBytesRead(), "never goes back");
      }
      List<ExportProgress> before = reports.stream().filter(p -> p.rows() < records).toList();
      assertTrue(before.size() >= 10, "a report every 4096 rows: " + before.size());
      assertTrue(before.stream().allMatch(p -> p.inputFraction() > 0 && p.inputFraction() < 1),
          "a share between 0 and 1 before the last row: " + before);
      assertTrue(before.stream().allMatch(p -> Math.abs(p.inputFraction() - (double) p.rows() / records) < 0.1),
          "the share read is about the share of rows written: " + before);
      assertEquals(1.0, reports.getLast().inputFraction(), "all of the input by the last report");
    }
  }

  /**
   * Several gzip files on two threads: of 8 MiB or more on average they are read in file order, the
   * second thread inflating ahead (no index: no total before the end); smaller ones keep the index
   * (the total known from the first report). The same bytes either way as on three threads, indexed.
   */
  @Test
  void compressedFilesOnTwoThreadsAreReadInOrderWhenLarge() throws Exception {
    java.util.Random random = new java.util.Random(13);
    List<Path> large = new ArrayList<>();
    for (int f = 0; f < 2; f++) {
      List<byte[]> bytes = new ArrayList<>();
      for (int i = 0; i < 90_000; i++) {
        float[] x = new float[24];
        for (int j = 0; j < x.length; j++) {
          x[j] = random.nextFloat();
        }
        bytes.add(TfRecordWriter.example().floats("x", x).int64s("id", random.nextLong()).toByteArray());
      }
      large.add(TfRecordWriter.write(dir.resolve("large-" + f + ".tfrecord.gz"), Compression.GZIP, bytes));
    }
    assertTrue(Files.size(large.get(0)) >= 8 << 20 && Files.size(large.get(1)) >= 8 << 20, "8 MiB or more each");
    List<Path> small = List.of(input(7_000, 0, Compression.GZIP), input(0, 7_000, Compression.GZIP),
        input(5_001, 7_000, Compression.GZIP));
    for (List<Path> in : List.of(large, small)) {
      long rows = in == large ? 180_000 : 12_001;
      String name = in == large ? "large" : "small";
      List<ExportProgress> reports = new CopyOnWriteArrayList<>();
      try (ExportResult indexed = convert(in, dir.resolve(name + "-indexed"), 3, null);
          ExportResult two = convert(in, dir.resolve(name), 2, reports::add)) {
        assertEquals(rows, two.rows());
        assertEquals(2, two.batches(), "one range per file that holds records");
      }
      assertEquals(in == large ? -1 : rows, reports.getFirst().expectedRows(),
          name + ": the total at the first report, known only with an index: " + reports.getFirst());
      assertSameArrays(dir.resolve(name + "-indexed"), dir.resolve(name));
    }
  }

  /** Bytes of the temporary file being written for {@code name} in {@code out}. */
  private static long temporarySize(Path out, String name) {
    try (var files = Files.list(out)) {
      Path t = files.filter(f -> TemporaryFiles.isTemporary(f) && f.getFileName().toString().startsWith("." + name + "."))
          .findFirst().orElseThrow(() -> new AssertionError("no temporary file for " + name + " in " + out));
      return Files.size(t);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /**
   * A conversion without an index, cancelled from its first progress report, fails with the
   * cancellation (not taken for a bad record) and leaves nothing.
   */
  @Test
  void aCancelledConversionFailsAsCancelledAndLeavesNothing() throws Exception {
    Path in = input(20_000);
    for (int threads : new int[] {1, 2}) {
      Cancellation cancel = new Cancellation();
      AtomicLong reports = new AtomicLong();
      Path out = dir.resolve("cancelled-" + threads);
      ExportCancelledException e = assertThrows(ExportCancelledException.class,
          () -> convert(List.of(in), out, threads, p -> {
            reports.incrementAndGet();
            cancel.cancel();
          }, cancel));
      assertTrue(e.getMessage().contains("cancel() was called"), e.getMessage());
      // The first report cancels; a second range writer may have passed its check just before.
      assertTrue(reports.get() >= 1 && reports.get() <= 2, "threads=" + threads + ": " + reports.get() + " reports");
      assertFalse(Files.exists(out), "threads=" + threads);
    }
  }

  /**
   * A conversion of a GZIP file on two threads (one inflating ahead), cancelled from its first
   * report, fails as cancelled, leaves nothing and no thread inflating.
   */
  @Test
  void aCancelledConversionOfCompressedFilesStopsItsInflatingThread() throws Exception {
    List<Path> in = List.of(input(40_000, 0, Compression.GZIP));
    Cancellation cancel = new Cancellation();
    Path out = dir.resolve("cancelled-gzip");
    java.util.concurrent.atomic.AtomicBoolean inflating = new java.util.concurrent.atomic.AtomicBoolean();
    assertThrows(ExportCancelledException.class, () -> convert(in, out, 2, p -> {
      inflating.compareAndSet(false, inflatingThreads() > 0);
      cancel.cancel();
    }, cancel));
    assertTrue(inflating.get(), "a thread inflated ahead while the conversion ran");
    assertFalse(Files.exists(out));
    assertEquals(0, inflatingThreads(), "no thread left inflating");
  }

  private static long inflatingThreads() {
    return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("tensorslab-inflate")).count();
  }

  /**
   * Several plain files (one empty) on two threads are walked ahead as if end to end: the first
   * writer's listener holds it after 4096 rows, so the second splits the rest off and writes on
   * across the files after the split.
   */
  @Test
  void plainFilesOnTwoThreadsAreSplitAsOne() throws Exception {
    List<Path> plain = List.of(input(7_000, 0, Compression.NONE), input(0, 7_000, Compression.NONE),
        input(1, 7_000, Compression.NONE), input(9_000, 7_001, Compression.NONE), input(3_000, 16_001, Compression.NONE));
    try (ExportResult indexed = convert(plain, dir.resolve("indexed"), 3, null)) {
      assertEquals(19_001, indexed.rows());
    }
    List<ExportProgress> reports = new CopyOnWriteArrayList<>();
    try (ExportResult split = convert(plain, dir.resolve("split"), 2, holdingTheFirstWriter(reports::add))) {
      assertEquals(19_001, split.rows());
      long size = 0;
      for (Path p : plain) {
        size += Files.size(p);
      }
      long all = size;
      assertTrue(reports.stream().allMatch(p -> p.inputBytes() == all), "the input is every file's bytes");
      assertEquals(all, reports.getLast().inputBytesRead());
      // Files 0, 2, 3 and 4 hold records; the split cuts one of them in two.
      assertEquals(5, split.batches(), "one range per file with records, one file split in two");
    }
    assertSameArrays(dir.resolve("indexed"), dir.resolve("split"));
  }
}

package io.tensorslab.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorslab.shard.Shard;
import io.tensorslab.store.zarr.ZarrCodec;
import io.tensorslab.store.zarr.ZarrFormat;
import io.tensorslab.store.zarr.ZarrStoreFormat;
import io.tensorslab.tfrecord.FeatureSpec;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link TfRecordConversion} for {@code tf.train.SequenceExample} records, as a library user (or the
 * Spark job) meets it: what it converts, with a limit, and what it refuses — each one
 * {@link IllegalArgumentException} saying what to do, before anything is written.
 */
class SequenceConversionTest {

  @TempDir
  Path dir;

  private static Path fixture() {
    try {
      return Path.of(SequenceConversionTest.class.getResource("/fixtures/sequence/seq.tfrecord").toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  private TfRecordConversion.Builder builder() {
    return TfRecordConversion.builder().inputs(List.of(fixture())).to(dir.resolve("out"))
        .features(FeatureSpec.parseAll(List.of("id:int64:")))
        .sequenceFeatures(FeatureSpec.parseAll(List.of("tokens:int64:*", "frames:float32:3")));
  }

  @Test
  void convertsTheFirstRecordsWithALimit() throws Exception {
    TfRecordConversion c = builder().limit(5).build();
    assertTrue(c.sequence());
    assertEquals(TfRecordConversion.Engine.NATIVE, c.engine());
    try (ExportResult r = c.run()) {
      assertEquals(5, r.rows());
      assertEquals(List.of("id", "tokens.values", "tokens.row_splits", "tokens.step_splits", "frames.values",
          "frames.row_splits"), r.arrays().stream().map(ExportedArray::name).toList());
      ExportedArray rowSplits = r.arrays().get(2);
      assertEquals(6, rowSplits.shape()[0], "records + 1");
      ExportedArray frames = r.arrays().get(4);
      assertEquals(3, frames.shape()[1], "one row of 3 values per step");
    }
  }

  @Test
  void reportsProgressAndStopsWhenCancelled() throws Exception {
    List<ExportProgress> seen = new java.util.ArrayList<>();
    try (ExportResult r = builder().threads(2).build().run(seen::add, null)) {
      assertEquals(300, r.rows());
      assertEquals(2, r.batches(), "one range per thread");
    }
    assertEquals(2, seen.size(), "300 records in 2 ranges: each range's final report only");
    assertTrue(seen.getFirst().rows() > 0 && seen.getFirst().rows() < 300, seen.getFirst().toString());
    assertEquals(300, seen.getLast().rows());
    assertEquals(300, seen.getLast().expectedRows());
    assertTrue(seen.getLast().bytes() > seen.getFirst().bytes());
    Cancellation cancel = new Cancellation();
    cancel.cancel();
    assertThrows(ExportCancelledException.class, () -> builder().to(dir.resolve("cancelled")).build().run(null, cancel));
    assertFalse(Files.exists(dir.resolve("cancelled")));
  }

  /**
   * The engine's ranges on 2 and 3 threads write the bytes one thread writes: every value, row split
   * and step split placed where the count pass said, whichever thread wrote its range.
   */
  @Test
  void threadsWriteTheBytesOfOneThread() throws Exception {
    ZarrStoreFormat zarr = new ZarrStoreFormat(ZarrFormat.V2, 64, ZarrCodec.parse("none"), 1);
    for (io.tensorslab.store.StoreFormat format : List.of(io.tensorslab.store.StoreFormat.NPY, zarr)) {
      java.util.Map<Integer, java.util.Map<Path, byte[]>> filesByThreads = new java.util.TreeMap<>();
      for (int threads : new int[] {1, 2, 3}) {
        Path out = dir.resolve(format + "-" + threads);
        try (ExportResult r = builder().format(format).threads(threads).to(out).build().run()) {
          assertEquals(300, r.rows());
          assertEquals(threads, r.batches(), "one range per thread");
        }
        filesByThreads.put(threads, contentsWithoutTimings(out));
      }
      java.util.Map<Path, byte[]> one = filesByThreads.get(1);
      assertTrue(one.keySet().contains(Path.of(format == zarr ? "tokens.step_splits/.zarray"
          : "tokens.step_splits.npy")), one.keySet().toString());
      for (int threads : new int[] {2, 3}) {
        java.util.Map<Path, byte[]> other = filesByThreads.get(threads);
        assertEquals(one.keySet(), other.keySet(), format + " on " + threads + " threads");
        for (Path file : one.keySet()) {
          assertTrue(java.util.Arrays.equals(one.get(file), other.get(file)),
              file + " differs on " + threads + " threads (" + format + ")");
        }
      }
    }
  }

  /**
   * Every file below {@code root} by its relative path; the manifest and the Zarr root attributes
   * (which hold it) left out: they record the time taken and the ranges read.
   */
  private static java.util.Map<Path, byte[]> contentsWithoutTimings(Path root) throws java.io.IOException {
    java.util.Map<Path, byte[]> files = new java.util.TreeMap<>();
    try (var walk = Files.walk(root)) {
      for (Path p : walk.filter(Files::isRegularFile).toList()) {
        String name = p.getFileName().toString();
        if (!name.equals("manifest.json") && !(p.getParent().equals(root) && name.equals(".zattrs"))) {
          files.put(root.relativize(p), Files.readAllBytes(p));
        }
      }
    }
    return files;
  }

  @Test
  void refusesWhatItCannotDoBeforeWriting() throws Exception {
    ZarrStoreFormat zarr = new ZarrStoreFormat(ZarrFormat.V2, 0, ZarrCodec.parse("none"), 1);
    TfRecordConversion sharded = builder().format(zarr).build();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> sharded.runShard(new Shard(0, 2), true));
    assertTrue(e.getMessage().contains("shards of tf.train.SequenceExample records are not supported"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> sharded.prepareShards(2));
    e = assertThrows(IllegalArgumentException.class,
        () -> builder().engine(TfRecordConversion.Engine.TENSORFLOW).build());
    assertTrue(e.getMessage().contains("use the native engine"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> builder().varLen(TfRecordConversion.VarLen.PAD).build());
    assertTrue(e.getMessage().contains("written ragged only"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> builder()
        .sequenceFeatures(FeatureSpec.parseAll(List.of("frames:image:2,2,3"))).build());
    assertTrue(e.getMessage().contains("image is not supported in a tf.train.SequenceExample"), e.getMessage());
    assertFalse(Files.exists(dir.resolve("out")));
    // Nothing named: records holding feature lists are found to be SequenceExamples, not refused.
    assertTrue(TfRecordConversion.builder().inputs(List.of(fixture())).to(dir.resolve("out")).build().sequence());
    assertFalse(Files.exists(dir.resolve("out")), "build() writes nothing");
  }
}

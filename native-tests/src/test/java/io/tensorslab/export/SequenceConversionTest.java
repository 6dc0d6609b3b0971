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
    try (ExportResult r = builder().build().run(seen::add, null)) {
      assertEquals(300, r.rows());
    }
    assertEquals(1, seen.size(), "300 records: the final report only");
    assertEquals(300, seen.getFirst().rows());
    assertEquals(300, seen.getFirst().expectedRows());
    assertTrue(seen.getFirst().bytes() > 0);
    Cancellation cancel = new Cancellation();
    cancel.cancel();
    assertThrows(ExportCancelledException.class, () -> builder().to(dir.resolve("cancelled")).build().run(null, cancel));
    assertFalse(Files.exists(dir.resolve("cancelled")));
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

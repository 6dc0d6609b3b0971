package io.tensorslab.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorslab.export.TfRecordConversion;
import io.tensorslab.store.zarr.ZarrCodec;
import io.tensorslab.store.zarr.ZarrFormat;
import io.tensorslab.store.zarr.ZarrStoreFormat;
import io.tensorslab.testutil.StoreFiles;
import io.tensorslab.testutil.TfRecordWriter;
import io.tensorslab.testutil.TfRecordWriter.Compression;
import io.tensorslab.tfrecord.FeatureSpec;
import io.tensorslab.tfrecord.TfRecordCompression;
import io.tensorslab.tfrecord.TfRecordException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Shards written one after another or all at once give the same store, file for file, as one
 * shard, and that store holds the input's values (read back from raw v2 chunks, independently of
 * the writer). zarr-python and Dask read such stores in the command's tests.
 */
class ShardConversionTest {

  @TempDir
  Path dir;

  static final int[] FILE_RECORDS = {13, 0, 9, 21};
  static final int ROWS = 43;
  static final List<FeatureSpec> FEATURES = FeatureSpec.parseAll(
      List.of("x:float32:3", "label:int64:", "tokens:int64:*", "weights:float32:*"));

  /** Row r: x = [r, r+.5, -r], label = 7r, tokens = r%5 values r*10+k, weights = (r*3)%4 values. */
  static List<Path> inputs(Path dir, Compression compression) {
    List<Path> files = new ArrayList<>();
    int row = 0;
    for (int f = 0; f < FILE_RECORDS.length; f++) {
      List<byte[]> records = new ArrayList<>();
      for (int k = 0; k < FILE_RECORDS[f]; k++, row++) {
        long[] tokens = new long[row % 5];
        for (int t = 0; t < tokens.length; t++) {
          tokens[t] = row * 10L + t;
        }
        float[] weights = new float[(row * 3) % 4];
        for (int t = 0; t < weights.length; t++) {
          weights[t] = row + t / 8f;
        }
        TfRecordWriter.ExampleBuilder b = TfRecordWriter.example().floats("x", row, row + .5f, -row)
            .int64s("label", 7L * row).int64s("tokens", tokens);
        if (weights.length > 0 || row % 2 == 0) {
          b.floats("weights", weights); // odd rows without weights leave the feature out: an empty row
        }
        records.add(b.toByteArray());
      }
      files.add(TfRecordWriter.write(dir.resolve(f + ".tfrecord"), compression, records));
    }
    return files;
  }

  private static TfRecordConversion job(List<Path> inputs, Path store, TfRecordCompression compression,
      ZarrFormat format, long chunkRows, int chunksPerFile) throws IOException {
    return job(inputs, store, compression, new ZarrStoreFormat(format, chunkRows, ZarrCodec.NONE, chunksPerFile),
        Long.MAX_VALUE, FEATURES);
  }

  private static TfRecordConversion job(List<Path> inputs, Path store, TfRecordCompression compression,
      ZarrStoreFormat format, long limit, List<FeatureSpec> features) throws IOException {
    return TfRecordConversion.builder().inputs(inputs).compression(compression).features(features).limit(limit)
        .to(store).format(format).durable(false).threads(2).build();
  }

  private void runAll(TfRecordConversion job, int shards) throws IOException {
    for (int i = shards - 1; i >= 0; i--) { // reverse order: the last shard done is shard 0, which then finishes
      TfRecordConversion.ShardOutcome o = job.runShard(new Shard(i, shards), true);
      assertEquals(i == 0, o.storeComplete(), "shard " + i);
    }
  }

  @ParameterizedTest
  @CsvSource({"2, 4", "3, 4", "4, 4", "7, 2", "16, 1", "4, 100"})
  void shardsInTurnEqualOneShard(int shards, long chunkRows) throws IOException {
    List<Path> in = inputs(dir, Compression.NONE);
    Path one = Files.createDirectory(dir.resolve("one"));
    Path many = Files.createDirectory(dir.resolve("many"));
    runAll(job(in, one, TfRecordCompression.NONE, ZarrFormat.V2, chunkRows, 1), 1);
    runAll(job(in, many, TfRecordCompression.NONE, ZarrFormat.V2, chunkRows, 1), shards);
    Map<String, byte[]> expected = StoreFiles.of(one);
    StoreFiles.assertSame(expected, StoreFiles.of(many));
    assertValues(one, chunkRows);
  }

  @Test
  void shardsAtOnceEqualOneShardInV3WithShardFilesAndGzipInput() throws Exception {
    List<Path> in = inputs(dir, Compression.GZIP);
    Path one = Files.createDirectory(dir.resolve("one"));
    Path many = Files.createDirectory(dir.resolve("many"));
    runAll(job(in, one, TfRecordCompression.GZIP, ZarrFormat.V3, 3, 2), 1);
    TfRecordConversion job = job(in, many, TfRecordCompression.GZIP, ZarrFormat.V3, 3, 2);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<TfRecordConversion.ShardOutcome>> runs = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        Shard s = new Shard(i, 4);
        // each worker plans alone, as separate processes do
        runs.add(pool.submit(() -> job.runShard(s, true)));
      }
      long complete = 0;
      for (Future<TfRecordConversion.ShardOutcome> r : runs) {
        complete += r.get().storeComplete() ? 1 : 0;
      }
      assertTrue(complete >= 1, "at least one worker saw every shard done and wrote the metadata");
    } finally {
      pool.shutdownNow();
    }
    StoreFiles.assertSame(StoreFiles.of(one), StoreFiles.of(many));
    assertTrue(ShardLedger.status(many).complete());
  }

  @Test
  void aLimitAndAnEmptyInputShardLikeOneProcess() throws IOException {
    List<Path> in = inputs(dir, Compression.NONE);
    for (long limit : new long[] {0, 1, 30}) {
      Path one = Files.createDirectory(dir.resolve("one-" + limit));
      Path many = Files.createDirectory(dir.resolve("many-" + limit));
      ZarrStoreFormat format = new ZarrStoreFormat(ZarrFormat.V2, 4, ZarrCodec.NONE, 1);
      runAll(job(in, one, TfRecordCompression.NONE, format, limit, FEATURES), 1);
      runAll(job(in, many, TfRecordCompression.NONE, format, limit, FEATURES), 5);
      StoreFiles.assertSame(StoreFiles.of(one), StoreFiles.of(many));
      assertTrue(Files.readString(one.resolve("label/.zarray")).contains("\"shape\": [" + limit + "]"),
          Files.readString(one.resolve("label/.zarray")));
    }
  }

  @Test
  void noMetadataUntilEveryShardIsDoneAndARerunOfADoneShardWritesNothing() throws IOException {
    List<Path> in = inputs(dir, Compression.NONE);
    Path store = Files.createDirectory(dir.resolve("s"));
    TfRecordConversion job = job(in, store, TfRecordCompression.NONE, ZarrFormat.V2, 4, 1);
    job.runShard(new Shard(0, 3), true);
    job.runShard(new Shard(2, 3), true);
    assertFalse(Files.exists(store.resolve(".zgroup")));
    assertFalse(Files.exists(store.resolve("x/.zarray")));
    assertEquals(List.of(1), ShardLedger.status(store).missing());
    TfRecordConversion.ShardOutcome again = job.runShard(new Shard(2, 3), true);
    assertTrue(again.alreadyDone());
    assertFalse(again.storeComplete());
    assertTrue(job.runShard(new Shard(1, 3), true).storeComplete());
    assertTrue(Files.exists(store.resolve(".zgroup")));
    assertValues(store, 4);
  }

  @Test
  void aShardCountDifferentFromTheStoresIsRefusedBeforeWriting() throws IOException {
    List<Path> in = inputs(dir, Compression.NONE);
    Path store = Files.createDirectory(dir.resolve("s"));
    TfRecordConversion job = job(in, store, TfRecordCompression.NONE, ZarrFormat.V2, 4, 1);
    job.runShard(new Shard(1, 4), true);
    Map<String, byte[]> before = StoreFiles.of(store);
    IOException e = assertThrows(IOException.class, () -> job.runShard(new Shard(0, 3), true));
    assertTrue(e.getMessage().startsWith("cannot write shard 0/3: the store is being written as 4 shards, not 3"),
        e.getMessage());
    StoreFiles.assertSame(before, StoreFiles.of(store));
  }

  @Test
  void aBadRecordInTheShareIsNamedByFileAndRecord() throws IOException {
    List<Path> in = new ArrayList<>(inputs(dir, Compression.NONE));
    // file 2's record 4 lacks the fixed feature 'label'
    List<byte[]> records = new ArrayList<>();
    for (int k = 0; k < FILE_RECORDS[2]; k++) {
      TfRecordWriter.ExampleBuilder b = TfRecordWriter.example().floats("x", 1, 2, 3).int64s("tokens");
      if (k != 4) {
        b.int64s("label", 1);
      }
      records.add(b.toByteArray());
    }
    in.set(2, TfRecordWriter.write(dir.resolve("bad.tfrecord"), Compression.NONE, records));
    Path store = Files.createDirectory(dir.resolve("s"));
    TfRecordConversion job = job(in, store, TfRecordCompression.NONE, ZarrFormat.V2, 4, 1);
    TfRecordException e = assertThrows(TfRecordException.class, () -> job.runShard(new Shard(0, 2), true));
    assertEquals(dir.resolve("bad.tfrecord"), e.path());
    assertEquals(4, e.record());
    assertEquals("label", e.feature());
  }

  /**
   * Bytes (|S of the longest value of the whole input), padded rows (the longest row) and raw
   * features shard too: every worker counts the whole input, so each store equals one process's.
   */
  @ParameterizedTest
  @CsvSource({"RAGGED, 2", "RAGGED, 5", "PAD, 3", "PAD, 7"})
  void bytesPaddedAndRawFeaturesShardLikeOneProcess(TfRecordConversion.VarLen varLen, int shards) throws IOException {
    List<byte[]> records = new ArrayList<>();
    for (int r = 0; r < 37; r++) {
      byte[][] words = new byte[r % 4][];
      for (int k = 0; k < words.length; k++) {
        words[k] = ("w" + r + "-" + k).repeat(1 + (r + k) % 3).getBytes(java.nio.charset.StandardCharsets.UTF_8);
      }
      records.add(TfRecordWriter.example().bytes("id", ("id" + r).repeat(1 + r % 5).getBytes(
          java.nio.charset.StandardCharsets.UTF_8)).bytes("words", words).int64s("n", r, -r)
          .bytes("raw", ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(r).putFloat(-r).array())
          .toByteArray());
    }
    List<Path> in = List.of(TfRecordWriter.write(dir.resolve("b.tfrecord"), Compression.NONE, records));
    List<FeatureSpec> features = FeatureSpec.parseAll(List.of("id:bytes:", "words:bytes:*", "n:int64:*",
        "raw:raw-float32:2"));
    ZarrStoreFormat format = new ZarrStoreFormat(ZarrFormat.V3, 3, ZarrCodec.NONE, 2);
    Path one = dir.resolve("one");
    Path many = dir.resolve("many");
    TfRecordConversion.Builder b = TfRecordConversion.builder().inputs(in).features(features).varLen(varLen)
        .format(format).durable(false);
    if (varLen == TfRecordConversion.VarLen.PAD) {
      b.padValue("9");
    }
    try (var result = b.to(one).build().run()) {
      assertEquals(37, result.rows());
    }
    TfRecordConversion sharded = b.to(many).build();
    for (int i = 0; i < shards; i++) {
      sharded.runShard(new Shard(i, shards), true);
    }
    Map<String, byte[]> expected = StoreFiles.of(one);
    Map<String, byte[]> actual = StoreFiles.of(many);
    actual.keySet().removeIf(f -> f.startsWith(".tensorslab"));
    String words = varLen == TfRecordConversion.VarLen.RAGGED ? "words.values/" : "words.lengths/";
    assertTrue(expected.keySet().stream().anyMatch(f -> f.startsWith(words)), expected.keySet().toString());
    StoreFiles.assertSame(expected, actual);
  }

  /** A shard asked of a .npy export, or of image features (TensorFlow decodes them), is refused with the reason. */
  @Test
  void whatCannotShardIsRefusedByTheConversion() throws IOException {
    List<Path> in = inputs(dir, Compression.NONE);
    TfRecordConversion npy = TfRecordConversion.builder().inputs(in).features(FEATURES).to(dir.resolve("o")).build();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> npy.runShard(new Shard(0, 2), true));
    assertEquals("shards write one Zarr store that several workers fill chunk by chunk, not npy files: choose a Zarr "
        + "format", e.getMessage());
    TfRecordConversion images = TfRecordConversion.builder().inputs(in)
        .features(FeatureSpec.parseAll(List.of("x:image:2,2,1"))).to(dir.resolve("o"))
        .format(ZarrStoreFormat.of(ZarrFormat.V2)).build();
    e = assertThrows(IllegalArgumentException.class, () -> images.runShard(new Shard(0, 2), true));
    assertEquals("shards are written by the native reader, which cannot convert feature 'x' (image is decoded by "
        + "TensorFlow); convert these features without shards", e.getMessage());
    assertFalse(Files.exists(dir.resolve("o")), "nothing written");
  }

  /** Reads a v2, uncompressed array's elements back from its raw chunks: chunk k's bytes, in order, cut at the shape. */
  static ByteBuffer rawArray(Path array, long elements, int elementBytes, long chunkElements) throws IOException {
    ByteBuffer all = ByteBuffer.allocate(Math.toIntExact(elements * elementBytes)).order(ByteOrder.LITTLE_ENDIAN);
    for (long k = 0; all.hasRemaining(); k++) {
      byte[] chunk = Files.readAllBytes(array.resolve(k + (elementBytes == 12 ? ".0" : "")));
      all.put(chunk, 0, Math.min(chunk.length, all.remaining()));
    }
    return all.flip();
  }

  /** The store against the generator's values, element by element (v2, no codec). */
  static void assertValues(Path store, long chunkRows) throws IOException {
    ByteBuffer x = rawArray(store.resolve("x"), ROWS, 12, chunkRows);
    ByteBuffer label = rawArray(store.resolve("label"), ROWS, 8, chunkRows);
    ByteBuffer splits = rawArray(store.resolve("tokens.row_splits"), ROWS + 1, 8, chunkRows);
    long tokenCount = 0;
    long weightCount = 0;
    for (int r = 0; r < ROWS; r++) {
      tokenCount += r % 5;
      weightCount += (r * 3) % 4;
    }
    ByteBuffer tokens = rawArray(store.resolve("tokens.values"), tokenCount, 8, chunkRows);
    ByteBuffer wsplits = rawArray(store.resolve("weights.row_splits"), ROWS + 1, 8, chunkRows);
    ByteBuffer weights = rawArray(store.resolve("weights.values"), weightCount, 4, chunkRows);
    long t = 0;
    long w = 0;
    for (int r = 0; r < ROWS; r++) {
      assertEquals(r, x.getFloat(), "x row " + r);
      assertEquals(r + .5f, x.getFloat());
      assertEquals(-r, x.getFloat());
      assertEquals(7L * r, label.getLong());
      assertEquals(t, splits.getLong(), "tokens.row_splits " + r);
      for (int k = 0; k < r % 5; k++, t++) {
        assertEquals(r * 10L + k, tokens.getLong(), "tokens row " + r);
      }
      assertEquals(w, wsplits.getLong(), "weights.row_splits " + r);
      for (int k = 0; k < (r * 3) % 4; k++, w++) {
        assertEquals(r + k / 8f, weights.getFloat(), "weights row " + r);
      }
    }
    assertEquals(t, splits.getLong());
    assertEquals(w, wsplits.getLong());
    String zarray = Files.readString(store.resolve("tokens.values/.zarray"));
    assertTrue(zarray.contains("\"shape\": [" + tokenCount + "]") || zarray.contains("\"shape\":[" + tokenCount + "]"),
        zarray);
  }
}

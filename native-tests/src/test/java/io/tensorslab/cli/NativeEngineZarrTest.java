package io.tensorslab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorslab.store.zarr.ZarrFormat;
import io.tensorslab.testutil.StoreFiles;
import io.tensorslab.testutil.TfRecordWriter;
import io.tensorslab.testutil.TfRecordWriter.Compression;
import io.tensorslab.testutil.ZarrReaders;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code convert --format zarr|zarr3 --engine native} writes the TensorFlow engine's store file for
 * file — every chunk, every {@code .zarray} / {@code .zattrs} / {@code .zgroup} / {@code zarr.json},
 * the root attributes with the manifest — on 1, 2 and 3 threads, whose ranges meet inside chunks
 * and inside shard files; {@code auto} takes the native engine for Zarr; a failed conversion leaves
 * no store.
 */
class NativeEngineZarrTest {
  /**
   * Records of similar size: the native engine's ranges (cut by bytes) split the rows near 500, or
   * near 333 and 666. {@code ZarrRowStoreThreadsTest} pins boundaries inside chunks exactly.
   */
  static final int ROWS = 1_000;
  static final List<String> FEATURES = List.of("img:float32:8,8", "label:int64:", "name:bytes:", "tok:int64:*",
      "w:float32:*", "words:bytes:*");

  @TempDir static Path shared;
  static Path input;

  @BeforeAll
  static void writeInput() {
    List<byte[]> records = new ArrayList<>();
    for (int r = 0; r < ROWS; r++) {
      float[] img = new float[64];
      for (int j = 0; j < 64; j++) {
        img[j] = r == 3 && j == 0 ? Float.NaN : r * 0.5f - j * 0.25f;
      }
      var e = TfRecordWriter.example().floats("img", img).int64s("label", r * 1_000_003L - 7)
          .bytes("name", ("n" + "x".repeat(r % 11)).getBytes(StandardCharsets.US_ASCII));
      if (r % 5 != 2) {
        long[] tok = new long[r % 9];
        for (int j = 0; j < tok.length; j++) {
          tok[j] = (long) r << 20 | j;
        }
        e.int64s("tok", tok);
      }
      float[] w = new float[r % 4];
      Arrays.fill(w, r + 0.25f);
      e.floats("w", w);
      byte[][] words = new byte[r % 3][];
      for (int j = 0; j < words.length; j++) {
        words[j] = ("w" + "y".repeat(j * 3)).getBytes(StandardCharsets.US_ASCII);
      }
      records.add(e.bytes("words", words).toByteArray());
    }
    input = TfRecordWriter.write(shared.resolve("in.tfrecord"), Compression.NONE, records);
  }

  static List<String> convert(Path in, Path out, List<String> features, String... more) {
    List<String> args = new ArrayList<>(List.of("convert", "--tfrecord", in.toString(), "--out", out.toString()));
    for (String f : features) {
      args.add("--feature");
      args.add(f);
    }
    args.addAll(List.of(more));
    return args;
  }

  private static RunCli run(Path out, String varlen, String options, String... engine) {
    List<String> args = convert(input, out, FEATURES, "--varlen", varlen, "--batch", "96");
    args.addAll(List.of(options.split(" ")));
    args.addAll(List.of(engine));
    RunCli run = RunCli.run(args);
    assertEquals(0, run.code(), run.err());
    return run;
  }

  /**
   * Chunks of 60, 64 and 16 rows, which the range boundaries cut (ragged values arrays are cut
   * wherever their ranges' values meet); with 16-row chunks 32 or 64 to a shard file, a later range
   * completes chunks of a shard before an earlier one, and the shard's chunks must still go in order.
   */
  @ParameterizedTest(name = "{0} {1}")
  @CsvSource(delimiter = '|', value = {
      "zarr  | --chunk-rows 60",
      "zarr  | --chunk-rows 64 --codec gzip",
      "zarr3 | --chunk-rows 60 --codec zstd:5",
      "zarr3 | --chunk-rows 16 --codec zstd --chunks-per-file 64",
      "zarr3 | --chunk-rows 16 --codec gzip --chunks-per-file 32",
      "zarr3 | --chunk-rows 10 --chunks-per-file 8"})
  void nativeWritesTheTensorFlowEnginesStore(String format, String options, @TempDir Path dir) throws IOException {
    for (String varlen : List.of("ragged", "pad")) {
      Path reference = dir.resolve("tf-" + varlen);
      RunCli tf = run(reference, varlen, "--format " + format + " " + options, "--engine", "tensorflow");
      assertTrue(tf.out().contains("engine: tensorflow (--engine tensorflow)"), tf.out());
      Map<String, byte[]> expected = StoreFiles.of(reference);
      String root = format.equals("zarr") ? ".zattrs" : "zarr.json";
      assertTrue(new String(expected.get(root), StandardCharsets.UTF_8).contains("\"rows\": " + ROWS));
      for (int threads = 1; threads <= 3; threads++) {
        Path out = dir.resolve("native-" + varlen + "-" + threads);
        RunCli n = run(out, varlen, "--format " + format + " " + options, "--engine", "native", "--threads",
            Integer.toString(threads));
        assertTrue(n.out().contains("engine: native (--engine native), " + threads + " thread"), n.out());
        assertTrue(n.out().contains("a Zarr " + (format.equals("zarr") ? "v2" : "v3") + " group"), n.out());
        assertTrue(n.out().contains("open in Python: import zarr; group = zarr.open_group("), n.out());
        StoreFiles.assertSame(expected, StoreFiles.of(out));
      }
    }
  }

  /**
   * No rows ({@code --limit 0}: no range, so no range writer writes {@code row_splits[0]}) and one
   * row (one range, fewer rows than threads), as the TensorFlow engine writes them.
   */
  @ParameterizedTest(name = "{0} {1}")
  @CsvSource(delimiter = '|', value = {"zarr | --chunk-rows 50 --codec gzip",
      "zarr3 | --chunk-rows 30 --chunks-per-file 4 --codec zstd"})
  void noRowsAndOneRowAsTensorFlow(String format, String options, @TempDir Path dir) throws IOException {
    for (String limit : List.of("0", "1")) {
      for (String varlen : List.of("ragged", "pad")) {
        String all = "--format " + format + " " + options + " --limit " + limit;
        Path reference = dir.resolve("tf-" + limit + varlen);
        run(reference, varlen, all, "--engine", "tensorflow");
        Path out = dir.resolve("native-" + limit + varlen);
        run(out, varlen, all, "--engine", "native", "--threads", "3");
        StoreFiles.assertSame(reference, out);
        assertTrue(Files.readString(out.resolve(format.equals("zarr") ? ".zattrs" : "zarr.json"))
            .contains("\"rows\": " + limit));
      }
    }
  }

  /** {@code auto} converts to Zarr natively; zarr-python, Dask and tensorstore read the store as the .npy output. */
  @ParameterizedTest(name = "{0} {1}")
  @CsvSource(delimiter = '|', value = {"zarr | --chunk-rows 60 --codec gzip", "zarr3 | --chunk-rows 60 --codec zstd"})
  void autoTakesTheNativeEngineAndReadersAgree(String format, String options, @TempDir Path dir) throws IOException {
    Path npy = dir.resolve("npy");
    run(npy, "ragged", "--threads 3", "--engine", "native");
    Path out = dir.resolve("out.zarr");
    RunCli n = run(out, "ragged", "--format " + format + " " + options + " --threads 3");
    assertTrue(n.out().contains("engine: native (auto), 3 threads"), n.out());
    ZarrFormat zarr = format.equals("zarr") ? ZarrFormat.V2 : ZarrFormat.V3;
    List<String> cases = new ArrayList<>();
    for (String name : List.of("img", "label", "name", "tok.values", "tok.row_splits", "w.values", "w.row_splits",
        "words.values", "words.row_splits")) {
      boolean bytes = name.equals("name") || name.equals("words.values");
      cases.add("{\"path\": \"" + name + "\", \"expected\": \"" + npy.resolve(name + ".npy") + "\", \"v3_bytes\": "
          + (zarr == ZarrFormat.V3 && bytes) + "}");
    }
    Path casesFile = Files.writeString(dir.resolve("cases.json"), "[" + String.join(",\n", cases) + "]");
    String read = ZarrReaders.checkAll(out, zarr, casesFile);
    assertTrue(read.contains(cases.size() + " arrays equal"), read);
  }

  /**
   * A bad record in the middle of the input, found while the range writers already wrote chunks
   * (fixed features only: no count pass before the stores exist) or in the count pass (a {@code *}
   * feature), on several threads: one error naming file, record and feature, and no store left.
   */
  @Test
  void aFailedNativeConversionLeavesNoStore(@TempDir Path dir) throws IOException {
    List<byte[]> records = new ArrayList<>();
    for (int i = 0; i < 5_000; i++) {
      records.add(TfRecordWriter.example().floats("x", i == 4_321 ? new float[] {1, 2} : new float[] {1, 2, 3})
          .int64s("t", new long[i % 4]).toByteArray());
    }
    Path in = TfRecordWriter.write(dir.resolve("a.tfrecord"), Compression.NONE, records);
    Path out = dir.resolve("out.zarr");
    for (String format : List.of("zarr", "zarr3")) {
      for (List<String> features : List.of(List.of("x:float32:3"), List.of("x:float32:3", "t:int64:*"))) {
        for (String threads : List.of("1", "2", "3")) {
          RunCli.run(convert(in, out, features, "--format", format, "--chunk-rows", "100", "--engine", "native",
              "--threads", threads)).assertFails(1, "path=" + in, "record=4321", "feature=x", "has 2 values, expected 3");
          assertFalse(Files.exists(out), "the directory the conversion made is removed: " + features);
        }
      }
    }

    // Into a directory that holds a file of the user's, and over a complete store with --overwrite: the user's
    // file stays, and the store being replaced no longer looks complete (docs/zarr.md).
    Files.createDirectory(out);
    Files.writeString(out.resolve("notes.txt"), "mine");
    RunCli.run(convert(in, out, List.of("x:float32:3"), "--format", "zarr3", "--chunk-rows", "100", "--threads", "2"))
        .assertFails(1, "record=4321");
    try (Stream<Path> left = Files.walk(out)) {
      assertEquals(List.of(out, out.resolve("notes.txt")), left.sorted().toList());
    }
    Path good = TfRecordWriter.write(dir.resolve("good.tfrecord"), Compression.NONE, records.subList(0, 4_000));
    assertEquals(0, RunCli.run(convert(good, out, List.of("x:float32:3"), "--format", "zarr3", "--chunk-rows", "100",
        "--overwrite")).code());
    assertTrue(Files.exists(out.resolve("zarr.json")));
    RunCli.run(convert(in, out, List.of("x:float32:3"), "--format", "zarr3", "--chunk-rows", "100", "--overwrite",
        "--threads", "2")).assertFails(1, "record=4321");
    try (Stream<Path> left = Files.walk(out)) {
      assertEquals(List.of(out, out.resolve("notes.txt")), left.sorted().toList());
    }
  }
}

package io.tensorslab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorslab.store.zarr.ZarrFormat;
import io.tensorslab.testutil.TfRecordWriter;
import io.tensorslab.testutil.TfRecordWriter.Compression;
import io.tensorslab.testutil.ZarrReaders;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code convert --format zarr|zarr3}: a TFRecord with float32 [8,8], int64, bytes and ragged int64
 * features, converted to Zarr and read by zarr-python 2 + Dask and tensorstore equal, value for
 * value, to the {@code .npy} output of the same conversion.
 */
class CliZarrTest {
  static final int ROWS = 2_500;
  static final List<String> FEATURES = List.of("image:float32:8,8", "label:int64:", "name:bytes:", "tokens:int64:*");
  static final List<String> ARRAYS = List.of("image", "label", "name", "tokens.values", "tokens.row_splits");

  @TempDir static Path shared;
  static Path input;
  static Path npy;

  static byte[] record(int r) {
    float[] image = new float[64];
    for (int j = 0; j < 64; j++) {
      image[j] = r == 0 && j == 0 ? Float.NaN : r * 0.5f - j * 0.125f;
    }
    long[] tokens = new long[r % 5];
    for (int j = 0; j < tokens.length; j++) {
      tokens[j] = (long) r * 1_000 + j - 3;
    }
    return TfRecordWriter.example().floats("image", image).int64s("label", r * 3L - 1_000)
        .bytes("name", ("row-" + r).repeat(r % 3).getBytes(StandardCharsets.US_ASCII)).int64s("tokens", tokens)
        .toByteArray();
  }

  static List<String> convert(Path in, Path out, String... more) {
    List<String> args = new ArrayList<>(List.of("convert", "--tfrecord", in.toString(), "--out", out.toString(),
        "--batch", "384", "--quiet"));
    for (String f : FEATURES) {
      args.add("--feature");
      args.add(f);
    }
    args.addAll(List.of(more));
    return args;
  }

  @BeforeAll
  static void writeInputAndNpyOracle() {
    List<byte[]> records = new ArrayList<>();
    for (int r = 0; r < ROWS; r++) {
      records.add(record(r));
    }
    input = TfRecordWriter.write(shared.resolve("in.tfrecord"), Compression.NONE, records);
    npy = shared.resolve("npy");
    RunCli run = RunCli.run(convert(input, npy));
    assertEquals(0, run.code(), run.err());
  }

  /** The reader cases: every array against its .npy file. */
  static Path cases(Path dir, ZarrFormat format) throws IOException {
    List<String> cases = new ArrayList<>();
    for (String name : ARRAYS) {
      cases.add("{\"path\": \"" + name + "\", \"expected\": \"" + npy.resolve(name + ".npy") + "\", \"v3_bytes\": "
          + (format == ZarrFormat.V3 && name.equals("name")) + "}");
    }
    return Files.writeString(dir.resolve("cases.json"), "[" + String.join(",\n", cases) + "]");
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource(delimiter = '|', value = {
      "zarr  | --chunk-rows 1000",
      "zarr  | --chunk-rows 1000 --codec gzip",
      "zarr3 | --chunk-rows 1000",
      "zarr3 | --chunk-rows 300 --codec zstd --chunks-per-file 4",
      "zarr3 | ''"})
  void readersSeeTheNpyOutput(String format, String options, @TempDir Path dir) throws IOException {
    Path out = dir.resolve("out.zarr");
    List<String> args = new ArrayList<>(convert(input, out, "--format", format));
    if (!options.isBlank()) {
      args.addAll(List.of(options.split(" ")));
    }
    RunCli run = RunCli.run(args);
    assertEquals(0, run.code(), run.err());
    ZarrFormat zarr = format.equals("zarr") ? ZarrFormat.V2 : ZarrFormat.V3;
    String read = ZarrReaders.checkAll(out, zarr, cases(dir, zarr));
    assertTrue(read.contains(ARRAYS.size() + " arrays equal"), read);
    String root = Files.readString(out.resolve(zarr == ZarrFormat.V2 ? ".zattrs" : "zarr.json"));
    assertTrue(root.contains("\"rows\": " + ROWS), root);
    assertTrue(root.contains("\"format\": \"tensorslab-manifest/1\""), root);
    assertFalse(Files.exists(out.resolve("manifest.json")), "a Zarr store keeps the manifest in its attributes");
    if (options.contains("1000")) {
      String image = Files.readString(out.resolve(zarr == ZarrFormat.V2 ? "image/.zarray" : "image/zarr.json"));
      assertTrue(image.contains("[1000, 8, 8]"), image);
    }
  }

  /** The same conversion twice gives the same metadata bytes: no timings, sorted keys. */
  @Test
  void metadataIsDeterministic(@TempDir Path dir) throws IOException {
    for (String run : List.of("a", "b")) {
      assertEquals(0, RunCli.run(convert(input, dir.resolve(run), "--format", "zarr", "--chunk-rows", "1000")).code());
    }
    for (String file : List.of(".zgroup", ".zattrs", "image/.zarray", "tokens.values/.zarray")) {
      assertEquals(Files.readString(dir.resolve("a").resolve(file)), Files.readString(dir.resolve("b").resolve(file)),
          file);
    }
  }

  /** A conversion that fails on a corrupt record leaves no store behind, complete-looking or not. */
  @Test
  void aFailedConversionLeavesNoStore(@TempDir Path dir) throws IOException {
    List<byte[]> records = new ArrayList<>();
    for (int r = 0; r < ROWS; r++) {
      records.add(record(r));
    }
    Path bad = TfRecordWriter.writeWithBadDataCrc(dir.resolve("bad.tfrecord"), Compression.NONE, records, 2_200);
    Path out = dir.resolve("out.zarr");
    RunCli.run(convert(bad, out, "--format", "zarr3", "--chunk-rows", "500")).assertFails(1, "bad.tfrecord", "2200");
    assertFalse(Files.exists(out), "the directory the export made is removed");

    Files.createDirectory(out);
    Files.writeString(out.resolve("notes.txt"), "mine");
    RunCli.run(convert(bad, out, "--format", "zarr", "--chunk-rows", "500")).assertFails(1, "2200");
    try (Stream<Path> left = Files.walk(out)) {
      assertEquals(List.of(out, out.resolve("notes.txt")), left.sorted().toList());
    }
  }

  @Test
  void zarrOptionsThatDoNotFitAreUsageErrors(@TempDir Path dir) {
    RunCli.run(convert(input, dir.resolve("o"), "--codec", "zstd")).assertFails(2, "--codec", "--format zarr");
    RunCli.run(convert(input, dir.resolve("o"), "--format", "zarr", "--chunks-per-file", "4"))
        .assertFails(2, "--chunks-per-file 4 needs --format zarr3");
    RunCli.run(convert(input, dir.resolve("o"), "--format", "zarr", "--codec", "lz4"))
        .assertFails(2, "--codec", "lz4");
    RunCli.run(convert(input, dir.resolve("o"), "--format", "hdf5")).assertFails(2, "--format", "hdf5");
    assertFalse(Files.exists(dir.resolve("o")));
  }
}

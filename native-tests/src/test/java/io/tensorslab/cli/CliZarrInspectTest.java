package io.tensorslab.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorslab.npy.NpyArray;
import io.tensorslab.slab.TemporaryFiles;
import io.tensorslab.store.StoreCommit;
import io.tensorslab.store.zarr.ZarrArrayReader;
import io.tensorslab.store.zarr.ZarrStoreReader;
import io.tensorslab.testutil.TfRecordWriter;
import io.tensorslab.testutil.TfRecordWriter.Compression;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Zarr stores written by {@code convert} (both engines) read back: every array equals the
 * {@code .npy} export of the same input byte for byte (fixed, scalar, bytes, ragged and padded
 * features; v2 and v3; every codec; sharded with a partial last shard), and {@code inspect STORE}
 * shows them, or refuses a store that is not complete or not TensorSlab's with one line.
 */
class CliZarrInspectTest {
  static final int ROWS = 23;
  static final List<String> FEATURES = List.of("img:float32:2,3", "label:int64:", "name:bytes:", "tok:int64:*");

  @TempDir static Path shared;
  static Path input;

  @BeforeAll
  static void writeInput() {
    List<byte[]> records = new ArrayList<>();
    for (int r = 0; r < ROWS; r++) {
      float[] img = new float[6];
      for (int j = 0; j < 6; j++) {
        img[j] = r + j * 0.5f;
      }
      long[] tok = new long[r % 4];
      for (int j = 0; j < tok.length; j++) {
        tok[j] = r * 10L + j;
      }
      records.add(TfRecordWriter.example().floats("img", img).int64s("label", r - 3L)
          .bytes("name", ("n" + r).getBytes(StandardCharsets.US_ASCII)).int64s("tok", tok).toByteArray());
    }
    input = TfRecordWriter.write(shared.resolve("in.tfrecord"), Compression.NONE, records);
  }

  private static void convert(Path out, String varlen, String engine, String options) {
    List<String> args = NativeEngineZarrTest.convert(input, out, FEATURES, "--varlen", varlen, "--batch", "5",
        "--engine", engine);
    if (!options.isBlank()) {
      args.addAll(List.of(options.split(" ")));
    }
    RunCli run = RunCli.run(args);
    assertEquals(0, run.code(), run.err());
  }

  @ParameterizedTest(name = "{0} {1} {2}")
  @CsvSource(delimiter = '|', value = {
      "tensorflow | ragged | --format zarr --chunk-rows 4",
      "native     | pad    | --format zarr --chunk-rows 4 --codec gzip",
      "native     | ragged | --format zarr --chunk-rows 8 --codec zstd",
      "tensorflow | pad    | --format zarr3 --chunk-rows 4 --codec zstd",
      "native     | ragged | --format zarr3 --chunk-rows 2 --chunks-per-file 3",
      "tensorflow | ragged | --format zarr3 --chunk-rows 2 --codec gzip --chunks-per-file 4"})
  void everyArrayEqualsTheNpyExport(String engine, String varlen, String options, @TempDir Path dir)
      throws IOException {
    Path npy = dir.resolve("npy");
    convert(npy, varlen, engine, "");
    Path zarr = dir.resolve("out.zarr");
    convert(zarr, varlen, engine, options);
    ZarrStoreReader store = ZarrStoreReader.open(zarr);
    assertEquals(ROWS, store.rows());
    List<String> names = store.arrays().stream().map(ZarrArrayReader::name).toList();
    assertEquals(varlen.equals("ragged")
        ? List.of("img", "label", "name", "tok.values", "tok.row_splits")
        : List.of("img", "label", "name", "tok", "tok.lengths"), names);
    try (Arena arena = Arena.ofConfined()) {
      for (ZarrArrayReader a : store.arrays()) {
        try (NpyArray expected = NpyArray.open(npy.resolve(a.name() + ".npy"))) {
          assertEquals(expected.header().dtype(), a.dtype(), a.name());
          assertArrayEquals(expected.header().shape(), a.shape(), a.name());
          assertArrayEquals(expected.segment().toArray(ValueLayout.JAVA_BYTE),
              a.readAll(arena).toArray(ValueLayout.JAVA_BYTE), a.name() + " " + options);
        }
      }
    }
  }

  @Test
  void inspectShowsAV2Store(@TempDir Path dir) {
    Path zarr = dir.resolve("train.zarr");
    convert(zarr, "ragged", "native", "--format zarr --chunk-rows 8 --codec gzip");
    RunCli r = RunCli.run("inspect", zarr.toString());
    assertEquals(0, r.code(), r.err());
    String out = r.out();
    for (String line : List.of(
        "store:          " + zarr,
        "format:         zarr (Zarr v2)",
        "rows:           23",
        "manifest:       tensorslab-manifest/1, 5 arrays (root group attributes)",
        "array:          img\ncomponent:      img\ndescr:          '<f4' (float32)\nshape:          (23, 2, 3)\n"
            + "chunk shape:    (8, 2, 3)\ncodec:          gzip:1\nfirst values:   [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 1.0,"
            + " 1.5, ...]",
        "array:          label\ncomponent:      label\ndescr:          '<i8' (int64)\nshape:          (23,)",
        "first values:   [-3, -2, -1, 0, 1, 2, 3, 4, ...]",
        "array:          name\ncomponent:      name\ndescr:          '|S3' (bytes3)",
        "first values:   [b'n0', b'n1', b'n2', b'n3', b'n4', b'n5', b'n6', b'n7', ...]",
        "array:          tok.values\ncomponent:      tok (ragged: values; row splits in tok.row_splits)\n"
            + "descr:          '<i8' (int64)\nshape:          (33,)",
        "first values:   [10, 20, 21, 30, 31, 32, 50, 60, ...]",
        "array:          tok.row_splits\ncomponent:      tok (ragged: row splits of tok.values)\n"
            + "descr:          '<i8' (int64)\nshape:          (24,)")) {
      assertTrue(out.contains(line), "missing\n" + line + "\nin\n" + out);
    }
    assertTrue(!out.contains("chunks/file"), out); // v2 has no sharding
  }

  @Test
  void inspectShowsAV3ShardedStoreAsTableAndJson(@TempDir Path dir) {
    Path zarr = dir.resolve("train3");
    convert(zarr, "pad", "tensorflow", "--format zarr3 --chunk-rows 2 --codec zstd --chunks-per-file 4");
    RunCli r = RunCli.run("inspect", zarr.toString());
    assertEquals(0, r.code(), r.err());
    for (String line : List.of("format:         zarr3 (Zarr v3)",
        "array:          name\ncomponent:      name\ndescr:          '|S3' (bytes3)\nshape:          (23,)\n"
            + "chunk shape:    (2,)\ncodec:          zstd:3\nchunks/file:    4 (sharding_indexed)",
        "array:          tok.lengths\ncomponent:      tok.lengths (lengths of the padded tok)",
        "first values:   [0, 1, 2, 3, 0, 1, 2, 3, ...]")) {
      assertTrue(r.out().contains(line), "missing\n" + line + "\nin\n" + r.out());
    }
    RunCli json = RunCli.run("inspect", zarr.toString(), "--json");
    assertEquals(0, json.code(), json.err());
    for (String part : List.of("\"format\": \"zarr3\"", "\"zarr_format\": 3", "\"chunks_per_file\": 4",
        "\"chunk_shape\": [2, 3]", "\"codec\": \"zstd:3\"", "\"format\": \"tensorslab-manifest/1\"",
        "\"name\": \"tok.lengths\"")) {
      assertTrue(json.out().contains(part), part + " in " + json.out());
    }
  }

  @Test
  void inspectCompletesAnInterruptedCommit(@TempDir Path dir) throws Exception {
    Path zarr = dir.resolve("killed.zarr");
    convert(zarr, "ragged", "native", "--format zarr3 --chunk-rows 4");
    Process gone = new ProcessBuilder("true").start();
    gone.waitFor();
    // killed inside its commit, before the root metadata (staged last) was moved into place
    String staged = ".zarr.json." + gone.pid() + "-1" + TemporaryFiles.SUFFIX;
    Files.move(zarr.resolve("zarr.json"), zarr.resolve(staged));
    Files.writeString(zarr.resolve(".commit." + gone.pid() + "-2" + StoreCommit.JOURNAL_SUFFIX),
        "tensorslab-commit/1\nno-overwrite\n" + staged + "\tzarr.json\n");
    RunCli r = RunCli.run("inspect", zarr.toString());
    assertEquals(0, r.code(), r.err());
    assertEquals("completed an interrupted export (path=" + zarr + ")", r.err().strip());
    assertTrue(r.out().contains("format:         zarr3 (Zarr v3)\nrows:           23"), r.out());
    assertTrue(Files.exists(zarr.resolve("zarr.json")) && Files.notExists(zarr.resolve(staged)));
  }

  @Test
  void inspectRefusesAStoreWithoutRootMetadata(@TempDir Path dir) throws IOException {
    Path zarr = dir.resolve("killed.zarr");
    convert(zarr, "ragged", "native", "--format zarr3 --chunk-rows 4");
    Files.delete(zarr.resolve("zarr.json"));
    RunCli.run("inspect", zarr.toString()).assertFails(1, "zarr store not complete: its root metadata",
        "(path=" + zarr + ")");
  }

  @Test
  void inspectRefusesAnUnknownCodec(@TempDir Path dir) throws IOException {
    Path zarr = dir.resolve("other.zarr");
    convert(zarr, "ragged", "native", "--format zarr --codec zstd");
    Path zarray = zarr.resolve("label/.zarray");
    Files.writeString(zarray, Files.readString(zarray).replace("\"zstd\"", "\"lz4\""));
    RunCli.run("inspect", zarr.toString()).assertFails(1, "not a TensorSlab zarr array: codec lz4 is not one"
        + " TensorSlab writes", "(path=" + zarray + ")");
  }

  @Test
  void inspectRefusesAChunkCutShort(@TempDir Path dir) throws IOException {
    Path zarr = dir.resolve("cut.zarr");
    convert(zarr, "ragged", "native", "--format zarr --chunk-rows 4");
    Path chunk = zarr.resolve("label/0");
    try (var channel = Files.newByteChannel(chunk, StandardOpenOption.WRITE)) {
      channel.truncate(10);
    }
    RunCli.run("inspect", zarr.toString()).assertFails(1, "zarr chunk cut short or corrupt: 10 bytes, an"
        + " uncompressed chunk has 32 (chunk=0, path=" + chunk + ")");
  }

  @Test
  void inspectRefusesADirectoryThatIsNoZarrStore(@TempDir Path dir) throws IOException {
    Path empty = Files.createDirectories(dir.resolve("empty.zarr"));
    Files.writeString(empty.resolve("readme.txt"), "x");
    RunCli.run("inspect", empty.toString()).assertFails(1, "not a zarr store: no .zgroup or zarr.json at its"
        + " root and no zarr array in it (path=" + empty + ")");
  }
}

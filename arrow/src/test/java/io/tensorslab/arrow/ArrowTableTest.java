package io.tensorslab.arrow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorslab.export.ExportResult;
import io.tensorslab.export.TfRecordConversion;
import io.tensorslab.store.StoreFormats;
import io.tensorslab.tfrecord.FeatureSpec;
import io.tensorslab.tfrecord.TfRecordException;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code --format arrow} and {@code --format parquet} through the library's front door ({@link TfRecordConversion}, the format
 * found by {@link StoreFormats#fromOptions}): pyarrow reads every column equal to what TensorFlow
 * parsed from the same records (fixtures made by Python TensorFlow, see make_fixture.py), and every
 * refused input is one error leaving nothing at the final path.
 */
class ArrowTableTest {
  private static final Path FIXTURE = resource("fixtures/table");
  /** The object-detection and raw fixtures of the native tests, with TensorFlow's arrays. */
  private static final Path REAL = Path.of("..", "native-tests", "src", "test", "resources", "fixtures", "real")
      .toAbsolutePath().normalize();
  private static final List<String> TABLE_FEATURES = List.of("meta/blob:bytes:", "tags:bytes:*", "grid:bytes:2",
      "x:float32:2,3", "label:int64:", "ids:int64:*", "w:float32:*");

  @TempDir
  Path tmp;

  private static Path resource(String name) {
    return Path.of("src", "test", "resources", name).toAbsolutePath();
  }

  private static TfRecordConversion.Builder conversion(List<Path> inputs, List<String> features, Path out) {
    return conversion("arrow", inputs, features, out);
  }

  private static TfRecordConversion.Builder conversion(String format, List<Path> inputs, List<String> features,
      Path out) {
    return TfRecordConversion.builder().inputs(inputs).features(FeatureSpec.parseAll(features)).to(out)
        .format(StoreFormats.fromOptions(format, null, null, null)).durable(false);
  }

  private static String file(String format) {
    return format.equals("arrow") ? "data.arrow" : "data.parquet";
  }

  private static List<String> listing(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(p -> !p.equals(dir)).map(p -> dir.relativize(p).toString()).sorted().toList();
    }
  }

  @ParameterizedTest(name = "{0}, {1} threads")
  @CsvSource({"arrow, 1", "arrow, 3", "parquet, 1", "parquet, 3"})
  void everyColumnAsTensorFlowParsesIt(String format, int threads) throws IOException {
    Path out = tmp.resolve("out");
    try (ExportResult result = conversion(format, List.of(FIXTURE.resolve("table.tfrecord")), TABLE_FEATURES, out)
        .threads(threads).build().run()) {
      assertEquals(7, result.rows());
    }
    assertEquals(List.of(file(format), "manifest.json"), listing(out));
    String judged = PyArrow.check(format, out.resolve(file(format)), FIXTURE.resolve("expected"));
    assertTrue(judged.contains("\"columns\": [\"meta/blob\", \"tags\", \"grid\", \"x\", \"label\", \"ids\", \"w\"]"),
        judged);
    assertTrue(judged.contains("\"rows\": 7"), judged);
    assertTrue(judged.contains("\"x\": \"extension<arrow.fixed_shape_tensor[value_type=float, shape=[2,3]]>\""),
        judged);
    assertTrue(judged.contains("\"meta/blob\": \"large_binary\""), judged);
    String item = format.equals("arrow") ? "item" : "element";
    assertTrue(judged.contains("\"tags\": \"large_list<" + item + ": large_binary not null>\""), judged);
    assertTrue(judged.contains("\"ids\": \"large_list<" + item + ": int64 not null>\""), judged);
    assertTrue(judged.contains("\"grid\": \"fixed_size_list<" + item + ": large_binary not null>[2]\""), judged);
    assertTrue(judged.contains("\"label\": \"int64\""), judged);
    String manifest = Files.readString(out.resolve("manifest.json"));
    assertTrue(manifest.contains("\"" + file(format) + "\""), manifest);
  }

  @Test
  void parquetRowGroupsOfChunkRows() throws IOException {
    Path out = tmp.resolve("groups");
    TfRecordConversion.builder().inputs(List.of(FIXTURE.resolve("table.tfrecord")))
        .features(FeatureSpec.parseAll(TABLE_FEATURES)).to(out)
        .format(StoreFormats.fromOptions("parquet", 3L, "none", null)).build().run().close();
    String judged = PyArrow.check("parquet", out.resolve("data.parquet"), FIXTURE.resolve("expected"));
    assertTrue(judged.contains("\"row_groups\": 3"), judged); // 7 rows, 3 per group
    assertTrue(judged.contains("\"compression\": \"UNCOMPRESSED\""), judged);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"arrow", "parquet"})
  void objectDetectionShardsGzipAsTensorFlowParsesThem(String format) throws IOException {
    Path out = tmp.resolve("od");
    List<String> features = List.of("image/encoded:bytes:", "image/filename:bytes:", "image/format:bytes:",
        "image/height:int64:", "image/width:int64:", "image/object/bbox/xmin:float32:*",
        "image/object/bbox/xmax:float32:*", "image/object/bbox/ymin:float32:*", "image/object/bbox/ymax:float32:*",
        "image/object/class/label:int64:*", "image/object/class/text:bytes:*");
    List<Path> inputs = List.of(REAL.resolve("od/train-00000-of-00002.tfrecord.gz"),
        REAL.resolve("od/train-00001-of-00002.tfrecord.gz"));
    try (ExportResult result = conversion(format, inputs, features, out).build().run()) {
      assertEquals(6, result.rows());
    }
    // image/encoded's expected array is the decoded image, so it is left out of the comparison here.
    String judged = PyArrow.check(format, out.resolve(file(format)), REAL.resolve("od-expected"),
        "image/filename", "image/format", "image/height", "image/width", "image/object/bbox/xmin",
        "image/object/bbox/xmax", "image/object/bbox/ymin", "image/object/bbox/ymax", "image/object/class/label",
        "image/object/class/text");
    assertTrue(judged.contains("\"rows\": 6"), judged);
    assertTrue(judged.contains("\"image/object/bbox/xmin\": \"large_list<" + (format.equals("arrow") ? "item"
        : "element") + ": float not null>\""), judged);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"arrow", "parquet"})
  void rawTypesAsTensorFlowDecodesThem(String format) throws IOException {
    Path out = tmp.resolve("raw");
    List<String> features = List.of("points:raw-float32:4,3", "i8:raw-int8:5", "u16:raw-uint16:2,2",
        "i32:raw-int32:3", "u32:raw-uint32:3", "u64:raw-uint64:2", "f16:raw-float16:3", "f64:raw-float64:2");
    try (ExportResult result = conversion(format, List.of(REAL.resolve("raw/raw.tfrecord")), features, out).build()
        .run()) {
      assertEquals(5, result.rows());
    }
    String judged = PyArrow.check(format, out.resolve(file(format)), REAL.resolve("raw-expected"));
    assertTrue(judged.contains("\"points\": \"extension<arrow.fixed_shape_tensor[value_type=float, shape=[4,3]]>\""),
        judged);
    assertTrue(judged.contains("\"f16\": \"extension<arrow.fixed_shape_tensor[value_type=halffloat, shape=[3]]>\""),
        judged);
  }

  @Test
  void anExistingTableIsKeptWithoutOverwriteAndReplacedWithIt() throws IOException {
    Path out = tmp.resolve("again");
    List<Path> input = List.of(FIXTURE.resolve("table.tfrecord"));
    conversion(input, List.of("label:int64:"), out).build().run().close();
    byte[] first = Files.readAllBytes(out.resolve("data.arrow"));
    IOException e = assertThrows(IOException.class,
        () -> conversion(input, List.of("x:float32:2,3"), out).build().run().close());
    assertInstanceOf(FileAlreadyExistsException.class, e);
    assertTrue(e.getMessage().contains("data.arrow"), e.getMessage());
    assertEquals(List.of("data.arrow", "manifest.json"), listing(out));
    assertEquals(List.of(first.length), List.of(Files.readAllBytes(out.resolve("data.arrow")).length));
    conversion(input, List.of("x:float32:2,3"), out).overwrite(true).build().run().close();
    String judged = PyArrow.check("arrow", out.resolve("data.arrow"), FIXTURE.resolve("expected"), "x");
    assertTrue(judged.contains("\"columns\": [\"x\"]"), judged);
  }

  @Test
  void aBadRecordLeavesNothing() throws IOException {
    byte[] records = Files.readAllBytes(FIXTURE.resolve("table.tfrecord"));
    records[records.length - 10] ^= 0x55; // inside the last record's data: its checksum no longer matches
    Path bad = tmp.resolve("bad.tfrecord");
    Files.write(bad, records);
    Path out = tmp.resolve("failed");
    TfRecordException e = assertThrows(TfRecordException.class,
        () -> conversion(List.of(bad), TABLE_FEATURES, out).build().run().close());
    assertTrue(e.getMessage().contains("checksum"), e.getMessage());
    assertFalse(Files.exists(out), "the directory the export made is removed again");
    Files.createDirectory(out);
    assertThrows(TfRecordException.class, () -> conversion(List.of(bad), TABLE_FEATURES, out).build().run().close());
    assertEquals(List.of(), listing(out));
  }

  @Test
  void whatATableCannotHoldIsRefusedNamingIt() {
    List<Path> input = List.of(FIXTURE.resolve("table.tfrecord"));
    Path out = tmp.resolve("refused");
    IllegalArgumentException pad = assertThrows(IllegalArgumentException.class,
        () -> conversion(input, List.of("ids:int64:*"), out).varLen(TfRecordConversion.VarLen.PAD).build());
    assertEquals("--varlen pad does not apply to arrow output: a '*' feature is a list column holding each row's"
        + " own values; drop --varlen pad", pad.getMessage());
    IllegalArgumentException codec = assertThrows(IllegalArgumentException.class,
        () -> StoreFormats.fromOptions("arrow", null, "zstd", null));
    assertEquals("--codec zstd does not apply to --format arrow, which writes uncompressed Arrow IPC (read without a"
        + " copy); drop --codec", codec.getMessage());
    IllegalArgumentException chunks = assertThrows(IllegalArgumentException.class,
        () -> StoreFormats.fromOptions("arrow", 100L, null, null));
    assertEquals("--chunk-rows does not apply to --format arrow, which writes one record batch; drop --chunk-rows"
        + " (with --format parquet it sets the rows of a row group)", chunks.getMessage());
    IllegalArgumentException parquetCodec = assertThrows(IllegalArgumentException.class,
        () -> StoreFormats.fromOptions("parquet", null, "zstd", null));
    assertEquals("--codec zstd does not apply to --format parquet, which is written uncompressed (parquet-java's"
        + " compressors need Hadoop, which tensorslab does not carry); drop --codec", parquetCodec.getMessage());
    IllegalArgumentException perFile = assertThrows(IllegalArgumentException.class,
        () -> StoreFormats.fromOptions("parquet", null, null, 4));
    assertEquals("--chunks-per-file applies to Zarr v3 output, not --format parquet", perFile.getMessage());
    assertFalse(Files.exists(out));
  }

  @Test
  void shardsAreRefusedInOneMessage() throws IOException {
    TfRecordConversion c = conversion(List.of(FIXTURE.resolve("table.tfrecord")), List.of("label:int64:"),
        tmp.resolve("shards")).build();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> c.runShard(new io.tensorslab.shard.Shard(0, 2), true));
    assertEquals("shards write one Zarr store that several workers fill chunk by chunk, not arrow files: choose a"
        + " Zarr format", e.getMessage());
  }
}

package io.tensorslab.cli;

import static io.tensorslab.cli.CliRealTfRecordTest.assertEqualArrays;
import static io.tensorslab.cli.CliRealTfRecordTest.fixture;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.tensorslab.export.ExportResult;
import io.tensorslab.export.TfRecordConversion;
import io.tensorslab.objectstore.ObjectFetch;
import io.tensorslab.reliability.Mounts;
import io.tensorslab.slab.TemporaryFiles;
import io.tensorslab.testutil.S3Server;
import io.tensorslab.testutil.TfRecordWriter;
import io.tensorslab.tfrecord.FeatureSpec;
import io.tensorslab.tfrecord.TfRecordSources;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * TFRecord inputs in object storage: the repository's fixtures (plain and gzip) uploaded to a real
 * S3-compatible server started here (S3Proxy), converted from {@code s3://} and {@code gs://} URLs
 * with the command and the facade, and compared byte for byte with the conversion of the local
 * files; then every way reading an object can fail, each one stderr line naming the URL, nothing
 * left at the output path nor a fetched copy beside it.
 */
class CliObjectStoreTest {

  private static S3Server server;

  /** Native-engine features of the gzip object-detection shards (the images need TensorFlow). */
  private static final List<String> OD_NATIVE = List.of("--feature", "image/height:int64:", "--feature",
      "image/filename:bytes:", "--feature", "image/object/bbox/xmin:float32:*");

  @BeforeAll
  static void startServer() throws Exception {
    server = new S3Server().useAsDefault();
    server.createBucket("data");
    for (String dir : List.of("raw", "od", "tfds")) {
      try (Stream<Path> files = Files.list(fixture(dir))) {
        for (Path f : files.toList()) {
          server.put("data", dir + "/" + f.getFileName(), f);
        }
      }
    }
    byte[] raw = Files.readAllBytes(fixture("raw/raw.tfrecord"));
    // cut inside its third record: the framing says more bytes follow than there are
    server.put("data", "cut/raw.tfrecord", Arrays.copyOf(raw, raw.length - 40));
    // whole framing, but the second record's PNG loses its data: only TensorFlow's decode can tell
    byte[] image = CliRealTfRecordTest.pngOf(Files.readAllBytes(fixture("tfds/mnist-train.tfrecord-00000-of-00002")));
    List<byte[]> records = List.of(TfRecordWriter.example().bytes("image", image).toByteArray(),
        TfRecordWriter.example().bytes("image", Arrays.copyOf(image, 60)).toByteArray());
    Path local = Files.createTempFile("cut-image", ".tfrecord");
    try {
      server.put("data", "cut/image.tfrecord", TfRecordWriter.write(local, TfRecordWriter.Compression.NONE, records));
    } finally {
      Files.delete(local);
    }
  }

  @AfterAll
  static void stopServer() throws Exception {
    server.close();
  }

  @AfterEach
  void serverWhole() {
    server.breakReadsAfter(Integer.MAX_VALUE);
  }

  /** Converts {@code input} locally and from {@code url} with the same options; asserts equal bytes, returns the s3 run. */
  private static RunCli convertBoth(Path dir, String local, String url, List<String> options) throws IOException {
    Path fromFile = dir.resolve("local");
    Path fromObject = dir.resolve("object");
    List<String> args = new ArrayList<>(List.of("convert", "--tfrecord", local, "--out", fromFile.toString()));
    args.addAll(options);
    RunCli reference = RunCli.run(args);
    assertEquals(0, reference.code(), reference.err());
    args.set(2, url);
    args.set(4, fromObject.toString());
    RunCli run = RunCli.run(args);
    assertEquals(0, run.code(), run.err());
    assertSameFiles(fromFile, fromObject);
    assertNoCopiesLeft(dir);
    return run;
  }

  /**
   * Every file below {@code a} is in {@code b} with the same bytes, and nothing else is; in
   * {@code manifest.json} only the timings ({@code *_seconds}) may differ.
   */
  static void assertSameFiles(Path a, Path b) throws IOException {
    List<Path> inA = relativeFiles(a);
    assertEquals(inA, relativeFiles(b));
    assertTrue(inA.stream().anyMatch(f -> f.toString().endsWith(".npy")), () -> "no .npy in " + inA);
    for (Path f : inA) {
      if (f.toString().equals("manifest.json")) {
        assertEquals(withoutTimings(a.resolve(f)), withoutTimings(b.resolve(f)));
      } else {
        assertEquals(-1L, Files.mismatch(a.resolve(f), b.resolve(f)), () -> f + " differs");
      }
    }
  }

  private static List<String> withoutTimings(Path manifest) throws IOException {
    return Files.readAllLines(manifest).stream().filter(line -> !line.contains("_seconds\"")).toList();
  }

  private static List<Path> relativeFiles(Path dir) throws IOException {
    try (Stream<Path> walk = Files.walk(dir)) {
      return walk.filter(Files::isRegularFile).map(dir::relativize).sorted().toList();
    }
  }

  /** No fetched copy (a temporary file) is left in {@code dir}, where the outputs' parent is. */
  static void assertNoCopiesLeft(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      List<Path> copies = files.filter(TemporaryFiles::isTemporary).toList();
      assertEquals(List.of(), copies);
    }
  }

  @Test
  void oneObjectConvertsAsTheLocalFile(@TempDir Path dir) throws IOException {
    convertBoth(dir, fixture("raw/raw.tfrecord").toString(), "s3://data/raw/raw.tfrecord",
        List.of("--feature", "points:raw-float32:4,3", "--feature", "i8:raw-int8:5", "--feature", "f64:raw-float64:2"));
  }

  @Test
  void copiesAKilledRunLeftAreRemovedByTheNextFetch(@TempDir Path dir) throws IOException {
    // named as a copy of a process that cannot run (beyond any pid_max), and one of this live process
    Path stale = Files.writeString(dir.resolve(".raw.tfrecord.999999999-1" + TemporaryFiles.SUFFIX), "left");
    Path live = Files.writeString(TemporaryFiles.beside(dir.resolve("raw.tfrecord")), "in use");
    RunCli run = RunCli.run("convert", "--tfrecord", "s3://data/raw/raw.tfrecord", "--feature", "i8:raw-int8:5",
        "--out", dir.resolve("out").toString());
    assertEquals(0, run.code(), run.err());
    assertFalse(Files.exists(stale));
    assertTrue(Files.exists(live));
    Files.delete(live);
    assertNoCopiesLeft(dir);
  }

  @Test
  void globOfGzipObjectsConvertsAsTheLocalGlob(@TempDir Path dir) throws IOException {
    RunCli run = convertBoth(dir, fixture("od") + "/train-*-of-00002.tfrecord.gz",
        "s3://data/od/train-*-of-00002.tfrecord.gz", OD_NATIVE);
    assertTrue(run.out().contains("engine: native"), run.out());
  }

  @Test
  void doubleStarGlobCrossesPrefixesAsALocalOneCrossesDirectories(@TempDir Path dir) throws IOException {
    // fixtures/real/**.tfrecord.gz and the bucket's **.tfrecord.gz both find only od/'s two shards
    convertBoth(dir, fixture("od").getParent() + "/**.tfrecord.gz", "s3://data/**.tfrecord.gz", OD_NATIVE);
  }

  @Test
  void prefixConvertsAsTheLocalDirectoryWithTheTensorFlowEngine(@TempDir Path dir) throws IOException {
    // tfds/ holds dataset_info.json and features.json beside the shards: skipped as in a directory
    RunCli run = convertBoth(dir, fixture("tfds").toString(), "s3://data/tfds/", List.of());
    assertTrue(run.out().contains("engine: tensorflow"), run.out());
    assertEquals(2, assertEqualArrays(fixture("tfds-expected"), dir.resolve("object")));
  }

  @Test
  void prefixWithoutSlashAndGzipImagesEqualPythonTensorFlow(@TempDir Path dir) throws IOException {
    // s3://data/od names no object, so it is the prefix od/, as a directory named without a slash
    convertBoth(dir, fixture("od").toString(), "s3://data/od", List.of());
    assertEquals(17, assertEqualArrays(fixture("od-expected"), dir.resolve("object")));
  }

  @Test
  void gsUrlReadsThroughTheXmlApiEndpoint(@TempDir Path dir) throws IOException {
    convertBoth(dir, fixture("raw/raw.tfrecord").toString(), "gs://data/raw/raw.tfrecord",
        List.of("--feature", "u64:raw-uint64:2"));
  }

  @Test
  void facadeFetchesManySmallRangesAtOnce(@TempDir Path dir) throws IOException {
    Path local = dir.resolve("local");
    Path remote = dir.resolve("object");
    List<FeatureSpec> features = FeatureSpec.parseAll(List.of("image/height:int64:", "image/filename:bytes:"));
    List<Path> files;
    try (Stream<Path> s = Files.list(fixture("od"))) {
      files = s.sorted().toList();
    }
    try (ExportResult r = TfRecordConversion.builder().inputs(files).features(features).to(local).build().run()) {
      assertEquals(6, r.rows());
    }
    // 256-byte ranges, 3 in flight: each shard (1877 and 1216 bytes) is fetched in 5 to 8 pieces, out of order
    try (TfRecordSources sources = TfRecordSources.open(List.of("s3://data/od/"), dir, new ObjectFetch(256, 3))) {
      assertEquals(2, sources.files().size());
      for (int i = 0; i < 2; i++) {
        assertEquals(-1L, Files.mismatch(files.get(i), sources.files().get(i)));
      }
      assertEquals("s3://data/od/train-00000-of-00002.tfrecord.gz", sources.nameOf(sources.files().get(0)));
      try (ExportResult r = TfRecordConversion.builder().inputs(sources).features(features).to(remote).build().run()) {
        assertEquals(6, r.rows());
      }
    }
    assertSameFiles(local, remote);
    assertNoCopiesLeft(dir);
  }

  /** Inputs naming nothing readable: exit 1 for what cannot be read, 2 for usage, one line naming the URL. */
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "s3://nope/raw.tfrecord           | 1 | bucket 'nope' does not exist (url=s3://nope/raw.tfrecord)",
      "s3://data/raw/missing.tfrecord   | 1 | no such object, nor objects under 'raw/missing.tfrecord/' (url=s3://data/raw/missing.tfrecord)",
      "s3://data/od/*.parquet           | 2 | input glob 's3://data/od/*.parquet' matches no object",
      "s3://data/empty/                 | 2 | input prefix 's3://data/empty/' holds no object",
      "s3://*/raw.tfrecord              | 2 | a glob may match keys, not bucket names",
      "s3:///raw.tfrecord               | 2 | names no bucket",
      "s3://data/raw/raw.tfrecord,s3://data/raw/ | 2 | input s3://data/raw/raw.tfrecord is given twice (by 's3://data/raw/raw.tfrecord' and 's3://data/raw/'); name each input once",
      "hdfs://cluster/raw.tfrecord      | 2 | URLs of scheme 'hdfs' are not supported; inputs are local paths, s3://BUCKET/KEY or gs://BUCKET/KEY"})
  void inputNamingNothingIsOneErrorNamingIt(String url, int code, String message, @TempDir Path dir)
      throws IOException {
    Path out = dir.resolve("out");
    RunCli.run("convert", "--tfrecord", url, "--out", out.toString()).assertFails(code, message);
    assertNothingWritten(dir, out);
  }

  @Test
  void accessDeniedIsOneErrorSayingWhatToCheck(@TempDir Path dir) throws IOException {
    Path out = dir.resolve("out");
    System.setProperty("aws.secretAccessKey", "wrong");
    try {
      RunCli.run("convert", "--tfrecord", "s3://data/raw/raw.tfrecord", "--out", out.toString())
          .assertFails(1, "access denied", "AWS_ACCESS_KEY_ID", "url=s3://data/raw/raw.tfrecord");
    } finally {
      System.setProperty("aws.secretAccessKey", S3Server.SECRET_KEY);
    }
    assertNothingWritten(dir, out);
  }

  /** Either engine: TensorFlow's reads the fetched copy too, and its errors name the URL as well. */
  @ParameterizedTest
  @CsvSource({"native, record=4", "tensorflow, record=4"})
  void truncatedObjectNamesItsUrlAndRecord(String engine, String record, @TempDir Path dir) throws IOException {
    Path out = dir.resolve("out");
    RunCli.run("convert", "--tfrecord", "s3://data/cut/raw.tfrecord", "--feature", "i8:raw-int8:5", "--engine",
        engine, "--out", out.toString()).assertFails(1, "(url=s3://data/cut/raw.tfrecord, " + record, "truncated");
    assertNothingWritten(dir, out);
  }

  @Test
  void aCorruptImageDecodedByTensorFlowNamesTheUrl(@TempDir Path dir) throws IOException {
    Path out = dir.resolve("out");
    RunCli.run("convert", "--tfrecord", "s3://data/cut/image.tfrecord", "--out", out.toString())
        .assertFails(1, "feature 'image' is a corrupt or truncated png image (60 bytes; TensorFlow:",
            "(url=s3://data/cut/image.tfrecord, record=1, feature=image");
    assertNothingWritten(dir, out);
  }

  @Test
  void serverGoingAwayMidReadIsOneErrorNamingTheUrl(@TempDir Path dir) throws IOException {
    Path out = dir.resolve("out");
    server.breakReadsAfter(1); // the first range arrives whole, every later body is cut off
    IOException e = assertThrows(IOException.class,
        () -> TfRecordSources.open(List.of("s3://data/od/"), dir, new ObjectFetch(1000, 2)).close());
    assertTrue(e.getMessage().startsWith("cannot fetch s3://data/od/train-0000"), e.getMessage());
    assertTrue(e.getMessage().contains("3 attempts"), e.getMessage());
    assertNothingWritten(dir, out);
    server.breakReadsAfter(0);
    RunCli.run("convert", "--tfrecord", "s3://data/raw/raw.tfrecord", "--out", out.toString())
        .assertFails(1, "cannot fetch s3://data/raw/raw.tfrecord");
    assertNothingWritten(dir, out);
  }

  @Test
  void aFullDiskBesideTheOutputIsOneErrorNamingTheUrl(@TempDir Path dir) throws IOException {
    Path small = Files.createDirectory(dir.resolve("small"));
    assumeTrue(Mounts.tmpfs(small, "4m"), "mount -t tmpfs refused (not root?)");
    try {
      server.put("data", "big/ten-mib.tfrecord", new byte[10 << 20]);
      Path out = small.resolve("out");
      RunCli.run("convert", "--tfrecord", "s3://data/big/ten-mib.tfrecord", "--out", out.toString())
          .assertFails(1, "cannot fetch s3://data/big/ten-mib.tfrecord into a local copy", "no space left on device");
      assertNothingWritten(small, out);
    } finally {
      Mounts.unmount(small);
    }
  }

  @Test
  void shardsRefuseObjectStorageInputs(@TempDir Path dir) throws IOException {
    Path out = dir.resolve("out");
    RunCli.run("convert", "--tfrecord", "s3://data/raw/raw.tfrecord", "--feature", "i8:raw-int8:5", "--format",
        "zarr", "--shard", "0/2", "--out", out.toString()).assertFails(2, "--shard", "s3://data/raw/raw.tfrecord");
    assertNothingWritten(dir, out);
  }

  @Test
  void outputToObjectStorageIsRefused(@TempDir Path dir) throws IOException {
    RunCli.run("convert", "--tfrecord", fixture("raw/raw.tfrecord").toString(), "--feature", "i8:raw-int8:5",
        "--out", "s3://data/out").assertFails(2, "option '--out': 's3:/data/out' looks like a URL");
    assertFalse(Files.exists(Path.of("s3:")));
  }

  @Test
  void inspectRefusesObjectStorageInputs() {
    RunCli.run("inspect", "s3://data/raw/raw.tfrecord").assertFails(2,
        "input 's3://data/raw/raw.tfrecord' is an object-storage URL, which only 'tensorslab convert'");
  }

  /** Nothing at the output path (no directory, or an empty one) and no fetched copy beside it. */
  private static void assertNothingWritten(Path dir, Path out) throws IOException {
    assertTrue(!Files.exists(out) || relativeFiles(out).isEmpty(), () -> out + " holds files");
    assertNoCopiesLeft(dir);
  }
}

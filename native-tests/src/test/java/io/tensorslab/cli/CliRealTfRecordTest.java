package io.tensorslab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorslab.testutil.NumPy;
import io.tensorslab.testutil.TfRecordWriter;
import io.tensorslab.testutil.TfRecordWriter.Compression;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code convert} on TFRecord files as people have them, written by Python TensorFlow
 * ({@code fixtures/real/make_fixtures.py}), against the arrays Python TensorFlow's
 * {@code parse_example} + {@code decode_image} + {@code RaggedTensor} give for them (committed beside).
 */
class CliRealTfRecordTest {

  static Path fixture(String name) {
    try {
      return Path.of(CliRealTfRecordTest.class.getResource("/fixtures/real/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Asserts with real NumPy that every {@code expected/*.npy} (its name the output's relative path with
   * {@code /} as {@code %2F}) equals the file in {@code out}: dtype, shape and every value; returns how many.
   */
  static int assertEqualArrays(Path expected, Path out) {
    String result = NumPy.run("""
        import glob, os, urllib.parse
        expected, out = sys.argv[1], sys.argv[2]
        n = 0
        for f in sorted(glob.glob(os.path.join(expected, '*.npy'))):
            e = np.load(f)
            a = np.load(os.path.join(out, urllib.parse.unquote(os.path.basename(f))))
            assert a.dtype == e.dtype and a.shape == e.shape, (f, a.dtype, a.shape, e.dtype, e.shape)
            assert np.array_equal(a, e, equal_nan=e.dtype.kind == 'f'), f
            n += 1
        print(n)
        """, expected.toString(), out.toString());
    return Integer.parseInt(result.strip());
  }

  @Test
  void objectDetectionShardsByGlobWithNoFeatureEqualPythonTensorFlow(@TempDir Path dir) {
    Path out = dir.resolve("od");
    RunCli run = RunCli.run("convert", "--tfrecord", fixture("od") + "/train-*-of-00002.tfrecord.gz", "--out",
        out.toString());
    assertEquals(0, run.code(), run.err());
    assertTrue(run.out().contains("schema (inferred): --feature image/encoded:image:24,32,3 --feature "
        + "image/filename:bytes: --feature image/format:bytes: --feature image/height:int64: --feature "
        + "'image/object/bbox/xmax:float32:*'"), run.out());
    assertEquals(17, assertEqualArrays(fixture("od-expected"), out));
    assertTrue(Files.isRegularFile(out.resolve("image/object/bbox/xmin.values.npy")));
  }

  @Test
  void tfdsPngDirectoryGivesPixels(@TempDir Path dir) {
    Path out = dir.resolve("mnist");
    RunCli run = RunCli.run("convert", "--tfrecord", fixture("tfds").toString(), "--out", out.toString());
    assertEquals(0, run.code(), run.err());
    assertTrue(run.out().contains("--feature image:image:28,28,1 --feature label:int64:"), run.out());
    assertEquals(2, assertEqualArrays(fixture("tfds-expected"), out));
    assertEquals("(8, 28, 28, 1) uint8", NumPy.run("a = np.load(sys.argv[1]); print(a.shape, a.dtype)",
        out.resolve("image.npy").toString()).strip());
  }

  @Test
  void varyingSizeJpegsPadExactlyOrGoRagged(@TempDir Path dir) throws IOException {
    Path padded = dir.resolve("padded");
    RunCli pad = RunCli.run("convert", "--tfrecord", fixture("varsize").toString(), "--varlen", "pad", "--out",
        padded.toString());
    assertEquals(0, pad.code(), pad.err());
    assertTrue(pad.out().contains("--feature 'photo:image:*,*,3'"), pad.out());
    Path ragged = dir.resolve("ragged");
    RunCli rag = RunCli.run("convert", "--tfrecord", fixture("varsize").toString(), "--feature", "photo:image:*,*,3",
        "--out", ragged.toString());
    assertEquals(0, rag.code(), rag.err());
    // expected holds photo, photo.shapes (padded) and photo.values, photo.row_splits (ragged)
    assertEquals(List.of("manifest.json", "photo.npy", "photo.shapes.npy"), list(padded));
    assertEquals(List.of("manifest.json", "photo.row_splits.npy", "photo.shapes.npy", "photo.values.npy"), list(ragged));
    Path expected = fixture("varsize-expected");
    Path onlyPadded = Files.createDirectory(dir.resolve("expected-padded"));
    Path onlyRagged = Files.createDirectory(dir.resolve("expected-ragged"));
    for (String f : List.of("photo.npy", "photo.shapes.npy")) {
      Files.copy(expected.resolve(f), onlyPadded.resolve(f));
    }
    for (String f : List.of("photo.values.npy", "photo.row_splits.npy", "photo.shapes.npy")) {
      Files.copy(expected.resolve(f), onlyRagged.resolve(f));
    }
    assertEquals(2, assertEqualArrays(onlyPadded, padded));
    assertEquals(3, assertEqualArrays(onlyRagged, ragged));
  }

  /**
   * With {@code --limit} inside a batch, the records past the limit are never decoded: here they hold
   * larger images than any counted one, which padding to the counted size could not take.
   */
  @Test
  void aLimitInsideABatchNeverDecodesTheRecordsPastIt(@TempDir Path dir) throws IOException {
    List<byte[]> records = new ArrayList<>();
    StringBuilder expectedShapes = new StringBuilder();
    for (int i = 0; i < 12; i++) {
      int size = i < 5 ? 2 + i % 3 : 9; // records 0-4: 2x2 to 4x4; past the limit: 9x9
      BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
      for (int y = 0; y < size; y++) {
        for (int x = 0; x < size; x++) {
          image.setRGB(x, y, (i * 40 + y * 7 + x) & 0xffffff);
        }
      }
      ByteArrayOutputStream png = new ByteArrayOutputStream();
      ImageIO.write(image, "png", png);
      records.add(TfRecordWriter.example().bytes("photo", png.toByteArray()).build().toByteArray());
      if (i < 5) {
        expectedShapes.append(expectedShapes.isEmpty() ? "" : ", ").append("[").append(size).append(", ")
            .append(size).append(", 3]");
      }
    }
    Path in = TfRecordWriter.write(dir.resolve("grow.tfrecord"), Compression.NONE, records);
    for (String varlen : List.of("pad", "ragged")) {
      Path out = dir.resolve(varlen);
      RunCli run = RunCli.run("convert", "--tfrecord", in.toString(), "--feature", "photo:image:*,*,3", "--limit", "5",
          "--batch", "8", "--varlen", varlen, "--out", out.toString());
      assertEquals(0, run.code(), run.err());
      // Every pixel of record i at (y, x) is (i * 40 + y * 7 + x) as 0xRRGGBB: checked from the files.
      String check = varlen.equals("pad")
          ? "a = np.load(sys.argv[1] + '/photo.npy'); s = np.load(sys.argv[1] + '/photo.shapes.npy')\n"
              + "imgs = [a[i, :s[i][0], :s[i][1]] for i in range(len(s))]\n"
              + "assert a.shape == (5, 4, 4, 3), a.shape\n"
              + "assert all((a[i, s[i][0]:] == 0).all() and (a[i, :, s[i][1]:] == 0).all() for i in range(5))\n"
          : "v = np.load(sys.argv[1] + '/photo.values.npy'); r = np.load(sys.argv[1] + '/photo.row_splits.npy')\n"
              + "s = np.load(sys.argv[1] + '/photo.shapes.npy')\n"
              + "imgs = [v[r[i]:r[i + 1]].reshape(s[i]) for i in range(len(s))]\n";
      String printed = NumPy.run(check
          + "for i, im in enumerate(imgs):\n"
          + "  y, x = np.mgrid[:im.shape[0], :im.shape[1]]; p = (i * 40 + y * 7 + x) & 0xffffff\n"
          + "  want = np.stack([(p >> 16) & 255, (p >> 8) & 255, p & 255], -1).astype(np.uint8)\n"
          + "  assert (im == want).all(), i\n"
          + "print(s.tolist())", out.toString());
      assertEquals("[" + expectedShapes + "]", printed.strip(), varlen);
    }
  }

  @Test
  void rawBytesDecodeToEveryType(@TempDir Path dir) {
    Path out = dir.resolve("raw");
    RunCli run = RunCli.run("convert", "--tfrecord", fixture("raw/raw.tfrecord").toString(), "--out", out.toString(),
        "--feature", "points:raw-float32:4,3", "--feature", "i8:raw-int8:5", "--feature", "u16:raw-uint16:2,2",
        "--feature", "i32:raw-int32:3", "--feature", "u32:raw-uint32:3", "--feature", "u64:raw-uint64:2",
        "--feature", "f16:raw-float16:3", "--feature", "f64:raw-float64:2");
    assertEquals(0, run.code(), run.err());
    assertEquals(8, assertEqualArrays(fixture("raw-expected"), out));
  }

  /** The raw types the Python fixture leaves out, with values at their limits, written here little-endian. */
  @Test
  void rawUint8Int16Int64AtTheirLimits(@TempDir Path dir) throws IOException {
    java.nio.ByteBuffer i16 = java.nio.ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    i16.putShort(Short.MIN_VALUE).putShort(Short.MAX_VALUE);
    java.nio.ByteBuffer i64 = java.nio.ByteBuffer.allocate(16).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    i64.putLong(Long.MIN_VALUE).putLong(-1);
    Path file = TfRecordWriter.write(dir.resolve("r.tfrecord"), TfRecordWriter.Compression.NONE, List.of(
        TfRecordWriter.example().bytes("u8", new byte[] {0, (byte) 255, 7}).bytes("i16", i16.array())
            .bytes("i64", i64.array()).toByteArray()));
    Path out = dir.resolve("o");
    RunCli run = RunCli.run("convert", "--tfrecord", file.toString(), "--out", out.toString(), "--feature",
        "u8:raw-uint8:3", "--feature", "i16:raw-int16:2", "--feature", "i64:raw-int64:2");
    assertEquals(0, run.code(), run.err());
    assertEquals("uint8 [[0, 255, 7]] int16 [[-32768, 32767]] int64 [[-9223372036854775808, -1]]", NumPy.run("""
        d = sys.argv[1]
        print(' '.join(str(a.dtype) + ' ' + str(a.tolist()) for a in (np.load(d + '/' + n + '.npy') for n in ('u8', 'i16', 'i64'))))
        """, out.toString()).strip());
  }

  @Test
  void rawByteLengthMismatchNamesRecordExpectedAndActual(@TempDir Path dir) {
    Path out = dir.resolve("raw");
    RunCli.run("convert", "--tfrecord", fixture("raw/raw.tfrecord").toString(), "--out", out.toString(),
        "--feature", "points:raw-float32:4,4")
        .assertFails(1, "feature 'points' holds 48 bytes, expected 64 (16 x float32 for shape [4,4])",
            "path=" + fixture("raw/raw.tfrecord"), "record=0", "feature=points");
    assertFalse(Files.exists(out));
  }

  @Test
  void anImageOfAnotherSizeNamesFileRecordFeatureAndBothShapes(@TempDir Path dir) {
    Path out = dir.resolve("o");
    RunCli.run("convert", "--tfrecord", fixture("varsize").toString(), "--out", out.toString(),
        "--feature", "photo:image:10,12,3")
        .assertFails(1, "feature 'photo' is a 16x8 jpeg image, expected 10x12", "record=1", "feature=photo",
            "varsize.tfrecord");
    assertFalse(Files.exists(out));
  }

  @Test
  void aTruncatedImageIsOneLineNamingFileRecordFeature(@TempDir Path dir) throws IOException {
    // The second record's PNG keeps its header but loses its data: only TensorFlow's decode can tell.
    List<byte[]> records = new ArrayList<>();
    byte[] png = Files.readAllBytes(fixture("tfds/mnist-train.tfrecord-00000-of-00002"));
    byte[] image = pngOf(png);
    records.add(TfRecordWriter.example().bytes("image", image).int64s("label", 1).toByteArray());
    records.add(TfRecordWriter.example().bytes("image", Arrays.copyOf(image, 60)).int64s("label", 2).toByteArray());
    Path file = TfRecordWriter.write(dir.resolve("cut.tfrecord"), TfRecordWriter.Compression.NONE, records);
    Path out = dir.resolve("o");
    RunCli.run("convert", "--tfrecord", file.toString(), "--out", out.toString())
        .assertFails(1, "feature 'image' is a corrupt or truncated png image (60 bytes; TensorFlow:", "record=1",
            "feature=image", "path=" + file);
    assertFalse(Files.exists(out));
  }

  @Test
  void hostileNamesWriteNothingOutsideTheDirectory(@TempDir Path dir) throws IOException {
    Path root = Files.createDirectory(dir.resolve("root"));
    Path out = root.resolve("a/b/out");
    Files.createDirectories(out.getParent());
    RunCli run = RunCli.run("convert", "--tfrecord", fixture("hostile").toString(), "--out", out.toString());
    assertEquals(0, run.code(), run.err());
    try (Stream<Path> all = Files.walk(root)) {
      List<String> outside = all.filter(Files::isRegularFile).filter(p -> !p.startsWith(out)).map(Path::toString).toList();
      assertEquals(List.of(), outside);
    }
    assertTrue(Files.isRegularFile(out.resolve("%../%../escaped.npy")));
    assertTrue(Files.isRegularFile(out.resolve("%/abs/escaped.npy")));
    assertTrue(Files.isRegularFile(out.resolve("ok/%../%../%../%../escaped.npy")));
    assertFalse(Files.exists(Path.of("/abs/escaped.npy")));
    String manifest = Files.readString(out.resolve("manifest.json"));
    assertTrue(manifest.contains("\"name\": \"../../escaped\""), manifest);
    assertTrue(manifest.contains("\"component\": \"" + "x".repeat(300) + "\""), manifest);
    assertEquals("[ 2 12 22]", NumPy.run("print(np.load(sys.argv[1]))",
        out.resolve("%a%20b%3Ac.npy").toString()).strip());
  }

  @Test
  void aSymlinkPlantedInDirIsNotFollowed(@TempDir Path dir) throws IOException {
    Path out = Files.createDirectory(dir.resolve("out"));
    Path elsewhere = Files.createDirectory(dir.resolve("elsewhere"));
    Files.createSymbolicLink(out.resolve("image"), elsewhere);
    RunCli.run("convert", "--tfrecord", fixture("od").toString(), "--out", out.toString())
        .assertFails(1, "output path is a symbolic link; it is not followed", "path=" + out.resolve("image"));
    assertEquals(List.of(), list(elsewhere));
  }

  @Test
  void twoFeaturesOnOneFileAreRefusedNamingBothWithEitherEngine(@TempDir Path dir) throws IOException {
    Path file = TfRecordWriter.write(dir.resolve("clash.tfrecord"), TfRecordWriter.Compression.NONE, List.of(
        TfRecordWriter.example().int64s("a", 1, 2).int64s("a.values", 7).toByteArray(),
        TfRecordWriter.example().int64s("a", 3).int64s("a.values", 8).toByteArray()));
    for (String engine : List.of("native", "tensorflow")) {
      Path out = dir.resolve("out-" + engine);
      RunCli run = RunCli.run("convert", "--tfrecord", file.toString(), "--out", out.toString(), "--engine", engine);
      assertEquals(1, run.code(), engine + ": " + run.out() + run.err());
      assertEquals(1, run.errLines().size(), run.err());
      assertTrue(run.err().contains("features 'a' and 'a.values' would both be written to"), engine + ": " + run.err());
      assertFalse(Files.exists(out.resolve("a.values.npy")), engine);
    }
  }

  @Test
  void aGlobMatchingNothingIsAUsageError(@TempDir Path dir) {
    RunCli.run("convert", "--tfrecord", dir + "/train-*", "--out", dir.resolve("o").toString())
        .assertFails(2, "input glob '" + dir + "/train-*' matches no file");
  }

  @Test
  void inspectShowsEveryFeatureAndThePasteReadySchema() {
    RunCli run = RunCli.run("inspect", fixture("od") + "/train-*");
    assertEquals(0, run.code(), run.err());
    List<String> lines = run.out().lines().toList();
    assertTrue(lines.get(0).startsWith("files:    2 ("), lines.get(0));
    assertTrue(lines.get(0).endsWith("), compression gzip"), lines.get(0));
    assertEquals("records:  6", lines.get(1));
    assertTrue(lines.contains("image/encoded             bytes    1             0        jpeg+png images 24x32x3"),
        run.out());
    assertTrue(lines.contains("image/object/bbox/xmin    float32  0-3           0        "), run.out());
    assertTrue(lines.contains("image/format              bytes    1             0        3-4 bytes"), run.out());
    assertTrue(run.out().contains("  --feature image/encoded:image:24,32,3 --feature image/filename:bytes: "), run.out());

    RunCli varsize = RunCli.run("inspect", fixture("varsize").toString(), "--json");
    assertEquals(0, varsize.code(), varsize.err());
    String checked = NumPy.run("""
        import json
        r = json.loads(sys.argv[1])
        f = r['features'][0]
        print(r['records'], r['complete'], f['name'], f['image_formats'], f['image_shapes'], r['schema'])
        """, varsize.out());
    assertEquals("4 True photo ['jpeg'] [[10, 12, 3], [16, 8, 3], [7, 7, 3], [16, 12, 3]] ['photo:image:*,*,3']",
        checked.strip());

    RunCli scanned = RunCli.run("inspect", fixture("tfds").toString(), "--scan", "3");
    assertTrue(scanned.out().contains("records:  3 (the first ones only: --scan stopped the read)"), scanned.out());
    RunCli.run("inspect", fixture("tfds").toString(), "--scan", "0").assertFails(2, "--scan");
  }

  /** The first PNG inside a TFRecord file's bytes. */
  static byte[] pngOf(byte[] file) {
    for (int i = 0; i + 8 < file.length; i++) {
      if ((file[i] & 0xff) == 0x89 && file[i + 1] == 'P' && file[i + 2] == 'N' && file[i + 3] == 'G') {
        for (int j = i; j + 8 <= file.length; j++) {
          if (file[j] == 'I' && file[j + 1] == 'E' && file[j + 2] == 'N' && file[j + 3] == 'D') {
            return Arrays.copyOfRange(file, i, j + 8);
          }
        }
      }
    }
    throw new IllegalStateException("no PNG in the fixture");
  }

  private static List<String> list(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}

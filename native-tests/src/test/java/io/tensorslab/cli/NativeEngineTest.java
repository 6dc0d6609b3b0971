package io.tensorslab.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorslab.testutil.TfRecordWriter;
import io.tensorslab.testutil.TfRecordWriter.Compression;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code convert --engine native} writes the same bytes as {@code --engine tensorflow}, for every
 * thread count, every kind of feature (fixed, scalar, {@code *} ragged and padded; float32, int64,
 * bytes), across files and compressions; and it never loads TensorFlow's native library.
 */
class NativeEngineTest {

  private static final List<String> FEATURES = List.of("--feature", "img:float32:2,3", "--feature", "label:int64:",
      "--feature", "name:bytes:", "--feature", "tok:int64:*", "--feature", "w:float32:*", "--feature", "words:bytes:*");

  /** Two files of varied records: rows of every length, missing '*' features, empty and long strings. */
  private static List<Path> inputs(Path dir, Compression c) {
    List<Path> files = new ArrayList<>();
    int row = 0;
    for (int file = 0; file < 2; file++) {
      List<byte[]> records = new ArrayList<>();
      for (int i = 0; i < (file == 0 ? 700 : 333); i++, row++) {
        float[] img = new float[6];
        for (int j = 0; j < 6; j++) {
          img[j] = row * 0.5f - j;
        }
        var e = TfRecordWriter.example().floats("img", img).int64s("label", row * 1_000_003L - 7)
            .bytes("name", ("n" + "x".repeat(row % 11) + row).getBytes(StandardCharsets.UTF_8));
        if (row % 5 != 2) {
          long[] tok = new long[row % 9];
          for (int j = 0; j < tok.length; j++) {
            tok[j] = (long) row << 20 | j;
          }
          e.int64s("tok", tok);
        }
        float[] w = new float[row % 4];
        java.util.Arrays.fill(w, row + 0.25f);
        e.floats("w", w);
        byte[][] words = new byte[row % 3][];
        for (int j = 0; j < words.length; j++) {
          words[j] = ("w" + row + "_" + "y".repeat(j * 3)).getBytes(StandardCharsets.UTF_8);
        }
        e.bytes("words", words);
        records.add(e.toByteArray());
      }
      String suffix = c == Compression.GZIP ? ".gz" : c == Compression.ZLIB ? ".zlib" : "";
      files.add(TfRecordWriter.write(dir.resolve("in" + file + ".tfrecord" + suffix), c, records));
    }
    return files;
  }

  private static RunCli convert(List<Path> files, Compression c, Path out, String... more) {
    List<String> args = new ArrayList<>(List.of("convert", "--tfrecord",
        String.join(",", files.stream().map(Path::toString).toList()), "--compression",
        c.name().toLowerCase(java.util.Locale.ROOT), "--out", out.toString()));
    args.addAll(FEATURES);
    args.addAll(List.of(more));
    return RunCli.run(args);
  }

  /** Every {@code .npy} in {@code actual} equals, byte for byte, the one of the same name in {@code expected}; same names. */
  static void assertSameNpyFiles(Path expected, Path actual) throws IOException {
    List<Path> names;
    try (Stream<Path> s = Files.list(expected)) {
      names = s.filter(p -> p.toString().endsWith(".npy")).map(Path::getFileName).sorted().toList();
    }
    try (Stream<Path> s = Files.list(actual)) {
      assertEquals(names, s.filter(p -> p.toString().endsWith(".npy")).map(Path::getFileName).sorted().toList());
    }
    assertTrue(names.size() >= 6, names.toString());
    for (Path n : names) {
      assertArrayEquals(Files.readAllBytes(expected.resolve(n)), Files.readAllBytes(actual.resolve(n)),
          n + " differs from the TensorFlow engine's");
    }
  }

  @ParameterizedTest
  @EnumSource(Compression.class)
  void nativeEqualsTensorFlowForEveryThreadCount(Compression c, @TempDir Path dir) throws IOException {
    List<Path> files = inputs(dir, c);
    for (String varlen : List.of("ragged", "pad")) {
      Path reference = dir.resolve("tf-" + varlen);
      RunCli tf = convert(files, c, reference, "--engine", "tensorflow", "--varlen", varlen, "--batch", "64");
      assertEquals(0, tf.code(), tf.err());
      assertTrue(tf.out().contains("engine: tensorflow (--engine tensorflow)"), tf.out());
      for (int threads : new int[] {1, 2, 3, 7}) {
        Path out = dir.resolve("native-" + varlen + "-" + threads);
        RunCli run = convert(files, c, out, "--engine", "native", "--threads", Integer.toString(threads), "--varlen", varlen);
        assertEquals(0, run.code(), run.err());
        assertTrue(run.out().contains("engine: native (--engine native), " + threads + " thread"), run.out());
        assertSameNpyFiles(reference, out);
      }
    }
  }

  @Test
  void limitAndPadValueMatchTensorFlow(@TempDir Path dir) throws IOException {
    List<Path> files = inputs(dir, Compression.NONE);
    Path reference = dir.resolve("tf");
    assertEquals(0, convert(files, Compression.NONE, reference, "--engine", "tensorflow", "--varlen", "pad",
        "--pad-value", "-3", "--limit", "777").code());
    Path out = dir.resolve("native");
    RunCli run = convert(files, Compression.NONE, out, "--varlen", "pad", "--pad-value", "-3", "--limit", "777",
        "--threads", "2");
    assertEquals(0, run.code(), run.err());
    assertTrue(run.out().contains("engine: native (auto), 2 threads"), run.out());
    assertSameNpyFiles(reference, out);
  }

  @Test
  void aBadRecordIsNamedAndLeavesNoFile(@TempDir Path dir) throws IOException {
    List<byte[]> records = new ArrayList<>();
    for (int i = 0; i < 5000; i++) {
      records.add(TfRecordWriter.example().floats("x", i == 4321 ? new float[] {1, 2} : new float[] {1, 2, 3})
          .toByteArray());
    }
    Path in = TfRecordWriter.write(dir.resolve("a.tfrecord"), Compression.NONE, records);
    Path out = dir.resolve("out");
    for (String threads : List.of("1", "2", "5")) {
      RunCli.run("convert", "--tfrecord", in.toString(), "--feature", "x:float32:3", "--out", out.toString(),
          "--threads", threads).assertFails(1, "path=" + in, "record=4321", "feature=x", "has 2 values, expected 3");
      assertTrue(!Files.exists(out) || RunCli.leftovers(out).isEmpty(), "nothing left behind");
    }
  }

  /**
   * Rows larger than a range writer's 1 MiB staging buffer (1.2 MB each) and rows that fill many
   * buffers: the same bytes as the TensorFlow engine on 1 and 2 threads.
   */
  @Test
  void rowsLargerThanAStagingBufferMatchTensorFlow(@TempDir Path dir) throws IOException {
    List<byte[]> records = new ArrayList<>();
    java.util.Random rnd = new java.util.Random(3);
    for (int i = 0; i < 12; i++) {
      float[] big = new float[300_000];
      for (int j = 0; j < big.length; j += 997) {
        big[j] = rnd.nextFloat();
      }
      big[big.length - 1] = i;
      records.add(TfRecordWriter.example().floats("big", big).int64s("label", i).toByteArray());
    }
    Path in = TfRecordWriter.write(dir.resolve("big.tfrecord"), Compression.NONE, records);
    List<String> common = List.of("convert", "--tfrecord", in.toString(), "--feature", "big:float32:300000",
        "--feature", "label:int64:");
    Path reference = dir.resolve("tf");
    List<String> tf = new ArrayList<>(common);
    tf.addAll(List.of("--engine", "tensorflow", "--batch", "5", "--out", reference.toString()));
    RunCli ran = RunCli.run(tf);
    assertEquals(0, ran.code(), ran.err());
    for (String threads : List.of("1", "2")) {
      Path out = dir.resolve("native-" + threads);
      List<String> nat = new ArrayList<>(common);
      nat.addAll(List.of("--engine", "native", "--threads", threads, "--out", out.toString()));
      ran = RunCli.run(nat);
      assertEquals(0, ran.code(), ran.err());
      for (String name : List.of("big.npy", "label.npy")) {
        assertArrayEquals(Files.readAllBytes(reference.resolve(name)), Files.readAllBytes(out.resolve(name)),
            name + " differs from the TensorFlow engine's (threads=" + threads + ")");
      }
    }
  }

  /**
   * Without an index (one thread, a compressed file, or one plain file on two threads) a bad record
   * is met before a damaged header later in the file; the error is still the damaged header's, as
   * the index finds it, for every thread count, and nothing is left behind.
   */
  @ParameterizedTest
  @EnumSource(value = Compression.class, names = {"NONE", "GZIP"})
  void aBadRecordBeforeADamagedHeaderIsTheHeadersError(Compression c, @TempDir Path dir) throws IOException {
    List<byte[]> records = new ArrayList<>();
    for (int i = 0; i < 6000; i++) {
      records.add(TfRecordWriter.example().floats("x", i == 10 ? new float[] {1, 2} : new float[] {i, 2, 3})
          .toByteArray());
    }
    byte[] framed = TfRecordWriter.frame(records);
    framed[(int) TfRecordWriter.recordOffset(records, 5000) + 9] ^= 0x10; // a length CRC
    Path in = TfRecordWriter.writeFramed(dir.resolve(c == Compression.GZIP ? "in.tfrecord.gz" : "in.tfrecord"), c,
        framed);
    Path out = dir.resolve("out");
    for (String threads : List.of("1", "2", "3")) {
      RunCli.run("convert", "--tfrecord", in.toString(), "--feature", "x:float32:3", "--out", out.toString(),
          "--threads", threads).assertFails(1, "path=" + in, "record=5000", "bad length checksum");
      assertTrue(!Files.exists(out) || RunCli.leftovers(out).isEmpty(), "nothing left behind");
    }
  }

  /**
   * The files are indexed side by side on several threads; a damaged header in the second file
   * (and another in the third) is the second file's error for every thread count, as when
   * indexed one after the other.
   */
  @Test
  void aDamagedHeaderInALaterFileIsTheSameErrorForEveryThreadCount(@TempDir Path dir) throws IOException {
    List<byte[]> records = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      records.add(TfRecordWriter.example().floats("x", i, i + 1).toByteArray());
    }
    List<Path> files = new ArrayList<>();
    for (int f = 0; f < 3; f++) {
      byte[] framed = TfRecordWriter.frame(records);
      if (f > 0) {
        framed[(int) TfRecordWriter.recordOffset(records, 1000 + f) + 9] ^= 0x10; // a length CRC
      }
      files.add(TfRecordWriter.writeFramed(dir.resolve("in" + f + ".tfrecord"), Compression.NONE, framed));
    }
    Path out = dir.resolve("out");
    for (String threads : List.of("1", "2", "3", "8")) {
      RunCli.run("convert", "--tfrecord", String.join(",", files.stream().map(Path::toString).toList()),
          "--feature", "x:float32:2", "--engine", "native", "--threads", threads, "--out", out.toString())
          .assertFails(1, "path=" + files.get(1), "record=1001", "bad length checksum");
      assertTrue(!Files.exists(out) || RunCli.leftovers(out).isEmpty(), "nothing left behind");
    }
  }

  /**
   * The native engine runs without TensorFlow's native library, to {@code .npy} and to Zarr (the
   * store format and codecs are pure Java and zstd-jni); the TensorFlow engine (the control) loads it.
   */
  @Test
  void nativeEngineDoesNotLoadTensorFlow(@TempDir Path dir) throws Exception {
    List<Path> files = inputs(dir, Compression.NONE);
    String input = String.join(",", files.stream().map(Path::toString).toList());
    for (String engine : List.of("native", "native-zarr3", "tensorflow")) {
      List<String> args = new ArrayList<>(List.of("convert", "--tfrecord", input, "--out",
          dir.resolve("probe-" + engine).toString(), "--quiet", "--engine",
          engine.startsWith("native") ? "native" : engine, "--varlen", "pad"));
      if (engine.endsWith("zarr3")) {
        args.addAll(List.of("--format", "zarr3", "--codec", "zstd", "--chunk-rows", "100", "--threads", "2"));
      }
      args.addAll(FEATURES);
      String output = probe(args);
      assertTrue(output.contains("EXIT 0"), output);
      assertTrue(Files.exists(dir.resolve("probe-" + engine).resolve(engine.endsWith("zarr3") ? "zarr.json"
          : "manifest.json")), engine + ": the conversion wrote its output");
      assertTrue(output.contains("TENSORFLOW-LOADED " + (engine.startsWith("native") ? "no" : "yes")), engine + ": " + output);
    }
  }

  /**
   * Runs {@code tensorslab ARGS} in a fresh JVM ({@link ConvertProbeMain}); its output ends with
   * {@code EXIT code} and {@code TENSORFLOW-LOADED yes|no}.
   */
  static String probe(List<String> args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
        "-cp", System.getProperty("java.class.path"), ConvertProbeMain.class.getName()));
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("TF_CPP_MIN_LOG_LEVEL", "3");
    Process p = pb.start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), output);
    return output;
  }
}

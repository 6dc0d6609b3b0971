package io.tensorslab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorslab.testutil.TfRecordWriter;
import io.tensorslab.testutil.TfRecordWriter.Compression;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code raw-<type>} features through the native engine: the same {@code .npy} bytes as
 * {@code --engine tensorflow} ({@code DecodeRaw}) for every type and shape, thread count and
 * compression; the same failures with the same one-line message; {@code auto} takes the native
 * engine for them and TensorFlow's native library stays unloaded.
 */
class NativeRawEngineTest {

  /** One raw feature: its name, DTYPE, SHAPE text and the bytes each record holds. */
  private record Raw(String name, String dtype, String shape, int bytes) {
    String spec() {
      return name + ":" + dtype + ":" + shape;
    }
  }

  /** Every raw type; scalar, 1-D, 2-D and 3-D shapes; an empty one; one of 8 KiB rows (windows roll over). */
  private static final List<Raw> RAW = List.of(
      new Raw("i8", "raw-int8", "5", 5),
      new Raw("u8", "raw-uint8", "2,3,2", 12),
      new Raw("i16", "raw-int16", "", 2),
      new Raw("u16", "raw-uint16", "2,2", 8),
      new Raw("i32", "raw-int32", "3", 12),
      new Raw("u32", "raw-uint32", "1,3", 12),
      new Raw("i64", "raw-int64", "2", 16),
      new Raw("u64", "raw-uint64", "2,1", 16),
      new Raw("f16", "raw-float16", "3", 6),
      new Raw("f32", "raw-float32", "4,3", 48),
      new Raw("f64", "raw-float64", "2,2,2", 64),
      new Raw("none", "raw-float32", "2,0", 0),
      new Raw("big", "raw-uint8", "64,128", 8192));

  /** Features beside the raw ones that make the native engine count values first ('*' and bytes). */
  private static final List<String> COUNTED = List.of("label:int64:", "tok:int64:*", "name:bytes:");

  private static List<String> featureArgs(boolean counted) {
    List<String> args = new ArrayList<>();
    RAW.forEach(r -> args.addAll(List.of("--feature", r.spec())));
    if (counted) {
      COUNTED.forEach(f -> args.addAll(List.of("--feature", f)));
    }
    return args;
  }

  /** A record with every raw feature (random bytes: any bit pattern, NaN payloads included) and the counted ones. */
  private static TfRecordWriter.ExampleBuilder record(Random random, int row) {
    return record(random, row, null);
  }

  /** {@link #record(Random, int)} without raw feature {@code without}. */
  private static TfRecordWriter.ExampleBuilder record(Random random, int row, String without) {
    var e = TfRecordWriter.example();
    for (Raw r : RAW) {
      if (!r.name().equals(without)) {
        byte[] b = new byte[r.bytes()];
        random.nextBytes(b);
        e.bytes(r.name(), b);
      }
    }
    long[] tok = new long[row % 5];
    java.util.Arrays.fill(tok, row);
    return e.int64s("label", row).int64s("tok", tok).bytes("name", ("n" + row).getBytes());
  }

  private static List<Path> inputs(Path dir, Compression c) {
    Random random = new Random(42);
    List<Path> files = new ArrayList<>();
    int row = 0;
    for (int file = 0; file < 2; file++) {
      List<byte[]> records = new ArrayList<>();
      for (int i = 0; i < (file == 0 ? 700 : 333); i++, row++) {
        records.add(record(random, row).toByteArray());
      }
      files.add(TfRecordWriter.write(dir.resolve("in" + file + ".tfrecord" + (c == Compression.GZIP ? ".gz" : "")),
          c, records));
    }
    return files;
  }

  private static RunCli convert(List<Path> files, Path out, List<String> features, String... more) {
    List<String> args = new ArrayList<>(List.of("convert", "--tfrecord",
        String.join(",", files.stream().map(Path::toString).toList()), "--out", out.toString()));
    args.addAll(features);
    args.addAll(List.of(more));
    return RunCli.run(args);
  }

  @ParameterizedTest
  @EnumSource(value = Compression.class, names = {"NONE", "GZIP"})
  void nativeEqualsTensorFlowForEveryRawTypeAndThreadCount(Compression c, @TempDir Path dir) throws IOException {
    List<Path> files = inputs(dir, c);
    for (boolean counted : new boolean[] {false, true}) {
      List<String> features = featureArgs(counted);
      Path reference = dir.resolve("tf-" + counted);
      RunCli tf = convert(files, reference, features, "--engine", "tensorflow", "--batch", "64");
      assertEquals(0, tf.code(), tf.err());
      for (int threads : new int[] {1, 2, 3}) {
        Path out = dir.resolve("native-" + counted + "-" + threads);
        RunCli run = convert(files, out, features, "--engine", "native", "--threads", Integer.toString(threads));
        assertEquals(0, run.code(), run.err());
        NativeEngineTest.assertSameNpyFiles(reference, out);
      }
      Path auto = dir.resolve("auto-" + counted);
      RunCli run = convert(files, auto, features, "--threads", "2");
      assertEquals(0, run.code(), run.err());
      assertTrue(run.out().contains("engine: native (auto), 2 threads"), run.out());
      NativeEngineTest.assertSameNpyFiles(reference, auto);
    }
  }

  /** A bad record: its index in the file, what its {@code f32} holds, and what the error line must say. */
  static Stream<Arguments> badRecords() {
    return Stream.of(
        Arguments.of("the wrong byte length", 421, (Consumer<TfRecordWriter.ExampleBuilder>) e -> e.bytes("f32", new byte[44]),
            "feature 'f32' holds 44 bytes, expected 48 (12 x float32 for shape [4,3])"),
        Arguments.of("an empty value", 3, (Consumer<TfRecordWriter.ExampleBuilder>) e -> e.bytes("f32", new byte[0]),
            "feature 'f32' holds 0 bytes, expected 48 (12 x float32 for shape [4,3])"),
        Arguments.of("two values", 299,
            (Consumer<TfRecordWriter.ExampleBuilder>) e -> e.bytes("f32", new byte[48], new byte[48]),
            "feature 'f32' has 2 values, expected 1 bytes value, shape [4,3]"),
        Arguments.of("no value", 1, (Consumer<TfRecordWriter.ExampleBuilder>) e -> {},
            "feature 'f32' is missing, expected 1 bytes value, shape [4,3]"),
        Arguments.of("floats", 599, (Consumer<TfRecordWriter.ExampleBuilder>) e -> e.floats("f32", new float[12]),
            "feature 'f32' holds float32 values, not bytes"));
  }

  /**
   * Record {@code bad} of 600 holds {@code f32} as {@code badF32} sets it, the others are whole;
   * both engines must fail with the same one line, naming the record, for 1, 2 and 3 threads, with
   * and without the count pass, and leave no file.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("badRecords")
  void aBadRawValueFailsAsInTheTensorFlowEngine(String what, int bad, Consumer<TfRecordWriter.ExampleBuilder> badF32,
      String problem, @TempDir Path dir) throws IOException {
    Random random = new Random(7);
    List<byte[]> records = new ArrayList<>();
    for (int i = 0; i < 600; i++) {
      TfRecordWriter.ExampleBuilder e = record(random, i, i == bad ? "f32" : null);
      if (i == bad) {
        badF32.accept(e);
      }
      records.add(e.toByteArray());
    }
    Path in = TfRecordWriter.write(dir.resolve("bad.tfrecord"), Compression.NONE, records);
    Path out = dir.resolve("out");
    for (boolean counted : new boolean[] {false, true}) {
      List<String> features = featureArgs(counted);
      RunCli tf = convert(List.of(in), out, features, "--engine", "tensorflow")
          .assertFails(1, problem, "path=" + in, "record=" + bad, "feature=f32");
      assertFalse(Files.exists(out), "the tensorflow engine leaves nothing");
      for (String threads : List.of("1", "2", "3")) {
        RunCli run = convert(List.of(in), out, features, "--engine", "native", "--threads", threads)
            .assertFails(1, problem);
        assertEquals(tf.err(), run.err(), "the message of the tensorflow engine");
        assertFalse(Files.exists(out), "nothing left behind");
      }
    }
  }

  /**
   * A shape of more bytes than any value can hold (2 GiB at most) fails on the first record as in
   * the tensorflow engine, before any file is made (the native engine would otherwise reserve
   * rows of terabytes first).
   */
  @Test
  void aShapeNoValueCanHoldFailsOnTheFirstRecord(@TempDir Path dir) throws IOException {
    Path in = TfRecordWriter.write(dir.resolve("a.tfrecord"), Compression.NONE,
        List.of(TfRecordWriter.example().bytes("x", new byte[16]).toByteArray()));
    Path out = dir.resolve("o");
    for (String[] shapeAndExpected : new String[][] {{"1000000000000", "expected 8000000000000"},
        {"2305843009213693952", "expected more than a long can count"}}) {
      List<String> feature = List.of("--feature", "x:raw-float64:" + shapeAndExpected[0]);
      String expected = "feature 'x' holds 16 bytes, " + shapeAndExpected[1] + " (" + shapeAndExpected[0]
          + " x float64 for shape [" + shapeAndExpected[0] + "])";
      RunCli tf = convert(List.of(in), out, feature, "--engine", "tensorflow")
          .assertFails(1, expected, "record=0", "feature=x");
      RunCli run = convert(List.of(in), out, feature, "--engine", "native").assertFails(1, expected);
      assertEquals(tf.err(), run.err());
      assertFalse(Files.exists(out), "nothing made");
    }
  }

  /** '*' is no raw shape: the same usage error whichever engine is asked for. */
  @Test
  void aVariableRawShapeIsRefusedByBothEngines(@TempDir Path dir) throws IOException {
    Path in = TfRecordWriter.write(dir.resolve("a.tfrecord"), Compression.NONE,
        List.of(TfRecordWriter.example().bytes("x", new byte[8]).toByteArray()));
    List<String> errors = new ArrayList<>();
    for (String engine : List.of("tensorflow", "native", "auto")) {
      errors.add(convert(List.of(in), dir.resolve("o"), List.of("--feature", "x:raw-float32:*"), "--engine", engine)
          .assertFails(2, "a raw-<type> feature needs a fixed SHAPE").err());
    }
    assertEquals(List.of(errors.get(0), errors.get(0), errors.get(0)), errors);
  }

  /** With raw features only, auto converts natively in a fresh JVM that never maps libtensorflow. */
  @Test
  void autoConvertsRawWithoutLoadingTensorFlow(@TempDir Path dir) throws Exception {
    List<Path> files = inputs(dir, Compression.NONE);
    List<String> args = new ArrayList<>(List.of("convert", "--tfrecord",
        String.join(",", files.stream().map(Path::toString).toList()), "--out", dir.resolve("o").toString(),
        "--threads", "2"));
    args.addAll(featureArgs(false));
    String output = NativeEngineTest.probe(args);
    assertTrue(output.contains("EXIT 0"), output);
    assertTrue(output.contains("engine: native (auto), 2 threads"), output);
    assertTrue(output.contains("TENSORFLOW-LOADED no"), output);
    for (Raw r : RAW) {
      assertTrue(Files.isRegularFile(dir.resolve("o").resolve(r.name() + ".npy")), r.name());
    }
  }
}

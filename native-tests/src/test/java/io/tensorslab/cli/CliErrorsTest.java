package io.tensorslab.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every failure of issue 5's contract: exit code, exactly one stderr line naming file, record,
 * feature and problem (or the flag, for usage errors), and nothing left in the output directory.
 */
class CliErrorsTest {

  /** A good record: x float32[3], y int64 scalar. */
  static byte[] good(int r) {
    return TfRecordWriter.example().floats("x", r, r + 0.5f, -r).int64s("y", r).toByteArray();
  }

  static List<byte[]> records(int n) {
    List<byte[]> out = new ArrayList<>();
    for (int r = 0; r < n; r++) {
      out.add(good(r));
    }
    return out;
  }

  static RunCli convert(Path out, String compression, Path... files) {
    List<String> names = new ArrayList<>();
    for (Path f : files) {
      names.add(f.toString());
    }
    return RunCli.run("convert", "--tfrecord", String.join(",", names), "--compression", compression,
        "--feature", "x:float32:3", "--feature", "y:int64:", "--batch", "64", "--out", out.toString());
  }

  /** The bad record sits in the second file, several batches in: earlier batches were already copied. */
  private static RunCli badSecondFile(Path dir, byte[] bad, int index) {
    Path a = TfRecordWriter.write(dir.resolve("a.tfrecord"), Compression.NONE, records(150));
    List<byte[]> rs = records(200);
    rs.set(index, bad);
    Path b = TfRecordWriter.write(dir.resolve("b.tfrecord"), Compression.NONE, rs);
    return convert(dir.resolve("out"), "none", a, b);
  }

  @Test
  void recordMissingAFixedFeature(@TempDir Path dir) throws IOException {
    badSecondFile(dir, TfRecordWriter.example().floats("x", 1, 2, 3).toByteArray(), 120)
        .assertFails(1, "path=" + dir.resolve("b.tfrecord"), "record=120", "feature=y", "missing");
    assertEquals(List.of(), RunCli.leftovers(dir.resolve("out")));
  }

  @Test
  void featureWithTheWrongNumberOfValues(@TempDir Path dir) throws IOException {
    badSecondFile(dir, TfRecordWriter.example().floats("x", 1, 2).int64s("y", 5).toByteArray(), 77)
        .assertFails(1, "path=" + dir.resolve("b.tfrecord"), "record=77", "feature=x", "has 2 values, expected 3");
    assertEquals(List.of(), RunCli.leftovers(dir.resolve("out")));
  }

  @Test
  void featureOfTheWrongKind(@TempDir Path dir) throws IOException {
    badSecondFile(dir, TfRecordWriter.example().floats("x", 1, 2, 3).floats("y", 5).toByteArray(), 3)
        .assertFails(1, "path=" + dir.resolve("b.tfrecord"), "record=3", "feature=y", "float32");
    assertEquals(List.of(), RunCli.leftovers(dir.resolve("out")));
  }

  @Test
  void recordThatIsNotAnExample(@TempDir Path dir) throws IOException {
    badSecondFile(dir, new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x01}, 130)
        .assertFails(1, "path=" + dir.resolve("b.tfrecord"), "record=130", "tf.train.Example");
    assertEquals(List.of(), RunCli.leftovers(dir.resolve("out")));
  }

  @ParameterizedTest
  @EnumSource(Compression.class)
  void corruptRecordWithABadCrc(Compression c, @TempDir Path dir) throws IOException {
    Path a = TfRecordWriter.write(dir.resolve("a.tfrecord"), c, records(150));
    Path b = TfRecordWriter.writeWithBadDataCrc(dir.resolve("b.tfrecord"), c, records(200), 90);
    convert(dir.resolve("out"), c.name().toLowerCase(java.util.Locale.ROOT), a, b)
        .assertFails(1, "path=" + b, "record=90", "checksum");
    assertEquals(List.of(), RunCli.leftovers(dir.resolve("out")));
  }

  /** Cut inside a record's header (TensorFlow alone would call that a clean end) and inside its data. */
  @ParameterizedTest
  @ValueSource(ints = {5, 30})
  void truncatedFile(int cut, @TempDir Path dir) throws IOException {
    Path a = TfRecordWriter.writeTruncated(dir.resolve("a.tfrecord"), Compression.NONE, records(100), 99, cut);
    convert(dir.resolve("out"), "none", a).assertFails(1, "path=" + a, "record=99", "truncated");
    assertFalse(Files.exists(dir.resolve("out")), "no output directory made");
  }

  @Test
  void truncatedGzipStream(@TempDir Path dir) throws IOException {
    Path full = TfRecordWriter.write(dir.resolve("full.gz"), Compression.GZIP, records(300));
    byte[] bytes = Files.readAllBytes(full);
    Path a = Files.write(dir.resolve("a.tfrecord.gz"), java.util.Arrays.copyOf(bytes, bytes.length / 2));
    convert(dir.resolve("out"), "gzip", a).assertFails(1, "path=" + a, "record=", "truncated");
  }

  /**
   * A GZIP stream damaged in its middle, converted on two threads (one inflates ahead while the
   * other parses): one error naming the file and a record, from whichever check meets the damage
   * first (the inflater, or a record's checksum), and no output directory.
   */
  @Test
  void damagedGzipStreamInflatedAhead(@TempDir Path dir) throws IOException {
    Path full = TfRecordWriter.write(dir.resolve("full.gz"), Compression.GZIP, records(20_000));
    byte[] bytes = Files.readAllBytes(full);
    for (int i = bytes.length / 2; i < bytes.length / 2 + 64; i++) {
      bytes[i] = (byte) 0xff;
    }
    Path a = Files.write(dir.resolve("a.tfrecord.gz"), bytes);
    RunCli r = RunCli.run("convert", "--tfrecord", a.toString(), "--compression", "gzip", "--threads", "2",
        "--feature", "x:float32:3", "--feature", "y:int64:", "--out", dir.resolve("out").toString());
    r.assertFails(1, "path=" + a, "record=");
    assertTrue(r.err().contains("damaged GZIP stream at or after this record") || r.err().contains("checksum"), r.err());
    assertFalse(Files.exists(dir.resolve("out")), "no output directory made");
  }

  @Test
  void wrongCompression(@TempDir Path dir) throws IOException {
    Path a = TfRecordWriter.write(dir.resolve("a.tfrecord.gz"), Compression.GZIP, records(10));
    convert(dir.resolve("out"), "none", a).assertFails(1, "path=" + a, "record=0", "--compression none");
    Path plain = TfRecordWriter.write(dir.resolve("b.tfrecord"), Compression.NONE, records(10));
    convert(dir.resolve("out"), "zlib", plain).assertFails(1, "path=" + plain, "ZLIB");
    assertFalse(Files.exists(dir.resolve("out")));
  }

  @Test
  void missingInputFile(@TempDir Path dir) throws IOException {
    Path a = TfRecordWriter.write(dir.resolve("a.tfrecord"), Compression.NONE, records(10));
    Path missing = dir.resolve("nope.tfrecord");
    convert(dir.resolve("out"), "none", a, missing).assertFails(1, "path=" + missing, "does not exist");
    assertFalse(Files.exists(dir.resolve("out")));
  }

  /** An existing DIR with .npy files and no --overwrite: refused before anything is read, files untouched. */
  @Test
  void existingOutputWithoutOverwrite(@TempDir Path dir) throws IOException {
    Path a = TfRecordWriter.write(dir.resolve("a.tfrecord"), Compression.NONE, records(10));
    Path out = Files.createDirectories(dir.resolve("out"));
    byte[] old = {1, 2, 3};
    Files.write(out.resolve("x.npy"), old);
    convert(out, "none", a).assertFails(1, "path=" + out, "x.npy", "--overwrite");
    assertArrayEquals(old, Files.readAllBytes(out.resolve("x.npy")));
    assertEquals(List.of("x.npy"), RunCli.leftovers(out));
  }

  /** Usage errors: exit 2, one line, naming the flag; nothing read or written. */
  @ParameterizedTest
  @ValueSource(strings = {
      "--bogus|--bogus",
      "--batch x|--batch",
      "--batch 0|--batch",
      "--limit -1|--limit",
      "--compression lzma|--compression",
      "--varlen squash|--varlen",
      "--pad-value 7|--pad-value",
      "--feature z:float64:3|--feature",
      "--feature z:float32:2,,2|--feature",
      "--feature x:float32:3|--feature",
      "--feature t:int64:* --varlen pad --pad-value 1.5|--pad-value"})
  void usageErrors(String argsAndFlag, @TempDir Path dir) throws IOException {
    String[] parts = argsAndFlag.split("\\|");
    Path a = TfRecordWriter.write(dir.resolve("a.tfrecord"), Compression.NONE, records(10));
    List<String> args = new ArrayList<>(List.of("convert", "--tfrecord", a.toString(), "--feature", "x:float32:3",
        "--out", dir.resolve("out").toString()));
    args.addAll(List.of(parts[0].split(" ")));
    RunCli.run(args).assertFails(2, parts[1], "--help");
    assertFalse(Files.exists(dir.resolve("out")));
  }

  @Test
  void missingRequiredOptions(@TempDir Path dir) {
    RunCli.run("convert", "--feature", "x:float32:3", "--out", dir.resolve("o").toString())
        .assertFails(2, "--tfrecord");
    RunCli.run("convert", "--tfrecord", "a", "--feature", "x:float32:3").assertFails(2, "--out");
    RunCli.run("frobnicate").assertFails(2, "frobnicate");
    RunCli.run().assertFails(2, "demo, convert, inspect or status");
    RunCli.run("demo", "--rows", "0").assertFails(2, "--rows");
    RunCli.run("demo", "--rows", "many").assertFails(2, "--rows");
  }

  @Test
  void everyCommandHasHelp() {
    for (String cmd : List.of("demo", "convert", "inspect")) {
      RunCli run = RunCli.run(cmd, "--help");
      assertEquals(0, run.code(), cmd);
      assertEquals("", run.err(), cmd);
      org.junit.jupiter.api.Assertions.assertTrue(run.out().startsWith("Usage: tensorslab " + cmd), run.out());
    }
    RunCli top = RunCli.run("--help");
    assertEquals(0, top.code());
    org.junit.jupiter.api.Assertions.assertTrue(top.out().contains("convert"), top.out());
  }
}

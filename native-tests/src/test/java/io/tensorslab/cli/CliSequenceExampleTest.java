package io.tensorslab.cli;

import static io.tensorslab.cli.CliRealTfRecordTest.assertEqualArrays;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorslab.testutil.NumPy;
import io.tensorslab.testutil.TfRecordWriter;
import io.tensorslab.testutil.WireEncoding;
import io.tensorslab.testutil.ZarrReaders;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code convert --sequence} of TFRecord files of {@code tf.train.SequenceExample}s written by Python
 * TensorFlow ({@code fixtures/sequence/make_fixtures.py}) against the arrays its
 * {@code tf.io.parse_sequence_example} gives (committed beside): context features, ragged feature
 * lists of two levels, a fixed-shape feature list; plain and GZIP, {@code .npy} and Zarr v2 / v3.
 */
class CliSequenceExampleTest {

  /** The features the fixture's expected arrays were parsed with. */
  static final List<String> FEATURES = List.of("--feature", "id:int64:", "--feature", "box:float32:4",
      "--feature", "tags:bytes:*", "--sequence-feature", "tokens:int64:*", "--sequence-feature", "scores:float32:*",
      "--sequence-feature", "words:bytes:*", "--sequence-feature", "frames:float32:3");

  /** A file of {@code fixtures/sequence}. */
  static Path seq(String name) {
    try {
      return Path.of(CliSequenceExampleTest.class.getResource("/fixtures/sequence/" + name).toURI());
    } catch (java.net.URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static List<String> convert(Path input, Path out, String... more) {
    List<String> args = new java.util.ArrayList<>(List.of("convert", "--tfrecord", input.toString(), "--out",
        out.toString()));
    args.addAll(FEATURES);
    args.addAll(List.of(more));
    return args;
  }

  @Test
  void givenFeaturesEqualParseSequenceExample(@TempDir Path dir) {
    for (String threads : List.of("1", "3")) {
      Path out = dir.resolve("seq-" + threads);
      RunCli run = RunCli.run(convert(seq("seq.tfrecord"), out, "--threads", threads));
      assertEquals(0, run.code(), run.err());
      assertEquals(15, assertEqualArrays(seq("expected"), out));
      assertTrue(run.out().contains("engine: native, tf.train.SequenceExample records, " + threads + " thread"),
          run.out());
    }
  }

  @Test
  void inferredSchemaOfGzipRecordsEqualsParseSequenceExample(@TempDir Path dir) {
    Path out = dir.resolve("seq");
    RunCli run = RunCli.run("convert", "--tfrecord", seq("seq.tfrecord.gz").toString(), "--sequence",
        "--out", out.toString());
    assertEquals(0, run.code(), run.err());
    assertTrue(run.out().contains("schema (inferred): --feature box:float32:4 --feature id:int64: --feature "
        + "'tags:bytes:*' --sequence --sequence-feature frames:float32:3 --sequence-feature 'scores:float32:*' "
        + "--sequence-feature 'tokens:int64:*' --sequence-feature 'words:bytes:*'"), run.out());
    assertEquals(15, assertEqualArrays(seq("expected"), out));
  }

  @Test
  void rebuildsTheRaggedTensorAsDocumented(@TempDir Path dir) {
    Path out = dir.resolve("seq");
    assertEquals(0, RunCli.run(convert(seq("seq.tfrecord"), out)).code());
    // The docs' recipe, with NumPy alone: record r, step s of tokens.
    String steps = NumPy.run("""
        d = sys.argv[1]
        values, rows, steps = (np.load(d + '/tokens.' + n + '.npy') for n in ('values', 'row_splits', 'step_splits'))
        record = [values[steps[s]:steps[s + 1]].tolist() for s in range(rows[1], rows[2])]
        e = sys.argv[2]
        ev, er, es = (np.load(e + '/tokens.' + n + '.npy') for n in ('values', 'row_splits', 'step_splits'))
        assert record == [ev[es[s]:es[s + 1]].tolist() for s in range(er[1], er[2])]
        print(len(record), rows[0], steps[0], rows[-1] == len(steps) - 1, steps[-1] == len(values))
        """, out.toString(), seq("expected").toString()).strip();
    assertTrue(steps.endsWith(" 0 0 True True"), steps);
  }

  @Test
  void zarrStoresHoldTheSameArrays(@TempDir Path dir) {
    for (String format : List.of("zarr", "zarr3")) {
      Path out = dir.resolve(format);
      RunCli run = RunCli.run(convert(seq("seq.tfrecord"), out, "--format", format,
          "--chunk-rows", "64"));
      assertEquals(0, run.code(), run.err());
      String python = format.equals("zarr") ? ZarrReaders.zarrPython() : ZarrReaders.tensorstorePython();
      String read = NumPy.runWith(python, """
          import glob, os, json
          expected, store, fmt = sys.argv[1], sys.argv[2], sys.argv[3]
          def load(name):
              if fmt == 'zarr':
                  import zarr
                  return zarr.open_group(store, mode='r')[name][...]
              import tensorstore as ts
              return ts.open({'driver': 'zarr3', 'kvstore': {'driver': 'file', 'path': os.path.join(store, name)}}).result().read().result()
          n = 0
          for f in sorted(glob.glob(os.path.join(expected, '*.npy'))):
              e = np.load(f)
              a = load(os.path.basename(f)[:-4])
              if fmt == 'zarr3' and e.dtype.kind == 'S':
                  a = np.ascontiguousarray(a).view(e.dtype)[..., 0]  # Zarr v3 keeps |S{n} as n uint8 (docs/zarr.md)
              assert a.dtype == e.dtype and a.shape == e.shape, (f, a.dtype, a.shape, e.dtype, e.shape)
              assert np.array_equal(a, e), f
              n += 1
          print(n)
          """, seq("expected").toString(), out.toString(), format);
      assertEquals("15", read.strip(), format);
    }
  }

  @Test
  void shardsAndTheTensorFlowEngineAreRefusedWithWhatToDo(@TempDir Path dir) {
    Path out = dir.resolve("seq");
    RunCli.run(convert(seq("seq.tfrecord"), out, "--format", "zarr", "--shard", "0/2"))
        .assertFails(2, "--shard", "SequenceExample", "without --shard");
    RunCli.run(convert(seq("seq.tfrecord"), out, "--engine", "tensorflow"))
        .assertFails(2, "tensorflow engine", "SequenceExample", "native engine");
    RunCli.run(convert(seq("seq.tfrecord"), out, "--varlen", "pad"))
        .assertFails(2, "ragged only", "varlen pad");
    assertFalse(Files.exists(out));
  }

  /**
   * With no feature named, records holding feature lists convert as SequenceExamples by themselves
   * (as Examples they would lose the lists); naming --feature reads their context alone, as asked.
   */
  @Test
  void featureListsAreFoundWithoutSequenceWhenNoFeatureIsNamed(@TempDir Path dir) {
    Path out = dir.resolve("seq");
    RunCli run = RunCli.run("convert", "--tfrecord", seq("seq.tfrecord").toString(), "--out", out.toString());
    assertEquals(0, run.code(), run.err());
    assertTrue(run.out().contains("--sequence --sequence-feature frames:float32:3"), run.out());
    assertEquals(15, assertEqualArrays(seq("expected"), out));
    Path context = dir.resolve("context");
    RunCli only = RunCli.run("convert", "--tfrecord", seq("seq.tfrecord").toString(), "--feature", "id:int64:",
        "--out", context.toString());
    assertEquals(0, only.code(), only.err());
    try (java.util.stream.Stream<Path> files = Files.list(context)) {
      assertEquals(List.of("id.npy", "manifest.json"), files.map(p -> p.getFileName().toString()).sorted().toList());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void aNameInContextAndFeatureListsIsRefused(@TempDir Path dir) {
    Path out = dir.resolve("seq");
    RunCli.run("convert", "--tfrecord", seq("seq.tfrecord").toString(), "--out", out.toString(),
        "--feature", "tokens:int64:*", "--sequence-feature", "tokens:int64:*")
        .assertFails(2, "'tokens'", "context feature and as a feature list");
    assertFalse(Files.exists(out));
  }
  @Test
  void inspectShowsContextAndFeatureListsAndTheFlagsConvertInfers(@TempDir Path dir) throws java.io.IOException {
    RunCli run = RunCli.run("inspect", seq("seq.tfrecord").toString());
    assertEquals(0, run.code(), run.err());
    String out = run.out();
    assertTrue(out.contains("records:  300 tf.train.SequenceExample"), out);
    assertTrue(out.matches("(?s).*\\ntags +bytes +0-3 +43\\n.*"), out);
    assertTrue(out.matches("(?s).*\\nframes +float32 +0-3 +3 +75\\n.*"), out);
    assertTrue(out.matches("(?s).*\\ntokens +int64 +0-5 +0-4 +60\\n.*"), out);
    assertTrue(out.contains("  --feature box:float32:4 --feature id:int64: --feature 'tags:bytes:*' --sequence "
        + "--sequence-feature frames:float32:3"), out);
    RunCli json = RunCli.run("inspect", seq("seq.tfrecord.gz").toString(), "--json");
    assertEquals(0, json.code(), json.err());
    Path report = Files.writeString(dir.resolve("inspect.json"), json.out());
    String parsed = NumPy.run("""
        import json
        d = json.load(open(sys.argv[1]))
        lists = {f['name']: f for f in d['feature_lists']}
        w = lists['words']
        print(d['record_type'], d['records'], w['min_steps'], w['max_steps'], w['records_missing'],
              d['schema']['feature_lists'])
        """, report.toString());
    assertEquals("tf.train.SequenceExample 300 1 3 100 ['frames:float32:3', 'scores:float32:*', 'tokens:int64:*', "
        + "'words:bytes:*']", parsed.strip());
  }

  // ------------------------------------------------------------------ bad records: one error naming file, record, feature

  /** A SequenceExample: context entries, then feature-list entries (each a {@code WireEncoding.entry}). */
  static byte[] sequenceExample(List<byte[]> context, List<byte[]> featureLists) {
    java.io.ByteArrayOutputStream c = new java.io.ByteArrayOutputStream();
    context.forEach(e -> WireEncoding.delimited(c, 1, e));
    java.io.ByteArrayOutputStream l = new java.io.ByteArrayOutputStream();
    featureLists.forEach(e -> WireEncoding.delimited(l, 1, e));
    return WireEncoding.cat(WireEncoding.delimited(1, c.toByteArray()), WireEncoding.delimited(2, l.toByteArray()));
  }

  /** A FeatureList of these step Features. */
  static byte[] steps(byte[]... features) {
    java.io.ByteArrayOutputStream l = new java.io.ByteArrayOutputStream();
    for (byte[] f : features) {
      WireEncoding.delimited(l, 1, f);
    }
    return l.toByteArray();
  }

  static byte[] int64s(long... v) {
    return WireEncoding.list(3, WireEncoding.packed(v));
  }

  static byte[] floats(float... v) {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 * v.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    for (float f : v) {
      b.putFloat(f);
    }
    return WireEncoding.list(2, WireEncoding.delimited(1, b.array()));
  }

  /** A good record {@code i}: context id, feature lists tokens (ragged) and frames (2 values a step). */
  static byte[] good(int i) {
    return sequenceExample(List.of(WireEncoding.entry("id", int64s(i))), List.of(
        WireEncoding.entry("tokens", steps(int64s(i), int64s(), int64s(1, 2, 3))),
        WireEncoding.entry("frames", steps(floats(i, 0.5f), floats(1, 2)))));
  }

  /** Converts 20 records whose record 13 is {@code bad}; the error must name the file, record 13 and the parts. */
  static void assertBadRecord(Path dir, byte[] bad, String... parts) throws java.io.IOException {
    List<byte[]> records = new java.util.ArrayList<>();
    for (int i = 0; i < 20; i++) {
      records.add(i == 13 ? bad : good(i));
    }
    Path input = TfRecordWriter.write(dir.resolve("bad.tfrecord"), TfRecordWriter.Compression.NONE, records);
    Path out = dir.resolve("out");
    List<String> all = new java.util.ArrayList<>(List.of("path=" + input, "record=13"));
    all.addAll(List.of(parts));
    RunCli.run("convert", "--tfrecord", input.toString(), "--out", out.toString(), "--feature", "id:int64:",
        "--sequence-feature", "tokens:int64:*", "--sequence-feature", "frames:float32:2")
        .assertFails(1, all.toArray(String[]::new));
    assertFalse(Files.exists(out), "nothing at the final path");
    Files.delete(input);
  }

  @Test
  void goodRecordsConvert(@TempDir Path dir) throws java.io.IOException {
    List<byte[]> records = new java.util.ArrayList<>();
    for (int i = 0; i < 20; i++) {
      records.add(good(i));
    }
    Path input = TfRecordWriter.write(dir.resolve("good.tfrecord"), TfRecordWriter.Compression.NONE, records);
    Path out = dir.resolve("out");
    RunCli run = RunCli.run("convert", "--tfrecord", input.toString(), "--out", out.toString(), "--feature",
        "id:int64:", "--sequence-feature", "tokens:int64:*", "--sequence-feature", "frames:float32:2");
    assertEquals(0, run.code(), run.err());
    assertEquals("(40, 2) [0 2 4] [0 1 1 4 5 5] [13.   0.5]", NumPy.run("""
        d = sys.argv[1]
        f = np.load(d + '/frames.values.npy')
        print(f.shape, np.load(d + '/frames.row_splits.npy')[:3], np.load(d + '/tokens.step_splits.npy')[:6], f[26])
        """, out.toString()).strip());
  }

  @Test
  void aStepOfTheWrongDtypeNamesFeatureListAndStep(@TempDir Path dir) throws java.io.IOException {
    byte[] bad = sequenceExample(List.of(WireEncoding.entry("id", int64s(13))), List.of(
        WireEncoding.entry("tokens", steps(int64s(1), int64s(2), floats(3f)))));
    assertBadRecord(dir, bad, "feature=tokens", "feature list: step 2 holds float32 values, not int64");
  }

  @Test
  void aFixedShapeStepOfAnotherCountNamesTheStep(@TempDir Path dir) throws java.io.IOException {
    byte[] bad = sequenceExample(List.of(WireEncoding.entry("id", int64s(13))), List.of(
        WireEncoding.entry("frames", steps(floats(1, 2), floats(1, 2, 3)))));
    assertBadRecord(dir, bad, "feature=frames", "step 1 has 3 values, the step shape [2] holds 2");
  }

  @Test
  void aMissingFixedContextFeatureIsNamed(@TempDir Path dir) throws java.io.IOException {
    byte[] bad = sequenceExample(List.of(), List.of(WireEncoding.entry("tokens", steps(int64s(1)))));
    assertBadRecord(dir, bad, "feature=id", "context feature is required but missing");
  }

  @Test
  void aMalformedSequenceExampleIsRefused(@TempDir Path dir) throws java.io.IOException {
    byte[] good = good(13);
    // The feature lists' map entry cut short: its length now runs past the record.
    byte[] bad = java.util.Arrays.copyOf(good, good.length - 3);
    assertBadRecord(dir, bad, "not a serialized tf.train.SequenceExample");
    // A map entry with the value before the key: an Example parser would take it, TensorFlow's sequence parser not.
    byte[] swapped = sequenceExample(List.of(WireEncoding.cat(WireEncoding.delimited(2, int64s(1)),
        WireEncoding.delimited(1, "id".getBytes(java.nio.charset.StandardCharsets.UTF_8)))), List.of());
    assertBadRecord(dir, swapped, "not a serialized tf.train.SequenceExample");
  }
}

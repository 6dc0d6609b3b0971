package io.tensorslab.cli;

import static io.tensorslab.cli.CliRealTfRecordTest.assertEqualArrays;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorslab.testutil.NumPy;
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
    Path out = dir.resolve("seq");
    RunCli run = RunCli.run(convert(seq("seq.tfrecord"), out));
    assertEquals(0, run.code(), run.err());
    assertEquals(15, assertEqualArrays(seq("expected"), out));
    assertTrue(run.out().contains("engine: native, tf.train.SequenceExample records"), run.out());
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

  @Test
  void featureListsWithoutSequenceAreRefusedAsAmbiguous(@TempDir Path dir) {
    Path out = dir.resolve("seq");
    RunCli.run("convert", "--tfrecord", seq("seq.tfrecord").toString(), "--out", out.toString())
        .assertFails(2, "feature lists (tf.train.SequenceExample)", "--sequence", "--feature");
    assertFalse(Files.exists(out));
  }

  @Test
  void aNameInContextAndFeatureListsIsRefused(@TempDir Path dir) {
    Path out = dir.resolve("seq");
    RunCli.run("convert", "--tfrecord", seq("seq.tfrecord").toString(), "--out", out.toString(),
        "--feature", "tokens:int64:*", "--sequence-feature", "tokens:int64:*")
        .assertFails(2, "'tokens'", "context feature and as a feature list");
    assertFalse(Files.exists(out));
  }
}

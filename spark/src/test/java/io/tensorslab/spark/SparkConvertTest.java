package io.tensorslab.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorslab.shard.Shard;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Spark job on {@code local[2]}: 4 shards as 4 tasks give the store one {@code convert --shard 0/1}
 * process gives, file for file, and zarr-python 2 + Dask read it equal to what Python TensorFlow's
 * {@code tf.io.parse_example} gives (fixtures/make_fixtures.py). A failing shard fails the job with
 * the command's one line and leaves the store without metadata.
 */
class SparkConvertTest {

  @TempDir
  Path dir;

  static Path fixture(String name) throws URISyntaxException {
    return Path.of(SparkConvertTest.class.getResource("/fixtures/" + name).toURI());
  }

  static SparkConf local2() {
    return new SparkConf().setMaster("local[2]").set("spark.ui.enabled", "false")
        .set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1");
  }

  /** The job's exit code, stdout and stderr. */
  record Run(int code, String out, String err) {}

  static Run job(List<String> args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = SparkConvert.run(args.toArray(String[]::new), local2(), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  static List<String> convert(String inputs, Path store, String... more) {
    List<String> args = new ArrayList<>(List.of("convert", "--tfrecord", inputs, "--feature", "x:float32:4",
        "--feature", "label:int64:", "--feature", "tokens:int64:*", "--format", "zarr", "--chunk-rows", "32",
        "--out", store.toString(), "--quiet"));
    args.addAll(List.of(more));
    return args;
  }

  @Test
  void fourShardsOnLocal2EqualOneProcessAndPythonTensorFlow() throws Exception {
    String inputs = fixture("part-0.tfrecord") + "," + fixture("part-1.tfrecord");
    Path spark = dir.resolve("spark");
    Run run = job(convert(inputs, spark, "--shards", "4"));
    assertEquals(0, run.code(), run.err());
    assertTrue(run.out().contains("store complete: 500 rows, 4 shards"), run.out());

    Path one = dir.resolve("one");
    // The oracle: the same conversion as one shard in this process, no Spark.
    ConvertArguments oneArgs = ConvertArguments.parse(convert(inputs, one, "--shards", "1").toArray(String[]::new));
    assertTrue(oneArgs.conversion().runShard(new Shard(0, 1), true).storeComplete());
    String readers = python(READ_AND_COMPARE, spark.toString(), fixture("expected").toString(), one.toString());
    assertTrue(readers.contains("4 arrays equal"), readers);
    assertTrue(readers.contains("the same files as the one-process store"), readers);
  }

  @Test
  void aFailingShardFailsTheJobWithOneLineAndNoMetadata() throws Exception {
    String inputs = fixture("part-0.tfrecord") + "," + fixture("bad.tfrecord");
    Path store = dir.resolve("store");
    // Fixed features only: no count pass on the driver, so the bad record is met by shard 1's task.
    List<String> args = new ArrayList<>(convert(inputs, store, "--shards", "2"));
    int star = args.indexOf("tokens:int64:*");
    args.remove(star);
    args.remove(star - 1);
    Run run = job(args);
    assertEquals(1, run.code(), run.out());
    List<String> lines = run.err().lines().filter(l -> l.startsWith("tensorslab spark:")).toList();
    assertEquals(1, lines.size(), run.err());
    String line = lines.getFirst();
    assertTrue(line.contains("store incomplete: shards 1 of 2 are not done"), line);
    assertTrue(line.contains("feature 'label' is missing") && line.contains("path=" + fixture("bad.tfrecord"))
        && line.contains("record=7"), line);
    assertTrue(!Files.exists(store.resolve(".zgroup")), "no metadata");
  }

  /** With a '*' feature every record is counted while planning: a bad one fails on the driver, before any task. */
  @Test
  void aBadRecordMetWhilePlanningFailsBeforeSparkStarts() throws Exception {
    String inputs = fixture("part-0.tfrecord") + "," + fixture("bad.tfrecord");
    Path store = dir.resolve("store");
    Run run = job(convert(inputs, store, "--shards", "2"));
    assertEquals(1, run.code(), run.out());
    assertEquals(List.of("tensorslab spark: convert: cannot read TFRecord input: feature 'label' is missing, expected 1"
        + " int64 value, a scalar (record at byte 427) (path=" + fixture("bad.tfrecord") + ", record=7, feature=label)"),
        run.err().lines().filter(l -> l.startsWith("tensorslab spark:")).toList());
    assertTrue(!Files.exists(store.resolve(".tensorslab")), "no ledger: nothing was planned into the store");
  }

  @Test
  void argumentsAreCheckedBeforeSparkStarts() throws Exception {
    Run noShards = job(List.of("convert", "--tfrecord", "a.tfrecord"));
    assertEquals(2, noShards.code());
    assertEquals("tensorslab spark: Missing required option: '--shards=N' (see docs/scale-out.md)\n", noShards.err());
    Run npy = job(List.of("convert", "--tfrecord", fixture("part-0.tfrecord").toString(), "--feature", "x:float32:4", "--out",
        dir.resolve("o").toString(), "--shards", "2"));
    assertEquals(2, npy.code());
    assertTrue(npy.err().contains("shards write one Zarr store that several workers fill chunk by chunk, not npy"
        + " files: choose a Zarr format"), npy.err());
    Run own = job(List.of("convert", "--shard", "0/2", "--shards", "2"));
    assertEquals(2, own.code());
    assertTrue(own.err().contains("option '--shard' is set by the job for each task"), own.err());
  }

  /**
   * Reads every array with zarr-python 2 and Dask and compares it with expected/NAME.npy, then every
   * file of the store (but the shard ledger) with the one-process store's, byte for byte.
   */
  static final String READ_AND_COMPARE = """
      import os, sys
      import numpy as np, zarr, dask.array as da
      store, expected, one = sys.argv[1:4]
      root = zarr.open_group(store, mode="r")
      names = sorted(f[:-4] for f in os.listdir(expected) if f.endswith(".npy"))
      for name in names:
          want = np.load(os.path.join(expected, name + ".npy"))
          for how, got in (("zarr-python", root[name][...]), ("dask", da.from_zarr(store, component=name).compute())):
              if got.dtype != want.dtype or got.shape != want.shape or got.tobytes() != want.tobytes():
                  sys.exit(f"{name} ({how}): {got.dtype} {got.shape} differs from expected {want.dtype} {want.shape}")
      print(f"zarr {zarr.__version__} + dask: {len(names)} arrays equal")
      def files(root):
          found = {}
          for d, subdirs, names in os.walk(root):
              subdirs[:] = [s for s in subdirs if s != ".tensorslab"]
              for n in names:
                  path = os.path.join(d, n)
                  found[os.path.relpath(path, root)] = open(path, "rb").read()
          return found
      mine, theirs = files(store), files(one)
      if mine.keys() != theirs.keys():
          sys.exit(f"files differ: {sorted(mine.keys() ^ theirs.keys())}")
      different = [n for n in mine if mine[n] != theirs[n]]
      if different:
          sys.exit(f"bytes differ: {different}")
      print(f"the same files as the one-process store: {len(mine)}")
      """;

  /** Runs {@code script} with a python that has zarr 2 and dask ($TENSORSLAB_ZARR_PYTHON, else /usr/bin/python3). */
  static String python(String script, String... args) throws Exception {
    String env = System.getenv("TENSORSLAB_ZARR_PYTHON");
    String python = env != null && !env.isBlank() ? env : "/usr/bin/python3";
    List<String> cmd = new ArrayList<>(List.of(python, "-c", script));
    cmd.addAll(List.of(args));
    Path log = dir().resolve("python.log");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertTrue(p.waitFor(300, TimeUnit.SECONDS), "python did not finish");
    String out = Files.readString(log);
    assertEquals(0, p.exitValue(), () -> "zarr-python/Dask check failed (needs python3-zarr 2.x and python3-dask, "
        + "or TENSORSLAB_ZARR_PYTHON): " + out);
    return out;
  }

  private static Path dir() throws IOException {
    return Files.createTempDirectory("spark-python");
  }
}

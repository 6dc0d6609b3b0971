package io.tensorslab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorslab.slab.TemporaryFiles;
import io.tensorslab.testutil.NumPy;
import io.tensorslab.store.zarr.ZarrFormat;
import io.tensorslab.testutil.StoreFiles;
import io.tensorslab.testutil.TfRecordWriter;
import io.tensorslab.testutil.TfRecordWriter.Compression;
import io.tensorslab.testutil.ZarrReaders;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code convert --shard I/N}: separate worker processes at once into one store give the store one
 * process gives, which zarr-python 2 and Dask read equal to the {@code .npy} files TensorFlow's own
 * parser gives through the plain {@code convert}; a worker killed with SIGKILL and rerun completes
 * it; workers of another N are refused.
 */
class CliShardTest {

  @TempDir
  Path dir;

  static final String[] FEATURES = {"--feature", "x:float32:8", "--feature", "label:int64:", "--feature",
      "tokens:int64:*", "--feature", "w:float32:*"};

  /** {@code files} TFRecord files of {@code rows} rows in all: x = 8 floats, label, tokens (0-6 values), w (0-2). */
  static List<Path> inputs(Path dir, int rows, int files, Compression compression) {
    List<Path> paths = new ArrayList<>();
    int row = 0;
    for (int f = 0; f < files; f++) {
      List<byte[]> records = new ArrayList<>();
      int end = (int) ((long) rows * (f + 1) / files);
      for (; row < end; row++) {
        float[] x = new float[8];
        for (int k = 0; k < 8; k++) {
          x[k] = row * 8 + k + .25f;
        }
        long[] tokens = new long[row % 7];
        for (int k = 0; k < tokens.length; k++) {
          tokens[k] = (long) row << 8 | k;
        }
        float[] w = new float[row % 3];
        java.util.Arrays.fill(w, -row);
        records.add(TfRecordWriter.example().floats("x", x).int64s("label", row).int64s("tokens", tokens)
            .floats("w", w).toByteArray());
      }
      paths.add(TfRecordWriter.write(dir.resolve("part-" + f + ".tfrecord"), compression, records));
    }
    return paths;
  }

  static List<String> convertArgs(List<Path> inputs, Path out, String... more) {
    List<String> args = new ArrayList<>(List.of("convert", "--tfrecord",
        inputs.stream().map(Path::toString).collect(Collectors.joining(","))));
    args.addAll(List.of(FEATURES));
    args.addAll(List.of("--out", out.toString(), "--quiet"));
    args.addAll(List.of(more));
    return args;
  }

  /** A worker: the command in its own JVM, as a scheduler starts it. */
  static Process worker(List<String> args, Path log) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "--enable-native-access=ALL-UNNAMED",
        "--sun-misc-unsafe-memory-access=allow", "-cp", System.getProperty("java.class.path"),
        TensorSlabCommand.class.getName()));
    cmd.addAll(args);
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  static void awaitSuccess(Process p, Path log) throws Exception {
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "worker did not end");
    assertEquals(0, p.exitValue(), () -> "worker failed: " + read(log));
  }

  static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      return e.toString();
    }
  }

  /** zarr-python 2 + Dask read every array of {@code store} equal to the plain convert's {@code .npy} in {@code npy}. */
  static String assertReadersSeeTheOracle(Path store, Path npy) throws IOException {
    List<String> cases = new ArrayList<>();
    for (String name : List.of("x", "label", "tokens.values", "tokens.row_splits", "w.values", "w.row_splits")) {
      cases.add("{\"path\": \"" + name + "\", \"expected\": \"" + npy.resolve(name + ".npy") + "\"}");
    }
    Path casesFile = Files.writeString(store.resolveSibling(store.getFileName() + "-cases.json"),
        "[" + String.join(",\n", cases) + "]");
    String out = NumPy.runResourceWith(ZarrReaders.zarrPython(), ZarrReaders.class,
        "/io/tensorslab/store/zarr/read_zarr.py", "zarr2", store.toString(), casesFile.toString());
    assertTrue(out.contains("+ dask: 6 arrays equal"), out);
    return out;
  }

  /** The oracle: the plain convert (TensorFlow's ParseExampleV2) into .npy files. */
  static Path npyOracle(List<Path> inputs, Path out) {
    RunCli r = RunCli.run(convertArgs(inputs, out));
    assertEquals(0, r.code(), r.err());
    return out;
  }

  @Test
  void fourWorkerProcessesAtOnceEqualOneAndTheReadersSeeTensorFlowsValues() throws Exception {
    List<Path> in = inputs(dir, 2_503, 3, Compression.NONE);
    Path npy = npyOracle(in, dir.resolve("npy"));
    Path one = dir.resolve("one");
    Path four = dir.resolve("four");
    Path logs = Files.createDirectory(dir.resolve("logs"));
    List<Process> workers = new ArrayList<>();
    workers.add(worker(convertArgs(in, one, "--format", "zarr", "--chunk-rows", "100", "--shard", "0/1"),
        logs.resolve("one")));
    for (int i = 0; i < 4; i++) {
      workers.add(worker(convertArgs(in, four, "--format", "zarr", "--chunk-rows", "100", "--shard", i + "/4"),
          logs.resolve("four-" + i)));
    }
    for (int i = 0; i < workers.size(); i++) {
      awaitSuccess(workers.get(i), logs.resolve(i == 0 ? "one" : "four-" + (i - 1)));
    }
    StoreFiles.assertSame(one, four);
    assertReadersSeeTheOracle(four, npy);
    RunCli status = RunCli.run("status", four.toString());
    assertEquals(0, status.code(), status.out());
    assertTrue(status.out().contains("complete:  0-3"), status.out());
  }

  @Test
  void zarr3WorkersWithShardFilesEqualOneProcess() throws Exception {
    List<Path> in = inputs(dir, 1_000, 2, Compression.GZIP);
    Path one = dir.resolve("one");
    Path three = dir.resolve("three");
    String[] format = {"--compression", "gzip", "--format", "zarr3", "--chunk-rows", "40", "--chunks-per-file", "3"};
    List<String> oneArgs = new ArrayList<>(convertArgs(in, one, format));
    oneArgs.addAll(List.of("--shard", "0/1"));
    assertEquals(0, RunCli.run(oneArgs).code());
    for (int i : new int[] {2, 0, 1}) {
      List<String> args = new ArrayList<>(convertArgs(in, three, format));
      args.addAll(List.of("--shard", i + "/3"));
      RunCli r = RunCli.run(args);
      assertEquals(0, r.code(), r.err());
      assertEquals(i == 1, Files.exists(three.resolve("zarr.json")), "root metadata only after the last shard");
    }
    StoreFiles.assertSame(one, three);
  }

  /**
   * The plain {@code convert --format zarr|zarr3} (one process, TensorFlow's parser, the export
   * engine's commit) and {@code --shard i/N} for every i give the same store: every metadata file
   * (root attributes included) and every chunk file, byte for byte. Rows are not a multiple of the
   * chunk rows, so the partial last chunks (and the ragged values' last chunk) are compared too.
   */
  @ParameterizedTest
  @ValueSource(strings = {"zarr", "zarr3"})
  void shardedStoreEqualsThePlainConvertByteForByte(String format) throws Exception {
    List<Path> in = inputs(dir, 1_037, 3, Compression.NONE);
    List<String> options = new ArrayList<>(List.of("--format", format, "--chunk-rows", "50"));
    if (format.equals("zarr3")) {
      options.addAll(List.of("--chunks-per-file", "2"));
    }
    Path plain = dir.resolve("plain");
    RunCli one = RunCli.run(convertArgs(in, plain, options.toArray(String[]::new)));
    assertEquals(0, one.code(), one.err());
    Path sharded = dir.resolve("sharded");
    for (int i : new int[] {2, 0, 3, 1}) {
      List<String> args = new ArrayList<>(convertArgs(in, sharded, options.toArray(String[]::new)));
      args.addAll(List.of("--shard", i + "/4"));
      RunCli r = RunCli.run(args);
      assertEquals(0, r.code(), r.err());
    }
    Map<String, byte[]> expected = StoreFiles.of(plain);
    String root = format.equals("zarr") ? ".zattrs" : "zarr.json";
    String attributes = new String(expected.get(root), java.nio.charset.StandardCharsets.UTF_8);
    assertTrue(attributes.contains("tensorslab-manifest/1") && attributes.contains("tokens.row_splits"),
        "the root attributes hold the manifest: " + attributes);
    assertTrue(expected.keySet().stream().anyMatch(f -> f.startsWith("tokens.values/")), expected.keySet().toString());
    Map<String, byte[]> actual = StoreFiles.of(sharded);
    for (String file : expected.keySet()) { // metadata first, as text: a difference reads as JSON
      if (file.endsWith(".zattrs") || file.endsWith(".zarray") || file.endsWith(".zgroup") || file.endsWith("zarr.json")) {
        assertEquals(new String(expected.get(file), java.nio.charset.StandardCharsets.UTF_8),
            actual.containsKey(file) ? new String(actual.get(file), java.nio.charset.StandardCharsets.UTF_8) : null,
            file);
      }
    }
    StoreFiles.assertSame(expected, actual);
  }

  /**
   * Strings and padded rows shard too: three worker processes at once write bytes features (fixed
   * and {@code *}) and {@code --varlen pad} features into one store, which zarr-python 2 + Dask (v2)
   * and tensorstore (v2 and v3) read equal to TensorFlow's own parse through the plain convert.
   */
  @ParameterizedTest
  @ValueSource(strings = {"zarr:ragged", "zarr3:pad"}) // v2: zarr-python, Dask, tensorstore; v3: tensorstore
  void stringsAndPaddedRowsInShardsAsTensorFlowParsesThem(String formatAndVarLen) throws Exception {
    String format = formatAndVarLen.split(":")[0];
    String varlen = formatAndVarLen.split(":")[1];
    List<byte[]> records = new ArrayList<>();
    for (int r = 0; r < 1_001; r++) {
      byte[][] words = new byte[r % 4][];
      for (int k = 0; k < words.length; k++) {
        words[k] = ("w" + r + "." + k).repeat(1 + (r * 7 + k) % 5).getBytes(java.nio.charset.StandardCharsets.UTF_8);
      }
      long[] ids = new long[r % 3];
      java.util.Arrays.fill(ids, r);
      records.add(TfRecordWriter.example().bytes("name", ("n" + r).repeat(1 + r % 9)
          .getBytes(java.nio.charset.StandardCharsets.UTF_8)).bytes("words", words).int64s("ids", ids).toByteArray());
    }
    List<Path> in = List.of(TfRecordWriter.write(dir.resolve("strings.tfrecord"), Compression.NONE, records),
        TfRecordWriter.write(dir.resolve("strings-2.tfrecord"), Compression.NONE, records.subList(0, 333)));
    String inputs = in.stream().map(Path::toString).collect(Collectors.joining(","));
    List<String> common = new ArrayList<>(List.of("convert", "--tfrecord", inputs, "--quiet", "--varlen", varlen,
        "--feature", "name:bytes:", "--feature", "words:bytes:*", "--feature", "ids:int64:*"));
    Path npy = dir.resolve("tf-npy");
    List<String> oracle = new ArrayList<>(common);
    oracle.addAll(List.of("--engine", "tensorflow", "--out", npy.toString()));
    RunCli tf = RunCli.run(oracle);
    assertEquals(0, tf.code(), tf.err());
    Path store = dir.resolve("store");
    Path logs = Files.createDirectory(dir.resolve("logs"));
    List<Process> workers = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      List<String> args = new ArrayList<>(common);
      args.addAll(List.of("--format", format, "--chunk-rows", "64", "--out", store.toString(), "--shard", i + "/3"));
      if (format.equals("zarr3")) {
        args.addAll(List.of("--chunks-per-file", "2"));
      }
      workers.add(worker(args, logs.resolve("w" + i)));
    }
    for (int i = 0; i < workers.size(); i++) {
      awaitSuccess(workers.get(i), logs.resolve("w" + i));
    }
    List<String> names = varlen.equals("pad") ? List.of("name", "words", "words.lengths", "ids", "ids.lengths")
        : List.of("name", "words.values", "words.row_splits", "ids.values", "ids.row_splits");
    List<String> cases = new ArrayList<>();
    for (String name : names) {
      boolean strings = name.equals("name") || name.equals("words") || name.equals("words.values");
      cases.add("{\"path\": \"" + name + "\", \"expected\": \"" + npy.resolve(name + ".npy") + "\", \"v3_bytes\": "
          + (format.equals("zarr3") && strings) + "}");
    }
    Path casesFile = Files.writeString(dir.resolve("cases.json"), "[" + String.join(",\n", cases) + "]");
    ZarrFormat zarrFormat = format.equals("zarr") ? ZarrFormat.V2 : ZarrFormat.V3;
    String read = ZarrReaders.checkAll(store, zarrFormat, casesFile);
    if (zarrFormat == ZarrFormat.V2) {
      assertTrue(read.contains("+ dask: 5 arrays equal"), read);
      assertTrue(read.contains("tensorstore zarr: 3 arrays equal"), read); // tensorstore reads no v2 |S arrays
    } else {
      assertTrue(read.contains("tensorstore zarr3: 5 arrays equal"), read);
    }
  }

  @Test
  @Tag("long") // a kill
  void aWorkerKilledMidRunAndRerunCompletesTheStore() throws Exception {
    // Big enough (and gzip chunks slow enough) that the worker is still writing chunks when it is killed.
    List<Path> in = inputs(dir, 160_000, 4, Compression.NONE);
    Path store = dir.resolve("store");
    Path log = dir.resolve("killed.log");
    String[] zarr = {"--format", "zarr", "--chunk-rows", "2000", "--codec", "gzip:6"};
    List<String> shard1 = new ArrayList<>(convertArgs(in, store, zarr));
    shard1.addAll(List.of("--shard", "1/2"));
    int attempts = 0;
    boolean killedMidRun = false;
    while (attempts < 5 && !killedMidRun) {
      attempts++;
      Process p = worker(shard1, log);
      // Shard 1 of 2 holds chunks 40..79 of x: kill as soon as its first chunk file appears.
      Path firstChunk = store.resolve("x").resolve("40.0");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!Files.exists(firstChunk) && p.isAlive() && System.nanoTime() < deadline) {
        Thread.sleep(1);
      }
      p.destroyForcibly().waitFor(); // SIGKILL
      killedMidRun = !Files.exists(store.resolve(".tensorslab/shards/1-of-2.done"));
    }
    assertTrue(killedMidRun, "the worker finished before it could be killed, 5 times: " + read(log));
    assertFalse(Files.exists(store.resolve(".zgroup")), "no metadata: the store is incomplete");
    RunCli status = RunCli.run("status", store.toString());
    assertEquals(StatusCommand.EXIT_INCOMPLETE, status.code(), status.out());
    assertTrue(status.out().contains("missing:   0-1"), status.out());

    List<String> shard0 = new ArrayList<>(convertArgs(in, store, zarr));
    shard0.addAll(List.of("--shard", "0/2"));
    assertEquals(0, RunCli.run(shard0).code());
    RunCli rerun = RunCli.run(shard1);
    assertEquals(0, rerun.code(), rerun.err());
    assertEquals(0, RunCli.run("status", store.toString()).code());
    try (Stream<Path> walk = Files.walk(store)) {
      assertEquals(List.of(), walk.filter(TemporaryFiles::isTemporary).toList(), "work files of the killed worker removed");
    }
    // The oracle: one process, no kill (the test above shows one process equals TensorFlow's values).
    Path one = dir.resolve("one");
    List<String> oneArgs = new ArrayList<>(convertArgs(in, one, zarr));
    oneArgs.addAll(List.of("--shard", "0/1"));
    assertEquals(0, RunCli.run(oneArgs).code());
    StoreFiles.assertSame(one, store);
  }

  /** Fewer units than shards is no error, but the worker says which shards get nothing and what to change. */
  @Test
  void moreShardsThanUnitsIsSaidOnTheWorkersLine() throws Exception {
    List<Path> in = inputs(dir, 30, 1, Compression.NONE);
    Path store = dir.resolve("store");
    List<String> args = new ArrayList<>(convertArgs(in, store, "--format", "zarr", "--chunk-rows", "10", "--shard",
        "3/5"));
    args.remove("--quiet");
    RunCli r = RunCli.run(args);
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("shard 3/5: rows [10, 20) of 30, chunks [1, 2) of 3, written in"), r.out());
    assertTrue(r.out().contains("note: the rows make 3 units of whole chunk files for 5 shards, so 2 shards write "
        + "nothing; a smaller --chunk-rows splits them finer (docs/scale-out.md)"), r.out());
  }

  @Test
  void workersOfAnotherShardCountAreRefused() throws Exception {
    List<Path> in = inputs(dir, 300, 1, Compression.NONE);
    Path store = dir.resolve("store");
    List<String> first = new ArrayList<>(convertArgs(in, store, "--format", "zarr", "--chunk-rows", "10"));
    first.addAll(List.of("--shard", "1/4"));
    assertEquals(0, RunCli.run(first).code());
    Map<String, byte[]> before = StoreFiles.of(store);
    List<String> other = new ArrayList<>(convertArgs(in, store, "--format", "zarr", "--chunk-rows", "10"));
    other.addAll(List.of("--shard", "0/3"));
    RunCli.run(other).assertFails(1, "cannot write shard 0/3: the store is being written as 4 shards, not 3; run "
        + "every worker with --shard I/4, or write to a new store (path=" + store + ")");
    List<String> otherChunks = new ArrayList<>(convertArgs(in, store, "--format", "zarr", "--chunk-rows", "20"));
    otherChunks.addAll(List.of("--shard", "0/4"));
    RunCli.run(otherChunks).assertFails(1, "cannot write shard 0/4: the store was planned from other inputs or "
        + "options (store has \"chunk_rows\": 10, this worker has \"chunk_rows\": 20)");
    assertEquals(before.keySet(), StoreFiles.of(store).keySet(), "nothing written by a refused worker");
  }

  @Test
  void shardUsageErrorsNameTheFlag() throws IOException {
    List<Path> in = inputs(dir, 10, 1, Compression.NONE);
    Path out = dir.resolve("out");
    RunCli.run(convertArgs(in, out, "--shard", "0/2")).assertFails(2,
        "option '--shard' needs '--format zarr' or '--format zarr3'");
    RunCli.run(convertArgs(in, out, "--format", "zarr", "--shard", "2/2")).assertFails(2,
        "Invalid value for option '--shard'", "shard index must be 0..1 for 2 shards (0-based), got 2");
    RunCli.run(convertArgs(in, out, "--format", "zarr", "--shard", "1of2")).assertFails(2,
        "expected I/N with 0 <= I < N (e.g. 0/4), got '1of2'");
    RunCli.run(convertArgs(in, out, "--format", "zarr", "--shard", "0/2", "--overwrite")).assertFails(2,
        "option '--overwrite' does not apply with '--shard'");
    RunCli.run("convert", "--tfrecord", in.getFirst().toString(), "--feature", "id:image:2,2,1", "--out",
        out.toString(), "--format", "zarr", "--shard", "0/2").assertFails(2, "option '--shard': shards are written by "
        + "the native reader, which cannot convert feature 'id' (image is decoded by TensorFlow)");
    RunCli.run("convert", "--tfrecord", in.getFirst().toString(), "--out", out.toString(), "--format", "zarr",
        "--shard", "0/2").assertFails(2, "option '--shard' needs the features given with '--feature'");
    Files.createDirectories(out);
    Files.writeString(out.resolve("x.npy"), "not a store");
    RunCli.run(convertArgs(in, out, "--format", "zarr", "--shard", "0/2")).assertFails(1,
        "output directory holds files but no shard ledger", "path=" + out);
  }
}

package io.tensorslab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorslab.testutil.NumPy;
import io.tensorslab.testutil.ZarrReaders;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code convert --format arrow|parquet} as the command runs it (the arrow module found on the
 * command's class path): the table pyarrow opens, the summary, and each refused input as one line
 * with its exit code and nothing left at the final path. Column-by-column equality with TensorFlow's
 * parse is ArrowTableTest's (module arrow), on the same fixture.
 */
class CliTableTest {
  private static final Path FIXTURE = Path.of("..", "arrow", "src", "test", "resources", "fixtures", "table",
      "table.tfrecord").toAbsolutePath().normalize();
  private static final List<String> FEATURES = List.of("meta/blob:bytes:", "tags:bytes:*", "x:float32:2,3",
      "label:int64:", "ids:int64:*");

  private static List<String> convert(Path out, String... more) {
    List<String> args = new ArrayList<>(List.of("convert", "--tfrecord", FIXTURE.toString(), "--out", out.toString(),
        "--quiet"));
    for (String f : FEATURES) {
      args.add("--feature");
      args.add(f);
    }
    args.addAll(List.of(more));
    return args;
  }

  private static String file(String format) {
    return format.equals("arrow") ? "data.arrow" : "data.parquet";
  }

  private static List<String> listing(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(p -> !p.equals(dir)).map(p -> dir.relativize(p).toString()).sorted().toList();
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"arrow", "parquet"})
  void theTableOpensInPyarrowWithAColumnPerFeature(String format, @TempDir Path dir) throws IOException {
    Path out = dir.resolve("out");
    List<String> args = new ArrayList<>(convert(out, "--format", format));
    args.remove("--quiet");
    RunCli run = RunCli.run(args);
    assertEquals(0, run.code(), run.err());
    assertTrue(run.out().contains(file(format) + ": one " + format + " table, a column per feature"), run.out());
    assertTrue(run.out().contains("open in Python: import pyarrow"), run.out());
    assertEquals(List.of(file(format), "manifest.json"), listing(out));
    String read = NumPy.runWith(ZarrReaders.tensorstorePython(), """
        import pyarrow, pyarrow.parquet
        path = sys.argv[1]
        table = (pyarrow.ipc.open_file(pyarrow.memory_map(path)).read_all() if path.endswith('.arrow')
                 else pyarrow.parquet.read_table(path))
        print(table.num_rows, table.column_names, table.column('meta/blob').to_pylist()[2],
              table.column('x').type.extension_name)
        """, out.resolve(file(format)).toString());
    assertEquals("7 ['meta/blob', 'tags', 'x', 'label', 'ids'] b'x\\x00\\x00' arrow.fixed_shape_tensor", read.strip());
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"arrow", "parquet"})
  void anExistingTableNeedsOverwrite(String format, @TempDir Path dir) throws IOException {
    Path out = dir.resolve("out");
    assertEquals(0, RunCli.run(convert(out, "--format", format)).code());
    byte[] before = Files.readAllBytes(out.resolve(file(format)));
    RunCli.run(convert(out, "--format", format)).assertFails(1,
        "output directory already holds " + file(format) + "; pass --overwrite to replace it", "path=" + out);
    assertEquals(before.length, Files.readAllBytes(out.resolve(file(format))).length);
    assertEquals(0, RunCli.run(convert(out, "--format", format, "--overwrite")).code());
    assertEquals(List.of(file(format), "manifest.json"), listing(out));
  }

  @Test
  void aBadRecordLeavesNothing(@TempDir Path dir) throws IOException {
    byte[] records = Files.readAllBytes(FIXTURE);
    records[records.length - 10] ^= 0x55;
    Path bad = dir.resolve("bad.tfrecord");
    Files.write(bad, records);
    Path out = dir.resolve("out");
    List<String> args = convert(out, "--format", "parquet");
    args.set(args.indexOf(FIXTURE.toString()), bad.toString());
    RunCli.run(args).assertFails(1, "bad.tfrecord", "checksum");
    assertFalse(Files.exists(out), "the directory the command made is removed again");
    Files.createDirectory(out);
    RunCli.run(args).assertFails(1, "bad.tfrecord");
    assertEquals(List.of(), listing(out));
  }

  /**
   * A kill between the commit's moves (the table placed, the manifest not yet: the commit pauses
   * there in this child process) leaves the commit journal, which completes the table and its
   * manifest; nothing else is left.
   */
  @Test
  void aKillInsideTheCommitIsCompletedFromItsJournal(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("out");
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
        "--add-opens=java.base/java.nio=ALL-UNNAMED", "-Dslf4j.internal.verbosity=ERROR",
        "-Dtensorslab.commit.pauseMillis=60000", "-cp", System.getProperty("java.class.path"),
        TensorSlabCommand.class.getName()));
    command.addAll(convert(out, "--format", "arrow"));
    Process child = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(dir.resolve("child.log").toFile()).start();
    try {
      long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
      while (!Files.exists(out.resolve("data.arrow")) && System.nanoTime() < deadline && child.isAlive()) {
        Thread.sleep(20);
      }
      assertTrue(Files.exists(out.resolve("data.arrow")), () -> "the table was not placed: " + read(dir));
    } finally {
      child.destroyForcibly().waitFor(); // SIGKILL, inside the commit's pause before the manifest
    }
    List<String> left = listing(out);
    assertFalse(left.contains("manifest.json"), left.toString());
    assertTrue(left.stream().anyMatch(f -> f.endsWith(io.tensorslab.store.StoreCommit.JOURNAL_SUFFIX)), left.toString());
    assertEquals(1, io.tensorslab.store.StoreCommit.recover(out));
    assertEquals(List.of("data.arrow", "manifest.json"), listing(out));
    String read = NumPy.runWith(ZarrReaders.tensorstorePython(), """
        import pyarrow
        print(pyarrow.ipc.open_file(pyarrow.memory_map(sys.argv[1])).read_all().num_rows)
        """, out.resolve("data.arrow").toString());
    assertEquals("7", read.strip());
  }

  private static String read(Path dir) {
    try {
      return Files.readString(dir.resolve("child.log"));
    } catch (IOException e) {
      return e.toString();
    }
  }

  /**
   * TensorFlow's rows fill a table as the native reader's do: images of several sizes (decoded by
   * TensorFlow) become a list column of their pixels and a shapes column, equal to the arrays made by
   * Python TensorFlow for the same fixture; the tensorflow engine's table equals the native one's.
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"arrow", "parquet"})
  void tensorFlowRowsFillATableImagesIncluded(String format, @TempDir Path dir) throws IOException {
    Path images = dir.resolve("images");
    RunCli.run("convert", "--tfrecord", CliRealTfRecordTest.fixture("varsize").toString(), "--feature",
        "photo:image:*,*,3", "--format", format, "--out", images.toString(), "--quiet").assertSucceeds();
    Path expected = CliRealTfRecordTest.fixture("varsize-expected");
    String read = NumPy.runWith(ZarrReaders.tensorstorePython(), """
        import pyarrow, pyarrow.parquet
        path, expected = sys.argv[1], sys.argv[2]
        table = (pyarrow.ipc.open_file(pyarrow.memory_map(path)).read_all() if path.endswith('.arrow')
                 else pyarrow.parquet.read_table(path))
        photo = table.column('photo').combine_chunks()
        values = np.load(expected + '/photo.values.npy')
        splits = np.load(expected + '/photo.row_splits.npy')
        shapes = table.column('photo.shapes').combine_chunks().to_numpy_ndarray()
        assert (photo.values.to_numpy() == values).all()
        assert (photo.offsets.to_numpy() == splits).all()
        assert (shapes == np.load(expected + '/photo.shapes.npy')).all()
        print(pyarrow.types.is_large_list(photo.type), photo.type.value_type, table.num_rows, shapes.tolist())
        """, images.resolve(file(format)).toString(), expected.toString());
    assertEquals("True uint8 4 [[10, 12, 3], [16, 8, 3], [7, 7, 3], [16, 12, 3]]",
        read.strip());
    Path nativeTable = dir.resolve("native");
    Path tensorflowTable = dir.resolve("tensorflow");
    RunCli.run(convert(nativeTable, "--format", format)).assertSucceeds();
    RunCli.run(convert(tensorflowTable, "--format", format, "--engine", "tensorflow")).assertSucceeds();
    assertEquals(-1L, Files.mismatch(nativeTable.resolve(file(format)), tensorflowTable.resolve(file(format))),
        "the tensorflow engine's table equals the native one's");
  }

  @Test
  void optionsATableCannotTakeAreUsageErrors(@TempDir Path dir) {
    Path out = dir.resolve("o");
    RunCli.run(convert(out, "--format", "arrow", "--codec", "zstd")).assertFails(2,
        "--codec zstd does not apply to --format arrow");
    RunCli.run(convert(out, "--format", "parquet", "--codec", "gzip")).assertFails(2,
        "--codec gzip does not apply to --format parquet");
    RunCli.run(convert(out, "--format", "arrow", "--chunk-rows", "10")).assertFails(2,
        "--chunk-rows does not apply to --format arrow");
    RunCli.run(convert(out, "--format", "parquet", "--varlen", "pad")).assertFails(2,
        "--varlen pad does not apply to parquet output");
    RunCli.run(convert(out, "--format", "parquet", "--shard", "0/2")).assertFails(2, "--shard",
        "--format zarr");
    assertFalse(Files.exists(out));
  }
}

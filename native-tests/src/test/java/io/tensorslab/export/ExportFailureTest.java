package io.tensorslab.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorslab.tf.DatasetReadException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.tensorflow.exceptions.TFInvalidArgumentException;
import org.tensorflow.framework.data.Dataset;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.data.MapDataset;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

/**
 * Exports that fail or stop: a dataset failing mid-way, a spec that disagrees with the batches,
 * cancel and interrupt, unusable destinations. Every one ends in one exception with a precise
 * message, and leaves nothing at the final paths and no temporary file.
 */
class ExportFailureTest {

  /** range(10).map(x -> table[x]) with a 7-entry table: element 7 fails, in batch 2 of batches of 3. */
  private static Dataset failingAtElement7(Ops tf) {
    var lookup = TestData.scalarFunction((f, x) -> f.gather(f.constant(new long[] {10, 11, 12, 13, 14, 15, 16}), x,
        f.constant(0)));
    var mapped = tf.data.mapDataset(TestData.range(tf, 0, 10).getVariant(), List.of(), lookup, List.of(TInt64.class),
        List.of(Shape.scalar()), MapDataset.preserveCardinality(true));
    return TestData.wrap(tf, mapped, TInt64.class, Shape.scalar()).batch(3);
  }

  @ParameterizedTest
  @ValueSource(strings = {"eager", "graph"})
  void mapFunctionFailingMidway(String mode, @TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("x.npy"), "an older export");
    Files.writeString(dir.resolve("notes.txt"), "kept");
    List<ExportProgress> progress = new ArrayList<>();
    Function<Ops, Dataset> build = ExportFailureTest::failingAtElement7;
    ExportException e = assertThrows(ExportException.class, () -> {
      if (mode.equals("eager")) {
        TestData.eager(build, dir, b -> b.names("x").overwrite(true).listener(progress::add)).close();
      } else {
        TestData.graph(build, dir, b -> b.names("x").overwrite(true).listener(progress::add)).close();
      }
    });
    assertEquals(2, e.batch());
    assertEquals(null, e.component());
    assertTrue(e.getMessage().startsWith("reading the dataset failed: reading batch 2 failed: indices = 7 is not in [0, 7)"),
        e.getMessage());
    assertTrue(e.getMessage().endsWith(" (batch=2)"), e.getMessage());
    DatasetReadException read = assertInstanceOf(DatasetReadException.class, e.getCause());
    assertInstanceOf(TFInvalidArgumentException.class, read.getCause());
    assertEquals(2, progress.size(), "two batches were copied before the failure");
    assertEquals(List.of("notes.txt", "x.npy"), TestData.listing(dir), "no temporary file, no manifest");
    assertEquals("an older export", Files.readString(dir.resolve("x.npy")), "the final path is untouched");
  }

  /** Types declared for a variant that disagree with it: TensorFlow refuses them, the component is named. */
  @Test
  void declaredTypeDisagrees(@TempDir Path dir) throws Exception {
    Ops tf = Ops.create();
    var variant = TestData.range(tf, 0, 10).batch(4).getVariant();
    ExportException e = assertThrows(ExportException.class, () -> TensorSlab.export(variant, List.of(TInt32.class),
        List.of(Shape.of(-1))).to(dir).names("ids").run());
    assertEquals("reading the dataset failed: creating the dataset iterator failed: Data type mismatch at component 0:"
        + " expected int32 but got int64. (component=ids)", e.getMessage());
    assertEquals("ids", e.component());
    assertEquals(-1, e.batch(), "refused before the first batch");
    ExportException shape = assertThrows(ExportException.class, () -> TensorSlab.export(variant,
        List.of(TInt64.class), List.of(Shape.of(-1, 2))).to(dir).run());
    assertEquals("reading the dataset failed: creating the dataset iterator failed: Incompatible shapes at component 0:"
        + " expected [?,2] but got [?]. (component=component_0)", shape.getMessage());
    assertEquals(List.of(), TestData.listing(dir));
  }

  /**
   * Declared row shape (?, ?) and batches whose rows change from 3 to 4 items at batch 2 (two datasets
   * concatenated): the exporter refuses batch 2, naming the component.
   */
  @Test
  void batchShapeDisagreesWithEarlierBatches(@TempDir Path dir) throws Exception {
    Ops tf = Ops.create();
    var three = Dataset.fromTensorSlices(tf, List.of(tf.zeros(tf.constant(new long[] {4, 3}), TFloat32.class)),
        List.of(TFloat32.class)).batch(2);
    var four = Dataset.fromTensorSlices(tf, List.of(tf.zeros(tf.constant(new long[] {4, 4}), TFloat32.class)),
        List.of(TFloat32.class)).batch(2);
    var both = tf.data.concatenateDataset(three.getVariant(), four.getVariant(), List.of(TFloat32.class),
        List.of(Shape.of(-1, -1)));
    ExportException e = assertThrows(ExportException.class, () -> TensorSlab.export(both, List.of(TFloat32.class),
        List.of(Shape.of(-1, -1))).to(dir).names("x").run());
    assertEquals("x", e.component());
    assertEquals(2, e.batch());
    assertTrue(e.getMessage().startsWith("batch shape differs: rows are (4,), earlier rows (3,)"), e.getMessage());
    assertTrue(e.getMessage().endsWith(" (component=x, batch=2)"), e.getMessage());
    assertEquals(List.of(), TestData.listing(dir));
  }

  private static Dataset hundredRows(Ops tf) {
    return TestData.range(tf, 0, 100).batch(10);
  }

  @Test
  void cancelFromListener(@TempDir Path dir) throws Exception {
    Cancellation cancel = new Cancellation();
    ExportCancelledException e = assertThrows(ExportCancelledException.class, () -> TestData.eager(
        ExportFailureTest::hundredRows, dir, b -> b.cancellation(cancel).listener(p -> {
          if (p.batches() == 3) {
            cancel.cancel();
          }
        })));
    assertEquals("export cancelled: cancel() was called (batch=3)", e.getMessage());
    assertEquals(3, e.batch());
    assertTrue(cancel.isCancelled());
    assertEquals(List.of(), TestData.listing(dir));
  }

  /** Another thread cancels while the exporting thread waits in the listener after batch 2 (graph mode). */
  @Test
  void cancelFromAnotherThread(@TempDir Path dir) throws Exception {
    Cancellation cancel = new Cancellation();
    CountDownLatch atBatch2 = new CountDownLatch(1);
    CountDownLatch cancelled = new CountDownLatch(1);
    Thread canceller = Thread.ofPlatform().start(() -> {
      try {
        if (atBatch2.await(60, TimeUnit.SECONDS)) {
          cancel.cancel();
          cancelled.countDown();
        }
      } catch (InterruptedException ignored) {
        Thread.currentThread().interrupt();
      }
    });
    ExportCancelledException e = assertThrows(ExportCancelledException.class, () -> TestData.graph(
        ExportFailureTest::hundredRows, dir, b -> b.cancellation(cancel).listener(p -> {
          if (p.batches() == 2) {
            atBatch2.countDown();
            try {
              assertTrue(cancelled.await(60, TimeUnit.SECONDS));
            } catch (InterruptedException ex) {
              throw new AssertionError(ex);
            }
          }
        })));
    canceller.join();
    assertEquals(2, e.batch());
    assertEquals(List.of(), TestData.listing(dir));
  }

  @Test
  void interruptStopsCleanlyAndKeepsTheFlag(@TempDir Path dir) throws Exception {
    ExportCancelledException e;
    try {
      e = assertThrows(ExportCancelledException.class, () -> TestData.eager(ExportFailureTest::hundredRows, dir,
          b -> b.names("x").listener(p -> {
            if (p.batches() == 4) {
              Thread.currentThread().interrupt();
            }
          })));
      assertTrue(Thread.currentThread().isInterrupted(), "the interrupt status is kept for the caller");
    } finally {
      Thread.interrupted();
    }
    assertEquals("export cancelled: the exporting thread was interrupted (batch=4)", e.getMessage());
    assertEquals(List.of(), TestData.listing(dir));
  }

  // ---- destinations ----

  @Test
  void existingOutputIsRefusedBeforeAnyWorkThenReplacedWithOverwrite(@TempDir Path dir) throws Exception {
    Path existing = Files.writeString(dir.resolve("x.npy"), "keep me");
    List<ExportProgress> progress = new ArrayList<>();
    FileAlreadyExistsException e = assertThrows(FileAlreadyExistsException.class, () -> TestData.eager(
        ExportFailureTest::hundredRows, dir, b -> b.names("x").listener(progress::add)));
    assertEquals(existing.toAbsolutePath() + ": output file exists; replace it with overwrite(true) (path="
        + existing.toAbsolutePath() + ")", e.getMessage());
    assertEquals(List.of(), progress, "no batch was read");
    assertEquals("keep me", Files.readString(existing));
    assertEquals(List.of("x.npy"), TestData.listing(dir));

    Files.writeString(dir.resolve("manifest.json"), "{}");
    try (ExportResult result = TestData.eager(ExportFailureTest::hundredRows, dir, b -> b.names("x").overwrite(true))) {
      assertEquals(100, result.rows());
    }
    assertEquals(List.of("manifest.json", "x.npy"), TestData.listing(dir));
    assertTrue(Files.readString(dir.resolve("manifest.json")).contains("\"rows\": 100"));
    assertEquals(128 + 800, Files.size(dir.resolve("x.npy")));
  }

  @Test
  void namesAreChecked(@TempDir Path dir) throws Exception {
    Function<Ops, Dataset> two = tf -> Dataset.fromTensorSlices(tf, List.of(tf.constant(new long[] {1, 2}),
        tf.constant(new long[] {3, 4})), List.of(TInt64.class, TInt64.class)).batch(2);
    IllegalArgumentException count = assertThrows(IllegalArgumentException.class,
        () -> TestData.eager(two, dir, b -> b.names("only")));
    assertEquals("the dataset has 2 components but 1 names were given to names(...): [only]", count.getMessage());
    IllegalArgumentException npy = assertThrows(IllegalArgumentException.class,
        () -> TestData.eager(two, dir, b -> b.names("ok", "x.npy")));
    assertEquals("component name 'x.npy' ends in .npy, which the export adds itself: give names(\"x\", ...) for"
        + " x.npy (component=1)", npy.getMessage());
    for (String name : List.of("x.npy", "y.npy", "manifest.json")) {
      assertThrows(IllegalArgumentException.class, () -> TestData.eager(two, dir, b -> b.names("ok", name)), name);
    }
    IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
        () -> TestData.eager(two, dir, b -> b.names("same", "same")));
    assertEquals("component name 'same' is given twice: each component needs its own file (component=1)",
        twice.getMessage());
    assertEquals(List.of(), TestData.listing(dir));
    // A failed export into a directory it had to create removes that directory again.
    Path fresh = dir.resolve("fresh");
    assertThrows(IllegalArgumentException.class, () -> TestData.eager(two, fresh, b -> b.names("same", "same")));
    assertFalse(Files.exists(fresh), "the directory the failed export created is gone");
  }

  @Test
  void anyNameIsWrittenInsideTheDirectory(@TempDir Path root) throws Exception {
    Path dir = root.resolve("out");
    Function<Ops, Dataset> two = tf -> Dataset.fromTensorSlices(tf, List.of(tf.constant(new long[] {1, 2}),
        tf.constant(new long[] {3, 4})), List.of(TInt64.class, TInt64.class)).batch(2);
    try (ExportResult result = TestData.eager(two, dir, b -> b.names("image/object/bbox/xmin", "../../escape"))) {
      assertEquals(List.of("image/object/bbox/xmin", "../../escape"),
          result.arrays().stream().map(ExportedArray::name).toList());
      assertEquals(dir.resolve("image/object/bbox/xmin.npy"), result.arrays().get(0).path());
      assertEquals(dir.resolve("%../%../escape.npy"), result.arrays().get(1).path());
    }
    assertEquals(List.of("out"), TestData.listing(root), "nothing beside the output directory");
    assertEquals(List.of("%..", "image", "manifest.json"), TestData.listing(dir));
    String manifest = Files.readString(dir.resolve("manifest.json"));
    assertTrue(manifest.contains("\"name\": \"../../escape\", \"component\": \"../../escape\", \"file\": \"%../%../escape.npy\""),
        manifest);
    assertTrue(manifest.contains("\"file\": \"image/object/bbox/xmin.npy\""), manifest);
  }

  @Test
  void aSymlinkPlantedInTheDirectoryIsNotFollowed(@TempDir Path dir, @TempDir Path elsewhere) throws Exception {
    Files.createSymbolicLink(dir.resolve("image"), elsewhere);
    Function<Ops, Dataset> one = tf -> Dataset.fromTensorSlices(tf, List.of(tf.constant(new long[] {1, 2})),
        List.of(TInt64.class)).batch(2);
    FileAlreadyExistsException e = assertThrows(FileAlreadyExistsException.class,
        () -> TestData.eager(one, dir, b -> b.names("image/encoded")));
    assertEquals("output path is a symbolic link; it is not followed, remove it or choose another directory (path="
        + dir.resolve("image") + ")", e.getReason());
    assertEquals(List.of(), TestData.listing(elsewhere));
    assertEquals(List.of("image"), TestData.listing(dir));
  }

  @Test
  void twoNamesOnOneFileAreRefusedNamingBoth(@TempDir Path root) throws Exception {
    Path dir = root.resolve("out");
    Function<Ops, Dataset> two = tf -> Dataset.fromTensorSlices(tf, List.of(tf.constant(new long[] {1, 2}),
        tf.constant(new long[] {3, 4})), List.of(TInt64.class, TInt64.class)).batch(2);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TestData.eager(two, dir, b -> b.names("x.npy/y", "x")));
    assertEquals("output 'x' is written to x.npy, where output 'x.npy/y' needs a directory for x.npy/y.npy; "
        + "rename or drop one of them", e.getMessage());
    assertFalse(Files.exists(dir), "nothing is left behind");
  }

  @Test
  void unusableDirectories(@TempDir Path dir) throws Exception {
    Path missing = dir.resolve("no/such/out");
    NoSuchFileException noParent = assertThrows(NoSuchFileException.class,
        () -> TestData.eager(ExportFailureTest::hundredRows, missing, b -> b));
    assertEquals(missing + ": output directory's parent does not exist (path=" + missing + ")", noParent.getMessage());
    assertFalse(Files.exists(dir.resolve("no")));

    Path file = Files.writeString(dir.resolve("a-file"), "x");
    FileAlreadyExistsException isFile = assertThrows(FileAlreadyExistsException.class,
        () -> TestData.eager(ExportFailureTest::hundredRows, file, b -> b));
    assertEquals(file + ": output path is a file, not a directory (path=" + file + ")", isFile.getMessage());
    assertEquals("x", Files.readString(file));

    Files.createDirectories(dir.resolve("out/x.npy"));
    FileAlreadyExistsException isDir = assertThrows(FileAlreadyExistsException.class,
        () -> TestData.eager(ExportFailureTest::hundredRows, dir.resolve("out"), b -> b.names("x").overwrite(true)));
    assertTrue(isDir.getMessage().endsWith(": output path is a directory (path=" + dir.resolve("out/x.npy") + ")"),
        isDir.getMessage());

    IllegalStateException noTo = assertThrows(IllegalStateException.class,
        () -> TensorSlab.export(hundredRows(Ops.create())).run());
    assertEquals("no output directory: call to(dir) before run()", noTo.getMessage());
  }
}

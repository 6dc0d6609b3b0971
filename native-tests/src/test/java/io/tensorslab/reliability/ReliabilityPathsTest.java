package io.tensorslab.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.tensorslab.export.ExportBuilder;
import io.tensorslab.export.ExportException;
import io.tensorslab.export.TensorSlab;
import io.tensorslab.tf.TfRecordBatches;
import io.tensorslab.tf.TfRecordDatasets;
import io.tensorslab.tfrecord.FeatureSpec;
import io.tensorslab.tfrecord.TfRecordCompression;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.EagerSession;
import org.tensorflow.op.Ops;

/**
 * Unusable destinations fail before any work. The dataset here is poisoned: a TFRecord pipeline
 * over a file of garbage, so reading its first batch fails. A destination error that comes out
 * instead of that read error, with no batch reported to the listener and the directory as it was,
 * shows the destination was checked before the first batch was asked for.
 *
 * <p>Unwritable: as root {@code chmod} does not bite, so the directory is on a tmpfs remounted
 * read-only.
 */
class ReliabilityPathsTest {
  @TempDir Path tmp;
  private EagerSession session;
  private TfRecordBatches poison;
  private final AtomicLong batchesSeen = new AtomicLong();

  @BeforeEach
  void poisonedDataset() throws IOException {
    Path garbage = tmp.resolve("garbage.tfrecord");
    Files.write(garbage, "this is not a TFRecord file, its length checksum cannot match".getBytes());
    session = EagerSession.create();
    poison = TfRecordDatasets.build(Ops.create(session), List.of(garbage), TfRecordCompression.NONE,
        FeatureSpec.parseAll(List.of("x:float32:4", "y:int64:")), 8);
  }

  @AfterEach
  void closeSession() {
    session.close();
  }

  private ExportBuilder export(Path dir) {
    return TensorSlab.export(poison.variant(), poison.outputTypes(), poison.outputShapes()).to(dir).names("x", "y")
        .listener(p -> batchesSeen.incrementAndGet());
  }

  /** The control: into a good directory the poisoned dataset fails reading batch 0. */
  @Test
  void poisonFailsAtTheFirstBatch() throws IOException {
    Path out = tmp.resolve("good");
    ExportException e = assertThrows(ExportException.class, () -> export(out).run());
    assertEquals(0, e.batch(), e.getMessage());
    assertTrue(e.getMessage().contains("reading the dataset failed"), e.getMessage());
    assertEquals(List.of(), names(out));
  }

  @Test
  void readOnlyDirectory() throws IOException {
    Path mount = Files.createDirectory(tmp.resolve("ro"));
    assumeTrue(Mounts.tmpfs(mount, "1m"), "mount refused");
    try {
      Files.createDirectory(mount.resolve("out"));
      assumeTrue(Mounts.remountReadOnly(mount), "remount,ro refused");
      Path out = mount.resolve("out");
      AccessDeniedException e = assertThrows(AccessDeniedException.class, () -> export(out).run());
      assertMessage(e, "output directory is not writable", out);
      assertEquals(List.of(), names(out));
      // a directory still to be created on the read-only file system
      Path fresh = mount.resolve("fresh");
      FileSystemException f = assertThrows(FileSystemException.class, () -> export(fresh).run());
      assertTrue(f.getMessage().contains(fresh.toString()) && f.getMessage().contains("Read-only file system"),
          f.getMessage());
      assertFalse(Files.exists(fresh));
    } finally {
      Mounts.unmount(mount);
    }
    assertEquals(0, batchesSeen.get());
  }

  /**
   * The destination errors engine tests also cover (ExportFailureTest), here against the poisoned
   * dataset: each must win over the failing first batch, i.e. be found before it is read.
   */
  @Test
  void everyDestinationErrorComesBeforeTheFirstBatch() throws IOException {
    Path missing = tmp.resolve("missing").resolve("out");
    NoSuchFileException noParent = assertThrows(NoSuchFileException.class, () -> export(missing).run());
    assertMessage(noParent, "output directory's parent does not exist", missing);

    Path file = Files.writeString(tmp.resolve("a-file"), "keep me");
    FileAlreadyExistsException isFile = assertThrows(FileAlreadyExistsException.class, () -> export(file).run());
    assertMessage(isFile, "output path is a file, not a directory", file);

    Path out = Files.createDirectory(tmp.resolve("out"));
    Files.createDirectory(out.resolve("x.npy"));
    FileAlreadyExistsException isDir = assertThrows(FileAlreadyExistsException.class,
        () -> export(out).overwrite(true).run());
    assertMessage(isDir, "output path is a directory", out.resolve("x.npy"));
    Files.delete(out.resolve("x.npy"));

    for (String existing : List.of("x.npy", "manifest.json")) {
      Path f = Files.writeString(out.resolve(existing), "old " + existing);
      FileAlreadyExistsException e = assertThrows(FileAlreadyExistsException.class, () -> export(out).run());
      assertMessage(e, "output file exists; replace it with overwrite(true)", f);
      assertEquals("old " + existing, Files.readString(f));
      Files.delete(f);
    }

    IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
        () -> export(out).names("x", "x").run());
    assertEquals("component name 'x' is given twice: each component needs its own file (component=1)",
        twice.getMessage());
    assertEquals(List.of(), names(out));
    assertEquals("keep me", Files.readString(file));
    assertEquals(0, batchesSeen.get());
  }

  private void assertMessage(IOException e, String what, Path path) {
    assertTrue(e.getMessage().contains(what), e.getMessage());
    assertTrue(e.getMessage().contains("path=" + path), "message does not name " + path + ": " + e.getMessage());
    assertEquals(0, batchesSeen.get(), "a batch was read before the destination was checked");
  }

  private static List<String> names(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}

package io.tensorslab.slab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorslab.npy.NpyDtype;
import io.tensorslab.store.NpyStore;
import io.tensorslab.store.RowLayout;
import io.tensorslab.store.StoreCapacity;
import io.tensorslab.store.StoreDestination;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TemporaryFilesTest {
  @TempDir Path dir;

  /** The pid of a process that ran and is gone. */
  private static long deadPid() throws IOException, InterruptedException {
    Process p = new ProcessBuilder("true").start();
    p.waitFor();
    long pid = p.pid();
    assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
    return pid;
  }

  private List<String> names() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void removeStaleDeletesOnlyFilesOfDeadProcesses() throws IOException, InterruptedException {
    long dead = deadPid();
    long live = ProcessHandle.current().pid();
    String stale = ".x.npy." + dead + "-1" + TemporaryFiles.SUFFIX;
    String mine = ".x.npy." + live + "-7" + TemporaryFiles.SUFFIX;
    String unrelated = "x.npy";
    String lookalike = ".x.npy.notapid-1" + TemporaryFiles.SUFFIX;
    for (String name : List.of(stale, mine, unrelated, lookalike)) {
      Files.writeString(dir.resolve(name), "data");
    }
    assertEquals(1, TemporaryFiles.removeStale(dir));
    assertEquals(List.of(mine, lookalike, unrelated).stream().sorted().toList(), names());
    assertEquals(0, TemporaryFiles.removeStale(dir), "nothing left to remove");
  }

  /** Every path below {@code root} (links not followed), relative, '/'-separated, sorted. */
  private static List<String> tree(Path root) throws IOException {
    try (Stream<Path> paths = Files.walk(root)) {
      return paths.filter(p -> !p.equals(root)).map(p -> root.relativize(p).toString().replace('\\', '/'))
          .sorted().toList();
    }
  }

  @Test
  void removeStaleWalksNestedDirectoriesAndRemovesTheOnesItEmptied() throws IOException, InterruptedException {
    long dead = deadPid();
    long live = ProcessHandle.current().pid();
    Path out = Files.createDirectory(dir.resolve("out"));
    // what an export of the names image/object/bbox/xmin, .../ymin, label/id and deep/a/b/c killed mid-write leaves
    Path bbox = Files.createDirectories(out.resolve("image/object/bbox"));
    Files.writeString(bbox.resolve(".xmin.npy." + dead + "-1" + TemporaryFiles.SUFFIX), "partial");
    Files.writeString(bbox.resolve(".ymin.npy." + dead + "-2" + TemporaryFiles.SUFFIX), "partial");
    Path label = Files.createDirectories(out.resolve("label"));
    Files.writeString(label.resolve(".id.npy." + dead + "-3" + TemporaryFiles.SUFFIX), "partial");
    Files.writeString(label.resolve("notes.txt"), "the user's own file");
    Path deep = Files.createDirectories(out.resolve("deep/a/b"));
    Files.writeString(deep.resolve(".c.npy." + dead + "-4" + TemporaryFiles.SUFFIX), "partial");
    Files.writeString(out.resolve("deep/keep.npy"), "a finished array");
    // a running export's file, a user's empty directory and a directory named like a temporary file stay
    Path running = Files.createDirectories(out.resolve("running"));
    Files.writeString(running.resolve(".r.npy." + live + "-5" + TemporaryFiles.SUFFIX), "in progress");
    Files.createDirectories(out.resolve("empty"));
    Files.createDirectories(out.resolve("odd/.d.npy." + dead + "-6" + TemporaryFiles.SUFFIX));

    assertEquals(4, TemporaryFiles.removeStale(out));
    assertEquals(List.of("deep", "deep/keep.npy", "empty", "label", "label/notes.txt", "odd",
        "odd/.d.npy." + dead + "-6" + TemporaryFiles.SUFFIX, "running",
        "running/.r.npy." + live + "-5" + TemporaryFiles.SUFFIX), tree(out));
    assertEquals(0, TemporaryFiles.removeStale(out), "nothing left to remove");
  }

  @Test
  void removeStaleDoesNotFollowALinkedDirectory() throws IOException, InterruptedException {
    long dead = deadPid();
    Path out = Files.createDirectory(dir.resolve("out"));
    Path elsewhere = Files.createDirectory(dir.resolve("elsewhere"));
    String stale = ".x.npy." + dead + "-1" + TemporaryFiles.SUFFIX;
    Files.writeString(elsewhere.resolve(stale), "not in the output directory");
    Files.createSymbolicLink(out.resolve("linked"), elsewhere);
    Files.createSymbolicLink(out.resolve(".y.npy." + dead + "-2" + TemporaryFiles.SUFFIX), elsewhere.resolve(stale));

    assertEquals(0, TemporaryFiles.removeStale(out));
    assertTrue(Files.exists(elsewhere.resolve(stale)), "the file behind the link stays");
    assertTrue(Files.isSymbolicLink(out.resolve("linked")));
    assertTrue(Files.isSymbolicLink(out.resolve(".y.npy." + dead + "-2" + TemporaryFiles.SUFFIX)),
        "a link named like a temporary file is not one of ours");
  }

  @Test
  void removeStaleLeavesARunningStoreAlone() throws IOException {
    try (NpyStore store = NpyStore.create(new RowLayout("x", NpyDtype.INT8, new long[0]),
        new StoreDestination(dir, false, false), StoreCapacity.exact(1))) {
      assertEquals(0, TemporaryFiles.removeStale(dir));
      assertTrue(Files.exists(store.temporaryPath()));
    }
  }

  @Test
  void removeStaleOnAMissingDirectory() throws IOException {
    assertEquals(0, TemporaryFiles.removeStale(dir.resolve("absent")));
  }

  @Test
  void namesAreHiddenUniqueAndRecognised() {
    Path target = dir.resolve("data.npy");
    Path a = TemporaryFiles.beside(target);
    Path b = TemporaryFiles.beside(target);
    assertNotEquals(a, b);
    assertEquals(dir, a.getParent());
    assertTrue(a.getFileName().toString().startsWith(".data.npy." + ProcessHandle.current().pid() + "-"));
    assertTrue(TemporaryFiles.isTemporary(a));
    assertFalse(TemporaryFiles.isTemporary(target));
    assertFalse(TemporaryFiles.isTemporary(Path.of("data.npy.123-1" + TemporaryFiles.SUFFIX)), "not hidden");
  }
}

package io.tensorslab.slab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorslab.npy.NpyDtype;
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

  @Test
  void removeStaleLeavesARunningSlabAlone() throws IOException {
    try (FileSlab slab = FileSlab.create(dir.resolve("x.npy"), NpyDtype.INT8, new long[0], 1)) {
      assertEquals(0, TemporaryFiles.removeStale(dir));
      assertTrue(Files.exists(slab.temporaryPath()));
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

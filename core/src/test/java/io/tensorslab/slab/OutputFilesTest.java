package io.tensorslab.slab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link OutputFiles#checkTarget}: the refusals every store meets before it creates a file. */
class OutputFilesTest {
  @TempDir Path dir;

  @Test
  void missingParentDirectory() {
    Path target = dir.resolve("no/such/dir/x.npy");
    NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> OutputFiles.checkTarget(target, false));
    assertEquals(target + ": output directory does not exist (path=" + target + ")", e.getMessage());
  }

  @Test
  void unwritableDirectory() throws IOException, InterruptedException {
    Path locked = Files.createDirectory(dir.resolve("locked"));
    Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("r-xr-xr-x"));
    boolean immutable = false;
    try {
      if (Files.isWritable(locked)) {
        // Running as root: permission bits do not stop root, but the immutable attribute does.
        immutable = run("chattr", "+i", locked.toString()) && !Files.isWritable(locked);
        assumeFalse(Files.isWritable(locked),
            "root ignores permission bits and chattr +i is unavailable here: cannot make a directory unwritable");
      }
      Path target = locked.resolve("x.npy");
      AccessDeniedException e = assertThrows(AccessDeniedException.class, () -> OutputFiles.checkTarget(target, true));
      assertEquals(target + ": output directory is not writable (path=" + target + ")", e.getMessage());
      try (Stream<Path> files = Files.list(locked)) {
        assertEquals(0, files.count());
      }
    } finally {
      if (immutable) {
        run("chattr", "-i", locked.toString());
      }
      Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
  }

  private static boolean run(String... command) throws InterruptedException {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .start();
      return p.waitFor() == 0;
    } catch (IOException e) {
      return false;
    }
  }
}

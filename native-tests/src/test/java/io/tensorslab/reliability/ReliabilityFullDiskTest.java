package io.tensorslab.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.tensorslab.slab.TemporaryFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full disk during an export, on a real small file system: a tmpfs of 8 MiB mounted by the test
 * (we run as root), and a file-size limit ({@code ulimit -f}, RLIMIT_FSIZE) as the fallback that
 * needs no mount. Every export runs in a forked JVM: a SIGBUS in mapped memory would otherwise take
 * the test JVM down with it.
 *
 * <p>Each case must end in one {@code IOException} naming the output path and the cause, exit code
 * 3 of {@link ExportChild} (an {@code Exception}, not an {@code Error} such as the
 * {@code InternalError} of a fault in mapped memory), no file at any final path and no temporary
 * file left.
 */
class ReliabilityFullDiskTest {
  private static final long TIMEOUT_SECONDS = 120;

  /** 16 MiB of float32 rows, cardinality known: the first reservation already fails. */
  @Test
  void knownSizeOnFullTmpfs(@TempDir Path tmp) throws Exception {
    onTmpfs(tmp, mount -> {
      Path out = mount.resolve("out");
      Forked.Outcome o = Forked.run(Forked.command("export", out.toString(), "16384", "256", "1024", "known",
          "durable"), tmp.resolve("log"), TIMEOUT_SECONDS);
      assertCleanFailure(o, out, "x.npy", "no space left on device");
    });
  }

  /**
   * Cardinality unknown (a filter): the slab starts at 64 batches (2 MiB), fits, and fails when it
   * grows past the 8 MiB of the file system in the middle of the copy loop.
   */
  @Test
  void growingSlabOnFullTmpfs(@TempDir Path tmp) throws Exception {
    onTmpfs(tmp, mount -> {
      Path out = mount.resolve("out");
      Forked.Outcome o = Forked.run(Forked.command("export", out.toString(), "16384", "256", "32", "unknown",
          "durable"), tmp.resolve("log"), TIMEOUT_SECONDS);
      assertCleanFailure(o, out, "x.npy", "no space left on device");
      assertGrew(o);
    });
  }

  /**
   * The arrays fit to the page, nothing is left for {@code manifest.json}: the last file of the
   * export fails, and the two arrays already renamed into place must go again.
   */
  @Test
  void manifestOnFullTmpfs(@TempDir Path tmp) throws Exception {
    onTmpfs(tmp, mount -> {
      Path out = Files.createDirectory(mount.resolve("out"));
      long rows = 4096; // a whole number of batches: the slabs reserve exactly what they finish with
      long pages = pages(128 + rows * 1024) + pages(128 + rows * 8);
      long free = Files.getFileStore(mount).getUsableSpace();
      Files.write(mount.resolve("filler"), new byte[(int) (free - pages * 4096)]);
      assertEquals(pages * 4096, Files.getFileStore(mount).getUsableSpace(), "free space after the filler");
      Forked.Outcome o = Forked.run(Forked.command("export", out.toString(), Long.toString(rows), "256", "512",
          "known", "durable"), tmp.resolve("log"), TIMEOUT_SECONDS);
      assertCleanFailure(o, out, "manifest.json", "no space left on device");
    });
  }

  /** RLIMIT_FSIZE of 8 MiB instead of a small disk, cardinality known. */
  @Test
  void knownSizeOverFileSizeLimit(@TempDir Path tmp) throws Exception {
    Path out = tmp.resolve("out");
    Forked.Outcome o = Forked.run(Forked.underBash("ulimit -f 8192", Forked.command("export", out.toString(),
        "16384", "256", "1024", "known", "durable")), tmp.resolve("log"), TIMEOUT_SECONDS);
    assertCleanFailure(o, out, "x.npy", "file too large");
  }

  /** RLIMIT_FSIZE of 8 MiB, cardinality unknown: the failure comes when the slab grows. */
  @Test
  void growingSlabOverFileSizeLimit(@TempDir Path tmp) throws Exception {
    Path out = tmp.resolve("out");
    Forked.Outcome o = Forked.run(Forked.underBash("ulimit -f 8192", Forked.command("export", out.toString(),
        "16384", "256", "32", "unknown", "durable")), tmp.resolve("log"), TIMEOUT_SECONDS);
    assertCleanFailure(o, out, "x.npy", "file too large");
    assertGrew(o);
  }

  /** The failing reservation was a growth step (8 MiB + header), not the whole 16 MiB at the start. */
  private static void assertGrew(Forked.Outcome o) {
    assertTrue(o.verdict().contains("reserving 8388736 bytes"), o.verdict());
  }

  private static long pages(long bytes) {
    return (bytes + 4095) / 4096;
  }

  interface OnMount {
    void run(Path mount) throws Exception;
  }

  private static void onTmpfs(Path tmp, OnMount body) throws Exception {
    Path mount = Files.createDirectory(tmp.resolve("small"));
    assumeTrue(Mounts.tmpfs(mount, "8m"), "mount -t tmpfs refused (not root?); the ulimit -f cases cover this");
    try {
      body.run(mount);
    } finally {
      Mounts.unmount(mount);
    }
  }

  static void assertCleanFailure(Forked.Outcome o, Path out, String file, String cause) throws IOException {
    String verdict = o.verdict();
    assertEquals(3, o.exitCode(), "expected a clean exception (exit 3): " + o);
    assertTrue(verdict.startsWith("FAILED "), o.toString());
    String exceptionClass = verdict.substring(7, verdict.indexOf(':'));
    assertTrue(IOException.class.isAssignableFrom(classFor(exceptionClass)), "not an IOException: " + verdict);
    assertTrue(verdict.contains(out.resolve(file).toString()), "message does not name " + out.resolve(file)
        + ": " + verdict);
    assertTrue(verdict.toLowerCase(Locale.ROOT).contains(cause), "message does not say '" + cause + "': " + verdict);
    for (String bad : List.of("InternalError", "SIGBUS", "SIGSEGV", "hs_err", "fatal error")) {
      assertFalse(o.stdout().contains(bad) || o.stderr().contains(bad), bad + " in the child's output: " + o);
    }
    assertNoOutputs(out);
  }

  static void assertNoOutputs(Path out) throws IOException {
    for (String f : List.of("x.npy", "i.npy", "manifest.json")) {
      assertFalse(Files.exists(out.resolve(f)), f + " exists after a failed export");
    }
    if (Files.isDirectory(out)) {
      try (Stream<Path> files = Files.list(out)) {
        List<Path> left = files.filter(TemporaryFiles::isTemporary).toList();
        assertTrue(left.isEmpty(), "temporary files left: " + left);
      }
    }
  }

  private static Class<?> classFor(String name) {
    try {
      return Class.forName(name);
    } catch (ClassNotFoundException e) {
      throw new AssertionError("unknown exception class " + name, e);
    }
  }
}

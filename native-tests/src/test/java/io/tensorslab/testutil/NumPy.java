package io.tensorslab.testutil;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs real NumPy in a python3 process: the consumer our files are for. The interpreter is
 * {@code $TENSORSLAB_PYTHON} (set by {@code ./build} to one that imports numpy) or {@code python3}.
 * A missing NumPy fails the test, never skips it.
 */
public final class NumPy {
  private NumPy() {}

  public static String python() {
    String p = System.getenv("TENSORSLAB_PYTHON");
    return p == null || p.isBlank() ? "python3" : p;
  }

  /**
   * Runs {@code script} with {@code args} as {@code sys.argv[1:]} and returns its stdout; fails the
   * test with stderr when it exits non-zero. {@code numpy} is imported as {@code np} first.
   */
  public static String run(String script, String... args) {
    try {
      Path file = Files.createTempFile("tensorslab-check", ".py");
      try {
        Files.writeString(file, "import sys\ntry:\n    import numpy as np\nexcept ImportError:\n"
            + "    sys.exit('NumPy is missing: install python3-numpy (apt-get install -y python3-numpy)')\n"
            + script);
        List<String> cmd = new ArrayList<>(List.of(python(), file.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          fail("python timed out");
        }
        if (p.exitValue() != 0) {
          fail("python check failed (exit " + p.exitValue() + "):\n" + new String(err, StandardCharsets.UTF_8)
              + new String(out, StandardCharsets.UTF_8));
        }
        return new String(out, StandardCharsets.UTF_8);
      } finally {
        Files.deleteIfExists(file);
      }
    } catch (IOException e) {
      throw new AssertionError("cannot run " + python() + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}

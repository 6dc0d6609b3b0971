package io.tensorslab.testutil;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs real NumPy in a python3 process: the consumer our files are for. The interpreter is
 * {@code $TENSORSLAB_PYTHON} (set by {@code ./build} to one that imports numpy) or {@code python3}.
 * A missing NumPy fails the test with what to install; it never skips, so CI cannot pass without
 * having checked anything.
 */
public final class NumPy {
  private static final long TIMEOUT_SECONDS = 300;
  private static final String PRELUDE = "import sys\ntry:\n    import numpy as np\nexcept ImportError:\n"
      + "    sys.exit('NumPy is missing: install python3-numpy (apt-get install -y python3-numpy), "
      + "or point TENSORSLAB_PYTHON at a python that has it')\n";

  private NumPy() {}

  public static String python() {
    String p = System.getenv("TENSORSLAB_PYTHON");
    return p == null || p.isBlank() ? "python3" : p;
  }

  /** NumPy's version, failing the test when NumPy cannot be imported. */
  public static String version() {
    return run("print(np.__version__)").strip();
  }

  /**
   * Runs {@code script} with {@code args} as {@code sys.argv[1:]} and returns its stdout; fails the
   * test with its output when it exits non-zero. {@code sys} is imported, and {@code numpy} as {@code np}.
   */
  public static String run(String script, String... args) {
    return runWith(python(), script, args);
  }

  /** Like {@link #run}, with another interpreter (one that has zarr or tensorstore, say). */
  public static String runWith(String python, String script, String... args) {
    try {
      Path file = Files.createTempFile("tensorslab-check", ".py");
      try {
        Files.writeString(file, PRELUDE + script);
        return exec(python, file, args);
      } finally {
        Files.deleteIfExists(file);
      }
    } catch (IOException e) {
      throw new AssertionError("cannot run " + python() + ": " + e.getMessage(), e);
    }
  }

  /** Like {@link #run}, for a script kept as a classpath resource next to {@code anchor}. */
  public static String runResource(Class<?> anchor, String resource, String... args) {
    return runResourceWith(python(), anchor, resource, args);
  }

  /** Like {@link #runResource}, with another interpreter. */
  public static String runResourceWith(String python, Class<?> anchor, String resource, String... args) {
    try (InputStream in = anchor.getResourceAsStream(resource)) {
      if (in == null) {
        throw new AssertionError("test resource " + resource + " is missing next to " + anchor.getName());
      }
      return runWith(python, new String(in.readAllBytes(), StandardCharsets.UTF_8), args);
    } catch (IOException e) {
      throw new AssertionError("cannot read test resource " + resource + ": " + e.getMessage(), e);
    }
  }

  private static String exec(String python, Path script, String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(python, script.toString()));
    command.addAll(List.of(args));
    // stderr goes to a file so that a chatty script can never block on a full pipe.
    Path err = Files.createTempFile("tensorslab-check", ".err");
    try {
      ProcessBuilder pb = new ProcessBuilder(command).redirectError(err.toFile());
      pb.environment().put("PYTHONDONTWRITEBYTECODE", "1");
      Process p = pb.start();
      byte[] out;
      try (InputStream in = p.getInputStream()) {
        out = in.readAllBytes();
      }
      if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError(python + " did not finish in " + TIMEOUT_SECONDS + " s");
      }
      String stdout = new String(out, StandardCharsets.UTF_8);
      if (p.exitValue() != 0) {
        throw new AssertionError("python check failed (exit " + p.exitValue() + "):\n" + Files.readString(err)
            + stdout);
      }
      return stdout;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while waiting for python", e);
    } finally {
      Files.deleteIfExists(err);
    }
  }
}

package io.tensorslab.npy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the real NumPy for cross-checks: the interpreter in {@code TENSORSLAB_PYTHON} (set by
 * {@code ./build}), else {@code python3}. A machine without NumPy fails the test with what to
 * install; it never skips, so CI cannot pass without having checked anything.
 */
final class Python {
  private static final long TIMEOUT_SECONDS = 300;

  private final String interpreter;
  private final String numpyVersion;

  private Python(String interpreter, String numpyVersion) {
    this.interpreter = interpreter;
    this.numpyVersion = numpyVersion;
  }

  /** The interpreter, checked to import NumPy; a test failure saying what to install when it cannot. */
  static Python withNumpy() {
    String env = System.getenv("TENSORSLAB_PYTHON");
    String interpreter = env == null || env.isBlank() ? "python3" : env;
    Result r;
    try {
      r = exec(List.of(interpreter, "-c", "import numpy; print(numpy.__version__)"));
    } catch (IOException e) {
      throw new AssertionError("cannot run " + interpreter + " (" + e.getMessage() + "): install python3 and python3-numpy"
          + " (apt-get install python3-numpy), or point TENSORSLAB_PYTHON at a python with NumPy", e);
    }
    if (r.exitCode != 0) {
      throw new AssertionError(interpreter + " cannot import numpy: install python3-numpy (apt-get install python3-numpy),"
          + " or point TENSORSLAB_PYTHON at a python with NumPy. Python said:\n" + r.output);
    }
    return new Python(interpreter, r.output.strip());
  }

  String numpyVersion() {
    return numpyVersion;
  }

  /** Runs the classpath resource {@code script} (next to this class) with {@code args}; fails the test on a non-zero exit. */
  String runScript(String script, Path workDir, String... args) throws IOException {
    Path file = workDir.resolve(script);
    try (InputStream in = Python.class.getResourceAsStream(script)) {
      if (in == null) {
        throw new IOException("test resource " + script + " is missing");
      }
      Files.copy(in, file);
    }
    List<String> command = new ArrayList<>(List.of(interpreter, file.toString()));
    command.addAll(List.of(args));
    Result r = exec(command);
    if (r.exitCode != 0) {
      throw new AssertionError(String.join(" ", command) + " exited with " + r.exitCode + ":\n" + r.output);
    }
    return r.output;
  }

  private record Result(int exitCode, String output) {}

  private static Result exec(List<String> command) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().put("PYTHONDONTWRITEBYTECODE", "1");
    Process p = pb.start();
    byte[] output;
    try (InputStream in = p.getInputStream()) {
      output = in.readAllBytes();
    }
    try {
      if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", command) + " did not finish in " + TIMEOUT_SECONDS + " s");
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while waiting for python", e);
    }
    return new Result(p.exitValue(), new String(output, StandardCharsets.UTF_8));
  }
}

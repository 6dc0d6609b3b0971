package io.tensorslab.arrow;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * pyarrow, the judge of the table files: from $TENSORSLAB_PYARROW_PYTHON or the project's
 * .tensorslab/tensorstore-venv, where ./build verify installs it (.ci/readers.sh). A missing pyarrow
 * fails the test with what to install; it never skips.
 */
final class PyArrow {
  private PyArrow() {}

  static String python() {
    List<String> candidates = new ArrayList<>();
    String env = System.getenv("TENSORSLAB_PYARROW_PYTHON");
    if (env != null && !env.isBlank()) {
      candidates.add(env);
    }
    candidates.add(Path.of("..", ".tensorslab", "tensorstore-venv", "bin", "python").toAbsolutePath().normalize()
        .toString());
    for (String python : candidates) {
      if (Files.isExecutable(Path.of(python)) && run(python, List.of("-c", "import pyarrow, numpy")).exit == 0) {
        return python;
      }
    }
    throw new AssertionError("pyarrow is missing, so the table files cannot be judged: run ./build verify once"
        + " (it installs pyarrow into .tensorslab/tensorstore-venv), or point TENSORSLAB_PYARROW_PYTHON at a"
        + " python that has pyarrow and numpy; tried " + candidates);
  }

  /** Runs check_table.py; returns its JSON line, or fails with its words. */
  static String check(String kind, Path table, Path expected, String... names) throws IOException {
    Path script = Files.createTempFile("check_table", ".py");
    try (var in = PyArrow.class.getResourceAsStream("/check_table.py")) {
      Files.write(script, in.readAllBytes());
      List<String> args = new ArrayList<>(List.of(script.toString(), kind, table.toString(), expected.toString()));
      args.addAll(List.of(names));
      Result r = run(python(), args);
      if (r.exit != 0) {
        throw new AssertionError("pyarrow's reading differs from TensorFlow's parse: " + r.output);
      }
      return r.output.strip();
    } finally {
      Files.deleteIfExists(script);
    }
  }

  private record Result(int exit, String output) {}

  private static Result run(String python, List<String> args) {
    List<String> command = new ArrayList<>();
    command.add(python);
    command.addAll(args);
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes());
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return new Result(-1, "timed out: " + command);
      }
      return new Result(p.exitValue(), out);
    } catch (IOException e) {
      return new Result(-1, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Result(-1, e.toString());
    }
  }
}

package io.tensorslab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorslab.slab.TemporaryFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Runs the tensorslab command in this JVM, as {@code main} would, with stdout and stderr captured. */
record RunCli(int code, String out, String err) {

  static RunCli run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = TensorSlabCommand.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
    return new RunCli(code, out.toString(), err.toString());
  }

  static RunCli run(List<String> args) {
    return run(args.toArray(String[]::new));
  }

  /** stderr's lines. */
  List<String> errLines() {
    return err.lines().toList();
  }

  /** Asserts the failure contract: this exit code, exactly one stderr line holding every part, no stack trace. */
  RunCli assertFails(int expectedCode, String... parts) {
    assertEquals(expectedCode, code, () -> "exit code; stderr:\n" + err + "\nstdout:\n" + out);
    assertEquals(1, errLines().size(), () -> "exactly one stderr line, got:\n" + err);
    for (String part : parts) {
      assertTrue(err.contains(part), () -> "stderr should contain '" + part + "':\n" + err);
    }
    assertTrue(!err.contains("\tat ") && !err.contains("Exception:"), () -> "no stack trace or raw exception:\n" + err);
    return this;
  }

  /** Asserts success: exit code 0 (stderr shown otherwise). */
  RunCli assertSucceeds() {
    assertEquals(0, code, () -> "exit code; stderr:\n" + err + "\nstdout:\n" + out);
    return this;
  }

  /** Files in {@code dir} named {@code *.npy} or like a temporary file; none when dir is missing. */
  static List<String> leftovers(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.toString().endsWith(".npy") || TemporaryFiles.isTemporary(p)
              || p.getFileName().toString().endsWith(TemporaryFiles.SUFFIX))
          .map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}

package io.tensorslab.reliability;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Starts a child JVM on the test class path running {@link ExportChild}, so that a crash (SIGBUS,
 * SIGSEGV, an abort inside TensorFlow) or a SIGKILL takes down the child, never the test JVM.
 * The child's stdout and stderr go to files, read after it ends.
 */
final class Forked {
  private Forked() {}

  /** What a finished child left behind. */
  record Outcome(int exitCode, String stdout, String stderr) {
    /** The child's last {@code FAILED ...}, {@code CRASH ...} or {@code DONE ...} line, or "". */
    String verdict() {
      String last = "";
      for (String line : stdout.split("\n")) {
        if (line.startsWith("FAILED ") || line.startsWith("CRASH ") || line.startsWith("DONE ")) {
          last = line;
        }
      }
      return last;
    }

    @Override
    public String toString() {
      return "exit " + exitCode + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
    }
  }

  static String javaBinary() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /** The JVM command line for {@code ExportChild args}. */
  static List<String> command(String... args) {
    List<String> cmd = new ArrayList<>(List.of(javaBinary(), "-Xmx512m", "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1", "--enable-native-access=ALL-UNNAMED",
        "--sun-misc-unsafe-memory-access=allow", "-cp", System.getProperty("java.class.path"),
        ExportChild.class.getName()));
    cmd.addAll(List.of(args));
    return cmd;
  }

  /** Starts {@code command} with stdout/stderr redirected into {@code logDir}. */
  static Process start(List<String> command, Path logDir) throws IOException {
    Files.createDirectories(logDir);
    ProcessBuilder pb = new ProcessBuilder(command)
        .redirectOutput(logDir.resolve("stdout").toFile())
        .redirectError(logDir.resolve("stderr").toFile());
    pb.environment().put("TF_CPP_MIN_LOG_LEVEL", "3");
    return pb.start();
  }

  /** Runs {@code command} to its end (at most {@code timeoutSeconds}). */
  static Outcome run(List<String> command, Path logDir, long timeoutSeconds) throws IOException,
      InterruptedException {
    Process p = start(command, logDir);
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor();
      throw new AssertionError("child JVM did not finish in " + timeoutSeconds + " s: " + outcome(-1, logDir));
    }
    return outcome(p.exitValue(), logDir);
  }

  static Outcome outcome(int exit, Path logDir) throws IOException {
    return new Outcome(exit, read(logDir.resolve("stdout")), read(logDir.resolve("stderr")));
  }

  private static String read(Path p) throws IOException {
    return Files.exists(p) ? Files.readString(p, StandardCharsets.UTF_8) : "";
  }

  /** Runs {@code bash -c script} (for {@code ulimit}); the child JVM command is appended after {@code exec}. */
  static List<String> underBash(String prefix, List<String> command) {
    StringBuilder sb = new StringBuilder(prefix).append("; exec");
    for (String c : command) {
      sb.append(' ').append('\'').append(c.replace("'", "'\\''")).append('\'');
    }
    return List.of("bash", "-c", sb.toString());
  }
}

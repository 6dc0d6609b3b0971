package io.tensorslab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorslab.testutil.NumPy;
import io.tensorslab.testutil.TfRecordWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real {@code ./tensorslab} launcher in a child process: its warm start runs no Maven and
 * prints no JVM or TensorFlow noise, and the progress bar shows on a terminal (a pty made by
 * {@code script}) and not in a pipe.
 */
@Tag("long") // its first launch builds the project, ~30 s
class CliLauncherTest {
  static final Path ROOT = Path.of("").toAbsolutePath().getParent();
  static final Path LAUNCHER = ROOT.resolve("tensorslab");

  record Ran(int code, String out, String err, long millis) {}

  static Ran run(List<String> command) throws IOException, InterruptedException {
    long start = System.nanoTime();
    Process p = new ProcessBuilder(command).directory(ROOT.toFile()).start();
    p.getOutputStream().close();
    CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> {
      try {
        return p.getErrorStream().readAllBytes();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    byte[] out = p.getInputStream().readAllBytes();
    // A first run builds the core module with Maven.
    assertTrue(p.waitFor(10, TimeUnit.MINUTES), "launcher timed out: " + command);
    return new Ran(p.exitValue(), new String(out, StandardCharsets.UTF_8),
        new String(err.join(), StandardCharsets.UTF_8), (System.nanoTime() - start) / 1_000_000);
  }

  @Test
  void warmStartRunsNoMavenAndPrintsNoNoise(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("x.npy");
    NumPy.run("np.save(sys.argv[1], np.arange(6, dtype='<f4').reshape(2, 3))", file.toString());
    Ran first = run(List.of("bash", LAUNCHER.toString(), "inspect", file.toString())); // may build
    assertEquals(0, first.code(), first.err());
    Path log = ROOT.resolve(".tensorslab/build.log");
    FileTime built = Files.exists(log) ? Files.getLastModifiedTime(log) : null;

    Ran warm = run(List.of("bash", LAUNCHER.toString(), "inspect", file.toString()));
    assertEquals(0, warm.code(), warm.err());
    assertEquals("", warm.err(), "no JVM or TensorFlow noise on stderr");
    assertTrue(warm.out().contains("descr:          '<f4' (float32)") && warm.out().contains("(2, 3)"), warm.out());
    assertEquals(built, Files.exists(log) ? Files.getLastModifiedTime(log) : null, "warm start ran Maven");
    System.out.println("launcher: first run " + first.millis() + " ms, warm run " + warm.millis() + " ms");
  }

  @Test
  void progressBarOnATerminalOnly(@TempDir Path dir) throws Exception {
    List<byte[]> records = new ArrayList<>();
    float[] x = new float[64];
    for (int r = 0; r < 20_000; r++) {
      x[0] = r;
      records.add(TfRecordWriter.example().floats("x", x).toByteArray());
    }
    Path input = TfRecordWriter.write(dir.resolve("in.tfrecord"), TfRecordWriter.Compression.NONE, records);
    String convert = "'" + LAUNCHER + "' convert --tfrecord '" + input + "' --feature x:float32:64 --out '";

    // script(1) runs the command on a pty: stdin, stdout and stderr are a terminal; its output is both.
    Ran tty = run(List.of("script", "-q", "-e", "-c", convert + dir.resolve("tty") + "'", "/dev/null"));
    assertEquals(0, tty.code(), tty.out() + tty.err());
    assertTrue(tty.out().contains("\r100.0% [########################] 20,000/20,000 rows"), tty.out());
    assertTrue(tty.out().contains("MB/s"), tty.out());

    Ran pipe = run(List.of("bash", "-c", convert + dir.resolve("pipe") + "'"));
    assertEquals(0, pipe.code(), pipe.err());
    assertEquals("", pipe.err(), "no bar when stderr is a pipe");
    assertTrue(pipe.out().contains("wrote 20,000 rows") && !pipe.out().contains("\r"), pipe.out());

    Ran quiet = run(List.of("script", "-q", "-e", "-c", convert + dir.resolve("quiet") + "' --quiet", "/dev/null"));
    assertEquals(0, quiet.code(), quiet.out());
    assertFalse(quiet.out().contains("rows"), "--quiet draws no bar: " + quiet.out());
  }
}

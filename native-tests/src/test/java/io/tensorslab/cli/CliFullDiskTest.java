package io.tensorslab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.tensorslab.reliability.Mounts;
import io.tensorslab.testutil.TfRecordWriter;
import io.tensorslab.testutil.TfRecordWriter.Compression;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code convert} onto a full disk (an 8 MiB tmpfs mounted by the test; we run as root): exit 1 and
 * one stderr line naming the file, component, batch and cause, and nothing left in DIR. In process:
 * space is reserved with posix_fallocate before any byte is copied, so a full disk is an error,
 * never a fault in mapped memory that could take the JVM down.
 */
class CliFullDiskTest {

  @Test
  void convertOntoFullTmpfs(@TempDir Path dir) throws Exception {
    List<byte[]> records = new ArrayList<>();
    float[] row = new float[1024];
    for (int r = 0; r < 4096; r++) { // 16 MiB of float32
      java.util.Arrays.fill(row, r);
      records.add(TfRecordWriter.example().floats("x", row).toByteArray());
    }
    Path input = TfRecordWriter.write(dir.resolve("big.tfrecord"), Compression.NONE, records);
    Path mount = Files.createDirectory(dir.resolve("small"));
    assumeTrue(Mounts.tmpfs(mount, "8m"), "mount -t tmpfs refused (not root?); ReliabilityFullDiskTest covers "
        + "the ulimit -f case");
    try {
      Path out = mount.resolve("out");
      // Both engines make every file at its full size before parsing, so both fail there, with one message.
      String tensorflow = RunCli.run("convert", "--tfrecord", input.toString(), "--feature", "x:float32:1024", "--out",
          out.toString(), "--quiet", "--engine", "tensorflow").assertFails(1, "writing failed: ",
          "no space left on device", out.resolve("x.npy").toString(), "(component=x)").err();
      assertEquals(List.of(), RunCli.leftovers(out));
      String nativeEngine = RunCli.run("convert", "--tfrecord", input.toString(), "--feature", "x:float32:1024", "--out",
          out.toString(), "--quiet", "--engine", "native").assertFails(1, "writing failed: ", "no space left on device",
          out.resolve("x.npy").toString(), "(component=x)").err();
      assertEquals(tensorflow, nativeEngine, "one message whichever engine");
      assertEquals(List.of(), RunCli.leftovers(out));
    } finally {
      Mounts.unmount(mount);
    }
  }
}

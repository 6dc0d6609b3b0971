package io.tensorslab.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.tensorslab.npy.NpyArray;
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

  /**
   * GZIP files whose first compresses ~200 times better than the others: the stores' first size,
   * guessed from the first file's trailer as if every file were as compressible, is some 1 GB,
   * far more than the 8 MiB disk; the output, 4 MiB, fits. The guess is cut to the free space, so
   * the conversion succeeds, every row in place.
   */
  @Test
  void aGuessLargerThanTheDiskDoesNotFailAnOutputThatFits(@TempDir Path dir) throws Exception {
    java.util.Random random = new java.util.Random(5);
    float[] row = new float[256];
    for (int f = 0; f < 4; f++) {
      List<byte[]> records = new ArrayList<>();
      for (int r = 0; r < 1000; r++) {
        for (int j = 0; f > 0 && j < row.length; j++) {
          row[j] = random.nextFloat();
        }
        records.add(TfRecordWriter.example().floats("x", row).toByteArray());
      }
      TfRecordWriter.write(dir.resolve("part-" + f + ".tfrecord.gz"), Compression.GZIP, records);
    }
    Path mount = Files.createDirectory(dir.resolve("small"));
    assumeTrue(Mounts.tmpfs(mount, "8m"), "mount -t tmpfs refused (not root?)");
    try {
      Path out = mount.resolve("out");
      RunCli r = RunCli.run("convert", "--tfrecord", dir.resolve("part-*.tfrecord.gz").toString(), "--feature",
          "x:float32:256", "--out", out.toString(), "--quiet", "--threads", "2");
      assertEquals(0, r.code(), r.err());
      try (NpyArray x = NpyArray.open(out.resolve("x.npy"))) {
        assertArrayEquals(new long[] {4000, 256}, x.header().shape());
        assertEquals(x.payloadOffset() + 4000L * 256 * 4, Files.size(out.resolve("x.npy")), "the file cut to its rows");
        float[] last = x.segment().asSlice(3999L * 256 * 4, 256 * 4)
            .toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED);
        assertArrayEquals(row, last, "the last row in place");
      }
    } finally {
      Mounts.unmount(mount);
    }
  }
}

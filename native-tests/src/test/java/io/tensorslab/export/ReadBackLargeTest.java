package io.tensorslab.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An export reopened and iterated as a tf.data dataset in batches of 1024 in a JVM with a 64 MiB
 * heap: the resident set grows by a few batches at most, whatever the file size (TensorFlow reads
 * the file through the page cache a buffer at a time). 1 GiB, so a {@code long} test (measured: +44 MB
 * for 256 MiB).
 */
@Tag("long")
class ReadBackLargeTest {

  @Test
  void oneGibibyteIteratedWithoutGrowingTheResidentSet(@TempDir Path dir) throws Exception {
    readBack(dir, 65_536);
  }

  private static void readBack(Path dir, long rows) throws Exception {
    Process p = TestData.smallHeapChild(ReadBackLargeMain.class, dir.resolve("out").toString(), Long.toString(rows));
    try {
      String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(p.waitFor(300, TimeUnit.SECONDS), "read-back did not finish");
      assertEquals(0, p.exitValue(), output);
      Matcher m = Pattern.compile("rows=(\\d+) fileBytes=(\\d+) rssBefore=(\\d+) rssMax=(\\d+)").matcher(output);
      assertTrue(m.find(), output);
      System.out.println(m.group());
      assertEquals(rows, Long.parseLong(m.group(1)));
      long fileBytes = Long.parseLong(m.group(2));
      long growth = Long.parseLong(m.group(4)) - Long.parseLong(m.group(3));
      // a batch of 1024 rows is 16 MiB; TensorFlow holds a few (the batch being built, the one fetched,
      // its allocator's free lists): bounded by the batch size, not by the file's
      long batchBytes = 1024L * LargeExportMain.COLUMNS * Float.BYTES;
      assertTrue(growth < 4 * batchBytes, "resident set grew by " + growth + " bytes reading " + fileBytes + ": "
          + output);
    } finally {
      p.destroyForcibly();
    }
  }
}

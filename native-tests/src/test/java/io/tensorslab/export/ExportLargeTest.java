package io.tensorslab.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorslab.testutil.NumPy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 1 GiB of float32 exported by {@link LargeExportMain} in a JVM limited to a 64 MiB heap: the data
 * never passes through the heap. Graph mode, the path for big exports (eager mode keeps every batch
 * tensor until the garbage collector runs; see docs/api.md).
 */
@Tag("long") // 1 GiB
class ExportLargeTest {

  @Test
  void oneGibibyteWithA64MiBHeap(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("out");
    Process p = TestData.smallHeapChild(LargeExportMain.class, out.toString(), "graph");
    try {
      String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(p.waitFor(120, TimeUnit.SECONDS), "export did not finish");
      assertEquals(0, p.exitValue(), output);
      assertTrue(output.contains("rows=65536 bytes=1073741824 batches=256 maxHeap="), output);
      Path x = out.resolve("x.npy");
      assertEquals(128 + (1L << 30), Files.size(x));
      NumPy.run("""
          a = np.load(sys.argv[1], mmap_mode='r')
          assert a.shape == (65536, 4096) and a.dtype == np.float32, (a.shape, a.dtype)
          cols = np.arange(4096, dtype=np.float32)
          for r in (0, 1, 255, 256, 40000, 65535):
              assert np.array_equal(a[r], cols - r), (r, a[r][:4])
          assert np.array_equal(a[::4093, 7], 7 - np.arange(0, 65536, 4093, dtype=np.float32))
          """, x.toString());
    } finally {
      p.destroyForcibly();
      try (var files = Files.walk(dir)) {
        for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(f);
        }
      }
    }
  }
}

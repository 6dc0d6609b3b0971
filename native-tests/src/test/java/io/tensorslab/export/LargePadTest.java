package io.tensorslab.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorslab.testutil.NumPy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pad-to-largest of a 1 GiB dataset in a JVM whose heap is 64 MiB: the batches are staged on disk
 * and laid out once, never held on the heap. Checked with NumPy through mmap slices only.
 */
@Tag("long") // 1 GiB
class LargePadTest {

  @Test
  void oneGibPaddedUnderSmallHeap(@TempDir Path dir) throws Exception {
    String java = ProcessHandle.current().info().command().orElseThrow();
    // JavaCPP (under TF Java) refuses tensor allocations once the process's resident size passes
    // maxPhysicalBytes, by default 4 x -Xmx = 256 MiB: TensorFlow's own libraries are larger than
    // that, so a 64 MiB heap needs the limit off. Resident growth is asserted below instead.
    ProcessBuilder pb = new ProcessBuilder(List.of(java, "-Xmx64m", "-Dorg.bytedeco.javacpp.maxPhysicalBytes=0",
        "--enable-native-access=ALL-UNNAMED",
        "--sun-misc-unsafe-memory-access=allow", "-cp", System.getProperty("java.class.path"),
        LargePadMain.class.getName(), dir.toString())).redirectErrorStream(true);
    pb.environment().put("TF_CPP_MIN_LOG_LEVEL", "3");
    long start = System.nanoTime();
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    boolean done = p.waitFor(120, TimeUnit.SECONDS);
    if (!done) {
      p.destroyForcibly();
    }
    String text = new String(out, StandardCharsets.UTF_8);
    System.out.println("LargePadMain: " + text.strip() + " (JVM wall " + (System.nanoTime() - start) / 1e9 + " s)");
    assertTrue(done, "child did not finish: " + text);
    assertEquals(0, p.exitValue(), text);
    assertTrue(text.contains("shape=[262144, 1024]"), text);
    // the copy loop stages 0.75 GiB: resident memory must not follow it
    long first = Long.parseLong(text.replaceAll("(?s).*rssFirstBatchMiB=(\\d+).*", "$1"));
    long max = Long.parseLong(text.replaceAll("(?s).*rssCopyLoopMaxMiB=(\\d+).*", "$1"));
    assertTrue(max - first < 128, "resident memory grew by " + (max - first) + " MiB while copying: " + text);
    NumPy.run(LargePadMain.WIDTH_PY + """
        d = sys.argv[1]
        x = np.load(d + '/x.npy', mmap_mode='r'); n = np.load(d + '/x.lengths.npy', mmap_mode='r')
        assert x.shape == (262144, 1024) and x.dtype == np.float32, (x.shape, x.dtype)
        assert n.shape == (262144,) and n.dtype == np.int64
        for i in [0, 1, 2, 99, 100, 101, 200, 254, 255]:
            w = width(i)
            rows = x[i * 1024:(i + 1) * 1024]
            row = (np.arange(w) + 4096 * i).astype(np.float32)
            assert np.array_equal(rows[:, :w], np.broadcast_to(row, (1024, w))), i
            assert not rows[:, w:].any(), i
            assert (n[i * 1024:(i + 1) * 1024] == w).all(), i
        import os
        assert sorted(os.listdir(d)) == ['manifest.json', 'x.lengths.npy', 'x.npy'], os.listdir(d)
        """, dir.toString());
  }
}

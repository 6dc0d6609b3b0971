package io.tensorslab.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorslab.export.ExportResult;
import io.tensorslab.export.TensorSlab;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.EagerSession;
import org.tensorflow.op.Ops;

/**
 * 1000 export-and-close cycles leave the process's open file descriptors ({@code /proc/self/fd})
 * and file-backed memory mappings ({@code /proc/self/maps}) exactly where they were, and the count
 * of anonymous mappings (allocator arenas) within a small fixed slack. Each cycle is a whole pipeline: a
 * export into the same directory (overwrite), a read through the zero-copy view, close; a new eager
 * session with new datasets every 50 cycles. 50 cycles warm up first, so that TensorFlow's and the JVM's lazy
 * initialisation (thread pools, code cache, loaded libraries) is done before the first count.
 */
@Tag("long") // 2 000 exports, ~30 s
class ReliabilityHygieneTest {
  private static final int WARMUP = 50;
  private static final int CYCLES = 1000;
  private static final int SESSION_CYCLES = 50;
  private static final int ANONYMOUS_SLACK = 16;

  @Test
  void thousandCyclesLeaveNoDescriptorOrMapping(@TempDir Path tmp) throws Exception {
    Path dir = tmp.resolve("out");
    cycles(dir, WARMUP);
    settle();
    Map<String, Integer> fdsBefore = descriptors();
    List<String> mapsBefore = mappings();
    cycles(dir, CYCLES);
    settle();
    Map<String, Integer> fdsAfter = descriptors();
    List<String> mapsAfter = mappings();
    Map<String, Integer> filesBefore = mappedFiles(mapsBefore);
    Map<String, Integer> filesAfter = mappedFiles(mapsAfter);
    long anonBefore = mapsBefore.size() - count(filesBefore);
    long anonAfter = mapsAfter.size() - count(filesAfter);
    String report = String.format("open fds %d -> %d; file-backed mappings %d -> %d (of the output directory: %d);"
        + " anonymous mappings %d -> %d", count(fdsBefore), count(fdsAfter), count(filesBefore), count(filesAfter),
        mapsAfter.stream().filter(l -> l.contains(dir.toString())).count(), anonBefore, anonAfter);
    System.out.println("hygiene after " + CYCLES + " cycles: " + report);
    Files.createDirectories(Path.of("target", "reliability"));
    Files.writeString(Path.of("target", "reliability", "hygiene.txt"), report + "\n");
    assertEquals(fdsBefore, fdsAfter, "open file descriptors by target");
    assertEquals(filesBefore, filesAfter, "file-backed mappings by path");
    // Anonymous mappings are malloc arenas and thread stacks of the JVM and TensorFlow: they split and
    // merge as those heaps grow, so their count moves by a few whatever we do. A leaked mapping per
    // cycle would add 1000.
    assertTrue(Math.abs(anonAfter - anonBefore) <= ANONYMOUS_SLACK, "anonymous mappings: "
        + diff(mapsBefore, mapsAfter));
  }

  /**
   * {@code n} cycles; a new eager session with fresh datasets (known and unknown cardinality) every
   * 50 cycles, as a long pipeline would make them.
   */
  private static void cycles(Path dir, int n) throws IOException {
    for (int start = 0; start < n; start += SESSION_CYCLES) {
      try (EagerSession session = EagerSession.create()) {
        Ops tf = Ops.create(session);
        var known = Datasets.indexed(tf, 103, 4, 50, true);
        var unknown = Datasets.indexed(tf, 101, 4, 50, false);
        for (int i = start; i < Math.min(n, start + SESSION_CYCLES); i++) {
          var ds = i % 2 == 0 ? known : unknown;
          try (ExportResult r = TensorSlab.export(ds).to(dir).names("x", "i").overwrite(true).durable(i % 10 == 0)
              .run()) {
            long last = r.array("i").segment().getAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, r.rows() - 1);
            assertEquals(r.rows() - 1, last);
          }
        }
      }
    }
  }

  /**
   * 20 eager sessions of 50 exports each (half through a filter, whose function the iterator
   * instantiates), the garbage collector running in between, in a forked JVM. Before the iterator was
   * deleted at the end of each export, an iterator the collector found just before its session
   * closed was destroyed after it, and the JVM died with SIGSEGV in
   * {@code DynamicDeviceMgr::LookupDevice} (4 of 6 runs of this program; 0 of 11 since).
   */
  @Test
  void manyExportsPerSessionThenClose(@TempDir Path tmp) throws Exception {
    Forked.Outcome o = Forked.run(Forked.command("sessions", tmp.resolve("out").toString(), "20", "50"),
        tmp.resolve("log"), 300);
    assertEquals(0, o.exitCode(), o.toString());
    assertEquals("DONE sessions=20 exports=50 rows=102000", o.verdict());
    assertTrue(!o.stdout().contains("A fatal error") && !o.stderr().contains("A fatal error"), o.toString());
  }

  /** Lets the garbage collector release what TF Java frees only on collection (eager tensors, handles). */
  private static void settle() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(100);
    }
  }

  /** Open descriptors by what they point to (fd numbers may be reused differently). */
  private static Map<String, Integer> descriptors() throws IOException {
    Map<String, Integer> byTarget = new TreeMap<>();
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      for (Path fd : fds.toList()) {
        String target;
        try {
          target = Files.readSymbolicLink(fd).toString();
        } catch (IOException gone) {
          continue; // the descriptor of this very listing, closed by now
        }
        // anonymous kinds carry an inode number that changes for the same role: keep the kind only
        target = target.replaceAll("^(socket|pipe|anon_inode):.*", "$1");
        byTarget.merge(target, 1, Integer::sum);
      }
    }
    return byTarget;
  }

  private static int count(Map<String, Integer> fds) {
    return fds.values().stream().mapToInt(Integer::intValue).sum();
  }

  /** File-backed mappings (a path, also {@code [heap]}, {@code [stack]}, ...) counted by path. */
  private static Map<String, Integer> mappedFiles(List<String> maps) {
    Map<String, Integer> byPath = new TreeMap<>();
    for (String line : maps) {
      String[] f = line.trim().split("\\s+", 6);
      if (f.length == 6 && !f[5].isBlank()) {
        byPath.merge(f[5], 1, Integer::sum);
      }
    }
    return byPath;
  }

  private static List<String> mappings() throws IOException {
    return Files.readAllLines(Path.of("/proc/self/maps"));
  }

  private static String diff(List<String> before, List<String> after) {
    List<String> gone = new ArrayList<>(before);
    gone.removeAll(after);
    List<String> added = new ArrayList<>(after);
    added.removeAll(before);
    return "gone " + gone + "\nadded " + added;
  }
}

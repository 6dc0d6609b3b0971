package io.tensorslab.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorslab.export.ExportResult;
import io.tensorslab.export.TensorSlab;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.EagerSession;
import org.tensorflow.op.Ops;

/**
 * Exports on several threads at once, and results closed under a reading thread's feet.
 *
 * <p>TF Java eager sessions are not shared between threads here: each export builds its dataset in
 * its own {@link EagerSession} on its own thread, as a user running parallel pipelines would.
 */
class ReliabilityThreadsTest {
  private static final int THREADS = 4;
  private static final int ROUNDS = 2;

  /** Thread {@code t}'s dataset: each different in rows, width, batch size and known or unknown cardinality. */
  private static ExportResult export(int t, Path dir) throws Exception {
    try (EagerSession session = EagerSession.create()) {
      var ds = Datasets.indexed(Ops.create(session), 30_000 + 1_001L * t, 32 + 8 * t, 500 + 100 * t, t % 2 == 0);
      return TensorSlab.export(ds).to(dir).names("x", "i").durable(false).run();
    }
  }

  @Test
  void fourExportsAtOnceEqualSerialRuns(@TempDir Path tmp) throws Exception {
    List<String> serial = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      Path dir = tmp.resolve("serial-" + t);
      try (ExportResult r = export(t, dir)) {
        assertEquals(30_000 + 1_001L * t, r.rows());
      }
      serial.add(hashes(dir));
    }
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try {
      for (int round = 0; round < ROUNDS; round++) {
        CyclicBarrier start = new CyclicBarrier(THREADS);
        List<Future<String>> results = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
          int thread = t;
          Path dir = tmp.resolve("round-" + round + "-thread-" + t);
          results.add(pool.submit(() -> {
            start.await(60, TimeUnit.SECONDS);
            try (ExportResult r = export(thread, dir)) {
              return hashes(dir);
            }
          }));
        }
        for (int t = 0; t < THREADS; t++) {
          assertEquals(serial.get(t), results.get(t).get(300, TimeUnit.SECONDS),
              "round " + round + ", thread " + t + " differs from its serial run");
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * 400 rounds in a forked JVM (a fault would kill it, not this one): a reader thread loops over the
   * x view, as a MemorySegment and as an NdArray in turn, while the main thread closes the result.
   * Every reader must end with an IllegalStateException with a message.
   */
  @Test
  @Tag("long") // 400 races in a forked JVM, ~7 s
  void closeWhileAnotherThreadReads(@TempDir Path tmp) throws Exception {
    Forked.Outcome o = Forked.run(Forked.command("closerace", tmp.resolve("out").toString(), "400"),
        tmp.resolve("log"), 300);
    assertEquals(0, o.exitCode(), o.toString());
    assertEquals("DONE rounds=400 illegalState=400", o.verdict(), o.toString());
  }

  private static String hashes(Path dir) throws Exception {
    StringBuilder sb = new StringBuilder();
    for (String f : List.of("x.npy", "i.npy")) {
      sb.append(f).append('=').append(ReliabilityKillTest.sha256(dir.resolve(f))).append(' ');
    }
    // the manifest, less its timing
    sb.append(Files.readAllLines(dir.resolve("manifest.json")).stream()
        .filter(l -> !l.contains("_seconds\"")).toList()); // timings differ run to run
    return sb.toString();
  }
}

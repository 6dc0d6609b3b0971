package io.tensorslab.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorslab.export.ExportResult;
import io.tensorslab.export.TensorSlab;
import io.tensorslab.slab.TemporaryFiles;
import io.tensorslab.store.OutputDirectory;
import io.tensorslab.store.StoreCommit;
import io.tensorslab.testutil.NumPy;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.EagerSession;
import org.tensorflow.op.Ops;

/**
 * SIGKILL in the middle of an export: a forked JVM exports {@code x: float32[rows, 256]} and
 * {@code i: int64[rows]} and is killed at seeded random moments. Afterwards every final path
 * ({@code x.npy}, {@code i.npy}, {@code manifest.json}) is either absent or byte-identical to a clean
 * run's (SHA-256) and loads in NumPy (kill 0 waits for the first temporary file, kill 1 for the
 * first published file, in a child whose commit pauses between two moves, so it lands inside the
 * commit; the others are uniform over the export); {@code manifest.json} present means both arrays
 * are; what is left besides are temporary files and commit journals with recognisable names. The
 * next export into the directory completes an interrupted commit and removes the temporary files:
 * afterwards the directory holds either none of the final files or all of them, equal to the clean
 * run's (the guarantee of docs/reliability.md).
 *
 * <p>Both loops are {@code long} tests ({@code ./build verify -Plong}): {@link #threeKillsSmall} (3 kills,
 * 40 MB) and {@link #twentyKillsOf300MB}; one of them alone: {@code ./build -Plong -pl native-tests -am verify
 * -Dtest='ReliabilityKill*' -Dsurefire.failIfNoSpecifiedTests=false}. Each run writes its tally to
 * {@code native-tests/target/reliability/kill-*.txt}.
 */
class ReliabilityKillTest {
  private static final List<String> FINAL = List.of("x.npy", "i.npy", "manifest.json");

  @Test
  @Tag("long")
  void threeKillsSmall(@TempDir Path tmp) throws Exception {
    killLoop(tmp, 40_000, 3, 7L, "kill-ci.txt");
  }

  @Test
  @Tag("long")
  void twentyKillsOf300MB(@TempDir Path tmp) throws Exception {
    killLoop(tmp, 300_000, 20, 20240607L, "kill-long.txt");
  }

  private static void killLoop(Path tmp, long rows, int kills, long seed, String report) throws Exception {
    List<String> args = List.of("export", "", Long.toString(rows), "256", "1024", "known", "durable");
    // The clean run: what every surviving file must equal, and how long an export takes.
    Path clean = tmp.resolve("clean");
    Process cleanRun = Forked.start(command(args, clean), tmp.resolve("log-clean"));
    awaitLine(cleanRun, tmp.resolve("log-clean"), "START");
    long t0 = System.nanoTime();
    assertTrue(cleanRun.waitFor(600, TimeUnit.SECONDS), "clean run did not finish");
    long cleanMillis = (System.nanoTime() - t0) / 1_000_000; // from START to the process's end, like the kills
    assertEquals(0, cleanRun.exitValue(), Forked.outcome(cleanRun.exitValue(), tmp.resolve("log-clean")).toString());
    Map<String, String> expected = new LinkedHashMap<>();
    for (String f : FINAL.subList(0, 2)) {
      expected.put(f, sha256(clean.resolve(f)));
    }

    Random random = new Random(seed);
    Map<String, Integer> tally = new LinkedHashMap<>();
    List<String> lines = new ArrayList<>();
    List<String> loadable = new ArrayList<>();
    int staleSeen = 0;
    for (int k = 0; k < kills; k++) {
      Path dir = tmp.resolve("run-" + k);
      Path log = tmp.resolve("log-" + k);
      List<String> cmd = command(args, dir);
      if (k <= 1) {
        // kill 1 lands between two moves of the commit; for kill 0 the pause keeps temporary files in
        // place for seconds even when this thread is starved of CPU on a loaded machine
        cmd.add(1, "-Dtensorslab.commit.pauseMillis=3000");
      }
      Process p = Forked.start(cmd, log);
      awaitLine(p, log, "START");
      long delay;
      if (k == 0) {
        // one kill certainly lands while a temporary file exists, so the clean-up below is tested
        awaitTemporaryFile(p, dir);
        delay = 0;
      } else if (k == 1) {
        // one lands in the publish step: as soon as the first final file appears
        awaitFile(p, dir.resolve("x.npy"));
        delay = -1;
      } else {
        // the clean run is the first, cold one: later runs are faster, so 0.8 of it spans the export
        delay = (long) (random.nextDouble() * cleanMillis * 0.8);
        Thread.sleep(delay);
      }
      p.destroyForcibly(); // SIGKILL
      p.waitFor(60, TimeUnit.SECONDS);
      int exit = p.exitValue();

      List<String> present = new ArrayList<>();
      for (String f : FINAL) {
        if (Files.exists(dir.resolve(f))) {
          present.add(f);
        }
      }
      for (String f : present) {
        if (f.endsWith(".npy")) {
          assertEquals(expected.get(f), sha256(dir.resolve(f)), "kill " + k + ": " + f + " differs from the clean run");
          loadable.add(dir.resolve(f).toString());
        }
      }
      if (present.contains("manifest.json")) {
        assertTrue(present.containsAll(FINAL), "kill " + k + ": manifest.json without every array: " + present);
      }
      List<Path> temporary = list(dir).stream().filter(TemporaryFiles::isTemporary).toList();
      List<Path> journals = list(dir).stream().filter(StoreCommit::isJournal).toList();
      List<Path> other = list(dir).stream().filter(f -> !TemporaryFiles.isTemporary(f) && !StoreCommit.isJournal(f)
          && !FINAL.contains(f.getFileName().toString())).toList();
      if (k == 1) {
        assertEquals(List.of("x.npy"), present, "kill 1 lands inside the commit, after its first move");
        assertEquals(1, journals.size(), "kill 1 leaves the commit journal");
      }
      assertTrue(other.isEmpty(), "kill " + k + ": unexpected files " + other);
      staleSeen += temporary.isEmpty() ? 0 : 1;

      // What the next export (and inspect) does first: complete an interrupted commit, remove stale files.
      OutputDirectory.clean(dir);
      List<String> finalAfter = FINAL.stream().filter(f -> Files.exists(dir.resolve(f))).toList();
      assertTrue(finalAfter.isEmpty() || finalAfter.equals(FINAL),
          "kill " + k + ": after the next export the directory holds part of the export: " + finalAfter);
      for (String f : FINAL.subList(0, 2)) {
        if (finalAfter.contains(f)) {
          assertEquals(expected.get(f), sha256(dir.resolve(f)), "kill " + k + ": " + f + " differs after recovery");
        }
      }
      if (k == 1) {
        assertEquals(FINAL, finalAfter, "kill 1: the interrupted commit is completed by the next export");
      }
      // The next export into the directory removes the stale temporary files.
      try (EagerSession s = EagerSession.create()) {
        var probe = Datasets.indexed(Ops.create(s), 10, 4, 5, true);
        if (Files.isDirectory(dir)) {
          try (ExportResult r = TensorSlab.export(probe).to(dir).names("probe_x", "probe_i").overwrite(true).run()) {
            assertEquals(10, r.rows());
          }
        }
      }
      List<Path> after = list(dir).stream().filter(f -> TemporaryFiles.isTemporary(f) || StoreCommit.isJournal(f))
          .toList();
      assertTrue(after.isEmpty(), "kill " + k + ": temporary files survive the next export: " + after);

      String state = exit == 137 ? (present.isEmpty() ? "killed, nothing published"
          : present.containsAll(FINAL) ? "killed after publishing" : "killed while publishing " + present)
          : "finished before the kill (exit " + exit + ")";
      tally.merge(state, 1, Integer::sum);
      lines.add(String.format("kill %2d %s: exit %d, final files %s, temporary files %d, journals %d -> after the "
          + "next export %s", k, delay < 0 ? "when x.npy appeared" : String.format("at +%5d ms", delay), exit, present,
          temporary.size(), journals.size(), finalAfter));
    }
    assertTrue(staleSeen > 0, "no kill left a temporary file: the clean-up went untested");
    if (!loadable.isEmpty()) {
      NumPy.run("""
          for f in sys.argv[2:]:
              a = np.load(f, mmap_mode='r'); n = int(sys.argv[1])
              if f.endswith('i.npy'):
                  assert a.shape == (n,) and a.dtype == np.int64 and np.array_equal(a, np.arange(n)), f
              else:
                  assert a.shape == (n, 256) and a.dtype == np.float32 and np.isfinite(a).all(), f
          """, concat(Long.toString(rows), loadable));
    }
    Path out = Path.of("target", "reliability");
    Files.createDirectories(out);
    StringBuilder sb = new StringBuilder();
    sb.append(String.format("rows=%d (%.0f MB) kills=%d seed=%d clean run %d ms%n", rows,
        (rows * 1032.0 + 256) / 1e6, kills, seed, cleanMillis));
    lines.forEach(l -> sb.append(l).append('\n'));
    tally.forEach((s, n) -> sb.append(n).append(" x ").append(s).append('\n'));
    sb.append("runs with temporary files left: ").append(staleSeen).append(", all removed by the next export\n");
    sb.append("files checked in NumPy: ").append(loadable.size()).append('\n');
    Files.writeString(out.resolve(report), sb);
    System.out.print(sb);
  }

  private static List<String> command(List<String> args, Path dir) {
    List<String> a = new ArrayList<>(args);
    a.set(1, dir.toString());
    return Forked.command(a.toArray(String[]::new));
  }

  private static String[] concat(String first, List<String> rest) {
    List<String> all = new ArrayList<>();
    all.add(first);
    all.addAll(rest);
    return all.toArray(String[]::new);
  }

  private static void awaitLine(Process p, Path log, String line) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    Path stdout = log.resolve("stdout");
    while (System.nanoTime() < deadline) {
      if (Files.exists(stdout) && Files.readString(stdout).contains(line + "\n")) {
        return;
      }
      if (!p.isAlive()) {
        throw new AssertionError("child ended before " + line + ": " + Forked.outcome(p.exitValue(), log));
      }
      Thread.sleep(2);
    }
    p.destroyForcibly();
    throw new AssertionError("no " + line + " from the child in 120 s");
  }

  private static void awaitTemporaryFile(Process p, Path dir) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline && p.isAlive()) {
      if (list(dir).stream().anyMatch(TemporaryFiles::isTemporary)) {
        return;
      }
      Thread.sleep(1);
    }
    throw new AssertionError("no temporary file appeared in " + dir);
  }

  private static void awaitFile(Process p, Path file) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline && p.isAlive()) {
      if (Files.exists(file)) {
        return;
      }
      Thread.onSpinWait();
    }
  }

  private static List<Path> list(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.toList();
    }
  }

  static String sha256(Path file) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buf = new byte[1 << 20];
      int n;
      while ((n = in.read(buf)) > 0) {
        md.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }
}

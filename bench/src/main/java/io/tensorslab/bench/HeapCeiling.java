package io.tensorslab.bench;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Peak heap, measured as the smallest {@code -Xmx} a forked JVM needs to finish one pass: for each
 * size, {@code export} and {@code seedApproachJava} (see {@link ExportVsSeedApproach}) are run in
 * child JVMs with {@code -XX:+ExitOnOutOfMemoryError}, the ceiling doubled until the pass succeeds
 * and then bisected to within 5% (or 2 MiB). Unlike a heap-usage sample this is the number a user
 * has to configure, and it is independent of when the collector happens to run.
 *
 * <pre>
 *   java --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
 *     -cp bench/target/benchmarks.jar io.tensorslab.bench.HeapCeiling [WIDTH BATCH SIZE_MB...]
 *   # default: width 32, batch 1024, sizes 16 256 1024; prints a table and one JSON line per case
 * </pre>
 */
public final class HeapCeiling {
  private HeapCeiling() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("child")) {
      child(args);
      return;
    }
    int width = args.length > 0 ? Integer.parseInt(args[0]) : 32;
    int batch = args.length > 1 ? Integer.parseInt(args[1]) : 1024;
    List<Integer> sizes = new ArrayList<>();
    for (int i = 2; i < args.length; i++) {
      sizes.add(Integer.parseInt(args[i]));
    }
    if (sizes.isEmpty()) {
      sizes = List.of(16, 256, 1024);
    }
    System.out.printf("%-18s %8s %6s %6s %14s%n", "approach", "sizeMb", "width", "batch", "min -Xmx (MiB)");
    for (int size : sizes) {
      for (String approach : List.of("export", "seedApproachJava")) {
        int mb = ceiling(approach, size, width, batch);
        System.out.printf("%-18s %8d %6d %6d %14d%n", approach, size, width, batch, mb);
        System.out.printf("{\"approach\": \"%s\", \"sizeMb\": %d, \"width\": %d, \"batch\": %d, \"minXmxMb\": %d}%n",
            approach, size, width, batch, mb);
      }
    }
  }

  /** Smallest -Xmx in MiB (within 5% / 2 MiB) with which the pass succeeds. */
  private static int ceiling(String approach, int size, int width, int batch) throws Exception {
    int fail = 0;
    int ok = 16;
    while (!passes(approach, size, width, batch, ok)) {
      fail = ok;
      ok *= 2;
      if (ok > 32 * 1024) {
        throw new IllegalStateException(approach + " fails even with -Xmx32g (sizeMb=" + size + ")");
      }
    }
    while (ok - fail > Math.max(2, ok / 20)) {
      int mid = (ok + fail) / 2;
      if (passes(approach, size, width, batch, mid)) {
        ok = mid;
      } else {
        fail = mid;
      }
    }
    return ok;
  }

  private static boolean passes(String approach, int size, int width, int batch, int xmxMb) throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    String jar = new File(HeapCeiling.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getPath();
    // JavaCPP (under TF Java) refuses allocations once the process RSS passes -Xmx + 3 x -Xmx by
    // default; lifted here so that the ceiling found is the Java heap's, not that guard's.
    List<String> cmd = new ArrayList<>(List.of(java, "-Xmx" + xmxMb + "m", "-XX:+ExitOnOutOfMemoryError",
        "-Dorg.bytedeco.javacpp.maxBytes=0", "-Dorg.bytedeco.javacpp.maxPhysicalBytes=0"));
    cmd.addAll(List.of(Synthetic.JVM_FLAGS));
    // The parent owns the output directory: a child stopped by OutOfMemoryError runs no finally block.
    Path dir = Synthetic.tempDir("tensorslab-heap-");
    try {
      cmd.addAll(List.of("-cp", jar, HeapCeiling.class.getName(), "child", approach, String.valueOf(size),
          String.valueOf(width), String.valueOf(batch), dir.toString()));
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .start();
      return p.waitFor() == 0;
    } finally {
      Synthetic.deleteTree(dir);
    }
  }

  private static void child(String[] args) throws Exception {
    String approach = args[1];
    int size = Integer.parseInt(args[2]);
    int width = Integer.parseInt(args[3]);
    int batch = Integer.parseInt(args[4]);
    Path dir = Path.of(args[5]);
    try (Synthetic data = new Synthetic(size, width, batch)) {
      long rows = switch (approach) {
        case "export" -> ExportVsIterate.export(data, dir, b -> b);
        case "seedApproachJava" -> SeedApproach.run(data.dataset, dir.resolve("seed.npy"));
        default -> throw new IllegalArgumentException(approach);
      };
      if (rows != data.rows) {
        throw new IllegalStateException("wrote " + rows + " rows, expected " + data.rows);
      }
    }
  }
}

package io.tensorslab.bench;

import io.tensorslab.store.StoreFormat;
import io.tensorslab.store.zarr.ZarrCodec;
import io.tensorslab.store.zarr.ZarrFormat;
import io.tensorslab.store.zarr.ZarrStoreFormat;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@link ZarrVsNpy}'s question on a machine shared with other work: the formats are run
 * <em>interleaved</em> — one pass of each per round, the order rotating — so that load which comes
 * and goes hits every format alike, and each Zarr pass is compared with the {@code .npy} pass of
 * its own round. Prints, per format, the median time, the median of the per-round ratios to
 * {@code .npy}, and the heap used after each pass (after a GC), which must not grow with rounds.
 *
 * <pre>
 *   java --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -Xmx256m \
 *     -Dorg.bytedeco.javacpp.maxPhysicalBytes=0 \
 *     -cp bench/target/benchmarks.jar io.tensorslab.bench.ZarrVsNpyInterleaved [SIZE_MB [ROUNDS [WIDTH [BATCH]]]]
 *   # default: 1024 MiB of float32, 9 rounds (after one warm-up round), rows of 784, batches of 1024
 * </pre>
 */
public final class ZarrVsNpyInterleaved {
  private ZarrVsNpyInterleaved() {}

  public static void main(String[] args) throws Exception {
    int sizeMb = args.length > 0 ? Integer.parseInt(args[0]) : 1024;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 9;
    int width = args.length > 2 ? Integer.parseInt(args[2]) : 784;
    int batch = args.length > 3 ? Integer.parseInt(args[3]) : 1024;
    Map<String, StoreFormat> formats = new LinkedHashMap<>();
    formats.put("npy", StoreFormat.NPY);
    formats.put("zarr", ZarrStoreFormat.of(ZarrFormat.V2));
    formats.put("zarr3", ZarrStoreFormat.of(ZarrFormat.V3));
    formats.put("zarr3-4-per-file", new ZarrStoreFormat(ZarrFormat.V3, 0, ZarrCodec.NONE, 4));
    List<String> names = new ArrayList<>(formats.keySet());
    Map<String, List<Double>> millis = new LinkedHashMap<>();
    Map<String, List<Double>> ratios = new LinkedHashMap<>();
    Map<String, List<Long>> heap = new LinkedHashMap<>();
    names.forEach(n -> {
      millis.put(n, new ArrayList<>());
      ratios.put(n, new ArrayList<>());
      heap.put(n, new ArrayList<>());
    });
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    Path out = Synthetic.tempDir("tensorslab-zarr-interleaved-");
    try (Synthetic data = new Synthetic(sizeMb, width, batch)) {
      for (int round = -1; round < rounds; round++) { // round -1 warms up and is not counted
        Map<String, Double> thisRound = new LinkedHashMap<>();
        for (int k = 0; k < names.size(); k++) {
          String name = names.get(Math.floorMod(k + round, names.size()));
          Synthetic.deleteTree(out);
          Files.createDirectories(out);
          long start = System.nanoTime();
          ExportVsIterate.export(data, out, b -> b.format(formats.get(name)));
          double ms = (System.nanoTime() - start) / 1e6;
          System.gc();
          long used = memory.getHeapMemoryUsage().getUsed();
          thisRound.put(name, ms);
          if (round >= 0) {
            millis.get(name).add(ms);
            heap.get(name).add(used >> 20);
          }
        }
        if (round >= 0) {
          names.forEach(n -> ratios.get(n).add(thisRound.get(n) / thisRound.get("npy")));
        }
        System.out.printf(Locale.ROOT, "round %d: %s  load %s%n", round, thisRound, loadAverage());
      }
    } finally {
      Synthetic.deleteTree(out);
    }
    System.out.printf(Locale.ROOT, "%n%d MiB, rows of %d float32, batches of %d, %d rounds, durable(false)%n", sizeMb,
        width, batch, rounds);
    System.out.printf(Locale.ROOT, "%-18s %12s %14s %20s%n", "format", "median ms", "median ratio", "heap MiB after pass");
    for (String n : names) {
      System.out.printf(Locale.ROOT, "%-18s %12.0f %14.3f %20s%n", n, median(millis.get(n)), median(ratios.get(n)),
          heap.get(n));
    }
  }

  private static double median(List<Double> values) {
    List<Double> sorted = values.stream().sorted().toList();
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
    } catch (java.io.IOException e) {
      return "?";
    }
  }
}

package io.tensorslab.bench;

import io.tensorslab.export.ExportResult;
import io.tensorslab.export.TensorSlab;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The Java side of {@code bench/python_peer.py} in its synthetic mode: builds the same
 * {@code rows x width} float32 matrix as the Python side (value {@code i % 8191 / 8191} at flat
 * index {@code i}), exports {@code from_tensor_slices(x).batch(batch)} to {@code DIR/x.npy} and
 * prints one line of JSON with the phase timings. Stands in for {@code tensorslab convert} where
 * the command line is not available.
 *
 * <pre>
 *   java --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
 *     -cp bench/target/benchmarks.jar io.tensorslab.bench.PeerExport ROWS WIDTH BATCH DIR [durable]
 * </pre>
 */
public final class PeerExport {
  private PeerExport() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 4) {
      System.err.println("usage: PeerExport ROWS WIDTH BATCH DIR [durable]");
      System.exit(2);
    }
    long rows = Long.parseLong(args[0]);
    int width = Integer.parseInt(args[1]);
    int batch = Integer.parseInt(args[2]);
    Path dir = Path.of(args[3]);
    boolean durable = args.length > 4 && args[4].equals("durable");
    Files.createDirectories(dir);
    long t0 = System.nanoTime();
    int sizeMb = Math.toIntExact(Math.ceilDiv(rows * width * 4, 1L << 20));
    try (Synthetic data = new Synthetic(sizeMb, width, batch, rows)) {
      long t1 = System.nanoTime();
      long written;
      try (ExportResult r = TensorSlab.export(data.dataset).to(dir).names("x").overwrite(true).durable(durable).run()) {
        written = r.rows();
      }
      long t2 = System.nanoTime();
      System.out.printf("{\"rows\": %d, \"build_s\": %.3f, \"convert_s\": %.3f}%n", written, (t1 - t0) / 1e9,
          (t2 - t1) / 1e9);
    }
  }
}

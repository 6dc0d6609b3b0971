package io.tensorslab.export;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.exceptions.TFOutOfRangeException;
import org.tensorflow.framework.data.Dataset;
import org.tensorflow.framework.data.DatasetIterator;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * Exports {@code rows x 4096} float32 ({@link LargeExportMain}'s data) to {@code args[0]}, then
 * reopens it with {@link TensorSlab#open} and iterates {@code dataset(tf).batch(1024)} in graph mode,
 * checking every batch's first and last rows and sampling the resident set before and during the
 * iteration. Run by {@link ReadBackLargeTest} in a JVM with a small heap. Prints
 * {@code rows=N fileBytes=N rssBefore=N rssMax=N heapMax=N}.
 *
 * <p>Usage: {@code ReadBackLargeMain DIR ROWS}.
 */
public final class ReadBackLargeMain {
  private static final int BATCH = 1024;

  private ReadBackLargeMain() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    long rows = Long.parseLong(args[1]);
    try (Graph g = new Graph(); Session session = new Session(g)) {
      TensorSlab.export(LargeExportMain.dataset(Ops.create(g), rows), session).to(dir).names("x").durable(false)
          .run().close();
    }
    long fileBytes = Files.size(dir.resolve("x.npy"));
    System.gc();
    long rssBefore = rss();
    long rssMax = rssBefore;
    long heapMax = 0;
    long seen = 0;
    try (ExportResult export = TensorSlab.open(dir); Graph g = new Graph(); Session session = new Session(g)) {
      Ops tf = Ops.create(g);
      Dataset batches = export.dataset(tf).batch(BATCH);
      DatasetIterator iterator = batches.makeInitializeableIterator();
      List<Operand<?>> next = iterator.getNext();
      session.run(iterator.getInitializer());
      while (true) {
        try (Result result = session.runner().fetch(next.get(0)).run()) {
          TFloat32 x = (TFloat32) result.get(0);
          long n = x.shape().get(0);
          for (long r : new long[] {0, n - 1}) {
            for (int c : new int[] {0, 1, 4095}) {
              float expected = c - (seen + r);
              if (x.getFloat(r, c) != expected) {
                throw new AssertionError("row " + (seen + r) + " column " + c + " is " + x.getFloat(r, c)
                    + ", expected " + expected);
              }
            }
          }
          seen += n;
        } catch (TFOutOfRangeException end) {
          break;
        }
        rssMax = Math.max(rssMax, rss());
        heapMax = Math.max(heapMax, Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory());
      }
    }
    if (seen != rows) {
      throw new AssertionError("read back " + seen + " rows, exported " + rows);
    }
    System.out.println("rows=" + seen + " fileBytes=" + fileBytes + " rssBefore=" + rssBefore + " rssMax=" + rssMax
        + " heapMax=" + heapMax);
  }

  /** This process's resident set, bytes (VmRSS). */
  static long rss() throws java.io.IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    throw new IllegalStateException("no VmRSS in /proc/self/status");
  }
}

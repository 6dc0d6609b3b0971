package io.tensorslab.reliability;

import io.tensorslab.export.ExportResult;
import io.tensorslab.export.TensorSlab;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.tensorflow.EagerSession;
import org.tensorflow.ndarray.FloatNdArray;
import org.tensorflow.op.Ops;

/**
 * The program a forked JVM runs for tests that may crash or kill it. Prints {@code START} when the
 * export begins, then one verdict line: {@code DONE ...} (exit 0), {@code FAILED <class>: <message>}
 * for an exception the library threw (exit 3), or {@code CRASH <class>: <message>} for anything that
 * is not an {@code Exception}, such as the {@code InternalError} of a SIGBUS in mapped memory (exit 4).
 *
 * <pre>
 * export DIR ROWS WIDTH BATCH known|unknown durable|fast   export x: float32[ROWS, WIDTH], i: int64[ROWS]
 * closerace DIR ROUNDS                                      close results while another thread reads them
 * sessions DIR SESSIONS EXPORTS                             EXPORTS exports per eager session, then close it
 * </pre>
 */
public final class ExportChild {
  private ExportChild() {}

  public static void main(String[] args) {
    try {
      switch (args[0]) {
        case "export" -> export(args);
        case "closerace" -> closeRace(args);
        case "sessions" -> sessions(args);
        default -> throw new IllegalArgumentException("unknown mode " + args[0]);
      }
    } catch (Exception e) {
      System.out.println("FAILED " + e.getClass().getName() + ": " + oneLine(e.getMessage()));
      e.printStackTrace();
      System.out.flush();
      System.exit(3);
    } catch (Throwable t) {
      System.out.println("CRASH " + t.getClass().getName() + ": " + oneLine(t.getMessage()));
      t.printStackTrace();
      System.out.flush();
      System.exit(4);
    }
    System.out.flush();
    System.exit(0);
  }

  private static String oneLine(String s) {
    return s == null ? "null" : s.replace('\n', ' ');
  }

  private static void export(String[] args) throws Exception {
    Path dir = Path.of(args[1]);
    long rows = Long.parseLong(args[2]);
    int width = Integer.parseInt(args[3]);
    long batch = Long.parseLong(args[4]);
    boolean known = args[5].equals("known");
    boolean durable = args[6].equals("durable");
    try (EagerSession session = EagerSession.create()) {
      Ops tf = Ops.create(session);
      var ds = Datasets.indexed(tf, rows, width, batch, known);
      System.out.println("START");
      System.out.flush();
      try (ExportResult r = TensorSlab.export(ds).to(dir).names("x", "i").durable(durable).run()) {
        System.out.println("DONE rows=" + r.rows() + " bytes=" + r.bytes() + " cardinality=" + r.sourceCardinality()
            + " seconds=" + r.elapsedSeconds());
      }
    }
  }

  /**
   * {@code SESSIONS} times: open an eager session, export datasets of known and unknown cardinality
   * (a filter: a function the iterator instantiates) {@code EXPORTS} times, close the session. The
   * garbage collector runs meanwhile, as in any long pipeline.
   */
  private static void sessions(String[] args) throws Exception {
    Path dir = Path.of(args[1]);
    int sessions = Integer.parseInt(args[2]);
    int exports = Integer.parseInt(args[3]);
    long total = 0;
    for (int s = 0; s < sessions; s++) {
      try (EagerSession session = EagerSession.create()) {
        Ops tf = Ops.create(session);
        var known = Datasets.indexed(tf, 103, 4, 50, true);
        var unknown = Datasets.indexed(tf, 101, 4, 50, false);
        for (int e = 0; e < exports; e++) {
          try (ExportResult r = TensorSlab.export(e % 2 == 0 ? known : unknown).to(dir).names("x", "i")
              .overwrite(true).durable(false).run()) {
            total += r.rows();
          }
          if (e % 10 == 9) {
            System.gc();
          }
        }
      }
    }
    System.out.println("DONE sessions=" + sessions + " exports=" + exports + " rows=" + total);
  }

  /**
   * Each round: export a small dataset, start a reader thread that sums the x view (as a
   * MemorySegment in even rounds, as an NdArray in odd ones) in a loop, close the result from this
   * thread while it reads. The reader must end with an IllegalStateException.
   */
  private static void closeRace(String[] args) throws Exception {
    Path dir = Path.of(args[1]);
    int rounds = Integer.parseInt(args[2]);
    int ise = 0;
    try (EagerSession session = EagerSession.create()) {
      Ops tf = Ops.create(session);
      var ds = Datasets.indexed(tf, 4_000, 64, 1000, true);
      for (int round = 0; round < rounds; round++) {
        ExportResult r = TensorSlab.export(ds).to(dir).names("x", "i").overwrite(true).durable(false).run();
        boolean viaNdArray = round % 2 == 1;
        MemorySegment seg = r.array("x").segment();
        FloatNdArray nd = viaNdArray ? (FloatNdArray) r.array("x").ndArray() : null;
        CountDownLatch reading = new CountDownLatch(1);
        AtomicReference<Throwable> ended = new AtomicReference<>();
        Thread reader = new Thread(() -> {
          try {
            double sum = 0;
            while (true) {
              if (viaNdArray) {
                for (long row = 0; row < 4_000; row += 7) {
                  sum += nd.getFloat(row, row % 64);
                  reading.countDown();
                }
              } else {
                for (long k = 0; k < seg.byteSize() / 4; k += 3) {
                  sum += seg.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, k);
                  reading.countDown();
                }
              }
              if (sum == -1) {
                break;
              }
            }
          } catch (Throwable t) {
            ended.set(t);
          }
        }, "reader-" + round);
        reader.start();
        reading.await();
        Thread.sleep(round % 3); // vary where in the loop the close lands
        r.close();
        reader.join(10_000);
        if (reader.isAlive()) {
          throw new AssertionError("reader still running 10 s after close (round " + round + ")");
        }
        Throwable t = ended.get();
        if (!(t instanceof IllegalStateException)) {
          throw new AssertionError("round " + round + " (" + (viaNdArray ? "NdArray" : "MemorySegment")
              + "): reader ended with " + t, t);
        }
        if (t.getMessage() == null || t.getMessage().isBlank()) {
          throw new AssertionError("IllegalStateException without a message", t);
        }
        ise++;
      }
    }
    System.out.println("DONE rounds=" + rounds + " illegalState=" + ise);
  }
}

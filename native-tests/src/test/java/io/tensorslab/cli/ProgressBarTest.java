package io.tensorslab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorslab.export.ExportProgress;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** The progress line: drawn at the first report, then at most every 100 ms; percent from the rows or the input read. */
class ProgressBarTest {
  private static final long SECOND = 1_000_000_000L;

  private final StringWriter out = new StringWriter();
  private final ProgressBar bar = new ProgressBar(new PrintWriter(out), -1);

  @Test
  void theFirstReportIsDrawnAtOnce() {
    bar.onBatch(new ExportProgress(1, 10_000, 40_000_000, 2 * SECOND, 40_000));
    assertEquals("\r 25.0% [######                  ] 10,000/40,000 rows  20.0 MB/s  ETA 0:06", out.toString());
    bar.onBatch(new ExportProgress(2, 20_000, 80_000_000, 4 * SECOND, 40_000));
    assertFalse(out.toString().contains("20,000/"), "redrawn within 100 ms: " + out);
    bar.finish();
    assertTrue(out.toString().endsWith("\r 50.0% [############            ] 20,000/40,000 rows  20.0 MB/s  ETA 0:04\n"),
        "the last state at the end: " + out);
  }

  @Test
  void withoutATotalTheInputReadGivesThePercentAndTheEta() {
    bar.onBatch(new ExportProgress(3, 1_000, 4_000_000, 2 * SECOND, -1, 250, 1_000));
    assertEquals("\r 25.0% [######                  ] 1,000 rows  2.0 MB/s  ETA 0:06", out.toString());
  }

  @Test
  void withNeitherTotalNorInputSizeRowsRateAndTime() {
    bar.onBatch(new ExportProgress(3, 1_000, 4_000_000, 2 * SECOND, -1));
    assertEquals("\r1,000 rows  2.0 MB/s  2.0 s", out.toString());
  }
}

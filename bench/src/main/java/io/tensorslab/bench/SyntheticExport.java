package io.tensorslab.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The state every export benchmark shares: the synthetic dataset of the class's {@code @Param}
 * shape, built once per trial, and an output directory that is empty at the start of each pass.
 * Subclasses declare the parameters (their defaults differ) and hand them over.
 */
public abstract class SyntheticExport {
  protected Synthetic data;
  protected Path out;

  /** Dataset size in MiB of float32 payload. */
  protected abstract int sizeMb();

  /** float32 values per row. */
  protected abstract int width();

  /** Rows per batch. */
  protected abstract int batch();

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    data = new Synthetic(sizeMb(), width(), batch());
    out = Synthetic.tempDir("tensorslab-bench-");
  }

  /**
   * Each pass exports into an empty directory, as a first export does: replacing the previous
   * pass's files (unlinking hundreds of MB of page cache inside rename) is not the cost measured.
   */
  @Setup(Level.Iteration)
  public void emptyOutput() throws IOException {
    Synthetic.deleteTree(out);
    Files.createDirectories(out);
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    data.close();
    Synthetic.deleteTree(out);
  }
}

package io.tensorslab.export;

import io.tensorslab.slab.FileSlab;
import java.io.IOException;
import java.util.List;
import org.tensorflow.Tensor;

/**
 * Writes one component's rows to its output files. The exporter owns one per component and calls
 * it from the exporting thread only: {@link #append} per batch, {@link #finish} once, then
 * publishes what finish returned. {@link #close()} releases everything not yet published.
 */
interface ComponentWriter extends AutoCloseable {

  ComponentLayout layout();

  /** Final file names this writer produces, known before any work so destinations can be checked. */
  List<String> fileNames();

  /**
   * Copies the first {@code rows} rows of a batch tensor into place.
   *
   * @param capacityHint rows the whole export is expected to hold (cardinality times batch size,
   *     capped by the limit), used to preallocate at the first batch
   * @throws ExportException when the tensor's dtype or shape disagrees with the layout
   */
  void append(Tensor tensor, long batch, long rows, long capacityHint) throws IOException;

  /** Payload bytes appended so far. */
  long bytesWritten();

  /**
   * Completes the output files for {@code totalRows} rows, under their temporary names.
   *
   * @return the finished, not yet published slabs
   */
  List<FileSlab> finish(long totalRows) throws IOException;

  @Override
  void close();
}

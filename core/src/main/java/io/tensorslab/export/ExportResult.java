package io.tensorslab.export;

import io.tensorslab.store.zarr.ZarrArrayReader;
import io.tensorslab.store.zarr.ZarrStoreReader;
import io.tensorslab.tf.NpyRowDatasets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.NoSuchElementException;
import org.tensorflow.framework.data.Dataset;
import org.tensorflow.op.Ops;

/**
 * What an export wrote, with every file mapped read-only for zero-copy use from Java. Closing the
 * result unmaps the files (they stay on disk); views used after close throw
 * {@link IllegalStateException}. Any thread may read the views and any thread may close.
 *
 * {@snippet :
 * try (ExportResult result = TensorSlab.export(dataset).to(dir).run()) {
 *   MemorySegment images = result.array("images").segment();
 *   System.out.println(result.rows() + " rows in " + result.elapsedSeconds() + " s");
 * }
 * }
 */
public final class ExportResult implements AutoCloseable {
  private final Path directory;
  private final List<ExportedArray> arrays;
  private final long rows;
  private final long batches;
  private final long bytes;
  private final long sourceCardinality;
  private final long elapsedNanos;
  private final long copyNanos;
  /** A Zarr export's store, opened by the first {@link #zarrArrays()}. */
  private ZarrStoreReader zarr;

  ExportResult(Path directory, List<ExportedArray> arrays, long rows, long batches, long bytes,
      long sourceCardinality, long elapsedNanos, long copyNanos) {
    this.directory = directory;
    this.arrays = List.copyOf(arrays);
    this.rows = rows;
    this.batches = batches;
    this.bytes = bytes;
    this.sourceCardinality = sourceCardinality;
    this.elapsedNanos = elapsedNanos;
    this.copyNanos = copyNanos;
  }

  /** The output directory. */
  public Path directory() {
    return directory;
  }

  /** Path of {@code manifest.json}. */
  public Path manifest() {
    return directory.resolve(Manifest.FILE_NAME);
  }

  /** Every {@code .npy} file written, in component order; empty for a Zarr export (see {@link #zarrArrays()}). */
  public List<ExportedArray> arrays() {
    return arrays;
  }

  /**
   * The arrays of a Zarr export ({@code format(new ZarrStoreFormat(...))}), in component order, read
   * from the store's metadata on the first call: dtype and shape as the {@code .npy} export would
   * have them, rows read on demand into a {@link java.lang.foreign.MemorySegment} of your arena
   * ({@link ZarrArrayReader#readRows}), chunks decoded as they are read. Nothing is mapped or held
   * open, so they stay usable after this result is closed.
   *
   * {@snippet :
   * try (ExportResult r = TensorSlab.export(ds).to(dir).format(ZarrStoreFormat.of(ZarrFormat.V3)).run();
   *     Arena arena = Arena.ofConfined()) {
   *   MemorySegment first = r.zarrArray("x").readRows(0, 10, arena);
   * }
   * }
   *
   * @throws IllegalStateException for a {@code .npy} export: use {@link #arrays()}
   * @throws IOException when the store is incomplete or not what TensorSlab writes
   */
  public synchronized List<ZarrArrayReader> zarrArrays() throws IOException {
    if (!arrays.isEmpty()) {
      throw new IllegalStateException("not a Zarr export: its .npy files are mapped in arrays() (path=" + directory
          + ")");
    }
    if (zarr == null) {
      zarr = ZarrStoreReader.open(directory);
    }
    return zarr.arrays();
  }

  /**
   * The Zarr array named {@code name} ({@link #zarrArrays()}).
   *
   * @throws NoSuchElementException naming the arrays there are
   */
  public ZarrArrayReader zarrArray(String name) throws IOException {
    zarrArrays();
    return zarr.array(name);
  }

  /**
   * The file named {@code name}: a component name, or {@code name.values}, {@code name.row_splits},
   * {@code name.lengths} for ragged and padded components.
   *
   * @throws NoSuchElementException naming the files there are
   */
  public ExportedArray array(String name) {
    for (ExportedArray a : arrays) {
      if (a.name().equals(name)) {
        return a;
      }
    }
    List<String> names = new ArrayList<>();
    arrays.forEach(a -> names.add(a.name()));
    throw new NoSuchElementException("no exported array named '" + name + "'; there are " + names);
  }

  /** Rows written per component. */
  public long rows() {
    return rows;
  }

  /** Batches read from the dataset. */
  public long batches() {
    return batches;
  }

  /** Payload bytes copied, all components. */
  public long bytes() {
    return bytes;
  }

  /** The dataset's cardinality as TensorFlow reported it (batches; -1 infinite, -2 unknown). */
  public long sourceCardinality() {
    return sourceCardinality;
  }

  public long elapsedNanos() {
    return elapsedNanos;
  }

  public double elapsedSeconds() {
    return elapsedNanos / 1e9;
  }

  /**
   * Time spent copying batches into place (and growing files), out of {@link #elapsedNanos()}; the
   * rest is mostly TensorFlow producing the batches, plus sealing the files.
   */
  public long copyNanos() {
    return copyNanos;
  }

  /**
   * The exported rows as a {@code tf.data} dataset, one element per row, one component per file in
   * {@link #arrays()} order (a padded component gives its padded rows and then its lengths), with
   * the export's cardinality: batch, shuffle and repeat it as any dataset. TensorFlow reads the
   * files itself through the page cache, so neither the heap nor the resident set grows with them.
   * Works in eager and graph mode; the dataset stays valid after this result is closed (it reads
   * the files, not the mappings).
   *
   * {@snippet :
   * try (ExportResult export = TensorSlab.open(dir)) {
   *   Dataset batches = export.dataset(tf).shuffle(10_000).batch(1024);
   * }
   * }
   *
   * @throws IllegalArgumentException for a ragged component ({@code NAME.values} /
   *     {@code NAME.row_splits}), whose rows differ in length: read it with {@link #batches}
   * @throws IOException if a file cannot be read
   */
  public Dataset dataset(Ops tf) throws IOException {
    return NpyRowDatasets.of(tf, columns(), rows);
  }

  /**
   * The exported rows as a {@code tf.data} dataset of batches of {@code batchSize} rows (the last
   * one shorter), components as in {@link #dataset}: the same as {@code dataset(tf).batch(batchSize)}
   * but read and decoded a batch at a time, much faster for small rows.
   *
   * <p>A ragged component gives two components per batch: the values of the batch's rows and their
   * row splits rebased to start at 0, so {@code tf.RaggedTensor.from_row_splits(values, row_splits)}
   * is the batch. Both are sliced by TensorFlow from zero-copy tensors over the mapped files, which
   * TensorFlow keeps mapped while the dataset lives (after this result is closed too).
   *
   * @throws IllegalArgumentException for a batch size below 1, a ragged component of string vectors
   *     ({@code NAME.byte_splits}), or a ragged pair whose row splits are missing or malformed
   * @throws IOException if a file cannot be read
   */
  public Dataset batches(Ops tf, long batchSize) throws IOException {
    return NpyRowDatasets.batches(tf, columns(), rows, batchSize);
  }

  private List<NpyRowDatasets.Part> columns() throws IOException {
    List<NpyRowDatasets.Part> columns = new ArrayList<>();
    for (ExportedArray a : arrays) {
      String component = a.component();
      if (a.name().equals(component + ".byte_splits")) {
        throw new IllegalArgumentException("no tf.data form yet for a ragged component of string vectors (values,"
            + " row_splits and byte_splits); read its files with array(name).tensor()"
            + " (component=" + component + ", path=" + a.path() + ")");
      }
      if (a.name().equals(component + ".row_splits")) {
        continue; // taken with its values
      }
      if (a.name().equals(component + ".values")) {
        ExportedArray splits = raggedSplits(component, a);
        columns.add(new NpyRowDatasets.RaggedColumn(component, column(a), a.shape()[0], column(splits)));
        continue;
      }
      columns.add(column(a));
    }
    return columns;
  }

  /** The row splits beside {@code values}, checked to be one int64 split per row plus one. */
  private ExportedArray raggedSplits(String component, ExportedArray values) {
    ExportedArray splits = arrays.stream().filter(a -> a.name().equals(component + ".row_splits")).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("ragged component without row splits: the export has "
            + component + ".values but no " + component + ".row_splits (component=" + component
            + ", path=" + values.path() + ")"));
    if (!splits.dtype().equals(io.tensorslab.npy.NpyDtype.INT64) || splits.shape().length != 1
        || splits.shape()[0] != rows + 1) {
      throw new IllegalArgumentException("bad row splits: expected int64 of shape (" + (rows + 1) + ",), found "
          + splits.dtype() + " " + Arrays.toString(splits.shape()) + " (component=" + component
          + ", path=" + splits.path() + ")");
    }
    return splits;
  }

  private static NpyRowDatasets.Column column(ExportedArray a) throws IOException {
    long[] shape = a.shape();
    long payloadEnd = a.array().payloadOffset() + a.segment().byteSize();
    return new NpyRowDatasets.Column(a.path(), a.array().payloadOffset(), Files.size(a.path()) - payloadEnd,
        a.dtype(), Arrays.copyOfRange(shape, Math.min(1, shape.length), shape.length));
  }

  /** Unmaps every file. Idempotent. */
  @Override
  public void close() {
    for (ExportedArray a : arrays) {
      a.array().close();
    }
  }
}

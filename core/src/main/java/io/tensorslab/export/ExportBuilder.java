package io.tensorslab.export;

import io.tensorslab.store.StoreFormat;
import io.tensorslab.tf.BatchSource;
import io.tensorslab.tf.ReadOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Options of one export, ending in {@link #run()}. Made by {@link TensorSlab#export}; not reusable
 * across threads while running.
 */
public final class ExportBuilder {

  /** Opens the dataset's batch source; called once by {@link #run()}. */
  @FunctionalInterface
  interface SourceOpener {
    BatchSource open(ReadOptions read) throws IOException;
  }

  /** See {@link #prefetch(int)}; chosen by the bench module's ExportPrefetch benchmark (docs/benchmarks.md). */
  static final int DEFAULT_PREFETCH = 0;

  final SourceOpener opener;
  Path directory;
  List<String> names;
  long limitRows = -1;
  boolean overwrite;
  boolean durable = true;
  int prefetch = DEFAULT_PREFETCH;
  boolean autotune = true;
  ExportListener listener;
  Cancellation cancellation;
  final Map<String, ShapePolicy> shapePolicies = new LinkedHashMap<>();
  ShapePolicy defaultShapePolicy = ShapePolicy.ERROR;
  /** Output name -> [values component, row splits component]. */
  final Map<String, List<String>> rowSplitPairs = new LinkedHashMap<>();
  StoreFormat format = StoreFormat.NPY;

  ExportBuilder(SourceOpener opener) {
    this.opener = opener;
  }

  /**
   * The output directory. Created when missing (its parent must exist); files are
   * {@code DIR/NAME.npy} per component and {@code DIR/manifest.json}.
   */
  public ExportBuilder to(Path directory) {
    this.directory = Objects.requireNonNull(directory, "directory");
    return this;
  }

  /**
   * What every output is written as: {@link StoreFormat#NPY} (the default: {@code DIR/NAME.npy}
   * files and {@code DIR/manifest.json}), or a Zarr store ({@code DIR} the root group, one chunked
   * array per output, the manifest in the group's attributes; see docs/zarr.md).
   *
   * {@snippet :
   * TensorSlab.export(ds).to(dir).format(new ZarrStoreFormat(ZarrFormat.V3, 0, ZarrCodec.parse("zstd"), 1)).run();
   * }
   */
  public ExportBuilder format(StoreFormat format) {
    this.format = Objects.requireNonNull(format, "format");
    return this;
  }

  /**
   * Names of the components in the dataset's order; default {@code component_0}, {@code component_1}, ...
   * Names become file names: letters, digits, {@code _ - .}, not starting with a dot.
   */
  public ExportBuilder names(String... names) {
    this.names = List.of(names);
    return this;
  }

  /** See {@link #names(String...)}. */
  public ExportBuilder names(List<String> names) {
    this.names = List.copyOf(names);
    return this;
  }

  /**
   * Stop after exactly {@code rows} rows (also in the middle of a batch). Required for an infinite
   * dataset ({@code repeat()}); works for every dataset.
   */
  public ExportBuilder limit(long rows) {
    if (rows < 0) {
      throw new IllegalArgumentException("row limit must be >= 0, got " + rows);
    }
    this.limitRows = rows;
    return this;
  }

  /** Replace existing output files (each atomically, when the export succeeds). Default: refuse. */
  public ExportBuilder overwrite(boolean overwrite) {
    this.overwrite = overwrite;
    return this;
  }

  /**
   * Whether to {@code fsync} every file before it is renamed into place (default true). Without it
   * the files are still complete and atomic for every reader and survive the process being killed;
   * only a power loss before the kernel writes them back could lose them.
   */
  public ExportBuilder durable(boolean durable) {
    this.durable = durable;
    return this;
  }

  /**
   * Batches TensorFlow may produce ahead of the copy (default {@value #DEFAULT_PREFETCH}: the
   * dataset is read exactly as given). With {@code n > 0} it is read through {@code prefetch(n)}, so
   * TensorFlow's background thread builds batch k+1 while batch k is copied, at the cost of up to n
   * batches of native memory. Measured on 2 cores this did not pay (the copy is page-fault bound
   * and competes for the same cores); it may on larger machines with slow pipelines
   * (docs/benchmarks.md, "Overlap").
   */
  public ExportBuilder prefetch(int batches) {
    if (batches < 0) {
      throw new IllegalArgumentException("prefetch must be >= 0 batches, got " + batches);
    }
    this.prefetch = batches;
    return this;
  }

  /**
   * Whether tf.data may autotune while the dataset is read (default true, TensorFlow's own default).
   * With false the dataset is read through {@code OptionsDataset} with autotuning disabled: the
   * export then never waits for tf.data's autotuning thread when it closes its iterator, a stall
   * measured at up to ~0.5 s in some exports on 2 cores; but TensorFlow then built batches of wide
   * rows more slowly (docs/benchmarks.md). Leave it on for pipelines whose parallelism or buffer
   * sizes are {@code AUTOTUNE}.
   */
  public ExportBuilder autotune(boolean autotune) {
    this.autotune = autotune;
    return this;
  }

  /** Called after every batch on the exporting thread. */
  public ExportBuilder listener(ExportListener listener) {
    this.listener = listener;
    return this;
  }

  /** A flag another thread may set to stop the export cleanly. Interrupting the thread works too. */
  public ExportBuilder cancellation(Cancellation cancellation) {
    this.cancellation = cancellation;
    return this;
  }

  /**
   * What to do when the rows of component {@code name} change shape between batches: fail
   * ({@link ShapePolicy#ERROR}, the default), pad ({@link ShapePolicy#PAD}, {@link ShapePolicy#pad(long...)})
   * or write flat values plus row splits ({@link ShapePolicy#RAGGED}). A name that is not a
   * component is an error when the export runs.
   */
  public ExportBuilder shapePolicy(String name, ShapePolicy policy) {
    shapePolicies.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(policy, "policy"));
    return this;
  }

  /** The shape policy of every component not given one by name; default {@link ShapePolicy#ERROR}. */
  public ExportBuilder shapePolicy(ShapePolicy policy) {
    this.defaultShapePolicy = Objects.requireNonNull(policy, "policy");
    return this;
  }

  /**
   * Declares that the dataset already carries a ragged feature as two components, the way
   * {@code tf.RaggedTensor} and {@code tf.io.parse_example} give it: {@code valuesComponent} (flat
   * values, any count per batch) and {@code rowSplitsComponent} (int64, batch rows + 1, starting at
   * 0 in every batch). They are written together as {@code name.values.npy} and
   * {@code name.row_splits.npy} over the whole export; read back with
   * {@code np.split(values, row_splits[1:-1])}.
   */
  public ExportBuilder rowSplits(String name, String valuesComponent, String rowSplitsComponent) {
    rowSplitPairs.put(Objects.requireNonNull(name, "name"), List.of(Objects.requireNonNull(valuesComponent,
        "valuesComponent"), Objects.requireNonNull(rowSplitsComponent, "rowSplitsComponent")));
    return this;
  }

  /**
   * Runs the export on the calling thread.
   *
   * @return the written files, mapped for zero-copy reading; close it when done
   * @throws ExportException when the dataset fails or disagrees with its spec, or the export is cancelled
   * @throws IOException when a destination is unusable or a write fails; each message names the path
   */
  public ExportResult run() throws IOException {
    if (directory == null) {
      throw new IllegalStateException("no output directory: call to(dir) before run()");
    }
    return new Exporter(options()).run();
  }

  /** The options as they are now, frozen for one run. */
  ExportOptions options() {
    return new ExportOptions(opener, directory.toAbsolutePath().normalize(), names, limitRows, overwrite, durable,
        new ReadOptions(prefetch, autotune), listener, cancellation, shapePolicies, defaultShapePolicy, rowSplitPairs,
        format);
  }
}

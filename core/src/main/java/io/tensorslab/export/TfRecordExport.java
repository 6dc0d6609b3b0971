package io.tensorslab.export;

import io.tensorslab.npy.NpyDtype;
import io.tensorslab.store.OutputDirectory;
import io.tensorslab.store.RowLayout;
import io.tensorslab.store.RowStore;
import io.tensorslab.store.StagedFile;
import io.tensorslab.store.StoreCapacity;
import io.tensorslab.store.StoreCommit;
import io.tensorslab.store.StoreDestination;
import io.tensorslab.store.StoreFormat;
import io.tensorslab.tf.FeatureSpec;
import io.tensorslab.tf.TfRecordCompression;
import io.tensorslab.tf.TfRecordException;
import io.tensorslab.tf.TfRecordPrescan;
import io.tensorslab.tf.example.ExampleRecords;
import io.tensorslab.tf.example.ExampleView;
import io.tensorslab.tf.example.FeatureSelection;
import io.tensorslab.tf.example.FeatureValues;
import io.tensorslab.tf.example.MalformedExampleException;
import io.tensorslab.tf.example.TfRecordIndex;
import io.tensorslab.tf.example.TfRecordReader;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * TFRecord files of {@code tf.train.Example}s to one {@code .npy} per output or one Zarr v2 / v3
 * array per output (any {@link StoreFormat}), parsed by the native Example reader (no TensorFlow
 * call, TensorFlow's native library never loaded) on several threads. The files — {@code .npy}
 * files, or every Zarr chunk and metadata file — equal, byte for byte, what the TensorFlow engine
 * ({@code TFRecordDataset} + {@code ParseExampleV2} + the export engine) writes for the same
 * features and format, for any thread count.
 *
 * <p>The way through:
 * <ol>
 *   <li><b>plan</b>: every file is indexed ({@link TfRecordIndex}: record offsets, the row count up
 *       to the limit) and cut into ranges of whole records, each with its first output row;
 *   <li><b>count</b> (only when a {@code *} or bytes feature needs it): every range is parsed once
 *       to sum its values per {@code *} feature and find the longest row and bytes value, so every
 *       store is made with its exact size and every range knows where its values start — ragged
 *       values are then placed once, never staged and moved; a bad record fails here, before any
 *       file exists;
 *   <li><b>range writers</b>: one task per range parses its records and copies each feature straight
 *       from the record bytes into the windows of the row stores (packed floats one copy, int64s
 *       decoded, bytes NUL-padded, {@code raw-<type>} bytes one copy), handing windows back as they
 *       fill so the store can release and write back their pages while the export goes on (two
 *       ranges may share a Zarr chunk: the store writes it once the rows of both are handed back);
 *   <li><b>commit</b>: finish every store, publish them and the manifest (a Zarr store: its group
 *       metadata, the manifest in the root attributes) all or nothing ({@link StoreCommit}).
 * </ol>
 *
 * {@snippet :
 * var options = new TfRecordExport.Options(files, TfRecordCompression.NONE, specs, VarLen.RAGGED,
 *     Map.of(), Long.MAX_VALUE, 4, dir, false, true);
 * try (ExportResult result = TfRecordExport.run(options)) { ... }
 * }
 */
public final class TfRecordExport {

  /** How a {@code *} feature is written. */
  public enum VarLen {
    /** {@code NAME.values.npy} + {@code NAME.row_splits.npy}, as {@code tf.RaggedTensor}. */
    RAGGED,
    /** {@code NAME.npy} padded to the longest row + {@code NAME.lengths.npy}. */
    PAD
  }

  /** Suffix of the row lengths beside a padded feature. */
  public static final String LENGTHS_SUFFIX = ".lengths";

  /**
   * What to convert.
   *
   * @param files read in this order; rows follow the records across files
   * @param padValues per {@code *} feature under {@link VarLen#PAD}: a {@code Float}, {@code Long} or
   *     {@code String}; a missing entry pads with 0 or empty bytes
   * @param limit rows at most
   * @param threads range writers at once, at least 1
   * @param listener told of progress from the range writers' threads (one at a time), or null
   * @param cancellation checked every few thousand rows, or null
   * @param format what every output is written as: {@link StoreFormat#NPY}, or a
   *     {@link io.tensorslab.store.zarr.ZarrStoreFormat} (the directory is then one Zarr group)
   */
  public record Options(List<Path> files, TfRecordCompression compression, List<FeatureSpec> features, VarLen varLen,
      Map<String, Object> padValues, long limit, int threads, Path directory, boolean overwrite, boolean durable,
      ExportListener listener, Cancellation cancellation, StoreFormat format) {
    public Options {
      files = List.copyOf(files);
      Objects.requireNonNull(format, "format");
      features = List.copyOf(features);
      padValues = Map.copyOf(padValues);
      Objects.requireNonNull(compression, "compression");
      Objects.requireNonNull(varLen, "varLen");
      if (threads < 1) {
        throw new IllegalArgumentException("threads must be at least 1, got " + threads);
      }
      if (limit < 0) {
        throw new IllegalArgumentException("limit must be >= 0, got " + limit);
      }
    }

    /** One {@code .npy} file per output. */
    public Options(List<Path> files, TfRecordCompression compression, List<FeatureSpec> features, VarLen varLen,
        Map<String, Object> padValues, long limit, int threads, Path directory, boolean overwrite, boolean durable,
        ExportListener listener, Cancellation cancellation) {
      this(files, compression, features, varLen, padValues, limit, threads, directory, overwrite, durable, listener,
          cancellation, StoreFormat.NPY);
    }
  }

  private static final NpyDtype INT64 = NpyDtype.INT64;
  private static final NpyDtype FLOAT32 = NpyDtype.FLOAT32;
  /**
   * Ranges per thread. One: the {@code .npy} store releases written pages in 32 MiB runs of
   * consecutive rows, and the tail of each range's last run stays resident until the end, so more
   * ranges cost RSS (4 per thread: 426 MB peak instead of 275 MB at 1 GB on 2 threads), while
   * ranges of equal bytes already balance the threads.
   */
  private static final int RANGES_PER_THREAD = 1;

  private final Options options;
  private final List<FeatureSpec> features;
  private final FeatureSelection selection;
  /** Per feature: the bytes a {@code raw-<type>} value holds (its row in the store), or -1 for another feature. */
  private final long[] rawBytes;
  private final List<Range> ranges = new ArrayList<>();
  private long rows;
  private long startNanos;
  /** Rows and bytes written so far, for the listener; guarded by itself. */
  private final long[] progress = new long[2];
  private static final int PROGRESS_EVERY_ROWS = 4096;
  /** First row of the earliest range that failed so far; later ranges stop (see readRange). */
  private volatile long firstFailedRow = Long.MAX_VALUE;

  private TfRecordExport(Options options) {
    this.options = options;
    this.features = options.features();
    this.selection = FeatureSelection.of(features);
    this.rawBytes = features.stream()
        .mapToLong(f -> f.decoder() instanceof FeatureSpec.Decoder.Raw ? TfRecordPrescan.rawByteLength(f) : -1)
        .toArray();
  }

  /**
   * Whether the native reader can convert {@code features}: every float32, int64 and bytes feature,
   * fixed or {@code *}, and every {@code raw-<type>} one; not {@code image} features, which TensorFlow decodes.
   *
   * @return null when it can, else why not (for the summary's engine line)
   */
  public static String unsupportedReason(List<FeatureSpec> features, VarLen varLen) {
    for (FeatureSpec f : features) {
      if (f.isImage()) {
        // image decoding is TensorFlow's DecodeImage
        return "feature '" + f.name() + "' (" + f.dtypeName() + " is decoded by TensorFlow)";
      }
      for (String name : outputNames(f, varLen)) {
        try {
          new RowLayout(name, INT64, new long[0]);
        } catch (IllegalArgumentException e) {
          return "feature '" + f.name() + "': " + e.getMessage();
        }
      }
    }
    return null;
  }

  private static List<String> outputNames(FeatureSpec f, VarLen varLen) {
    if (!f.variableLength()) {
      return List.of(f.name());
    }
    return varLen == VarLen.RAGGED ? f.componentNames() : List.of(f.name(), f.name() + LENGTHS_SUFFIX);
  }

  /** Converts; see the class comment. On failure nothing is left at a final path. */
  public static ExportResult run(Options options) throws IOException {
    return new TfRecordExport(options).run();
  }

  /** Records of one file that one task reads, and the output row of the first. */
  private record Range(Path file, int firstRecord, int count, long offset, boolean seekable, long firstRow) {}

  /** What the count pass found in one range, per feature. */
  private static final class RangeCounts {
    final long[] values;
    final long[] longestRow;
    final long[] shortestRow;
    final long[] longestBytes;

    RangeCounts(int n) {
      values = new long[n];
      longestRow = new long[n];
      shortestRow = new long[n];
      longestBytes = new long[n];
      java.util.Arrays.fill(shortestRow, Long.MAX_VALUE);
    }
  }

  /** The stores of one feature and, for {@code *}, where each range's values start. */
  private static final class FeatureOutput {
    final FeatureSpec spec;
    RowStore main;       // NAME, or NAME.values
    RowStore second;     // NAME.row_splits or NAME.lengths; null for a fixed feature
    long width;          // values per row of a padded feature
    long bytesWidth;     // |S width of a bytes feature
    byte[] padItem;      // one pad item of a padded feature
    long[] valueStart;   // per range: its first value (ragged)

    FeatureOutput(FeatureSpec spec) {
      this.spec = spec;
    }
  }

  private ExportResult run() throws IOException {
    long start = System.nanoTime();
    startNanos = start;
    plan();
    RangeCounts[] counts = needsCounts() ? countAll() : null;
    Path dir = options.directory().toAbsolutePath().normalize();
    boolean created = OutputDirectory.prepare(dir);
    StoreDestination destination = new StoreDestination(dir, options.overwrite(), options.durable());
    List<FeatureOutput> outputs = new ArrayList<>();
    List<RowStore> stores = new ArrayList<>();
    List<String> components = new ArrayList<>();
    List<Path> createdParents = new ArrayList<>();
    boolean success = false;
    try {
      // As the dataset exporter does: no two outputs on one file (naming both), nested directories made
      // without following links and removed again on failure, each target allowed by its format.
      StoreFormat format = options.format();
      Map<String, String> fileByName = new LinkedHashMap<>();
      Map<String, String> featureOf = new LinkedHashMap<>();
      for (FeatureSpec f : features) {
        for (String name : outputNames(f, options.varLen())) {
          String file = dir.relativize(format.target(dir, name)).toString();
          String other = featureOf.putIfAbsent(name, f.name());
          if (other != null) {
            throw new IllegalArgumentException("features '" + other + "' and '" + f.name() + "' would both be written to "
                + file + "; rename or drop one of them");
          }
          fileByName.put(name, file);
        }
      }
      Exporter.checkDestinations(dir, format, options.overwrite(), fileByName, createdParents);
      for (int f = 0; f < features.size(); f++) {
        FeatureOutput out = layout(f, counts, destination);
        outputs.add(out);
        stores.add(out.main);
        components.add(out.spec.name());
        if (out.second != null) {
          stores.add(out.second);
          // As the TensorFlow engine names them: NAME.lengths is a component of its own (its padding
          // graph's output), NAME.row_splits belongs to NAME; the Zarr root attributes then match too.
          components.add(options.varLen() == VarLen.PAD ? out.second.layout().name() : out.spec.name());
        }
      }
      long copyStart = System.nanoTime();
      writeAll(outputs);
      writeRowSplitsOfNoRows(outputs);
      long copyNanos = System.nanoTime() - copyStart;
      List<Manifest.Entry> entries = new ArrayList<>();
      long bytes = 0;
      for (int i = 0; i < stores.size(); i++) {
        RowStore s = stores.get(i);
        long storeRows = finishedRowsOf(s, outputs);
        s.finish(storeRows);
        entries.add(Manifest.entryOf(dir, s, components.get(i)));
        bytes += storeRows * s.rowBytes();
      }
      long elapsed = System.nanoTime() - start;
      List<StagedFile> index = ExportCommit.publish(destination, format, stores, entries, rows,
          () -> Manifest.toJson(entries, ranges.size(), rows, rows, elapsed / 1e9, copyNanos / 1e9));
      List<ExportedArray> arrays = ExportCommit.mapPublished(format, stores, entries, index);
      success = true;
      return new ExportResult(dir, arrays, rows, ranges.size(), bytes, rows, System.nanoTime() - start, copyNanos);
    } finally {
      if (!success) {
        stores.forEach(RowStore::abort);
        for (int i = createdParents.size() - 1; i >= 0; i--) {
          OutputDirectory.removeIfEmpty(createdParents.get(i));
        }
        if (created) {
          OutputDirectory.removeIfEmpty(dir);
        }
      } else {
        stores.forEach(RowStore::close);
      }
    }
  }

  /**
   * With no rows there is no range, so none wrote {@code row_splits[0]}: a zero in a fresh
   * {@code .npy} file, but a Zarr store wants every row it holds written.
   */
  private void writeRowSplitsOfNoRows(List<FeatureOutput> outputs) throws IOException {
    if (rows > 0 || options.varLen() != VarLen.RAGGED) {
      return;
    }
    for (FeatureOutput o : outputs) {
      if (o.spec.variableLength()) {
        io.tensorslab.store.RowStores.fill(o.second, 0, 1, (window, done) -> window.bytes().fill((byte) 0));
      }
    }
  }

  private long finishedRowsOf(RowStore s, List<FeatureOutput> outputs) {
    for (FeatureOutput o : outputs) {
      if (o.main == s) {
        return o.spec.variableLength() && options.varLen() == VarLen.RAGGED ? totalValues(o) : rows;
      }
      if (o.second == s) {
        return options.varLen() == VarLen.RAGGED ? rows + 1 : rows;
      }
    }
    throw new IllegalStateException("store of no feature: " + s.target());
  }

  private static long totalValues(FeatureOutput o) {
    return o.valueStart[o.valueStart.length - 1];
  }

  // ------------------------------------------------------------------ plan

  private void plan() throws IOException {
    for (TfRecordIndex index : indexAll()) { // each within the limit
      boolean seekable = options.compression() == TfRecordCompression.NONE;
      List<TfRecordIndex.Range> parts = seekable ? index.split(options.threads() * RANGES_PER_THREAD)
          : index.count() == 0 ? List.of() : List.of(new TfRecordIndex.Range(0, index.count(), 0));
      for (TfRecordIndex.Range p : parts) {
        ranges.add(new Range(index.path(), p.first(), p.count(), p.offset(), seekable, rows + p.first()));
      }
      rows += index.count();
    }
  }

  /**
   * Every file's index, in file order. With a limit, file by file until it is reached; without,
   * on all threads: many files side by side, one large file cut into regions
   * ({@link TfRecordIndex#build(Path, TfRecordCompression, long, int)}). The first file that fails
   * in file order gives the error, whatever the thread count.
   */
  private List<TfRecordIndex> indexAll() throws IOException {
    List<Path> files = options.files();
    int threads = options.threads();
    List<TfRecordIndex> indexes = new ArrayList<>();
    if (options.limit() != Long.MAX_VALUE || threads == 1 || files.size() == 1) {
      long left = options.limit();
      for (Path file : files) {
        if (left == 0) {
          break;
        }
        TfRecordIndex index = TfRecordIndex.build(file, options.compression(), left, threads);
        indexes.add(index);
        left -= index.count();
      }
      return indexes;
    }
    int perFile = Math.max(1, threads / files.size());
    ExecutorService pool = daemonPool(Math.min(threads, files.size()), "tensorslab-index");
    try {
      List<Future<TfRecordIndex>> futures = new ArrayList<>();
      for (Path file : files) {
        futures.add(pool.submit(() -> TfRecordIndex.build(file, options.compression(), Long.MAX_VALUE, perFile)));
      }
      for (Future<TfRecordIndex> f : futures) {
        try {
          indexes.add(f.get());
        } catch (ExecutionException e) {
          futures.forEach(x -> x.cancel(true));
          if (e.getCause() instanceof IOException io) {
            throw io;
          }
          if (e.getCause() instanceof RuntimeException re) {
            throw re;
          }
          throw new IOException(e.getCause());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new java.io.InterruptedIOException("conversion interrupted");
        }
      }
      return indexes;
    } finally {
      pool.shutdownNow();
    }
  }

  private boolean needsCounts() {
    for (int f = 0; f < features.size(); f++) {
      FeatureSpec spec = features.get(f);
      // A raw-<type> feature's row has a fixed size: no count needed, unless no bytes value can be
      // that long (2 GiB at most): then the count pass fails on the first record, before a file
      // of impossible rows is made.
      if (spec.variableLength() || rawBytes[f] > Integer.MAX_VALUE
          || (spec.dtype() == FeatureSpec.Dtype.BYTES && rawBytes[f] < 0)) {
        return true;
      }
    }
    return false;
  }

  private RangeCounts[] countAll() throws IOException {
    RangeCounts[] counts = new RangeCounts[ranges.size()];
    forEachRange((index, r, reader, example, sel) -> {
      RangeCounts c = new RangeCounts(features.size());
      readRange(r, reader, example, sel, (row, s) -> {
        for (int f = 0; f < features.size(); f++) {
          FeatureValues v = s.values(f);
          if (rawBytes[f] >= 0) {
            checkRawLength(f, v, r, row); // failing here, before any file exists
            continue;
          }
          int n = v.count();
          c.values[f] += n;
          c.longestRow[f] = Math.max(c.longestRow[f], n);
          c.shortestRow[f] = Math.min(c.shortestRow[f], n);
          if (features.get(f).dtype() == FeatureSpec.Dtype.BYTES) {
            for (int i = 0; i < n; i++) {
              c.longestBytes[f] = Math.max(c.longestBytes[f], v.bytesLength(i));
            }
          }
        }
      });
      counts[index] = c;
    });
    return counts;
  }

  private FeatureOutput layout(int f, RangeCounts[] counts, StoreDestination destination) throws IOException {
    FeatureSpec spec = features.get(f);
    FeatureOutput out = new FeatureOutput(spec);
    long longestRow = 0;
    long shortestRow = Long.MAX_VALUE;
    long longestBytes = 0;
    if (counts != null) {
      out.valueStart = new long[ranges.size() + 1];
      for (int r = 0; r < ranges.size(); r++) {
        out.valueStart[r + 1] = out.valueStart[r] + counts[r].values[f];
        longestRow = Math.max(longestRow, counts[r].longestRow[f]);
        shortestRow = Math.min(shortestRow, counts[r].shortestRow[f]);
        longestBytes = Math.max(longestBytes, counts[r].longestBytes[f]);
      }
    }
    boolean padded = spec.variableLength() && options.varLen() == VarLen.PAD;
    Object pad = options.padValues().get(spec.name());
    byte[] padBytes = pad instanceof String s ? s.getBytes(StandardCharsets.UTF_8) : new byte[0];
    NpyDtype dtype = spec.decoder() instanceof FeatureSpec.Decoder.Raw raw ? raw.type().npy() : switch (spec.dtype()) {
      case FLOAT32 -> FLOAT32;
      case INT64 -> INT64;
      case BYTES -> {
        // As the TensorFlow engine's string writer: |S of the longest value (at least 1), pad values included where used.
        boolean padUsed = padded && rows > 0 && shortestRow < longestRow;
        long w = Math.max(1, Math.max(longestBytes, padUsed ? padBytes.length : 0));
        if (w > Integer.MAX_VALUE) {
          throw new ExportException("strings too long for a NumPy |S dtype: the longest is " + w + " bytes",
              spec.name(), -1, null);
        }
        out.bytesWidth = w;
        yield NpyDtype.bytes((int) w);
      }
    };
    if (!spec.variableLength()) {
      long[] shape = spec.shape().stream().mapToLong(Long::longValue).toArray();
      out.main = create(new RowLayout(spec.name(), dtype, shape), destination, StoreCapacity.exact(rows));
    } else if (!padded) {
      out.main = create(new RowLayout(spec.name() + FeatureSpec.VALUES_SUFFIX, dtype, new long[0]), destination,
          StoreCapacity.exact(totalValues(out)));
      out.second = create(new RowLayout(spec.name() + FeatureSpec.ROW_SPLITS_SUFFIX, INT64, new long[0]),
          destination, StoreCapacity.exact(rows + 1));
    } else {
      out.width = longestRow;
      out.padItem = padItem(spec, pad, dtype, padBytes);
      out.main = create(new RowLayout(spec.name(), dtype, new long[] {out.width}), destination,
          StoreCapacity.exact(rows));
      out.second = create(new RowLayout(spec.name() + LENGTHS_SUFFIX, INT64, new long[0]), destination,
          StoreCapacity.exact(rows));
    }
    return out;
  }

  /** A store in the options' format; a failure (full disk, a file in the way) names the feature. */
  private RowStore create(RowLayout layout, StoreDestination destination, StoreCapacity capacity)
      throws IOException {
    try {
      return options.format().create(layout, destination, capacity);
    } catch (ExportException e) {
      throw e;
    } catch (IOException e) {
      throw new ExportException("writing failed: " + e.getMessage(), layout.name(), -1, e);
    }
  }

  private static byte[] padItem(FeatureSpec spec, Object pad, NpyDtype dtype, byte[] padBytes) {
    byte[] item = new byte[(int) dtype.itemSize()];
    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(item).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    switch (spec.dtype()) {
      case FLOAT32 -> b.putFloat(0, pad == null ? 0f : (Float) pad);
      case INT64 -> b.putLong(0, pad == null ? 0L : (Long) pad);
      case BYTES -> System.arraycopy(padBytes, 0, item, 0, Math.min(padBytes.length, item.length));
    }
    return item;
  }

  // ------------------------------------------------------------------ range writers

  private void writeAll(List<FeatureOutput> outputs) throws IOException {
    forEachRange((index, r, reader, example, sel) -> {
      RangeWriter w = new RangeWriter(outputs, index, r.firstRow());
      try {
        w.begin();
        readRange(r, reader, example, sel, w::write);
        w.report();
      } finally {
        w.close();
      }
    });
  }

  /** Writes the rows of one range; one per task, never shared. */
  private final class RangeWriter {
    /** The cursors' staging buffers: this range writer's thread alone uses them. */
    private final java.lang.foreign.Arena staging = java.lang.foreign.Arena.ofConfined();
    private final List<FeatureOutput> outputs;
    private final Range range;
    private final Cursor[] main;
    private final Cursor[] second;
    private final long[] nextValue;
    private long pendingRows;
    private long pendingBytes;

    /** Sets up the cursors; no store is touched until {@link #begin} (so {@link #close} always runs). */
    RangeWriter(List<FeatureOutput> outputs, int rangeIndex, long firstRow) {
      this.outputs = outputs;
      int n = outputs.size();
      main = new Cursor[n];
      second = new Cursor[n];
      nextValue = new long[n];
      Range r = ranges.get(rangeIndex);
      range = r;
      long endRow = firstRow + r.count();
      for (int f = 0; f < n; f++) {
        FeatureOutput o = outputs.get(f);
        boolean ragged = o.spec.variableLength() && options.varLen() == VarLen.RAGGED;
        if (ragged) {
          nextValue[f] = o.valueStart[rangeIndex];
          main[f] = new Cursor(o.main, o.valueStart[rangeIndex + 1], staging);
          second[f] = new Cursor(o.second, endRow + 1, staging);
        } else {
          main[f] = new Cursor(o.main, endRow, staging);
          second[f] = o.second == null ? null : new Cursor(o.second, endRow, staging);
        }
      }
    }

    /** Writes what belongs to the range before its first record: {@code row_splits[0]} for the first range. */
    void begin() throws IOException {
      if (range.firstRow() != 0) {
        return;
      }
      for (int f = 0; f < outputs.size(); f++) {
        FeatureOutput o = outputs.get(f);
        if (o.spec.variableLength() && options.varLen() == VarLen.RAGGED) {
          second[f].longAt(0, 0); // row_splits[0]
        }
      }
    }

    void write(long row, FeatureSelection sel) throws IOException {
      if (++pendingRows == PROGRESS_EVERY_ROWS) {
        report();
      }
      for (int f = 0; f < outputs.size(); f++) {
        FeatureOutput o = outputs.get(f);
        FeatureValues v = sel.values(f);
        int n = v.count();
        if (rawBytes[f] >= 0) {
          writeRaw(f, v, main[f], row);
        } else if (!o.spec.variableLength()) {
          if (n > 0) {
            writeValues(o, v, n, main[f], row * n);
          }
        } else if (options.varLen() == VarLen.RAGGED) {
          writeValues(o, v, n, main[f], nextValue[f]);
          nextValue[f] += n;
          second[f].longAt(row + 1, nextValue[f]);
        } else {
          writePadded(o, v, main[f], row);
          second[f].longAt(row, n);
        }
      }
    }

    /** The {@code n} values of {@code v} as items {@code [item, item + n)} of the store, across windows. */
    private void writeValues(FeatureOutput o, FeatureValues v, int n, Cursor c, long item)
        throws IOException {
      long itemBytes = o.main.layout().dtype().itemSize();
      long itemsPerRow = c.store.rowBytes() / itemBytes;
      int done = 0;
      while (done < n) {
        long at = item + done;
        c.ensure(at / itemsPerRow);
        long windowItemsLeft = (c.window.end() * itemsPerRow) - at;
        int chunk = (int) Math.min(n - done, windowItemsLeft);
        pendingBytes += chunk * itemBytes;
        long dst = (at - c.window.first() * itemsPerRow) * itemBytes;
        switch (o.spec.dtype()) {
          case FLOAT32 -> v.copyFloats(done, chunk, c.window.bytes(), dst);
          case INT64 -> v.copyLongs(done, chunk, c.window.bytes(), dst);
          case BYTES -> {
            for (int i = 0; i < chunk; i++) {
              v.copyBytes(done + i, c.window.bytes(), dst + i * itemBytes, itemBytes);
            }
          }
        }
        done += chunk;
      }
    }

    /**
     * The one value of a {@code raw-<type>} feature as row {@code row}: its bytes copied as they are
     * (the value is little-endian, as {@code tf.io.decode_raw(little_endian=True)} reads it, and so is
     * the {@code .npy}), once the length is checked.
     */
    private void writeRaw(int f, FeatureValues v, Cursor c, long row) throws IOException {
      checkRawLength(f, v, range, row);
      long width = rawBytes[f];
      if (width == 0) {
        return;
      }
      c.ensure(row);
      v.copyBytes(0, c.window.bytes(), (row - c.window.first()) * width, width);
      pendingBytes += width;
    }

    private void writePadded(FeatureOutput o, FeatureValues v, Cursor c, long row) throws IOException {
      int n = v.count();
      if (n > o.width) {
        throw new IllegalStateException("padded layout narrower than a row: a row of feature " + o.spec.name()
            + " has " + n + " values, the width is " + o.width);
      }
      if (o.width == 0) {
        return;
      }
      c.ensure(row); // the pad below needs the row's window even when the row is empty
      if (n > 0) {
        writeValues(o, v, n, c, row * o.width);
      }
      long itemBytes = o.padItem.length;
      long at = (row - c.window.first()) * o.width * itemBytes + n * itemBytes;
      for (long i = n; i < o.width; i++, at += itemBytes) {
        MemorySegment.copy(o.padItem, 0, c.window.bytes(), java.lang.foreign.ValueLayout.JAVA_BYTE, at, o.padItem.length);
      }
    }

    /** Passes the rows written since the last report to the listener; checks for cancellation. */
    void report() throws IOException {
      Cancellation c = options.cancellation();
      if (c != null && c.isCancelled()) {
        throw new ExportCancelledException("cancel() was called", -1);
      }
      ExportListener l = options.listener();
      synchronized (progress) {
        progress[0] += pendingRows;
        progress[1] += pendingBytes;
        if (l != null) {
          l.onBatch(new ExportProgress(progress[0], progress[0], progress[1], System.nanoTime() - startNanos, rows));
        }
      }
      pendingRows = 0;
      pendingBytes = 0;
    }

    void close() throws IOException {
      IOException failure = null;
      try {
        for (Cursor c : main) {
          failure = closeQuietly(c, failure);
        }
        for (Cursor c : second) {
          failure = closeQuietly(c, failure);
        }
      } finally {
        staging.close();
      }
      if (failure != null) {
        throw failure;
      }
    }

    private static IOException closeQuietly(Cursor c, IOException failure) {
      if (c == null) {
        return failure;
      }
      try {
        c.release();
      } catch (IOException e) {
        if (failure == null) {
          return e;
        }
        failure.addSuppressed(e);
      }
      return failure;
    }
  }

  /** Bytes of rows one window lends at most. */
  private static final long WINDOW_BYTES = 8L << 20;
  /** Bytes of rows one staged window holds at most: small enough to stay in the core's cache. */
  private static final long STAGING_BYTES = 1L << 20;

  /**
   * The window of one store a range writer is filling; rows up to {@code end} are the range's.
   *
   * <p>For a store that {@linkplain RowStore#prefersWrite prefers write} ({@code .npy}), the
   * window is a zeroed staging buffer of this range writer's, handed to {@link RowStore#write}
   * ({@code pwrite}) when full: fresh page-cache pages are then filled by the kernel's copy
   * instead of zeroed at a fault and overwritten, which in a fresh process on this project's
   * 2-core VM made 1 GB of fresh output 2-3 x faster (JMH {@code NativeConvert.freshPagesWrite}
   * against {@code freshPagesCopy}, first pass of each fork). Rows are staged strictly in order.
   * Otherwise (Zarr: its chunks are memory already) the store's own window.
   */
  private static final class Cursor {
    final RowStore store;
    final long end;
    /** Non-null when rows are staged; the staging buffer is allocated from it. */
    final java.lang.foreign.Arena staging;
    MemorySegment buffer;
    /** One past the last row written from a staged window. */
    long stagedTo = Long.MIN_VALUE;
    io.tensorslab.store.RowWindow window;

    Cursor(RowStore store, long end, java.lang.foreign.Arena staging) {
      this.store = store;
      this.end = end;
      this.staging = store.prefersWrite() ? staging : null;
    }

    /** Makes the window hold {@code row}, handing the previous one back. */
    void ensure(long row) throws IOException {
      if (window != null && row >= window.first() && row < window.end()) {
        return;
      }
      release();
      long rowBytes = Math.max(1, store.rowBytes());
      if (staging != null) {
        if (row < stagedTo) {
          throw new IllegalStateException("staged rows go in order: row " + row + " after rows up to " + stagedTo
              + " were written (path=" + store.target() + ")");
        }
        long n = Math.min(end - row, Math.max(1, STAGING_BYTES / rowBytes));
        long bytes = n * store.rowBytes();
        if (buffer == null || buffer.byteSize() < bytes) {
          buffer = staging.allocate(Math.max(bytes, 1), 64);
        }
        MemorySegment rows = buffer.asSlice(0, bytes);
        rows.fill((byte) 0); // a row part the writer leaves alone is zero, as in a fresh file
        window = new io.tensorslab.store.RowWindow(row, n, rows);
        return;
      }
      // Bounded windows: each is handed back after a few MiB, so the store can release its pages
      // from the resident set as the range goes on (one window over the whole range kept them all).
      window = store.window(row, Math.min(end - row, Math.max(1, WINDOW_BYTES / rowBytes)));
      // The window's fresh pages in one call rather than one fault per page during the copies.
      io.tensorslab.slab.MemoryAdvice.populateWrite(window.bytes());
    }

    void longAt(long row, long value) throws IOException {
      ensure(row);
      window.bytes().set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN),
          (row - window.first()) * 8, value);
    }

    void release() throws IOException {
      if (window != null) {
        io.tensorslab.store.RowWindow w = window;
        window = null;
        if (staging != null) {
          stagedTo = w.end();
          store.write(w.first(), w.bytes(), 0, w.rows());
        } else {
          store.written(w);
        }
      }
    }
  }

  /**
   * Fails, as the TensorFlow engine's pre-scan does and with its message, when the {@code raw-<type>}
   * value of feature {@code f} in row {@code row} of range {@code r} is not the shape's byte length.
   * The selection already holds exactly one value per record (a fixed feature of one value).
   */
  private void checkRawLength(int f, FeatureValues v, Range r, long row) throws TfRecordException {
    int actual = v.bytesLength(0);
    if (actual != rawBytes[f]) {
      throw TfRecordPrescan.rawLengthMismatch(features.get(f), actual, r.file(), r.firstRecord() + (row - r.firstRow()));
    }
  }

  // ------------------------------------------------------------------ reading ranges

  @FunctionalInterface
  private interface RangeTask {
    void run(int index, Range r, TfRecordReader reader, ExampleView example, FeatureSelection selection)
        throws IOException;
  }

  @FunctionalInterface
  private interface RowVisitor {
    void visit(long row, FeatureSelection selection) throws IOException;
  }

  /**
   * Runs {@code task} over every range on {@code threads} threads (the caller's thread alone for
   * one). When ranges fail, the error of the earliest range is thrown: the same one whatever the
   * thread count.
   */
  private void forEachRange(RangeTask task) throws IOException {
    int threads = Math.min(options.threads(), Math.max(1, ranges.size()));
    if (threads == 1) {
      ExampleView example = new ExampleView();
      FeatureSelection sel = selection.copy();
      for (int i = 0; i < ranges.size(); i++) {
        try (TfRecordReader reader = open(ranges.get(i))) {
          task.run(i, ranges.get(i), reader, example, sel);
        }
      }
      return;
    }
    ThreadLocal<ExampleView> examples = ThreadLocal.withInitial(ExampleView::new);
    ThreadLocal<FeatureSelection> selections = ThreadLocal.withInitial(selection::copy);
    ExecutorService pool = daemonPool(threads, "tensorslab-range-writer");
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int i = 0; i < ranges.size(); i++) {
        int index = i;
        Range r = ranges.get(i);
        futures.add(pool.submit(() -> {
          boolean done = false;
          try (TfRecordReader reader = open(r)) {
            task.run(index, r, reader, examples.get(), selections.get());
            done = true;
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          } finally {
            if (!done) {
              failed(r);
            }
          }
          return null;
        }));
      }
      Throwable first = null;
      for (Future<?> f : futures) {
        try {
          f.get();
        } catch (ExecutionException e) {
          if (first == null) {
            first = e.getCause();
            futures.forEach(x -> x.cancel(false)); // ranges not started yet need not run
          }
        } catch (java.util.concurrent.CancellationException e) {
          // cancelled after an earlier range failed
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new java.io.InterruptedIOException("conversion interrupted");
        }
      }
      if (first != null) {
        // A cancelled future's get() returns at once, even for a range still running: wait for the
        // ranges under way (they stop at their next record, see readRange) to end before the
        // caller aborts the stores they write into.
        pool.shutdown();
        awaitRanges(pool);
      }
      if (first instanceof UncheckedIOException u) {
        throw u.getCause();
      }
      if (first instanceof RuntimeException re) {
        throw re;
      }
      if (first instanceof Error err) {
        throw err;
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /** A fixed pool of daemon threads named {@code name}: a stuck task never keeps the JVM alive. */
  private static ExecutorService daemonPool(int threads, String name) {
    return Executors.newFixedThreadPool(threads, runnable -> {
      Thread t = new Thread(runnable, name);
      t.setDaemon(true);
      return t;
    });
  }

    private synchronized void failed(Range r) {
    firstFailedRow = Math.min(firstFailedRow, r.firstRow());
  }

  private static void awaitRanges(ExecutorService pool) throws java.io.InterruptedIOException {
    try {
      while (!pool.awaitTermination(1, java.util.concurrent.TimeUnit.SECONDS)) {
        // the ranges still running stop at their next record
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("conversion interrupted");
    }
  }

  private TfRecordReader open(Range r) throws IOException {
    TfRecordReader reader = TfRecordReader.open(r.file(), options.compression());
    if (r.seekable()) {
      reader.seek(r.firstRecord(), r.offset());
    }
    return reader;
  }

  /**
   * Reads the records of range {@code r}; stops, once a range before it has failed, at the next
   * record (its own outcome no longer matters: the earliest failure is reported).
   */
  private void readRange(Range r, TfRecordReader reader, ExampleView example, FeatureSelection sel,
      RowVisitor visitor) throws IOException {
    for (int k = 0; k < r.count(); k++) {
      if (r.firstRow() > firstFailedRow) {
        throw new ExportCancelledException("an earlier range failed", -1);
      }
      if (!reader.next()) {
        throw new TfRecordException("file ended before record " + (r.firstRecord() + k)
            + ", which it held when indexed (changed while reading?)", r.file(), r.firstRecord() + k, null, -1, null);
      }
      try {
        example.parse(reader.record());
        sel.read(example);
      } catch (MalformedExampleException e) {
        throw ExampleRecords.located(reader, e);
      }
      visitor.visit(r.firstRow() + k, sel);
    }
  }
}

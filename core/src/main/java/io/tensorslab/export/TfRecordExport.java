package io.tensorslab.export;

import io.tensorslab.npy.NpyDtype;
import io.tensorslab.shard.Shard;
import io.tensorslab.shard.ShardLedger;
import io.tensorslab.shard.ShardPlan;
import io.tensorslab.slab.TemporaryFiles;
import io.tensorslab.store.OutputDirectory;
import io.tensorslab.store.RowLayout;
import io.tensorslab.store.RowStore;
import io.tensorslab.store.RowStores;
import io.tensorslab.store.StagedFile;
import io.tensorslab.store.StoreCapacity;
import io.tensorslab.store.StoreCommit;
import io.tensorslab.store.StoreDestination;
import io.tensorslab.store.StoreFormat;
import io.tensorslab.store.zarr.ZarrArraySpec;
import io.tensorslab.store.zarr.ZarrPartStore;
import io.tensorslab.store.zarr.ZarrStore;
import io.tensorslab.store.zarr.ZarrStoreFormat;
import io.tensorslab.tfrecord.ExampleRecords;
import io.tensorslab.tfrecord.FeatureSpec;
import io.tensorslab.tfrecord.FeatureValues;
import io.tensorslab.tfrecord.ImageHeader;
import io.tensorslab.tfrecord.MalformedExampleException;
import io.tensorslab.tfrecord.RowValues;
import io.tensorslab.tfrecord.StepValues;
import io.tensorslab.tfrecord.TfRecordCompression;
import io.tensorslab.tfrecord.TfRecordException;
import io.tensorslab.tfrecord.TfRecordIndex;
import io.tensorslab.tfrecord.TfRecordPrescan;
import io.tensorslab.tfrecord.TfRecordReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * The conversion engine for TFRecord files of {@code tf.train.Example}s and
 * {@code tf.train.SequenceExample}s: one record loop and one set of row writers for every mode — one {@code .npy} per output or one Zarr v2 / v3 array per output
 * ({@link StoreFormat}), on any number of threads, and as one worker's part of a Zarr store that
 * several processes fill at once ({@code --shard I/N}, Spark tasks). Reached through
 * {@link TfRecordConversion}.
 *
 * <p>Rows come from a {@link RowSource}: the native reader's parse of each range ({@link RecordParse}:
 * an {@code Example}'s features, or a {@code SequenceExample}'s context features and feature lists;
 * no TensorFlow call, TensorFlow's native library never loaded), or, for {@code --engine tensorflow}
 * (and the {@code image} features only TensorFlow decodes), TensorFlow's parse read in row order
 * ({@link RowSource.Ordered}, from {@link TensorFlowTfRecordExport}). Plan, count pass, row writers
 * and commit are the same for both, so the files are equal, byte for byte, whichever source, thread
 * count or split into shards.
 *
 * <p>The way through:
 * <ol>
 *   <li><b>plan</b>: every file is indexed ({@link TfRecordIndex}: record offsets, the row count up
 *       to the limit) and cut into ranges of whole records, each with its first output row; or,
 *       where nothing but the ranges needs the index (fixed features into {@code .npy}, no limit),
 *       none is made: the ranges are found while they are written ({@link Plan});
 *   <li><b>count</b> (only when a {@code *}, bytes, padded feature or a feature list needs it): every
 *       range is parsed once to sum its values per {@code *} feature and its steps and values per
 *       feature list and find the longest row and bytes value, so every store is made with its exact
 *       size and every range knows where its values and steps start — ragged values are then placed
 *       once, never staged and moved; a bad record fails here, before any file exists;
 *   <li><b>range writers</b>: one task per range parses its records and copies each feature straight
 *       from the record bytes into the row stores (packed floats one copy, int64s decoded, bytes
 *       NUL-padded, {@code raw-<type>} bytes one copy), handing rows back as they fill so the store
 *       can write them (two ranges may share a Zarr chunk: the store writes it once the rows of
 *       both are handed back);
 *   <li><b>commit</b>: finish every store, publish them and the manifest (a Zarr store: its group
 *       metadata, the manifest in the root attributes) all or nothing ({@link StoreCommit}). A
 *       shard instead marks itself done in the store's {@link ShardLedger}; the worker that finds
 *       every shard done writes the metadata.
 * </ol>
 *
 * <p><b>A shard</b> is the same engine over a restricted part of a shared Zarr store. Every worker
 * makes the same plan alone (index, counts, array specs): the rows are split into whole chunk files
 * of every row array ({@link ShardPlan}); a ragged feature's values array belongs, file by file, to
 * the worker in whose values the file starts, which reads on into the next worker's records to
 * complete its last values file. Each store is a {@link ZarrPartStore} that writes the chunks the
 * worker owns and drops the rows it does not, so the range writers do not know they write a part.
 * The count (for {@code *}, bytes and padded features) is of the whole input in every worker: widths
 * and value offsets are global, and recomputing them costs a parse, not a coordinator.
 */
final class TfRecordExport {

  private static final NpyDtype INT64 = NpyDtype.INT64;
  private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  /**
   * Ranges per thread. One: the {@code .npy} store releases written pages in 32 MiB runs of
   * consecutive rows, and the tail of each range's last run stays resident until the end, so more
   * ranges cost RSS (4 per thread: 426 MB peak instead of 275 MB at 1 GB on 2 threads), while
   * ranges of equal bytes already balance the threads. A shard cuts the input finer (per thread
   * and shard), so that its own rows still make a range per thread.
   */
  private static final int RANGES_PER_THREAD = 1;

  private final TfRecordConversion job;
  /**
   * The features of a row, in order: an {@code Example}'s, or a {@code SequenceExample}'s context
   * features followed by its feature lists.
   */
  private final List<FeatureSpec> features;
  /** Features before the first feature list: all of them for {@code Example}s. */
  private final int contexts;
  /** The native reader's parse of a record; each thread parses with a {@link RecordParse#copy} of it. */
  private final RecordParse parse;
  /** Per feature: the bytes a {@code raw-<type>} value holds (its row in the store), or -1 for another feature. */
  private final long[] rawBytes;
  private final List<TfRecordIndex> indexes = new ArrayList<>();
  /** Ranges over all rows, in row order. */
  private final List<Range> ranges = new ArrayList<>();
  private long rows;
  private final ConversionProgress progress;
  /** First row of the earliest range that failed so far; later ranges stop (see readRange). */
  private volatile long firstFailedRow = Long.MAX_VALUE;

  /** Rows from TensorFlow's parse, in row order; null: the native reader's ranges, on the job's threads. */
  private final RowSource.OrderedOpener orderedRows;
  /** Batches the ordered rows came in (the manifest's count); the ranges' count otherwise. */
  private long batchesRead = -1;

  TfRecordExport(TfRecordConversion job, ExportListener listener, Cancellation cancellation) {
    this(job, listener, cancellation, null);
  }

  /**
   * @param orderedRows the rows of every record, in order, from another parse than the native
   *     reader's (TensorFlow's); the plan, the count pass and the row writers stay this engine's
   */
  TfRecordExport(TfRecordConversion job, ExportListener listener, Cancellation cancellation,
      RowSource.OrderedOpener orderedRows) {
    this.job = job;
    this.orderedRows = orderedRows;
    this.progress = new ConversionProgress(listener, cancellation);
    List<FeatureSpec> featureLists = job.sequence() ? job.sequenceFeatures() : List.of();
    this.features = Stream.concat(job.features().stream(), featureLists.stream()).toList();
    this.contexts = job.features().size();
    this.parse = job.sequence() ? RecordParse.sequences(job.features(), featureLists)
        : RecordParse.examples(job.features());
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
  static String unsupportedReason(List<FeatureSpec> features, TfRecordConversion.VarLen varLen) {
    for (FeatureSpec f : features) {
      if (f.isImage()) {
        // image decoding is TensorFlow's DecodeImage
        return "feature '" + f.name() + "' (" + f.dtypeName() + " is decoded by TensorFlow)";
      }
      for (String name : FeatureOutput.outputNames(f, varLen)) {
        try {
          new RowLayout(name, INT64, new long[0]);
        } catch (IllegalArgumentException e) {
          return "feature '" + f.name() + "': " + e.getMessage();
        }
      }
    }
    return null;
  }

  private boolean ragged(FeatureSpec f) {
    return FeatureOutput.ragged(f, job.varLen());
  }

  private boolean padded(FeatureSpec f) {
    return FeatureOutput.padded(f, job.varLen());
  }

  private boolean isFeatureList(int f) {
    return f >= contexts;
  }

  private List<String> outputNames(int f) {
    return isFeatureList(f) ? FeatureOutput.featureListOutputNames(features.get(f))
        : FeatureOutput.outputNames(features.get(f), job.varLen());
  }

  /**
   * Records of one file that one task reads, and the output row of the first.
   *
   * @param index which of {@link #indexes} the file is (on a plan without an index: which of the
   *     job's files)
   * @param count records in the range, or -1 for an open range of the walk-ahead plan: up to where
   *     its reader is told to stop, or the end of the file
   */
  record Range(int index, Path file, int firstRecord, int count, long offset, boolean seekable,
      long firstRow) {
    boolean open() {
      return count < 0;
    }

    /** One past the range's last row; {@code Long.MAX_VALUE} for an open range. */
    long endRow() {
      return open() ? Long.MAX_VALUE : firstRow + count;
    }

    /** This open range with the records it turned out to hold. */
    Range withCount(int records) {
      return new Range(index, file, firstRecord, records, offset, seekable, firstRow);
    }
  }

  /**
   * A range as a range writer writes it: per feature, the first value of a ragged feature's or a
   * feature list's range and the end of its values (both -1 for another feature), and per feature
   * list the first step and the end of its steps (both -1 for another feature).
   */
  record Task(Range range, long[] valueStart, long[] valueEnd, long[] stepStart, long[] stepEnd) {}

  // ------------------------------------------------------------------ whole export

  /**
   * How the records reach the range writers.
   *
   * <ul>
   *   <li>{@code INDEXED}: every file indexed first and cut into ranges of known records and rows;
   *       every mode can take it.
   *   <li>{@code IN_FILE_ORDER}: no index; one range writer reads every file from its first record
   *       to its end, in file order, each file's rows after the last one's
   *       ({@link #writeInFileOrder}). Where only one writer would run anyway: one thread, or one
   *       compressed file (its index inflated the whole stream once more). Also compressed files
   *       of {@value #LARGE_COMPRESSED_FILE} bytes or more on average on two threads, the second
   *       inflating ahead of the first: the index would inflate every stream twice, and two
   *       threads then take (2 inflates + 1 parse) / 2, more than one inflate beside the parse;
   *       from three threads on, the index's parallel passes take less. Smaller files keep the
   *       index: the inflating thread starts again with every file, and the parse waits for each
   *       file's first bytes (206 MB of arrays, gzip, 2 threads, against the index: 8 files
   *       1.02 s against 1.23 s, 64 files 1.12 against 1.16 s, 256 files 1.27 against 1.25 s,
   *       2000 files 2.43 against 1.49 s).
   *   <li>{@code WALK_AHEAD}: no index; plain files on two threads, taken as if end to end: the
   *       first thread parses from the first record at once while the second counts records to
   *       where it splits off the rest ({@link #writeWalkingAhead}). It saves the walk of the
   *       files after the split, half of the index on two threads.
   * </ul>
   *
   * Both plans without an index need stores that grow and ranges whose end is found while they are
   * written, so they apply where nothing else needs the ranges before the copy: the native parse,
   * no limit, no count pass (every feature fixed), into {@code .npy} files.
   */
  private enum Plan { INDEXED, IN_FILE_ORDER, WALK_AHEAD }

  /** Bytes a compressed file holds on average from which two threads read the files in order (see {@link Plan}). */
  private static final long LARGE_COMPRESSED_FILE = 8L << 20;

  /** The input files' mean size; 0 when one cannot be read (the indexed plan then names it). */
  private long meanFileBytes() {
    try {
      long[] sizes = fileSizes();
      return sizes.length == 0 ? 0 : java.util.Arrays.stream(sizes).sum() / sizes.length;
    } catch (IOException e) {
      return 0;
    }
  }

  /** The input files' sizes, in their order; read once: the plan, the stores' first size and the walk-ahead split use them. */
  private long[] fileSizes;

  private long[] fileSizes() throws IOException {
    if (fileSizes == null) {
      long[] sizes = new long[job.files().size()];
      for (int i = 0; i < sizes.length; i++) {
        sizes[i] = Files.size(job.files().get(i));
      }
      fileSizes = sizes;
    }
    return fileSizes;
  }

  private Plan choosePlan() {
    boolean unindexed = orderedRows == null && job.limit() == Long.MAX_VALUE && job.format() == StoreFormat.NPY
        && !needsCounts();
    boolean plain = job.compression() == TfRecordCompression.NONE;
    if (unindexed && (job.threads() == 1
        || (!plain && (job.files().size() == 1 || (job.threads() == 2 && meanFileBytes() >= LARGE_COMPRESSED_FILE))))) {
      return Plan.IN_FILE_ORDER;
    }
    if (unindexed && job.threads() == 2 && plain) {
      return Plan.WALK_AHEAD;
    }
    return Plan.INDEXED;
  }

  /**
   * Converts into {@code .npy} files or one Zarr store; on failure nothing is left at a final path.
   * Without an index when the plan allows ({@link Plan}); when such a run meets a bad record or
   * header, it is undone and the indexed plan runs instead, to report what a single thread reports
   * on it (a bad header anywhere in a file before a bad record).
   */
  ExportResult run() throws IOException {
    long start = System.nanoTime();
    Plan plan = choosePlan();
    if (plan != Plan.INDEXED) {
      try {
        return write(start, plan);
      } catch (TfRecordException e) {
        ranges.clear();
        rows = 0;
        firstFailedRow = Long.MAX_VALUE;
        progress.restart();
      }
    }
    return write(start, Plan.INDEXED);
  }

  /** One conversion on {@code plan}; on failure nothing is left at a final path. */
  private ExportResult write(long start, Plan plan) throws IOException {
    RangeCounts[] counts = null;
    boolean indexed = plan == Plan.INDEXED;
    // One range writer through compressed files with threads to spare: a second thread inflates.
    inflateAhead = !indexed && job.threads() > 1 && job.compression() != TfRecordCompression.NONE;
    if (indexed) {
      plan(job.threads() * RANGES_PER_THREAD);
      progress.start(start, rows, -1);
      counts = needsCounts() ? countAll() : null;
    } else {
      rows = estimatedRecords(); // the stores' first capacity: they grow as needed
      // No total ahead: the bytes of the input files read (compressed bytes of compressed files)
      // tell how far the conversion is.
      progress.start(start, -1, inputFileBytes);
    }
    List<FeatureOutput> outputs = layouts(counts);
    Path dir = job.directory().toAbsolutePath().normalize();
    boolean created = OutputDirectory.prepare(dir);
    if (!indexed && job.compression() != TfRecordCompression.NONE) {
      estimateRowsLimit = rowsHalfTheFreeSpaceHolds(dir, outputs);
    }
    StoreDestination destination = new StoreDestination(dir, job.overwrite(), job.durable());
    List<RowStore> stores = new ArrayList<>();
    List<String> components = new ArrayList<>();
    List<Path> createdParents = new ArrayList<>();
    boolean success = false;
    try {
      // As the dataset exporter does: no two outputs on one file (naming both), nested directories made
      // without following links and removed again on failure, each target allowed by its format.
      StoreFormat format = job.format();
      Exporter.checkDestinations(dir, format, job.overwrite(), fileNames(dir, format), createdParents);
      for (FeatureOutput out : outputs) {
        out.main = create(out.mainLayout, destination, capacity(indexed, out.mainLayout, out.mainRows));
        stores.add(out.main);
        components.add(out.spec.name());
        if (out.secondLayout != null) {
          out.second = create(out.secondLayout, destination, capacity(indexed, out.secondLayout, out.secondRows));
          stores.add(out.second);
          // As the TensorFlow engine names them: NAME.lengths is a component of its own (its padding
          // graph's output), NAME.row_splits belongs to NAME; the Zarr root attributes then match too.
          components.add(padded(out.spec) ? out.secondLayout.name() : out.spec.name());
        }
        if (out.stepSplitsLayout != null) {
          out.stepSplits = create(out.stepSplitsLayout, destination, capacity(indexed, out.stepSplitsLayout, out.stepSplitsRows));
          stores.add(out.stepSplits);
          components.add(out.spec.name());
        }
        if (out.shapesLayout != null) {
          out.shapes = create(out.shapesLayout, destination, capacity(indexed, out.shapesLayout, rows));
          stores.add(out.shapes);
          components.add(out.shapesLayout.name()); // as TensorFlow's image batches name it: a component of its own
        }
        if (out.byteLengthsLayout != null) {
          out.byteLengths = create(out.byteLengthsLayout, destination, capacity(indexed, out.byteLengthsLayout, out.byteLengthsRows));
          stores.add(out.byteLengths);
          components.add(out.spec.name());
        }
      }
      long copyStart = System.nanoTime();
      if (!indexed) {
        if (plan == Plan.WALK_AHEAD) {
          writeWalkingAhead(outputs);
        } else {
          writeInFileOrder(outputs);
        }
        rows = ranges.stream().mapToLong(Range::count).sum();
        for (FeatureOutput o : outputs) {
          o.mainRows = rows; // every output of these plans is one fixed row per record
        }
        progress.finish(rows);
      } else {
        List<Task> tasks = new ArrayList<>();
        for (int k = 0; k < ranges.size(); k++) {
          tasks.add(taskOf(ranges.get(k), k, outputs));
        }
        if (orderedRows == null) {
          writeAll(outputs, tasks, false);
        } else {
          writeInOrder(outputs, tasks, counts);
        }
      }
      writeLastRowSplits(outputs);
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
      long batches = batchesRead >= 0 ? batchesRead : ranges.size();
      List<StagedFile> index = ExportCommit.publish(destination, format, stores, entries, rows,
          () -> Manifest.toJson(entries, batches, rows, rows, elapsed / 1e9, copyNanos / 1e9));
      List<ExportedArray> arrays = ExportCommit.mapPublished(format, stores, entries, index);
      success = true;
      return new ExportResult(dir, arrays, rows, batches, bytes, rows, System.nanoTime() - start, copyNanos);
    } finally {
      if (!success) {
        stores.forEach(RowStore::abort);
        OutputDirectory.removeMadeDirectories(dir, created, createdParents);
      } else {
        stores.forEach(RowStore::close);
      }
    }
  }

  /** Output name to its file relative to {@code dir}; two features on one file are refused, naming both. */
  private Map<String, String> fileNames(Path dir, StoreFormat format) {
    Map<String, String> fileByName = new LinkedHashMap<>();
    Map<String, String> featureOf = new LinkedHashMap<>();
    for (int f = 0; f < features.size(); f++) {
      String feature = features.get(f).name();
      for (String name : outputNames(f)) {
        String file = dir.relativize(format.target(dir, name)).toString();
        String other = featureOf.putIfAbsent(name, feature);
        if (other != null) {
          throw new IllegalArgumentException("features '" + other + "' and '" + feature + "' would both be written to "
              + file + "; rename or drop one of them");
        }
        fileByName.put(name, file);
      }
    }
    return fileByName;
  }

  /** A whole range of the plan as a task: its values from the counts. */
  private Task taskOf(Range r, int k, List<FeatureOutput> outputs) {
    long[] start = unset(outputs.size());
    long[] end = unset(outputs.size());
    long[] stepStart = unset(outputs.size());
    long[] stepEnd = unset(outputs.size());
    for (int f = 0; f < outputs.size(); f++) {
      FeatureOutput o = outputs.get(f);
      if (o.valuesPlaced(job.varLen())) {
        start[f] = o.valueStart[k];
        end[f] = o.valueStart[k + 1];
      }
      if (o.featureList) {
        stepStart[f] = o.stepStart[k];
        stepEnd[f] = o.stepStart[k + 1];
      }
    }
    return new Task(r, start, end, stepStart, stepEnd);
  }

  /** {@code n} entries of -1: no value or step of any feature. */
  private static long[] unset(int n) {
    long[] a = new long[n];
    Arrays.fill(a, -1);
    return a;
  }

  /**
   * {@code row_splits[rows]}, the total (of a feature list: its steps, and {@code step_splits[steps]},
   * its values): the range writers write {@code row_splits[r]} for each of their rows, so the last
   * entry (the only one when there are no rows) is written here, by the export that owns it.
   */
  private void writeLastRowSplits(List<FeatureOutput> outputs) throws IOException {
    for (FeatureOutput o : outputs) {
      if (o.featureList) {
        writeLast(o.second, rows, o.totalSteps());
        if (o.stepSplits != null) {
          writeLast(o.stepSplits, o.totalSteps(), o.totalValues());
        }
      } else if (ragged(o.spec)) {
        writeLast(o.second, rows, o.totalValues());
      }
    }
  }

  private static void writeLast(RowStore splits, long row, long total) throws IOException {
    RowStores.fill(splits, row, 1, (window, done) -> window.bytes().set(LONG_LE, 0, total));
  }

  private long finishedRowsOf(RowStore s, List<FeatureOutput> outputs) {
    for (FeatureOutput o : outputs) {
      if (o.main == s) {
        return o.mainRows;
      }
      if (o.second == s) {
        return o.secondRows;
      }
      if (o.stepSplits == s) {
        return o.stepSplitsRows;
      }
      if (o.shapes == s) {
        return rows;
      }
      if (o.byteLengths == s) {
        return o.byteLengthsRows;
      }
    }
    throw new IllegalStateException("store of no feature: " + s.target());
  }

  /**
   * A store's capacity: exact on the indexed plan. On a plan without an index, growable from the
   * estimate of the rows, but reserving no more bytes than the plain inputs hold: the estimate
   * takes the first record's length for every record's, and a short first record would otherwise
   * reserve many times the output; growth doubles from there.
   */
  private StoreCapacity capacity(boolean indexed, RowLayout layout, long storeRows) {
    if (indexed) {
      return StoreCapacity.exact(storeRows);
    }
    long rowBytes = layout.rowBytes();
    return StoreCapacity.growable(rowBytes == 0 ? storeRows
        : Math.min(Math.min(storeRows, inputBytes / rowBytes), estimateRowsLimit));
  }

  /**
   * Rows the stores of a plan without an index over compressed files are first made for at most:
   * as many as half the free space of the output's file system holds. Their first size is then a
   * guess taken from the first file (its trailer's length, its first record's), reserved on disk at
   * once; a guess far too large (a first file that compresses much better than the others) must not
   * fail with a full disk a conversion whose output fits. The other half stays for the headers, the
   * manifest and whatever else writes there; past it the stores grow, as for any guess too small.
   * A plain file's guess is bounded by its size, and a full disk is better found before the parse.
   */
  private long estimateRowsLimit = Long.MAX_VALUE;

  private static long rowsHalfTheFreeSpaceHolds(Path dir, List<FeatureOutput> outputs) {
    long bytesPerRow = 0;
    for (FeatureOutput o : outputs) {
      for (RowLayout layout : o.layouts()) { // no byte-length column: plans without an index write .npy only
        bytesPerRow += layout.rowBytes();
      }
    }
    if (bytesPerRow == 0) {
      return Long.MAX_VALUE;
    }
    try {
      return Files.getFileStore(dir).getUsableSpace() / 2 / bytesPerRow;
    } catch (IOException e) {
      return Long.MAX_VALUE; // a file system that does not tell: the guess stands
    }
  }

  /** A store in the job's format; a failure (full disk, a file in the way) names the feature. */
  private RowStore create(RowLayout layout, StoreDestination destination, StoreCapacity capacity) throws IOException {
    return new OutputStores(job.format(), destination).createNamed(layout, capacity);
  }

  // ------------------------------------------------------------------ a shard of a shared Zarr store

  /** The plan of a sharded store as every worker computes it alone; set by {@link #planShards}. */
  private ShardPlan shardPlan;
  private String planJson;
  private List<FeatureOutput> shardOutputs;

  /**
   * Plans a Zarr store written as {@code shards} shards: the index, the counts and the arrays'
   * specs, the split of the rows into whole chunk files of every row array, and the plan's JSON
   * that every worker's must equal. The same on every worker given the same arguments, whatever
   * its thread count.
   */
  ShardPlan planShards(int shards) throws IOException {
    if (contexts < features.size()) {
      // TfRecordConversion refuses them first, with what to do; the shard split knows no steps.
      throw new IllegalStateException("shards of tf.train.SequenceExample records are not supported");
    }
    ZarrStoreFormat zarr = zarrFormat();
    plan(Math.multiplyExact(job.threads() * RANGES_PER_THREAD, shards));
    shardOutputs = layouts(needsCounts() ? countAll() : null);
    long unit = 1;
    List<String> arrays = new ArrayList<>();
    for (FeatureOutput o : shardOutputs) {
      for (RowLayout layout : o.layouts()) {
        ZarrArraySpec a = zarr.spec(layout);
        arrays.add("{\"path\": " + ShardPlan.quote(a.path()) + ", \"chunk_rows\": " + a.chunkRows() + "}");
        if (ragged(o.spec) && layout == o.mainLayout) {
          continue; // values arrays are not row arrays: a values file belongs to the shard its values start in
        }
        long perFile = Math.multiplyExact(a.chunkRows(), a.chunksPerFile());
        unit = Math.multiplyExact(unit / gcd(unit, perFile), perFile);
      }
    }
    shardPlan = new ShardPlan(rows, unit, shards);
    List<String> members = new ArrayList<>();
    members.add("\"store_format\": " + ShardPlan.quote(zarr.format().optionName()));
    members.add("\"compression\": " + ShardPlan.quote(job.compression().name().toLowerCase(Locale.ROOT)));
    members.add("\"codec\": " + ShardPlan.quote(zarr.codec().toString()));
    members.add("\"chunks_per_file\": " + zarr.chunksPerFile());
    members.add("\"features\": [" + String.join(", ", features.stream().map(f -> ShardPlan.quote(f.toString()))
        .toList()) + "]");
    if (features.stream().anyMatch(this::padded)) {
      members.add("\"varlen\": \"pad\", \"pad_values\": " + ShardPlan.quote(new java.util.TreeMap<>(job.padValues())
          .toString()));
    }
    members.add("\"arrays\": [" + String.join(", ", arrays) + "]");
    List<ShardPlan.Input> inputs = new ArrayList<>();
    for (TfRecordIndex index : indexes) {
      inputs.add(new ShardPlan.Input(index.path(), Files.size(index.path()), index.count()));
    }
    planJson = shardPlan.toJson(inputs, members);
    return shardPlan;
  }

  /** The plan's JSON, as the store's ledger holds it; after {@link #planShards}. */
  String planJson() {
    return planJson;
  }

  private ZarrStoreFormat zarrFormat() {
    if (!(job.format() instanceof ZarrStoreFormat zarr)) {
      throw new IllegalStateException("shards write Zarr stores, not " + job.format());
    }
    return zarr;
  }

  private static long gcd(long a, long b) {
    return b == 0 ? a : gcd(b, a % b);
  }

  private static long ceilTo(long x, long unit) {
    return (x + unit - 1) / unit * unit;
  }

  /**
   * Joins the store's ledger as {@code shard} (refused when the store was planned otherwise),
   * writes the shard's chunks unless it is already done, marks it done, and when {@code finish}
   * and every shard is done writes the store's metadata.
   */
  TfRecordConversion.ShardOutcome runShard(Shard shard, boolean finish) throws IOException {
    long start = System.nanoTime();
    progress.start(start, 0, -1);
    planShards(shard.count());
    Path store = job.directory().toAbsolutePath().normalize();
    Files.createDirectories(store);
    ShardLedger ledger = ShardLedger.join(store, shard, planJson, job.durable());
    ShardPlan.Range part = shardPlan.range(shard);
    boolean alreadyDone = ledger.isDone(shard.index());
    if (!alreadyDone) {
      ledger.markDone(part, writePart(store, part));
    }
    boolean complete = finish && finishShards(ledger);
    return new TfRecordConversion.ShardOutcome(shard, part, shardPlan.rows(), shardPlan.chunks(), alreadyDone,
        complete, System.nanoTime() - start);
  }

  /**
   * Writes the chunks of {@code part} into the shared store: its rows of every row array, and of
   * each ragged feature's values the files that start in its values. Returns, per values array, the
   * values before the part's end (recorded in its done marker).
   */
  private Map<String, Long> writePart(Path storeDir, ShardPlan.Range part) throws IOException {
    List<FeatureOutput> outputs = shardOutputs;
    ZarrStoreFormat zarr = zarrFormat();
    long a = part.firstRow();
    long b = part.endRow();
    boolean lastShard = part.shard() == shardPlan.shards() - 1;
    progress.expect(b - a);
    long[] before = valuesBefore(outputs, a);
    long[] upTo = valuesBefore(outputs, b);
    Map<String, Long> valueEnds = new LinkedHashMap<>();
    List<RowStore> stores = new ArrayList<>();
    boolean success = false;
    try (ZarrStore store = ZarrStore.shared(storeDir, zarr.format(), job.durable())) {
      for (int f = 0; f < outputs.size(); f++) {
        FeatureOutput o = outputs.get(f);
        if (ragged(o.spec)) {
          ZarrArraySpec values = zarr.spec(o.mainLayout);
          long perFile = values.chunkRows() * values.chunksPerFile();
          long total = o.totalValues();
          long ownedFirst = Math.min(ceilTo(before[f], perFile), total);
          long ownedEnd = lastShard ? total : upTo[f] > ownedFirst ? Math.min(ceilTo(upTo[f], perFile), total) : ownedFirst;
          o.valuesOwnedEnd = ownedEnd;
          o.main = part(store, o.mainLayout, ownedFirst, ownedEnd, total);
          o.second = part(store, o.secondLayout, a, lastShard ? rows + 1 : b, rows + 1);
          valueEnds.put(o.mainLayout.name(), upTo[f]);
        } else {
          o.main = part(store, o.mainLayout, a, b, rows);
          if (o.secondLayout != null) {
            o.second = part(store, o.secondLayout, a, b, rows);
          }
        }
        stores.add(o.main);
        if (o.second != null) {
          stores.add(o.second);
        }
      }
      List<Task> tasks = new ArrayList<>();
      List<Task> tail = new ArrayList<>();
      for (int k = 0; k < ranges.size(); k++) {
        Range r = ranges.get(k);
        if (r.endRow() > a && r.firstRow() < b) {
          tasks.add(clipped(r, k, Math.max(a, r.firstRow()), Math.min(b, r.endRow()), outputs, before, upTo));
        }
        // Past the part's rows, only to complete the values files that start inside its values.
        if (r.endRow() > b && outputs.stream().anyMatch(o -> o.valuesOwnedEnd != Long.MAX_VALUE)) {
          tail.add(clipped(r, k, Math.max(b, r.firstRow()), r.endRow(), outputs, upTo, null));
        }
      }
      writeAll(outputs, tasks, false);
      for (Task t : tail) {
        // The tail is read in order and only as far as a values file is still open (usually a few records).
        if (valuesOwnedEndReached(outputs, t)) {
          break;
        }
        writeAll(outputs, List.of(t), true);
      }
      if (lastShard) {
        writeLastRowSplits(outputs);
      }
      for (FeatureOutput o : outputs) {
        o.main.finish(o.mainRows);
        if (o.second != null) {
          o.second.finish(o.secondRows);
        }
      }
      success = true;
      return valueEnds;
    } finally {
      for (RowStore s : stores) {
        if (success) {
          s.close();
        } else {
          s.abort();
        }
      }
    }
  }

  /** True when a tail task starts at or past every ragged feature's owned end: nothing left to write. */
  private static boolean valuesOwnedEndReached(List<FeatureOutput> outputs, Task t) {
    for (int f = 0; f < outputs.size(); f++) {
      if (t.valueStart()[f] >= 0 && t.valueStart()[f] < outputs.get(f).valuesOwnedEnd) {
        return false;
      }
    }
    return true;
  }

  private RowStore part(ZarrStore store, RowLayout layout, long ownedFirst, long ownedEnd, long total)
      throws IOException {
    try {
      return ZarrPartStore.create(store, zarrFormat().spec(layout), layout, ownedFirst, ownedEnd, total,
          job.durable());
    } catch (IOException e) {
      throw new ExportException("writing failed: " + e.getMessage(), layout.name(), -1, e);
    }
  }

  /**
   * Rows {@code [lo, hi)} of range {@code k} as a task; {@code lo} past the range's start has the values
   * {@code atLo} before it, {@code hi} before its end {@code atHi} (null: {@code hi} is the range's end).
   */
  private Task clipped(Range r, int k, long lo, long hi, List<FeatureOutput> outputs, long[] atLo, long[] atHi) {
    Task whole = taskOf(r, k, outputs);
    int skip = Math.toIntExact(lo - r.firstRow());
    Range sub = skip == 0 && hi == r.endRow() ? r : new Range(r.index(), r.file(), r.firstRecord() + skip,
        Math.toIntExact(hi - lo), r.seekable() ? indexes.get(r.index()).offset(r.firstRecord() + skip) : r.offset(),
        r.seekable(), lo);
    long[] start = whole.valueStart().clone();
    long[] end = whole.valueEnd().clone();
    for (int f = 0; f < outputs.size(); f++) {
      if (start[f] >= 0) {
        if (lo != r.firstRow()) {
          start[f] = atLo[f];
        }
        if (hi != r.endRow()) {
          end[f] = atHi[f];
        }
      }
    }
    return new Task(sub, start, end, whole.stepStart(), whole.stepEnd()); // no feature list in a shard
  }

  /**
   * Per feature, the values of a ragged feature in rows {@code [0, row)}: from the counts, plus a
   * count of the rows of {@code row}'s range before it (-1 for other features).
   */
  private long[] valuesBefore(List<FeatureOutput> outputs, long row) throws IOException {
    long[] values = new long[outputs.size()];
    Arrays.fill(values, -1);
    int k = rangeHolding(row);
    RangeCounts partial = null;
    if (k >= 0 && row > ranges.get(k).firstRow() && outputs.stream().anyMatch(o -> ragged(o.spec))) {
      Range r = ranges.get(k);
      Range head = new Range(r.index(), r.file(), r.firstRecord(), Math.toIntExact(row - r.firstRow()), r.offset(),
          r.seekable(), r.firstRow());
      partial = countRange(head);
    }
    for (int f = 0; f < outputs.size(); f++) {
      FeatureOutput o = outputs.get(f);
      if (ragged(o.spec)) {
        values[f] = k < 0 ? o.totalValues() : o.valueStart[k] + (partial == null ? 0 : partial.values[f]);
      }
    }
    return values;
  }

  /** The range holding row {@code row}, or -1 past the last row. */
  private int rangeHolding(long row) {
    for (int k = 0; k < ranges.size(); k++) {
      if (row < ranges.get(k).endRow()) {
        return k;
      }
    }
    return -1;
  }

  /**
   * Writes the store's metadata when every shard is done (the same bytes, whoever does it; the bytes
   * a one-process export of the same inputs writes); false, writing nothing, while a shard is missing.
   * After {@link #planShards}.
   */
  boolean finishShards(ShardLedger ledger) throws IOException {
    if (!ledger.allDone()) {
      return false;
    }
    ZarrStoreFormat zarr = zarrFormat();
    Path dir = job.directory().toAbsolutePath().normalize();
    Map<ZarrArraySpec, Long> shapes = new LinkedHashMap<>();
    List<Manifest.Entry> entries = new ArrayList<>();
    for (FeatureOutput o : shardOutputs) {
      for (RowLayout layout : o.layouts()) {
        long n = layout == o.mainLayout ? o.mainRows : layout == o.shapesLayout ? rows : o.secondRows;
        ZarrArraySpec spec = zarr.spec(layout);
        shapes.put(spec, n);
        String component = layout == o.secondLayout && padded(o.spec) ? layout.name() : o.spec.name();
        entries.add(new Manifest.Entry(layout.name(), component, dir.relativize(zarr.target(dir, layout.name()))
            .toString(), layout.dtype().descr(), layout.shapeWithRows(n)));
      }
    }
    for (ZarrArraySpec a : shapes.keySet()) {
      removeTemporaryFiles(dir.resolve(a.path()));
    }
    // The root attributes the one-process export writes for the same arrays.
    ZarrStore.commitMetadata(dir, zarr.format(), job.durable(), shapes, Manifest.attributes(entries, rows));
    ledger.markComplete();
    return true;
  }

  /** Work files of killed workers: harmless to readers, removed once no worker writes any more. */
  private static void removeTemporaryFiles(Path arrayDir) throws IOException {
    if (!Files.isDirectory(arrayDir)) {
      return;
    }
    // Another worker may finish at the same moment and remove the same files: one gone is no error.
    Files.walkFileTree(arrayDir, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        if (TemporaryFiles.isTemporary(file)) {
          Files.deleteIfExists(file);
        }
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFileFailed(Path file, IOException e) {
        return FileVisitResult.CONTINUE;
      }
    });
  }

  // ------------------------------------------------------------------ plan

  /** Indexes every file and cuts each into at most {@code parts} ranges of whole records. */
  private void plan(int parts) throws IOException {
    for (TfRecordIndex index : indexAll()) { // each within the limit
      int i = indexes.size();
      indexes.add(index);
      boolean seekable = job.compression() == TfRecordCompression.NONE;
      List<TfRecordIndex.Range> pieces = seekable ? index.split(parts)
          : index.count() == 0 ? List.of() : List.of(new TfRecordIndex.Range(0, index.count(), 0));
      for (TfRecordIndex.Range p : pieces) {
        ranges.add(new Range(i, index.path(), p.first(), p.count(), p.offset(), seekable, rows + p.first()));
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
    List<Path> files = job.files();
    int threads = job.threads();
    List<TfRecordIndex> built = new ArrayList<>();
    if (job.limit() != Long.MAX_VALUE || threads == 1 || files.size() == 1) {
      long left = job.limit();
      for (Path file : files) {
        if (left == 0) {
          break;
        }
        TfRecordIndex index = TfRecordIndex.build(file, job.compression(), left, threads);
        built.add(index);
        left -= index.count();
      }
      return built;
    }
    int perFile = Math.max(1, threads / files.size());
    ExecutorService pool = daemonPool(Math.min(threads, files.size()), "tensorslab-index");
    try {
      List<Future<TfRecordIndex>> futures = new ArrayList<>();
      for (Path file : files) {
        futures.add(pool.submit(() -> TfRecordIndex.build(file, job.compression(), Long.MAX_VALUE, perFile)));
      }
      for (Future<TfRecordIndex> f : futures) {
        try {
          built.add(f.get());
        } catch (ExecutionException e) {
          futures.forEach(x -> x.cancel(true));
          throw unwrap(e.getCause());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("conversion interrupted");
        }
      }
      return built;
    } finally {
      pool.shutdownNow();
    }
  }

  private boolean needsCounts() {
    if (contexts < features.size()) {
      return true; // every range starts its feature lists' steps and values where the count says
    }
    for (int f = 0; f < features.size(); f++) {
      FeatureSpec spec = features.get(f);
      // A raw-<type> feature's row has a fixed size: no count needed, unless no bytes value can be
      // that long (2 GiB at most): then the count pass fails on the first record, before a file
      // of impossible rows is made.
      // Before TensorFlow decodes a value (an image, a raw-<type>), the count pass checks it, naming
      // the record, and finds each image's size from its header.
      if (spec.variableLength() || spec.isImage() || rawBytes[f] > Integer.MAX_VALUE
          || (orderedRows != null && rawBytes[f] >= 0)
          || (spec.dtype() == FeatureSpec.Dtype.BYTES && rawBytes[f] < 0)) {
        return true;
      }
    }
    return false;
  }

  private RangeCounts[] countAll() throws IOException {
    RangeCounts[] counts = new RangeCounts[ranges.size()];
    forEachRange(ranges, (index, r, reader, p) -> counts[index] = countRange(r, reader, p));
    return counts;
  }

  /** Counts one range on the caller's thread. */
  private RangeCounts countRange(Range r) throws IOException {
    try (TfRecordReader reader = open(r)) {
      return countRange(r, reader, parse.copy());
    }
  }

  private RangeCounts countRange(Range r, TfRecordReader reader, RecordParse p) throws IOException {
    RangeCounts c = new RangeCounts(features.size());
    readRange(r, reader, p, (row, s) -> {
      for (int f = 0; f < features.size(); f++) {
        if (isFeatureList(f)) {
          StepValues steps = s.steps(f);
          c.steps[f] += steps.steps();
          countValues(c, f, steps);
          continue;
        }
        RowValues v = s.values(f);
        if (rawBytes[f] >= 0) {
          FeatureRowWriter.checkRawLength(features.get(f), rawBytes[f], v, r, row); // failing here, before any file exists
          continue;
        }
        FeatureSpec spec = features.get(f);
        if (spec.isImage()) {
          // Images are Example features, parsed by FeatureSelection: their values are FeatureValues.
          MemorySegment encoded = ((FeatureValues) v).bytesAt(0);
          ImageHeader h = TfRecordPrescan.checkImage(spec, encoded, r.file(), r.firstRecord() + (row - r.firstRow()));
          c.values[f] += h.height() * h.width() * spec.shape().get(2);
          c.imageHeight[f] = Math.max(c.imageHeight[f], h.height());
          c.imageWidth[f] = Math.max(c.imageWidth[f], h.width());
          continue;
        }
        c.longestRow[f] = Math.max(c.longestRow[f], v.count());
        c.shortestRow[f] = Math.min(c.shortestRow[f], v.count());
        countValues(c, f, v);
      }
    }, null);
    return c;
  }

  /** Adds the values of feature {@code f} in one row to its count, and the longest of its bytes values. */
  private void countValues(RangeCounts c, int f, RowValues v) {
    int n = v.count();
    c.values[f] += n;
    if (features.get(f).dtype() == FeatureSpec.Dtype.BYTES) {
      for (int i = 0; i < n; i++) {
        c.longestBytes[f] = Math.max(c.longestBytes[f], v.bytesLength(i));
      }
    }
  }

  /** Every feature's outputs: dtypes, row shapes and sizes, from the plan and the counts. */
  private List<FeatureOutput> layouts(RangeCounts[] counts) throws IOException {
    List<FeatureOutput> outputs = new ArrayList<>();
    for (int f = 0; f < features.size(); f++) {
      outputs.add(FeatureOutput.plan(job, features.get(f), f, isFeatureList(f), counts, ranges.size(), rows));
    }
    return outputs;
  }

  /** The largest height and width per {@code image:*,*,C} feature, for TensorFlow to pad its image batches to. */
  private Map<String, long[]> imageSizes(RangeCounts[] counts) {
    Map<String, long[]> sizes = new LinkedHashMap<>();
    for (int f = 0; f < features.size(); f++) {
      if (features.get(f).imageSizeVaries()) {
        sizes.put(features.get(f).name(), FeatureOutput.imageSize(features.get(f), f, counts));
      }
    }
    return sizes;
  }

  // ------------------------------------------------------------------ plans without an index

  /** Bytes the walk-ahead plan's first writer reserves at a time, and its counter counts at a time: at most. */
  private static final long WALK_AHEAD_MAX_STEP = 8L << 20;
  /**
   * Bytes of the inputs' record streams, taken with the estimate of their records: the plain
   * files' sizes; for GZIP files a guess from the first file's trailer; 0 for ZLIB files.
   */
  private long inputBytes;
  /** Bytes of the input files as they are on disk (compressed, for compressed files). */
  private long inputFileBytes;

  /**
   * The records of the inputs if each were as long as the first record: the first capacity of
   * the stores of a plan without an index, which grow past it. One file is opened, for that
   * record's length (and, GZIP, for its trailer); the others' sizes are enough. A ZLIB stream does
   * not tell its length: none. Also takes the files' sizes, {@link #inputFileBytes}.
   */
  private long estimatedRecords() throws IOException {
    inputBytes = 0;
    boolean gzip = job.compression() == TfRecordCompression.GZIP;
    long[] sizes = fileSizes();
    long total = 0;
    Path first = null;
    long firstSize = 0;
    for (int i = 0; i < sizes.length; i++) {
      total += sizes[i];
      if (first == null && sizes[i] >= (gzip ? GZIP_SMALLEST : 8)) {
        first = job.files().get(i);
        firstSize = sizes[i];
      }
    }
    inputFileBytes = total;
    if (first == null || (job.compression() != TfRecordCompression.NONE && !gzip)) {
      return 0;
    }
    long firstLength;
    if (gzip) {
      long stream = gzipStreamBytes(first, firstSize);
      if (stream <= 0) {
        return 0;
      }
      // Every file as compressible as the first; never past what deflate can expand to.
      double ratio = Math.min((double) stream / firstSize, GZIP_MAX_RATIO);
      inputBytes = (long) (total * ratio);
      firstLength = Math.min(firstGzipRecordLength(first), stream);
    } else {
      inputBytes = total;
      firstLength = firstRecordLength(first, firstSize);
    }
    return firstLength < 0 ? 0 : inputBytes / (16 + firstLength);
  }

  /** Bytes of the smallest GZIP member: a 10-byte header, an empty deflate block, an 8-byte trailer. */
  private static final long GZIP_SMALLEST = 20;
  /** Deflate's largest expansion, about 1032 to 1: a trailer claiming more is not believed. */
  private static final double GZIP_MAX_RATIO = 1032;

  /**
   * The uncompressed length a GZIP file's trailer gives (ISIZE: of its last member, modulo
   * 2^32, so at most the stream's length); -1 when it cannot be read.
   */
  private static long gzipStreamBytes(Path file, long size) throws IOException {
    return littleEndianAt(file, size - 4, 4).orElse(-1);
  }

  /**
   * The length field of a GZIP file's first header, from the start of its stream; -1 when it
   * cannot be read (not GZIP, cut short: the reader will say so).
   */
  private static long firstGzipRecordLength(Path file) {
    try (InputStream in = new GZIPInputStream(Files.newInputStream(file), 512)) {
      byte[] header = in.readNBytes(8);
      return header.length < 8 ? -1 : ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN).getLong();
    } catch (IOException e) {
      return -1;
    }
  }

  /**
   * The length field of the file's first header, within {@code [0, size]} (a damaged one: the
   * reader will say so); -1 when the file shrank below a header since its size was taken.
   */
  private static long firstRecordLength(Path file, long size) throws IOException {
    OptionalLong length = littleEndianAt(file, 0, 8);
    return length.isEmpty() ? -1 : Math.clamp(length.getAsLong(), 0, size);
  }

  /**
   * The little-endian number of {@code bytes} (4, unsigned, or 8) bytes at {@code position} of
   * {@code file}; empty when the file ends before them.
   */
  private static OptionalLong littleEndianAt(Path file, long position, int bytes) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer b = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
      while (b.hasRemaining() && ch.read(b, position + b.position()) > 0) {
        // read until the bytes are there or the file ends
      }
      if (b.hasRemaining()) {
        return OptionalLong.empty();
      }
      return OptionalLong.of(bytes == 4 ? Integer.toUnsignedLong(b.getInt(0)) : b.getLong(0));
    }
  }

  /** The in-file-order plan: one range writer, on the calling thread, through every file. */
  private void writeInFileOrder(List<FeatureOutput> outputs) throws IOException {
    ranges.addAll(writeOnward(outputs, 0, 0, 0, 0, null, null));
  }

  /**
   * One range writer through the files, from record {@code record} at byte {@code offset} of file
   * {@code file} (its row {@code row}) to the end of the last file, each file an open range whose
   * rows follow the last one's. With {@code split} (the walk-ahead plan's first writer), only up to
   * the record start, in the files' bytes end to end ({@code start}: where each file begins), that
   * the split says is not its own.
   *
   * @return one range per file that held records, as the indexed plan's
   */
  private List<Range> writeOnward(List<FeatureOutput> outputs, int file, int record, long offset, long row,
      WalkAheadSplit split, long[] start) throws IOException {
    List<Range> written = new ArrayList<>();
    RecordParse p = parse.copy();
    boolean plain = job.compression() == TfRecordCompression.NONE;
    for (int i = file; i < job.files().size(); i++) {
      long fileStart = split == null ? 0 : start[i];
      if (split != null && !split.firstWriterTakes(fileStart)) {
        break; // the split is where this file begins
      }
      Range r = new Range(i, job.files().get(i), i == file ? record : 0, -1, i == file ? offset : 0, plain, row);
      try (TfRecordReader reader = open(r)) {
        Range done = r.withCount(writeRange(outputs, taskOf(r, 0, outputs), reader, p,
            split == null ? null : w -> !split.firstWriterTakes(fileStart + reader.nextOffset())));
        if (done.count() > 0) {
          written.add(done);
        }
        row = done.endRow();
        if (split != null && reader.nextOffset() < reader.fileSize()) {
          break; // stopped at the split, inside this file
        }
      }
    }
    return written;
  }

  /**
   * The walk-ahead plan's two range writers ({@link WalkAheadSplit}) over the plain files as if end
   * to end: the first parses from the first record at once; the second counts records from the
   * first byte until it claims the split, then parses the rest from the row it counted to. The
   * stores grow as the rows come; {@link #ranges} gets what each wrote. When either writer fails,
   * the other stops at its next record or counted stretch and the first failure is thrown.
   */
  private void writeWalkingAhead(List<FeatureOutput> outputs) throws IOException {
    List<Path> files = job.files();
    long[] sizes = fileSizes();
    long[] start = new long[files.size() + 1];
    for (int i = 0; i < files.size(); i++) {
      start[i + 1] = start[i] + sizes[i];
    }
    long step = Math.clamp(start[files.size()] / 64, 4096, WALK_AHEAD_MAX_STEP);
    WalkAheadSplit split = new WalkAheadSplit(step);
    AtomicReference<Throwable> firstFailure = new AtomicReference<>();
    ExecutorService pool = daemonPool(2, "tensorslab-range-writer");
    Future<List<Range>> headWritten;
    Future<List<Range>> tailWritten;
    try {
      headWritten = pool.submit(() -> failingFast(firstFailure, () -> writeOnward(outputs, 0, 0, 0, 0, split, start)));
      tailWritten = pool.submit(() -> failingFast(firstFailure, () -> countThenWrite(outputs, start, split, step)));
      pool.shutdown();
      awaitRanges(pool);
    } finally {
      pool.shutdownNow();
    }
    if (firstFailure.get() != null) {
      throw unwrap(firstFailure.get());
    }
    List<Range> head = headWritten.resultNow();
    List<Range> tail = tailWritten.resultNow();
    long headRows = head.isEmpty() ? 0 : head.getLast().endRow();
    if (!tail.isEmpty() && tail.getFirst().firstRow() != headRows) {
      Range first = tail.getFirst();
      throw new TfRecordException("the first range writer wrote " + headRows + " rows, the count before the split"
          + " was " + first.firstRow() + " (changed while reading?)", first.file(), first.firstRecord(), null, -1, null);
    }
    ranges.addAll(head);
    ranges.addAll(tail);
  }

  /** Runs {@code task}; its failure, the first of the plan's, also stops the other range writer. */
  private <T> T failingFast(AtomicReference<Throwable> firstFailure,
      Callable<T> task) throws Exception {
    try {
      return task.call();
    } catch (Throwable t) {
      if (firstFailure.compareAndSet(null, t)) {
        firstFailedRow = -1; // both ranges stop at their next record (see readRange)
      }
      throw t;
    }
  }

  /**
   * The walk-ahead plan's second thread: counts records a step at a time, file after file, until the
   * bytes after the count are no more than those the first writer has yet to parse (its reservation
   * tells how far it may have come), claims the split there and writes the rest from it.
   *
   * @return the ranges written; none when the first writer reached the end before a split
   */
  private List<Range> countThenWrite(List<FeatureOutput> outputs, long[] start, WalkAheadSplit split, long step)
      throws IOException {
    long total = start[start.length - 1];
    long recordsBefore = 0; // in the files before this one
    for (int i = 0; i < job.files().size(); i++) {
      Path file = job.files().get(i);
      long size = start[i + 1] - start[i];
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
        TfRecordIndex.Counter counter = new TfRecordIndex.Counter(file, ch);
        while (counter.position() < size) {
          if (firstFailedRow < 0) {
            throw new ExportCancelledException("the other range failed", -1);
          }
          counter.countTo(counter.position() + step);
          long at = start[i] + counter.position();
          if (at < total && at - split.reserved() >= total - at && split.trySplitAt(at)) {
            return writeOnward(outputs, i, Math.toIntExact(counter.records()), counter.position(),
                recordsBefore + counter.records(), null, null);
          }
        }
        recordsBefore += counter.records();
      }
    }
    return List.of();
  }

  // ------------------------------------------------------------------ range writers

  /**
   * Runs a range writer per task, on the job's threads. With {@code stopWhenValuesOwned}, a task
   * stops at the first record past which no ragged feature has values left to write (a shard's tail).
   */
  private void writeAll(List<FeatureOutput> outputs, List<Task> tasks, boolean stopWhenValuesOwned)
      throws IOException {
    List<Range> taskRanges = tasks.stream().map(Task::range).toList();
    forEachRange(taskRanges, (index, r, reader, p) -> writeRange(outputs, tasks.get(index), reader, p,
        stopWhenValuesOwned ? FeatureRowWriter::valuesOwnedWritten : null));
  }

  /**
   * One range writer: parses the task's records and writes their rows; stops early, before a
   * record, when {@code stop} says so of the writer.
   *
   * @return records written
   */
  private int writeRange(List<FeatureOutput> outputs, Task task, TfRecordReader reader, RecordParse p,
      Predicate<FeatureRowWriter> stop) throws IOException {
    FeatureRowWriter w = new FeatureRowWriter(outputs, task, rawBytes, job.varLen(), progress);
    w.countInput(reader::fileBytesRead);
    try {
      int records = readRange(task.range(), reader, p, w::write, stop == null ? null : () -> stop.test(w));
      w.report();
      w.checkValuesComplete();
      return records;
    } finally {
      w.close();
    }
  }

  /**
   * Writes every task's rows, in row order, from the {@linkplain #orderedRows ordered rows} (one
   * range writer at a time, on the calling thread): TensorFlow's parse instead of the native reader's.
   */
  private void writeInOrder(List<FeatureOutput> outputs, List<Task> tasks, RangeCounts[] counts) throws IOException {
    try (RowSource.Ordered source = orderedRows.open(imageSizes(counts))) {
      for (Task task : tasks) {
        FeatureRowWriter w = new FeatureRowWriter(outputs, task, rawBytes, job.varLen(), progress);
        try {
          Range r = task.range();
          for (long row = r.firstRow(); row < r.endRow(); row++) {
            RowSource values = source.next();
            if (values == null) {
              throw new TfRecordException("TensorFlow read " + row + " records, the index counted " + rows
                  + " (changed while reading?)", r.file(), r.firstRecord() + (row - r.firstRow()), null, -1, null);
            }
            w.write(row, values);
          }
          w.report();
          w.checkValuesComplete();
        } finally {
          w.close();
        }
      }
      if (job.limit() == Long.MAX_VALUE && source.next() != null) {
        throw new TfRecordException("TensorFlow read more than the " + rows + " records the index counted"
            + " (changed while reading?)", job.files().getLast(), -1, null, -1, null);
      }
      batchesRead = source.batches();
    }
  }

  // ------------------------------------------------------------------ reading ranges

  @FunctionalInterface
  private interface RangeTask {
    void run(int index, Range r, TfRecordReader reader, RecordParse parse) throws IOException;
  }

  @FunctionalInterface
  private interface RowVisitor {
    void visit(long row, RowSource values) throws IOException;
  }

  /**
   * Runs {@code task} over every range of {@code list} on the job's threads (the caller's thread
   * alone for one). When ranges fail, the error of the earliest range is thrown: the same one
   * whatever the thread count.
   */
  private void forEachRange(List<Range> list, RangeTask task) throws IOException {
    int threads = Math.min(job.threads(), Math.max(1, list.size()));
    if (threads == 1) {
      RecordParse p = parse.copy();
      for (int i = 0; i < list.size(); i++) {
        try (TfRecordReader reader = open(list.get(i))) {
          task.run(i, list.get(i), reader, p);
        }
      }
      return;
    }
    ThreadLocal<RecordParse> parses = ThreadLocal.withInitial(parse::copy);
    ExecutorService pool = daemonPool(threads, "tensorslab-range-writer");
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int i = 0; i < list.size(); i++) {
        int index = i;
        Range r = list.get(i);
        futures.add(pool.submit(() -> {
          boolean done = false;
          try (TfRecordReader reader = open(r)) {
            task.run(index, r, reader, parses.get());
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
        } catch (CancellationException e) {
          // cancelled after an earlier range failed
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("conversion interrupted");
        }
      }
      if (first != null) {
        // A cancelled future's get() returns at once, even for a range still running: wait for the
        // ranges under way (they stop at their next record, see readRange) to end before the
        // caller aborts the stores they write into.
        pool.shutdown();
        awaitRanges(pool);
      }
      if (first != null) {
        throw unwrap(first instanceof UncheckedIOException u ? u.getCause() : first);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /** A task's failure as thrown here: an {@code IOException} or unchecked one as it is, anything else wrapped. */
  private static IOException unwrap(Throwable t) {
    if (t instanceof IOException io) {
      return io;
    }
    if (t instanceof RuntimeException re) {
      throw re;
    }
    if (t instanceof Error err) {
      throw err;
    }
    return new IOException(t);
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

  private static void awaitRanges(ExecutorService pool) throws InterruptedIOException {
    try {
      while (!pool.awaitTermination(1, TimeUnit.SECONDS)) {
        // the ranges still running stop at their next record
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("conversion interrupted");
    }
  }

  /**
   * Whether the readers of compressed files inflate on a thread of their own ({@link
   * TfRecordReader#open(Path, TfRecordCompression, boolean)}): where one range writer reads them
   * and the job has more threads.
   */
  private boolean inflateAhead;

  /** A reader at the range's first record: sought to in a plain file; a compressed one is inflated up to it, not parsed. */
  private TfRecordReader open(Range r) throws IOException {
    TfRecordReader reader = TfRecordReader.open(r.file(), job.compression(), inflateAhead);
    boolean success = false;
    try {
      if (r.seekable()) {
        reader.seek(r.firstRecord(), r.offset());
      } else if (r.firstRecord() > 0) {
        reader.checkCrc(false);
        for (int k = 0; k < r.firstRecord(); k++) {
          reader.next();
        }
        reader.checkCrc(true);
      }
      success = true;
      return reader;
    } finally {
      if (!success) {
        reader.close();
      }
    }
  }

  /**
   * Reads the records of range {@code r} (of an open range: to the end of the file); stops, once a
   * range before it has failed, at the next record (its own outcome no longer matters: the earliest
   * failure is reported), and, when {@code stop} says so, before the next record.
   *
   * @return records read
   */
  private int readRange(Range r, TfRecordReader reader, RecordParse p, RowVisitor visitor, BooleanSupplier stop)
      throws IOException {
    boolean open = r.open();
    int k = 0;
    for (; open || k < r.count(); k++) {
      if (r.firstRow() > firstFailedRow) {
        throw new ExportCancelledException("an earlier range failed", -1);
      }
      if (stop != null && stop.getAsBoolean()) {
        return k;
      }
      if (!reader.next()) {
        if (open) {
          return k;
        }
        throw new TfRecordException("file ended before record " + (r.firstRecord() + k)
            + ", which it held when indexed (changed while reading?)", r.file(), r.firstRecord() + k, null, -1, null);
      }
      RowSource row;
      try {
        row = p.parse(reader.record());
      } catch (MalformedExampleException e) {
        throw ExampleRecords.located(reader, e);
      }
      visitor.visit(r.firstRow() + k, row);
    }
    return k;
  }
}

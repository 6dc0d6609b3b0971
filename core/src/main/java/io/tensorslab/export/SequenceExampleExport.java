package io.tensorslab.export;

import io.tensorslab.npy.NpyDtype;
import io.tensorslab.store.OutputDirectory;
import io.tensorslab.store.RowLayout;
import io.tensorslab.store.RowStore;
import io.tensorslab.store.StagedFile;
import io.tensorslab.store.StoreCapacity;
import io.tensorslab.store.StoreDestination;
import io.tensorslab.store.StoreFormat;
import io.tensorslab.tfrecord.ExampleRecords;
import io.tensorslab.tfrecord.FeatureSpec;
import io.tensorslab.tfrecord.MalformedExampleException;
import io.tensorslab.tfrecord.SequenceExampleView;
import io.tensorslab.tfrecord.SequenceSelection;
import io.tensorslab.tfrecord.SequenceValues;
import io.tensorslab.tfrecord.TfRecordReader;
import io.tensorslab.tfrecord.WireKind;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The native engine for TFRecord files of {@code tf.train.SequenceExample}s: the context features as
 * an {@code Example}'s are written, and each feature list as a ragged array of two levels — records
 * to steps to values — equal to what {@code tf.io.parse_sequence_example} returns for a
 * {@code tf.io.RaggedFeature}:
 * <pre>
 *   NAME.values       every value of every step of every record, in order
 *   NAME.row_splits   records + 1 entries: record r holds steps [row_splits[r], row_splits[r+1])
 *   NAME.step_splits  steps + 1 entries:   step s holds values [step_splits[s], step_splits[s+1])
 * </pre>
 * so that {@code tf.RaggedTensor.from_nested_row_splits(values, (row_splits, step_splits))} is the
 * parsed tensor. A fixed-shape feature list ({@code frames:float32:3}) has one row of
 * {@code NAME.values} per step and no step splits.
 *
 * <p>Two passes over the records on the calling thread: a count (values, steps, longest bytes value
 * per output; a bad record fails here, before any file exists), then the copy into row stores of the
 * job's format, published all or nothing as the {@code Example} engine's are ({@link ExportCommit}).
 * Reached through {@link TfRecordConversion}, which refuses shards and the TensorFlow engine.
 */
final class SequenceExampleExport {

  /** Suffix of a feature list's inner splits: steps to values. */
  static final String STEP_SPLITS_SUFFIX = ".step_splits";

  private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  /** Bytes an appender stages before it writes them to its store. */
  private static final long STAGING_BYTES = 1L << 20;

  /** Records between two progress reports and cancellation checks. */
  private static final int PROGRESS_EVERY_RECORDS = 4096;

  private final TfRecordConversion job;
  private final SequenceSelection selection;
  private final ExportListener listener;
  private final Cancellation cancellation;

  /** {@code listener} and {@code cancellation} may be null. */
  SequenceExampleExport(TfRecordConversion job, ExportListener listener, Cancellation cancellation) {
    this.job = job;
    this.selection = SequenceSelection.of(job.features(), job.sequenceFeatures());
    this.listener = listener;
    this.cancellation = cancellation;
  }

  /** The output names of a context feature or feature list, in the order their stores are made. */
  static List<String> outputNames(FeatureSpec f, boolean featureList) {
    if (!featureList) {
      return f.componentNames();
    }
    List<String> names = new ArrayList<>(List.of(f.name() + FeatureSpec.VALUES_SUFFIX,
        f.name() + FeatureSpec.ROW_SPLITS_SUFFIX));
    if (f.variableLength()) {
      names.add(f.name() + STEP_SPLITS_SUFFIX);
    }
    return names;
  }

  /** What the count pass found, per feature: context features first, then feature lists. */
  private static final class Counts {
    long records;
    final long[] values;
    final long[] steps;
    final long[] longestBytes;

    Counts(int n) {
      values = new long[n];
      steps = new long[n];
      longestBytes = new long[n];
    }
  }

  @FunctionalInterface
  private interface RecordVisitor {
    void visit(SequenceSelection read) throws IOException;
  }

  /**
   * Every record of every file up to the limit, parsed and selected; a bad one fails naming file,
   * record and feature. The cancellation is checked first and every few thousand records, when
   * {@code progress} (if not null) hears of the records read; it hears of the total at the end.
   */
  private long forEachRecord(RecordVisitor visitor, java.util.function.LongConsumer progress) throws IOException {
    checkCancelled();
    SequenceExampleView view = new SequenceExampleView();
    long records = 0;
    for (Path file : job.files()) {
      try (TfRecordReader reader = TfRecordReader.open(file, job.compression())) {
        while (records < job.limit() && reader.next()) {
          try {
            view.parse(reader.record());
            selection.read(view);
          } catch (MalformedExampleException e) {
            throw ExampleRecords.located(reader, e);
          }
          visitor.visit(selection);
          records++;
          if (records % PROGRESS_EVERY_RECORDS == 0) {
            checkCancelled();
            if (progress != null) {
              progress.accept(records);
            }
          }
        }
      }
    }
    if (progress != null && records % PROGRESS_EVERY_RECORDS != 0) {
      progress.accept(records);
    }
    return records;
  }

  private void checkCancelled() throws ExportCancelledException {
    if (cancellation != null && cancellation.isCancelled()) {
      throw new ExportCancelledException("cancel() was called", -1);
    }
  }

  private Counts count() throws IOException {
    int contexts = selection.context().size();
    Counts c = new Counts(contexts + selection.featureLists().size());
    c.records = forEachRecord(read -> {
      for (int f = 0; f < c.values.length; f++) {
        SequenceValues v = f < contexts ? read.context(f) : read.featureList(f - contexts);
        c.values[f] += v.count();
        c.steps[f] += v.steps();
        if (v.kind() == WireKind.BYTES_LIST) {
          for (int i = 0; i < v.count(); i++) {
            c.longestBytes[f] = Math.max(c.longestBytes[f], v.bytesLength(i));
          }
        }
      }
    }, null);
    return c;
  }

  /** One output array: the component it belongs to, its layout, and its rows from the counts. */
  private record Output(String component, RowLayout layout, long rows) {}

  private List<Output> outputs(Counts c) {
    List<Output> out = new ArrayList<>();
    int contexts = selection.context().size();
    for (int f = 0; f < c.values.length; f++) {
      boolean list = f >= contexts;
      FeatureSpec spec = list ? selection.featureLists().get(f - contexts) : selection.context().get(f);
      NpyDtype dtype = switch (spec.dtype()) {
        case FLOAT32 -> NpyDtype.FLOAT32;
        case INT64 -> NpyDtype.INT64;
        // As the Example engines: |S of the longest value, at least 1.
        case BYTES -> NpyDtype.bytes(Math.toIntExact(Math.max(1, c.longestBytes[f])));
      };
      long[] shape = spec.shape().stream().mapToLong(Long::longValue).toArray();
      List<String> names = outputNames(spec, list);
      if (!list && !spec.variableLength()) {
        out.add(new Output(spec.name(), new RowLayout(names.get(0), dtype, shape), c.records));
        continue;
      }
      boolean fixedSteps = list && !spec.variableLength();
      out.add(new Output(spec.name(), new RowLayout(names.get(0), dtype, fixedSteps ? shape : new long[0]),
          fixedSteps ? c.steps[f] : c.values[f]));
      out.add(new Output(spec.name(), new RowLayout(names.get(1), NpyDtype.INT64, new long[0]), c.records + 1));
      if (list && spec.variableLength()) {
        out.add(new Output(spec.name(), new RowLayout(names.get(2), NpyDtype.INT64, new long[0]), c.steps[f] + 1));
      }
    }
    return out;
  }

  /** Converts into {@code .npy} files or one Zarr store; on failure nothing is left at a final path. */
  ExportResult run() throws IOException {
    long start = System.nanoTime();
    Counts counts = count();
    List<Output> outputs = outputs(counts);
    Path dir = job.directory();
    StoreFormat format = job.format();
    boolean created = OutputDirectory.prepare(dir);
    StoreDestination destination = new StoreDestination(dir, job.overwrite(), job.durable());
    List<RowStore> stores = new ArrayList<>();
    List<Path> createdParents = new ArrayList<>();
    boolean success = false;
    try (Arena staging = Arena.ofConfined()) {
      Map<String, String> fileByName = new LinkedHashMap<>();
      for (Output o : outputs) {
        fileByName.put(o.layout().name(), dir.relativize(format.target(dir, o.layout().name())).toString());
      }
      Exporter.checkDestinations(dir, format, job.overwrite(), fileByName, createdParents);
      List<Appender> appenders = new ArrayList<>();
      OutputStores outputStores = new OutputStores(format, destination);
      for (Output o : outputs) {
        RowStore store = outputStores.createNamed(o.layout(), StoreCapacity.exact(o.rows()));
        stores.add(store);
        appenders.add(new Appender(store, staging));
      }
      long copyStart = System.nanoTime();
      long copied = copy(appenders, counts.records, start);
      if (copied != counts.records) {
        throw new ExportException("the inputs changed while converting: " + counts.records + " records counted, "
            + copied + " read again", null, -1, null);
      }
      long copyNanos = System.nanoTime() - copyStart;
      List<Manifest.Entry> entries = new ArrayList<>();
      long bytes = 0;
      for (int i = 0; i < stores.size(); i++) {
        appenders.get(i).flush();
        RowStore s = stores.get(i);
        s.finish(outputs.get(i).rows());
        entries.add(Manifest.entryOf(dir, s, outputs.get(i).component()));
        bytes += outputs.get(i).rows() * s.rowBytes();
      }
      long rows = counts.records;
      long elapsed = System.nanoTime() - start;
      List<StagedFile> index = ExportCommit.publish(destination, format, stores, entries, rows,
          () -> Manifest.toJson(entries, 1, rows, rows, elapsed / 1e9, copyNanos / 1e9));
      List<ExportedArray> arrays = ExportCommit.mapPublished(format, stores, entries, index);
      success = true;
      return new ExportResult(dir, arrays, rows, 1, bytes, rows, System.nanoTime() - start, copyNanos);
    } finally {
      if (!success) {
        stores.forEach(RowStore::abort);
        OutputDirectory.removeMadeDirectories(dir, created, createdParents);
      } else {
        stores.forEach(RowStore::close);
      }
    }
  }

  /** The second pass: every record's values and splits appended, in {@link #outputs} order; the records read. */
  private long copy(List<Appender> appenders, long expectedRecords, long startNanos) throws IOException {
    int contexts = selection.context().size();
    int features = contexts + selection.featureLists().size();
    long[] stepsBefore = new long[features];
    long[] valuesBefore = new long[features];
    // The first entry of every splits array: 0.
    int a = 0;
    for (int f = 0; f < features; f++) {
      FeatureSpec spec = f < contexts ? selection.context().get(f) : selection.featureLists().get(f - contexts);
      boolean list = f >= contexts;
      if (list || spec.variableLength()) {
        appenders.get(a + 1).appendLong(0);
        if (list && spec.variableLength()) {
          appenders.get(a + 2).appendLong(0);
        }
      }
      a += outputNames(spec, list).size();
    }
    java.util.function.LongConsumer progress = listener == null ? null
        : records -> listener.onBatch(new ExportProgress(records, records,
            appenders.stream().mapToLong(Appender::appendedBytes).sum(), System.nanoTime() - startNanos,
            expectedRecords));
    return forEachRecord(read -> {
      int at = 0;
      for (int f = 0; f < features; f++) {
        boolean list = f >= contexts;
        FeatureSpec spec = list ? selection.featureLists().get(f - contexts) : selection.context().get(f);
        SequenceValues v = list ? read.featureList(f - contexts) : read.context(f);
        appenders.get(at).appendValues(v);
        if (list) {
          stepsBefore[f] += v.steps();
          appenders.get(at + 1).appendLong(stepsBefore[f]);
          if (spec.variableLength()) {
            for (int s = 0; s < v.steps(); s++) {
              appenders.get(at + 2).appendLong(valuesBefore[f] + v.stepEnd(s));
            }
          }
        } else if (spec.variableLength()) {
          appenders.get(at + 1).appendLong(valuesBefore[f] + v.count());
        }
        valuesBefore[f] += v.count();
        at += outputNames(spec, list).size();
      }
    }, progress);
  }

  /**
   * Appends items to one store in order through a staging buffer, written with
   * {@link RowStore#write} a whole number of rows at a time; one thread.
   */
  private static final class Appender {
    private final RowStore store;
    private final long itemBytes;
    private final long rowBytes;
    private final MemorySegment buffer;
    private long bufferedBytes;
    private long nextRow;
    /** Bytes appended so far, for progress reports. */
    private long appended;

    Appender(RowStore store, Arena staging) {
      this.store = store;
      this.itemBytes = store.layout().dtype().itemSize();
      this.rowBytes = store.rowBytes();
      long rowsStaged = rowBytes == 0 ? 1 : Math.max(1, STAGING_BYTES / rowBytes);
      this.buffer = staging.allocate(Math.max(1, rowsStaged * rowBytes), 64);
    }

    /** Every value of {@code v}, in runs as long as the staging buffer has room for. */
    void appendValues(SequenceValues v) throws IOException {
      int done = 0;
      while (done < v.count()) {
        makeRoom();
        int n = (int) Math.min(v.count() - done, (buffer.byteSize() - bufferedBytes) / itemBytes);
        v.copyItems(done, n, buffer, bufferedBytes, itemBytes);
        bufferedBytes += n * itemBytes;
        appended += n * itemBytes;
        done += n;
      }
    }

    void appendLong(long value) throws IOException {
      makeRoom();
      buffer.set(LONG_LE, bufferedBytes, value);
      bufferedBytes += 8;
      appended += 8;
    }

    long appendedBytes() {
      return appended;
    }

    private void makeRoom() throws IOException {
      if (bufferedBytes + itemBytes > buffer.byteSize()) {
        flush();
      }
    }

    /** Writes the whole rows staged; a row is only ever staged whole before a flush (items of a row come together). */
    void flush() throws IOException {
      if (rowBytes == 0 || bufferedBytes == 0) {
        return;
      }
      long rows = bufferedBytes / rowBytes;
      store.write(nextRow, buffer, 0, rows);
      nextRow += rows;
      long rest = bufferedBytes - rows * rowBytes;
      MemorySegment.copy(buffer, rows * rowBytes, buffer, 0, rest);
      bufferedBytes = rest;
    }
  }
}

package io.tensorslab.shard;

import io.tensorslab.npy.NpyDtype;
import io.tensorslab.slab.TemporaryFiles;
import io.tensorslab.store.zarr.ZarrArraySpec;
import io.tensorslab.store.zarr.ZarrArrayWriter;
import io.tensorslab.store.RowLayout;
import io.tensorslab.store.zarr.ZarrFormat;
import io.tensorslab.store.zarr.ZarrManifest;
import io.tensorslab.store.zarr.ZarrStore;
import io.tensorslab.store.zarr.ZarrStoreFormat;
import io.tensorslab.tf.FeatureSpec;
import io.tensorslab.tf.TfRecordCompression;
import io.tensorslab.tf.example.ExampleRecords;
import io.tensorslab.tf.example.ExampleView;
import io.tensorslab.tf.example.FeatureSelection;
import io.tensorslab.tf.example.FeatureValues;
import io.tensorslab.tf.example.MalformedExampleException;
import io.tensorslab.tf.example.TfRecordReader;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * One worker's share of a conversion of TFRecord files into one Zarr store that many workers write
 * at once ({@code tensorslab convert --shard I/N}, a Spark task): reads only the records of its
 * rows, writes only its whole chunks, marks its shard done in the store's {@link ShardLedger}, and
 * — if it finds every shard done — writes the store's final metadata.
 *
 * <p>Every worker computes the same {@link Planned plan} alone: a framing walk of all inputs
 * ({@link RecordIndex}) gives the global rows and the byte offset of every plan unit's first
 * record; the unit is the largest chunk (or v3 shard file) of the row arrays, so whole chunks of
 * every array fall in one share. Fixed features are then written from the worker's first record
 * on; nothing before it is parsed.
 *
 * <p><b>Ragged ({@code *}) features</b> are stored as {@code NAME.values} (all values, 1-D) and
 * {@code NAME.row_splits} (rows + 1). Row splits follow the rows. Values chunks do not: a worker
 * owns the values chunks (files) that <em>start</em> inside its values, so it counts the values of
 * the records before its rows (parsing those records, copying nothing) and, to complete its last
 * values chunk, reads on into the next shard's records until that chunk is full. The count is
 * recomputed by each worker rather than read from a separate planning step: no extra step, file or
 * coordinator, and the numbers are identical by construction; the price is a parse of the records
 * before the share, which fixed features never pay.
 *
 * <p>Bytes features ({@code |S{maxlen}}) need the longest value of the whole input before the
 * first chunk is written, and {@code --varlen pad} the longest row: neither is computed per
 * worker, and both are refused here.
 *
 * <p>One thread per call; any number of processes may run shards of one store at once.
 */
public final class ShardConversion {

  private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  private ShardConversion() {}

  /**
   * What to convert: the arguments every worker of one store must be given alike.
   *
   * @param storeFormat Zarr v2 or v3, chunk rows, codec, chunks per file: the arrays' specs are the
   *     ones a single-process export makes ({@link ZarrStoreFormat#spec}), so the store is the same
   * @param limit at most this many rows ({@code Long.MAX_VALUE}: all)
   * @param durable fsync chunk and metadata files before their renames
   */
  public record Job(List<Path> inputs, TfRecordCompression compression, List<FeatureSpec> features, long limit,
      Path store, ZarrStoreFormat storeFormat, boolean durable) {

    public Job {
      inputs = List.copyOf(inputs);
      features = List.copyOf(features);
      if (features.isEmpty()) {
        throw new IllegalArgumentException("no feature to convert");
      }
      for (FeatureSpec f : features) {
        if (f.dtype() == FeatureSpec.Dtype.BYTES) {
          throw new IllegalArgumentException("feature '" + f.name() + "' is bytes: its width (the longest value of"
              + " the whole input) is not known to a single shard; convert bytes features without --shard");
        }
      }
      if (limit < 0) {
        throw new IllegalArgumentException("limit must be >= 0, got " + limit);
      }
    }

    /** The Zarr arrays of the store in order: per fixed feature NAME, per ragged one NAME.values and NAME.row_splits. */
    public List<ZarrArraySpec> arrays() {
      List<ZarrArraySpec> arrays = new ArrayList<>();
      for (FeatureSpec f : features) {
        NpyDtype dtype = f.dtype() == FeatureSpec.Dtype.FLOAT32 ? NpyDtype.FLOAT32 : NpyDtype.INT64;
        if (f.variableLength()) {
          arrays.add(spec(f.name() + FeatureSpec.VALUES_SUFFIX, dtype, new long[0]));
          arrays.add(spec(f.name() + FeatureSpec.ROW_SPLITS_SUFFIX, NpyDtype.INT64, new long[0]));
        } else {
          arrays.add(spec(f.name(), dtype, f.shape().stream().mapToLong(Long::longValue).toArray()));
        }
      }
      return arrays;
    }

    private ZarrArraySpec spec(String path, NpyDtype dtype, long[] rowShape) {
      return storeFormat.spec(new RowLayout(path, dtype, rowShape));
    }

    /** Zarr v2 or v3. */
    public ZarrFormat format() {
      return storeFormat.format();
    }

    /** The plan's {@code "key": value} members for these arguments (what makes two workers' stores differ). */
    List<String> planMembers() {
      List<String> members = new ArrayList<>();
      members.add("\"store_format\": " + ShardPlan.quote(storeFormat.format().optionName()));
      members.add("\"compression\": " + ShardPlan.quote(compression.name().toLowerCase(Locale.ROOT)));
      members.add("\"codec\": " + ShardPlan.quote(storeFormat.codec().toString()));
      members.add("\"chunks_per_file\": " + storeFormat.chunksPerFile());
      members.add("\"features\": [" + String.join(", ", features.stream().map(f -> ShardPlan.quote(f.toString()))
          .toList()) + "]");
      StringBuilder arrays = new StringBuilder("\"arrays\": [");
      String sep = "";
      for (ZarrArraySpec a : arrays()) {
        arrays.append(sep).append("{\"path\": ").append(ShardPlan.quote(a.path())).append(", \"chunk_rows\": ")
            .append(a.chunkRows()).append('}');
        sep = ", ";
      }
      members.add(arrays.append(']').toString());
      return members;
    }
  }

  /** The plan every worker computes from a {@link Job}: the same on each. */
  public record Planned(Job job, List<ZarrArraySpec> arrays, RecordIndex index, ShardPlan plan, String json) {}

  /** What a shard run did. */
  public record Outcome(Shard shard, ShardPlan.Range range, boolean alreadyDone, boolean storeComplete) {}

  /**
   * Walks the inputs' framing and splits the rows between {@code shards} workers.
   *
   * @throws io.tensorslab.tf.TfRecordException an input cut inside a record, naming file and record
   */
  public static Planned plan(Job job, int shards) throws IOException {
    List<ZarrArraySpec> arrays = job.arrays();
    long unit = planUnitRows(job, arrays);
    RecordIndex index = RecordIndex.scan(job.inputs(), job.compression(), job.limit(), unit);
    ShardPlan plan = new ShardPlan(index.rows(), unit, shards);
    return new Planned(job, arrays, index, plan, plan.toJson(index, job.planMembers()));
  }

  /**
   * Rows of one plan unit: the least common multiple of the row arrays' rows per file (chunk rows
   * times chunks per file), so that a unit boundary is a file boundary of each. Values arrays of
   * ragged features are not row arrays: their chunks are owned by where they start.
   */
  static long planUnitRows(Job job, List<ZarrArraySpec> arrays) {
    long unit = 1;
    for (ZarrArraySpec a : arrays) {
      if (a.path().endsWith(FeatureSpec.VALUES_SUFFIX) && isRaggedValues(job, a.path())) {
        continue;
      }
      long perFile = Math.multiplyExact(a.chunkRows(), a.chunksPerFile());
      unit = Math.multiplyExact(unit / gcd(unit, perFile), perFile);
    }
    return unit;
  }

  /** The feature whose array is at {@code path}: its name, or a ragged one's for NAME.values and NAME.row_splits. */
  private static String featureOf(Job job, String path) {
    for (FeatureSpec f : job.features()) {
      if (path.equals(f.name()) || f.variableLength() && (path.equals(f.name() + FeatureSpec.VALUES_SUFFIX)
          || path.equals(f.name() + FeatureSpec.ROW_SPLITS_SUFFIX))) {
        return f.name();
      }
    }
    throw new IllegalStateException("no feature for array " + path);
  }

  private static boolean isRaggedValues(Job job, String path) {
    return job.features().stream().anyMatch(f -> f.variableLength() && path.equals(f.name() + FeatureSpec.VALUES_SUFFIX));
  }

  private static long gcd(long a, long b) {
    return b == 0 ? a : gcd(b, a % b);
  }

  /**
   * Joins the store's ledger as {@code shard} (refused when the store was planned otherwise),
   * writes the shard's chunks unless it is already done, marks it done, and when {@code finish}
   * and every shard is done writes the store's final metadata.
   */
  public static Outcome run(Planned planned, Shard shard, boolean finish) throws IOException {
    Job job = planned.job();
    Files.createDirectories(job.store());
    ShardLedger ledger = ShardLedger.join(job.store(), shard, planned.json());
    ShardPlan.Range range = planned.plan().range(shard);
    boolean alreadyDone = ledger.isDone(shard.index());
    if (!alreadyDone) {
      Map<String, Long> valueEnds = write(planned, range);
      ledger.markDone(range, valueEnds);
    }
    boolean complete = finish && finishIfAllDone(planned, ledger);
    return new Outcome(shard, range, alreadyDone, complete);
  }

  /**
   * Writes the store's final metadata when every shard is done (the same bytes, whoever does it);
   * false, writing nothing, while a shard is missing.
   */
  public static boolean finishIfAllDone(Planned planned, ShardLedger ledger) throws IOException {
    if (!ledger.allDone()) {
      return false;
    }
    Job job = planned.job();
    long rows = planned.plan().rows();
    int last = planned.plan().shards() - 1;
    Map<ZarrArraySpec, Long> shapes = new LinkedHashMap<>();
    List<ZarrManifest.Array> manifest = new ArrayList<>();
    for (ZarrArraySpec a : planned.arrays()) {
      long n;
      if (a.path().endsWith(FeatureSpec.ROW_SPLITS_SUFFIX)) {
        n = rows + 1;
      } else if (isRaggedValues(job, a.path())) {
        n = ledger.doneCount(last, a.path());
      } else {
        n = rows;
      }
      shapes.put(a, n);
      long[] shape = new long[a.rowShape().length + 1];
      shape[0] = n;
      System.arraycopy(a.rowShape(), 0, shape, 1, a.rowShape().length);
      manifest.add(new ZarrManifest.Array(a.path(), featureOf(job, a.path()), a.path(), a.dtype().descr(), shape));
    }
    removeTemporaryFiles(job.store(), planned.arrays());
    // The root attributes the one-process export writes for the same arrays (ZarrManifest).
    ZarrStore.commitMetadata(job.store(), job.format(), job.durable(), shapes,
        ZarrManifest.attributes(manifest, rows));
    ledger.markComplete();
    return true;
  }

  /** Work files of killed workers: harmless to readers, removed once no worker writes any more. */
  private static void removeTemporaryFiles(Path store, List<ZarrArraySpec> arrays) throws IOException {
    for (ZarrArraySpec a : arrays) {
      Path dir = store.resolve(a.path());
      if (!Files.isDirectory(dir)) {
        continue;
      }
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path p : files.filter(TemporaryFiles::isTemporary).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  /** The features of {@code job}, with where each goes. */
  private record Target(FeatureSpec feature, int selectionIndex, ArrayRows rows, ValueRun values, ArrayRows splits) {}

  /**
   * Writes the chunks of {@code range}: fixed features and row splits for its rows, values from the
   * first values file starting in its values to the end of the last one. Returns each ragged values
   * array's count of values before the range's end.
   */
  private static Map<String, Long> write(Planned planned, ShardPlan.Range range) throws IOException {
    Job job = planned.job();
    long rows = planned.plan().rows();
    List<FeatureSpec> ragged = job.features().stream().filter(FeatureSpec::variableLength).toList();
    long[] valuesBefore = ragged.isEmpty() || range.firstRow() == 0 ? new long[ragged.size()]
        : countValues(planned, ragged, range.firstRow());
    Map<String, ZarrArraySpec> specs = new LinkedHashMap<>();
    planned.arrays().forEach(a -> specs.put(a.path(), a));
    try (ZarrStore store = ZarrStore.shared(job.store(), job.format(), job.durable());
        Arena scratchArena = Arena.ofConfined()) {
      List<Target> targets = new ArrayList<>();
      boolean lastShard = range.shard() == planned.plan().shards() - 1;
      int r = 0;
      for (int i = 0; i < job.features().size(); i++) {
        FeatureSpec f = job.features().get(i);
        if (f.variableLength()) {
          ArrayRows values = new ArrayRows(store.array(specs.get(f.name() + FeatureSpec.VALUES_SUFFIX)));
          ArrayRows splits = new ArrayRows(store.array(specs.get(f.name() + FeatureSpec.ROW_SPLITS_SUFFIX)));
          targets.add(new Target(f, i, null, new ValueRun(values, f.dtype(), valuesBefore[r++], lastShard), splits));
        } else {
          targets.add(new Target(f, i, new ArrayRows(store.array(specs.get(f.name()))), null, null));
        }
      }
      Writer writer = new Writer(targets, range, scratchArena);
      readRows(planned, range.firstRow(), FeatureSelection.of(job.features()), writer);
      Map<String, Long> valueEnds = new LinkedHashMap<>();
      for (Target t : targets) {
        if (t.rows() != null) {
          t.rows().finish(range.firstRow(), range.endRow(), rows);
          continue;
        }
        if (lastShard) {
          t.splits().row(rows).set(LONG_LE, 0, t.values().next);
        }
        t.splits().finish(range.firstRow(), lastShard ? rows + 1 : range.endRow(), rows + 1);
        t.values().finish(writer.reachedEnd(rows));
        valueEnds.put(t.values().rows.writer.spec().path(), t.values().endOfRange);
      }
      return valueEnds;
    }
  }

  private static long ceilTo(long x, long unit) {
    return (x + unit - 1) / unit * unit;
  }

  /** Values of each ragged feature in rows {@code [0, end)}: parses those records, copies nothing. */
  private static long[] countValues(Planned planned, List<FeatureSpec> ragged, long end) throws IOException {
    long[] counts = new long[ragged.size()];
    readRows(planned, 0, FeatureSelection.of(ragged), (row, selection) -> {
      if (row >= end) {
        return false;
      }
      for (int i = 0; i < counts.length; i++) {
        counts[i] += selection.values(i).count();
      }
      return true;
    });
    return counts;
  }

  /** Receives the records of consecutive global rows; returns false to stop. */
  private interface RowVisitor {
    boolean visit(long row, FeatureSelection selection) throws IOException;
  }

  /** Reads records from global row {@code first} (a plan unit start) on, across files, until the visitor stops or the rows end. */
  private static void readRows(Planned planned, long first, FeatureSelection selection, RowVisitor visitor)
      throws IOException {
    RecordIndex index = planned.index();
    if (first >= index.rows()) {
      return;
    }
    RecordIndex.Position start = index.position(first);
    ExampleView example = new ExampleView();
    long row = first;
    for (int f = start.file(); f < index.files().size() && row < index.rows(); f++) {
      RecordIndex.FileRecords file = index.files().get(f);
      long skip = f == start.file() ? start.record() : 0;
      try (TfRecordReader reader = TfRecordReader.open(file.path(), planned.job().compression())) {
        if (skip > 0) {
          if (planned.job().compression() == TfRecordCompression.NONE) {
            reader.seek(skip, start.offset());
          } else {
            // A compressed stream is entered from its start: inflated up to the share, not parsed.
            reader.checkCrc(false);
            for (long k = 0; k < skip; k++) {
              reader.next();
            }
            reader.checkCrc(true);
          }
        }
        for (long k = skip; k < file.records(); k++) {
          if (!reader.next()) {
            throw new IOException("input changed while being read: " + file.records() + " records were counted, "
                + "the file now ends at record " + k + " (path=" + file.path() + ")");
          }
          try {
            example.parse(reader.record());
            selection.read(example);
          } catch (MalformedExampleException e) {
            throw ExampleRecords.located(reader, e);
          }
          if (!visitor.visit(row, selection)) {
            return;
          }
          row++;
        }
      }
    }
  }

  /** Copies each record's features into the arrays' chunks. */
  private static final class Writer implements RowVisitor {
    private final List<Target> targets;
    private final ShardPlan.Range range;
    private final Arena arena;
    /** A native copy of one record's floats, for slicing (unpacked floats are not contiguous in the record). */
    private MemorySegment floats;
    private long lastRow = -1;

    Writer(List<Target> targets, ShardPlan.Range range, Arena arena) {
      this.targets = targets;
      this.range = range;
      this.arena = arena;
      this.floats = arena.allocate(4096, 8);
      if (range.rowCount() == 0) {
        targets.stream().filter(t -> t.values() != null).forEach(t -> t.values().rangeEnded());
      }
    }

    /** True when the reading saw the last of the {@code rows} rows (so a values array's total is known). */
    boolean reachedEnd(long rows) {
      return rows == 0 || lastRow == rows - 1;
    }

    @Override
    public boolean visit(long row, FeatureSelection selection) throws IOException {
      lastRow = row;
      boolean inRange = row < range.endRow();
      boolean valuesWanted = false;
      for (Target t : targets) {
        FeatureValues v = selection.values(t.selectionIndex());
        if (t.rows() != null) {
          if (inRange) {
            copy(t.feature().dtype(), v, t.rows().row(row), 0, v.count());
          }
          continue;
        }
        ValueRun values = t.values();
        if (inRange) {
          t.splits().row(row).set(LONG_LE, 0, values.next);
        }
        values.append(v, this);
        if (row == range.endRow() - 1) {
          values.rangeEnded();
        }
        valuesWanted |= !values.ownedWritten();
      }
      return row + 1 < range.endRow() || valuesWanted;
    }

    /** Copies values {@code [from, from + count)} of a record into {@code dst}. */
    void copy(FeatureSpec.Dtype dtype, FeatureValues v, MemorySegment dst, int from, int count) {
      if (count == 0) {
        return;
      }
      if (dtype == FeatureSpec.Dtype.INT64) {
        MemorySegment.copy(v.longs(), from, dst, LONG_LE, 0, count);
      } else if (from == 0 && count == v.count()) {
        v.copyFloats(dst, 0);
      } else {
        if (floats.byteSize() < 4L * v.count()) {
          floats = arena.allocate(Math.max(4L * v.count(), 2 * floats.byteSize()), 8);
        }
        v.copyFloats(floats, 0);
        MemorySegment.copy(floats, 4L * from, dst, 0, 4L * count);
      }
    }
  }

  /**
   * Consecutive rows of one array as this shard writes them: the writable bytes of the chunk a row
   * falls in, handed back when the run leaves the chunk or ends.
   */
  private static final class ArrayRows {
    final ZarrArrayWriter writer;
    private final long rowBytes;
    private MemorySegment window;
    private long windowFirst;
    private long windowRows;
    private long filled;

    ArrayRows(ZarrArrayWriter writer) {
      this.writer = writer;
      this.rowBytes = writer.spec().rowBytes();
    }

    /** The bytes of one row. */
    MemorySegment row(long row) throws IOException {
      return rows(row, 1);
    }

    /** The bytes of rows {@code [first, first + n)}, which must lie in one chunk. */
    MemorySegment rows(long first, long n) throws IOException {
      if (window != null && (first != windowFirst + filled || filled + n > windowRows)) {
        flush();
      }
      if (window == null) {
        window = writer.rows(first, Long.MAX_VALUE - first).bytes();
        windowFirst = first;
        windowRows = rowBytes == 0 ? Long.MAX_VALUE : window.byteSize() / rowBytes;
        filled = 0;
      }
      MemorySegment slice = window.asSlice(filled * rowBytes, n * rowBytes);
      filled += n;
      return slice;
    }

    /** Hands the rows filled so far back to the writer (which writes every chunk thereby complete). */
    void flush() throws IOException {
      if (window != null && filled > 0) {
        writer.written(windowFirst, filled);
      }
      window = null;
    }

    void finish(long firstRow, long endRow, long totalRows) throws IOException {
      flush();
      writer.finishPart(firstRow, endRow, totalRows);
    }
  }

  /**
   * The values of one ragged feature as this shard reads them: {@link #next} counts every value read
   * (from the count before the shard's rows); values from {@link #ownedFirst} (the first values file
   * starting inside the shard's values) to {@link #ownedEnd} (the end of the last such file) are
   * written, and no other.
   */
  private static final class ValueRun {
    final ArrayRows rows;
    final FeatureSpec.Dtype dtype;
    final long perFile;
    final long ownedFirst;
    final boolean lastShard;
    long next;
    /** Values before the end of the shard's rows; -1 until they are all read. */
    long endOfRange = -1;
    private long ownedEnd = Long.MAX_VALUE;

    ValueRun(ArrayRows rows, FeatureSpec.Dtype dtype, long valuesBefore, boolean lastShard) {
      ZarrArraySpec spec = rows.writer.spec();
      this.rows = rows;
      this.dtype = dtype;
      this.perFile = spec.chunkRows() * spec.chunksPerFile();
      this.next = valuesBefore;
      this.ownedFirst = ceilTo(valuesBefore, perFile);
      this.lastShard = lastShard;
    }

    /** The shard's own rows are all read: from here on only the rest of its last values file is wanted. */
    void rangeEnded() {
      endOfRange = next;
      if (!lastShard) {
        ownedEnd = next > ownedFirst ? ceilTo(next, perFile) : ownedFirst;
      }
    }

    /** True when the values past the shard's rows that it owns are written (always false inside its rows). */
    boolean ownedWritten() {
      return endOfRange >= 0 && next >= ownedEnd;
    }

    /** Counts a record's values and writes those this shard owns, chunk by chunk. */
    void append(FeatureValues v, Writer w) throws IOException {
      int count = v.count();
      long chunkRows = rows.writer.spec().chunkRows();
      for (long at = Math.max(next, ownedFirst), to = Math.min(next + count, ownedEnd); at < to; ) {
        long n = Math.min(to - at, chunkRows - at % chunkRows);
        w.copy(dtype, v, rows.rows(at, n), (int) (at - next), (int) n);
        at += n;
      }
      next += count;
    }

    /**
     * Completes the values part: {@code [ownedFirst, ownedEnd)}, or up to the last value when the
     * reading reached the last row (then {@code next} is the total).
     */
    void finish(boolean reachedEnd) throws IOException {
      if (endOfRange < 0) {
        rangeEnded();
      }
      long end = Math.min(ownedEnd, next);
      long first = Math.min(ownedFirst, end);
      // Past the last row the total is known; otherwise the part ends on a file boundary inside the array.
      rows.finish(first, end, reachedEnd ? next : Long.MAX_VALUE);
    }
  }
}

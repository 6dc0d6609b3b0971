package io.tensorslab.bench;

import io.tensorslab.export.ExportResult;
import io.tensorslab.export.TensorSlab;
import io.tensorslab.tf.TfRecordDatasets;
import io.tensorslab.tfrecord.FeatureSpec;
import io.tensorslab.tfrecord.TfRecordCompression;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Session.Runner;
import org.tensorflow.exceptions.TFOutOfRangeException;
import org.tensorflow.framework.data.Dataset;
import org.tensorflow.framework.data.DatasetIterator;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TString;

/**
 * Question: once data is exported, how fast does a training loop read it back, against the two
 * ways TensorFlow users keep a dataset on disk?
 *
 * <p>Every method makes one whole pass over the same rows ({@code sizeMb} MiB of float32 rows of
 * {@code width} values) in batches of 1024, fetching every batch tensor from a graph-mode session
 * and closing it: the loop a TF Java training job runs. The data is written once per trial, so the
 * files are in the page cache in every pass (the machine has far more memory than the files).
 *
 * <ul>
 *   <li>{@link #slabBatches}: {@code TensorSlab.open(dir).batches(tf, 1024)}, one record per batch.
 *   <li>{@link #slabRowsBatched}: {@code TensorSlab.open(dir).dataset(tf).batch(1024)}, by row.
 *   <li>{@link #cacheRowsBatched}: baseline, TensorFlow's {@code dataset.cache(filename)} file of
 *       the rows read back, then {@code batch(1024)}: what Python's {@code ds.cache(f)} gives.
 *   <li>{@link #cacheBatches}: the cache file of the batches themselves read back.
 *   <li>{@link #tfrecordReparse}: baseline, the rows as {@code tf.train.Example}s in a TFRecord
 *       file, read and parsed again ({@code TFRecordDataset -> batch(1024) -> ParseExample}).
 * </ul>
 *
 * <p><b>Targets</b> at 1 GB: {@code slab >= 3 x} the cache read, {@code >= 10 x} the re-parse,
 * heap flat ({@code -prof gc}: allocation per pass does not grow with the size).
 *
 * <p>How to run (from the repository root, after {@code ./build -Pbenchmarks -pl bench -am package -DskipTests}):
 * <pre>
 *   java --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
 *     -jar bench/target/benchmarks.jar ReadBackVsCache -p sizeMb=1024 -prof gc
 * </pre>
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"})
@State(Scope.Benchmark)
public class ReadBackVsCache {
  private static final int BATCH = 1024;

  /** Data size in MiB of float32 payload. */
  @Param({"256", "1024"})
  public int sizeMb;

  /** float32 values per row. */
  @Param({"256"})
  public int width;

  private Path dir;
  private Graph graph;
  private Session session;
  private ExportResult export;
  private Pass slabBatches;
  private Pass slabRows;
  private Pass cacheRows;
  private Pass cacheBatches;
  private Pass tfrecord;

  /** One dataset's iterator in the shared graph: initialize, then fetch every component until the end. */
  private record Pass(Session session, Op initializer, List<Operand<?>> next) {
    static Pass of(Session session, Dataset dataset) {
      DatasetIterator iterator = dataset.makeInitializeableIterator();
      return new Pass(session, iterator.getInitializer(), iterator.getNext());
    }

    long run() {
      session.run(initializer);
      long rows = 0;
      while (true) {
        Runner runner = session.runner();
        next.forEach(runner::fetch);
        try (Result result = runner.run()) {
          rows += result.get(0).shape().get(0);
        } catch (TFOutOfRangeException end) {
          return rows;
        }
      }
    }
  }

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    dir = Synthetic.tempDir("tensorslab-readback-");
    long rows;
    try (Synthetic data = new Synthetic(sizeMb, width, BATCH)) {
      rows = data.rows;
      TensorSlab.export(data.dataset).to(dir.resolve("slab")).names("x").durable(false).run().close();
    }
    Path records = dir.resolve("x.tfrecord");
    writeTfRecord(records, rows, width);
    export = TensorSlab.open(dir.resolve("slab"));
    graph = new Graph();
    session = new Session(graph);
    Ops tf = Ops.create(graph);
    slabBatches = Pass.of(session, export.batches(tf, BATCH));
    slabRows = Pass.of(session, export.dataset(tf).batch(BATCH));
    cacheRows = Pass.of(session, cached(tf, export.dataset(tf), dir.resolve("rows.cache")).batch(BATCH));
    cacheBatches = Pass.of(session, cached(tf, export.batches(tf, BATCH), dir.resolve("batches.cache")));
    var parsed = TfRecordDatasets.build(tf, List.of(records), TfRecordCompression.NONE,
        List.of(FeatureSpec.parse("x:float32:" + width)), BATCH);
    tfrecord = Pass.of(session, new Dataset(tf, parsed.variant(), parsed.outputTypes(), parsed.outputShapes()) {});
    // one pass through each cache writes its file; every later pass reads it
    for (Pass fill : List.of(cacheRows, cacheBatches)) {
      if (fill.run() != rows) {
        throw new IllegalStateException("the cache pass saw another row count than " + rows);
      }
    }
    for (Pass pass : List.of(slabBatches, slabRows, cacheRows, cacheBatches, tfrecord)) {
      long seen = pass.run();
      if (seen != rows) {
        throw new IllegalStateException("a pass read " + seen + " rows, expected " + rows);
      }
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    session.close();
    graph.close();
    export.close();
    Synthetic.deleteTree(dir);
  }

  /** The read-back dataset in batches, one record per batch. */
  @Benchmark
  public long slabBatches() {
    return slabBatches.run();
  }

  /** The read-back dataset by row, then {@code batch(1024)}. */
  @Benchmark
  public long slabRowsBatched() {
    return slabRows.run();
  }

  /** Baseline: TensorFlow's cache file of the rows, read back, then {@code batch(1024)}. */
  @Benchmark
  public long cacheRowsBatched() {
    return cacheRows.run();
  }

  /** TensorFlow's cache file of the batches, read back. */
  @Benchmark
  public long cacheBatches() {
    return cacheBatches.run();
  }

  /** Baseline: the TFRecord file of Examples, read and parsed again in batches. */
  @Benchmark
  public long tfrecordReparse() {
    return tfrecord.run();
  }

  /** {@code dataset.cache(filename)} as Python builds it: CacheDatasetV2 with a dummy memory cache. */
  private static Dataset cached(Ops tf, Dataset input, Path file) {
    Operand<TString> name = tf.constant(file.toString());
    var cache = tf.data.cacheDataset(input.getVariant(), name, tf.dummyMemoryCache(), input.getOutputTypes(),
        input.getOutputShapes());
    return new Dataset(tf, cache, input.getOutputTypes(), input.getOutputShapes()) {};
  }

  /**
   * Row {@code r} as a {@code tf.train.Example} with one float feature {@code x}, the values of
   * {@link Synthetic} (flat index {@code i} holds {@code i % 8191 / 8191f}); protobuf written by hand
   * (packed floats), framed as TFRecord (length, masked CRC32C of it, data, masked CRC32C of it).
   */
  static void writeTfRecord(Path file, long rows, int width) throws IOException {
    // Example { features (1) { feature (1) { key (1) "x", value (2) Feature { float_list (2) { value (1) } } } } }
    byte[] values = field(1, 4 * width);                          // FloatList.value, packed
    int floatList = values.length + 4 * width;
    byte[] floatListField = field(2, floatList);                  // Feature.float_list
    int feature = floatListField.length + floatList;
    byte[] featureField = field(2, feature);                      // map entry value
    int entry = 3 + featureField.length + feature;                // key "x": 0x0A 0x01 'x'
    byte[] entryField = field(1, entry);                          // Features.feature (a map entry)
    int features = entryField.length + entry;
    byte[] featuresField = field(1, features);                    // Example.features
    ByteBuffer message = ByteBuffer.allocate(featuresField.length + features).order(ByteOrder.LITTLE_ENDIAN);
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
      ByteBuffer frame = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
      for (long r = 0; r < rows; r++) {
        message.clear();
        message.put(featuresField).put(entryField).put(new byte[] {0x0A, 0x01, 'x'}).put(featureField)
            .put(floatListField).put(values);
        for (int c = 0; c < width; c++) {
          long i = r * width + c;
          message.putFloat((i % 8191) / 8191f);
        }
        message.flip();
        int length = message.remaining();
        frame.clear();
        frame.putLong(length);
        frame.putInt(maskedCrc(frame.array(), 0, 8));
        out.write(frame.array(), 0, 12);
        out.write(message.array(), 0, length);
        frame.clear();
        frame.putInt(maskedCrc(message.array(), 0, length));
        out.write(frame.array(), 0, 4);
      }
    }
  }

  /** Tag of a length-delimited field {@code number}, then the varint {@code length}. */
  private static byte[] field(int number, int length) {
    ByteBuffer b = ByteBuffer.allocate(6);
    b.put((byte) (number << 3 | 2));
    int v = length;
    while ((v & ~0x7F) != 0) {
      b.put((byte) (v & 0x7F | 0x80));
      v >>>= 7;
    }
    b.put((byte) v);
    byte[] out = new byte[b.position()];
    b.flip().get(out);
    return out;
  }

  private static int maskedCrc(byte[] bytes, int offset, int length) {
    CRC32C crc = new CRC32C();
    crc.update(bytes, offset, length);
    int c = (int) crc.getValue();
    return ((c >>> 15) | (c << 17)) + 0xa282ead8;
  }
}

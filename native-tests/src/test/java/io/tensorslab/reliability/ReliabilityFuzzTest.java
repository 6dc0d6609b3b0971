package io.tensorslab.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.tensorslab.store.OutputNames;
import io.tensorslab.testutil.TfRecordWriter;
import io.tensorslab.tf.BatchSource;
import io.tensorslab.tf.DatasetReadException;
import io.tensorslab.tf.TfRecordBatches;
import io.tensorslab.tf.TfRecordDatasets;
import io.tensorslab.tf.TfRecordErrors;
import io.tensorslab.tfrecord.FeatureSpec;
import io.tensorslab.tfrecord.TfRecordCompression;
import io.tensorslab.tfrecord.TfRecordException;
import io.tensorslab.tfrecord.TfRecordIndex;
import io.tensorslab.tfrecord.TfRecordReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.EagerSession;
import org.tensorflow.Tensor;
import org.tensorflow.op.Ops;

/**
 * Hostile input, by a seeded mutation loop over valid inputs (no fuzzing library: the targets are
 * small, and a seed makes every failure replayable):
 * <ul>
 *   <li>TFRecord files (plain, GZIP, ZLIB) through {@link TfRecordReader}, all of them, and a subset
 *       (one in {@value #TF_EVERY}) through TensorFlow's reader and {@code ParseExampleV2} with the
 *       {@link TfRecordErrors} translation, as {@code tensorslab convert} reads them;
 *   <li>{@code --feature} specs through {@link FeatureSpec#parse} and {@link FeatureSpec#parseAll}.
 * </ul>
 * Only documented exceptions may come out, each with a message: {@link TfRecordException} from the
 * TFRecord path, {@link IllegalArgumentException} from the spec parser. Each input has a time bound.
 * An input that breaks a rule is written to {@code target/fuzz-crashers/}; once fixed, it belongs in
 * {@code src/test/resources/regressions/}, which {@link #regressions} replays every run.
 *
 * <p>{@code ./build verify}: {@value #DEFAULT_ITERATIONS} inputs per target ({@code -Dfuzz.iterations=N}).
 * The {@code long} methods, run by {@code ./build verify -Plong}, take {@code fuzz.longIterations} inputs
 * per target (100 000, set in the root pom); {@code -Dfuzz.seed=N} changes the seed of both. The counts go to
 * {@code target/reliability/fuzz-*.txt} ({@code fuzz-long-*.txt} for the long methods).
 */
class ReliabilityFuzzTest {
  private static final int DEFAULT_ITERATIONS = 6000;
  private static final int TF_EVERY = 60;
  private static final int ITERATIONS = Integer.getInteger("fuzz.iterations", DEFAULT_ITERATIONS);
  private static final int LONG_ITERATIONS = Integer.getInteger("fuzz.longIterations", 100_000);
  private static final long SEED = Long.getLong("fuzz.seed", 1L);
  private static final long SCAN_SECONDS = 5;
  private static final long TF_SECONDS = 30;
  private static final long SPEC_SECONDS = 2;
  static final List<FeatureSpec> FEATURES = FeatureSpec.parseAll(
      List.of("x:float32:4", "k:int64:", "r:float32:*", "s:bytes:"));

  @TempDir Path tmp;
  private ExecutorService worker;

  @BeforeEach
  void startWorker() {
    worker = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "fuzz-worker");
      t.setDaemon(true); // a hung input must not keep the test JVM alive
      return t;
    });
  }

  @AfterEach
  void stopWorker() {
    worker.shutdownNow();
  }

  // ---------------------------------------------------------------- targets

  /** What one input did: a clean read, or which documented exception. */
  enum Result { OK, TFRECORD_EXCEPTION, ILLEGAL_ARGUMENT }

  /**
   * Every compression's scanner over the file (the wrong ones are hostile input too), reading with
   * CRCs, then counting without; the result is that of the file's own compression.
   */
  static Result scan(Path file, TfRecordCompression own) throws Exception {
    Result result = Result.OK;
    for (TfRecordCompression c : TfRecordCompression.values()) {
      for (boolean read : new boolean[] {true, false}) {
        try {
          if (read) {
            try (TfRecordReader r = TfRecordReader.open(file, c)) {
              while (r.next()) {
                // all records
              }
            }
          } else {
            TfRecordIndex.build(file, c, Long.MAX_VALUE);
          }
        } catch (TfRecordException e) {
          requireMessage(e, file);
          if (c == own) {
            result = Result.TFRECORD_EXCEPTION;
          }
        }
      }
    }
    return result;
  }

  /** The file through TensorFlow (eager), errors explained as the convert command explains them. */
  static Result parse(Path file, TfRecordCompression compression) throws Exception {
    try (EagerSession session = EagerSession.create()) {
      TfRecordBatches b = TfRecordDatasets.build(Ops.create(session), List.of(file), compression, FEATURES, 3);
      try (BatchSource source = BatchSource.open(b.variant(), b.outputTypes(), b.outputShapes())) {
        while (true) {
          List<Tensor> batch;
          try {
            batch = source.next();
          } catch (DatasetReadException e) {
            if (!(e.getCause() instanceof RuntimeException tfError)) {
              throw new AssertionError("DatasetReadException without a TensorFlow cause", e);
            }
            TfRecordException explained = TfRecordErrors.explain(tfError, b, e.batch());
            requireMessage(explained, null);
            return Result.TFRECORD_EXCEPTION;
          }
          if (batch == null) {
            break;
          }
          batch.forEach(Tensor::close);
        }
      }
      try {
        TfRecordErrors.checkComplete(b);
      } catch (TfRecordException e) {
        requireMessage(e, file);
        return Result.TFRECORD_EXCEPTION;
      }
      return Result.OK;
    }
  }

  /** One spec, then a list of it and a few valid ones; a parsed spec must print back to itself. */
  static Result spec(String text) {
    Result result;
    try {
      FeatureSpec f = FeatureSpec.parse(text);
      assertEquals(f, FeatureSpec.parse(f.toString()), "round trip of '" + text + "'");
      // Any name parses (an Example key may be anything); its files stay inside the output directory.
      for (String part : OutputNames.relativePath(f.name(), ".npy").split("/", -1)) {
        assertFalse(part.isEmpty() || part.equals(".") || part.equals(".."), "'" + text + "' maps to part '" + part + "'");
      }
      result = Result.OK;
    } catch (IllegalArgumentException e) {
      requireMessage(e, null);
      result = Result.ILLEGAL_ARGUMENT;
    }
    try {
      FeatureSpec.parseAll(List.of("a:float32:2", text, "b:int64:*"));
    } catch (IllegalArgumentException e) {
      requireMessage(e, null);
    }
    return result;
  }

  private static void requireMessage(Exception e, Path file) {
    String m = e.getMessage();
    if (m == null || m.isBlank()) {
      throw new AssertionError(e.getClass().getName() + " without a message", e);
    }
    if (file != null && !m.contains(file.toString())) {
      throw new AssertionError("message does not name " + file + ": " + m, e);
    }
  }

  // ---------------------------------------------------------------- loops

  @Test
  void tfRecordFraming() throws Exception {
    tfRecordFraming(ITERATIONS, "fuzz-tfrecord-scanner.txt");
  }

  @Test
  @Tag("long")
  void tfRecordFramingLong() throws Exception {
    tfRecordFraming(LONG_ITERATIONS, "fuzz-long-tfrecord-scanner.txt");
  }

  private void tfRecordFraming(int iterations, String report) throws Exception {
    Corpus corpus = new Corpus(new Random(SEED));
    Random random = new Random(SEED * 31 + 1);
    int[] results = new int[Result.values().length];
    long start = System.nanoTime();
    for (int i = 0; i < iterations; i++) {
      Corpus.Input in = corpus.mutate(random);
      Path file = tmp.resolve("input" + in.compression().suffix);
      Files.write(file, in.bytes());
      results[bounded("tfrecord-" + SEED + "-" + i + in.compression().suffix, in.bytes(), SCAN_SECONDS,
          () -> scan(file, in.compression().tf)).ordinal()]++;
    }
    report(report, iterations, results, start);
    assertTrue(results[Result.TFRECORD_EXCEPTION.ordinal()] > 0 && results[Result.OK.ordinal()] > 0,
        "the mutations should give both readable and broken files: " + Arrays.toString(results));
  }

  @Test
  void tfRecordThroughTensorFlow() throws Exception {
    tfRecordThroughTensorFlow(ITERATIONS, "fuzz-tfrecord-tensorflow.txt");
  }

  @Test
  @Tag("long")
  void tfRecordThroughTensorFlowLong() throws Exception {
    tfRecordThroughTensorFlow(LONG_ITERATIONS, "fuzz-long-tfrecord-tensorflow.txt");
  }

  private void tfRecordThroughTensorFlow(int iterations, String report) throws Exception {
    Corpus corpus = new Corpus(new Random(SEED));
    Random random = new Random(SEED * 31 + 2);
    int n = Math.max(1, iterations / TF_EVERY);
    int[] results = new int[Result.values().length];
    long start = System.nanoTime();
    for (int i = 0; i < n; i++) {
      Corpus.Input in = corpus.mutate(random);
      Path file = tmp.resolve("input" + in.compression().suffix);
      Files.write(file, in.bytes());
      results[bounded("tfparse-" + SEED + "-" + i + in.compression().suffix, in.bytes(), TF_SECONDS,
          () -> parse(file, in.compression().tf)).ordinal()]++;
    }
    report(report, n, results, start);
  }

  @Test
  void featureSpecs() throws Exception {
    featureSpecs(ITERATIONS, "fuzz-feature-spec.txt");
  }

  @Test
  @Tag("long")
  void featureSpecsLong() throws Exception {
    featureSpecs(LONG_ITERATIONS, "fuzz-long-feature-spec.txt");
  }

  private void featureSpecs(int iterations, String report) throws Exception {
    Random random = new Random(SEED * 31 + 3);
    int[] results = new int[Result.values().length];
    long start = System.nanoTime();
    for (int i = 0; i < iterations; i++) {
      String text = Specs.next(random);
      results[bounded("spec-" + SEED + "-" + i + ".spec", text.getBytes(StandardCharsets.UTF_8), SPEC_SECONDS,
          () -> spec(text)).ordinal()]++;
    }
    report(report, iterations, results, start);
    assertTrue(results[Result.OK.ordinal()] > 0 && results[Result.ILLEGAL_ARGUMENT.ordinal()] > 0,
        Arrays.toString(results));
  }

  /** Every kept input: hand-made edge cases and crashers found earlier. */
  @Test
  void regressions() throws Exception {
    Path root = Path.of("src", "test", "resources", "regressions");
    int replayed = 0;
    try (Stream<Path> files = Files.walk(root)) {
      for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
        String name = f.getFileName().toString();
        if (name.endsWith(".md")) {
          continue;
        }
        byte[] bytes = Files.readAllBytes(f);
        if (f.getParent().getFileName().toString().equals("feature-spec")) {
          bounded(null, bytes, SPEC_SECONDS, () -> spec(new String(bytes, StandardCharsets.UTF_8)));
        } else {
          Compression c = Compression.of(name);
          Path file = tmp.resolve(name);
          Files.write(file, bytes);
          bounded(null, bytes, SCAN_SECONDS, () -> scan(file, c.tf));
          bounded(null, bytes, TF_SECONDS, () -> parse(file, c.tf));
        }
        replayed++;
      }
    }
    assertTrue(replayed > 0, "no regression inputs under " + root.toAbsolutePath());
  }

  interface Target {
    Result run() throws Exception;
  }

  /** Runs one input on the worker thread with a time bound; a broken rule keeps the input and fails. */
  private Result bounded(String crasherName, byte[] input, long seconds, Target target) throws Exception {
    Future<Result> f = worker.submit(target::run);
    try {
      return f.get(seconds, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      f.cancel(true);
      worker.shutdownNow();
      startWorker();
      throw keep(crasherName, input, new AssertionError("input took more than " + seconds + " s (hang?)"));
    } catch (ExecutionException e) {
      throw keep(crasherName, input, new AssertionError("undocumented outcome: " + e.getCause(), e.getCause()));
    }
  }

  private static AssertionError keep(String name, byte[] input, AssertionError error) {
    if (name != null) {
      try {
        Path dir = Files.createDirectories(Path.of("target", "fuzz-crashers"));
        Files.write(dir.resolve(name), input);
        error.addSuppressed(new Exception("input kept as " + dir.resolve(name).toAbsolutePath()
            + "; after the fix, move it to src/test/resources/regressions/"));
      } catch (IOException e) {
        error.addSuppressed(e);
      }
    }
    return error;
  }

  private static void report(String file, int inputs, int[] results, long start) throws IOException {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format("seed=%d inputs=%d seconds=%.1f", SEED, inputs, (System.nanoTime() - start) / 1e9));
    for (Result r : Result.values()) {
      sb.append(' ').append(r.name().toLowerCase()).append('=').append(results[r.ordinal()]);
    }
    sb.append(" undocumented=0 hangs=0\n");
    Path dir = Files.createDirectories(Path.of("target", "reliability"));
    Files.writeString(dir.resolve(file), sb);
    System.out.print(file + ": " + sb);
  }

  // ---------------------------------------------------------------- inputs

  enum Compression {
    NONE(".tfrecord", TfRecordCompression.NONE), GZIP(".tfrecord.gz", TfRecordCompression.GZIP),
    ZLIB(".tfrecord.zlib", TfRecordCompression.ZLIB);

    final String suffix;
    final TfRecordCompression tf;

    Compression(String suffix, TfRecordCompression tf) {
      this.suffix = suffix;
      this.tf = tf;
    }

    static Compression of(String fileName) {
      return fileName.endsWith(".gz") ? GZIP : fileName.endsWith(".zlib") ? ZLIB : NONE;
    }
  }

  /** Valid files to start from, and the mutations. */
  static final class Corpus {
    record Input(Compression compression, byte[] bytes) {}

    private final List<List<byte[]>> recordSets = new ArrayList<>();

    Corpus(Random random) {
      for (int set = 0; set < 6; set++) {
        List<byte[]> records = new ArrayList<>();
        int n = set == 0 ? 1 : 1 + random.nextInt(12);
        for (int r = 0; r < n; r++) {
          float[] x = new float[4];
          for (int k = 0; k < 4; k++) {
            x[k] = random.nextFloat() * 100 - 50;
          }
          float[] ragged = new float[random.nextInt(5)];
          var e = TfRecordWriter.example().floats("x", x).int64s("k", random.nextLong())
              .bytes("s", ("record " + r).getBytes(StandardCharsets.UTF_8));
          if (ragged.length > 0 || random.nextBoolean()) {
            e.floats("r", ragged);
          }
          records.add(e.toByteArray());
        }
        recordSets.add(records);
      }
    }

    Input mutate(Random random) {
      List<byte[]> records = new ArrayList<>(recordSets.get(random.nextInt(recordSets.size())));
      Compression c = Compression.values()[random.nextInt(3)];
      int mutations = 1 + random.nextInt(4);
      if (random.nextBoolean()) {
        // below the compression: damage records, often with CRCs fixed so that the damage reaches the parser
        for (int m = 0; m < mutations; m++) {
          int r = random.nextInt(records.size());
          records.set(r, bytes(records.get(r), random));
        }
        byte[] framed = random.nextInt(3) == 0 ? frameWithLength(records, random) : TfRecordWriter.frame(records);
        if (random.nextInt(4) == 0) {
          framed = bytes(framed, random); // and the framing itself, CRCs left broken
        }
        return new Input(c, compress(c, framed));
      }
      byte[] stored = compress(c, TfRecordWriter.frame(records));
      for (int m = 0; m < mutations; m++) {
        stored = bytes(stored, random);
      }
      return new Input(c, stored);
    }

    /** The records framed, one length field set to an interesting value with its CRC made valid. */
    private static byte[] frameWithLength(List<byte[]> records, Random random) {
      byte[] framed = TfRecordWriter.frame(records);
      int r = random.nextInt(records.size());
      int at = (int) TfRecordWriter.recordOffset(records, r);
      long[] lengths = {0, 1, records.get(r).length + 1L, records.get(r).length - 1L, Integer.MAX_VALUE - 64L,
          Integer.MAX_VALUE, 1L << 32, Long.MAX_VALUE, -1L, random.nextInt(1 << 20)};
      ByteBuffer h = ByteBuffer.wrap(framed).order(ByteOrder.LITTLE_ENDIAN);
      h.putLong(at, lengths[random.nextInt(lengths.length)]);
      h.putInt(at + 8, TfRecordWriter.maskedCrc32c(framed, at, 8));
      return framed;
    }

    static byte[] compress(Compression c, byte[] framed) {
      if (c == Compression.NONE) {
        return framed;
      }
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      try (OutputStream out = c == Compression.GZIP ? new GZIPOutputStream(bytes) : new DeflaterOutputStream(bytes)) {
        out.write(framed);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return bytes.toByteArray();
    }

    private static final byte[] INTERESTING = {0, 1, -1, 0x7f, (byte) 0x80, 0x0a, 0x12, 0x1a, 0x22, 0x08};

    /** One byte-level mutation. */
    static byte[] bytes(byte[] in, Random random) {
      byte[] b = in.clone();
      int n = b.length;
      switch (random.nextInt(8)) {
        case 0 -> { // flip a bit
          if (n > 0) {
            b[random.nextInt(n)] ^= (byte) (1 << random.nextInt(8));
          }
        }
        case 1 -> { // an interesting byte (protobuf tags, varint edges)
          if (n > 0) {
            b[random.nextInt(n)] = INTERESTING[random.nextInt(INTERESTING.length)];
          }
        }
        case 2 -> { // random bytes over a run
          if (n > 0) {
            int at = random.nextInt(n);
            int len = Math.min(n - at, 1 + random.nextInt(8));
            for (int k = 0; k < len; k++) {
              b[at + k] = (byte) random.nextInt(256);
            }
          }
        }
        case 3 -> { // truncate
          b = Arrays.copyOf(b, n == 0 ? 0 : random.nextInt(n));
        }
        case 4 -> { // insert random bytes
          int at = n == 0 ? 0 : random.nextInt(n + 1);
          byte[] extra = new byte[1 + random.nextInt(16)];
          random.nextBytes(extra);
          b = concat(Arrays.copyOf(b, at), extra, Arrays.copyOfRange(b, at, n));
        }
        case 5 -> { // delete a range
          if (n > 0) {
            int at = random.nextInt(n);
            int len = Math.min(n - at, 1 + random.nextInt(16));
            b = concat(Arrays.copyOf(b, at), Arrays.copyOfRange(b, at + len, n));
          }
        }
        case 6 -> { // duplicate a range
          if (n > 0) {
            int at = random.nextInt(n);
            int len = Math.min(n - at, 1 + random.nextInt(64));
            b = concat(Arrays.copyOf(b, at + len), Arrays.copyOfRange(b, at, n));
          }
        }
        default -> { // append garbage
          byte[] extra = new byte[1 + random.nextInt(32)];
          random.nextBytes(extra);
          b = concat(b, extra);
        }
      }
      return b;
    }

    private static byte[] concat(byte[]... parts) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      for (byte[] p : parts) {
        out.writeBytes(p);
      }
      return out.toByteArray();
    }
  }

  /** {@code --feature} texts: built from tokens that matter to the parser, or valid specs mutated per character. */
  static final class Specs {
    private static final String[] NAMES = {"x", "image", "a.b", "a_b-c", "é", "名前", "", " ", " x", "x ", ".x", "..",
        "a/b", "a\\b", "\u0000", "\t", "x\ny", "\uD83D\uDE00", "\uD800", "manifest", "x.values", "component_0",
        "x".repeat(300)};
    private static final String[] DTYPES = {"float32", "int64", "bytes", "FLOAT32", "float", "int", "", " int64",
        "bytes ", "string", "*", "float32\u0000"};
    private static final String[] DIMS = {"0", "1", "28", "-1", "+3", "-0", "007", "", " 1", "1 ", "1e3", "0x10",
        "\u0661", "\uFF11", "9223372036854775807", "9223372036854775808", "99999999999999999999", "3037000500",
        "4294967296", "*", "**", "-", "+", ",", "1.5"};
    private static final String[] VALID = {"image:float32:28,28", "label:int64:", "tokens:int64:*", "b:bytes:2,3",
        "z:float32:0", "w:int64:1,1,1,1,1,1,1,1"};
    private static final char[] CHARS = {':', ',', '*', '-', '+', '0', '9', 'x', ' ', '.', '/', '\u0000', 'é',
        '\uD800', '\n'};

    static String next(Random random) {
      if (random.nextBoolean()) {
        StringBuilder sb = new StringBuilder(pick(NAMES, random));
        int colons = random.nextInt(8) == 0 ? random.nextInt(4) : 2;
        for (int c = 0; c < colons; c++) {
          sb.append(':');
          if (c == 0) {
            sb.append(pick(DTYPES, random));
          } else {
            int dims = random.nextInt(5);
            for (int d = 0; d < dims; d++) {
              sb.append(d == 0 ? "" : random.nextInt(10) == 0 ? ",," : ",").append(pick(DIMS, random));
            }
          }
        }
        return sb.toString();
      }
      StringBuilder sb = new StringBuilder(pick(VALID, random));
      int edits = 1 + random.nextInt(3);
      for (int e = 0; e < edits; e++) {
        int at = sb.isEmpty() ? 0 : random.nextInt(sb.length());
        switch (random.nextInt(3)) {
          case 0 -> sb.insert(at, CHARS[random.nextInt(CHARS.length)]);
          case 1 -> {
            if (!sb.isEmpty()) {
              sb.deleteCharAt(at);
            }
          }
          default -> {
            if (!sb.isEmpty()) {
              sb.setCharAt(at, CHARS[random.nextInt(CHARS.length)]);
            }
          }
        }
      }
      return sb.toString();
    }

    private static String pick(String[] options, Random random) {
      return options[random.nextInt(options.length)];
    }
  }

  static {
    if (ITERATIONS < 1 || LONG_ITERATIONS < 1) {
      fail("fuzz.iterations and fuzz.longIterations must be at least 1");
    }
  }
}

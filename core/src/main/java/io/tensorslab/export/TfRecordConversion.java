package io.tensorslab.export;

import io.tensorslab.shard.Shard;
import io.tensorslab.shard.ShardLedger;
import io.tensorslab.shard.ShardPlan;
import io.tensorslab.store.StoreFormat;
import io.tensorslab.store.TableFormat;
import io.tensorslab.store.zarr.ZarrStoreFormat;
import io.tensorslab.tfrecord.FeatureSpec;
import io.tensorslab.tfrecord.TfRecordCompression;
import io.tensorslab.tfrecord.TfRecordException;
import io.tensorslab.tfrecord.TfRecordInputs;
import io.tensorslab.tfrecord.SequenceSelection;
import io.tensorslab.tfrecord.SequenceSurvey;
import io.tensorslab.tfrecord.TfRecordSources;
import io.tensorslab.tfrecord.TfRecordSurvey;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.tensorflow.EagerSession;

/**
 * TFRecord files of {@code tf.train.Example} records into one {@code .npy} per output, one Zarr v2 /
 * v3 store, or one shard of a Zarr store that several processes write at once: the one entry point
 * the command and the Spark job use, and the one place that decides which engine converts which
 * features.
 *
 * <p>One engine ({@code TfRecordExport}) with two row sources that write the same bytes. The native
 * one (the built-in Example reader on every core, TensorFlow's native library never loaded) reads
 * every {@code float32}, {@code int64}, {@code bytes} and {@code raw-<type>} feature, fixed or
 * {@code *}, in every mode; {@code image} features need TensorFlow's {@code DecodeImage}, so
 * TensorFlow's rows ({@code TFRecordDataset} + {@code ParseExampleV2}, read in order) feed the same
 * row writers for them — not as shards.
 *
 * {@snippet :
 * TfRecordConversion conversion = TfRecordConversion.builder()
 *     .inputs(List.of(Path.of("train.tfrecord")))
 *     .features(FeatureSpec.parseAll(List.of("image:float32:28,28", "label:int64:")))
 *     .to(Path.of("out"))
 *     .build();                                // reads the inputs' first bytes; checks every option
 * try (ExportResult result = conversion.run()) {
 *   System.out.println(result.rows() + " rows");
 * }
 * }
 *
 * <p>Immutable once built; {@link #run} and {@link #runShard} may be called more than once.
 */
public final class TfRecordConversion {

  /** Who parses the records. */
  public enum Engine {
    /** The native reader whenever it can convert the features, TensorFlow otherwise. */
    AUTO,
    /** The built-in Example reader, on every thread; TensorFlow not loaded. */
    NATIVE,
    /** TensorFlow's {@code TFRecordDataset} and {@code ParseExampleV2}. */
    TENSORFLOW
  }

  /** How a {@code *} feature is written. */
  public enum VarLen {
    /** {@code NAME.values} + {@code NAME.row_splits}, as {@code tf.RaggedTensor}. */
    RAGGED,
    /** {@code NAME} padded to the longest row + {@code NAME.lengths}. */
    PAD
  }

  /** Records read, without a schema given, to tell {@code SequenceExample}s from {@code Example}s ({@code inspect} too). */
  public static final long SEQUENCE_SNIFF_RECORDS = 64;

  /** Suffix of the row lengths beside a padded feature. */
  public static final String LENGTHS_SUFFIX = ".lengths";

  /**
   * What one shard run did.
   *
   * @param range the shard's rows and chunks
   * @param rows rows of the whole store
   * @param chunks chunks of the store's row arrays the plan splits
   * @param alreadyDone the shard was complete before this run, which wrote nothing
   * @param storeComplete this run found every shard done and wrote the store's metadata
   */
  public record ShardOutcome(Shard shard, ShardPlan.Range range, long rows, long chunks, boolean alreadyDone,
      boolean storeComplete, long elapsedNanos) {}

  private final List<Path> files;
  /** The fetched copies among {@link #files} and the object-storage URL each came from. */
  private final Map<Path, String> inputUrls;
  private final TfRecordCompression compression;
  private final List<FeatureSpec> features;
  /** Feature lists of {@code tf.train.SequenceExample} records; null when the records are {@code Example}s. */
  private final List<FeatureSpec> sequenceFeatures;
  private final boolean schemaInferred;
  private final VarLen varLen;
  private final Map<String, Object> padValues;
  private final long limit;
  private final int threads;
  private final Engine engine;
  private final String nativeCannot;
  private final long batchSize;
  private final Path directory;
  private final StoreFormat format;
  private final boolean overwrite;
  private final boolean durable;
  private final EagerSession session;

  private TfRecordConversion(Builder b, TfRecordCompression compression, List<FeatureSpec> features,
      List<FeatureSpec> sequenceFeatures, Map<String, Object> padValues) {
    this.files = List.copyOf(b.files);
    this.inputUrls = b.inputUrls;
    this.compression = compression;
    this.features = List.copyOf(features);
    this.sequenceFeatures = sequenceFeatures == null ? null : List.copyOf(sequenceFeatures);
    this.schemaInferred = b.features == null && b.sequenceFeatures == null;
    this.varLen = b.varLen;
    this.padValues = Map.copyOf(padValues);
    this.limit = b.limit;
    this.threads = b.threads;
    this.nativeCannot = sequenceFeatures != null ? null : TfRecordExport.unsupportedReason(this.features, varLen);
    this.engine = b.engine == Engine.AUTO ? (nativeCannot == null ? Engine.NATIVE : Engine.TENSORFLOW) : b.engine;
    this.batchSize = b.batchSize;
    this.directory = b.directory.toAbsolutePath().normalize();
    this.format = b.format;
    this.overwrite = b.overwrite;
    this.durable = b.durable;
    this.session = null;
    if (engine == Engine.NATIVE && nativeCannot != null) {
      throw new IllegalArgumentException("the native engine cannot convert these features: " + nativeCannot
          + "; use the tensorflow engine");
    }
    if (format instanceof TableFormat) {
      checkTableFormat();
    }
  }

  /**
   * A table keeps a {@code *} feature as a list column, so padding it is refused here, naming it.
   * Either row source fills a table (the row writers keep each bytes value's true length); images
   * decoded by TensorFlow become uint8 tensor columns, or lists with a shapes column when sizes vary.
   */
  private void checkTableFormat() {
    if (varLen == VarLen.PAD && features.stream().anyMatch(FeatureSpec::variableLength)) {
      throw new IllegalArgumentException("--varlen pad does not apply to " + format + " output: a '*' feature is"
          + " a list column holding each row's own values; drop --varlen pad");
    }
  }

  private TfRecordConversion(TfRecordConversion c, EagerSession session) {
    this.files = c.files;
    this.inputUrls = c.inputUrls;
    this.compression = c.compression;
    this.features = c.features;
    this.sequenceFeatures = c.sequenceFeatures;
    this.schemaInferred = c.schemaInferred;
    this.varLen = c.varLen;
    this.padValues = c.padValues;
    this.limit = c.limit;
    this.threads = c.threads;
    this.nativeCannot = c.nativeCannot;
    this.engine = c.engine;
    this.batchSize = c.batchSize;
    this.directory = c.directory;
    this.format = c.format;
    this.overwrite = c.overwrite;
    this.durable = c.durable;
    this.session = session;
  }

  /**
   * This conversion with an eager session of the caller's for the TensorFlow engine, left open; by
   * default the conversion makes one and closes it.
   */
  public TfRecordConversion withSession(EagerSession session) {
    return new TfRecordConversion(this, Objects.requireNonNull(session, "session"));
  }

  /** A builder; {@link Builder#inputs} and {@link Builder#to} are required. */
  public static Builder builder() {
    return new Builder();
  }

  /** The input files, in the order their records become rows. */
  public List<Path> files() {
    return files;
  }

  /** How every input is compressed (given, or detected from the first bytes). */
  public TfRecordCompression compression() {
    return compression;
  }

  /** The features converted: as given, or inferred from a scan of the inputs ({@link #schemaInferred}). */
  public List<FeatureSpec> features() {
    return features;
  }

  /**
   * The feature lists converted when the records are {@code tf.train.SequenceExample}s (then
   * {@link #features} are their context features), or null for {@code tf.train.Example} records.
   */
  public List<FeatureSpec> sequenceFeatures() {
    return sequenceFeatures;
  }

  /** True when the records are read as {@code tf.train.SequenceExample}s. */
  public boolean sequence() {
    return sequenceFeatures != null;
  }

  /** True when no features were given and {@link #features} is the schema a scan of the inputs inferred. */
  public boolean schemaInferred() {
    return schemaInferred;
  }

  /** The engine that runs: {@link Engine#NATIVE} or {@link Engine#TENSORFLOW}, never {@code AUTO}. */
  public Engine engine() {
    return engine;
  }

  /** Why the native engine cannot convert the features (then {@link #engine} is TensorFlow), or null. */
  public String nativeUnsupportedReason() {
    return nativeCannot;
  }

  /** Threads the native engine parses on. */
  public int threads() {
    return threads;
  }

  public VarLen varLen() {
    return varLen;
  }

  public Path directory() {
    return directory;
  }

  public StoreFormat format() {
    return format;
  }

  /** Parses a {@code --pad-value} for a feature of {@code dtype}, or its default (0, empty bytes) when null. */
  public static Object padValue(String text, FeatureSpec.Dtype dtype) {
    return switch (dtype) {
      case FLOAT32 -> text == null ? 0f : Float.parseFloat(text);
      case INT64 -> text == null ? 0L : Long.parseLong(text.strip());
      case BYTES -> text == null ? "" : text;
    };
  }

  long limit() {
    return limit;
  }

  Map<String, Object> padValues() {
    return padValues;
  }

  long batchSize() {
    return batchSize;
  }

  boolean overwrite() {
    return overwrite;
  }

  boolean durable() {
    return durable;
  }

  /** The caller's session for the TensorFlow engine, or null (then the conversion makes and closes one). */
  EagerSession session() {
    return session;
  }

  /**
   * Converts into {@code directory}: one {@code .npy} per output and {@code manifest.json}, or a
   * Zarr store. On failure nothing is left at a final path.
   */
  public ExportResult run() throws IOException {
    return run(null, null);
  }

  /**
   * {@link #run()}, telling {@code listener} of progress (from the writing threads, one call at a
   * time) and checking {@code cancellation} every few thousand rows; either may be null. The total
   * is unknown (-1) when the records are converted without an index (fixed features into
   * {@code .npy}: on one thread, from one compressed file, or from plain files on two threads)
   * until the last report, which gives it; the rows then start over once if that conversion meets
   * a bad record and runs again with an index, to name the fault the index finds first.
   */
  public ExportResult run(ExportListener listener, Cancellation cancellation) throws IOException {
    return namingUrls(inputUrls, () -> engine == Engine.NATIVE ? new TfRecordExport(this, listener, cancellation).run()
        : TensorFlowTfRecordExport.run(this, listener, cancellation));
  }

  /** A step that reads the inputs. */
  private interface InputRead<T> {
    T call() throws IOException;
  }

  /**
   * Runs {@code read}; an error about a fetched copy of an object is rethrown naming its URL
   * ({@link TfRecordException#namedAs}), so no message shows the copy's temporary name.
   */
  private static <T> T namingUrls(Map<Path, String> urls, InputRead<T> read) throws IOException {
    try {
      return read.call();
    } catch (TfRecordException e) {
      String url = e.path() == null ? null : urls.get(e.path());
      throw url == null ? e : e.namedAs(url);
    } catch (IllegalArgumentException e) {
      // Messages that compare inputs (compression) name files by path.
      String message = String.valueOf(e.getMessage());
      for (Map.Entry<Path, String> copy : urls.entrySet()) {
        message = message.replace(copy.getKey().toString(), copy.getValue());
      }
      if (message.equals(e.getMessage())) {
        throw e;
      }
      throw new IllegalArgumentException(message, e);
    }
  }

  /**
   * Writes shard {@code shard} of the Zarr store in {@code directory}, which {@code shard.count()}
   * workers given the same arguments fill at once, each computing the same plan alone (they may run
   * on other machines over a shared filesystem). A shard already done is skipped. With
   * {@code finish}, the worker that finds every shard done writes the store's metadata.
   *
   * @throws IOException when the store was planned from other arguments or shard count (nothing is
   *     written then), or for a bad record, naming file and record
   */
  public ShardOutcome runShard(Shard shard, boolean finish) throws IOException {
    checkShardable();
    return namingUrls(inputUrls, () -> new TfRecordExport(this, null, null).runShard(shard, finish));
  }

  /**
   * For a scheduler that runs the shards itself (the Spark job): plans the store for {@code shards}
   * shards and creates (or checks) its ledger, before any shard runs.
   */
  public ShardPlan prepareShards(int shards) throws IOException {
    checkShardable();
    TfRecordExport export = new TfRecordExport(this, null, null);
    ShardPlan plan = export.planShards(shards);
    Files.createDirectories(directory);
    ShardLedger.join(directory, new Shard(0, shards), export.planJson(), durable);
    return plan;
  }

  /**
   * For a scheduler that runs the shards itself: writes the store's metadata when every one of
   * {@code shards} shards is done (or it is written already); false, writing nothing, while one is missing.
   */
  public boolean finishShards(int shards) throws IOException {
    checkShardable();
    TfRecordExport export = new TfRecordExport(this, null, null);
    export.planShards(shards);
    ShardLedger ledger = ShardLedger.join(directory, new Shard(0, shards), export.planJson(), durable);
    return ShardLedger.status(directory).complete() || export.finishShards(ledger);
  }

  /** A shard is the native engine over part of a shared Zarr store; anything else is refused here. */
  private void checkShardable() {
    if (sequence()) {
      throw new IllegalArgumentException("shards of tf.train.SequenceExample records are not supported: convert"
          + " them in one process (without --shard)");
    }
    if (!inputUrls.isEmpty()) {
      // Every worker would fetch every object: N times the traffic, and N local copies.
      throw new IllegalArgumentException("shards read local files that every worker sees; inputs fetched from "
          + "object storage (" + inputUrls.values().iterator().next() + ") are not supported: copy them to a shared "
          + "filesystem first, or convert without shards");
    }
    if (!(format instanceof ZarrStoreFormat)) {
      throw new IllegalArgumentException("shards write one Zarr store that several workers fill chunk by chunk,"
          + " not " + format + " files: choose a Zarr format");
    }
    if (engine != Engine.NATIVE) {
      throw new IllegalArgumentException("shards are written by the native reader, which cannot convert "
          + (nativeCannot != null ? nativeCannot : "with the tensorflow engine chosen")
          + "; convert these features without shards");
    }
    if (overwrite) {
      throw new IllegalArgumentException("overwrite does not apply to shards: workers join the store in the "
          + "directory; to start over, remove it first (path=" + directory + ")");
    }
  }

  /**
   * What to convert and where. Every setter checks its argument; {@link #build} reads the inputs'
   * first bytes (compression) and, without features, scans them for the schema.
   */
  public static final class Builder {
    private List<Path> files;
    private Map<Path, String> inputUrls = Map.of();
    private TfRecordCompression compression;
    private List<FeatureSpec> features;
    private List<FeatureSpec> sequenceFeatures;
    private boolean sequence;
    private VarLen varLen = VarLen.RAGGED;
    private Map<String, Object> padValues = Map.of();
    private String padValueText;
    private long limit = Long.MAX_VALUE;
    private int threads = Runtime.getRuntime().availableProcessors();
    private Engine engine = Engine.AUTO;
    private long batchSize = 1024;
    private Path directory;
    private StoreFormat format = StoreFormat.NPY;
    private boolean overwrite;
    private boolean durable = true;

    private Builder() {}

    /** The input files (see {@link TfRecordInputs#expand} for globs and directories), read in this order. */
    public Builder inputs(List<Path> files) {
      if (files.isEmpty()) {
        throw new IllegalArgumentException("no input file");
      }
      this.files = List.copyOf(files);
      this.inputUrls = Map.of();
      return this;
    }

    /**
     * The inputs as a user named them, local or fetched from object storage ({@code s3://},
     * {@code gs://}): their files, read in this order; errors about a fetched copy name its URL.
     * {@code sources} must stay open while the conversion runs.
     */
    public Builder inputs(TfRecordSources sources) {
      inputs(sources.files());
      this.inputUrls = sources.urls();
      return this;
    }

    /** How every input is compressed; default: detected from each file's first bytes. */
    public Builder compression(TfRecordCompression compression) {
      this.compression = Objects.requireNonNull(compression, "compression");
      return this;
    }

    /** The features to convert; default: every feature, with the schema inferred from a scan of the inputs. */
    public Builder features(List<FeatureSpec> features) {
      if (features.isEmpty()) {
        throw new IllegalArgumentException("no feature to convert");
      }
      this.features = List.copyOf(features);
      return this;
    }

    /**
     * Reads the records as {@code tf.train.SequenceExample}s (default false: {@code tf.train.Example}s);
     * {@link #features} are then the context features, {@link #sequenceFeatures} the feature lists.
     * Without either, both are inferred from a scan. Implied by {@link #sequenceFeatures}.
     */
    public Builder sequence(boolean sequence) {
      this.sequence = sequence;
      return this;
    }

    /**
     * The feature lists of {@code tf.train.SequenceExample} records to convert, {@code SHAPE} per step
     * ({@code tokens:int64:*}, {@code frames:float32:3}); implies {@link #sequence}. Default: with
     * {@link #features} given, none; else every feature list, inferred.
     */
    public Builder sequenceFeatures(List<FeatureSpec> featureLists) {
      this.sequenceFeatures = List.copyOf(featureLists);
      this.sequence = true;
      return this;
    }

    /** How {@code *} features are written (default {@link VarLen#RAGGED}). */
    public Builder varLen(VarLen varLen) {
      this.varLen = Objects.requireNonNull(varLen, "varLen");
      return this;
    }

    /**
     * Per {@code *} feature under {@link VarLen#PAD}: a {@code Float}, {@code Long} or {@code String}
     * ({@link #padValue}); a missing entry pads with 0 or empty bytes.
     */
    public Builder padValues(Map<String, Object> padValues) {
      this.padValues = Map.copyOf(padValues);
      return this;
    }

    /**
     * One pad value for every {@code *} feature under {@link VarLen#PAD} that {@link #padValues} does
     * not name, as text: parsed for each feature's dtype ({@link #padValue}) once the
     * features are known.
     */
    public Builder padValue(String text) {
      this.padValueText = Objects.requireNonNull(text, "text");
      return this;
    }

    /** At most this many rows, the first ones (default: all). */
    public Builder limit(long rows) {
      if (rows < 0) {
        throw new IllegalArgumentException("limit must be >= 0, got " + rows);
      }
      this.limit = rows;
      return this;
    }

    /** Threads the native engine parses on (default: available processors). */
    public Builder threads(int threads) {
      if (threads < 1) {
        throw new IllegalArgumentException("threads must be at least 1, got " + threads);
      }
      this.threads = threads;
      return this;
    }

    /** Who parses the records (default {@link Engine#AUTO}). */
    public Builder engine(Engine engine) {
      this.engine = Objects.requireNonNull(engine, "engine");
      return this;
    }

    /** Records parsed per TensorFlow call by the TensorFlow engine (default 1024). */
    public Builder batchSize(long records) {
      if (records < 1) {
        throw new IllegalArgumentException("batch size must be at least 1, got " + records);
      }
      this.batchSize = records;
      return this;
    }

    /** The output directory; created if missing (its parent must exist). */
    public Builder to(Path directory) {
      this.directory = Objects.requireNonNull(directory, "directory");
      return this;
    }

    /** {@link StoreFormat#NPY} (default) or a {@link ZarrStoreFormat}. */
    public Builder format(StoreFormat format) {
      this.format = Objects.requireNonNull(format, "format");
      return this;
    }

    /** Replace outputs already in the directory (default false). */
    public Builder overwrite(boolean overwrite) {
      this.overwrite = overwrite;
      return this;
    }

    /** Force files (and shard markers) to disk before they appear (default true). */
    public Builder durable(boolean durable) {
      this.durable = durable;
      return this;
    }

    /**
     * Checks the options together, detects the compression and, without features, infers the schema
     * from a scan of the inputs.
     *
     * @throws IllegalArgumentException for options that do not fit together, naming them
     * @throws IOException when an input cannot be read, naming it
     */
    public TfRecordConversion build() throws IOException {
      if (files == null) {
        throw new IllegalArgumentException("no input: set inputs(...)");
      }
      if (directory == null) {
        throw new IllegalArgumentException("no output directory: set to(...)");
      }
      for (Path p : files) {
        String problem = !Files.exists(p) ? "input file does not exist"
            : Files.isDirectory(p) ? "input is a directory, not a file"
            : !Files.isReadable(p) ? "input file is not readable (permission denied)" : null;
        if (problem != null) {
          throw new TfRecordException(problem, p, -1, null, -1, null);
        }
      }
      TfRecordCompression c = compression != null ? compression
          : namingUrls(inputUrls, () -> TfRecordInputs.detectCompression(files));
      // With no feature named, records holding feature lists are SequenceExamples: read as Examples
      // they would lose the lists (TensorFlow's Example parser skips them), so they are read as what they are.
      if (sequence || (features == null
          && namingUrls(inputUrls, () -> SequenceSurvey.holdsFeatureLists(files, c, SEQUENCE_SNIFF_RECORDS)))) {
        return namingUrls(inputUrls, () -> buildSequence(c));
      }
      List<FeatureSpec> f = features != null ? features : namingUrls(inputUrls, () -> inferSchema(c));
      for (String name : padValues.keySet()) {
        if (f.stream().noneMatch(s -> s.name().equals(name) && s.variableLength())) {
          throw new IllegalArgumentException("pad value for '" + name + "', which is no '*' feature");
        }
      }
      if ((!padValues.isEmpty() || padValueText != null) && varLen != VarLen.PAD) {
        throw new IllegalArgumentException("pad values apply only with VarLen.PAD");
      }
      Map<String, Object> pads = new java.util.HashMap<>(padValues);
      for (FeatureSpec s : f) {
        // Every padded feature gets its value here (0 or empty bytes by default): both engines read it.
        if (varLen == VarLen.PAD && s.variableLength() && !pads.containsKey(s.name())) {
          try {
            pads.put(s.name(), TfRecordConversion.padValue(padValueText, s.dtype()));
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException("pad value '" + padValueText + "' is not a " + s.dtype().cliName()
                + " value, as feature '" + s.name() + "' needs");
          }
        }
      }
      return new TfRecordConversion(this, c, f, null, pads);
    }

    /** {@link #build} for {@code tf.train.SequenceExample} records: what the sequence engine cannot do is refused here. */
    private TfRecordConversion buildSequence(TfRecordCompression c) throws IOException {
      if (engine == Engine.TENSORFLOW) {
        throw new IllegalArgumentException("the tensorflow engine does not convert tf.train.SequenceExample records;"
            + " use the native engine (engine auto or native)");
      }
      if (varLen != VarLen.RAGGED || !padValues.isEmpty() || padValueText != null) {
        throw new IllegalArgumentException("tf.train.SequenceExample features are written ragged only: drop the"
            + " padding options (varlen pad, pad values)");
      }
      List<FeatureSpec> context = features;
      List<FeatureSpec> lists = sequenceFeatures;
      if (context == null && lists == null) {
        SequenceSurvey survey = SequenceSurvey.scan(files, c, limit);
        try {
          context = survey.inferContext();
          lists = survey.inferFeatureLists();
        } catch (IllegalArgumentException e) {
          throw new TfRecordException("cannot infer the schema: " + e.getMessage(), null, -1, null, -1, null);
        }
      }
      context = context == null ? List.of() : context;
      lists = lists == null ? List.of() : lists;
      if (context.isEmpty() && lists.isEmpty()) {
        throw new IllegalArgumentException("no feature to convert: the records hold no context feature and no"
            + " feature list");
      }
      SequenceSelection.of(context, lists); // refuses unsupported specs and a name in both, before any file
      return new TfRecordConversion(this, c, context, lists, Map.of());
    }

    private List<FeatureSpec> inferSchema(TfRecordCompression c) throws IOException {
      TfRecordSurvey survey = TfRecordSurvey.scan(files, c, limit);
      try {
        return survey.inferSchema();
      } catch (IllegalArgumentException e) {
        throw new TfRecordException("cannot infer the schema: " + e.getMessage(), null, -1, null, -1, null);
      }
    }
  }
}

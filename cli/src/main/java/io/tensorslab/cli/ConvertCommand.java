package io.tensorslab.cli;

import io.tensorslab.cli.args.Command;
import io.tensorslab.cli.args.CommandSpec;
import io.tensorslab.cli.args.Converter;
import io.tensorslab.cli.args.UsageException;
import io.tensorslab.export.ExportResult;
import io.tensorslab.export.TfRecordConversion;
import io.tensorslab.objectstore.ObjectUrl;
import io.tensorslab.shard.Shard;
import io.tensorslab.shard.ShardLedger;
import io.tensorslab.shard.ShardPlan;
import io.tensorslab.store.OutputDirectory;
import io.tensorslab.store.StoreFormat;
import io.tensorslab.store.TableFormat;
import io.tensorslab.store.zarr.ZarrGroups;
import io.tensorslab.store.zarr.ZarrStoreFormat;
import io.tensorslab.tfrecord.FeatureSpec;
import io.tensorslab.tfrecord.TfRecordCompression;
import io.tensorslab.tfrecord.TfRecordSources;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.tensorflow.EagerSession;

/**
 * {@code tensorslab convert}: TFRecord files of {@code tf.train.Example} records to one
 * {@code .npy} per feature, a Zarr store, or one shard of a Zarr store. Turns flags into a
 * {@link TfRecordConversion} (which decides the engine and refuses what cannot be done) and its
 * errors into one line; converts nothing itself.
 */
final class ConvertCommand extends Command {

  /** How a variable-length ({@code *}) feature is written. */
  enum VarLen {
    RAGGED, PAD
  }

  /** Who parses the records. */
  enum Engine {
    AUTO, NATIVE, TENSORFLOW
  }

  // The options, set from the arguments as spec() declares them; a default is the field's initial value.

  /** {@code --tfrecord}: the inputs as given (files, globs, directories, URLs). */
  List<String> inputs;

  TfRecordCompression compression;

  /** The inputs expanded, objects in object storage fetched; closed (copies deleted) when the command ends. */
  TfRecordSources sources;

  /** {@code --feature}; null when none is given. */
  List<String> featureTexts;

  boolean sequence;

  /** {@code --sequence-feature}; null when none is given. */
  List<String> sequenceFeatureTexts;

  Engine engine = Engine.AUTO;

  Integer threads;

  long batch = 1024;

  Long limit;

  VarLen varlen = VarLen.RAGGED;

  String padValue;

  Path out;

  boolean overwrite;

  boolean noSync;

  final OutputFormatOptions output = new OutputFormatOptions();

  /** What every output is written as, from the --format options. */
  private StoreFormat format;

  boolean quiet;

  Shard shard;

  @Override
  protected CommandSpec spec() {
    return new CommandSpec("Converts TFRecord files into .npy files, a Zarr store or a table.",
        "Converts TFRecord files of tf.train.Example records into DIR/NAME.npy per feature, "
        + "shape [rows, *SHAPE], rows in record order across the files in the order given. Without --feature, "
        + "every feature, with the schema inferred from a scan. '/' in NAME makes nested directories; unsafe "
        + "names are escaped; nothing is written outside DIR.",
        "", "DTYPE: float32 (<f4), int64 (<i8), bytes (|S{maxlen}), image (uint8, decoded by TensorFlow's "
        + "DecodeImage; SHAPE H,W,C or *,*,C) or raw-<type> (ndarray.tobytes() values: raw-int8 ... raw-float64). "
        + "SHAPE: comma-separated dims (8,8), empty for a scalar (label:int64:), or * for a variable-length 1-D "
        + "feature. NAME:DTYPE:SHAPE splits at its last two ':'.")
        .requiredList("--tfrecord", "INPUT", v -> inputs = v,
            "TFRecord input(s), comma-separated or repeated, read in this order: files, quoted globs "
            + "('data/train-*-of-01024', expanded here, sorted) and directories (their files, sorted); the same in "
            + "object storage: s3://BUCKET/KEY, 's3://BUCKET/dir/*.tfrecord', s3://BUCKET/dir/ (gs:// alike), "
            + "fetched beside DIR first.")
        .value("--compression", "none|gzip|zlib", ConvertCommand::parseCompression, v -> compression = v,
            "How every input file is compressed (default: detected from the files' first bytes).")
        .repeated("--feature", "NAME:DTYPE:SHAPE", v -> featureTexts = v,
            "A feature to read, repeatable: e.g. image/encoded:image:28,28,1  label:int64:  tokens:int64:*  "
            + "points:raw-float32:100,3. Without any, every feature is converted with the schema inferred from a "
            + "scan of all inputs (printed in the summary; 'tensorslab inspect' shows it first).")
        .flag("--sequence", () -> sequence = true,
            "Read the records as tf.train.SequenceExample: --feature then names context features, "
            + "--sequence-feature feature lists. Without either, both are inferred from a scan.")
        .repeated("--sequence-feature", "NAME:DTYPE:SHAPE", v -> sequenceFeatureTexts = v,
            "A feature list of tf.train.SequenceExample records, SHAPE per step, repeatable (implies "
            + "--sequence): tokens:int64:* (steps of any length) -> NAME.values, NAME.row_splits (records to "
            + "steps), NAME.step_splits (steps to values); frames:float32:3 (3 values every step) -> NAME.values "
            + "[steps, 3], NAME.row_splits.")
        .value("--engine", "auto|native|tensorflow", ConvertCommand::parseEngine, v -> engine = v,
            "Who parses the records: native (the built-in Example reader, several threads, TensorFlow not "
            + "loaded), tensorflow (TFRecordDataset + ParseExampleV2), or auto: native whenever it can convert the "
            + "features (default: auto). Both write the same bytes.")
        .value("--threads", "N", Converter.INT, v -> threads = v,
            "Threads parsing records with the native engine (default: available processors).")
        .value("--batch", "N", Converter.LONG, v -> batch = v,
            "Records parsed per TensorFlow call with --engine tensorflow (default: 1024).")
        .value("--limit", "ROWS", Converter.LONG, v -> limit = v, "Stop after exactly this many rows.")
        .value("--varlen", "ragged|pad", ConvertCommand::parseVarLen, v -> varlen = v,
            "How * features are written: pad (NAME.npy padded to the longest row + NAME.lengths.npy) "
            + "or ragged (NAME.values.npy + NAME.row_splits.npy, as tf.RaggedTensor) (default: ragged).")
        .value("--pad-value", "V", Converter.STRING, v -> padValue = v,
            "Fill value for --varlen pad (default: 0, or empty bytes).")
        .requiredValue("--out", "DIR", Converter.PATH, v -> out = v,
            "Output directory; created if missing (its parent must exist).")
        .flag("--overwrite", () -> overwrite = true, "Replace .npy files already in DIR.")
        .flag("--no-sync", () -> noSync = true,
            "Do not force the files to disk before they appear (scratch output: a crash may then leave "
            + "complete-looking files with lost pages; with --shard, shards marked done whose chunks may be lost).")
        .include(output::declare)
        .flag("--quiet", () -> quiet = true, "No progress bar and no summary; errors still go to stderr.")
        .value("--shard", "I/N", Shard::parse, v -> shard = v,
            "Write only shard I of N (0 <= I < N) of a Zarr store that N workers write at once: its whole "
            + "chunks of the rows. Every worker gets the same arguments; the last to finish writes the metadata "
            + "(docs/scale-out.md).")
        .footer("", "Examples:",
            "  tensorslab convert --tfrecord 'data/train-*-of-00256' --out data",
            "  tensorslab convert --tfrecord train.tfrecord --feature image:float32:28,28 --feature label:int64: "
                + "--out data",
            "  tensorslab convert --tfrecord tfds/mnist/3.0.1 --feature image:image:28,28,1 --feature label:int64: "
                + "--out mnist",
            "  tensorslab convert --tfrecord a.tfrecord.gz,b.tfrecord.gz --feature points:raw-float32:100,3 "
                + "--limit 1000 --out sample --overwrite",
            "", "Exit codes: 0 ok; 1 bad input or unusable DIR (one line on stderr naming file, record, feature, "
                + "problem; no .npy left half-written); 2 usage error (names the flag).");
  }

  @Override
  public Integer call() throws Exception {
    List<FeatureSpec> given = checkUsage();
    if (shard != null) {
      checkShardUsage(given);
    }
    checkInputs();
    if (shard != null) {
      checkShardStore(out.toAbsolutePath().normalize());
    } else {
      checkOutputDirectory();
    }
    if (sources == null) {
      fetchInputs();
    }
    try {
      return convert(given);
    } finally {
      sources.close(); // deletes the fetched copies
    }
  }

  private int convert(List<FeatureSpec> given) throws IOException {
    TfRecordConversion conversion = conversion(given);
    if (shard != null) {
      return convertShard(conversion);
    }
    EagerSession session = null;
    try {
      if (conversion.engine() == TfRecordConversion.Engine.TENSORFLOW) {
        // The command's own session: left open when the process exits right after (TensorSlabCommand.release).
        session = EagerSession.create();
        conversion = conversion.withSession(session);
      }
      TfRecordConversion job = conversion;
      try (ExportResult result = ExportRun.run(job::run, out, -1, quiet, stderr())) {
        if (!quiet) {
          printSummary(stdout(), job, result);
        }
      }
    } finally {
      if (session != null) {
        TensorSlabCommand.release(session);
      }
    }
    return 0;
  }

  private void printSummary(PrintWriter stdout, TfRecordConversion c, ExportResult result) {
    if (c.schemaInferred()) {
      stdout.println("schema (inferred): " + schemaText(c.features())
          + (c.sequence() ? sequenceSchemaText(c.sequenceFeatures()) : ""));
    }
    String threadsText = c.threads() + " thread" + (c.threads() == 1 ? "" : "s")
        + (c.compression() == TfRecordCompression.NONE ? "" : " (one per compressed file)");
    if (c.sequence()) {
      ExportRun.printSummary(stdout, result, format, "parsing and copying into the files",
          "indexing the records, counting values and steps and sealing");
      stdout.println("engine: native, tf.train.SequenceExample records, " + threadsText);
    } else if (c.engine() == TfRecordConversion.Engine.NATIVE) {
      ExportRun.printSummary(stdout, result, format, "parsing and copying into the files",
          "the plan (indexing the records, counting * and bytes values, where needed) and sealing");
      stdout.println("engine: native (" + (engine == Engine.AUTO ? "auto" : "--engine native") + "), " + threadsText);
    } else {
      ExportRun.printSummary(stdout, result, format);
      stdout.println(engine == Engine.TENSORFLOW ? "engine: tensorflow (--engine tensorflow)"
          : "engine: tensorflow (auto: the native reader cannot convert " + c.nativeUnsupportedReason() + ")");
    }
    stdout.println("open in Python: " + (format instanceof ZarrStoreFormat || format instanceof TableFormat
        || c.engine() != TfRecordConversion.Engine.NATIVE
        ? ExportRun.pythonOpen(result, format) : ExportRun.pythonLoad(result.arrays().getFirst().path())));
    stdout.flush();
  }

  /** The {@code --feature} list, ready to paste. */
  static String schemaText(List<FeatureSpec> features) {
    return flagsText("--feature", features);
  }

  /** The {@code --sequence --sequence-feature} list that follows a context's {@code --feature} list, ready to paste. */
  static String sequenceSchemaText(List<FeatureSpec> featureLists) {
    return " --sequence" + (featureLists.isEmpty() ? "" : " " + flagsText("--sequence-feature", featureLists));
  }

  private static String flagsText(String flag, List<FeatureSpec> features) {
    StringBuilder sb = new StringBuilder();
    for (FeatureSpec f : features) {
      sb.append(sb.isEmpty() ? "" : " ").append(flag).append(' ').append(Shell.quote(f.toString()));
    }
    return sb.toString();
  }

  /**
   * The conversion these options describe (without {@code --feature}: the schema a scan infers); an
   * option the conversion refuses is a usage error with its reason.
   */
  TfRecordConversion conversion(List<FeatureSpec> given) throws IOException {
    TfRecordConversion.Builder b = TfRecordConversion.builder().inputs(sources)
        .varLen(varlen == VarLen.PAD ? TfRecordConversion.VarLen.PAD : TfRecordConversion.VarLen.RAGGED)
        .batchSize(batch).to(out).format(format).overwrite(overwrite).durable(!noSync)
        .engine(switch (engine) {
          case AUTO -> TfRecordConversion.Engine.AUTO;
          case NATIVE -> TfRecordConversion.Engine.NATIVE;
          case TENSORFLOW -> TfRecordConversion.Engine.TENSORFLOW;
        });
    if (compression != null) {
      b.compression(compression);
    }
    if (given != null) {
      b.features(given);
    }
    if (sequence) {
      b.sequence(true);
    }
    if (sequenceFeatureTexts != null && !sequenceFeatureTexts.isEmpty()) {
      try {
        b.sequenceFeatures(FeatureSpec.parseAll(sequenceFeatureTexts));
      } catch (IllegalArgumentException e) {
        throw usage(e.getMessage().replace("--feature", "--sequence-feature"));
      }
    }
    if (padValue != null) {
      b.padValue(padValue);
    }
    if (threads != null) {
      b.threads(threads);
    }
    if (limit != null) {
      b.limit(limit);
    }
    TfRecordConversion c;
    try {
      c = b.build();
    } catch (IllegalArgumentException e) {
      throw usage(e.getMessage());
    }
    return c;
  }

  /** {@code --shard} joins a Zarr store rather than replacing one. */
  private void checkShardUsage(List<FeatureSpec> given) {
    if (sequence || sequenceFeatureTexts != null) {
      throw usage("option '--shard' does not apply to tf.train.SequenceExample records: convert them in one"
          + " process (without --shard)");
    }
    if (given == null) {
      // Every worker must use one schema; inferring it would scan every input in every worker.
      throw usage("option '--shard' needs the features given with '--feature': run 'tensorslab inspect' on the "
          + "inputs once and give every worker the --feature list it prints");
    }
    if (!(format instanceof ZarrStoreFormat)) {
      throw usage("option '--shard' needs '--format zarr' or '--format zarr3': several processes can fill one Zarr "
          + "store chunk by chunk, but not one .npy file");
    }
    if (overwrite) {
      throw usage("option '--overwrite' does not apply with '--shard': workers join the store in DIR; to start "
          + "over, remove DIR first");
    }
  }

  /** Runs this worker's shard; finishes the store when it finds every shard done. */
  private int convertShard(TfRecordConversion conversion) throws IOException {
    TfRecordConversion.ShardOutcome o;
    try {
      o = conversion.runShard(shard, true);
    } catch (IllegalArgumentException e) {
      throw usage("option '--shard': " + e.getMessage());
    }
    if (!quiet) {
      PrintWriter stdout = stdout();
      ShardPlan.Range r = o.range();
      Path store = conversion.directory();
      ShardLedger.Status status = ShardLedger.status(store);
      stdout.printf(Locale.ROOT, "shard %s: rows [%d, %d) of %d, chunks [%d, %d) of %d,%s in %.2f s%n", shard,
          r.firstRow(), r.endRow(), o.rows(), r.firstChunk(), r.endChunk(), o.chunks(),
          o.alreadyDone() ? " were already complete" : " written", o.elapsedNanos() / 1e9);
      if (o.chunks() < shard.count()) {
        // Not wrong, but likely not what was meant: some workers get no rows at all.
        long idle = shard.count() - o.chunks();
        stdout.printf(Locale.ROOT, "note: the rows make %d unit%s of whole chunk files for %d shards, so %d %s "
            + "nothing; a smaller --chunk-rows splits them finer (docs/scale-out.md)%n", o.chunks(),
            o.chunks() == 1 ? "" : "s", shard.count(), idle, idle == 1 ? "shard writes" : "shards write");
      }
      stdout.println(o.storeComplete() || status.complete()
          ? "store complete: all " + shard.count() + " shards done, metadata written: " + store
          : status.done().size() + " of " + shard.count() + " shards complete; missing: "
              + StatusCommand.ranges(status.missing()) + " (tensorslab status " + store + ")");
      stdout.flush();
    }
    return 0;
  }

  /** DIR must be missing, empty, or a store that shard workers write (it holds their ledger). */
  private static void checkShardStore(Path dir) throws IOException {
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new IOException("output path exists and is not a directory (path=" + dir + ")");
    }
    if (!Files.exists(dir)) {
      Path parent = dir.getParent();
      if (parent == null || !Files.isDirectory(parent)) {
        throw new IOException("output directory's parent does not exist (path=" + dir + ")");
      }
      return;
    }
    // One listing, not a check then a listing: another worker may create the ledger in between. A
    // worker creates the ledger before anything else, so a listing without it holds no worker's files.
    try (var entries = Files.list(dir)) {
      List<String> names = entries.map(p -> p.getFileName().toString()).toList();
      if (!names.isEmpty() && !names.contains(".tensorslab")) {
        throw new IOException("output directory holds files but no shard ledger: it was not written with --shard; "
            + "give the workers an empty or new directory (path=" + dir + ")");
      }
    }
  }

  /** Everything the parser cannot check alone; each problem is a usage error naming the flag. Null: infer the features. */
  List<FeatureSpec> checkUsage() {
    format = output.storeFormat();
    // 's3://b/out' parses as the relative path 's3:/b/out': writing there would be silently wrong.
    if (!out.isAbsolute() && out.getNameCount() > 1 && out.getName(0).toString().matches("[A-Za-z][A-Za-z0-9+.-]*:")) {
      throw usage("option '--out': '" + out + "' looks like a URL; output goes to a local directory only (writing to "
          + "object storage is not supported): convert into a local DIR, then upload it");
    }
    List<FeatureSpec> features = null;
    if (featureTexts != null && !featureTexts.isEmpty()) {
      try {
        features = FeatureSpec.parseAll(featureTexts);
      } catch (IllegalArgumentException e) {
        throw usage(e.getMessage());
      }
    }
    if (batch < 1) {
      throw usage("Invalid value for option '--batch': must be at least 1, got " + batch);
    }
    if (threads != null && threads < 1) {
      throw usage("Invalid value for option '--threads': must be at least 1, got " + threads);
    }
    if (limit != null && limit < 0) {
      throw usage("Invalid value for option '--limit': must be >= 0, got " + limit);
    }
    if (padValue != null && varlen != VarLen.PAD) {
      throw usage("option '--pad-value' applies only with '--varlen pad'");
    }
    if (features != null) {
      checkPadValues(features);
    }
    return features;
  }

  /** A {@code --pad-value} that a given {@code *} feature's dtype cannot hold is a usage error naming the flag. */
  private void checkPadValues(List<FeatureSpec> features) {
    if (padValue == null) {
      return;
    }
    for (FeatureSpec f : features) {
      if (f.variableLength()) {
        try {
          TfRecordConversion.padValue(padValue, f.dtype());
        } catch (NumberFormatException e) {
          throw usage("Invalid value for option '--pad-value': '" + padValue + "' is not a " + f.dtype().cliName()
              + " value, as feature '" + f.name() + "' needs");
        }
      }
    }
  }

  private static UsageException usage(String message) {
    return new UsageException(message);
  }

  /**
   * Expands local inputs (globs, directories); the conversion checks each file before anything is read or
   * written. Inputs in object storage are fetched by {@link #fetchInputs} once DIR is known to be usable.
   */
  private void checkInputs() throws IOException {
    String url = inputs.stream().filter(ObjectUrl::isUrl).findFirst().orElse(null);
    if (url != null) {
      if (shard != null) {
        throw usage("option '--shard' reads local files every worker sees; inputs in object storage ('" + url
            + "') are not supported with it: copy them to a shared filesystem first, or convert without --shard");
      }
      return;
    }
    try {
      sources = TfRecordSources.local(inputs);
    } catch (IllegalArgumentException e) {
      throw usage(e.getMessage());
    }
  }

  /** Expands and fetches inputs in object storage into DIR's parent (on DIR's filesystem), beside local ones. */
  private void fetchInputs() throws IOException {
    Path dir = out.toAbsolutePath().normalize();
    Path staging = dir.getParent() != null ? dir.getParent() : dir;
    try {
      sources = TfRecordSources.open(inputs, staging);
    } catch (IllegalArgumentException e) {
      throw usage(e.getMessage());
    }
  }

  /**
   * DIR must be usable ({@link OutputDirectory#check}, as for every export) and, for this command, hold
   * no {@code .npy} unless {@code --overwrite}: its outputs are named after features, which a user
   * may not connect with files already there.
   */
  private void checkOutputDirectory() throws IOException {
    Path dir = out.toAbsolutePath().normalize();
    OutputDirectory.check(dir);
    if (!Files.exists(dir) || overwrite) {
      return;
    }
    if (format instanceof ZarrStoreFormat zarr) {
      Path root = dir.resolve(ZarrGroups.rootMetadataFile(zarr.format()));
      if (Files.exists(root)) {
        throw new IOException("output directory already holds a Zarr store (" + root.getFileName()
            + "); pass --overwrite to replace it (path=" + dir + ")");
      }
      return;
    }
    if (format instanceof TableFormat table) {
      Path file = dir.resolve(table.tableFile());
      if (Files.exists(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        throw new IOException("output directory already holds " + table.tableFile() + "; pass --overwrite to replace"
            + " it (path=" + dir + ")");
      }
      return;
    }
    List<String> npy = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "*.npy")) {
      for (Path p : entries) {
        npy.add(p.getFileName().toString());
      }
    }
    if (!npy.isEmpty()) {
      npy.sort(null);
      String shown = npy.size() <= 3 ? String.join(", ", npy) : String.join(", ", npy.subList(0, 3)) + ", ...";
      throw new IOException("output directory already holds " + npy.size() + " .npy file"
          + (npy.size() == 1 ? "" : "s") + " (" + shown + "); pass --overwrite to replace them (path=" + dir + ")");
    }
  }

  /** {@code --compression} (of inspect too); the message completes "Invalid value for option '--compression': ". */
  static TfRecordCompression parseCompression(String value) {
    try {
      return TfRecordCompression.parse(value);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("expected none, gzip or zlib, got '" + value + "'");
    }
  }

  private static Engine parseEngine(String value) {
    return switch (value) {
      case "auto" -> Engine.AUTO;
      case "native" -> Engine.NATIVE;
      case "tensorflow" -> Engine.TENSORFLOW;
      default -> throw new IllegalArgumentException("expected auto, native or tensorflow, got '" + value + "'");
    };
  }

  private static VarLen parseVarLen(String value) {
    return switch (value) {
      case "ragged" -> VarLen.RAGGED;
      case "pad" -> VarLen.PAD;
      default -> throw new IllegalArgumentException("expected ragged or pad, got '" + value + "'");
    };
  }
}

package io.tensorslab.cli;

import io.tensorslab.export.ExportBuilder;
import io.tensorslab.export.ExportException;
import io.tensorslab.export.ExportResult;
import io.tensorslab.export.TensorSlab;
import io.tensorslab.export.TfRecordExport;
import io.tensorslab.shard.Shard;
import io.tensorslab.shard.ShardConversion;
import io.tensorslab.shard.ShardLedger;
import io.tensorslab.shard.ShardPlan;
import io.tensorslab.store.OutputDirectory;
import io.tensorslab.store.StoreFormat;
import io.tensorslab.store.zarr.ZarrGroups;
import io.tensorslab.store.zarr.ZarrStoreFormat;
import io.tensorslab.tf.DatasetReadException;
import io.tensorslab.tf.FeatureSpec;
import io.tensorslab.tf.TfRecordBatches;
import io.tensorslab.tf.TfRecordCompression;
import io.tensorslab.tf.TfRecordDatasets;
import io.tensorslab.tf.TfRecordErrors;
import io.tensorslab.tf.TfRecordException;
import io.tensorslab.tf.TfRecordInputs;
import io.tensorslab.tf.TfRecordPrescan;
import io.tensorslab.tf.TfRecordSurvey;
import io.tensorslab.tf.VarLenPadding;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.tensorflow.EagerSession;
import org.tensorflow.op.Ops;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code tensorslab convert}: TFRecord files of {@code tf.train.Example} records to one
 * {@code .npy} per feature, parsed by TensorFlow's own {@code TFRecordDataset} and
 * {@code ParseExampleV2} and written by the export engine.
 *
 * <p>Before TensorFlow reads anything, every input file's framing is walked once in Java
 * ({@link TfRecordPrescan}, no CRCs: a plain file costs one seek per record). That counts the rows
 * (the progress bar's total and an exact preallocation) and catches a file cut inside a record
 * header, which TensorFlow's reader takes for a clean end and would silently drop.
 */
@Command(
    name = "convert",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {"Converts TFRecord files of tf.train.Example records into DIR/NAME.npy per feature, "
        + "shape [rows, *SHAPE], rows in record order across the files in the order given. Without --feature, "
        + "every feature, with the schema inferred from a scan. '/' in NAME makes nested directories; unsafe "
        + "names are escaped; nothing is written outside DIR.",
        "", "DTYPE: float32 (<f4), int64 (<i8), bytes (|S{maxlen}), image (uint8, decoded by TensorFlow's "
        + "DecodeImage; SHAPE H,W,C or *,*,C) or raw-<type> (ndarray.tobytes() values: raw-int8 ... raw-float64). "
        + "SHAPE: comma-separated dims (8,8), empty for a scalar (label:int64:), or * for a variable-length 1-D "
        + "feature. NAME:DTYPE:SHAPE splits at its last two ':'."},
    footer = {"", "Examples:",
        "  tensorslab convert --tfrecord 'data/train-*-of-00256' --out data",
        "  tensorslab convert --tfrecord train.tfrecord --feature image:float32:28,28 --feature label:int64: --out data",
        "  tensorslab convert --tfrecord tfds/mnist/3.0.1 --feature image:image:28,28,1 --feature label:int64: --out mnist",
        "  tensorslab convert --tfrecord a.tfrecord.gz,b.tfrecord.gz --feature points:raw-float32:100,3 "
            + "--limit 1000 --out sample --overwrite",
        "", "Exit codes: 0 ok; 1 bad input or unusable DIR (one line on stderr naming file, record, feature, "
            + "problem; no .npy left half-written); 2 usage error (names the flag)."})
final class ConvertCommand implements Callable<Integer> {

  /** How a variable-length ({@code *}) feature is written. */
  enum VarLen {
    RAGGED, PAD
  }

  /** Who parses the records. */
  enum Engine {
    AUTO, NATIVE, TENSORFLOW
  }

  @Spec
  CommandSpec spec;

  @Option(names = "--tfrecord", paramLabel = "INPUT", split = ",", required = true,
      description = "TFRecord input(s), comma-separated or repeated, read in this order: files, quoted globs "
          + "('data/train-*-of-01024', expanded here, sorted) and directories (their files, sorted).")
  List<String> inputs;

  @Option(names = "--compression", paramLabel = "none|gzip|zlib", converter = CompressionConverter.class,
      description = "How every input file is compressed (default: detected from the files' first bytes).")
  TfRecordCompression compression;

  /** The input files, {@link #inputs} expanded. */
  List<Path> files;

  @Option(names = "--feature", paramLabel = "NAME:DTYPE:SHAPE",
      description = "A feature to read, repeatable: e.g. image/encoded:image:28,28,1  label:int64:  tokens:int64:*  "
          + "points:raw-float32:100,3. Without any, every feature is converted with the schema inferred from a scan "
          + "of all inputs (printed in the summary; 'tensorslab inspect' shows it first).")
  List<String> featureTexts;

  @Option(names = "--engine", paramLabel = "auto|native|tensorflow", defaultValue = "auto",
      converter = EngineConverter.class,
      description = "Who parses the records: native (the built-in Example reader, several threads, TensorFlow not "
          + "loaded), tensorflow (TFRecordDataset + ParseExampleV2), or auto: native whenever it can convert the "
          + "features (default: ${DEFAULT-VALUE}). Both write the same bytes.")
  Engine engine;

  @Option(names = "--threads", paramLabel = "N",
      description = "Threads parsing records with the native engine (default: available processors).")
  Integer threads;

  @Option(names = "--batch", paramLabel = "N", defaultValue = "1024",
      description = "Records parsed per TensorFlow call with --engine tensorflow (default: ${DEFAULT-VALUE}).")
  long batch;

  @Option(names = "--limit", paramLabel = "ROWS", description = "Stop after exactly this many rows.")
  Long limit;

  @Option(names = "--varlen", paramLabel = "ragged|pad", defaultValue = "ragged", converter = VarLenConverter.class,
      description = "How * features are written: pad (NAME.npy padded to the longest row + NAME.lengths.npy) "
          + "or ragged (NAME.values.npy + NAME.row_splits.npy, as tf.RaggedTensor) (default: ${DEFAULT-VALUE}).")
  VarLen varlen;

  @Option(names = "--pad-value", paramLabel = "V",
      description = "Fill value for --varlen pad (default: 0, or empty bytes).")
  String padValue;

  @Option(names = "--out", paramLabel = "DIR", required = true,
      description = "Output directory; created if missing (its parent must exist).")
  Path out;

  @Option(names = "--overwrite", description = "Replace .npy files already in DIR.")
  boolean overwrite;

  @Option(names = "--no-sync", description = "Do not force the files to disk before they appear (scratch output: "
      + "a crash may then leave complete-looking files with lost pages). Native engine only.")
  boolean noSync;

  @Mixin
  OutputFormatOptions output;

  /** What every output is written as, from the --format options. */
  private StoreFormat format;

  @Option(names = "--quiet", description = "No progress bar and no summary; errors still go to stderr.")
  boolean quiet;

  @Option(names = "--shard", paramLabel = "I/N", converter = ShardConverter.class,
      description = "Write only shard I of N (0 <= I < N) of a Zarr store that N workers write at once: its whole "
          + "chunks of the rows. Every worker gets the same arguments; the last to finish writes the metadata "
          + "(docs/scale-out.md).")
  Shard shard;

  /** Pad value per '*' feature name, parsed for its dtype. */
  private final Map<String, Object> padValues = new HashMap<>();
  /** Longest row per '*' feature name and largest image per 'image:*,*,C' one, from the pre-scan. */
  private TfRecordPrescan prescan;

  @Override
  public Integer call() throws Exception {
    List<FeatureSpec> given = checkUsage();
    if (shard != null) {
      if (given == null) {
        // Every worker must use one schema; inferring it would scan every input in every worker.
        throw usage("option '--shard' needs the features given with '--feature': run 'tensorslab inspect' on the "
            + "inputs once and give every worker the --feature list it prints");
      }
      return convertShard(shardJob(given));
    }
    checkInputs();
    checkOutputDirectory();
    PrintWriter stdout = spec.commandLine().getOut();
    List<FeatureSpec> features = given != null ? given : inferSchema();
    checkPadValues(features);
    TfRecordExport.VarLen nativeVarLen = varlen == VarLen.PAD ? TfRecordExport.VarLen.PAD : TfRecordExport.VarLen.RAGGED;
    String nativeCannot = TfRecordExport.unsupportedReason(features, nativeVarLen);
    if (engine == Engine.NATIVE && nativeCannot != null) {
      throw usage("--engine native cannot convert these features: " + nativeCannot + "; use --engine tensorflow");
    }
    if (engine != Engine.TENSORFLOW && nativeCannot == null) {
      return convertNatively(features, nativeVarLen, stdout, given == null);
    }
    if (noSync) {
      throw usage("option '--no-sync' applies only to the native engine"
          + (nativeCannot == null ? " (not with --engine tensorflow)" : ", which cannot convert " + nativeCannot));
    }
    String engineLine = engine == Engine.TENSORFLOW ? "engine: tensorflow (--engine tensorflow)"
        : "engine: tensorflow (auto: the native reader cannot convert " + nativeCannot + ")";
    long rows = countRows(features);
    EagerSession session = EagerSession.create();
    try {
      Ops tf = Ops.create(session);
      // A limit below the batch size is the batch size: records past the limit are then never parsed.
      long batchSize = limit != null && limit > 0 ? Math.min(batch, limit) : batch;
      TfRecordBatches batches = TfRecordDatasets.build(tf, files, compression, features, batchSize,
          prescan.imageSizes(), varlen == VarLen.RAGGED);
      try (ExportResult result = export(tf, batches, rows)) {
        if (!quiet) {
          if (given == null) {
            stdout.println("schema (inferred): " + schemaText(features));
          }
          ExportRun.printSummary(stdout, result, format);
          stdout.println(engineLine);
          stdout.println("open in Python: " + ExportRun.pythonOpen(result, format));
          stdout.flush();
        }
      }
    } finally {
      TensorSlabCommand.release(session);
    }
    return 0;
  }

  /** The {@code --feature} list, ready to paste. */
  static String schemaText(List<FeatureSpec> features) {
    StringBuilder sb = new StringBuilder();
    for (FeatureSpec f : features) {
      sb.append(sb.isEmpty() ? "" : " ").append("--feature ").append(Shell.quote(f.toString()));
    }
    return sb.toString();
  }

  /** Every feature of the inputs, with the schema {@link TfRecordSurvey#inferSchema} gives for a scan of all records. */
  private List<FeatureSpec> inferSchema() throws IOException {
    TfRecordSurvey survey = TfRecordSurvey.scan(files, compression, limit == null ? Long.MAX_VALUE : limit);
    try {
      return survey.inferSchema();
    } catch (IllegalArgumentException e) {
      throw new TfRecordException("cannot infer the schema: " + e.getMessage(), null, -1, null, -1, null);
    }
  }

  /**
   * The native engine: no TensorFlow session, TensorFlow's native library never loaded. The
   * pre-scan is part of its plan (it indexes every file), so {@link #countRows} is not called.
   */
  private int convertNatively(List<FeatureSpec> features, TfRecordExport.VarLen nativeVarLen, PrintWriter stdout,
      boolean inferred) throws IOException {
    int n = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
    ExportRun.Job job = (listener, cancellation) -> TfRecordExport.run(new TfRecordExport.Options(files, compression,
        features, nativeVarLen, padValues, limit == null ? Long.MAX_VALUE : limit, n, out, overwrite, !noSync, listener,
        cancellation, format));
    try (ExportResult result = ExportRun.run(job, out, -1, quiet, spec.commandLine().getErr())) {
      if (!quiet) {
        if (inferred) {
          stdout.println("schema (inferred): " + schemaText(features));
        }
        ExportRun.printSummary(stdout, result, format, "parsing and copying into the files",
            "indexing the records (and counting * and bytes values) and sealing");
        stdout.println("engine: native (" + (engine == Engine.AUTO ? "auto" : "--engine native") + "), " + n + " thread"
            + (n == 1 ? "" : "s") + (compression == TfRecordCompression.NONE ? "" : " (one per compressed file)"));
        stdout.println("open in Python: " + (format instanceof ZarrStoreFormat ? ExportRun.pythonOpen(result, format)
            : ExportRun.pythonLoad(result.arrays().getFirst().path())));
        stdout.flush();
      }
    }
    return 0;
  }

  private ExportResult export(Ops tf, TfRecordBatches b, long rows) throws IOException {
    ExportBuilder builder;
    if (prescan.maxLengths().isEmpty()) {
      // TensorFlow's parse gives a '*' feature as (values, row_splits) per batch: written as one ragged array.
      builder = TensorSlab.export(b);
    } else {
      VarLenPadding p = VarLenPadding.of(tf, b, prescan.maxLengths(), padValues);
      builder = TensorSlab.export(p.variant(), p.types(), p.shapes()).names(p.names());
      b.writeAs().forEach(builder::writeAs);
    }
    try {
      // The limit is the counted rows: the engine then knows the total ahead and sizes every file once.
      return ExportRun.run(builder.limit(rows).overwrite(overwrite).format(format), out, rows, quiet, spec.commandLine().getErr());
    } catch (ExportException e) {
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof DatasetReadException dre && dre.getCause() instanceof RuntimeException tfError) {
          throw TfRecordErrors.explain(tfError, b, dre.batch());
        }
      }
      throw e;
    }
  }

  /**
   * The sharded conversion's job for these options: {@code --shard} needs Zarr output and ragged
   * {@code *} features, and joins a store rather than replacing one.
   */
  ShardConversion.Job shardJob(List<FeatureSpec> features) throws IOException {
    // format: set from the --format options by checkUsage()
    if (!(format instanceof ZarrStoreFormat zarr)) {
      throw usage("option '--shard' needs '--format zarr' or '--format zarr3': several processes can fill one Zarr "
          + "store chunk by chunk, but not one .npy file");
    }
    if (varlen == VarLen.PAD && features.stream().anyMatch(FeatureSpec::variableLength)) {
      throw usage("option '--shard' writes '*' features ragged only: '--varlen pad' needs the longest row of the "
          + "whole input before the first chunk; drop '--varlen pad'");
    }
    if (overwrite) {
      throw usage("option '--overwrite' does not apply with '--shard': workers join the store in DIR; to start "
          + "over, remove DIR first");
    }
    checkInputs(); // expands globs and directories and detects the compression: the job needs both
    ShardConversion.Job job;
    try {
      job = new ShardConversion.Job(files, compression, features, limit == null ? Long.MAX_VALUE : limit,
          out.toAbsolutePath().normalize(), zarr, false);
    } catch (IllegalArgumentException e) {
      throw usage("option '--shard': " + e.getMessage());
    }
    checkShardStore(job.store());
    return job;
  }

  /** Runs this worker's shard; finishes the store when it finds every shard done. */
  private int convertShard(ShardConversion.Job job) throws IOException {
    long start = System.nanoTime();
    ShardConversion.Planned planned = ShardConversion.plan(job, shard.count());
    ShardConversion.Outcome o = ShardConversion.run(planned, shard, true);
    if (!quiet) {
      PrintWriter stdout = spec.commandLine().getOut();
      ShardPlan.Range r = o.range();
      ShardLedger.Status status = ShardLedger.status(job.store());
      stdout.printf(Locale.ROOT, "shard %s: rows [%d, %d) of %d, chunks [%d, %d) of %d,%s in %.2f s%n", shard,
          r.firstRow(), r.endRow(), planned.plan().rows(), r.firstChunk(), r.endChunk(), planned.plan().chunks(),
          o.alreadyDone() ? " were already complete" : " written", (System.nanoTime() - start) / 1e9);
      stdout.println(o.storeComplete() || status.complete()
          ? "store complete: all " + shard.count() + " shards done, metadata written: " + job.store()
          : status.done().size() + " of " + shard.count() + " shards complete; missing: "
              + StatusCommand.ranges(status.missing()) + " (tensorslab status " + job.store() + ")");
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

  /** Everything picocli cannot check alone; each problem is a usage error naming the flag. Null: infer the features. */
  List<FeatureSpec> checkUsage() {
    format = output.storeFormat();
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

  private void checkPadValues(List<FeatureSpec> features) {
    for (FeatureSpec f : features) {
      if (!f.variableLength()) {
        continue;
      }
      if (varlen == VarLen.RAGGED) {
        continue;
      }
      try {
        padValues.put(f.name(), VarLenPadding.padValue(padValue, f.dtype()));
      } catch (NumberFormatException e) {
        throw usage("Invalid value for option '--pad-value': '" + padValue + "' is not a " + f.dtype().cliName()
            + " value, as feature '" + f.name() + "' needs");
      }
    }
  }

  private ParameterException usage(String message) {
    return new ParameterException(spec.commandLine(), message);
  }

  /** Expands the inputs; missing, directory or unreadable files named before anything is read or written. */
  private void checkInputs() throws IOException {
    try {
      files = TfRecordInputs.expand(inputs);
      if (compression == null) {
        compression = TfRecordInputs.detectCompression(files);
      }
    } catch (IllegalArgumentException e) {
      throw usage(e.getMessage());
    }
    for (Path p : files) {
      String problem = null;
      if (!Files.exists(p)) {
        problem = "input file does not exist";
      } else if (Files.isDirectory(p)) {
        problem = "input is a directory, not a file";
      } else if (!Files.isReadable(p)) {
        problem = "input file is not readable (permission denied)";
      }
      if (problem != null) {
        throw new TfRecordException(problem, p, -1, null, -1, null);
      }
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

  /**
   * Rows to export: every record of every file, or the first {@code --limit}. Walks the framing
   * only as far as needed; reads records where features need a look ahead (padding, images, raw
   * bytes); a file cut inside a record or a value that cannot be decoded fails here, naming file and record.
   */
  private long countRows(List<FeatureSpec> features) throws IOException {
    // Only padding needs the longest row of each '*' feature ahead; ragged output takes rows as they come.
    List<String> padded = varlen != VarLen.PAD ? List.of()
        : features.stream().filter(FeatureSpec::variableLength).map(FeatureSpec::name).toList();
    prescan = TfRecordPrescan.run(files, compression, features, padded, limit == null ? Long.MAX_VALUE : limit);
    return prescan.rows();
  }

  static final class CompressionConverter implements ITypeConverter<TfRecordCompression> {
    @Override
    public TfRecordCompression convert(String value) {
      try {
        return TfRecordCompression.parse(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException("expected none, gzip or zlib, got '" + value + "'");
      }
    }
  }

  static final class ShardConverter implements ITypeConverter<Shard> {
    @Override
    public Shard convert(String value) {
      try {
        return Shard.parse(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }

  static final class EngineConverter implements ITypeConverter<Engine> {
    @Override
    public Engine convert(String value) {
      return switch (value) {
        case "auto" -> Engine.AUTO;
        case "native" -> Engine.NATIVE;
        case "tensorflow" -> Engine.TENSORFLOW;
        default -> throw new TypeConversionException("expected auto, native or tensorflow, got '" + value + "'");
      };
    }
  }

  static final class VarLenConverter implements ITypeConverter<VarLen> {
    @Override
    public VarLen convert(String value) {
      return switch (value) {
        case "ragged" -> VarLen.RAGGED;
        case "pad" -> VarLen.PAD;
        default -> throw new TypeConversionException("expected ragged or pad, got '" + value + "'");
      };
    }
  }
}

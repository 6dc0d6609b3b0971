package io.tensorslab.cli;

import io.tensorslab.store.OutputDirectory;
import io.tensorslab.export.ExportBuilder;
import io.tensorslab.export.ExportException;
import io.tensorslab.export.ExportResult;
import io.tensorslab.export.TensorSlab;
import io.tensorslab.shard.Shard;
import io.tensorslab.shard.ShardConversion;
import io.tensorslab.shard.ShardLedger;
import io.tensorslab.shard.ShardPlan;
import io.tensorslab.store.StoreFormat;
import io.tensorslab.store.zarr.ZarrStoreFormat;
import io.tensorslab.export.TfRecordExport;
import io.tensorslab.store.OutputDirectory;
import io.tensorslab.store.zarr.ZarrGroups;
import io.tensorslab.tf.DatasetReadException;
import io.tensorslab.tf.FeatureSpec;
import io.tensorslab.tf.TfRecordBatches;
import io.tensorslab.tf.TfRecordCompression;
import io.tensorslab.tf.TfRecordDatasets;
import io.tensorslab.tf.TfRecordErrors;
import io.tensorslab.tf.TfRecordException;
import io.tensorslab.tf.example.ExampleRecords;
import io.tensorslab.tf.example.FeatureSelection;
import io.tensorslab.tf.example.TfRecordReader;
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
 * ({@link TfRecordReader}, no data CRCs: a plain file is mapped and costs one header read per
 * record). That counts the rows (the progress bar's total and an exact preallocation) and catches
 * a file cut inside a record header, which TensorFlow's reader takes for a clean end and would
 * silently drop. With {@code --varlen pad} it also finds each {@code *} feature's longest row, with
 * the native Example reader, which counts values exactly as TensorFlow's parser does.
 */
@Command(
    name = "convert",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {"Converts TFRecord files of tf.train.Example records into DIR/NAME.npy per --feature, "
        + "shape [rows, *SHAPE], rows in record order across the files in the order given.",
        "", "DTYPE: float32 (<f4), int64 (<i8) or bytes (|S{maxlen}). SHAPE: comma-separated dims (8,8), "
        + "empty for a scalar (label:int64:), or * for a variable-length 1-D feature."},
    footer = {"", "Examples:",
        "  tensorslab convert --tfrecord train.tfrecord --feature image:float32:28,28 --feature label:int64: --out data",
        "  tensorslab convert --tfrecord a.tfrecord.gz,b.tfrecord.gz --compression gzip --feature x:float32:16 "
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

  @Option(names = "--tfrecord", paramLabel = "FILE", split = ",", required = true,
      description = "TFRecord input file(s), comma-separated or repeated; read in this order.")
  List<Path> files;

  @Option(names = "--compression", paramLabel = "none|gzip|zlib", defaultValue = "none",
      converter = CompressionConverter.class,
      description = "How every input file is compressed (default: ${DEFAULT-VALUE}).")
  TfRecordCompression compression;

  @Option(names = "--feature", paramLabel = "NAME:DTYPE:SHAPE", required = true,
      description = "A feature to read, repeatable: e.g. image:float32:28,28  label:int64:  tokens:int64:*")
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

  @Mixin
  OutputFormatOptions output;

  /** What every output is written as, from the --format options. */
  private StoreFormat format;

  @Option(names = "--no-sync", description = "Do not force the files to disk before they appear (scratch output: "
      + "a crash may then leave complete-looking files with lost pages). Native engine only.")
  boolean noSync;

  @Option(names = "--quiet", description = "No progress bar and no summary; errors still go to stderr.")
  boolean quiet;

  @Option(names = "--shard", paramLabel = "I/N", converter = ShardConverter.class,
      description = "Write only shard I of N (0 <= I < N) of a Zarr store that N workers write at once: its whole "
          + "chunks of the rows. Every worker gets the same arguments; the last to finish writes the metadata "
          + "(docs/scale-out.md).")
  Shard shard;

  /** Pad value per '*' feature name, parsed for its dtype. */
  private final Map<String, Object> padValues = new HashMap<>();
  /** Longest row per '*' feature name, from the pre-scan. */
  private final Map<String, Long> maxLengths = new HashMap<>();

  @Override
  public Integer call() throws Exception {
    List<FeatureSpec> features = checkUsage();
    if (shard != null) {
      return convertShard(shardJob(features));
    }
    checkInputs();
    checkOutputDirectory();
    PrintWriter stdout = spec.commandLine().getOut();
    TfRecordExport.VarLen nativeVarLen = varlen == VarLen.PAD ? TfRecordExport.VarLen.PAD : TfRecordExport.VarLen.RAGGED;
    String nativeCannot = format != StoreFormat.NPY ? "--format " + output.format + " (it writes .npy files only)"
        : TfRecordExport.unsupportedReason(features, nativeVarLen);
    if (engine == Engine.NATIVE && nativeCannot != null) {
      throw usage("--engine native cannot convert these features: " + nativeCannot + "; use --engine tensorflow");
    }
    if (engine != Engine.TENSORFLOW && nativeCannot == null) {
      return convertNatively(features, nativeVarLen, stdout);
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
      TfRecordBatches batches = TfRecordDatasets.build(tf, files, compression, features, batchSize);
      try (ExportResult result = export(tf, batches, rows)) {
        if (!quiet) {
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

  /**
   * The native engine: no TensorFlow session, TensorFlow's native library never loaded. The
   * pre-scan is part of its plan (it indexes every file), so {@link #countRows} is not called.
   */
  private int convertNatively(List<FeatureSpec> features, TfRecordExport.VarLen nativeVarLen, PrintWriter stdout)
      throws IOException {
    int n = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
    ExportRun.Job job = (listener, cancellation) -> TfRecordExport.run(new TfRecordExport.Options(files, compression,
        features, nativeVarLen, padValues, limit == null ? Long.MAX_VALUE : limit, n, out, overwrite, !noSync, listener,
        cancellation));
    try (ExportResult result = ExportRun.run(job, out, -1, quiet, spec.commandLine().getErr())) {
      if (!quiet) {
        ExportRun.printSummary(stdout, result, StoreFormat.NPY, "parsing and copying into the files",
            "indexing the records (and counting * and bytes values) and sealing");
        stdout.println("engine: native (" + (engine == Engine.AUTO ? "auto" : "--engine native") + "), " + n + " thread"
            + (n == 1 ? "" : "s") + (compression == TfRecordCompression.NONE ? "" : " (one per compressed file)"));
        stdout.println("open in Python: " + ExportRun.pythonLoad(result.arrays().getFirst().path()));
        stdout.flush();
      }
    }
    return 0;
  }

  private ExportResult export(Ops tf, TfRecordBatches b, long rows) throws IOException {
    ExportBuilder builder;
    if (maxLengths.isEmpty()) {
      builder = TensorSlab.export(b.variant(), b.outputTypes(), b.outputShapes()).names(b.componentNames());
      for (FeatureSpec f : b.features()) {
        if (f.variableLength()) {
          // TensorFlow's parse gives a '*' feature as (values, row_splits) per batch: written as one ragged array.
          builder.rowSplits(f.name(), f.name() + FeatureSpec.VALUES_SUFFIX, f.name() + FeatureSpec.ROW_SPLITS_SUFFIX);
        }
      }
    } else {
      VarLenPadding p = VarLenPadding.of(tf, b, maxLengths, padValues);
      builder = TensorSlab.export(p.variant(), p.types(), p.shapes()).names(p.names());
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
    ShardConversion.Job job;
    try {
      job = new ShardConversion.Job(files, compression, features, limit == null ? Long.MAX_VALUE : limit,
          out.toAbsolutePath().normalize(), zarr, false);
    } catch (IllegalArgumentException e) {
      throw usage("option '--shard': " + e.getMessage());
    }
    checkInputs();
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

  /** Everything picocli cannot check alone; each problem is a usage error naming the flag. */
  List<FeatureSpec> checkUsage() {
    format = output.storeFormat();
    List<FeatureSpec> features;
    try {
      features = FeatureSpec.parseAll(featureTexts);
    } catch (IllegalArgumentException e) {
      throw usage(e.getMessage());
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
    return features;
  }

  private ParameterException usage(String message) {
    return new ParameterException(spec.commandLine(), message);
  }

  /** Missing, directory or unreadable inputs, named before anything is read or written. */
  private void checkInputs() throws TfRecordException {
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
   * only as far as needed; a file cut inside a record fails here, naming file and record. With
   * {@code --varlen pad}, also the longest row of each {@code *} feature, counted by the native
   * reader with TensorFlow's rules (a record TensorFlow would refuse fails here, named).
   */
  private long countRows(List<FeatureSpec> features) throws IOException {
    // Only padding needs the longest row of each '*' feature ahead; ragged output takes rows as they come.
    List<FeatureSpec> padded = varlen != VarLen.PAD ? List.of()
        : features.stream().filter(FeatureSpec::variableLength).toList();
    padded.forEach(f -> maxLengths.put(f.name(), 0L));
    FeatureSelection selection = FeatureSelection.of(padded);
    long max = limit == null ? Long.MAX_VALUE : limit;
    long rows = 0;
    for (Path p : files) {
      if (rows >= max) {
        break;
      }
      if (padded.isEmpty()) {
        try (TfRecordReader r = TfRecordReader.open(p, compression).checkCrc(false)) {
          while (rows < max && r.next()) {
            rows++;
          }
        }
      } else {
        rows += ExampleRecords.read(p, compression, selection, max - rows, (index, record) -> {
          for (int i = 0; i < padded.size(); i++) {
            maxLengths.merge(padded.get(i).name(), (long) record.values(i).count(), Math::max);
          }
        });
      }
    }
    return rows;
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

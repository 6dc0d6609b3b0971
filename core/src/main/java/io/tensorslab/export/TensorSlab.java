package io.tensorslab.export;

import io.tensorslab.tf.TfRecordBatches;
import io.tensorslab.tfrecord.FeatureSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.framework.data.Dataset;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.types.family.TType;

/**
 * Entry point: a TensorFlow Java {@code tf.data} dataset to NumPy {@code .npy} files, one per
 * component, in one pass and one native-to-native copy.
 *
 * {@snippet :
 * Ops tf = Ops.create();                                   // eager
 * Dataset ds = Dataset.fromTensorSlices(tf, List.of(x, y), List.of(TFloat32.class, TInt64.class)).batch(1024);
 * try (ExportResult result = TensorSlab.export(ds).to(Path.of("out")).names("x", "y").run()) {
 *   MemorySegment x = result.array("x").segment();        // zero-copy view of out/x.npy
 * }
 * // python: numpy.load("out/x.npy", mmap_mode="r")
 * }
 *
 * <p>The dataset is expected to be batched: every element is a batch whose first dim is the row count.
 */
public final class TensorSlab {
  private TensorSlab() {}

  /**
   * Reopens the export in {@code directory} from its {@code manifest.json}: every array mapped
   * read-only, checked against the manifest, as the {@link ExportResult} the export returned (its
   * timings are the export's). Close it when done.
   *
   * {@snippet :
   * try (ExportResult export = TensorSlab.open(Path.of("out"))) {
   *   Dataset rows = export.dataset(tf);                     // tf.data over the mapped files
   * }
   * }
   *
   * @throws java.nio.file.NoSuchFileException if there is no {@code manifest.json} (no finished export)
   * @throws IOException if the manifest or a file it lists is malformed, missing, or changed since
   */
  public static ExportResult open(Path directory) throws IOException {
    return ManifestReader.open(Objects.requireNonNull(directory, "directory"));
  }

  /**
   * Exports an eager framework {@link Dataset}. A dataset made with the framework's
   * {@code Dataset.map}, whose function runs on the iterator side, is read through its own iterator,
   * so the export holds exactly what iterating it gives.
   */
  public static ExportBuilder export(Dataset dataset) {
    return new ExportBuilder(DatasetInput.of(dataset, null));
  }

  /** Exports a framework {@link Dataset} built in the graph of {@code session}; as {@link #export(Dataset)}. */
  public static ExportBuilder export(Dataset dataset, Session session) {
    return new ExportBuilder(DatasetInput.of(dataset, Objects.requireNonNull(session, "session")));
  }

  /** Exports an eager dataset variant with its output types and shapes. */
  public static ExportBuilder export(Operand<?> variant, List<Class<? extends TType>> types, List<Shape> shapes) {
    return new ExportBuilder(DatasetInput.of(variant, types, shapes, null));
  }

  /**
   * Exports a dataset variant of the graph run by {@code session}, with its output types and
   * shapes: the arguments of {@link #export(Operand, List, List)}, then the session, as in
   * {@link #export(Dataset, Session)}.
   */
  public static ExportBuilder export(Operand<?> variant, List<Class<? extends TType>> types, List<Shape> shapes,
      Session session) {
    return new ExportBuilder(DatasetInput.of(variant, types, shapes, Objects.requireNonNull(session, "session")));
  }

  /**
   * Exports a parsed TFRecord read ({@link io.tensorslab.tf.TfRecordDatasets#build}): its component
   * names, each ragged feature's {@code (NAME.values, NAME.row_splits)} declared as one ragged array
   * (variable-length features and ragged {@code image:*,*,C}), and the NumPy dtypes of
   * {@code raw-<type>} features TensorFlow Java has no type for. Eager {@code Ops} only.
   *
   * {@snippet :
   * List<Path> files = TfRecordInputs.expand(List.of("data/train-*-of-00004.tfrecord.gz"));
   * TfRecordCompression compression = TfRecordInputs.detectCompression(files);
   * List<FeatureSpec> schema = TfRecordSurvey.scan(files, compression, Long.MAX_VALUE).inferSchema();
   * TfRecordPrescan pre = TfRecordPrescan.run(files, compression, schema, List.of(), Long.MAX_VALUE);
   * try (EagerSession session = EagerSession.create()) {
   *   TfRecordBatches batches = TfRecordDatasets.build(Ops.create(session), files, compression, schema, 256,
   *       pre.imageSizes(), true);
   *   try (ExportResult result = TensorSlab.export(batches).limit(pre.rows()).to(Path.of("out")).run()) {
   *     result.array("image/encoded").shape();   // [rows, H, W, C]
   *   }
   * }
   * }
   */
  public static ExportBuilder export(TfRecordBatches batches) {
    Objects.requireNonNull(batches, "batches");
    ExportBuilder builder = export(batches.variant(), batches.outputTypes(), batches.outputShapes())
        .names(batches.componentNames());
    for (FeatureSpec f : batches.features()) {
      String values = f.name() + FeatureSpec.VALUES_SUFFIX;
      String splits = f.name() + FeatureSpec.ROW_SPLITS_SUFFIX;
      if (batches.componentNames().contains(values) && batches.componentNames().contains(splits)) {
        builder.rowSplits(f.name(), values, splits);
      }
    }
    batches.writeAs().forEach(builder::writeAs);
    return builder;
  }
}

package io.tensorslab.export;

import io.tensorslab.tf.BatchSource;
import io.tensorslab.tf.FeatureSpec;
import io.tensorslab.tf.TfRecordBatches;
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

  /** Exports an eager framework {@link Dataset}. */
  public static ExportBuilder export(Dataset dataset) {
    Objects.requireNonNull(dataset, "dataset");
    return new ExportBuilder(read -> BatchSource.open(dataset.getVariant(), dataset.getOutputTypes(),
        dataset.getOutputShapes(), read));
  }

  /** Exports a framework {@link Dataset} built in the graph of {@code session}. */
  public static ExportBuilder export(Dataset dataset, Session session) {
    Objects.requireNonNull(dataset, "dataset");
    Objects.requireNonNull(session, "session");
    return new ExportBuilder(read -> BatchSource.open(dataset.getVariant(), dataset.getOutputTypes(),
        dataset.getOutputShapes(), session, read));
  }

  /** Exports an eager dataset variant with its output types and shapes. */
  public static ExportBuilder export(Operand<?> variant, List<Class<? extends TType>> types, List<Shape> shapes) {
    Objects.requireNonNull(variant, "variant");
    return new ExportBuilder(read -> BatchSource.open(variant, types, shapes, read));
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

  /** Exports a dataset variant of the graph run by {@code session}, with its output types and shapes. */
  public static ExportBuilder export(Session session, Operand<?> variant, List<Class<? extends TType>> types,
      List<Shape> shapes) {
    Objects.requireNonNull(variant, "variant");
    Objects.requireNonNull(session, "session");
    return new ExportBuilder(read -> BatchSource.open(variant, types, shapes, session, read));
  }
}

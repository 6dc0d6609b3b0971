package io.tensorslab.tf;

import io.tensorslab.npy.NpyDtype;
import io.tensorslab.tfrecord.FeatureSpec;
import io.tensorslab.tfrecord.TfRecordCompression;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.types.family.TType;

/**
 * A batched, parsed TFRecord dataset as {@link TfRecordDatasets#build} made it: the dataset
 * variant plus everything a generic batch iterator needs, and what the error translation needs to
 * name a file and record.
 *
 * <p>Components, in this order: for each feature of {@code features} (the features given, image
 * features moved last; see {@link TfRecordDatasets#build(org.tensorflow.op.Ops, List, TfRecordCompression,
 * List, long, Map, boolean)} for theirs), {@code NAME} for a fixed
 * feature ({@code [batch, *shape]}: {@code TFloat32}, {@code TInt64} or {@code TString}), or
 * {@code NAME.values} ({@code [n]}, the feature's dtype) then {@code NAME.row_splits}
 * ({@code TInt64 [batch + 1]}, from 0) for a variable-length one — exactly a
 * {@code tf.RaggedTensor}'s {@code values} and {@code row_splits} for that batch. Row splits
 * restart at 0 in every batch; the exporter offsets them.
 *
 * <p>A value; owns nothing. The variant lives as long as the {@code Ops} scope it was built in.
 *
 * @param variant the dataset variant tensor (eager) or output (graph)
 * @param outputTypes one type per component
 * @param outputShapes one shape per component; dim 0 is -1 (the last batch may be short)
 * @param componentNames one name per component, {@code NAME}, {@code NAME.values}, {@code NAME.row_splits}
 * @param files the input files, in reading order
 * @param compression how the files are stored
 * @param features the parsed features, in the order given
 * @param batchSize records per batch (the last batch may have fewer)
 * @param componentCounts per feature (in {@code features} order), how many components it has
 * @param writeAs NumPy dtypes to write components under instead of their tensor type's (same item
 *     size; {@code raw-int8} travels as {@code TUint8}, for one), by component name
 */
public record TfRecordBatches(
    Operand<? extends TType> variant,
    List<Class<? extends TType>> outputTypes,
    List<Shape> outputShapes,
    List<String> componentNames,
    List<Path> files,
    TfRecordCompression compression,
    List<FeatureSpec> features,
    long batchSize,
    List<Integer> componentCounts,
    Map<String, NpyDtype> writeAs) {

  public TfRecordBatches {
    outputTypes = List.copyOf(outputTypes);
    outputShapes = List.copyOf(outputShapes);
    componentNames = List.copyOf(componentNames);
    files = List.copyOf(files);
    features = List.copyOf(features);
    componentCounts = List.copyOf(componentCounts);
    writeAs = Map.copyOf(writeAs);
    if (outputTypes.size() != componentNames.size() || outputShapes.size() != componentNames.size()) {
      throw new IllegalArgumentException("components: " + componentNames.size() + " names, "
          + outputTypes.size() + " types, " + outputShapes.size() + " shapes");
    }
  }
}

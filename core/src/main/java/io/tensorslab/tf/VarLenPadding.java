package io.tensorslab.tf;

import io.tensorslab.tfrecord.FeatureSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.tensorflow.ConcreteFunction;
import org.tensorflow.Operand;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.index.Indices;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.data.MapDataset;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TType;

/**
 * {@code --varlen pad}: a map after the parse that turns each {@code *} feature's
 * {@code (values, row_splits)} pair into {@code NAME} {@code [batch, maxlen]}, padded with the pad
 * value ({@code RaggedTensorToTensor}), and {@code NAME.lengths} {@code [batch]} int64. {@code maxlen}
 * is the longest row of the whole input, counted in the pre-scan, so every batch has the same row
 * shape and the engine writes both as plain dense components. Fixed features pass through.
 *
 * @param variant the padded dataset
 * @param types one per output component
 * @param shapes one per output component
 * @param names one per output component: {@code NAME}, and {@code NAME.lengths} after a padded one
 */
public record VarLenPadding(Operand<? extends TType> variant, List<Class<? extends TType>> types, List<Shape> shapes,
    List<String> names) {

  public static final String LENGTHS_SUFFIX = ".lengths";

  /**
   * @param maxLength the longest row per {@code *} feature name
   * @param pad the pad value: a {@code Float}, {@code Long} or {@code String} per {@code *} feature name
   */
  public static VarLenPadding of(Ops tf, TfRecordBatches b, Map<String, Long> maxLength, Map<String, Object> pad) {
    List<Class<? extends TType>> types = new ArrayList<>();
    List<Shape> shapes = new ArrayList<>();
    List<String> names = new ArrayList<>();
    int c = 0;
    for (int i = 0; i < b.features().size(); i++) {
      FeatureSpec f = b.features().get(i);
      if (f.variableLength()) {
        types.add(b.outputTypes().get(c));
        shapes.add(Shape.of(-1, maxLength.get(f.name())));
        names.add(f.name());
        types.add(TInt64.class);
        shapes.add(Shape.of(-1));
        names.add(f.name() + LENGTHS_SUFFIX);
        c += 2;
      } else {
        // fixed features, decoded images (and their shapes) pass through
        for (int k = 0; k < b.componentCounts().get(i); k++, c++) {
          types.add(b.outputTypes().get(c));
          shapes.add(b.outputShapes().get(c));
          names.add(b.componentNames().get(c));
        }
      }
    }
    Operand<? extends TType> padded;
    try (ConcreteFunction fn = ConcreteFunction.create(ftf -> signature(ftf, b, maxLength, pad))) {
      padded = tf.data.mapDataset(b.variant(), List.of(), fn, types, shapes, MapDataset.preserveCardinality(true));
    }
    return new VarLenPadding(padded, types, shapes, names);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Signature signature(Ops tf, TfRecordBatches b, Map<String, Long> maxLength, Map<String, Object> pad) {
    Signature.Builder sig = Signature.builder();
    List<Operand<?>> inputs = new ArrayList<>();
    for (int i = 0; i < b.outputTypes().size(); i++) {
      Placeholder<?> p = tf.placeholder((Class) b.outputTypes().get(i), Placeholder.shape(b.outputShapes().get(i)));
      sig.input(String.format("i%04d", i), p);
      inputs.add(p);
    }
    int c = 0;
    int out = 0;
    for (int i = 0; i < b.features().size(); i++) {
      FeatureSpec f = b.features().get(i);
      if (f.variableLength()) {
        Operand values = inputs.get(c);
        Operand<TInt64> splits = (Operand<TInt64>) inputs.get(c + 1);
        boolean floats = f.dtype() == FeatureSpec.Dtype.FLOAT32;
        Operand fill = switch (f.dtype()) {
          // float32 is padded as its int32 bits: TensorFlow's kernels flush a denormal pad value to 0.0
          case FLOAT32 -> tf.constant(Float.floatToRawIntBits((Float) pad.get(f.name())));
          case INT64 -> tf.constant((Long) pad.get(f.name()));
          case BYTES -> tf.constant((String) pad.get(f.name()));
        };
        long width = maxLength.get(f.name());
        Operand<TInt64> lengths = tf.math.sub(tf.stridedSlice(splits, Indices.sliceFrom(1)),
            tf.stridedSlice(splits, Indices.sliceTo(-1)));
        // RaggedTensorToTensor cuts a row longer than the width without a word: refuse it instead.
        // The pre-scan counts as TensorFlow's parser does, so this fires only if the two ever disagree.
        Ops checked = tf.withControlDependencies(tf.assertThat(
            tf.math.lessEqual(tf.max(tf.concat(List.of(lengths, tf.constant(new long[] {0})), tf.constant(0)),
                tf.constant(0)), tf.constant(width)),
            List.of(tf.constant("padded layout narrower than a row: a row of feature " + f.name() + " is longer than "
                + width + ", the longest row the pre-scan found"))));
        Operand dense = checked.ragged.raggedTensorToTensor(tf.constant(new long[] {-1, width}),
            floats ? tf.bitcast(values, TInt32.class) : values, fill, List.of(splits), List.of("ROW_SPLITS"));
        if (floats) {
          dense = tf.bitcast(dense, TFloat32.class);
        }
        sig.output(String.format("c%04d", out++), dense);
        sig.output(String.format("c%04d", out++), checked.identity(lengths));
        c += 2;
      } else {
        for (int k = 0; k < b.componentCounts().get(i); k++, c++) {
          sig.output(String.format("c%04d", out++), tf.identity((Operand) inputs.get(c)));
        }
      }
    }
    return sig.build();
  }

  /** Parses {@code --pad-value} for a feature of {@code dtype}, or its default when null. */
  public static Object padValue(String text, FeatureSpec.Dtype dtype) {
    return switch (dtype) {
      case FLOAT32 -> text == null ? 0f : Float.parseFloat(text);
      case INT64 -> text == null ? 0L : Long.parseLong(text.strip());
      case BYTES -> text == null ? "" : text;
    };
  }
}

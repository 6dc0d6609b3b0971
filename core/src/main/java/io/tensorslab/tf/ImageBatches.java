package io.tensorslab.tf;

import io.tensorslab.tfrecord.FeatureSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.tensorflow.ConcreteFunction;
import org.tensorflow.Operand;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.data.MapDataset;
import org.tensorflow.op.image.DecodeImage;
import org.tensorflow.op.io.ParseExample;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;
import org.tensorflow.types.TUint8;
import org.tensorflow.types.family.TType;

/**
 * The image features of a TFRecord read, decoded by TensorFlow's own {@code DecodeImage}:
 * {@code records → map(parse one record, decode each image) → batch}, then for ragged output a map
 * that cuts the padding away again. One record at a time because {@code DecodeImage} takes one image;
 * everything after it is per batch.
 *
 * <p>Decoding is {@code tf.io.decode_image(bytes, channels=C, expand_animations=False)}: JPEG, PNG,
 * BMP and the first frame of a GIF, converted to C channels. A fixed {@code image:H,W,C} is checked
 * by {@code EnsureShape}; an {@code image:*,*,C} is padded with zeros at the bottom and right to the
 * largest size (known from the pre-scan), so that records batch, and its {@code [h, w, C]} goes to
 * {@code NAME.shapes}. Ragged output keeps, per image in C order, the pixels inside its shape — a
 * boolean mask over the padded batch — with row splits counting elements.
 */
record ImageBatches(Operand<? extends TType> variant, List<Class<? extends TType>> types, List<Shape> shapes,
    List<String> names, List<Integer> componentCounts) {

  static ImageBatches build(Ops tf, Operand<? extends TType> records, List<FeatureSpec> images,
      Map<String, long[]> sizes, boolean ragged, long batchSize) {
    List<Class<? extends TType>> recordTypes = new ArrayList<>();
    List<Shape> recordShapes = new ArrayList<>();
    for (FeatureSpec f : images) {
      long[] hw = paddedSize(f, sizes);
      recordTypes.add(TUint8.class);
      recordShapes.add(Shape.of(hw[0], hw[1], f.shape().get(2)));
      if (f.imageSizeVaries()) {
        recordTypes.add(TInt64.class);
        recordShapes.add(Shape.of(3));
      }
    }
    Operand<? extends TType> decoded;
    try (ConcreteFunction fn = ConcreteFunction.create(ftf -> decodeOne(ftf, images, sizes))) {
      decoded = tf.data.mapDataset(records, List.of(), fn, recordTypes, recordShapes,
          MapDataset.preserveCardinality(true));
    }
    List<Shape> batchShapes = recordShapes.stream().map(s -> Shape.of(-1).append(s)).toList();
    Operand<? extends TType> batched = tf.data.batchDataset(decoded, tf.constant(batchSize), tf.constant(false),
        recordTypes, batchShapes);

    List<String> names = new ArrayList<>();
    List<Integer> counts = new ArrayList<>();
    List<Class<? extends TType>> types = new ArrayList<>();
    List<Shape> shapes = new ArrayList<>();
    int c = 0;
    for (FeatureSpec f : images) {
      if (f.imageSizeVaries() && ragged) {
        names.addAll(List.of(f.name() + FeatureSpec.VALUES_SUFFIX, f.name() + FeatureSpec.ROW_SPLITS_SUFFIX,
            f.name() + FeatureSpec.SHAPES_SUFFIX));
        types.addAll(List.of(TUint8.class, TInt64.class, TInt64.class));
        shapes.addAll(List.of(Shape.of(-1), Shape.of(-1), Shape.of(-1, 3)));
        counts.add(3);
        c += 2;
      } else {
        int n = f.componentNames().size(); // the padded image (and its shapes), or the fixed image
        names.addAll(f.componentNames());
        types.addAll(recordTypes.subList(c, c + n));
        shapes.addAll(batchShapes.subList(c, c + n));
        counts.add(n);
        c += n;
      }
    }
    if (!ragged || images.stream().noneMatch(FeatureSpec::imageSizeVaries)) {
      return new ImageBatches(batched, recordTypes, batchShapes, names, counts);
    }
    Operand<? extends TType> cut;
    try (ConcreteFunction fn = ConcreteFunction.create(ftf -> unpad(ftf, images, recordTypes, batchShapes))) {
      cut = tf.data.mapDataset(batched, List.of(), fn, types, shapes, MapDataset.preserveCardinality(true));
    }
    return new ImageBatches(cut, types, shapes, names, counts);
  }

  /** {@code {H, W}} of a fixed image, or the largest of an {@code image:*,*,C} one. */
  private static long[] paddedSize(FeatureSpec f, Map<String, long[]> sizes) {
    return f.imageSizeVaries() ? sizes.get(f.name()) : new long[] {f.shape().get(0), f.shape().get(1)};
  }

  /** One serialized record in; per image feature its decoded (and padded) pixels, and its shape if it varies. */
  private static Signature decodeOne(Ops tf, List<FeatureSpec> images, Map<String, long[]> sizes) {
    Placeholder<TString> record = tf.placeholder(TString.class, Placeholder.shape(Shape.scalar()));
    List<String> keys = images.stream().map(FeatureSpec::name).toList();
    List<Operand<?>> defaults = new ArrayList<>();
    List<Shape> denseShapes = new ArrayList<>();
    for (int i = 0; i < keys.size(); i++) {
      defaults.add(TfRecordDatasets.strings(tf)); // empty default: the feature is required
      denseShapes.add(Shape.scalar());
    }
    ParseExample p = tf.io.parseExample(tf.reshape(record, tf.constant(new long[] {1})), TfRecordDatasets.strings(tf),
        TfRecordDatasets.strings(tf), TfRecordDatasets.strings(tf, keys.toArray(String[]::new)),
        TfRecordDatasets.strings(tf), defaults, 0L, List.of(), List.of(), List.of(), denseShapes);
    Signature.Builder sig = Signature.builder().input("record", record);
    int out = 0;
    for (int i = 0; i < images.size(); i++) {
      FeatureSpec f = images.get(i);
      long channels = f.shape().get(2);
      @SuppressWarnings("unchecked")
      Operand<TString> bytes = tf.reshape((Operand<TString>) p.denseValues().get(i), tf.constant(new long[0]));
      Operand<TUint8> image = tf.image.decodeImage(bytes, TUint8.class, DecodeImage.channels(channels),
          DecodeImage.expandAnimations(false));
      if (!f.imageSizeVaries()) {
        sig.output(String.format("c%04d", out++), tf.ensureShape(image, Shape.of(f.shape().get(0), f.shape().get(1),
            channels)));
        continue;
      }
      long[] max = sizes.get(f.name());
      Operand<TInt64> shape = tf.shape(image, TInt64.class);
      Operand<TInt64> hw = tf.stridedSlice(shape, org.tensorflow.ndarray.index.Indices.sliceTo(2));
      // paddings [[0, maxH - h], [0, maxW - w], [0, 0]]
      Operand<TInt64> after = tf.concat(List.of(tf.math.sub(tf.constant(max), hw), tf.constant(new long[] {0})),
          tf.constant(0));
      Operand<TInt64> paddings = tf.stack(List.of(tf.zeros(tf.constant(new long[] {3}), TInt64.class), after),
          org.tensorflow.op.core.Stack.axis(1L));
      Operand<TUint8> padded = tf.pad(image, paddings, tf.dtypes.cast(tf.constant(0), TUint8.class));
      sig.output(String.format("c%04d", out++), tf.ensureShape(padded, Shape.of(max[0], max[1], channels)));
      sig.output(String.format("c%04d", out++), shape);
    }
    return sig.build();
  }

  /**
   * A batch of padded images and their shapes in; per {@code image:*,*,C} feature the pixels inside
   * each image's shape (flat, C order), row splits in elements, and the shapes. Fixed images pass.
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Signature unpad(Ops tf, List<FeatureSpec> images, List<Class<? extends TType>> types,
      List<Shape> shapes) {
    Signature.Builder sig = Signature.builder();
    List<Operand<?>> in = new ArrayList<>();
    for (int i = 0; i < types.size(); i++) {
      Placeholder<?> p = tf.placeholder((Class) types.get(i), Placeholder.shape(shapes.get(i)));
      sig.input(String.format("i%04d", i), p);
      in.add(p);
    }
    int c = 0;
    int out = 0;
    for (FeatureSpec f : images) {
      if (!f.imageSizeVaries()) {
        sig.output(String.format("c%04d", out++), tf.identity((Operand) in.get(c++)));
        continue;
      }
      Operand<TUint8> padded = (Operand<TUint8>) in.get(c++);
      Operand<TInt64> imageShapes = (Operand<TInt64>) in.get(c++);
      long maxH = shapes.get(c - 2).get(1);
      long maxW = shapes.get(c - 2).get(2);
      Operand<TInt64> h = column(tf, imageShapes, 0);
      Operand<TInt64> w = column(tf, imageShapes, 1);
      Operand<TBool> rowInside = tf.math.less(tf.reshape(tf.range(tf.constant(0L), tf.constant(maxH), tf.constant(1L)),
          tf.constant(new long[] {1, maxH})), h); // [batch, maxH]
      Operand<TBool> colInside = tf.math.less(tf.reshape(tf.range(tf.constant(0L), tf.constant(maxW), tf.constant(1L)),
          tf.constant(new long[] {1, maxW})), w); // [batch, maxW]
      Operand<TBool> inside = tf.math.logicalAnd(tf.expandDims(rowInside, tf.constant(2)),
          tf.expandDims(colInside, tf.constant(1))); // [batch, maxH, maxW]
      Operand<TUint8> values = tf.reshape(tf.booleanMask(padded, inside), tf.constant(new long[] {-1}));
      Operand<TInt64> sizes = tf.reduceProd(imageShapes, tf.constant(1));
      Operand<TInt64> splits = tf.concat(List.of(tf.constant(new long[] {0}), tf.math.cumsum(sizes, tf.constant(0))),
          tf.constant(0));
      sig.output(String.format("c%04d", out++), values);
      sig.output(String.format("c%04d", out++), splits);
      sig.output(String.format("c%04d", out++), tf.identity(imageShapes));
    }
    return sig.build();
  }

  /** Column {@code i} of an {@code [n, 3]} matrix as {@code [n, 1]}. */
  private static Operand<TInt64> column(Ops tf, Operand<TInt64> m, long i) {
    return tf.slice(m, tf.constant(new long[] {0, i}), tf.constant(new long[] {-1, 1}));
  }
}

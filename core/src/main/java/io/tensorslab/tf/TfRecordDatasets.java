package io.tensorslab.tf;

import io.tensorslab.npy.NpyDtype;
import io.tensorslab.tfrecord.FeatureSpec;
import io.tensorslab.tfrecord.TfRecordCompression;
import io.tensorslab.tfrecord.TfRecordException;
import io.tensorslab.tfrecord.TfRecordPrescan;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.tensorflow.ConcreteFunction;
import org.tensorflow.Operand;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.NdArray;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.data.MapDataset;
import org.tensorflow.op.io.DecodeRaw;
import org.tensorflow.op.io.ParseExample;
import org.tensorflow.types.TFloat16;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;
import org.tensorflow.types.TUint16;
import org.tensorflow.types.TUint8;
import org.tensorflow.types.family.TNumber;
import org.tensorflow.types.family.TType;

/**
 * Builds the {@code tensorslab convert} input pipeline with TensorFlow's own ops:
 * {@code TFRecordDataset} (all files, in the order given) → {@code BatchDataset} → {@code MapDataset}
 * over {@code ParseExampleV2} ({@code tf.io.parse_example}). Works in eager mode and in graph mode:
 * the {@code Ops} decides.
 *
 * <p>Parsing after batching is what Python's {@code dataset.batch(n).map(tf.io.parse_example)} does
 * and costs one parse call per batch. Variable-length features come out of {@code ParseExampleV2}
 * as ragged {@code values} and {@code row_splits}, plain tensors, so the batch iterator needs no
 * variant decoding. ({@code ParseExampleDatasetV2} would emit a ragged feature as a scalar
 * {@code DT_VARIANT} holding a {@code RaggedTensorVariant}, and a {@code RaggedTensorFromVariant}
 * map after it; the map over {@code ParseExampleV2} is the shorter road to the same kernel.)
 *
 * {@snippet :
 * try (EagerSession session = EagerSession.create()) {
 *   Ops tf = Ops.create(session);
 *   TfRecordBatches b = TfRecordDatasets.build(tf, List.of(Path.of("train.tfrecord.gz")),
 *       TfRecordCompression.GZIP, FeatureSpec.parseAll(List.of("image:float32:28,28", "label:int64:")), 1024);
 *   // b.variant(), b.outputTypes(), b.outputShapes() go to a batch iterator; b.componentNames() name them
 * }
 * }
 *
 * <p>Errors while iterating are TensorFlow exceptions that name at most a batch-relative example
 * index and a byte offset; {@link TfRecordErrors#explain} turns one into a {@link TfRecordException}
 * naming the file, record, feature and problem.
 */
public final class TfRecordDatasets {

  /** TensorFlow's own default read buffer for TFRecord files (Python's {@code 256 * 1024}). */
  static final long READ_BUFFER_BYTES = 256 * 1024;

  private TfRecordDatasets() {}

  /**
   * Checks every file up front, then builds the pipeline.
   *
   * @param tf an eager or graph {@code Ops}; the dataset lives in its execution environment
   * @param files TFRecord files, read one after the other in this order
   * @param compression how every file is stored
   * @param features what to parse, at least one, names unique (see {@link FeatureSpec#parseAll})
   * @param batchSize records per batch, at least 1
   * @throws IOException naming the first file that is missing, a directory or unreadable
   * @throws IllegalArgumentException for no files, no features, duplicate names or a batch size below 1
   */
  public static TfRecordBatches build(
      Ops tf, List<Path> files, TfRecordCompression compression, List<FeatureSpec> features, long batchSize)
      throws IOException {
    return build(tf, files, compression, features, batchSize, Map.of(), false);
  }

  /**
   * As {@link #build(Ops, List, TfRecordCompression, List, long)}, with {@code image} features.
   *
   * <p>Image features are read by a second pass over the same records, zipped beside the batched
   * parse: {@code TFRecordDataset → map(parse one record, DecodeImage per image) → batch}. An
   * {@code image:H,W,C} feature comes out as {@code NAME} uint8 {@code [batch, H, W, C]}; an
   * {@code image:*,*,C} one padded with zeros, top-left aligned, to {@code imageSizes}' height and
   * width as {@code NAME} plus {@code NAME.shapes} (int64 {@code [batch, 3]}), or with
   * {@code raggedImages} as {@code NAME.values} (flat uint8), {@code NAME.row_splits} (int64, in
   * elements) and {@code NAME.shapes}. Components: the other features first, in the order given,
   * then the image features.
   *
   * @param imageSizes {@code {height, width}} of the largest image per {@code image:*,*,C} feature
   *     (from a pre-scan of the headers, {@link TfRecordPrescan})
   * @param raggedImages write {@code image:*,*,C} features ragged rather than padded
   */
  public static TfRecordBatches build(Ops tf, List<Path> files, TfRecordCompression compression,
      List<FeatureSpec> features, long batchSize, Map<String, long[]> imageSizes, boolean raggedImages)
      throws IOException {
    return build(tf, files, compression, features, batchSize, imageSizes, raggedImages, Long.MAX_VALUE);
  }

  /**
   * As {@link #build(Ops, List, TfRecordCompression, List, long, Map, boolean)}, reading only the
   * first {@code limit} records: records past it are never parsed or decoded (so a pre-scan of the
   * first {@code limit} records knows every image that is decoded).
   */
  public static TfRecordBatches build(Ops tf, List<Path> files, TfRecordCompression compression,
      List<FeatureSpec> features, long batchSize, Map<String, long[]> imageSizes, boolean raggedImages, long limit)
      throws IOException {
    Objects.requireNonNull(tf, "tf");
    Objects.requireNonNull(compression, "compression");
    checkArguments(files, features, batchSize);
    checkFiles(files);
    List<FeatureSpec> parsedFeatures = features.stream().filter(f -> !f.isImage()).toList();
    List<FeatureSpec> imageFeatures = features.stream().filter(FeatureSpec::isImage).toList();
    for (FeatureSpec f : imageFeatures) {
      if (f.imageSizeVaries() && !imageSizes.containsKey(f.name())) {
        throw new IllegalArgumentException("feature '" + f.name() + "' is image:*,*,C: give the largest height and "
            + "width of its images (a pre-scan finds them)");
      }
    }

    String[] names = new String[files.size()];
    for (int i = 0; i < names.length; i++) {
      names[i] = files.get(i).toString();
    }
    List<Class<? extends TType>> types = new ArrayList<>();
    List<Shape> shapes = new ArrayList<>();
    List<String> componentNames = new ArrayList<>();
    List<Integer> componentCounts = new ArrayList<>();
    Map<String, NpyDtype> writeAs = new LinkedHashMap<>();
    for (FeatureSpec f : parsedFeatures) {
      Class<? extends TType> type = tensorType(f);
      if (f.decoder() instanceof FeatureSpec.Decoder.Raw raw) {
        types.add(type);
        shapes.add(batchShape(f));
        if (!TfDtypes.toNpy(type).equals(raw.type().npy())) {
          writeAs.put(f.name(), raw.type().npy());
        }
      } else if (f.variableLength()) {
        types.add(type);
        shapes.add(Shape.of(-1));
        types.add(TInt64.class);
        shapes.add(Shape.of(-1));
      } else {
        types.add(type);
        shapes.add(batchShape(f));
      }
      componentNames.addAll(f.componentNames());
      componentCounts.add(f.componentNames().size());
    }

    List<Operand<? extends TType>> zipped = new ArrayList<>();
    if (!parsedFeatures.isEmpty()) {
      Operand<? extends TType> batches = tf.data.batchDataset(
          records(tf, names, compression, limit), tf.constant(batchSize), tf.constant(false),
          List.of(TString.class), List.of(Shape.of(-1)));
      // The function is copied into the graph's or the eager context's function library when the
      // map op is made, so the Java handle can go right after.
      try (ConcreteFunction parse = ConcreteFunction.create(ftf -> parseSignature(ftf, parsedFeatures))) {
        zipped.add(tf.data.mapDataset(batches, List.of(), parse, List.copyOf(types), List.copyOf(shapes),
            MapDataset.preserveCardinality(true)));
      }
    }
    if (!imageFeatures.isEmpty()) {
      ImageBatches images = ImageBatches.build(tf, records(tf, names, compression, limit), imageFeatures, imageSizes,
          raggedImages, batchSize);
      zipped.add(images.variant());
      types.addAll(images.types());
      shapes.addAll(images.shapes());
      componentNames.addAll(images.names());
      componentCounts.addAll(images.componentCounts());
    }
    Operand<? extends TType> variant = zipped.size() == 1 ? zipped.getFirst()
        : tf.data.zipDataset(zipped, types, shapes);
    List<FeatureSpec> ordered = new ArrayList<>(parsedFeatures);
    ordered.addAll(imageFeatures);
    return new TfRecordBatches(variant, types, shapes, componentNames, files, compression, ordered, batchSize,
        componentCounts, writeAs);
  }

  /** The first {@code limit} records of all files, in order, as TensorFlow's {@code TFRecordDataset} reads them. */
  private static Operand<? extends TType> records(Ops tf, String[] names, TfRecordCompression compression, long limit) {
    Operand<TType> all = tf.scope().opBuilder("TFRecordDataset", "TfRecordDataset")
        .addInput(strings(tf, names).asOutput())
        .addInput(tf.constant(compression.tfName()).asOutput())
        .addInput(tf.constant(READ_BUFFER_BYTES).asOutput())
        .build()
        .output(0);
    return limit == Long.MAX_VALUE ? all
        : tf.data.takeDataset(all, tf.constant(limit), List.of(TString.class), List.of(Shape.scalar()));
  }

  /**
   * Fails with a message naming the first file that cannot be read: missing, a directory, or
   * without read permission. TensorFlow itself would only say so at the first batch.
   */
  public static void checkFiles(List<Path> files) throws IOException {
    for (Path p : files) {
      if (!Files.exists(p)) {
        throw new NoSuchFileException(p.toString(), null, "TFRecord input file does not exist");
      }
      if (Files.isDirectory(p)) {
        throw new IOException("TFRecord input is a directory, not a file (path=" + p + ")");
      }
      if (!Files.isReadable(p)) {
        throw new AccessDeniedException(p.toString(), null, "TFRecord input file is not readable");
      }
    }
  }

  private static void checkArguments(List<Path> files, List<FeatureSpec> features, long batchSize) {
    if (files == null || files.isEmpty()) {
      throw new IllegalArgumentException("no TFRecord input file given");
    }
    if (features == null || features.isEmpty()) {
      throw new IllegalArgumentException("no feature given to parse");
    }
    Map<String, String> featureOf = new LinkedHashMap<>();
    for (FeatureSpec f : features) {
      for (String c : f.componentNames()) {
        String other = featureOf.putIfAbsent(c, f.name());
        if (other != null) {
          throw new IllegalArgumentException(other.equals(f.name()) ? "feature '" + f.name() + "' is given twice"
              : "features '" + other + "' and '" + f.name() + "' would both be written to output '" + c
              + "'; rename or drop one of them");
        }
      }
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
    }
  }

  /**
   * The per-batch parse: {@code serialized [batch]} in, one output per component out. Outputs are
   * named {@code c0000, c0001, ...} so that their order is the component order whether a signature
   * keeps insertion or name order.
   */
  private static Signature parseSignature(Ops tf, List<FeatureSpec> features) {
    Placeholder<TString> serialized = tf.placeholder(TString.class, Placeholder.shape(Shape.of(-1)));
    List<String> denseKeys = new ArrayList<>();
    List<Operand<?>> denseDefaults = new ArrayList<>();
    List<Shape> denseShapes = new ArrayList<>();
    List<String> raggedKeys = new ArrayList<>();
    List<Class<? extends TType>> raggedValueTypes = new ArrayList<>();
    List<Class<? extends TNumber>> raggedSplitTypes = new ArrayList<>();
    for (FeatureSpec f : features) {
      if (f.variableLength()) {
        raggedKeys.add(f.name());
        raggedValueTypes.add(tensorType(f.dtype()));
        raggedSplitTypes.add(TInt64.class);
      } else {
        denseKeys.add(f.name());
        // An empty default makes the feature required: a record without it is an error, not a fill.
        denseDefaults.add(emptyOf(tf, f.dtype()));
        // A decoded feature is one byte string per record.
        denseShapes.add(f.decoder() instanceof FeatureSpec.Decoder.None ? Shape.of(toArray(f.shape())) : Shape.scalar());
      }
    }
    ParseExample p = tf.io.parseExample(
        serialized,
        strings(tf), // names: none, TensorFlow then reports batch-relative indices
        strings(tf), // sparse keys
        strings(tf, denseKeys.toArray(String[]::new)),
        strings(tf, raggedKeys.toArray(String[]::new)),
        denseDefaults,
        0L,
        List.of(),
        raggedValueTypes,
        raggedSplitTypes,
        denseShapes);
    Signature.Builder sig = Signature.builder().input("serialized", serialized);
    int dense = 0;
    int ragged = 0;
    int out = 0;
    for (FeatureSpec f : features) {
      if (f.variableLength()) {
        sig.output(outputName(out++), p.raggedValues().get(ragged));
        sig.output(outputName(out++), p.raggedRowSplits().get(ragged));
        ragged++;
      } else if (f.decoder() instanceof FeatureSpec.Decoder.Raw) {
        @SuppressWarnings("unchecked")
        Operand<TString> bytes = (Operand<TString>) p.denseValues().get(dense++);
        // decode_raw: all byte strings of the batch must be equally long (the pre-scan names a record
        // that is not); the reshape then checks the element count against SHAPE. Its batch dim is the
        // batch's record count, not -1: with a 0 in SHAPE there are no elements to infer -1 from.
        Operand<? extends TType> values = tf.io.decodeRaw(bytes, tensorType(f), DecodeRaw.littleEndian(true));
        Operand<TInt64> shape = tf.concat(List.of(tf.shape(bytes, TInt64.class), tf.constant(toArray(f.shape()))),
            tf.constant(0));
        sig.output(outputName(out++), tf.reshape(values, shape));
      } else {
        sig.output(outputName(out++), p.denseValues().get(dense++));
      }
    }
    return sig.build();
  }

  /** A {@code TString} vector; {@code Ops.constant} has no {@code String[]} overload. */
  static Operand<TString> strings(Ops tf, String... values) {
    NdArray<String> v = NdArrays.ofObjects(String.class, Shape.of(values.length));
    for (int i = 0; i < values.length; i++) {
      v.setObject(values[i], i);
    }
    return tf.constant(v);
  }

  private static String outputName(int i) {
    return String.format("c%04d", i);
  }

  private static Operand<?> emptyOf(Ops tf, FeatureSpec.Dtype dtype) {
    return switch (dtype) {
      case FLOAT32 -> tf.constant(new float[0]);
      case INT64 -> tf.constant(new long[0]);
      case BYTES -> strings(tf);
    };
  }

  /**
   * The tensor type of a feature's component: its wire type, or for {@code raw-<type>} the TF Java
   * type of the same item size ({@code int8} as {@code TUint8}, {@code int16} as {@code TUint16},
   * {@code uint32} as {@code TInt32}, {@code uint64} as {@code TInt64}: TF Java has none of those;
   * the export writes the bytes under the right NumPy dtype).
   */
  static Class<? extends TType> tensorType(FeatureSpec f) {
    if (f.decoder() instanceof FeatureSpec.Decoder.Raw raw) {
      return switch (raw.type()) {
        case INT8, UINT8 -> TUint8.class;
        case INT16, UINT16 -> TUint16.class;
        case INT32, UINT32 -> TInt32.class;
        case INT64, UINT64 -> TInt64.class;
        case FLOAT16 -> TFloat16.class;
        case FLOAT32 -> TFloat32.class;
        case FLOAT64 -> TFloat64.class;
      };
    }
    return tensorType(f.dtype());
  }

  static Class<? extends TType> tensorType(FeatureSpec.Dtype dtype) {
    return switch (dtype) {
      case FLOAT32 -> TFloat32.class;
      case INT64 -> TInt64.class;
      case BYTES -> TString.class;
    };
  }

  static Shape batchShape(FeatureSpec f) {
    long[] dims = new long[f.shape().size() + 1];
    dims[0] = -1;
    for (int i = 0; i < f.shape().size(); i++) {
      dims[i + 1] = f.shape().get(i);
    }
    return Shape.of(dims);
  }

  private static long[] toArray(List<Long> dims) {
    long[] a = new long[dims.size()];
    for (int i = 0; i < a.length; i++) {
      a[i] = dims.get(i);
    }
    return a;
  }
}

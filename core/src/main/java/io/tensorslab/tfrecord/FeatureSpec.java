package io.tensorslab.tfrecord;

import io.tensorslab.npy.NpyDtype;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One {@code --feature NAME:DTYPE:SHAPE} of {@code tensorslab convert}: a {@code tf.train.Example}
 * feature to read, its kind and its per-record shape.
 *
 * <p>The text is split at its last two colons, so a name may itself hold {@code :}.
 * {@code SHAPE} is comma-separated dims ({@code 8,8}), empty for a scalar ({@code label:int64:}),
 * or {@code *} for a variable-length 1-D feature. A fixed feature becomes one output component
 * named {@code NAME} of shape {@code [rows, *shape]}; a variable-length one becomes two,
 * {@code NAME.values} and {@code NAME.row_splits} (see {@link #componentNames()}).
 *
 * {@snippet :
 * List<FeatureSpec> specs = FeatureSpec.parseAll(List.of("image:float32:28,28", "label:int64:", "tokens:int64:*"));
 * specs.get(0).shape();          // [28, 28]
 * specs.get(2).variableLength(); // true
 * }
 *
 * @param name the feature key in the {@code Example}, any string (it may hold {@code :} and {@code /});
 *     also the stem of its output files, {@code /} making nested directories
 * @param dtype which of the three {@code Example} value lists it holds
 * @param shape the per-record dims of a fixed feature (empty for a scalar and for a variable-length
 *     feature); unmodifiable
 * @param variableLength true for {@code *}: any number of values per record, kept ragged
 */
public record FeatureSpec(String name, Dtype dtype, List<Long> shape, boolean variableLength, Decoder decoder) {

  /**
   * What is done to a bytes feature's value after parsing: nothing, decoded as an image
   * ({@code image} DTYPE), or reinterpreted as little-endian numbers ({@code raw-<type>} DTYPE).
   */
  public sealed interface Decoder {
    /** The values as parsed. */
    Decoder NONE = new None();

    /** No decoding. */
    record None() implements Decoder {}

    /**
     * One image per record, decoded by TensorFlow's {@code DecodeImage} with {@code channels} as
     * {@code tf.io.decode_image(channels=C)}; SHAPE is {@code H,W,C} or {@code *,*,C}.
     */
    record Image() implements Decoder {}

    /** One byte string per record holding {@code ndarray.tobytes()} of {@code type}, little-endian. */
    record Raw(RawType type) implements Decoder {}
  }

  /** The element types of {@code raw-<type>}, with their NumPy dtypes. */
  public enum RawType {
    INT8(NpyDtype.INT8), UINT8(NpyDtype.UINT8), INT16(NpyDtype.INT16), UINT16(NpyDtype.UINT16),
    INT32(NpyDtype.INT32), UINT32(NpyDtype.UINT32), INT64(NpyDtype.INT64), UINT64(NpyDtype.UINT64),
    FLOAT16(NpyDtype.FLOAT16), FLOAT32(NpyDtype.FLOAT32), FLOAT64(NpyDtype.FLOAT64);

    private final NpyDtype npy;

    RawType(NpyDtype npy) {
      this.npy = npy;
    }

    /** The NumPy dtype written. */
    public NpyDtype npy() {
      return npy;
    }

    /** Bytes per element. */
    public int itemSize() {
      return npy.itemSize();
    }

    /** As typed after {@code raw-}: {@code float32}. */
    public String cliName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** Suffix of the per-record {@code [H, W, C]} component of an image feature of varying size. */
  public static final String SHAPES_SUFFIX = ".shapes";

  /** A feature read as parsed, without decoding. */
  public FeatureSpec(String name, Dtype dtype, List<Long> shape, boolean variableLength) {
    this(name, dtype, shape, variableLength, Decoder.NONE);
  }

  /** {@code image:H,W,C}, or {@code image:*,*,C} with {@code height} and {@code width} -1. */
  public static FeatureSpec image(String name, long height, long width, long channels) {
    return new FeatureSpec(name, Dtype.BYTES, List.of(height, width, channels), false, new Decoder.Image());
  }

  /** {@code raw-<type>:SHAPE}. */
  public static FeatureSpec raw(String name, RawType type, List<Long> shape) {
    return new FeatureSpec(name, Dtype.BYTES, shape, false, new Decoder.Raw(type));
  }

  /** The three value kinds of a {@code tf.train.Example} feature, by their command-line names. */
  public enum Dtype {
    FLOAT32("float32"),
    INT64("int64"),
    BYTES("bytes");

    private final String cliName;

    Dtype(String cliName) {
      this.cliName = cliName;
    }

    /** The name as typed on the command line: {@code float32}, {@code int64}, {@code bytes}. */
    public String cliName() {
      return cliName;
    }

    /** The wire dtype named exactly {@code text}, or null. */
    static Dtype byCliName(String text) {
      for (Dtype d : values()) {
        if (d.cliName.equals(text)) {
          return d;
        }
      }
      return null;
    }
  }

  /** Suffix of the flat values component of a variable-length feature. */
  public static final String VALUES_SUFFIX = ".values";
  /** Suffix of the row-splits component of a variable-length feature. */
  public static final String ROW_SPLITS_SUFFIX = ".row_splits";

  private static final String FORM = "expected NAME:DTYPE:SHAPE, e.g. image:float32:28,28 or label:int64: or tokens:int64:*";
  private static final String DTYPES = "expected float32, int64, bytes, image or raw-<type>";

  public FeatureSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(dtype, "dtype");
    Objects.requireNonNull(decoder, "decoder");
    shape = List.copyOf(shape);
    if (!(decoder instanceof Decoder.None) && (dtype != Dtype.BYTES || variableLength)) {
      throw new IllegalArgumentException("feature '" + name + "': only a fixed bytes feature is decoded");
    }
    if (decoder instanceof Decoder.Image) {
      if (shape.size() != 3 || !(shape.get(2) == 1 || shape.get(2) == 3 || shape.get(2) == 4)
          || (shape.get(0) < 0) != (shape.get(1) < 0) || shape.get(0) < -1 || shape.get(1) < -1
          || shape.get(0) == 0 || shape.get(1) == 0) {
        throw new IllegalArgumentException("feature '" + name + "': an image's SHAPE is H,W,C or *,*,C with C 1, 3 "
            + "or 4, got " + shape);
      }
    }
    // Any key a tf.train.Example can hold is a name (even empty): '/' makes nested output directories and
    // anything unsafe in a path is escaped by the export's OutputNames, never written outside the directory.
    if (variableLength && !shape.isEmpty()) {
      throw new IllegalArgumentException("feature '" + name + "': a variable-length feature has no fixed shape, got " + shape);
    }
    long n = 1;
    for (Long d : shape) {
      if (d == -1 && decoder instanceof Decoder.Image) {
        continue; // '*' height or width
      }
      if (d < 0) {
        throw new IllegalArgumentException("feature '" + name + "': negative dim " + d + " in shape " + shape);
      }
      try {
        n = Math.multiplyExact(n, d);
      } catch (ArithmeticException e) {
        throw new IllegalArgumentException("feature '" + name + "': shape " + shape + " has more than "
            + Long.MAX_VALUE + " values per record", e);
      }
    }
  }

  /**
   * Parses one {@code NAME:DTYPE:SHAPE}.
   *
   * @throws IllegalArgumentException naming the spec and what is wrong with it
   */
  public static FeatureSpec parse(String spec) {
    if (spec == null) {
      throw new IllegalArgumentException("invalid --feature: missing value; " + FORM);
    }
    // Split at the LAST two colons: DTYPE and SHAPE never hold one, a feature name may.
    int second = spec.lastIndexOf(':');
    int first = second <= 0 ? -1 : spec.lastIndexOf(':', second - 1);
    if (second < 0 || first < 0) {
      throw bad(spec, (second < 0 ? "no ':'" : "only one ':'")
          + " (a scalar still needs the trailing ':', as in label:int64:); " + FORM);
    }
    String name = spec.substring(0, first);
    String dtypeText = spec.substring(first + 1, second);
    String shapeText = spec.substring(second + 1);

    if (dtypeText.equals("image")) {
      return parseImage(spec, name, shapeText);
    }
    if (dtypeText.startsWith("raw-")) {
      RawType raw = null;
      for (RawType t : RawType.values()) {
        if (t.cliName().equals(dtypeText.substring(4))) {
          raw = t;
        }
      }
      if (raw == null) {
        throw bad(spec, "unknown DTYPE '" + dtypeText + "' (raw-<type> takes int8, uint8, int16, uint16, int32, "
            + "uint32, int64, uint64, float16, float32 or float64)");
      }
      if (shapeText.contains("*")) {
        throw bad(spec, "a raw-<type> feature needs a fixed SHAPE (the elements per record), got '" + shapeText + "'");
      }
      return raw(name, raw, shapeText.isEmpty() ? List.of() : parseDims(spec, shapeText));
    }
    Dtype dtype = Dtype.byCliName(dtypeText);
    if (dtype == null) {
      throw bad(spec, dtypeText.isEmpty() ? "empty DTYPE (" + DTYPES + ")"
          : "unknown DTYPE '" + dtypeText + "' (" + DTYPES + ")");
    }
    if (shapeText.equals("*")) {
      return new FeatureSpec(name, dtype, List.of(), true);
    }
    if (shapeText.isEmpty()) {
      return new FeatureSpec(name, dtype, List.of(), false);
    }
    if (shapeText.contains("*")) {
      throw bad(spec, "'*' must be the whole SHAPE (a variable-length feature is 1-D), got '" + shapeText + "'");
    }
    return new FeatureSpec(name, dtype, parseDims(spec, shapeText), false);
  }

  private static List<Long> parseDims(String spec, String shapeText) {
    String[] parts = shapeText.split(",", -1);
    List<Long> dims = new ArrayList<>(parts.length);
    long count = 1;
    for (int i = 0; i < parts.length; i++) {
      long d = parseDim(spec, parts[i], i);
      dims.add(d);
      try {
        count = Math.multiplyExact(count, d);
      } catch (ArithmeticException e) {
        throw bad(spec, "SHAPE " + shapeText + " has more values per record than a long can count");
      }
    }
    return dims;
  }

  private static FeatureSpec parseImage(String spec, String name, String shapeText) {
    String[] parts = shapeText.split(",", -1);
    String form = "an image's SHAPE is H,W,C (e.g. 28,28,1) or *,*,C (e.g. *,*,3), C being 1, 3 or 4";
    if (parts.length != 3) {
      throw bad(spec, form + ", got '" + shapeText + "'");
    }
    boolean varying = parts[0].equals("*") && parts[1].equals("*");
    long height = varying ? -1 : parseDim(spec, parts[0], 0);
    long width = varying ? -1 : parseDim(spec, parts[1], 1);
    long channels = parts[2].equals("*") ? -2 : parseDim(spec, parts[2], 2);
    if (channels != 1 && channels != 3 && channels != 4) {
      throw bad(spec, form + ", got C '" + parts[2] + "'");
    }
    if (height == 0 || width == 0) {
      throw bad(spec, form + ", got an empty image " + shapeText);
    }
    return image(name, height, width, channels);
  }

  /**
   * Parses every {@code --feature} in order and rejects a name given twice, or two features that
   * would write the same output file (a {@code *} feature {@code a} writes {@code a.values} and
   * {@code a.row_splits}).
   *
   * @throws IllegalArgumentException naming the offending spec(s)
   */
  public static List<FeatureSpec> parseAll(Collection<String> specs) {
    if (specs == null || specs.isEmpty()) {
      throw new IllegalArgumentException("no --feature given; " + FORM);
    }
    List<FeatureSpec> out = new ArrayList<>(specs.size());
    Map<String, String> specByName = new HashMap<>();
    Map<String, String> specByComponent = new HashMap<>();
    for (String text : specs) {
      FeatureSpec f = parse(text);
      String earlier = specByName.putIfAbsent(f.name(), text);
      if (earlier != null) {
        throw bad(text, "feature '" + f.name() + "' is already given by --feature " + earlier);
      }
      for (String c : f.componentNames()) {
        String clash = specByComponent.putIfAbsent(c, text);
        if (clash != null) {
          throw bad(text, "its output '" + c + "' is also written by --feature " + clash);
        }
      }
      out.add(f);
    }
    return List.copyOf(out);
  }

  /** True for a fixed feature with no dims: one value per record. */
  public boolean isScalar() {
    return !variableLength && shape.isEmpty();
  }

  /**
   * Values per record of a fixed feature (1 for a scalar); -1 for a variable-length feature. A decoded
   * feature ({@code image}, {@code raw-<type>}) holds one byte string per record.
   */
  public long valuesPerRecord() {
    if (variableLength) {
      return -1;
    }
    if (!(decoder instanceof Decoder.None)) {
      return 1;
    }
    long n = 1;
    for (long d : shape) {
      n *= d; // cannot overflow: checked in the constructor
    }
    return n;
  }

  /**
   * The output components this feature makes, in order: {@code [NAME]} for a fixed feature,
   * {@code [NAME.values, NAME.row_splits]} for a variable-length one.
   */
  public List<String> componentNames() {
    if (imageSizeVaries()) {
      return List.of(name, name + SHAPES_SUFFIX);
    }
    return variableLength ? List.of(name + VALUES_SUFFIX, name + ROW_SPLITS_SUFFIX) : List.of(name);
  }

  /** True for an {@code image} feature. */
  public boolean isImage() {
    return decoder instanceof Decoder.Image;
  }

  /** True for {@code image:*,*,C}: images of any height and width. */
  public boolean imageSizeVaries() {
    return isImage() && shape.get(0) < 0;
  }

  /** The DTYPE as typed: {@code float32}, {@code int64}, {@code bytes}, {@code image}, {@code raw-float32}. */
  public String dtypeName() {
    return switch (decoder) {
      case Decoder.None n -> dtype.cliName();
      case Decoder.Image i -> "image";
      case Decoder.Raw r -> "raw-" + r.type().cliName();
    };
  }

  /** The spec as typed: {@code NAME:DTYPE:SHAPE}. */
  @Override
  public String toString() {
    StringBuilder s = new StringBuilder(name).append(':').append(dtypeName()).append(':');
    if (variableLength) {
      s.append('*');
    } else {
      for (int i = 0; i < shape.size(); i++) {
        s.append(i == 0 ? "" : ",").append(shape.get(i) < 0 ? "*" : shape.get(i));
      }
    }
    return s.toString();
  }

  private static long parseDim(String spec, String text, int index) {
    String where = "dim " + index + " of SHAPE";
    if (text.isEmpty()) {
      throw bad(spec, where + " is empty (dims are separated by single ',', no trailing ',')");
    }
    boolean negative = text.charAt(0) == '-';
    String digits = negative || text.charAt(0) == '+' ? text.substring(1) : text;
    if (digits.isEmpty() || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw bad(spec, where + " '" + text + "' is not a whole number");
    }
    if (negative) {
      throw bad(spec, where + " is negative (" + text + ")");
    }
    try {
      return Long.parseLong(digits);
    } catch (NumberFormatException e) {
      throw bad(spec, where + " '" + text + "' is too large (at most " + Long.MAX_VALUE + ")");
    }
  }

  private static IllegalArgumentException bad(String spec, String problem) {
    return new IllegalArgumentException("invalid --feature '" + spec + "': " + problem);
  }
}

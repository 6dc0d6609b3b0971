package io.tensorslab.tf;

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
public record FeatureSpec(String name, Dtype dtype, List<Long> shape, boolean variableLength) {

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

    /** The dtype named exactly {@code text}, or null. */
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

  public FeatureSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(dtype, "dtype");
    shape = List.copyOf(shape);
    // Any key a tf.train.Example can hold is a name (even empty): '/' makes nested output directories and
    // anything unsafe in a path is escaped by the export's OutputNames, never written outside the directory.
    if (variableLength && !shape.isEmpty()) {
      throw new IllegalArgumentException("feature '" + name + "': a variable-length feature has no fixed shape, got " + shape);
    }
    long n = 1;
    for (Long d : shape) {
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

    Dtype dtype = Dtype.byCliName(dtypeText);
    if (dtype == null) {
      throw bad(spec, dtypeText.isEmpty() ? "empty DTYPE (expected float32, int64 or bytes)"
          : "unknown DTYPE '" + dtypeText + "' (expected float32, int64 or bytes)");
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
    return new FeatureSpec(name, dtype, dims, false);
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

  /** Values per record of a fixed feature (1 for a scalar); -1 for a variable-length feature. */
  public long valuesPerRecord() {
    if (variableLength) {
      return -1;
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
    return variableLength ? List.of(name + VALUES_SUFFIX, name + ROW_SPLITS_SUFFIX) : List.of(name);
  }

  /** The spec as typed: {@code NAME:DTYPE:SHAPE}. */
  @Override
  public String toString() {
    StringBuilder s = new StringBuilder(name).append(':').append(dtype.cliName()).append(':');
    if (variableLength) {
      s.append('*');
    } else {
      for (int i = 0; i < shape.size(); i++) {
        s.append(i == 0 ? "" : ",").append(shape.get(i));
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

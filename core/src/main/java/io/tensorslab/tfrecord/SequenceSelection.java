package io.tensorslab.tfrecord;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The context features and feature lists a reader asks of each {@code tf.train.SequenceExample},
 * resolved per record with the rules and errors of TensorFlow's {@code ParseSequenceExampleV2} as
 * {@code tf.io.parse_sequence_example} configures it:
 * <ul>
 *   <li>a fixed context feature ({@code label:int64:}, {@code box:float32:4}) is a
 *       {@code FixedLenFeature} without default: missing, or with another count of values, it fails
 *       the record;
 *   <li>a {@code *} context feature is a {@code RaggedFeature}: missing, it has no values;
 *   <li>a {@code *} feature list is a {@code RaggedFeature}: steps of any length; missing, no steps;
 *   <li>a fixed feature list ({@code frames:float32:3}) is a
 *       {@code FixedLenSequenceFeature(allow_missing=True)}: every step holds exactly the shape's
 *       values; missing, no steps.
 * </ul>
 *
 * {@snippet :
 * SequenceSelection selection = SequenceSelection.of(
 *     FeatureSpec.parseAll(List.of("label:int64:")), FeatureSpec.parseAll(List.of("tokens:int64:*")));
 * selection.read(view);                                  // throws MalformedExampleException
 * SequenceValues tokens = selection.featureList(0);      // tokens.steps(), tokens.stepEnd(s)
 * }
 *
 * <p>Not thread-safe: {@link #copy} one per thread.
 */
public final class SequenceSelection {

  private final List<FeatureSpec> context;
  private final List<FeatureSpec> featureLists;
  private final byte[][] contextNames;
  private final byte[][] listNames;
  private final SequenceValues[] contextValues;
  private final SequenceValues[] listValues;
  /** Values a fixed context feature holds, and a fixed feature list's step (-1 for {@code *}): checked per record. */
  private final long[] contextCounts;
  private final long[] stepCounts;

  private SequenceSelection(List<FeatureSpec> context, List<FeatureSpec> featureLists) {
    this.context = List.copyOf(context);
    this.featureLists = List.copyOf(featureLists);
    contextNames = namesOf(this.context);
    listNames = namesOf(this.featureLists);
    contextValues = valuesFor(this.context.size());
    listValues = valuesFor(this.featureLists.size());
    contextCounts = this.context.stream().mapToLong(FeatureSpec::valuesPerRecord).toArray();
    stepCounts = this.featureLists.stream().mapToLong(FeatureSpec::valuesPerRecord).toArray();
  }

  /**
   * A selection of {@code context} features and {@code featureLists}; every spec a plain
   * {@code float32}, {@code int64} or {@code bytes} one ({@code SHAPE} of a feature list is per step).
   *
   * @throws IllegalArgumentException for an {@code image} or {@code raw-<type>} spec, or a name in
   *     both lists (their outputs would be one file)
   */
  public static SequenceSelection of(List<FeatureSpec> context, List<FeatureSpec> featureLists) {
    List<String> seen = new ArrayList<>();
    for (FeatureSpec f : context) {
      requirePlain(f, "context feature");
      seen.add(f.name());
    }
    for (FeatureSpec f : featureLists) {
      requirePlain(f, "feature list");
      if (seen.contains(f.name())) {
        throw new IllegalArgumentException("'" + f.name() + "' is asked for as a context feature and as a feature"
            + " list; their outputs would be the same files: convert one of them (drop it from --feature or"
            + " --sequence-feature) and the other in a second run into another directory");
      }
    }
    return new SequenceSelection(context, featureLists);
  }

  private static void requirePlain(FeatureSpec f, String role) {
    if (!(f.decoder() instanceof FeatureSpec.Decoder.None)) {
      throw new IllegalArgumentException(role + " '" + f + "': " + f.dtypeName()
          + " is not supported in a tf.train.SequenceExample; use float32, int64 or bytes");
    }
  }

  private static byte[][] namesOf(List<FeatureSpec> specs) {
    return specs.stream().map(f -> f.name().getBytes(StandardCharsets.UTF_8)).toArray(byte[][]::new);
  }

  private static SequenceValues[] valuesFor(int n) {
    SequenceValues[] v = new SequenceValues[n];
    for (int i = 0; i < n; i++) {
      v[i] = new SequenceValues();
    }
    return v;
  }

  /** The same selection with values of its own, for another thread. */
  public SequenceSelection copy() {
    return new SequenceSelection(context, featureLists);
  }

  public List<FeatureSpec> context() {
    return context;
  }

  public List<FeatureSpec> featureLists() {
    return featureLists;
  }

  /** Reads every selected feature of {@code view}'s record; on failure the exception names the feature. */
  public void read(SequenceExampleView view) throws MalformedExampleException {
    for (int i = 0; i < context.size(); i++) {
      FeatureSpec f = context.get(i);
      SequenceValues v = contextValues[i];
      int entry = view.lastEntry(SequenceExampleView.Section.CONTEXT, contextNames[i]);
      try {
        if (entry < 0) {
          if (!f.variableLength()) {
            throw new MalformedExampleException("context feature is required but missing (TensorFlow: is required"
                + " but could not be found)", null);
          }
          v.clear(kindOf(f));
          continue;
        }
        v.readContext(view, entry, kindOf(f));
        if (contextCounts[i] >= 0 && v.count() != contextCounts[i]) {
          throw new MalformedExampleException("context feature has " + v.count() + " values, its shape "
              + shapeText(f) + " holds " + contextCounts[i], null);
        }
      } catch (MalformedExampleException e) {
        throw named(e, "context feature", f);
      }
    }
    for (int i = 0; i < featureLists.size(); i++) {
      FeatureSpec f = featureLists.get(i);
      SequenceValues v = listValues[i];
      int entry = view.lastEntry(SequenceExampleView.Section.FEATURE_LISTS, listNames[i]);
      try {
        if (entry < 0) {
          v.clear(kindOf(f));
          continue;
        }
        v.readFeatureList(view, entry, kindOf(f));
        if (stepCounts[i] >= 0) {
          for (int s = 0; s < v.steps(); s++) {
            int n = v.stepEnd(s) - (s == 0 ? 0 : v.stepEnd(s - 1));
            if (n != stepCounts[i]) {
              throw new MalformedExampleException("step " + s + " has " + n + " values, the step shape "
                  + shapeText(f) + " holds " + stepCounts[i], null);
            }
          }
        }
      } catch (MalformedExampleException e) {
        throw named(e, "feature list", f);
      }
    }
  }

  private static MalformedExampleException named(MalformedExampleException e, String role, FeatureSpec f) {
    String problem = e.problem().startsWith(role) ? e.problem() : role + ": " + e.problem();
    return new MalformedExampleException(problem, f.name());
  }

  private static String shapeText(FeatureSpec f) {
    String s = f.toString();
    return "[" + s.substring(s.lastIndexOf(':') + 1) + "]";
  }

  /** The wire kind a spec's dtype reads. */
  public static WireKind kindOf(FeatureSpec f) {
    return switch (f.dtype()) {
      case FLOAT32 -> WireKind.FLOAT_LIST;
      case INT64 -> WireKind.INT64_LIST;
      case BYTES -> WireKind.BYTES_LIST;
    };
  }

  /** Values of context feature {@code i} of the last record read. */
  public SequenceValues context(int i) {
    return contextValues[i];
  }

  /** Values of feature list {@code i} of the last record read. */
  public SequenceValues featureList(int i) {
    return listValues[i];
  }
}

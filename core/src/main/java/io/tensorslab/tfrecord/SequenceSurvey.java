package io.tensorslab.tfrecord;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * What the {@code tf.train.SequenceExample} records of some TFRecord files hold: per context feature
 * its kind and values per record, per feature list its kind, steps per record and values per step,
 * and the records lacking each. {@code tensorslab inspect} prints it; {@link #inferContext} and
 * {@link #inferFeatureLists} give the {@code --feature} and {@code --sequence-feature} lists that
 * {@code convert --sequence} uses when none is given.
 *
 * {@snippet :
 * SequenceSurvey survey = SequenceSurvey.scan(files, TfRecordCompression.NONE, Long.MAX_VALUE);
 * List<FeatureSpec> lists = survey.inferFeatureLists();   // e.g. tokens:int64:*, frames:float32:3
 * }
 *
 * @param files the files read, in order
 * @param records records read
 * @param complete false when the scan stopped at its record limit before the end of the files
 * @param context per context feature name, sorted
 * @param featureLists per feature list name, sorted
 */
public record SequenceSurvey(List<Path> files, long records, boolean complete, Map<String, FeatureSurvey> context,
    Map<String, FeatureSurvey> featureLists) {

  public SequenceSurvey {
    files = List.copyOf(files);
    context = Collections.unmodifiableMap(new TreeMap<>(context));
    featureLists = Collections.unmodifiableMap(new TreeMap<>(featureLists));
  }

  /**
   * One context feature or feature list across the records read.
   *
   * @param kinds the value kinds seen ({@code float32}, {@code int64}, {@code bytes}); more than one
   *     means records disagree; none when it never held a value
   * @param recordsWith records that hold it (an empty entry too)
   * @param minValues fewest values in a record holding it (a context feature), or in a step (a feature list)
   * @param maxValues most values in such a record or step
   * @param minSteps fewest steps in a record holding it (feature lists; 0 for context features)
   * @param maxSteps most steps in such a record
   */
  public record FeatureSurvey(String name, Set<String> kinds, long recordsWith, long minValues, long maxValues,
      long minSteps, long maxSteps) {

    /** The single value kind, or null when records disagree or it never held a value. */
    public String kind() {
      return kinds.size() == 1 ? kinds.iterator().next() : null;
    }
  }

  private static final WireKind[] KINDS = {WireKind.FLOAT_LIST, WireKind.INT64_LIST, WireKind.BYTES_LIST};

  /**
   * Reads up to {@code limit} records of {@code files} in order, every CRC checked.
   *
   * @throws TfRecordException naming file, record and feature for a damaged file, a record that is no
   *     SequenceExample, or a feature readable as no kind
   */
  public static SequenceSurvey scan(List<Path> files, TfRecordCompression compression, long limit) throws IOException {
    Objects.requireNonNull(compression, "compression");
    Map<String, Accumulator> context = new TreeMap<>();
    Map<String, Accumulator> lists = new TreeMap<>();
    SequenceExampleView view = new SequenceExampleView();
    SequenceValues values = new SequenceValues();
    RecordScan.Outcome read = RecordScan.scan(files, compression, limit, record -> {
      view.parse(record);
      for (int i = 0; i < view.entryCount(); i++) {
        String name = view.name(i);
        SequenceExampleView.Section s = view.section(i);
        if (view.lastEntry(s, view.nameBytes(i)) != i) {
          continue; // TensorFlow reads the last entry of a name
        }
        boolean list = s == SequenceExampleView.Section.FEATURE_LISTS;
        (list ? lists : context).computeIfAbsent(name, Accumulator::new).add(view, i, values, list);
      }
    });
    Map<String, FeatureSurvey> c = new TreeMap<>();
    context.forEach((name, a) -> c.put(name, a.survey()));
    Map<String, FeatureSurvey> l = new TreeMap<>();
    lists.forEach((name, a) -> l.put(name, a.survey()));
    return new SequenceSurvey(files, read.records(), read.complete(), c, l);
  }

  /**
   * True when one of the first {@code records} records parses as a {@code tf.train.SequenceExample}
   * holding a feature list — records an {@code Example} parser would read as their context alone.
   */
  public static boolean holdsFeatureLists(List<Path> files, TfRecordCompression compression, long records)
      throws IOException {
    SequenceExampleView view = new SequenceExampleView();
    long read = 0;
    for (Path file : files) {
      try (TfRecordReader r = TfRecordReader.open(file, compression)) {
        while (read < records && r.next()) {
          read++;
          try {
            view.parse(r.record());
          } catch (MalformedExampleException e) {
            continue; // not a SequenceExample: the Example reader says what is wrong with it
          }
          for (int i = 0; i < view.entryCount(); i++) {
            if (view.section(i) == SequenceExampleView.Section.FEATURE_LISTS) {
              return true;
            }
          }
        }
      }
    }
    return false;
  }

  /**
   * The context features to convert: as for an {@code Example} (a count the same in every record →
   * that fixed shape, 1 → scalar; else, or when some record lacks it, {@code *}); one that never holds
   * a value is left out.
   *
   * @throws IllegalArgumentException for a feature whose records disagree on its kind
   */
  public List<FeatureSpec> inferContext() {
    List<FeatureSpec> out = new ArrayList<>();
    for (FeatureSurvey f : context.values()) {
      FeatureSpec.Dtype dtype = dtypeOf(f, "context feature", "--feature");
      if (dtype != null) {
        boolean fixed = f.recordsWith() == records && f.minValues() == f.maxValues();
        out.add(fixed ? new FeatureSpec(f.name(), dtype, shapeOf(f.minValues()), false)
            : new FeatureSpec(f.name(), dtype, List.of(), true));
      }
    }
    return List.copyOf(out);
  }

  /**
   * The feature lists to convert: every step with the same count → that fixed step shape (1 →
   * scalar steps); else {@code *}. One that never holds a value is left out.
   *
   * @throws IllegalArgumentException for a feature list whose records disagree on its kind
   */
  public List<FeatureSpec> inferFeatureLists() {
    List<FeatureSpec> out = new ArrayList<>();
    for (FeatureSurvey f : featureLists.values()) {
      FeatureSpec.Dtype dtype = dtypeOf(f, "feature list", "--sequence-feature");
      if (dtype != null) {
        boolean fixed = f.maxSteps() > 0 && f.minValues() == f.maxValues() && f.minValues() > 0;
        out.add(fixed ? new FeatureSpec(f.name(), dtype, shapeOf(f.minValues()), false)
            : new FeatureSpec(f.name(), dtype, List.of(), true));
      }
    }
    return List.copyOf(out);
  }

  private static List<Long> shapeOf(long values) {
    return values == 1 ? List.of() : List.of(values);
  }

  private static FeatureSpec.Dtype dtypeOf(FeatureSurvey f, String role, String flag) {
    if (f.kinds().isEmpty()) {
      return null;
    }
    String kind = f.kind();
    if (kind == null) {
      throw new IllegalArgumentException(role + " '" + f.name() + "' holds " + String.join(" in some records, ",
          f.kinds()) + " in others: give its " + flag + " NAME:DTYPE:SHAPE (or leave it out by listing the others)");
    }
    return switch (kind) {
      case "float32" -> FeatureSpec.Dtype.FLOAT32;
      case "int64" -> FeatureSpec.Dtype.INT64;
      default -> FeatureSpec.Dtype.BYTES;
    };
  }

  /** Running totals of one name. */
  private static final class Accumulator {
    final String name;
    final Set<String> kinds = new LinkedHashSet<>();
    long recordsWith;
    long minValues = Long.MAX_VALUE;
    long maxValues = -1;
    long minSteps = Long.MAX_VALUE;
    long maxSteps = -1;

    Accumulator(String name) {
      this.name = name;
    }

    /**
     * Reads the entry as each kind in turn: the kind it holds is the one that reads with values (an
     * entry of empty lists reads as no kind in particular).
     */
    void add(SequenceExampleView view, int entry, SequenceValues v, boolean list) throws MalformedExampleException {
      recordsWith++;
      WireKind found = null;
      boolean readable = false;
      for (WireKind k : KINDS) {
        try {
          if (list) {
            v.readFeatureList(view, entry, k);
          } else {
            v.readContext(view, entry, k);
          }
        } catch (MalformedExampleException e) {
          continue;
        }
        readable = true;
        if (v.count() > 0) {
          found = k;
          break;
        }
      }
      if (!readable) {
        throw new MalformedExampleException((list ? "feature list" : "context feature")
            + " is readable as no float32, int64 or bytes list", name);
      }
      if (found != null) {
        kinds.add(found.valueName());
        if (list) {
          v.readFeatureList(view, entry, found);
        } else {
          v.readContext(view, entry, found);
        }
      }
      if (list) {
        minSteps = Math.min(minSteps, v.steps());
        maxSteps = Math.max(maxSteps, v.steps());
        for (int s = 0; s < v.steps(); s++) {
          long n = v.stepEnd(s) - (s == 0 ? 0 : v.stepEnd(s - 1));
          minValues = Math.min(minValues, n);
          maxValues = Math.max(maxValues, n);
        }
      } else {
        minValues = Math.min(minValues, found == null ? 0 : v.count());
        maxValues = Math.max(maxValues, found == null ? 0 : v.count());
      }
    }

    FeatureSurvey survey() {
      return new FeatureSurvey(name, Collections.unmodifiableSet(kinds), recordsWith,
          maxValues < 0 ? 0 : minValues, Math.max(maxValues, 0), maxSteps < 0 ? 0 : minSteps, Math.max(maxSteps, 0));
    }
  }
}

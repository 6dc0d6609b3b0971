package io.tensorslab.cli;

import io.tensorslab.tfrecord.FeatureSpec;
import io.tensorslab.tfrecord.SequenceSurvey;
import io.tensorslab.tfrecord.SequenceSurvey.FeatureSurvey;
import io.tensorslab.tfrecord.TfRecordCompression;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * How {@code inspect} shows a {@link SequenceSurvey} of {@code tf.train.SequenceExample} records: the
 * context features and the feature lists as tables (or JSON), then the flags {@code convert} infers.
 */
final class SequenceReport {

  private SequenceReport() {}

  static void table(PrintWriter out, SequenceSurvey survey, TfRecordCompression compression) {
    TfRecordReport.printFiles(out, survey.files(), compression);
    out.printf(Locale.ROOT, "records:  %,d tf.train.SequenceExample%s%n", survey.records(), survey.complete() ? ""
        : " (the first ones only: --scan stopped the read)");
    int width = "feature list".length();
    for (String name : survey.context().keySet()) {
      width = Math.max(width, name.length());
    }
    for (String name : survey.featureLists().keySet()) {
      width = Math.max(width, name.length());
    }
    width = Math.min(width, 60);
    String row = "%-" + width + "s  %-8s %-13s %-13s %s%n";
    out.printf(Locale.ROOT, row, "context", "kind", "values/record", "", "missing");
    for (FeatureSurvey f : survey.context().values()) {
      out.printf(Locale.ROOT, row, f.name(), kindText(f), TfRecordReport.range(f.minValues(), f.maxValues()), "",
          survey.records() - f.recordsWith());
    }
    out.printf(Locale.ROOT, row, "feature list", "kind", "steps/record", "values/step", "missing");
    for (FeatureSurvey f : survey.featureLists().values()) {
      out.printf(Locale.ROOT, row, f.name(), kindText(f), TfRecordReport.range(f.minSteps(), f.maxSteps()),
          f.maxSteps() == 0 ? "-" : TfRecordReport.range(f.minValues(), f.maxValues()), survey.records() - f.recordsWith());
    }
    out.println();
    try {
      out.println("convert infers (paste to choose yourself):");
      out.println("  " + flags(survey).trim());
    } catch (IllegalArgumentException e) {
      out.println("no schema can be inferred: " + e.getMessage());
    }
  }

  /** The {@code --feature ... --sequence --sequence-feature ...} flags of the inferred schema. */
  private static String flags(SequenceSurvey survey) {
    return ConvertCommand.schemaText(survey.inferContext())
        + ConvertCommand.sequenceSchemaText(survey.inferFeatureLists());
  }

  static String json(SequenceSurvey survey, TfRecordCompression compression) {
    StringBuilder sb = new StringBuilder("{\n  \"files\": [");
    sb.append(survey.files().stream().map(p -> TfRecordReport.quote(p.toString())).collect(Collectors.joining(", ")));
    sb.append("],\n  \"compression\": ").append(TfRecordReport.quote(compression.cliName()));
    sb.append(",\n  \"record_type\": \"tf.train.SequenceExample\"");
    sb.append(",\n  \"records\": ").append(survey.records());
    sb.append(",\n  \"complete\": ").append(survey.complete());
    sb.append(",\n  \"context\": ").append(features(survey.context(), survey.records(), false));
    sb.append(",\n  \"feature_lists\": ").append(features(survey.featureLists(), survey.records(), true));
    try {
      sb.append(",\n  \"schema\": {\"context\": ").append(specs(survey.inferContext()))
          .append(", \"feature_lists\": ").append(specs(survey.inferFeatureLists())).append('}');
    } catch (IllegalArgumentException e) {
      sb.append(",\n  \"schema\": null, \"schema_error\": ").append(TfRecordReport.quote(e.getMessage()));
    }
    return sb.append("\n}\n").toString();
  }

  private static String specs(List<FeatureSpec> specs) {
    return "[" + specs.stream().map(s -> TfRecordReport.quote(s.toString())).collect(Collectors.joining(", ")) + "]";
  }

  private static String features(Map<String, FeatureSurvey> features, long records, boolean lists) {
    if (features.isEmpty()) {
      return "[]";
    }
    return features.values().stream().map(f -> "    {\"name\": " + TfRecordReport.quote(f.name())
            + ", \"kind\": " + (f.kind() == null ? "null" : TfRecordReport.quote(f.kind()))
            + ", \"kinds\": [" + f.kinds().stream().map(TfRecordReport::quote).collect(Collectors.joining(", ")) + "]"
            + (lists ? ", \"min_steps\": " + f.minSteps() + ", \"max_steps\": " + f.maxSteps()
                + ", \"min_values_per_step\": " + f.minValues() + ", \"max_values_per_step\": " + f.maxValues()
                : ", \"min_values\": " + f.minValues() + ", \"max_values\": " + f.maxValues())
            + ", \"records_missing\": " + (records - f.recordsWith()) + "}")
        .collect(Collectors.joining(",\n", "[\n", "\n  ]"));
  }

  private static String kindText(FeatureSurvey f) {
    if (f.kinds().isEmpty()) {
      return "none"; // present only empty: no value says its kind
    }
    return f.kind() != null ? f.kind() : "mixed:" + String.join("/", f.kinds());
  }
}

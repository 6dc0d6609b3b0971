package io.tensorslab.cli;

import io.tensorslab.export.JsonText;
import io.tensorslab.tfrecord.FeatureSpec;
import io.tensorslab.tfrecord.ImageHeader;
import io.tensorslab.tfrecord.TfRecordCompression;
import io.tensorslab.tfrecord.TfRecordSurvey;
import io.tensorslab.tfrecord.TfRecordSurvey.FeatureSurvey;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/** How {@code inspect} shows a {@link TfRecordSurvey}: a table for people, or JSON for scripts. */
final class TfRecordReport {

  private TfRecordReport() {}

  static void table(PrintWriter out, TfRecordSurvey survey, TfRecordCompression compression) {
    printFiles(out, survey.files(), compression);
    out.printf(Locale.ROOT, "records:  %,d%s%n", survey.records(), survey.complete() ? ""
        : " (the first ones only: --scan stopped the read)");
    int width = "feature".length();
    for (String name : survey.features().keySet()) {
      width = Math.max(width, name.length());
    }
    width = Math.min(width, 60);
    out.printf(Locale.ROOT, "%-" + width + "s  %-8s %-13s %-8s %s%n", "feature", "kind", "values/record", "missing",
        "content");
    for (FeatureSurvey f : survey.features().values()) {
      out.printf(Locale.ROOT, "%-" + width + "s  %-8s %-13s %-8s %s%n", f.name(), kindText(f), range(f.minValues(),
          f.maxValues()), survey.records() - f.recordsWith(), content(f));
    }
    out.println();
    try {
      List<FeatureSpec> schema = survey.inferSchema();
      out.println("convert infers (paste to choose yourself):");
      out.println("  " + ConvertCommand.schemaText(schema));
    } catch (IllegalArgumentException e) {
      out.println("no schema can be inferred: " + e.getMessage());
    }
  }

  /** The table's first line: the files read and their compression. */
  static void printFiles(PrintWriter out, List<Path> files, TfRecordCompression compression) {
    out.printf(Locale.ROOT, "files:    %d (%s%s), compression %s%n", files.size(), files.getFirst(),
        files.size() > 1 ? " ... " + files.getLast() : "", compression.cliName());
  }

  static String json(TfRecordSurvey survey, TfRecordCompression compression) {
    StringBuilder sb = new StringBuilder("{\n  \"files\": [");
    for (int i = 0; i < survey.files().size(); i++) {
      sb.append(i == 0 ? "" : ", ").append(quote(survey.files().get(i).toString()));
    }
    sb.append("],\n  \"compression\": ").append(quote(compression.cliName()));
    sb.append(",\n  \"records\": ").append(survey.records());
    sb.append(",\n  \"complete\": ").append(survey.complete());
    sb.append(",\n  \"features\": [");
    boolean first = true;
    for (FeatureSurvey f : survey.features().values()) {
      sb.append(first ? "\n" : ",\n").append("    {\"name\": ").append(quote(f.name()))
          .append(", \"kind\": ").append(f.kind() == null ? "null" : quote(f.kind()))
          .append(", \"kinds\": [").append(f.kinds().stream().map(TfRecordReport::quote).collect(Collectors.joining(", ")))
          .append("], \"min_values\": ").append(f.minValues())
          .append(", \"max_values\": ").append(f.maxValues())
          .append(", \"records_missing\": ").append(survey.records() - f.recordsWith());
      if ("bytes".equals(f.kind())) {
        sb.append(", \"min_bytes\": ").append(f.minBytes()).append(", \"max_bytes\": ").append(f.maxBytes())
            .append(", \"image_values\": ").append(f.imageValues())
            .append(", \"image_formats\": [").append(f.formats().stream().map(x -> quote(x.displayName()))
                .collect(Collectors.joining(", ")))
            .append("], \"image_shapes\": [").append(f.shapes().stream().map(s -> "[" + s.get(0) + ", " + s.get(1)
                + ", " + s.get(2) + "]").collect(Collectors.joining(", ")))
            .append("], \"more_image_shapes\": ").append(f.moreShapes());
      }
      sb.append('}');
      first = false;
    }
    sb.append(first ? "]" : "\n  ]");
    try {
      List<FeatureSpec> schema = survey.inferSchema();
      sb.append(",\n  \"schema\": [").append(schema.stream().map(x -> quote(x.toString()))
          .collect(Collectors.joining(", "))).append("]");
    } catch (IllegalArgumentException e) {
      sb.append(",\n  \"schema\": null, \"schema_error\": ").append(quote(e.getMessage()));
    }
    return sb.append("\n}\n").toString();
  }

  private static String kindText(FeatureSurvey f) {
    if (f.kinds().isEmpty()) {
      return "none"; // present only as empty Features
    }
    return f.kind() != null ? f.kind() : "mixed:" + String.join("/", f.kinds());
  }

  static String range(long min, long max) {
    return min == max ? Long.toString(min) : min + "-" + max;
  }

  /** For bytes: the images found (formats, shapes) or the byte lengths. */
  private static String content(FeatureSurvey f) {
    if (!"bytes".equals(f.kind()) || f.maxBytes() < 0) {
      return "";
    }
    if (f.imageValues() == 0) {
      return range(f.minBytes(), f.maxBytes()) + " bytes";
    }
    List<String> shapes = new ArrayList<>();
    for (List<Long> s : f.shapes()) {
      shapes.add(s.get(0) + "x" + s.get(1) + "x" + s.get(2));
    }
    String formats = f.formats().stream().map(ImageHeader.Format::displayName).collect(Collectors.joining("+"));
    StringBuilder sb = new StringBuilder(formats).append(" images ");
    if (f.shapes().size() == 1 && !f.moreShapes()) {
      sb.append(shapes.getFirst());
    } else {
      sb.append(f.moreShapes() ? "of more than " + shapes.size() + " shapes" : "of " + shapes.size() + " shapes")
          .append(" (").append(String.join(", ", shapes)).append(f.moreShapes() ? ", ..." : "")
          .append("), largest ").append(f.maxHeight()).append('x').append(f.maxWidth());
    }
    long other = f.imageValues() - f.completeImages();
    if (other > 0) {
      sb.append("; ").append(other).append(" with a cut or damaged header");
    }
    return sb.toString();
  }

  /** A JSON string. */
  static String quote(String s) {
    return JsonText.quote(s);
  }

}

package io.tensorslab.store.zarr;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The JSON of Zarr metadata, written by hand (the structure is small; the core has no JSON
 * dependency) and <em>deterministic</em>: keys sorted, four-space indent, ASCII only, as
 * zarr-python writes it. Several processes writing one store each produce the same bytes, so the
 * last rename wins without changing anything.
 *
 * <p>Values are {@code null}, {@link Boolean}, {@link Long}/{@link Integer}, {@link Raw} (a number
 * spelled exactly, e.g. {@code 0.0}), {@link String}, {@link List} and {@link Map} with string keys.
 */
public final class ZarrJson {

  /** A number or literal written as given, e.g. {@code 0.0} for a float fill value. */
  public record Raw(String text) {}

  private ZarrJson() {}

  /** A map whose keys are written in sorted order, whatever order they were put in. */
  public static SortedMap<String, Object> object() {
    return new TreeMap<>();
  }

  /** {@code value} as UTF-8 JSON text ending in a newline. */
  public static byte[] bytes(Object value) {
    StringBuilder sb = new StringBuilder(256);
    write(sb, value, 0);
    return sb.append('\n').toString().getBytes(StandardCharsets.UTF_8);
  }

  private static void write(StringBuilder sb, Object value, int depth) {
    switch (value) {
      case null -> sb.append("null");
      case Boolean b -> sb.append(b);
      case Long l -> sb.append(l);
      case Integer i -> sb.append(i);
      case Raw r -> sb.append(r.text());
      case String s -> quote(sb, s);
      case long[] array -> {
        sb.append('[');
        for (int i = 0; i < array.length; i++) {
          sb.append(i == 0 ? "" : ", ").append(array[i]);
        }
        sb.append(']');
      }
      case List<?> list -> {
        if (list.isEmpty()) {
          sb.append("[]");
          return;
        }
        sb.append('[');
        for (int i = 0; i < list.size(); i++) {
          sb.append(i == 0 ? "\n" : ",\n");
          indent(sb, depth + 1);
          write(sb, list.get(i), depth + 1);
        }
        sb.append('\n');
        indent(sb, depth);
        sb.append(']');
      }
      case Map<?, ?> map -> {
        if (map.isEmpty()) {
          sb.append("{}");
          return;
        }
        TreeMap<String, Object> sorted = new TreeMap<>();
        map.forEach((k, v) -> sorted.put((String) k, v));
        sb.append('{');
        boolean first = true;
        for (Map.Entry<String, Object> e : sorted.entrySet()) {
          sb.append(first ? "\n" : ",\n");
          first = false;
          indent(sb, depth + 1);
          quote(sb, e.getKey());
          sb.append(": ");
          write(sb, e.getValue(), depth + 1);
        }
        sb.append('\n');
        indent(sb, depth);
        sb.append('}');
      }
      default -> throw new IllegalArgumentException("not a JSON value: " + value.getClass().getName());
    }
  }

  private static void indent(StringBuilder sb, int depth) {
    sb.repeat(" ", depth * 4);
  }

  /** {@code s} as a JSON string: quoted, with quotes, backslashes, controls and non-ASCII escaped. */
  public static String quote(String s) {
    StringBuilder sb = new StringBuilder(s.length() + 2);
    quote(sb, s);
    return sb.toString();
  }

  private static void quote(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20 || c > 0x7e) {
            sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }
}

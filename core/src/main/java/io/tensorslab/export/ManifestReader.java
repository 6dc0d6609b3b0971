package io.tensorslab.export;

import io.tensorslab.npy.NpyArray;
import io.tensorslab.npy.NpyFormatException;
import io.tensorslab.npy.NpyHeader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reopens an export from its {@code manifest.json}: every array it lists, mapped read-only and
 * checked against the manifest (dtype and shape). The reader accepts exactly what {@link Manifest}
 * writes (JSON objects, arrays, strings, integers and decimals), so no JSON library is needed.
 */
final class ManifestReader {
  private final String text;
  private final Path path;
  private int at;

  private ManifestReader(String text, Path path) {
    this.text = text;
    this.path = path;
  }

  static ExportResult open(Path directory) throws IOException {
    Path manifestPath = directory.resolve(Manifest.FILE_NAME);
    if (!Files.isRegularFile(manifestPath)) {
      throw new NoSuchFileException(manifestPath.toString(), null, "no export here: " + Manifest.FILE_NAME
          + " is missing (an export writes it last, so an export that did not finish has none)");
    }
    Map<String, Object> root = asObject(new ManifestReader(Files.readString(manifestPath, StandardCharsets.UTF_8),
        manifestPath).document(), "the manifest", manifestPath);
    if (!"tensorslab-manifest/1".equals(root.get("format"))) {
      throw new IOException("unknown manifest: format is " + root.get("format") + ", expected"
          + " \"tensorslab-manifest/1\" (path=" + manifestPath + ")");
    }
    List<ExportedArray> arrays = new ArrayList<>();
    boolean success = false;
    try {
      for (Object item : asList(root.get("arrays"), "arrays", manifestPath)) {
        Map<String, Object> entry = asObject(item, "an array entry", manifestPath);
        String name = asString(entry.get("name"), "name", manifestPath);
        String file = asString(entry.get("file"), "file of " + name, manifestPath);
        Path filePath = directory.resolve(file).normalize();
        Path parent = filePath.toAbsolutePath().getParent();
        if (!directory.toAbsolutePath().normalize().equals(parent) || !file.endsWith(".npy")) {
          throw new IOException("bad manifest: array " + name + " names file '" + file + "' outside the export"
              + " directory (path=" + manifestPath + ")");
        }
        NpyArray array = NpyArray.open(filePath);
        arrays.add(new ExportedArray(name, asString(entry.get("component"), "component of " + name, manifestPath),
            array));
        List<?> dims = asList(entry.get("shape"), "shape of " + name, manifestPath);
        long[] shape = new long[dims.size()];
        for (int d = 0; d < shape.length; d++) {
          shape[d] = asLong(dims.get(d), "shape of " + name, manifestPath);
        }
        String descr = asString(entry.get("descr"), "descr of " + name, manifestPath);
        if (!descr.equals(array.header().dtype().descr()) || !Arrays.equals(shape, array.header().shape())) {
          throw new NpyFormatException("export changed since it was written: the manifest says " + descr + " "
              + NpyHeader.shapeText(shape) + ", the file holds " + array.header().dtype().descr() + " "
              + NpyHeader.shapeText(array.header().shape()) + " (array=" + name + ", path=" + filePath + ")");
        }
      }
      ExportResult result = new ExportResult(directory, arrays, asLong(root.get("rows"), "rows", manifestPath),
          asLong(root.get("batches"), "batches", manifestPath),
          arrays.stream().mapToLong(a -> a.segment().byteSize()).sum(),
          asLong(root.get("source_cardinality"), "source_cardinality", manifestPath),
          seconds(root.get("elapsed_seconds")), seconds(root.get("copy_seconds")));
      success = true;
      return result;
    } finally {
      if (!success) {
        arrays.forEach(a -> a.array().close());
      }
    }
  }

  private static long seconds(Object value) {
    return value instanceof Number n ? Math.round(n.doubleValue() * 1e9) : 0;
  }

  private Object document() throws IOException {
    Object value = value();
    skipSpace();
    if (at != text.length()) {
      throw error("text after the end of the document");
    }
    return value;
  }

  private Object value() throws IOException {
    skipSpace();
    if (at >= text.length()) {
      throw error("unexpected end");
    }
    char c = text.charAt(at);
    if (c == '{') {
      Map<String, Object> object = new LinkedHashMap<>();
      at++;
      skipSpace();
      if (peek('}')) {
        return object;
      }
      do {
        skipSpace();
        String key = string();
        skipSpace();
        expect(':');
        object.put(key, value());
        skipSpace();
      } while (peek(','));
      expect('}');
      return object;
    }
    if (c == '[') {
      List<Object> list = new ArrayList<>();
      at++;
      skipSpace();
      if (peek(']')) {
        return list;
      }
      do {
        list.add(value());
        skipSpace();
      } while (peek(','));
      expect(']');
      return list;
    }
    if (c == '"') {
      return string();
    }
    int start = at;
    while (at < text.length() && "+-0123456789.eE".indexOf(text.charAt(at)) >= 0) {
      at++;
    }
    String number = text.substring(start, at);
    try {
      return number.matches("-?[0-9]+") ? (Object) Long.parseLong(number) : (Object) Double.parseDouble(number);
    } catch (NumberFormatException e) {
      at = start;
      throw error("not a value");
    }
  }

  private String string() throws IOException {
    expect('"');
    StringBuilder sb = new StringBuilder();
    while (at < text.length()) {
      char c = text.charAt(at++);
      if (c == '"') {
        return sb.toString();
      }
      if (c != '\\') {
        sb.append(c);
        continue;
      }
      if (at >= text.length()) {
        break;
      }
      char e = text.charAt(at++);
      switch (e) {
        case 'n' -> sb.append('\n');
        case 'r' -> sb.append('\r');
        case 't' -> sb.append('\t');
        case 'u' -> {
          if (at + 4 > text.length()) {
            throw error("truncated \\u escape");
          }
          sb.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
          at += 4;
        }
        default -> sb.append(e);
      }
    }
    throw error("unterminated string");
  }

  private void skipSpace() {
    while (at < text.length() && Character.isWhitespace(text.charAt(at))) {
      at++;
    }
  }

  private boolean peek(char c) {
    if (at < text.length() && text.charAt(at) == c) {
      at++;
      return true;
    }
    return false;
  }

  private void expect(char c) throws IOException {
    if (!peek(c)) {
      throw error("expected '" + c + "'");
    }
  }

  private IOException error(String why) {
    return new IOException("malformed manifest: " + why + " at character " + at + " (path=" + path + ")");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> asObject(Object value, String what, Path path) throws IOException {
    if (value instanceof Map<?, ?> map) {
      return (Map<String, Object>) map;
    }
    throw new IOException("malformed manifest: " + what + " is not an object (path=" + path + ")");
  }

  private static List<?> asList(Object value, String what, Path path) throws IOException {
    if (value instanceof List<?> list) {
      return list;
    }
    throw new IOException("malformed manifest: " + what + " is not a list (path=" + path + ")");
  }

  private static String asString(Object value, String what, Path path) throws IOException {
    if (value instanceof String s) {
      return s;
    }
    throw new IOException("malformed manifest: " + what + " is not a string (path=" + path + ")");
  }

  private static long asLong(Object value, String what, Path path) throws IOException {
    if (value instanceof Long l) {
      return l;
    }
    throw new IOException("malformed manifest: " + what + " is not an integer (path=" + path + ")");
  }
}

package io.tensorslab.store.zarr;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the JSON TensorSlab writes itself ({@link ZarrJson}, the {@code manifest.json}): objects (key
 * order kept), arrays, strings, integers ({@link Long}), decimals ({@link Double}), {@code true},
 * {@code false} and {@code null}. The structures are small and known, so no JSON library is needed.
 * Every error names what was read ({@code subject}, e.g. "manifest") and the file.
 */
public final class JsonReader {
  private final String text;
  private final String subject;
  private final Path path;
  private int at;

  private JsonReader(String text, String subject, Path path) {
    this.text = text;
    this.subject = subject;
    this.path = path;
  }

  /**
   * The document {@code text} holds.
   *
   * @param subject what the file is, for errors: "malformed SUBJECT: ... (path=PATH)"
   * @throws IOException naming the character where the text stops being JSON
   */
  public static Object parse(String text, String subject, Path path) throws IOException {
    JsonReader reader = new JsonReader(text, subject, path);
    Object value = reader.value();
    reader.skipSpace();
    if (reader.at != text.length()) {
      throw reader.error("text after the end of the document");
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
    for (String literal : new String[] {"true", "false", "null"}) {
      if (text.startsWith(literal, at)) {
        at += literal.length();
        return literal.equals("null") ? null : Boolean.valueOf(literal);
      }
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
          try {
            sb.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
          } catch (NumberFormatException bad) {
            throw error("bad \\u escape");
          }
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
    return new IOException("malformed " + subject + ": " + why + " at character " + at + " (path=" + path + ")");
  }

  /** {@code value} as an object, or "malformed SUBJECT: WHAT is not an object". */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> asObject(Object value, String subject, String what, Path path)
      throws IOException {
    if (value instanceof Map<?, ?> map) {
      return (Map<String, Object>) map;
    }
    throw new IOException("malformed " + subject + ": " + what + " is not an object (path=" + path + ")");
  }

  /** {@code value} as a list, or "malformed SUBJECT: WHAT is not a list". */
  public static List<?> asList(Object value, String subject, String what, Path path) throws IOException {
    if (value instanceof List<?> list) {
      return list;
    }
    throw new IOException("malformed " + subject + ": " + what + " is not a list (path=" + path + ")");
  }

  /** {@code value} as a string, or "malformed SUBJECT: WHAT is not a string". */
  public static String asString(Object value, String subject, String what, Path path) throws IOException {
    if (value instanceof String s) {
      return s;
    }
    throw new IOException("malformed " + subject + ": " + what + " is not a string (path=" + path + ")");
  }

  /** {@code value} as an integer, or "malformed SUBJECT: WHAT is not an integer". */
  public static long asLong(Object value, String subject, String what, Path path) throws IOException {
    if (value instanceof Long l) {
      return l;
    }
    throw new IOException("malformed " + subject + ": " + what + " is not an integer (path=" + path + ")");
  }

  /** {@code value} as a list of integers (a shape). */
  public static long[] asLongs(Object value, String subject, String what, Path path) throws IOException {
    List<?> list = asList(value, subject, what, path);
    long[] out = new long[list.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = asLong(list.get(i), subject, what, path);
    }
    return out;
  }
}

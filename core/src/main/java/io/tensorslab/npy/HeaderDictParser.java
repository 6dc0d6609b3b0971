package io.tensorslab.npy;

import java.util.ArrayList;
import java.util.List;

/**
 * Parses the Python-literal dict of a {@code .npy} header, accepting exactly what
 * {@code numpy.lib.format} accepts from a well-formed file: the three keys {@code descr},
 * {@code fortran_order} and {@code shape} in any order, single or double quotes, optional spaces,
 * a trailing comma, and Python 2's {@code 3L} integers. Anything else is an
 * {@link NpyFormatException} saying where parsing stopped; no other exception escapes.
 */
final class HeaderDictParser {
  private final String text;
  private int pos;

  private HeaderDictParser(String text) {
    this.text = text;
  }

  static NpyHeader parse(String text) throws NpyFormatException {
    return new HeaderDictParser(text).dict();
  }

  private NpyHeader dict() throws NpyFormatException {
    skipSpace();
    expect('{');
    String descr = null;
    Boolean fortran = null;
    long[] shape = null;
    skipSpace();
    while (peek() != '}') {
      String key = string();
      skipSpace();
      expect(':');
      skipSpace();
      switch (key) {
        case "descr" -> {
          if (descr != null) {
            throw error("duplicate key 'descr'");
          }
          if (peek() != '\'' && peek() != '"') {
            throw error("'descr' is not a string (structured dtypes are not supported)");
          }
          descr = string();
        }
        case "fortran_order" -> {
          if (fortran != null) {
            throw error("duplicate key 'fortran_order'");
          }
          fortran = bool();
        }
        case "shape" -> {
          if (shape != null) {
            throw error("duplicate key 'shape'");
          }
          shape = tuple();
        }
        default -> throw error("unexpected key '" + NpyDtype.abbreviate(key) + "' (NumPy allows only descr, fortran_order, shape)");
      }
      skipSpace();
      if (peek() == ',') {
        pos++;
        skipSpace();
      } else if (peek() != '}') {
        throw error("expected ',' or '}'");
      }
    }
    pos++;
    skipSpace();
    if (pos != text.length()) {
      throw error("unexpected text after the dict");
    }
    if (descr == null || fortran == null || shape == null) {
      throw new NpyFormatException("unparsable header dict: missing key '"
          + (descr == null ? "descr" : fortran == null ? "fortran_order" : "shape") + "'");
    }
    NpyDtype dtype = NpyDtype.parse(descr);
    return new NpyHeader(dtype, fortran, shape);
  }

  private String string() throws NpyFormatException {
    char quote = peek();
    if (quote != '\'' && quote != '"') {
      throw error("expected a quoted string");
    }
    int end = text.indexOf(quote, pos + 1);
    if (end < 0) {
      throw error("unterminated string");
    }
    String s = text.substring(pos + 1, end);
    if (s.indexOf('\\') >= 0) {
      throw error("escapes in strings are not supported");
    }
    pos = end + 1;
    return s;
  }

  private boolean bool() throws NpyFormatException {
    if (text.startsWith("True", pos)) {
      pos += 4;
      return true;
    }
    if (text.startsWith("False", pos)) {
      pos += 5;
      return false;
    }
    throw error("'fortran_order' is not True or False");
  }

  private long[] tuple() throws NpyFormatException {
    expect('(');
    List<Long> dims = new ArrayList<>();
    boolean sawComma = false;
    skipSpace();
    while (peek() != ')') {
      dims.add(integer());
      skipSpace();
      sawComma = false;
      if (peek() == ',') {
        pos++;
        sawComma = true;
        skipSpace();
      } else if (peek() != ')') {
        throw error("expected ',' or ')' in shape");
      }
    }
    pos++;
    if (dims.size() == 1 && !sawComma) {
      throw error("shape '(n)' is not a tuple; NumPy writes '(n,)'");
    }
    long[] shape = new long[dims.size()];
    for (int i = 0; i < shape.length; i++) {
      shape[i] = dims.get(i);
    }
    return shape;
  }

  private long integer() throws NpyFormatException {
    int start = pos;
    while (pos < text.length() && text.charAt(pos) >= '0' && text.charAt(pos) <= '9') {
      pos++;
    }
    if (pos == start) {
      throw error("expected a non-negative integer in shape");
    }
    String digits = text.substring(start, pos);
    if (pos < text.length() && text.charAt(pos) == 'L') {
      pos++; // Python 2 long literal, found in files from old NumPy versions
    }
    if (digits.length() > 19) {
      throw error("shape dim " + NpyDtype.abbreviate(digits) + " is too large");
    }
    long value;
    try {
      value = Long.parseLong(digits);
    } catch (NumberFormatException e) {
      throw error("shape dim " + NpyDtype.abbreviate(digits) + " is too large");
    }
    return value;
  }

  private void expect(char c) throws NpyFormatException {
    if (peek() != c) {
      throw error("expected '" + c + "'");
    }
    pos++;
  }

  private char peek() throws NpyFormatException {
    if (pos >= text.length()) {
      throw error("unexpected end of header");
    }
    return text.charAt(pos);
  }

  private void skipSpace() {
    while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
      pos++;
    }
  }

  private NpyFormatException error(String why) {
    String shown = text.length() > 200 ? text.substring(0, 200) + "..." : text;
    return new NpyFormatException("unparsable header dict: " + why + " at character " + pos + " of \""
        + shown.strip() + "\"");
  }
}

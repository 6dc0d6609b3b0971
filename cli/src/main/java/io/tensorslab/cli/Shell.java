package io.tensorslab.cli;

import java.util.regex.Pattern;

/** Quoting for text printed to be pasted into a POSIX shell. */
final class Shell {
  private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_/.,:=@%+-]+");

  private Shell() {}

  /** {@code text} as one shell word: as is when plain, else in single quotes ({@code '} as {@code '\''}). */
  static String quote(String text) {
    if (PLAIN.matcher(text).matches()) {
      return text;
    }
    return "'" + text.replace("'", "'\\''") + "'";
  }
}

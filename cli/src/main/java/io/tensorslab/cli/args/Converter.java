package io.tensorslab.cli.args;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * Turns an option's text into its value. A text it cannot take is an {@link IllegalArgumentException}
 * whose message completes {@code Invalid value for option '--NAME': }, e.g. {@code 'x' is not a long}.
 */
@FunctionalInterface
public interface Converter<T> {

  T convert(String text);

  /** The text as is. */
  Converter<String> STRING = text -> text;

  /** A decimal {@code int}. */
  Converter<Integer> INT = Converter::parseInt;

  /** A decimal {@code long}. */
  Converter<Long> LONG = Converter::parseLong;

  /** A path of the default file system ({@link Path#of}), not checked for existence. */
  Converter<Path> PATH = Converter::parsePath;

  private static Integer parseInt(String text) {
    try {
      return Integer.valueOf(text);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + text + "' is not an int");
    }
  }

  private static Long parseLong(String text) {
    try {
      return Long.valueOf(text);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + text + "' is not a long");
    }
  }

  private static Path parsePath(String text) {
    try {
      return Path.of(text);
    } catch (InvalidPathException e) {
      throw new IllegalArgumentException("'" + text + "' is not a path: " + e.getReason());
    }
  }
}

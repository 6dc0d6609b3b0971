package io.tensorslab.cli.args;

import java.util.List;
import java.util.function.Consumer;

/** One declared option or positional parameter of a {@link CommandSpec}: its names, help text and setter. */
final class OptionSpec {

  enum Kind {
    /** {@code --quiet}: no value. */
    FLAG,
    /** {@code --out DIR}: one value, given at most once. */
    VALUE,
    /** {@code --feature F}: repeatable, and comma-separated too when {@link #split}. */
    LIST,
    /** {@code -h, --help}. */
    HELP,
    /** {@code -V, --version}. */
    VERSION,
    /** One positional parameter, required. */
    POSITIONAL,
    /** One or more positional parameters. */
    POSITIONALS
  }

  static final OptionSpec HELP = new OptionSpec(Kind.HELP, "--help", "-h", null,
      "Show this help message and exit.", false, false, null, null, null);
  static final OptionSpec VERSION = new OptionSpec(Kind.VERSION, "--version", "-V", null,
      "Print version information and exit.", false, false, null, null, null);

  final Kind kind;
  /** {@code --out}; a positional parameter's label. */
  final String name;
  /** {@code -h}, or null. */
  final String shortName;
  /** What the value is called in help and messages ({@code DIR}); null for flags. */
  final String label;
  final String description;
  final boolean required;
  final boolean split;
  /** FLAG: sets the field. */
  final Runnable flag;
  /** VALUE, POSITIONAL: converts one text and sets the field. */
  final Consumer<String> value;
  /** LIST, POSITIONALS: sets the field to every value given, once, after parsing (never when none is). */
  final Consumer<List<String>> values;

  OptionSpec(Kind kind, String name, String shortName, String label, String description, boolean required,
      boolean split, Runnable flag, Consumer<String> value, Consumer<List<String>> values) {
    this.kind = kind;
    this.name = name;
    this.shortName = shortName;
    this.label = label;
    this.description = description;
    this.required = required;
    this.split = split;
    this.flag = flag;
    this.value = value;
    this.values = values;
  }

  boolean takesValue() {
    return kind == Kind.VALUE || kind == Kind.LIST;
  }

  boolean positional() {
    return kind == Kind.POSITIONAL || kind == Kind.POSITIONALS;
  }

  /** How the option is shown in help: {@code --tfrecord=INPUT[,INPUT...]}, {@code --quiet}, {@code FILE...}. */
  String display() {
    return switch (kind) {
      case FLAG, HELP, VERSION -> name;
      case VALUE -> name + "=" + label;
      case LIST -> name + "=" + label + (split ? "[," + label + "...]" : "");
      case POSITIONAL -> name;
      case POSITIONALS -> name + "...";
    };
  }

  /** How it appears in the usage line: brackets when optional, {@code ...} when repeatable. */
  String synopsis() {
    String shown = display();
    if (kind == Kind.LIST) {
      return (required ? shown : "[" + shown + "]") + "...";
    }
    return required || positional() ? shown : "[" + shown + "]";
  }

  /** How a missing required option is named: {@code '--out=DIR'}; a parameter: {@code 'DIR'}. */
  String missingName() {
    return "'" + (positional() ? name : name + "=" + label) + "'";
  }

  /** How a message names the option: {@code '--out' (DIR)}, {@code '--quiet'}. */
  String described() {
    return "'" + name + "'" + (label == null ? "" : " (" + label + ")");
  }
}

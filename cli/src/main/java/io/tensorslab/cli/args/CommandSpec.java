package io.tensorslab.cli.args;

import io.tensorslab.cli.args.OptionSpec.Kind;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * What one command takes: its options and positional parameters, each with the setter that writes it
 * into the command's field, and the text of its help. Declared in code by {@link Command#spec()}, in
 * the order the help lists them; {@code -h/--help} and {@code -V/--version} come with every command.
 *
 * {@snippet :
 * return new CommandSpec("Copies things.", "Copies SRC to --out.")
 *     .positional("SRC", Converter.PATH, v -> source = v, "What to copy.")
 *     .requiredValue("--out", "DIR", Converter.PATH, v -> out = v, "Where to.")
 *     .value("--threads", "N", Converter.INT, v -> threads = v, "Threads (default: 4).")
 *     .flag("--quiet", () -> quiet = true, "No progress bar.");
 * }
 *
 * Defaults are the fields' initial values; a help text names them itself ({@code (default: 4)}).
 */
public final class CommandSpec {
  final String summary;
  final List<String> description;
  List<String> footer = List.of();
  /** Options in declaration order, without help and version. */
  final List<OptionSpec> options = new ArrayList<>();
  /** The positional parameter(s), or null when the command takes none. */
  OptionSpec positional;
  final Map<String, Supplier<? extends Command>> subcommands = new LinkedHashMap<>();
  Supplier<List<String>> version;

  /**
   * @param summary the command's line in its parent's list of commands
   * @param description the paragraphs under the usage line; an empty string is an empty line
   */
  public CommandSpec(String summary, String... description) {
    this.summary = summary;
    this.description = List.of(description);
  }

  /** The lines at the end of the help (examples, exit codes); an empty string is an empty line. */
  public CommandSpec footer(String... lines) {
    this.footer = List.of(lines);
    return this;
  }

  /** An option without a value, e.g. {@code --quiet}; {@code set} runs when it is given. */
  public CommandSpec flag(String name, Runnable set, String description) {
    return add(new OptionSpec(Kind.FLAG, name, null, null, description, false, false, set, null, null));
  }

  /** An option with one value, given at most once: {@code --batch N} or {@code --batch=N}. */
  public <T> CommandSpec value(String name, String label, Converter<T> converter, Consumer<? super T> set,
      String description) {
    return value(name, label, converter, set, description, false);
  }

  /** {@link #value}, which must be given. */
  public <T> CommandSpec requiredValue(String name, String label, Converter<T> converter, Consumer<? super T> set,
      String description) {
    return value(name, label, converter, set, description, true);
  }

  /** A repeatable option whose values are comma-separated too: {@code --tfrecord a,b --tfrecord c}. */
  public CommandSpec list(String name, String label, Consumer<List<String>> set, String description) {
    return add(new OptionSpec(Kind.LIST, name, null, label, description, false, true, null, null, set));
  }

  /** {@link #list}, which must be given. */
  public CommandSpec requiredList(String name, String label, Consumer<List<String>> set, String description) {
    return add(new OptionSpec(Kind.LIST, name, null, label, description, true, true, null, null, set));
  }

  /** A repeatable option, each occurrence one value (commas are part of it): {@code --feature x:float32:2,2}. */
  public CommandSpec repeated(String name, String label, Consumer<List<String>> set, String description) {
    return add(new OptionSpec(Kind.LIST, name, null, label, description, false, false, null, null, set));
  }

  /** Exactly one positional parameter, required. */
  public <T> CommandSpec positional(String label, Converter<T> converter, Consumer<? super T> set,
      String description) {
    return positional(new OptionSpec(Kind.POSITIONAL, label, null, label, description, true, false, null,
        text -> set.accept(converter.convert(text)), null));
  }

  /** One or more positional parameters. */
  public CommandSpec positionals(String label, Consumer<List<String>> set, String description) {
    return positional(new OptionSpec(Kind.POSITIONALS, label, null, label, description, true, false, null, null,
        set));
  }

  /** Declares options kept elsewhere (a group several commands share) in this place of the list. */
  public CommandSpec include(Consumer<CommandSpec> declarations) {
    declarations.accept(this);
    return this;
  }

  /** A subcommand: {@code NAME} as the first argument that is not an option runs a new {@code command}. */
  public CommandSpec subcommand(String name, Supplier<? extends Command> command) {
    subcommands.put(name, command);
    return this;
  }

  /** What {@code --version} prints, for this command and its subcommands. */
  public CommandSpec version(Supplier<List<String>> lines) {
    this.version = lines;
    return this;
  }

  /** The option called {@code name} (long or short), or null. */
  OptionSpec option(String name) {
    if (name.equals("--help") || name.equals("-h")) {
      return OptionSpec.HELP;
    }
    if (name.equals("--version") || name.equals("-V")) {
      return OptionSpec.VERSION;
    }
    for (OptionSpec o : options) {
      if (o.name.equals(name)) {
        return o;
      }
    }
    return null;
  }

  /** Every entry of the help's list: the positional parameter(s), the options, then help and version. */
  List<OptionSpec> entries() {
    List<OptionSpec> all = new ArrayList<>();
    if (positional != null) {
      all.add(positional);
    }
    all.addAll(options);
    all.add(OptionSpec.HELP);
    all.add(OptionSpec.VERSION);
    return all;
  }

  private <T> CommandSpec value(String name, String label, Converter<T> converter, Consumer<? super T> set,
      String description, boolean required) {
    return add(new OptionSpec(Kind.VALUE, name, null, label, description, required, false, null,
        text -> set.accept(converter.convert(text)), null));
  }

  private CommandSpec add(OptionSpec o) {
    if (!o.name.startsWith("--") || option(o.name) != null) {
      throw new IllegalArgumentException("option names start with '--' and are declared once: " + o.name);
    }
    options.add(o);
    return this;
  }

  private CommandSpec positional(OptionSpec p) {
    if (positional != null) {
      throw new IllegalStateException("one positional declaration per command: " + positional.name);
    }
    positional = p;
    return this;
  }
}

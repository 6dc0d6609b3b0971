package io.tensorslab.cli.args;

import io.tensorslab.cli.args.OptionSpec.Kind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Parses the arguments of one command into its fields: options, positional parameters, up to a subcommand. */
final class ArgParser {

  enum Outcome {
    /** Every argument parsed; the command may run. */
    DONE,
    /** {@code --help} was given. */
    HELP,
    /** {@code --version} was given. */
    VERSION,
    /** A subcommand was named: its arguments start at {@link Result#next}. */
    SUBCOMMAND
  }

  record Result(Outcome outcome, String subcommand, int next) {}

  private final CommandSpec spec;
  private final String[] args;
  private final Set<OptionSpec> given = new HashSet<>();
  private final Map<OptionSpec, List<String>> lists = new LinkedHashMap<>();
  private final List<String> positionals = new ArrayList<>();

  private ArgParser(CommandSpec spec, String[] args) {
    this.spec = spec;
    this.args = args;
  }

  /**
   * Parses {@code args[from..]} for {@code spec}, calling the setters; stops at {@code --help},
   * {@code --version} or a subcommand's name.
   *
   * @throws UsageException at the first argument that does not fit, or for a required option missing
   */
  static Result parse(CommandSpec spec, String[] args, int from) {
    return new ArgParser(spec, args).parse(from);
  }

  private Result parse(int from) {
    boolean optionsEnded = false;
    for (int i = from; i < args.length; i++) {
      String arg = args[i];
      if (!optionsEnded && arg.equals("--")) {
        optionsEnded = true;
      } else if (!optionsEnded && looksLikeOption(arg)) {
        int eq = arg.startsWith("--") ? arg.indexOf('=') : -1;
        String name = eq < 0 ? arg : arg.substring(0, eq);
        OptionSpec o = spec.option(name);
        if (o == null) {
          throw new UsageException("Unknown option: '" + arg + "'");
        }
        String attached = eq < 0 ? null : arg.substring(eq + 1);
        if (!o.takesValue()) {
          if (attached != null) {
            throw new UsageException("option '" + name + "' should be specified without '" + attached + "' parameter");
          }
          if (o.kind == Kind.HELP) {
            return new Result(Outcome.HELP, null, i + 1);
          }
          if (o.kind == Kind.VERSION) {
            return new Result(Outcome.VERSION, null, i + 1);
          }
          once(o);
          o.flag.run();
        } else if (attached != null) {
          accept(o, attached);
        } else if (i + 1 == args.length) {
          throw new UsageException("Missing required parameter for option '" + name + "' (" + o.label + ")");
        } else if (isOption(args[i + 1])) {
          throw new UsageException("Expected parameter for option '" + name + "' but found '" + args[i + 1] + "'");
        } else {
          accept(o, args[++i]);
        }
      } else if (!spec.subcommands.isEmpty()) {
        if (!spec.subcommands.containsKey(arg)) {
          throw unmatched(i);
        }
        finish();
        return new Result(Outcome.SUBCOMMAND, arg, i + 1);
      } else if (spec.positional == null || (spec.positional.kind == Kind.POSITIONAL && !positionals.isEmpty())) {
        throw unmatched(i);
      } else {
        positional(arg);
      }
    }
    finish();
    return new Result(Outcome.DONE, null, args.length);
  }

  /** {@code -x}, {@code --name}, {@code --name=value}; not {@code -} (stdin, by convention) nor {@code -1}. */
  private static boolean looksLikeOption(String arg) {
    return arg.length() > 1 && arg.charAt(0) == '-' && !Character.isDigit(arg.charAt(1));
  }

  /** A declared option (maybe with {@code =value}), which cannot be another option's value. */
  private boolean isOption(String arg) {
    if (!looksLikeOption(arg)) {
      return false;
    }
    int eq = arg.startsWith("--") ? arg.indexOf('=') : -1;
    return spec.option(eq < 0 ? arg : arg.substring(0, eq)) != null;
  }

  private void once(OptionSpec o) {
    if (!given.add(o)) {
      throw new UsageException("option " + o.described() + " should be specified only once");
    }
  }

  private void accept(OptionSpec o, String text) {
    if (o.kind == Kind.LIST) {
      given.add(o);
      List<String> values = lists.computeIfAbsent(o, k -> new ArrayList<>());
      values.addAll(o.split ? Arrays.asList(text.split(",")) : List.of(text));
      return;
    }
    once(o);
    try {
      o.value.accept(text);
    } catch (IllegalArgumentException e) {
      throw new UsageException("Invalid value for option '" + o.name + "': " + e.getMessage());
    }
  }

  private void positional(String text) {
    OptionSpec p = spec.positional;
    if (p.kind == Kind.POSITIONAL) {
      try {
        p.value.accept(text);
      } catch (IllegalArgumentException e) {
        throw new UsageException("Invalid value for positional parameter at index 0 (" + p.label + "): "
            + e.getMessage());
      }
    }
    positionals.add(text);
  }

  private UsageException unmatched(int index) {
    return new UsageException("Unmatched argument at index " + index + ": '" + args[index] + "'");
  }

  /** Checks that every required option and parameter was given, then sets the lists. */
  private void finish() {
    List<String> missing = new ArrayList<>();
    for (OptionSpec o : spec.options) {
      if (o.required && !given.contains(o)) {
        missing.add(o.missingName());
      }
    }
    if (!missing.isEmpty()) {
      throw new UsageException("Missing required option" + (missing.size() == 1 ? ": " : "s: ")
          + String.join(", ", missing));
    }
    if (spec.positional != null && positionals.isEmpty()) {
      throw new UsageException("Missing required parameter: " + spec.positional.missingName());
    }
    lists.forEach((o, values) -> o.values.accept(values));
    if (spec.positional != null && spec.positional.kind == Kind.POSITIONALS) {
      spec.positional.values.accept(positionals);
    }
  }
}

package io.tensorslab.cli.args;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A command's {@code --help}: the usage line, the description, the positional parameters and options
 * with their descriptions in a column, the subcommands, the footer; wrapped at spaces to 80 columns.
 */
final class HelpText {
  static final int WIDTH = 80;
  /** Option names longer than this get a line of their own, their description below. */
  private static final int NAME_COLUMN_MAX = 20;
  /** Names start after the short name's place ({@code "  -h, "}). */
  private static final int NAME_INDENT = 6;

  private HelpText() {}

  static String render(String command, CommandSpec spec) {
    StringBuilder sb = new StringBuilder();
    usage(sb, command, spec);
    for (String paragraph : spec.description) {
      wrap(sb, "", paragraph, 0);
    }
    options(sb, spec.entries());
    commands(sb, spec.subcommands);
    for (String line : spec.footer) {
      int indent = line.length() - line.stripLeading().length();
      // An indented line (an example command) goes on indented further when it does not fit.
      wrap(sb, line.substring(0, indent), line.substring(indent), indent == 0 ? 0 : indent + 4);
    }
    return sb.toString();
  }

  /** {@code Usage: tensorslab convert [-hV] [--quiet] --out=DIR ...}, continued under the first option. */
  private static void usage(StringBuilder sb, String command, CommandSpec spec) {
    List<String> words = new ArrayList<>();
    words.add("[-hV]");
    for (OptionSpec o : spec.options) {
      words.add(o.synopsis());
    }
    if (spec.positional != null) {
      words.add(spec.positional.synopsis());
    }
    if (!spec.subcommands.isEmpty()) {
      words.add("[COMMAND]");
    }
    String head = "Usage: " + command + " ";
    StringBuilder line = new StringBuilder(head);
    boolean first = true;
    for (String w : words) {
      if (!first && line.length() + 1 + w.length() > WIDTH) {
        sb.append(line).append('\n');
        line.setLength(0);
        line.append(" ".repeat(head.length()));
        first = true;
      }
      line.append(first ? "" : " ").append(w);
      first = false;
    }
    sb.append(line).append('\n');
  }

  /** {@code   -h, --help    Show this...}: names in one column, descriptions in the next. */
  private static void options(StringBuilder sb, List<OptionSpec> entries) {
    int longest = 0;
    for (OptionSpec o : entries) {
      int length = o.display().length();
      if (length <= NAME_COLUMN_MAX) {
        longest = Math.max(longest, length);
      }
    }
    int column = NAME_INDENT + longest + 3;
    for (OptionSpec o : entries) {
      String names = o.shortName == null ? " ".repeat(NAME_INDENT) + o.display()
          : "  " + o.shortName + ", " + o.display();
      if (names.length() + 2 > column) {
        sb.append(names).append('\n');
        names = "";
      }
      wrap(sb, pad(names, column), o.description, column + 2);
    }
  }

  private static void commands(StringBuilder sb, Map<String, Supplier<? extends Command>> subcommands) {
    if (subcommands.isEmpty()) {
      return;
    }
    sb.append("Commands:\n");
    int longest = 0;
    for (String name : subcommands.keySet()) {
      longest = Math.max(longest, name.length());
    }
    int column = 2 + longest + 2;
    for (Map.Entry<String, Supplier<? extends Command>> e : subcommands.entrySet()) {
      wrap(sb, pad("  " + e.getKey(), column), e.getValue().get().spec().summary, column + 2);
    }
  }

  private static String pad(String text, int width) {
    return text + " ".repeat(Math.max(0, width - text.length()));
  }

  /**
   * Appends {@code head} and {@code text}, broken at spaces into lines of at most {@link #WIDTH}
   * columns (a longer word stands alone), later lines indented by {@code indent}.
   */
  static void wrap(StringBuilder sb, String head, String text, int indent) {
    String line = head;
    String rest = text.strip();
    while (line.length() + rest.length() > WIDTH) {
      int room = WIDTH - line.length();
      int cut = rest.lastIndexOf(' ', room);
      if (cut <= 0) {
        cut = rest.indexOf(' ', room);
        if (cut < 0) {
          break;
        }
      }
      sb.append((line + rest.substring(0, cut)).stripTrailing()).append('\n');
      rest = rest.substring(cut).stripLeading();
      line = " ".repeat(indent);
    }
    sb.append((line + rest).stripTrailing()).append('\n');
  }
}

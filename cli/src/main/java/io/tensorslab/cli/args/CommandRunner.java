package io.tensorslab.cli.args;

import java.io.PrintWriter;
import java.util.List;
import java.util.function.Supplier;

/**
 * Runs a command line: parses it into a new command (and the subcommand it names), prints the help or
 * the version when asked, or runs the command and returns its exit code. A {@link UsageException} from
 * parsing or from the command goes to the usage-error handler, any other exception of the command to
 * the failure handler; each prints and gives the exit code.
 */
public final class CommandRunner {

  /** Prints an error of {@code command} (its full name, e.g. {@code tensorslab convert}) on {@code err}; the exit code. */
  @FunctionalInterface
  public interface ErrorHandler {
    int handle(Exception e, String command, PrintWriter err);
  }

  private final String name;
  private final Supplier<? extends Command> root;
  private final PrintWriter out;
  private final PrintWriter err;
  private final ErrorHandler usageError;
  private final ErrorHandler failure;

  /**
   * @param name the program's name, first word of every message and usage line
   * @param root makes the top command (a new one for each {@link #execute})
   */
  public CommandRunner(String name, Supplier<? extends Command> root, PrintWriter out, PrintWriter err,
      ErrorHandler usageError, ErrorHandler failure) {
    this.name = name;
    this.root = root;
    this.out = out;
    this.err = err;
    this.usageError = usageError;
    this.failure = failure;
  }

  /** Runs {@code args}; the exit code: 0 after help or version, else the command's or a handler's. */
  public int execute(String... args) {
    String command = name;
    try {
      Command c = root.get();
      CommandSpec spec = c.spec();
      Supplier<List<String>> version = spec.version;
      for (int from = 0;;) {
        ArgParser.Result r = ArgParser.parse(spec, args, from);
        switch (r.outcome()) {
          case HELP -> {
            out.print(HelpText.render(command, spec));
            out.flush();
            return 0;
          }
          case VERSION -> {
            if (version != null) {
              version.get().forEach(out::println);
            }
            out.flush();
            return 0;
          }
          case SUBCOMMAND -> {
            command = command + " " + r.subcommand();
            c = spec.subcommands.get(r.subcommand()).get();
            spec = c.spec();
            from = r.next();
          }
          case DONE -> {
            c.streams(out, err);
            Integer code = c.call();
            return code == null ? 0 : code;
          }
        }
      }
    } catch (UsageException e) {
      return usageError.handle(e, command, err);
    } catch (Exception e) {
      return failure.handle(e, command, err);
    }
  }
}

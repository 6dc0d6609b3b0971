package io.tensorslab.cli;

import io.tensorslab.cli.args.Command;
import io.tensorslab.cli.args.CommandRunner;
import io.tensorslab.cli.args.CommandSpec;
import io.tensorslab.cli.args.UsageException;
import io.tensorslab.export.Failures;
import java.io.PrintWriter;
import java.util.List;

/**
 * The {@code tensorslab} command: {@code demo}, {@code convert} (TFRecord to {@code .npy}) and
 * {@code inspect}. The contract is in {@code docs/cli.md}; scripts rely on it.
 *
 * <p>Exit codes: 0 success; 1 a failure (bad input data, unusable output directory, malformed
 * {@code .npy}), reported as exactly one line on stderr; 2 a usage error (unknown flag, bad
 * value), one line on stderr naming the flag. No stack trace reaches the user unless
 * {@code TENSORSLAB_DEBUG=1} is set.
 *
 * {@snippet :
 * StringWriter out = new StringWriter(), err = new StringWriter();
 * int code = TensorSlabCommand.commandLine(new PrintWriter(out), new PrintWriter(err))
 *     .execute("inspect", "images.npy");
 * }
 */
public final class TensorSlabCommand extends Command {

  /** Exit code of a failure: bad input, unusable output, malformed file. */
  public static final int EXIT_FAILURE = 1;
  /** Exit code of a usage error: unknown flag, bad value, missing option. */
  public static final int EXIT_USAGE = 2;

  /**
   * True when the process ends right after the command ({@link #main}). The commands then leave
   * their {@code EagerSession} open: closing the eager context while JavaCPP's deallocator thread
   * still frees a dataset iterator of it crashed the JVM once (SIGSEGV in
   * {@code IteratorResource::State::~State}, after a parse error); process exit frees it all anyway.
   */
  static volatile boolean processExitsAfterCommand;

  @Override
  protected CommandSpec spec() {
    return new CommandSpec("",
        "TensorFlow tf.data datasets and TFRecord files to NumPy .npy files, in one off-heap copy.")
        .subcommand("demo", DemoCommand::new)
        .subcommand("convert", ConvertCommand::new)
        .subcommand("inspect", InspectCommand::new)
        .subcommand("status", StatusCommand::new)
        .version(Version::lines)
        .footer("", "Exit codes: 0 success, 1 failure (one line on stderr), 2 usage error.",
            "Run 'tensorslab COMMAND --help' for a command's options.");
  }

  @Override
  public Integer call() {
    throw new UsageException("missing command: demo, convert, inspect or status");
  }

  /** Entry point of the launcher. */
  public static void main(String[] args) {
    processExitsAfterCommand = true;
    PrintWriter out = new PrintWriter(System.out, true);
    PrintWriter err = new PrintWriter(System.err, true);
    int code = commandLine(out, err).execute(args);
    out.flush();
    err.flush();
    // halt, not System.exit: since JDK 21 exit logs itself through System.Logger, whose first use
    // looks for a LoggerFinder service in every jar on the class path (~70 here): 35-50 ms at the
    // end of every command. Nothing is left for shutdown hooks: each command has closed, published
    // or deleted its files and removed its Ctrl-C hook before returning.
    Runtime.getRuntime().halt(code);
  }

  /** The command, wired to print on {@code out} and {@code err}, with this project's error handling. */
  public static CommandRunner commandLine(PrintWriter out, PrintWriter err) {
    return new CommandRunner("tensorslab", TensorSlabCommand::new, out, err, TensorSlabCommand::usageError,
        TensorSlabCommand::failure);
  }

  /** Usage errors: one line naming the flag, exit 2; not the whole usage text. */
  private static int usageError(Exception e, String name, PrintWriter err) {
    err.println(name + ": " + oneLine(e.getMessage()) + " (see '" + name + " --help')");
    err.flush();
    return EXIT_USAGE;
  }

  private static int failure(Exception e, String name, PrintWriter err) {
    String message = Failures.describe(e);
    err.println(name + ": " + oneLine(message));
    if ("1".equals(System.getenv("TENSORSLAB_DEBUG"))) {
      e.printStackTrace(err);
    }
    err.flush();
    return EXIT_FAILURE;
  }

  /** Closes {@code session} unless the process is about to exit (see {@link #processExitsAfterCommand}). */
  static void release(org.tensorflow.EagerSession session) {
    if (!processExitsAfterCommand) {
      session.close();
    }
  }

  /** Folds a message onto one line: scripts read stderr line by line. */
  static String oneLine(String message) {
    return Failures.oneLine(message);
  }

  /** {@code --version}: the jar's implementation version, when run from a jar. */
  static final class Version {
    private Version() {}

    static List<String> lines() {
      String v = TensorSlabCommand.class.getPackage().getImplementationVersion();
      return List.of("tensorslab " + (v == null ? "(development build)" : v),
          "Java " + Runtime.version() + ", TensorFlow Java 1.1.0");
    }
  }
}

package io.tensorslab.cli;

import io.tensorslab.export.Failures;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

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
@Command(
    name = "tensorslab",
    mixinStandardHelpOptions = true,
    versionProvider = TensorSlabCommand.Version.class,
    description = "TensorFlow tf.data datasets and TFRecord files to NumPy .npy files, in one off-heap copy.",
    subcommands = {DemoCommand.class, ConvertCommand.class, InspectCommand.class, StatusCommand.class},
    footer = {"", "Exit codes: 0 success, 1 failure (one line on stderr), 2 usage error.",
        "Run 'tensorslab COMMAND --help' for a command's options."})
public final class TensorSlabCommand implements Runnable {

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

  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "missing command: demo, convert, inspect or status");
  }

  /** Entry point of the launcher. */
  public static void main(String[] args) {
    processExitsAfterCommand = true;
    PrintWriter out = new PrintWriter(System.out, true);
    PrintWriter err = new PrintWriter(System.err, true);
    int code = commandLine(out, err).execute(args);
    out.flush();
    err.flush();
    System.exit(code);
  }

  /** The command, wired to print on {@code out} and {@code err}, with this project's error handling. */
  public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
    CommandLine cl = new CommandLine(new TensorSlabCommand());
    cl.setOut(out);
    cl.setErr(err);
    cl.setParameterExceptionHandler(TensorSlabCommand::usageError);
    cl.setExecutionExceptionHandler((e, cmd, parseResult) -> failure(e, cmd));
    return cl;
  }

  /** Usage errors: one line naming the flag, exit 2. Picocli's default would add the whole usage text. */
  private static int usageError(ParameterException e, String[] args) {
    CommandLine cmd = e.getCommandLine();
    String name = cmd.getCommandSpec().qualifiedName();
    cmd.getErr().println(name + ": " + oneLine(e.getMessage()) + " (see '" + name + " --help')");
    cmd.getErr().flush();
    return EXIT_USAGE;
  }

  private static int failure(Exception e, CommandLine cmd) {
    if (e instanceof ParameterException pe) {
      return usageError(pe, new String[0]);
    }
    PrintWriter err = cmd.getErr();
    String name = cmd.getCommandSpec().qualifiedName();
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
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = TensorSlabCommand.class.getPackage().getImplementationVersion();
      return new String[] {"tensorslab " + (v == null ? "(development build)" : v),
          "Java " + Runtime.version() + ", TensorFlow Java 1.1.0"};
    }
  }
}

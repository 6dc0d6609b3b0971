package io.tensorslab.cli.args;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/**
 * A command: declares its arguments ({@link #spec()}), which the {@link CommandRunner} parses into its
 * fields, then runs ({@link #call()}, the exit code). A new object serves each command line.
 */
public abstract class Command implements Callable<Integer> {
  private PrintWriter stdout;
  private PrintWriter stderr;

  /** This command's options and help text, bound to its fields; asked once, before parsing. */
  protected abstract CommandSpec spec();

  /** Where the command prints its output. */
  protected final PrintWriter stdout() {
    return stdout;
  }

  /** Where the command prints progress and notes (its errors are the runner's to print). */
  protected final PrintWriter stderr() {
    return stderr;
  }

  final void streams(PrintWriter out, PrintWriter err) {
    this.stdout = out;
    this.stderr = err;
  }
}

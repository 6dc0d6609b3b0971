package io.tensorslab.cli.args;

/**
 * A usage error: an unknown option, a bad or missing value, options that do not fit together. The
 * message says what is wrong and names the option; the {@link CommandRunner} adds the command's name
 * and a pointer to its {@code --help}, prints it as one line and exits with code 2.
 */
public final class UsageException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public UsageException(String message) {
    super(message, null, false, false);
  }
}

package io.tensorslab.export;

import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;

/**
 * Turns an exception that ends a conversion into the one line a user sees: what the command prints
 * and the Spark job reports, alike.
 */
public final class Failures {
  private Failures() {}

  /** The one line for {@code e}: its message where it is ours or the JDK's, else the type, marked internal. */
  public static String describe(Throwable e) {
    if (e instanceof FileSystemException fse) {
      return fileSystem(fse);
    }
    String message = e.getMessage();
    if (e instanceof java.io.IOException) {
      return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
    }
    if (e instanceof IllegalArgumentException && message != null) {
      return message;
    }
    // A bug of ours or an unexpected library failure: still one line, with the type to report it by.
    return "internal error: " + e.getClass().getName() + (message == null ? "" : ": " + message)
        + " (rerun with TENSORSLAB_DEBUG=1 for the stack trace)";
  }

  /**
   * The JDK's file exceptions read {@code "FILE: reason"}, or just {@code "FILE"} when the OS
   * gave no reason; ours already end with {@code (path=…)}.
   */
  private static String fileSystem(FileSystemException e) {
    String reason = e.getReason();
    String file = e.getFile();
    if (reason != null && reason.contains("path=")) {
      return reason;
    }
    if (reason == null) {
      reason = switch (e) {
        case NoSuchFileException x -> "no such file or directory";
        case AccessDeniedException x -> "permission denied";
        default -> e.getClass().getSimpleName();
      };
    }
    return reason + (file == null ? "" : " (path=" + file + ")");
  }

  /** Folds a message onto one line: scripts read stderr line by line. */
  public static String oneLine(String message) {
    return message == null ? "" : message.strip().replaceAll("\\s*[\\r\\n]+\\s*", " ");
  }
}

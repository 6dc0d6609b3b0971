package io.tensorslab.npy;

import java.io.IOException;

/**
 * A {@code .npy} file, or a header about to be written, that does not follow the format: bad magic,
 * unknown version, truncated or unparsable header, unsupported dtype or order, short payload.
 *
 * <p>The message always names the problem and, when known, the file.
 */
public class NpyFormatException extends IOException {
  private static final long serialVersionUID = 1L;

  public NpyFormatException(String message) {
    super(message);
  }

  public NpyFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}

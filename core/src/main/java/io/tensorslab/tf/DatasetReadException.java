package io.tensorslab.tf;

import java.io.IOException;

/**
 * TensorFlow failed while producing a batch: a map function raised an error, a record was corrupt,
 * a file went missing. The message names the batch and carries TensorFlow's own message, e.g.
 * {@code "reading batch 7 failed: Integer division by zero"}; the cause is the original
 * {@code TensorFlowException}.
 *
 * <p>The end of a dataset is not an error and never surfaces as this exception.
 */
public class DatasetReadException extends IOException {
  private static final long serialVersionUID = 1L;

  /** {@link #batch()} of a failure while creating the iterator, before any batch was asked for. */
  public static final long NO_BATCH = -1;

  private final long batch;

  /** TensorFlow failed producing batch {@code batch} (zero-based). */
  public DatasetReadException(long batch, Throwable cause) {
    super("reading batch " + batch + " failed: " + describe(cause), cause);
    this.batch = batch;
  }

  /** TensorFlow failed before the first batch; {@code what} says what was being done. */
  public DatasetReadException(String what, Throwable cause) {
    super(what + " failed: " + describe(cause), cause);
    this.batch = NO_BATCH;
  }

  /** Zero-based index of the batch that could not be produced, or {@link #NO_BATCH}. */
  public long batch() {
    return batch;
  }

  private static String describe(Throwable cause) {
    String message = cause.getMessage();
    return message == null || message.isBlank() ? cause.getClass().getSimpleName() : message.strip();
  }
}

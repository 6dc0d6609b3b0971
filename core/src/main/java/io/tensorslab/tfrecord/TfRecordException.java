package io.tensorslab.tfrecord;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A TFRecord input that cannot be read or parsed: one line naming the file, the record, the
 * feature and the problem, ready for the command's stderr.
 *
 * <p>Message form: {@code "cannot read TFRecord input: <problem> (path=…, record=…, feature=…, batch=…)"};
 * a part TensorFlow and the re-read could not pin down is left out. {@code record} is 0-based
 * within {@code path}. The TensorFlow exception, when there was one, is the cause.
 */
public final class TfRecordException extends IOException {

  private static final long serialVersionUID = 1L;

  private final transient Path path;
  private final long record;
  private final String feature;
  private final long batch;
  private final String problem;

  /**
   * @param problem what is wrong, without the location
   * @param path the file, or null if unknown
   * @param record the 0-based record index within {@code path}, or -1 if unknown
   * @param feature the feature name, or null if none applies
   * @param batch the 0-based batch index, or -1 if unknown
   * @param cause the TensorFlow or I/O exception, or null
   */
  public TfRecordException(String problem, Path path, long record, String feature, long batch, Throwable cause) {
    this(problem, path, path == null ? null : "path=" + path, record, feature, batch, cause);
  }

  private TfRecordException(String problem, Path path, String where, long record, String feature, long batch,
      Throwable cause) {
    super(format(problem, where, record, feature, batch), cause);
    this.problem = problem;
    this.path = path;
    this.record = record;
    this.feature = feature;
    this.batch = batch;
  }

  /**
   * This error with its file named by {@code url} in the message ({@code url=s3://bucket/key}): for a
   * local copy fetched from object storage, whose temporary name means nothing to the user.
   * {@link #path()} stays the copy; this error is the cause.
   */
  public TfRecordException namedAs(String url) {
    TfRecordException named = new TfRecordException(problem, path, "url=" + url, record, feature, batch, this);
    named.setStackTrace(getStackTrace());
    return named;
  }

  /** What is wrong, without the location. */
  public String problem() {
    return problem;
  }

  /** The file, or null if unknown. */
  public Path path() {
    return path;
  }

  /** The 0-based record index within {@link #path()}, or -1 if unknown. */
  public long record() {
    return record;
  }

  /** The feature, or null if none applies (a damaged record, an unreadable file). */
  public String feature() {
    return feature;
  }

  /** The 0-based batch index where iteration failed, or -1 if unknown. */
  public long batch() {
    return batch;
  }

  private static String format(String problem, String file, long record, String feature, long batch) {
    StringBuilder where = new StringBuilder();
    if (file != null) {
      where.append(file);
    }
    if (record >= 0) {
      where.append(where.isEmpty() ? "" : ", ").append("record=").append(record);
    }
    if (feature != null) {
      where.append(where.isEmpty() ? "" : ", ").append("feature=").append(feature);
    }
    if (batch >= 0) {
      where.append(where.isEmpty() ? "" : ", ").append("batch=").append(batch);
    }
    return "cannot read TFRecord input: " + problem + (where.isEmpty() ? "" : " (" + where + ")");
  }
}

package io.tensorslab.tfrecord;

/**
 * A record that TensorFlow's parser would refuse: its {@code problem} and, when one applies, the
 * {@code feature}. Carries no file or record: the caller that knows them wraps it into a
 * {@link io.tensorslab.tfrecord.TfRecordException} (see {@link ExampleRecords}). No stack trace: a
 * diagnosis scan may throw one per bad record.
 */
public final class MalformedExampleException extends Exception {

  private static final long serialVersionUID = 1L;

  private final String problem;
  private final String feature;

  public MalformedExampleException(String problem, String feature) {
    super(problem + (feature == null ? "" : " (feature=" + feature + ")"), null, false, false);
    this.problem = problem;
    this.feature = feature;
  }

  /** What is wrong, without the location. */
  public String problem() {
    return problem;
  }

  /** The feature, or null when the record as a whole is malformed. */
  public String feature() {
    return feature;
  }
}

package io.tensorslab.tfrecord;

/**
 * The values of one feature list in one record, as a row writer copies them: every step's values
 * together ({@link RowValues}, in step order) and where each step ends, so that the values go in
 * one run and the steps are their splits.
 */
public interface StepValues extends RowValues {

  /** Steps in this record; 0 when the feature list is absent. */
  int steps();

  /** Values in steps {@code [0, step]}: step {@code s} holds values {@code [stepEnd(s - 1), stepEnd(s))}. */
  int stepEnd(int step);
}

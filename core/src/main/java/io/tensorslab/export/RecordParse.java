package io.tensorslab.export;

import io.tensorslab.tfrecord.ExampleView;
import io.tensorslab.tfrecord.FeatureSelection;
import io.tensorslab.tfrecord.FeatureSpec;
import io.tensorslab.tfrecord.MalformedExampleException;
import io.tensorslab.tfrecord.RowValues;
import io.tensorslab.tfrecord.SequenceExampleView;
import io.tensorslab.tfrecord.SequenceSelection;
import io.tensorslab.tfrecord.StepValues;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * The native reader's parse of one record into a row of the TFRecord engine ({@link TfRecordExport}):
 * a {@code tf.train.Example} ({@link ExampleView} + {@link FeatureSelection}, TensorFlow's fast-parser
 * rules) or a {@code tf.train.SequenceExample} ({@link SequenceExampleView} + {@link SequenceSelection},
 * its sequence-parser rules). The engine's plan, count pass and range writers are the same for both.
 *
 * <p>Not thread-safe: one per thread ({@link #copy}); the row returned is valid until the next parse.
 */
sealed interface RecordParse {

  /**
   * Parses {@code record} and selects its features.
   *
   * @throws MalformedExampleException naming the feature at fault, if one is
   */
  RowSource parse(MemorySegment record) throws MalformedExampleException;

  /** The same parse with views and values of its own, for another thread. */
  RecordParse copy();

  /** Records of {@code tf.train.Example}s: row feature {@code f} is {@code features.get(f)}. */
  static RecordParse examples(List<FeatureSpec> features) {
    return new Examples(FeatureSelection.of(features));
  }

  /**
   * Records of {@code tf.train.SequenceExample}s: row feature {@code f} is {@code context.get(f)},
   * then feature list {@code f - context.size()} ({@link RowSource#steps}).
   */
  static RecordParse sequences(List<FeatureSpec> context, List<FeatureSpec> featureLists) {
    return new Sequences(SequenceSelection.of(context, featureLists));
  }

  /** {@code tf.train.Example}s: the values of each feature, still the record's wire bytes. */
  final class Examples implements RecordParse {
    private final ExampleView view = new ExampleView();
    private final FeatureSelection selection;
    private final RowSource row;

    private Examples(FeatureSelection selection) {
      this.selection = selection;
      this.row = selection::values;
    }

    @Override
    public RowSource parse(MemorySegment record) throws MalformedExampleException {
      selection.read(view, record); // the view is this parse's alone, as that read requires
      return row;
    }

    @Override
    public RecordParse copy() {
      return new Examples(selection.copy());
    }
  }

  /** {@code tf.train.SequenceExample}s: context features as an Example's, then the feature lists' steps. */
  final class Sequences implements RecordParse, RowSource {
    private final SequenceExampleView view = new SequenceExampleView();
    private final SequenceSelection selection;
    private final int contexts;

    private Sequences(SequenceSelection selection) {
      this.selection = selection;
      this.contexts = selection.context().size();
    }

    @Override
    public RowSource parse(MemorySegment record) throws MalformedExampleException {
      view.parse(record);
      selection.read(view);
      return this;
    }

    @Override
    public RecordParse copy() {
      return new Sequences(selection.copy());
    }

    @Override
    public RowValues values(int feature) {
      return selection.context(feature);
    }

    @Override
    public StepValues steps(int feature) {
      return selection.featureList(feature - contexts);
    }
  }
}

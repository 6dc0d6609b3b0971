package io.tensorslab.export;

import io.tensorslab.tfrecord.RowValues;
import io.tensorslab.tfrecord.StepValues;
import java.lang.foreign.MemorySegment;

/**
 * One row's values, feature by feature (in the conversion's feature order: a
 * {@code tf.train.SequenceExample}'s context features, then its feature lists), as the TFRecord
 * engine's range writers take them: the native reader's parse of a record
 * ({@link io.tensorslab.tfrecord.FeatureSelection}, {@link io.tensorslab.tfrecord.SequenceSelection};
 * see {@link RecordParse}) or a row of the tensors TensorFlow's parse made. Valid until the source
 * moves to its next row.
 */
interface RowSource {

  /** The values of feature {@code feature}, which is no {@code image} feature and no feature list. */
  RowValues values(int feature);

  /**
   * The steps of feature list {@code feature} and their values. Only the native reader's parse of
   * {@code tf.train.SequenceExample}s has feature lists.
   */
  default StepValues steps(int feature) {
    throw new IllegalStateException("feature " + feature + " is a feature list: only tf.train.SequenceExample rows"
        + " have them");
  }

  /**
   * The decoded pixels of {@code image} feature {@code feature}. Only TensorFlow decodes images:
   * the native reader's rows have none.
   */
  default DecodedImage image(int feature) {
    throw new IllegalStateException("feature " + feature + " is an image: only TensorFlow's rows decode images");
  }

  /**
   * A decoded image of {@code height x width x channels} uint8 pixels: line {@code y} starts at
   * {@code y * lineStride} in {@code pixels} (a line of a batch padded to its largest image may be
   * longer than {@code width * channels}).
   */
  record DecodedImage(MemorySegment pixels, long lineStride, long height, long width, long channels) {

    long lineBytes() {
      return width * channels;
    }

    long pixelBytes() {
      return height * lineBytes();
    }
  }

  /** Rows in row order from a source that is not the native reader's ranges (TensorFlow's parse). */
  interface Ordered extends AutoCloseable {

    /** The next row, or null after the last. */
    RowSource next() throws java.io.IOException;

    /** Batches (or other units) read so far, for the manifest. */
    long batches();

    @Override
    void close();
  }

  /**
   * Opens the {@link Ordered} rows of a conversion once its count pass is done, given the largest
   * height and width per {@code image:*,*,C} feature it found (from the image headers).
   */
  @FunctionalInterface
  interface OrderedOpener {
    Ordered open(java.util.Map<String, long[]> imageSizes) throws java.io.IOException;
  }
}

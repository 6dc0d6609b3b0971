package io.tensorslab.export;

import io.tensorslab.tf.BatchSource;
import io.tensorslab.tf.DatasetReadException;
import io.tensorslab.tf.TStrings;
import io.tensorslab.tf.TensorBytes;
import io.tensorslab.tf.TfRecordBatches;
import io.tensorslab.tf.TfRecordErrors;
import io.tensorslab.tfrecord.FeatureSpec;
import io.tensorslab.tfrecord.RowValues;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Tensor;

/**
 * The rows of TensorFlow's parse ({@link TfRecordBatches}: {@code TFRecordDataset} → batch →
 * {@code ParseExampleV2}, {@code DecodeRaw}, {@code DecodeImage}), one at a time, as the TFRecord
 * engine's range writers take them: per feature a view of its row in the batch's tensors, read in
 * place ({@link TensorBytes}), nothing copied before the writer copies it into its store.
 *
 * <p>Components per feature, as {@link TfRecordBatches} lays them out: a fixed feature's
 * {@code [batch, *shape]} tensor; a {@code *} feature's values and row splits; a {@code raw-<type>}
 * feature's decoded {@code [batch, *shape]}; an image feature's uint8 {@code [batch, H, W, C]},
 * padded to the largest image with its {@code [batch, 3]} shapes when sizes vary.
 *
 * <p>Not thread-safe; a row is valid until the next {@link #next()}. Closing releases the batch in
 * hand and the iterator, not the session.
 */
final class TensorFlowRows implements RowSource.Ordered, RowSource {

  private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  private final TfRecordBatches batches;
  private final BatchSource source;
  /** Per feature of the conversion (its order): the first component of the feature in a batch. */
  private final int[] component;
  private final List<FeatureSpec> features;
  private final FeatureView[] views;
  private List<Tensor> batch;
  private long batchRows;
  private long row;
  private long batchesRead;

  /**
   * @param features the conversion's features, in its order (the batches hold the same ones, images last)
   */
  TensorFlowRows(TfRecordBatches batches, BatchSource source, List<FeatureSpec> features) {
    this.batches = batches;
    this.source = source;
    this.features = List.copyOf(features);
    component = new int[features.size()];
    views = new FeatureView[features.size()];
    int c = 0;
    List<Integer> firstComponent = new ArrayList<>();
    for (int i = 0; i < batches.features().size(); i++) {
      firstComponent.add(c);
      c += batches.componentCounts().get(i);
    }
    for (int f = 0; f < features.size(); f++) {
      FeatureSpec spec = features.get(f);
      int at = batches.features().indexOf(spec);
      if (at < 0) {
        throw new IllegalArgumentException("feature '" + spec.name() + "' is not in TensorFlow's batches");
      }
      component[f] = firstComponent.get(at);
      views[f] = spec.isImage() ? null : new FeatureView(spec);
    }
  }

  @Override
  public RowSource next() throws IOException {
    if (batch == null || ++row == batchRows) {
      if (!nextBatch()) {
        return null;
      }
    }
    for (FeatureView v : views) {
      if (v != null) {
        v.row(row);
      }
    }
    return this;
  }

  /** Reads the next non-empty batch and points every view at its tensors; false at the end. */
  private boolean nextBatch() throws IOException {
    releaseBatch();
    while (true) {
      List<Tensor> next;
      try {
        next = source.next();
      } catch (DatasetReadException e) {
        if (e.getCause() instanceof RuntimeException tfError) {
          throw TfRecordErrors.explain(tfError, batches, e.batch());
        }
        throw e;
      }
      if (next == null) {
        return false;
      }
      batch = next;
      batchesRead++;
      batchRows = batch.get(0).shape().get(0);
      if (batchRows == 0) {
        releaseBatch();
        continue;
      }
      row = 0;
      for (int f = 0; f < views.length; f++) {
        if (views[f] != null) {
          views[f].batch(batch, component[f], batchRows);
        }
      }
      return true;
    }
  }

  @Override
  public RowValues values(int feature) {
    return views[feature];
  }

  @Override
  public DecodedImage image(int feature) {
    Tensor pixels = batch.get(component[feature]);
    long[] dims = pixels.shape().asArray(); // [batch, H, W, C]: the largest image when sizes vary
    long rowBytes = dims[1] * dims[2] * dims[3];
    MemorySegment all = TensorBytes.of(pixels);
    MemorySegment image = all.asSlice(row * rowBytes, rowBytes);
    long height = dims[1];
    long width = dims[2];
    if (features.get(feature).imageSizeVaries()) { // the image's own size: the next component, NAME.shapes
      MemorySegment shapes = TensorBytes.of(batch.get(component[feature] + 1));
      height = shapes.get(LONG, row * 24);
      width = shapes.get(LONG, row * 24 + 8);
    }
    return new DecodedImage(image, dims[2] * dims[3], height, width, dims[3]);
  }

  @Override
  public long batches() {
    return batchesRead;
  }

  private void releaseBatch() {
    if (batch != null) {
      batch.forEach(Tensor::close);
      batch = null;
    }
  }

  @Override
  public void close() {
    try {
      releaseBatch();
    } finally {
      source.close();
    }
  }

  /**
   * One feature's values in the current row: a row of a {@code [batch, *shape]} tensor (fixed and
   * {@code raw-<type>} features) or the row's slice of a ragged pair.
   */
  private static final class FeatureView implements RowValues {
    private final FeatureSpec spec;
    private final boolean raw;
    private MemorySegment values;
    /** Row splits of a {@code *} feature, else null. */
    private MemorySegment splits;
    private long perRow;
    /** The row's first value (an element index into {@link #values}). */
    private long first;
    private int count;

    FeatureView(FeatureSpec spec) {
      this.spec = spec;
      this.raw = spec.decoder() instanceof FeatureSpec.Decoder.Raw;
    }

    void batch(List<Tensor> tensors, int c, long rows) {
      values = TensorBytes.of(tensors.get(c));
      if (spec.variableLength()) {
        splits = TensorBytes.of(tensors.get(c + 1));
      } else if (raw) {
        perRow = values.byteSize() / rows; // the row's bytes: one value of the shape's byte length
      } else {
        perRow = spec.valuesPerRecord();
      }
    }

    void row(long row) {
      if (splits != null) {
        first = splits.get(LONG, row * 8);
        count = Math.toIntExact(splits.get(LONG, row * 8 + 8) - first);
      } else if (raw) {
        first = row * perRow;
        count = 1;
      } else {
        first = row * perRow;
        count = (int) perRow;
      }
    }

    @Override
    public int count() {
      return count;
    }

    @Override
    public void copyFloats(int from, int n, MemorySegment dst, long dstOffset) {
      MemorySegment.copy(values, (first + from) * 4, dst, dstOffset, n * 4L);
    }

    @Override
    public void copyLongs(int from, int n, MemorySegment dst, long dstOffset) {
      MemorySegment.copy(values, (first + from) * 8, dst, dstOffset, n * 8L);
    }

    @Override
    public void copyBytes(int i, MemorySegment dst, long dstOffset, long width) {
      MemorySegment value = raw ? values.asSlice(first, perRow) : TStrings.bytes(values, first + i);
      long n = value.byteSize();
      MemorySegment.copy(value, 0, dst, dstOffset, n);
      if (width > n) {
        dst.asSlice(dstOffset + n, width - n).fill((byte) 0);
      }
    }

    @Override
    public int bytesLength(int i) {
      return Math.toIntExact(raw ? perRow : TStrings.length(values, first + i));
    }
  }
}

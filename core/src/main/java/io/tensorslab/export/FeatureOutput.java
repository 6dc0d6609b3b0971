package io.tensorslab.export;

import io.tensorslab.npy.NpyDtype;
import io.tensorslab.store.RowLayout;
import io.tensorslab.store.RowStore;
import io.tensorslab.store.TableFormat;
import io.tensorslab.tfrecord.FeatureSpec;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * One feature's outputs: their layouts and sizes, from the plan and the counts; then the stores
 * they are written to.
 *
 * <p>A feature list of {@code tf.train.SequenceExample}s ({@link #featureList}) is a ragged array
 * of two levels, records to steps to values, as {@code tf.io.parse_sequence_example} returns it for
 * a {@code tf.io.RaggedFeature}:
 * <pre>
 *   NAME.values       every value of every step of every record, in order
 *   NAME.row_splits   records + 1 entries: record r holds steps [row_splits[r], row_splits[r+1])
 *   NAME.step_splits  steps + 1 entries:   step s holds values [step_splits[s], step_splits[s+1])
 * </pre>
 * so that {@code tf.RaggedTensor.from_nested_row_splits(values, (row_splits, step_splits))} is the
 * parsed tensor. A fixed-shape feature list ({@code frames:float32:3}) has one row of
 * {@code NAME.values} per step and no step splits.
 */
final class FeatureOutput {
  /** Suffix of a feature list's inner splits: steps to values. */
  static final String STEP_SPLITS_SUFFIX = ".step_splits";

  final FeatureSpec spec;
  /** A feature list of a {@code tf.train.SequenceExample} (SHAPE per step); false for any other feature. */
  final boolean featureList;
  RowLayout mainLayout;   // NAME, or NAME.values
  RowLayout secondLayout; // NAME.row_splits or NAME.lengths; null for a fixed feature
  RowLayout stepSplitsLayout; // NAME.step_splits of a '*' feature list; null otherwise
  long stepSplitsRows;
  RowLayout shapesLayout; // NAME.shapes of an image:*,*,C feature; null otherwise
  long mainRows;          // rows of the main store when finished
  long secondRows;
  /**
   * A bytes feature written to a {@link TableFormat}: one int64 per value, its exact length (the
   * main store's {@code |S} items are NUL-padded, and a value may itself end in NULs); else null.
   */
  RowLayout byteLengthsLayout;
  long byteLengthsRows;
  long width;             // values per row of a padded feature
  byte[] padItem;         // one pad item of a padded feature
  long[] valueStart;      // ragged or feature list: per range of the plan its first value, and the total last
  long[] stepStart;       // feature list: per range of the plan its first step, and the total last
  RowStore main;
  RowStore second;
  RowStore stepSplits;
  RowStore shapes;
  RowStore byteLengths;
  /** Ragged: one past the last value this export writes (a shard's owned end; the total otherwise). */
  long valuesOwnedEnd = Long.MAX_VALUE;

  private static final NpyDtype INT64 = NpyDtype.INT64;

  private FeatureOutput(FeatureSpec spec, boolean featureList) {
    this.spec = spec;
    this.featureList = featureList;
  }

  long totalValues() {
    return valueStart[valueStart.length - 1];
  }

  long totalSteps() {
    return stepStart[stepStart.length - 1];
  }

  /** Whether each range writes from its own first value on (from the counts): a ragged feature or a feature list. */
  boolean valuesPlaced(TfRecordConversion.VarLen varLen) {
    return featureList || ragged(spec, varLen);
  }

  /** A feature written as values and row splits: a {@code *} feature, or images of several sizes, with ragged output. */
  static boolean ragged(FeatureSpec f, TfRecordConversion.VarLen varLen) {
    return (f.variableLength() || f.imageSizeVaries()) && varLen == TfRecordConversion.VarLen.RAGGED;
  }

  /** A {@code *} feature written padded to its longest row, with its lengths. */
  static boolean padded(FeatureSpec f, TfRecordConversion.VarLen varLen) {
    return f.variableLength() && varLen == TfRecordConversion.VarLen.PAD;
  }

  /** The output names of {@code f}, in the order its stores are made. */
  static List<String> outputNames(FeatureSpec f, TfRecordConversion.VarLen varLen) {
    if (f.imageSizeVaries()) {
      return varLen == TfRecordConversion.VarLen.RAGGED
          ? List.of(f.name() + FeatureSpec.VALUES_SUFFIX, f.name() + FeatureSpec.ROW_SPLITS_SUFFIX,
              f.name() + FeatureSpec.SHAPES_SUFFIX)
          : List.of(f.name(), f.name() + FeatureSpec.SHAPES_SUFFIX);
    }
    if (!f.variableLength()) {
      return List.of(f.name());
    }
    return varLen == TfRecordConversion.VarLen.RAGGED ? f.componentNames()
        : List.of(f.name(), f.name() + TfRecordConversion.LENGTHS_SUFFIX);
  }

  /** The output names of feature list {@code f}, in the order its stores are made. */
  static List<String> featureListOutputNames(FeatureSpec f) {
    List<String> names = new ArrayList<>(List.of(f.name() + FeatureSpec.VALUES_SUFFIX,
        f.name() + FeatureSpec.ROW_SPLITS_SUFFIX));
    if (f.variableLength()) {
      names.add(f.name() + STEP_SPLITS_SUFFIX);
    }
    return names;
  }

  /** The layouts of this feature's outputs, main first. */
  List<RowLayout> layouts() {
    List<RowLayout> layouts = new ArrayList<>(List.of(mainLayout));
    if (secondLayout != null) {
      layouts.add(secondLayout);
    }
    if (stepSplitsLayout != null) {
      layouts.add(stepSplitsLayout);
    }
    if (shapesLayout != null) {
      layouts.add(shapesLayout);
    }
    return layouts;
  }

  /**
   * The outputs in {@code job} of {@code spec}, feature {@code f} of the counts (a feature list when
   * {@code featureList}): dtypes, row shapes and sizes, from the plan's {@code ranges} and
   * {@code rows} and the counts (null when no count pass ran; never for a feature list).
   */
  static FeatureOutput plan(TfRecordConversion job, FeatureSpec spec, int f, boolean featureList,
      RangeCounts[] counts, int ranges, long rows) throws ExportException {
    FeatureOutput out = new FeatureOutput(spec, featureList);
    long longestRow = 0;
    long shortestRow = Long.MAX_VALUE;
    long longestBytes = 0;
    if (counts != null) {
      out.valueStart = new long[ranges + 1];
      out.stepStart = new long[ranges + 1];
      for (int r = 0; r < ranges; r++) {
        out.valueStart[r + 1] = out.valueStart[r] + counts[r].values[f];
        out.stepStart[r + 1] = out.stepStart[r] + counts[r].steps[f];
        longestRow = Math.max(longestRow, counts[r].longestRow[f]);
        shortestRow = Math.min(shortestRow, counts[r].shortestRow[f]);
        longestBytes = Math.max(longestBytes, counts[r].longestBytes[f]);
      }
    }
    if (spec.isImage()) {
      return imageLayout(out, imageSize(spec, f, counts), job.varLen(), rows);
    }
    boolean padded = padded(spec, job.varLen());
    Object pad = job.padValues().get(spec.name());
    byte[] padBytes = pad instanceof String s ? s.getBytes(StandardCharsets.UTF_8) : new byte[0];
    NpyDtype dtype = spec.decoder() instanceof FeatureSpec.Decoder.Raw raw ? raw.type().npy() : switch (spec.dtype()) {
      case FLOAT32 -> NpyDtype.FLOAT32;
      case INT64 -> INT64;
      case BYTES -> {
        // As the TensorFlow engine's string writer: |S of the longest value (at least 1), pad values included where used.
        boolean padUsed = padded && rows > 0 && shortestRow < longestRow;
        long w = Math.max(1, Math.max(longestBytes, padUsed ? padBytes.length : 0));
        if (w > Integer.MAX_VALUE) {
          throw new ExportException("strings too long for a NumPy |S dtype: the longest is " + w + " bytes",
              spec.name(), -1, null);
        }
        yield NpyDtype.bytes((int) w);
      }
    };
    if (featureList) {
      return featureListLayout(out, dtype, rows);
    }
    if (!spec.variableLength()) {
      long[] shape = spec.shape().stream().mapToLong(Long::longValue).toArray();
      out.mainLayout = new RowLayout(spec.name(), dtype, shape);
      out.mainRows = rows;
    } else if (!padded) {
      out.mainLayout = new RowLayout(spec.name() + FeatureSpec.VALUES_SUFFIX, dtype, new long[0]);
      out.mainRows = out.totalValues();
      out.secondLayout = new RowLayout(spec.name() + FeatureSpec.ROW_SPLITS_SUFFIX, INT64, new long[0]);
      out.secondRows = rows + 1;
    } else {
      out.width = longestRow;
      out.padItem = padItem(spec, pad, dtype, padBytes);
      out.mainLayout = new RowLayout(spec.name(), dtype, new long[] {out.width});
      out.mainRows = rows;
      out.secondLayout = new RowLayout(spec.name() + TfRecordConversion.LENGTHS_SUFFIX, INT64, new long[0]);
      out.secondRows = rows;
    }
    if (job.format() instanceof TableFormat && dtype.kind() == 'S' && !padded) {
      // A table keeps each value's true bytes: the lengths beside the NUL-padded items (one per value).
      out.byteLengthsLayout = new RowLayout(TableFormat.byteLengthsName(out.mainLayout.name()), INT64, new long[0]);
      out.byteLengthsRows = out.mainRows * (out.mainLayout.rowBytes() / dtype.itemSize());
    }
    return out;
  }

  /**
   * A feature list's outputs (see the class comment): values (one row per step of a fixed-shape
   * list, one per value of a {@code *} list), row splits, and step splits of a {@code *} list.
   */
  private static FeatureOutput featureListLayout(FeatureOutput out, NpyDtype dtype, long rows) {
    FeatureSpec spec = out.spec;
    List<String> names = featureListOutputNames(spec);
    boolean fixedSteps = !spec.variableLength();
    long[] stepShape = spec.shape().stream().mapToLong(Long::longValue).toArray();
    out.mainLayout = new RowLayout(names.get(0), dtype, fixedSteps ? stepShape : new long[0]);
    out.mainRows = fixedSteps ? out.totalSteps() : out.totalValues();
    out.secondLayout = new RowLayout(names.get(1), INT64, new long[0]);
    out.secondRows = rows + 1;
    if (!fixedSteps) {
      out.stepSplitsLayout = new RowLayout(names.get(2), INT64, new long[0]);
      out.stepSplitsRows = out.totalSteps() + 1;
    }
    return out;
  }

  /**
   * An image feature's outputs, as TensorFlow's image batches lay them out: {@code image:H,W,C} as
   * {@code NAME} uint8 {@code [rows, H, W, C]}; {@code image:*,*,C} padded with zeros (top-left
   * aligned) to the largest height and width as {@code NAME}, or ragged as {@code NAME.values} (the
   * pixels inside each image's shape, C order) and {@code NAME.row_splits} (in elements); both with
   * {@code NAME.shapes}, int64 {@code [rows, 3]}.
   */
  private static FeatureOutput imageLayout(FeatureOutput out, long[] size, TfRecordConversion.VarLen varLen, long rows) {
    FeatureSpec spec = out.spec;
    long channels = spec.shape().get(2);
    if (!spec.imageSizeVaries()) {
      out.mainLayout = new RowLayout(spec.name(), NpyDtype.UINT8, new long[] {size[0], size[1], channels});
      out.mainRows = rows;
      return out;
    }
    out.shapesLayout = new RowLayout(spec.name() + FeatureSpec.SHAPES_SUFFIX, INT64, new long[] {3});
    if (ragged(spec, varLen)) {
      out.mainLayout = new RowLayout(spec.name() + FeatureSpec.VALUES_SUFFIX, NpyDtype.UINT8, new long[0]);
      out.mainRows = out.totalValues();
      out.secondLayout = new RowLayout(spec.name() + FeatureSpec.ROW_SPLITS_SUFFIX, INT64, new long[0]);
      out.secondRows = rows + 1;
    } else {
      out.mainLayout = new RowLayout(spec.name(), NpyDtype.UINT8, new long[] {size[0], size[1], channels});
      out.mainRows = rows;
    }
    return out;
  }

  /** {@code {H, W}} of a fixed image feature, or the largest the counts found of an {@code image:*,*,C} one. */
  static long[] imageSize(FeatureSpec spec, int f, RangeCounts[] counts) {
    if (!spec.imageSizeVaries()) {
      return new long[] {spec.shape().get(0), spec.shape().get(1)};
    }
    long[] size = new long[2];
    for (RangeCounts c : counts) {
      size[0] = Math.max(size[0], c.imageHeight[f]);
      size[1] = Math.max(size[1], c.imageWidth[f]);
    }
    return size;
  }

  private static byte[] padItem(FeatureSpec spec, Object pad, NpyDtype dtype, byte[] padBytes) {
    byte[] item = new byte[(int) dtype.itemSize()];
    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(item).order(ByteOrder.LITTLE_ENDIAN);
    switch (spec.dtype()) {
      case FLOAT32 -> b.putFloat(0, pad == null ? 0f : (Float) pad);
      case INT64 -> b.putLong(0, pad == null ? 0L : (Long) pad);
      case BYTES -> System.arraycopy(padBytes, 0, item, 0, Math.min(padBytes.length, item.length));
    }
    return item;
  }

}

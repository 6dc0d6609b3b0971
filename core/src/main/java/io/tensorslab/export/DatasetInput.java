package io.tensorslab.export;

import io.tensorslab.tf.BatchSource;
import io.tensorslab.tf.ReadOptions;
import java.io.IOException;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.framework.data.Dataset;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.types.family.TType;

/**
 * What {@link TensorSlab#export} was given, and how its elements become rows: a dataset variant
 * with its element types and shapes, the session of its graph ({@code null} when eager), and — for
 * a framework {@link Dataset} that transforms elements on its iterator side ({@code Dataset.map}) —
 * that dataset, which is then read through its own iterator so that every step it applies is in
 * the export.
 */
record DatasetInput(Operand<?> variant, List<Class<? extends TType>> types, List<Shape> shapes, Session session,
    Dataset iterateThrough) {

  /** How elements relate to rows; see {@link ExportBuilder#batched()} and {@link ExportBuilder#unbatched()}. */
  enum Elements {
    /** Batches, unless the spec says otherwise (see {@link #requireLooksBatched}). */
    DETECT,
    /** Declared batches: dim 0 of every component counts rows. */
    BATCHES,
    /** Declared rows: the export batches them itself. */
    ROWS
  }

  /** Rows per batch when the export batches an unbatched dataset itself. */
  static final long ROWS_PER_BATCH = 1024;

  /**
   * Ops that end a pipeline in batches even when dim 0 is static ({@code batch(n, true)}), and the
   * steps that keep their input's elements as they are, looked through to find one (graph mode;
   * an eager op does not expose its inputs).
   */
  private static final Set<String> BATCHING_OPS = Set.of("BatchDataset", "BatchDatasetV2", "PaddedBatchDataset",
      "PaddedBatchDatasetV2", "ParallelBatchDataset", "MapAndBatchDataset", "ExperimentalMapAndBatchDataset");
  private static final Set<String> ELEMENT_PRESERVING_OPS = Set.of("PrefetchDataset", "TakeDataset", "SkipDataset",
      "RepeatDataset", "CacheDataset", "CacheDatasetV2", "OptionsDataset", "ShardDataset",
      "AssertCardinalityDataset", "ModelDataset", "MaxIntraOpParallelismDataset", "PrivateThreadPoolDataset",
      "ShuffleDataset", "ShuffleDatasetV2", "ShuffleDatasetV3", "ShuffleAndRepeatDataset", "ShuffleAndRepeatDatasetV2");

  static DatasetInput of(Dataset dataset, Session session) {
    Objects.requireNonNull(dataset, "dataset");
    return new DatasetInput(dataset.getVariant(), dataset.getOutputTypes(), dataset.getOutputShapes(), session,
        transformsOnIteratorSide(dataset) ? dataset : null);
  }

  static DatasetInput of(Operand<?> variant, List<Class<? extends TType>> types, List<Shape> shapes,
      Session session) {
    Objects.requireNonNull(variant, "variant");
    Objects.requireNonNull(types, "types");
    Objects.requireNonNull(shapes, "shapes");
    return new DatasetInput(variant, List.copyOf(types), List.copyOf(shapes), session, null);
  }

  /**
   * True for a framework dataset whose iterators do more than iterate its variant: TF Java's
   * {@code Dataset.map} ({@code framework.data.impl.MapDataset}) applies its function on the
   * iterator side, in Java, and its variant is the unmapped dataset.
   */
  static boolean transformsOnIteratorSide(Dataset dataset) {
    try {
      Class<?> type = dataset.getClass();
      return type.getMethod("makeOneShotIterator").getDeclaringClass() != Dataset.class
          || type.getMethod("makeInitializeableIterator").getDeclaringClass() != Dataset.class;
    } catch (NoSuchMethodException e) {
      throw new IllegalStateException("this TF Java's Dataset has no iterator factory methods", e);
    }
  }

  BatchSource open(ReadOptions read, Elements elements) throws IOException {
    if (elements == Elements.ROWS) {
      if (iterateThrough != null) {
        throw new IllegalArgumentException("unbatched() cannot batch a dataset transformed by the framework's"
            + " Dataset.map, which runs on its iterator: call batch(n) on it before map(...), or build the map"
            + " with tf.data.mapDataset (docs/pipelines.md)");
      }
      Ops tf = Ops.create(variant.env());
      List<Shape> batchShapes = shapes.stream().map(s -> s.isUnknown() ? s : s.prepend(-1)).toList();
      var batched = tf.data.batchDataset(variant, tf.constant(ROWS_PER_BATCH), tf.constant(false), types,
          batchShapes);
      return session == null ? BatchSource.open(batched, types, batchShapes, read)
          : BatchSource.open(batched, types, batchShapes, session, read);
    }
    if (elements == Elements.DETECT) {
      requireLooksBatched();
    }
    if (iterateThrough != null) {
      return BatchSource.openIterating(iterateThrough, session);
    }
    return session == null ? BatchSource.open(variant, types, shapes, read)
        : BatchSource.open(variant, types, shapes, session, read);
  }

  /**
   * Refuses a spec that looks like rows: every component has a static dim 0 and no batching op is
   * known to have made the elements. {@code fromTensorSlices} of {@code [N, 28, 28]} images gives
   * elements of shape {@code [28, 28]}, which would otherwise export as 28-row batches.
   */
  private void requireLooksBatched() {
    for (Shape s : shapes) {
      if (s.isUnknown() || s.numDimensions() == 0 || s.size(0) < 0) {
        return; // a dynamic dim 0 is what batch(n) gives; scalars are refused by the export with their own message
      }
    }
    String op = batchingOpBehind(variant);
    if (op != null) {
      return;
    }
    throw new IllegalArgumentException("the dataset does not look batched: every component has a fixed first dim "
        + shapes + " and no batching op made its elements (it ends in " + variant.op().type() + "), so dim 0 may"
        + " be a dim of one row; if each element is a batch of rows, declare it with batched(); if each element"
        + " is one row, export it row by row with unbatched()");
  }

  /** The batching op that made {@code dataset}'s elements, looking through element-preserving steps; or null. */
  private static String batchingOpBehind(Operand<?> dataset) {
    Operand<?> at = dataset;
    for (int depth = 0; depth < 64; depth++) {
      String type = at.op().type();
      if (BATCHING_OPS.contains(type)) {
        return type;
      }
      if (!ELEMENT_PRESERVING_OPS.contains(type) || !(at.op() instanceof GraphOperation g) || g.numInputs() == 0) {
        return null;
      }
      at = g.input(0);
    }
    return null;
  }
}

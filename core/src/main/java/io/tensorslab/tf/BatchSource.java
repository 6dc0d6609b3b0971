package io.tensorslab.tf;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import org.tensorflow.EagerSession;
import org.tensorflow.ExecutionEnvironment;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.exceptions.TFInvalidArgumentException;
import org.tensorflow.exceptions.TFOutOfRangeException;
import org.tensorflow.exceptions.TFUnimplementedException;
import org.tensorflow.exceptions.TensorFlowException;
import org.tensorflow.framework.data.Dataset;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.data.DatasetCardinality;
import org.tensorflow.op.data.IteratorGetNext;
import org.tensorflow.op.data.MakeIterator;
import org.tensorflow.proto.data.DatasetOptions;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TType;

/**
 * Reads a {@code tf.data} dataset one element (batch) at a time, as tensors whose native bytes can
 * be copied with {@link TensorBytes}.
 *
 * <p>Opened from a framework {@link Dataset} or from a dataset variant plus its types and shapes,
 * either in eager mode (the variant lives in an {@link EagerSession}) or in graph mode (the variant
 * is a node of the {@link Graph} of a {@link Session} you pass and keep open). Each mode takes the
 * fastest path TF Java offers:
 *
 * <ul>
 *   <li>eager: one {@code AnonymousIteratorV3} + {@code MakeIterator}, then one
 *       {@code IteratorGetNext} op executed per batch;
 *   <li>graph: an {@code Iterator}, {@code MakeIterator} and {@code IteratorGetNext} are added to
 *       the graph once; each batch is one {@code session.runner().fetch(..).run()}.
 * </ul>
 *
 * <p><b>Threads:</b> a source is not thread-safe; use it from one thread at a time (the thread that
 * owns the eager session or drives the graph session). <b>Lifetime:</b> {@link #close()} releases
 * the iterator and whatever it buffers; it never closes the dataset's session. Graph mode adds a
 * handful of nodes to the graph the first time a dataset is opened in a session (TensorFlow cannot
 * remove nodes); closing re-points that iterator at an empty dataset and later sources of the same
 * dataset and session reuse the nodes, so open/close cycles do not grow the graph
 * ({@link GraphReaderPool}).
 *
 * <p>This class keeps the source's state (batch count, end, failure); reading is one of two
 * {@link BatchReader}s: {@link EagerBatchReader} or {@link GraphBatchReader}.
 *
 * {@snippet :
 * try (BatchSource source = BatchSource.open(dataset)) {
 *   DatasetSpec spec = source.spec();
 *   for (List<Tensor> batch; (batch = source.next()) != null; ) {
 *     try {
 *       MemorySegment bytes = TensorBytes.of(batch.get(0));
 *       // ... copy bytes ...
 *     } finally {
 *       batch.forEach(Tensor::close);
 *     }
 *   }
 * }
 * }
 */
public final class BatchSource implements AutoCloseable {

  private final DatasetSpec spec;
  private final BatchReader reader;
  private long batches;
  private boolean ended;
  private DatasetReadException failure;
  private boolean closed;

  private BatchSource(DatasetSpec spec, BatchReader reader) {
    this.spec = spec;
    this.reader = reader;
  }

  /**
   * Opens an eager dataset (built with {@code Ops.create()} or an {@link EagerSession}).
   *
   * @throws IllegalArgumentException when the dataset was built in a graph: use
   *     {@link #open(Dataset, Session)}
   * @throws DatasetReadException when TensorFlow cannot create the iterator or count the dataset
   */
  public static BatchSource open(Dataset dataset) throws DatasetReadException {
    Objects.requireNonNull(dataset, "dataset");
    return open(dataset.getVariant(), dataset.getOutputTypes(), dataset.getOutputShapes());
  }

  /**
   * Opens a dataset built in {@code session.graph()}.
   *
   * @throws IllegalArgumentException when the dataset belongs to another graph or is eager
   * @throws DatasetReadException when TensorFlow cannot create the iterator or count the dataset
   */
  public static BatchSource open(Dataset dataset, Session session) throws DatasetReadException {
    Objects.requireNonNull(dataset, "dataset");
    return open(dataset.getVariant(), dataset.getOutputTypes(), dataset.getOutputShapes(), session);
  }

  /**
   * Opens an eager dataset variant whose elements have {@code types} and {@code shapes}, e.g. the
   * output of {@code tf.data.batchDataset(...)}.
   *
   * @throws IllegalArgumentException when the variant is a graph node, or types and shapes differ
   *     in count
   * @throws DatasetReadException when TensorFlow cannot create the iterator or count the dataset
   */
  public static BatchSource open(Operand<?> variant, List<Class<? extends TType>> types, List<Shape> shapes)
      throws DatasetReadException {
    return open(variant, types, shapes, ReadOptions.DEFAULT);
  }

  /**
   * Like {@link #open(Operand, List, List)}, reading as {@code options} say: through a
   * {@code prefetch(n)} stage, so that TensorFlow's own background thread produces batch k+1 while
   * the caller copies batch k, and with or without tf.data's autotuning.
   */
  public static BatchSource open(Operand<?> variant, List<Class<? extends TType>> types, List<Shape> shapes,
      ReadOptions options) throws DatasetReadException {
    Objects.requireNonNull(variant, "variant");
    ExecutionEnvironment env = variant.env();
    if (!(env instanceof EagerSession)) {
      throw new IllegalArgumentException("dataset variant '" + variant.op().name()
          + "' is a graph node: open it with a Session of that graph");
    }
    List<Class<? extends TType>> t = List.copyOf(types);
    List<Shape> s = List.copyOf(shapes);
    checkStructure(t, s);
    Ops tf = Ops.create(env);
    long cardinality;
    try {
      DatasetCardinality count = tf.data.datasetCardinality(variant);
      cardinality = cardinality(EagerBatchReader.outputs(count.op(), List.of(count.cardinality())).get(0));
    } catch (RuntimeException e) {
      throw openFailure("reading dataset cardinality", e);
    }
    return new BatchSource(new DatasetSpec(t, s, cardinality),
        new EagerBatchReader(tf, readThrough(tf, variant, t, s, options), t, s));
  }

  /**
   * Opens a dataset variant that is a node of {@code session.graph()}.
   *
   * @throws IllegalArgumentException when the variant belongs to another graph or is eager, or
   *     types and shapes differ in count
   * @throws DatasetReadException when TensorFlow cannot create the iterator or count the dataset
   */
  public static BatchSource open(Operand<?> variant, List<Class<? extends TType>> types, List<Shape> shapes,
      Session session) throws DatasetReadException {
    return open(variant, types, shapes, session, ReadOptions.DEFAULT);
  }

  /** Like {@link #open(Operand, List, List, Session)}, read as in {@link #open(Operand, List, List, ReadOptions)}. */
  public static BatchSource open(Operand<?> variant, List<Class<? extends TType>> types, List<Shape> shapes,
      Session session, ReadOptions options) throws DatasetReadException {
    Objects.requireNonNull(variant, "variant");
    Objects.requireNonNull(session, "session");
    if (variant.env() != session.graph()) {
      throw new IllegalArgumentException("dataset variant '" + variant.op().name() + "' is not a node of"
          + " the session's graph" + (variant.env().isEager() ? " (it is eager: open it without a Session)" : ""));
    }
    List<Class<? extends TType>> t = List.copyOf(types);
    List<Shape> s = List.copyOf(shapes);
    checkStructure(t, s);
    GraphBatchReader reader = new GraphBatchReader(session, variant, t, s, options);
    try {
      long cardinality = reader.initialize();
      return new BatchSource(new DatasetSpec(t, s, cardinality), reader);
    } catch (RuntimeException e) {
      reader.release();
      throw openFailure("creating the dataset iterator", e);
    }
  }

  static DatasetReadException openFailure(String what, RuntimeException e) {
    if (!isTensorFlowError(e)) {
      throw e;
    }
    return new DatasetReadException(what, e);
  }

  /** Types, static shapes and cardinality of the dataset. */
  public DatasetSpec spec() {
    return spec;
  }

  /** How many batches {@link #next()} returned so far: the index of the next batch. */
  public long batchesRead() {
    return batches;
  }

  /**
   * The next batch, one tensor per component in {@link DatasetSpec#types()} order, or {@code null}
   * once the dataset is exhausted (and on every call after that).
   *
   * <p>The caller owns the tensors and closes each one; closing frees TensorFlow's buffer at once,
   * in both modes. (Eager op outputs are normally tied to the {@link EagerSession} and freed only by
   * the garbage collector; this class detaches them. If a future TF Java hides the members that
   * makes possible, eager batches fall back to GC-driven release.)
   *
   * @throws DatasetReadException when TensorFlow fails to produce the batch; the message names the
   *     batch index and TensorFlow's message. The source stays failed: later calls throw
   *     {@link IllegalStateException}.
   * @throws IllegalStateException after {@link #close()} or after a failure
   */
  public List<Tensor> next() throws DatasetReadException {
    if (closed) {
      throw new IllegalStateException("batch source is closed (" + spec + ")");
    }
    if (failure != null) {
      throw new IllegalStateException("batch source already failed at batch " + failure.batch(), failure);
    }
    if (ended) {
      return null;
    }
    try {
      List<Tensor> batch = reader.read();
      batches++;
      return batch;
    } catch (TFOutOfRangeException end) {
      ended = true;
      return null;
    } catch (RuntimeException e) {
      if (!isTensorFlowError(e)) {
        throw e;
      }
      failure = new DatasetReadException(batches, e);
      throw failure;
    }
  }

  /** Releases the iterator; idempotent. Does not close the session or the dataset. */
  @Override
  public void close() {
    if (!closed) {
      closed = true;
      reader.release();
    }
  }

  /**
   * TF Java maps a failed status to {@link TensorFlowException}, except INVALID_ARGUMENT, which is a
   * {@link TFInvalidArgumentException} (an {@code IllegalArgumentException}) and UNIMPLEMENTED, a
   * {@link TFUnimplementedException} (an {@code UnsupportedOperationException}).
   */
  static boolean isTensorFlowError(RuntimeException e) {
    return e instanceof TensorFlowException || e instanceof TFInvalidArgumentException
        || e instanceof TFUnimplementedException;
  }

  /** The dataset with the stages {@code options} ask for; both keep the cardinality. */
  static Operand<?> readThrough(Ops tf, Operand<?> variant, List<Class<? extends TType>> types,
      List<Shape> shapes, ReadOptions options) {
    Operand<?> v = variant;
    if (!options.autotune()) {
      v = tf.data.optionsDataset(v, AUTOTUNE_OFF, types, shapes);
    }
    if (options.prefetch() > 0) {
      v = tf.data.prefetchDataset(v, tf.constant((long) options.prefetch()), types, shapes);
    }
    return v;
  }

  /**
   * A serialized {@code tensorflow.data.Options} with only {@code autotune_options.enabled = false}.
   * The op takes the bytes as a Java string; these four bytes are ASCII, so any encoding keeps them.
   */
  private static final String AUTOTUNE_OFF = new String(DatasetOptions.Options.newBuilder()
      .setAutotuneOptions(DatasetOptions.AutotuneOptions.newBuilder().setEnabled(false)).build().toByteArray(),
      StandardCharsets.ISO_8859_1);

  private static void checkStructure(List<Class<? extends TType>> types, List<Shape> shapes) {
    if (types.isEmpty() || types.size() != shapes.size()) {
      throw new IllegalArgumentException("dataset needs one shape per type and at least one component: "
          + types.size() + " types, " + shapes.size() + " shapes");
    }
  }

  private static long cardinality(Tensor scalar) {
    try (TInt64 t = (TInt64) scalar) {
      return t.getLong();
    }
  }
}

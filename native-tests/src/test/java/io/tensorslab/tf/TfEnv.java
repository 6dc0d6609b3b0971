package io.tensorslab.tf;

import java.util.List;
import java.util.function.Function;
import org.tensorflow.ConcreteFunction;
import org.tensorflow.EagerSession;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.Tensor;
import org.tensorflow.framework.data.Dataset;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.data.MapDataset;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TType;

/** One TensorFlow execution environment per test: a fresh EagerSession, or a Graph with its Session. */
final class TfEnv implements AutoCloseable {

  enum Mode { EAGER, GRAPH }

  final Mode mode;
  final Ops tf;
  private final EagerSession eager;
  private final Graph graph;
  private final Session session;

  private TfEnv(Mode mode) {
    this.mode = mode;
    if (mode == Mode.EAGER) {
      eager = EagerSession.create();
      graph = null;
      session = null;
      tf = Ops.create(eager);
    } else {
      eager = null;
      graph = new Graph();
      session = new Session(graph);
      tf = Ops.create(graph);
    }
  }

  static TfEnv of(Mode mode) {
    return new TfEnv(mode);
  }

  Session session() {
    return session;
  }

  BatchSource open(Operand<?> variant, List<Class<? extends TType>> types, List<Shape> shapes)
      throws DatasetReadException {
    return mode == Mode.EAGER
        ? BatchSource.open(variant, types, shapes)
        : BatchSource.open(variant, types, shapes, session);
  }

  BatchSource open(Dataset dataset) throws DatasetReadException {
    return mode == Mode.EAGER ? BatchSource.open(dataset) : BatchSource.open(dataset, session);
  }

  /** A constant holding exactly {@code bytes} as a tensor of {@code type} and {@code shape}. */
  <T extends TType> Operand<T> constant(Class<T> type, Shape shape, byte[] bytes) {
    try (T t = Tensor.of(type, shape, DataBuffers.of(bytes, true, false))) {
      return tf.constantOf(t);
    }
  }

  /** {@code tf.data.range(start, stop)}: int64 scalars. */
  Operand<?> range(long start, long stop) {
    return tf.data.rangeDataset(tf.constant(start), tf.constant(stop), tf.constant(1L),
        List.of(TInt64.class), List.of(Shape.scalar()));
  }

  /** {@code dataset.batch(size)} keeping the short last batch. */
  Operand<?> batch(Operand<?> dataset, long size, List<Class<? extends TType>> types, List<Shape> elementShapes) {
    return tf.data.batchDataset(dataset, tf.constant(size), tf.constant(false), types, batched(elementShapes));
  }

  static List<Shape> batched(List<Shape> elementShapes) {
    return elementShapes.stream().map(s -> s.prepend(-1)).toList();
  }

  /** A structure-changing map over int64 scalars (the raw op; framework Dataset.map keeps input types). */
  Operand<?> mapInt64(Operand<?> dataset, Function<Ops, Function<Operand<TInt64>, List<Operand<?>>>> body,
      List<Class<? extends TType>> types, List<Shape> shapes) {
    ConcreteFunction fn = ConcreteFunction.create(f -> {
      Placeholder<TInt64> x = f.placeholder(TInt64.class, Placeholder.shape(Shape.scalar()));
      List<Operand<?>> outs = body.apply(f).apply(x);
      Signature.Builder sig = Signature.builder().input("x", x);
      for (int i = 0; i < outs.size(); i++) {
        sig.output("out" + i, outs.get(i));
      }
      return sig.build();
    });
    return tf.data.mapDataset(dataset, List.of(), fn, types, shapes, MapDataset.preserveCardinality(true));
  }

  /** Keeps int64 scalars for which {@code predicate} holds. */
  Operand<?> filterInt64(Operand<?> dataset, Function<Ops, Function<Operand<TInt64>, Operand<TBool>>> predicate) {
    ConcreteFunction fn = ConcreteFunction.create(f -> {
      Placeholder<TInt64> x = f.placeholder(TInt64.class, Placeholder.shape(Shape.scalar()));
      return Signature.builder().input("x", x).output("keep", predicate.apply(f).apply(x)).build();
    });
    return tf.data.filterDataset(dataset, List.of(), fn, List.of(TInt64.class), List.of(Shape.scalar()));
  }

  @Override
  public void close() {
    if (session != null) {
      session.close();
      graph.close();
    }
    if (eager != null) {
      eager.close();
    }
  }
}

package io.tensorslab.tf;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import org.tensorflow.Operand;
import org.tensorflow.Operation;
import org.tensorflow.Output;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.data.MakeIterator;
import org.tensorflow.types.family.TType;

/**
 * The graph nodes of graph-mode readers, pooled per session and dataset: every new node set costs
 * a graph extension and a fresh executor in the session, never freed, so a re-opened dataset reuses
 * a free set. Weak keys: a dropped session drops its pool.
 */
final class GraphReaderPool {
  private GraphReaderPool() {}

  /**
   * The graph nodes one reader needs. Built once per (session, dataset) and pooled: every new node
   * set costs a graph extension and a fresh executor in the session (tens of milliseconds, growing
   * with the graph, never freed), so re-opening the same dataset reuses a free set instead.
   */
  record GraphNodes(Session session, PoolKey key, Operation init, Output<?> count,
      List<Output<?>> components, Operation reset) {

    static GraphNodes build(Session session, PoolKey key, Operand<?> variant, List<Class<? extends TType>> types,
        List<Shape> shapes) {
      Ops tf = Ops.create(session.graph()).withSubScope("tensorslab_reader");
      variant = BatchSource.readThrough(tf, variant, types, shapes, key.options());
      // shared_name "" keeps the iterator private to this node's kernel
      var iterator = tf.data.iterator("", "", types, shapes);
      MakeIterator init = tf.data.makeIterator(variant, iterator);
      List<Output<?>> components = tf.data.iteratorGetNext(iterator, types, shapes).components();
      Output<?> count = tf.data.datasetCardinality(variant).cardinality();
      // Re-pointing the iterator at an empty dataset on close drops its buffered elements and its
      // reference to the dataset; the (small) resource itself lives until the session closes.
      var empty = tf.data.takeDataset(variant, tf.constant(0L), types, shapes);
      MakeIterator reset = tf.data.makeIterator(empty, iterator);
      return new GraphNodes(session, key, init.op(), count, components, reset.op());
    }
  }

  record PoolKey(Output<?> variant, List<Class<? extends TType>> types, String shapes, ReadOptions options) {}

  /** Free node sets per session; weak keys, so a dropped session drops its pool. */
  private static final Map<Session, Map<PoolKey, ArrayDeque<GraphNodes>>> FREE_NODES = new WeakHashMap<>();

  static synchronized GraphNodes takeNodes(Session session, Operand<?> variant,
      List<Class<? extends TType>> types, List<Shape> shapes, ReadOptions options) {
    PoolKey key = new PoolKey(variant.asOutput(), types, shapes.toString(), options);
    ArrayDeque<GraphNodes> free = FREE_NODES.computeIfAbsent(session, s -> new HashMap<>()).get(key);
    GraphNodes nodes = free == null ? null : free.poll();
    return nodes != null ? nodes : GraphNodes.build(session, key, variant, types, shapes);
  }

  static synchronized void returnNodes(GraphNodes nodes) {
    FREE_NODES.computeIfAbsent(nodes.session(), s -> new HashMap<>())
        .computeIfAbsent(nodes.key(), k -> new ArrayDeque<>()).push(nodes);
  }
}

package io.tensorslab.tf;

import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TType;

/** Graph reading: iterator nodes added once per (session, dataset) ({@link GraphReaderPool}); one session run per batch. */
final class GraphBatchReader implements BatchReader {
  private final Session session;
  private final GraphReaderPool.GraphNodes nodes;

  GraphBatchReader(Session session, Operand<?> variant, List<Class<? extends TType>> types, List<Shape> shapes,
      ReadOptions options) {
    this.session = session;
    this.nodes = GraphReaderPool.takeNodes(session, variant, types, shapes, options);
  }

  /** Initializes the iterator and reads the cardinality in one run (one executor, not two). */
  long initialize() {
    try (Result r = session.runner().addTarget(nodes.init()).fetch(nodes.count()).run()) {
      return ((TInt64) r.get(0)).getLong();
    }
  }

  @Override
  public List<Tensor> read() {
    Session.Runner runner = session.runner();
    for (Output<?> c : nodes.components()) {
      runner.fetch(c);
    }
    // Not closed on purpose: closing a Result closes its tensors, which now belong to the caller.
    Result result = runner.run();
    List<Tensor> out = new ArrayList<>(nodes.components().size());
    for (int i = 0; i < nodes.components().size(); i++) {
      out.add(result.get(i));
    }
    return out;
  }

  @Override
  public void release() {
    try {
      session.runner().addTarget(nodes.reset()).run().close();
      GraphReaderPool.returnNodes(nodes);
    } catch (RuntimeException e) {
      if (!BatchSource.isTensorFlowError(e) && !(e instanceof IllegalStateException)) {
        throw e;
      }
      // The session was closed (taking the iterator with it) or TF refused the reset; either way
      // nothing more can be released from here, and the nodes are not reused.
    }
  }
}

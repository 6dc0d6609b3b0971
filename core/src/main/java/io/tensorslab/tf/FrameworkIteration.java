package io.tensorslab.tf;

import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.framework.data.Dataset;
import org.tensorflow.framework.data.DatasetIterator;
import org.tensorflow.op.Op;
import org.tensorflow.types.TInt64;

/**
 * Reads a framework {@link Dataset} through its own iterator, for datasets that do part of their
 * work there: TF Java's {@code Dataset.map} applies its Java function to each element the iterator
 * returns (eager) or adds it after {@code IteratorGetNext} (graph), and its variant is the
 * unmapped dataset. Reading the iterator gives exactly what the framework's own iteration gives.
 *
 * <p>Slower than {@link BatchSource}'s own readers (the framework's eager iterator leaves its
 * outputs to the garbage collector), and {@link ReadOptions} do not apply.
 */
final class FrameworkIteration {
  private FrameworkIteration() {}

  /** Creates the iterator; the cardinality is the variant's (a map keeps it). */
  static BatchReader open(Dataset dataset, Session session, long[] cardinality) {
    var tf = dataset.getOpsInstance();
    if (session == null) {
      DatasetIterator iterator = dataset.makeOneShotIterator();
      try (TInt64 count = (TInt64) tf.data.datasetCardinality(dataset.getVariant()).asTensor()) {
        cardinality[0] = count.getLong();
      }
      return new BatchReader() {
        @Override
        public List<Tensor> read() {
          List<Tensor> out = new ArrayList<>();
          for (Operand<?> component : iterator.getNext()) {
            out.add(component.asTensor());
          }
          return out;
        }

        @Override
        public void release() {}
      };
    }
    DatasetIterator iterator = dataset.makeInitializeableIterator();
    List<Operand<?>> next = iterator.getNext();
    Op init = iterator.getInitializer();
    Output<?> count = tf.data.datasetCardinality(dataset.getVariant()).cardinality();
    try (Result r = session.runner().addTarget(init).fetch(count).run()) {
      cardinality[0] = ((TInt64) r.get(0)).getLong();
    }
    return new BatchReader() {
      @Override
      public List<Tensor> read() {
        Session.Runner runner = session.runner();
        next.forEach(runner::fetch);
        Result result = runner.run(); // not closed: its tensors now belong to the caller
        List<Tensor> out = new ArrayList<>(next.size());
        for (int i = 0; i < next.size(); i++) {
          out.add(result.get(i));
        }
        return out;
      }

      @Override
      public void release() {}
    };
  }
}

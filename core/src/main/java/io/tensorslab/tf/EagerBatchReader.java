package io.tensorslab.tf;

import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.Operation;
import org.tensorflow.Output;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.data.AnonymousIterator;
import org.tensorflow.op.data.IteratorGetNext;
import org.tensorflow.op.data.MakeIterator;
import org.tensorflow.types.family.TType;

/** Eager reading: one {@code AnonymousIteratorV3} + {@code MakeIterator}, one {@code IteratorGetNext} op per batch. */
final class EagerBatchReader implements BatchReader {
  private final Ops tf;
  private final List<Class<? extends TType>> types;
  private final List<Shape> shapes;
  private AnonymousIterator iterator;
  private MakeIterator init;

  EagerBatchReader(Ops tf, Operand<?> variant, List<Class<? extends TType>> types, List<Shape> shapes)
      throws DatasetReadException {
    this.tf = tf;
    this.types = types;
    this.shapes = shapes;
    try {
      // AnonymousIteratorV3: a ref-counted handle; the iterator dies with the last reference to
      // it, held by this op's output and by every op that took it as input (no DeleteIterator).
      iterator = tf.data.anonymousIterator(types, shapes);
      init = tf.data.makeIterator(variant, iterator);
    } catch (RuntimeException e) {
      release();
      throw BatchSource.openFailure("creating the dataset iterator", e);
    }
  }

  /** An executed eager op's outputs as tensors the caller owns, releasing the op when possible. */
  static List<Tensor> outputs(Operation op, List<Output<?>> outputs) {
    if (EagerHandles.AVAILABLE) {
      return EagerHandles.takeOutputs(op, outputs);
    }
    List<Tensor> out = new ArrayList<>(outputs.size());
    for (Output<?> o : outputs) {
      out.add(o.asTensor());
    }
    return out;
  }

  @Override
  public List<Tensor> read() {
    IteratorGetNext next = tf.data.iteratorGetNext(iterator, types, shapes);
    return outputs(next.op(), next.components());
  }

  @Override
  public void release() {
    if (EagerHandles.AVAILABLE) {
      // MakeIterator holds a reference to the iterator handle as its input: release it first.
      if (init != null) {
        EagerHandles.release(init.op());
      }
      if (iterator != null) {
        EagerHandles.release(iterator.op());
      }
    }
    init = null;
    iterator = null;
  }
}

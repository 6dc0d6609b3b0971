package io.tensorslab.tf;

import java.util.List;
import org.tensorflow.Tensor;

/** One way of reading a dataset's elements: eager or through a graph session. Used by {@link BatchSource} only. */
interface BatchReader {
  /** Next element; TFOutOfRangeException at the end. */
  List<Tensor> read();

  void release();
}

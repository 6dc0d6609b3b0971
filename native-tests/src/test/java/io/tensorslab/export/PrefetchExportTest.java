package io.tensorslab.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.tensorflow.framework.data.Dataset;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * {@code prefetch(n)} and {@code autotune(false)} change how the dataset is read (a prefetch stage,
 * an options stage) and must not change a single byte or the row count.
 */
class PrefetchExportTest {

  /** Every prefetch depth, with tf.data autotuning on and off, eager and in a graph: the same bytes. */
  @ParameterizedTest
  @CsvSource({"0,true,eager", "1,true,eager", "2,true,eager", "8,true,eager", "0,false,eager", "2,false,eager",
      "0,false,graph", "2,true,graph"})
  void sameRowsWithAnyReadOptions(int prefetch, boolean autotune, String mode, @TempDir Path dir) throws Exception {
    int rows = 1000;
    int width = 3;
    float[][] data = new float[rows][width];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < width; j++) {
        data[i][j] = i * width + j;
      }
    }
    Function<Ops, Dataset> build =
        tf -> Dataset.fromTensorSlices(tf, List.of(tf.constant(data)), List.of(TFloat32.class)).batch(64);
    UnaryOperator<ExportBuilder> options = b -> b.names("x").prefetch(prefetch).autotune(autotune);
    try (ExportResult result = mode.equals("eager") ? TestData.eager(build, dir, options)
        : TestData.graph(build, dir, options)) {
      assertEquals(rows, result.rows());
      assertEquals(16, result.batches());
      assertEquals(16, result.sourceCardinality());
      assertArrayEquals(new long[] {rows, width}, result.array("x").shape());
      var x = result.array("x").segment();
      for (int i = 0; i < rows * width; i++) {
        assertEquals(i, x.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i), 0f);
      }
    }
  }

  @Test
  void negativePrefetchIsRefused() {
    Ops tf = Ops.create();
    Dataset ds = Dataset.fromTensorSlices(tf, List.of(tf.constant(new float[] {1f})), List.of(TFloat32.class));
    var e = assertThrows(IllegalArgumentException.class, () -> TensorSlab.export(ds).prefetch(-1));
    assertEquals("prefetch must be >= 0 batches, got -1", e.getMessage());
  }
}

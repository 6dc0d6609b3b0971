package io.tensorslab.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tensorslab.npy.NpyDtype;
import io.tensorslab.testutil.NumPy;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.framework.data.Dataset;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/** The seed question's own examples, exported and checked against NumPy's concatenation of the batches. */
class SeedExamplesTest {

  /** Example 1: {@code from_tensor_slices([([1, 2], [3, 4]), ([5, 6], [7, 8])]).batch(2)}. */
  @Test
  void smallTupleDataset(@TempDir Path dir) throws Exception {
    Ops tf = Ops.create();
    var a = tf.constant(new int[][] {{1, 2}, {5, 6}});
    var b = tf.constant(new int[][] {{3, 4}, {7, 8}});
    Dataset ds = Dataset.fromTensorSlices(tf, List.of(a, b), List.of(TInt32.class, TInt32.class)).batch(2);
    try (ExportResult result = TensorSlab.export(ds).to(dir).names("a", "b").run()) {
      assertEquals(2, result.rows());
      assertEquals(1, result.batches());
      assertEquals(NpyDtype.INT32, result.array("a").dtype());
      assertArrayEquals(new long[] {2, 2}, result.array("b").shape());
      assertEquals(7, result.array("b").segment().getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, 2));
    }
    NumPy.run("""
        a = np.load(sys.argv[1] + '/a.npy', mmap_mode='r'); b = np.load(sys.argv[1] + '/b.npy', mmap_mode='r')
        assert isinstance(a, np.memmap), type(a)
        assert a.dtype == np.int32 and a.tolist() == [[1, 2], [5, 6]], a
        assert b.tolist() == [[3, 4], [7, 8]], b
        """, dir.toString());
  }

  /** Example 2: 10000x10 random floats in batches of 1000, equal to np.concatenate of the batches. */
  @Test
  void randomFloatsInBatches(@TempDir Path dir) throws Exception {
    float[][] data = new float[10_000][10];
    Random random = new Random(42);
    for (float[] row : data) {
      for (int j = 0; j < row.length; j++) {
        row[j] = random.nextFloat();
      }
    }
    Path expected = dir.resolve("expected.f32");
    java.nio.ByteBuffer bb = java.nio.ByteBuffer.allocate(10_000 * 10 * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    for (float[] row : data) {
      for (float v : row) {
        bb.putFloat(v);
      }
    }
    Files.write(expected, bb.array());
    Ops tf = Ops.create();
    var x = tf.constant(StdArrays.ndCopyOf(data));
    Dataset ds = Dataset.fromTensorSlices(tf, List.of(x), List.of(TFloat32.class)).batch(1000);
    Path out = dir.resolve("out");
    try (ExportResult result = TensorSlab.export(ds).to(out).run()) {
      assertEquals(10_000, result.rows());
      assertEquals(10, result.batches());
      assertEquals(10, result.sourceCardinality());
      assertArrayEquals(new long[] {10_000, 10}, result.array("component_0").shape());
    }
    NumPy.run("""
        x = np.load(sys.argv[1], mmap_mode='r')
        raw = np.fromfile(sys.argv[2], dtype='<f4').reshape(-1, 10)
        batches = [raw[i:i + 1000] for i in range(0, len(raw), 1000)]
        assert x.shape == (10000, 10) and x.dtype == np.float32, (x.shape, x.dtype)
        assert np.array_equal(x, np.concatenate(batches, axis=0))
        """, out.resolve("component_0.npy").toString(), expected.toString());
  }
}

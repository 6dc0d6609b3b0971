package io.tensorslab.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorslab.store.StoreFormats;
import io.tensorslab.testutil.NumPy;
import io.tensorslab.testutil.ZarrReaders;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.framework.data.Dataset;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;

/**
 * A TF Java dataset exported to a table format (the dataset road, {@link TensorSlab#export}): numbers
 * become columns pyarrow reads; a string component, whose true lengths the dataset road does not
 * record, is refused at the commit with one error naming it, and nothing is left.
 */
class TableExportTest {

  @Test
  void numbersOfADatasetAsTableColumns(@TempDir Path dir) throws IOException {
    Ops tf = Ops.create();
    Dataset ds = Dataset.fromTensorSlices(tf, List.of(
        tf.reshape(tf.range(tf.constant(0f), tf.constant(30f), tf.constant(1f)), tf.constant(new long[] {5, 2, 3})),
        tf.constant(new long[] {10, 11, 12, 13, 14})), List.of(TFloat32.class, TInt64.class)).batch(2);
    Path out = dir.resolve("t");
    try (ExportResult r = TensorSlab.export(ds).names("x", "id").format(StoreFormats.fromOptions("parquet", null,
        null, null)).durable(false).to(out).run()) {
      assertEquals(5, r.rows());
      assertEquals(List.of(), r.arrays());
    }
    String read = NumPy.runWith(ZarrReaders.tensorstorePython(), """
        import pyarrow.parquet as pq
        t = pq.read_table(sys.argv[1])
        x = t.column('x').combine_chunks().to_numpy_ndarray()
        assert x.shape == (5, 2, 3) and x.dtype == np.float32 and (x.reshape(-1) == np.arange(30)).all(), x
        print(t.column('id').to_pylist())
        """, out.resolve("data.parquet").toString());
    assertEquals("[10, 11, 12, 13, 14]", read.strip());
  }

  @Test
  void aStringComponentIsRefusedAtTheCommitLeavingNothing(@TempDir Path dir) {
    Ops tf = Ops.create();
    TString strings = TString.tensorOfBytes(NdArrays.vectorOfObjects(
        "a".getBytes(StandardCharsets.US_ASCII), "bc\0".getBytes(StandardCharsets.US_ASCII)));
    Dataset ds = Dataset.fromTensorSlices(tf, List.of(tf.constantOf(strings)), List.of(TString.class)).batch(2);
    Path out = dir.resolve("t");
    IOException e = assertThrows(IOException.class, () -> TensorSlab.export(ds).names("s")
        .format(StoreFormats.fromOptions("arrow", null, null, null)).durable(false).to(out).run().close());
    assertTrue(e.getMessage().contains("bytes feature 's' comes without each value's length"), e.getMessage());
    assertTrue(e.getMessage().contains("data.arrow"), e.getMessage());
    assertFalse(Files.exists(out), "the directory the export made is removed again");
  }
}

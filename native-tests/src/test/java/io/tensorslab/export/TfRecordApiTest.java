package io.tensorslab.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tensorslab.testutil.NumPy;
import io.tensorslab.tf.TfRecordBatches;
import io.tensorslab.tf.TfRecordDatasets;
import io.tensorslab.tfrecord.FeatureSpec;
import io.tensorslab.tfrecord.TfRecordCompression;
import io.tensorslab.tfrecord.TfRecordInputs;
import io.tensorslab.tfrecord.TfRecordPrescan;
import io.tensorslab.tfrecord.TfRecordSurvey;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.EagerSession;
import org.tensorflow.op.Ops;

/** The Java road of docs/api.md: expand, detect, infer, pre-scan, build, export — on the object-detection shards. */
class TfRecordApiTest {

  @Test
  void inferBuildAndExportFromJava(@TempDir Path dir) throws Exception {
    Path od = Path.of(TfRecordApiTest.class.getResource("/fixtures/real/od").toURI());
    List<Path> files = TfRecordInputs.expand(List.of(od + "/train-*-of-00002.tfrecord.gz"));
    TfRecordCompression compression = TfRecordInputs.detectCompression(files);
    assertEquals(TfRecordCompression.GZIP, compression);
    List<FeatureSpec> schema = TfRecordSurvey.scan(files, compression, Long.MAX_VALUE).inferSchema();
    assertEquals("image/encoded:image:24,32,3", schema.getFirst().toString());
    TfRecordPrescan pre = TfRecordPrescan.run(files, compression, schema, List.of(), Long.MAX_VALUE);
    assertEquals(6, pre.rows());
    Path out = dir.resolve("out");
    try (EagerSession session = EagerSession.create()) {
      TfRecordBatches batches = TfRecordDatasets.build(Ops.create(session), files, compression, schema, 4,
          pre.imageSizes(), true);
      try (ExportResult result = TensorSlab.export(batches).limit(pre.rows()).to(out).run()) {
        assertArrayEquals(new long[] {6, 24, 32, 3}, result.array("image/encoded").shape());
        assertArrayEquals(new long[] {7}, result.array("image/object/bbox/xmin.values").shape());
      }
    }
    String same = NumPy.run("""
        e = np.load(sys.argv[1]); a = np.load(sys.argv[2])
        print(a.dtype == e.dtype and a.shape == e.shape and np.array_equal(a, e))
        """, Path.of(od.getParent() + "/od-expected/image%2Fencoded.npy").toString(),
        out.resolve("image/encoded.npy").toString());
    assertEquals("True", same.strip());
  }
}

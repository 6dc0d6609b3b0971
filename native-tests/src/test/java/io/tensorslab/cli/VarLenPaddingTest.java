package io.tensorslab.cli;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorslab.export.ExportResult;
import io.tensorslab.export.TensorSlab;
import io.tensorslab.testutil.TfRecordWriter;
import io.tensorslab.testutil.TfRecordWriter.Compression;
import io.tensorslab.tf.TfRecordBatches;
import io.tensorslab.tf.TfRecordDatasets;
import io.tensorslab.tf.VarLenPadding;
import io.tensorslab.tfrecord.FeatureSpec;
import io.tensorslab.tfrecord.TfRecordCompression;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.EagerSession;
import org.tensorflow.op.Ops;

class VarLenPaddingTest {

  /** A width below a row's length (a pre-scan that disagreed with the parser) fails loudly instead of cutting the row. */
  @Test
  void widthNarrowerThanARowFails(@TempDir Path dir) throws IOException {
    Path in = TfRecordWriter.write(dir.resolve("a.tfrecord"), Compression.NONE, List.of(
        TfRecordWriter.example().int64s("x", 1).build().toByteArray(),
        TfRecordWriter.example().int64s("x", 1, 2, 3).build().toByteArray()));
    try (EagerSession session = EagerSession.create()) {
      Ops tf = Ops.create(session);
      TfRecordBatches b = TfRecordDatasets.build(tf, List.of(in), TfRecordCompression.NONE,
          FeatureSpec.parseAll(List.of("x:int64:*")), 8);
      VarLenPadding p = VarLenPadding.of(tf, b, Map.of("x", 2L), Map.of("x", 0L));
      Path out = dir.resolve("out");
      Exception e = assertThrows(Exception.class, () -> {
        try (ExportResult r = TensorSlab.export(p.variant(), p.types(), p.shapes()).names(p.names()).to(out).run()) {
          // not reached
        }
      });
      String all = e.getMessage() + (e.getCause() == null ? "" : " / " + e.getCause().getMessage());
      assertTrue(all.contains("padded layout narrower than a row: a row of feature x is longer than 2"), all);
      assertTrue(!Files.exists(out.resolve("x.npy")), "no output at a final path");
    }
  }
}

package io.tensorslab.export;

import io.tensorslab.tf.BatchSource;
import io.tensorslab.tf.TfRecordBatches;
import io.tensorslab.tf.TfRecordDatasets;
import java.io.IOException;
import org.tensorflow.EagerSession;
import org.tensorflow.op.Ops;

/**
 * The TensorFlow engine of {@link TfRecordConversion}: the native engine ({@link TfRecordExport}: its
 * plan, count pass, row writers, stores and commit) with TensorFlow as the row source —
 * {@code TFRecordDataset} → batch → {@code ParseExampleV2} (and {@code DecodeImage},
 * {@code DecodeRaw}), read row by row in place ({@link TensorFlowRows}).
 *
 * <p>The plan and the count pass are the native engine's, in Java, before TensorFlow reads
 * anything: the index counts the rows (an exact preallocation) and catches a file cut inside a
 * record header, which TensorFlow's reader takes for a clean end and would silently drop; the
 * count finds the longest row of each padded feature, the values of each ragged one and each
 * image's size from its header. TensorFlow then parses every record once; its rows go through the
 * same writers as the native reader's, so both engines lay out every output the same way.
 */
final class TensorFlowTfRecordExport {
  private TensorFlowTfRecordExport() {}

  static ExportResult run(TfRecordConversion job, ExportListener listener, Cancellation cancellation)
      throws IOException {
    EagerSession session = job.session() != null ? job.session() : EagerSession.create();
    try {
      Ops tf = Ops.create(session);
      // A limit below the batch size is the batch size: records past the limit are then never parsed.
      long batchSize = Math.max(1, Math.min(job.batchSize(), job.limit()));
      return new TfRecordExport(job, listener, cancellation, imageSizes -> {
        // Images of several sizes come padded to the largest (and with their shapes); the row
        // writers cut them to their shapes for ragged output.
        TfRecordBatches batches = TfRecordDatasets.build(tf, job.files(), job.compression(), job.features(),
            batchSize, imageSizes, false, job.limit());
        return new TensorFlowRows(batches, BatchSource.open(batches.variant(), batches.outputTypes(),
            batches.outputShapes()), job.features());
      }).run();
    } finally {
      if (job.session() == null) {
        session.close();
      }
    }
  }
}

package io.tensorslab.export;

import io.tensorslab.tf.DatasetReadException;
import io.tensorslab.tf.TfRecordBatches;
import io.tensorslab.tf.TfRecordDatasets;
import io.tensorslab.tf.TfRecordErrors;
import io.tensorslab.tf.VarLenPadding;
import io.tensorslab.tfrecord.FeatureSpec;
import io.tensorslab.tfrecord.TfRecordPrescan;
import java.io.IOException;
import java.util.List;
import org.tensorflow.EagerSession;
import org.tensorflow.op.Ops;

/**
 * The TensorFlow engine of {@link TfRecordConversion}: the same conversion with TensorFlow as the row
 * source — {@code TFRecordDataset} → batch → {@code ParseExampleV2} (and {@code DecodeImage},
 * {@code DecodeRaw}, the padding graph of {@code VarLen.PAD}) — written by the dataset export.
 *
 * <p>Before TensorFlow reads anything, every input's framing is walked once in Java
 * ({@link TfRecordPrescan}): that counts the rows (an exact preallocation), finds the longest row
 * of each padded feature and the largest image, and catches a file cut inside a record header,
 * which TensorFlow's reader takes for a clean end and would silently drop.
 */
final class TensorFlowTfRecordExport {
  private TensorFlowTfRecordExport() {}

  static ExportResult run(TfRecordConversion job, ExportListener listener, Cancellation cancellation)
      throws IOException {
    List<FeatureSpec> features = job.features();
    // Only padding needs the longest row of each '*' feature ahead; ragged output takes rows as they come.
    List<String> padded = job.varLen() != TfRecordConversion.VarLen.PAD ? List.of()
        : features.stream().filter(FeatureSpec::variableLength).map(FeatureSpec::name).toList();
    TfRecordPrescan prescan = TfRecordPrescan.run(job.files(), job.compression(), features, padded, job.limit());
    long rows = prescan.rows();
    EagerSession session = job.session() != null ? job.session() : EagerSession.create();
    try {
      Ops tf = Ops.create(session);
      // A limit below the batch size is the batch size: records past the limit are then never parsed.
      long batchSize = job.limit() > 0 ? Math.min(job.batchSize(), job.limit()) : job.batchSize();
      TfRecordBatches batches = TfRecordDatasets.build(tf, job.files(), job.compression(), features, batchSize,
          prescan.imageSizes(), job.varLen() == TfRecordConversion.VarLen.RAGGED);
      ExportBuilder builder;
      if (prescan.maxLengths().isEmpty()) {
        // TensorFlow's parse gives a '*' feature as (values, row_splits) per batch: written as one ragged array.
        builder = TensorSlab.export(batches);
      } else {
        VarLenPadding p = VarLenPadding.of(tf, batches, prescan.maxLengths(), job.padValues());
        builder = TensorSlab.export(p.variant(), p.types(), p.shapes()).names(p.names());
        batches.writeAs().forEach(builder::writeAs);
      }
      // The limit is the counted rows: the engine then knows the total ahead and sizes every file once.
      builder.limit(rows).overwrite(job.overwrite()).durable(job.durable()).format(job.format())
          .to(job.directory()).listener(listener).cancellation(cancellation);
      try {
        return builder.run();
      } catch (ExportException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
          if (t instanceof DatasetReadException dre && dre.getCause() instanceof RuntimeException tfError) {
            throw TfRecordErrors.explain(tfError, batches, dre.batch());
          }
        }
        throw e;
      }
    } finally {
      if (job.session() == null) {
        session.close();
      }
    }
  }
}

package io.tensorslab.bench;

import io.tensorslab.npy.NpyDtype;
import io.tensorslab.npy.NpyHeader;
import io.tensorslab.tf.BatchSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Tensor;
import org.tensorflow.framework.data.Dataset;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;

/**
 * The seed question's answer written in Java, as a careful Java user would: every batch copied into
 * a {@code float[]} ({@code tensor.copyTo}, the analogue of {@code .numpy()}), the arrays kept in a
 * list ({@code list(ds.as_numpy_iterator())}), concatenated into one array ({@code np.concatenate}),
 * then written as a {@code .npy} through a {@link FileChannel} ({@code np.save}), in 1 MiB chunks so
 * the write adds no third full copy. Peak heap is the list plus the concatenated array: twice the
 * data.
 */
final class SeedApproach {
  private static final int CHUNK_FLOATS = 1 << 18; // 1 MiB

  private SeedApproach() {}

  /** Single float32 component datasets only (the benchmark's); returns the rows written. */
  static long run(Dataset ds, Path file) throws IOException {
    List<float[]> batches = new ArrayList<>();
    long total = 0;
    long rowWidth = -1;
    try (BatchSource source = BatchSource.open(ds.getVariant(), ds.getOutputTypes(), ds.getOutputShapes())) {
      for (List<Tensor> batch; (batch = source.next()) != null; ) {
        TFloat32 t = (TFloat32) batch.get(0);
        float[] values = new float[Math.toIntExact(t.size())];
        t.copyTo(DataBuffers.of(values, false, false));
        rowWidth = t.shape().numDimensions() > 1 ? t.shape().get(1) : 1;
        batches.add(values);
        total += values.length;
        t.close();
      }
    }
    float[] all = new float[Math.toIntExact(total)];
    int at = 0;
    for (float[] b : batches) {
      System.arraycopy(b, 0, all, at, b.length);
      at += b.length;
    }
    long rows = rowWidth <= 0 ? 0 : total / rowWidth;
    byte[] header = new NpyHeader(NpyDtype.FLOAT32, rows, Math.max(rowWidth, 0)).encode();
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      ch.write(ByteBuffer.wrap(header));
      ByteBuffer chunk = ByteBuffer.allocateDirect(CHUNK_FLOATS * 4).order(ByteOrder.LITTLE_ENDIAN);
      FloatBuffer floats = chunk.asFloatBuffer();
      for (int from = 0; from < all.length; from += CHUNK_FLOATS) {
        int n = Math.min(CHUNK_FLOATS, all.length - from);
        floats.clear();
        floats.put(all, from, n);
        chunk.clear().limit(n * 4);
        while (chunk.hasRemaining()) {
          ch.write(chunk);
        }
      }
    }
    return rows;
  }
}

package io.tensorslab.bench;

import io.tensorslab.tf.TensorBytes;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import org.tensorflow.EagerSession;
import org.tensorflow.framework.data.Dataset;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * The benchmarks' data: {@code from_tensor_slices(x).batch(b)} over a float32 matrix of
 * {@code sizeMb} megabytes with rows of {@code width} values, the dataset of the seed question and
 * of TFJAVA-NOTES' reference timings (2 000 000 x 32 = 256 MB).
 *
 * <p>The matrix is filled natively (value {@code i % 8191 / 8191f} at flat index {@code i}), so
 * building even the 1 GB case costs one pass over native memory and nothing on the heap. It lives
 * in its own {@link EagerSession}, closed with this object.
 */
final class Synthetic implements AutoCloseable {
  static final String[] JVM_FLAGS = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"};

  final EagerSession session;
  final Ops tf;
  final long rows;
  final int width;
  final int batch;
  final Dataset dataset;

  Synthetic(int sizeMb, int width, int batch) {
    this(sizeMb, width, batch, rowsFor(sizeMb, width));
  }

  /** Exactly {@code rows} rows ({@code sizeMb} is only descriptive). */
  Synthetic(int sizeMb, int width, int batch, long rows) {
    this.width = width;
    this.batch = batch;
    this.rows = rows;
    this.session = EagerSession.create();
    this.tf = Ops.create(session);
    Dataset ds;
    try (TFloat32 matrix = TFloat32.tensorOf(Shape.of(rows, width))) {
      fill(TensorBytes.of(matrix));
      var x = tf.constantOf(matrix);
      ds = Dataset.fromTensorSlices(tf, List.of(x), List.of(TFloat32.class)).batch(batch);
    }
    this.dataset = ds;
  }

  /** Rows of {@code width} float32 values that make {@code sizeMb} MiB (rounded down). */
  static long rowsFor(int sizeMb, int width) {
    return (sizeMb * (1L << 20)) / (4L * width);
  }

  long payloadBytes() {
    return rows * width * 4L;
  }

  static void fill(MemorySegment floats) {
    long n = floats.byteSize() / 4;
    for (long i = 0; i < n; i++) {
      floats.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, (i % 8191) / 8191f);
    }
  }

  @Override
  public void close() {
    session.close();
  }

  static Path tempDir(String prefix) throws IOException {
    // java.io.tmpdir, i.e. /tmp: the benchmarks measure the same file system users export to by default.
    return Files.createTempDirectory(prefix);
  }

  static void deleteTree(Path root) throws IOException {
    if (root == null || !Files.exists(root)) {
      return;
    }
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.delete(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
        Files.delete(dir);
        return FileVisitResult.CONTINUE;
      }
    });
  }
}

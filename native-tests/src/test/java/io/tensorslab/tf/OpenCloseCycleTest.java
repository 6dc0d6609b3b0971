package io.tensorslab.tf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorslab.tf.TfEnv.Mode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.tensorflow.Operand;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.family.TType;

/** Opening and closing a source many times must not leak descriptors or the iterators' buffers. */
@Tag("long") // 1100 cycles per mode, ~35 s
class OpenCloseCycleTest {

  static final int CYCLES = 1000;

  static long openFileDescriptors() throws IOException {
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.count();
    }
  }

  static long residentBytes() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    throw new IllegalStateException("no VmRSS in /proc/self/status");
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void aThousandOpenCloseCyclesLeakNothing(Mode mode) throws Exception {
    try (TfEnv env = TfEnv.of(mode)) {
      // 1 MiB batches of float32[256] rows and a prefetch buffer of 4 batches per iterator: a
      // source whose close did not release its iterator would keep ~5 MiB alive per cycle.
      List<Class<? extends TType>> types = List.of(TFloat32.class);
      Shape row = Shape.of(256);
      byte[] data = Fixtures.bytes(TFloat32.class, 8 * 1024 * row.size(), 5);
      Operand<?> rows = env.tf.data.tensorSliceDataset(
          List.of(env.constant(TFloat32.class, row.prepend(8 * 1024), data)), List.of(row));
      Operand<?> batched = env.batch(rows, 1024, types, List.of(row));
      List<Shape> shapes = List.of(Shape.of(-1, 256));
      Operand<?> prefetched = env.tf.data.prefetchDataset(batched, env.tf.constant(4L), types, shapes);

      cycles(env, prefetched, types, shapes, 100); // warm up: TF thread pools, JIT, allocator arenas
      System.gc();
      long fdsBefore = openFileDescriptors();
      long rssBefore = residentBytes();
      cycles(env, prefetched, types, shapes, CYCLES);
      System.gc();
      long fdsAfter = openFileDescriptors();
      long rssAfter = residentBytes();
      System.out.printf("%s: %d open/close cycles: fds %d -> %d, RSS %d -> %d MiB%n", mode, CYCLES,
          fdsBefore, fdsAfter, rssBefore >> 20, rssAfter >> 20);
      assertTrue(fdsAfter - fdsBefore <= 2, "file descriptors grew from " + fdsBefore + " to " + fdsAfter);
      // A leaked iterator per cycle would add gigabytes; allocator noise stays well under this.
      assertTrue(rssAfter - rssBefore < 512L << 20,
          "resident memory grew by " + ((rssAfter - rssBefore) >> 20) + " MiB over " + CYCLES + " cycles");
    }
  }

  private static void cycles(TfEnv env, Operand<?> dataset, List<Class<? extends TType>> types, List<Shape> shapes,
      int n) throws Exception {
    for (int i = 0; i < n; i++) {
      try (BatchSource source = env.open(dataset, types, shapes)) {
        List<Tensor> batch = source.next();
        assertNotNull(batch);
        try {
          assertEquals(1024L * 256 * 4, TensorBytes.of(batch.get(0)).byteSize());
        } finally {
          batch.forEach(Tensor::close);
        }
      }
    }
  }
}

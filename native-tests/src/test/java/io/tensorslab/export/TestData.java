package io.tensorslab.export;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.tensorflow.ConcreteFunction;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.Tensor;
import org.tensorflow.framework.data.Dataset;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TBfloat16;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat16;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TUint16;
import org.tensorflow.types.TUint8;
import org.tensorflow.types.family.TType;

/** Datasets with known bytes, both execution modes, and the NumPy check every export test shares. */
final class TestData {
  private TestData() {}

  /** Every fixed-width TF Java type, its item size and the NumPy descr it must be written as. */
  enum Dtype {
    BOOL(TBool.class, 1, "|b1"),
    UINT8(TUint8.class, 1, "|u1"),
    UINT16(TUint16.class, 2, "<u2"),
    INT32(TInt32.class, 4, "<i4"),
    INT64(TInt64.class, 8, "<i8"),
    FLOAT16(TFloat16.class, 2, "<f2"),
    FLOAT32(TFloat32.class, 4, "<f4"),
    FLOAT64(TFloat64.class, 8, "<f8"),
    BFLOAT16(TBfloat16.class, 2, "<V2");

    final Class<? extends TType> type;
    final int size;
    final String descr;

    Dtype(Class<? extends TType> type, int size, String descr) {
      this.type = type;
      this.size = size;
      this.descr = descr;
    }

    /** NaN, +Inf, -Inf, -0.0 and a NaN with a payload, as raw bits; empty for non-float types. */
    long[] specials() {
      return switch (this) {
        case FLOAT16 -> new long[] {0x7E00, 0x7C00, 0xFC00, 0x8000, 0x7D01};
        case BFLOAT16 -> new long[] {0x7FC0, 0x7F80, 0xFF80, 0x8000, 0x7FA1};
        case FLOAT32 -> new long[] {0x7FC00000L, 0x7F800000L, 0xFF800000L, 0x80000000L, 0x7FA00001L};
        case FLOAT64 -> new long[] {0x7FF8000000000000L, 0x7FF0000000000000L, 0xFFF0000000000000L,
            0x8000000000000000L, 0x7FF4000000000001L};
        default -> new long[0];
      };
    }

    /** {@code count} items of deterministic bytes: the float specials first, then random bits (0/1 for bool). */
    byte[] bytes(int count, long seed) {
      byte[] out = new byte[count * size];
      new Random(seed).nextBytes(out);
      if (this == BOOL) {
        for (int i = 0; i < out.length; i++) {
          out[i] = (byte) (out[i] & 1);
        }
      }
      ByteBuffer bb = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
      long[] specials = specials();
      for (int i = 0; i < specials.length && i < count; i++) {
        switch (size) {
          case 2 -> bb.putShort(i * 2, (short) specials[i]);
          case 4 -> bb.putInt(i * 4, (int) specials[i]);
          default -> bb.putLong(i * 8, specials[i]);
        }
      }
      return out;
    }

    /** Item {@code index} of {@code bytes} as the boxed value TF Java's NdArray views return. */
    Object value(byte[] bytes, int index) {
      ByteBuffer bb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
      int at = index * size;
      return switch (this) {
        case BOOL -> bytes[at] != 0;
        case UINT8 -> bytes[at];
        case UINT16 -> bb.getShort(at);
        case INT32 -> bb.getInt(at);
        case INT64 -> bb.getLong(at);
        case FLOAT16 -> Float.float16ToFloat(bb.getShort(at));
        case FLOAT32 -> bb.getFloat(at);
        case FLOAT64 -> bb.getDouble(at);
        case BFLOAT16 -> Float.intBitsToFloat((bb.getShort(at) & 0xFFFF) << 16);
      };
    }

    /** A constant holding {@code bytes} with {@code shape}. */
    Operand<?> constant(Ops tf, long[] shape, byte[] bytes) {
      try (TType t = Tensor.of(type, Shape.of(shape), DataBuffers.of(bytes, true, false))) {
        return tf.constantOf(t);
      }
    }
  }

  /** {@code from_tensor_slices(components).batch(batch, dropRemainder)}. */
  static Dataset slices(Ops tf, List<Operand<?>> components, List<Class<? extends TType>> types, long batch,
      boolean dropRemainder) {
    return Dataset.fromTensorSlices(tf, components, types).batch(batch, dropRemainder);
  }

  /** {@code range(start, stop)} of int64 scalars, not batched. */
  static Dataset range(Ops tf, long start, long stop) {
    var v = tf.data.rangeDataset(tf.constant(start), tf.constant(stop), tf.constant(1L), List.of(TInt64.class),
        List.of(Shape.scalar()));
    return wrap(tf, v, TInt64.class, Shape.scalar());
  }

  static Dataset wrap(Ops tf, Operand<?> variant, Class<? extends TType> type, Shape shape) {
    return new Dataset(tf, variant, List.of(type), List.of(shape)) {};
  }

  /** A one-input, one-output int64 scalar function for {@code mapDataset} and {@code filterDataset}. */
  static ConcreteFunction scalarFunction(java.util.function.BiFunction<Ops, Operand<TInt64>, Operand<?>> body) {
    return ConcreteFunction.create(f -> {
      var x = f.placeholder(TInt64.class, Placeholder.shape(Shape.scalar()));
      return Signature.builder().input("x", x).output("y", body.apply(f, x)).build();
    });
  }

  /** Runs the export of {@code build}'s dataset in eager mode. */
  static ExportResult eager(Function<Ops, Dataset> build, Path dir, UnaryOperator<ExportBuilder> options)
      throws IOException {
    return options.apply(TensorSlab.export(build.apply(Ops.create())).to(dir)).run();
  }

  /** Runs the export of {@code build}'s dataset in a Graph run by a Session. */
  static ExportResult graph(Function<Ops, Dataset> build, Path dir, UnaryOperator<ExportBuilder> options)
      throws IOException {
    try (Graph g = new Graph(); Session session = new Session(g)) {
      return options.apply(TensorSlab.export(build.apply(Ops.create(g)), session).to(dir)).run();
    }
  }

  /** File names in {@code dir}, sorted; temporary files included, so leftovers show. */
  static List<String> listing(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  static Path writeBytes(Path file, byte[] bytes) throws IOException {
    return Files.write(file, bytes);
  }

  /**
   * NumPy check of exported arrays; arguments come in groups of four: {@code path raw descr shape}
   * ({@code raw} a file of the expected payload bytes, {@code shape} comma-separated). For each, with
   * and without {@code mmap_mode='r'}: dtype, shape, exact bytes, float specials (NaN, +Inf, -Inf,
   * -0.0 in that order when the array has them), payload offset a multiple of 64 and a file exactly
   * header plus payload long.
   */
  static final String NPY_CHECK = """
      import os
      args = sys.argv[1:]
      for k in range(0, len(args), 4):
          path, raw, descr, shape = args[k:k + 4]
          shape = tuple(int(s) for s in shape.split(',') if s)
          want = open(raw, 'rb').read()
          with open(path, 'rb') as fh:
              version = np.lib.format.read_magic(fh)
              if version == (1, 0):
                  np.lib.format.read_array_header_1_0(fh)
              else:
                  np.lib.format.read_array_header_2_0(fh)
              offset = fh.tell()
          assert offset % 64 == 0, (path, offset)
          assert os.path.getsize(path) == offset + len(want), (path, os.path.getsize(path), offset, len(want))
          for mm in ('r', None):
              a = np.load(path, mmap_mode=mm)
              assert isinstance(a, np.memmap) == (mm == 'r'), (path, mm, type(a))
              # bfloat16 is saved as '<V2' (as np.save of ml_dtypes.bfloat16 does); NumPy loads it as '|V2'
              assert a.dtype.str == ('|V2' if descr == '<V2' else descr), (path, a.dtype.str, descr)
              assert a.shape == shape, (path, a.shape, shape)
              assert a.tobytes() == want, (path, mm, 'bytes differ')
              flat = a.reshape(-1)
              if a.dtype.kind == 'f' and flat.size >= 4:
                  assert np.isnan(flat[0]) and flat[1] == np.inf and flat[2] == -np.inf, (path, flat[:4])
                  assert flat[3] == 0 and np.signbit(flat[3]), (path, flat[3])
              if descr == '<V2' and flat.size >= 4:
                  assert flat.view('<u2')[:4].tolist() == [0x7FC0, 0x7F80, 0xFF80, 0x8000], flat.view('<u2')[:4]
              if descr == '|b1':
                  assert flat.tolist() == [b != 0 for b in want], path
      print('ok', len(args) // 4)
      """;

  /** The NumPy check's arguments for one array. */
  static List<String> npyArgs(Path npy, Path raw, String descr, long... shape) {
    StringBuilder s = new StringBuilder();
    for (long d : shape) {
      s.append(s.isEmpty() ? "" : ",").append(d);
    }
    return List.of(npy.toString(), raw.toString(), descr, s.toString());
  }

  /**
   * Starts {@code main} in a child JVM on the test class path with a 64 MiB heap and the library's
   * flags, stdout and stderr merged: for tests that show the data never passes through the heap.
   */
  static Process smallHeapChild(Class<?> main, String... args) throws IOException {
    String javaBinary = ProcessHandle.current().info().command().orElseThrow();
    List<String> command = new java.util.ArrayList<>(List.of(javaBinary, "-Xmx64m",
        "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", "-cp",
        System.getProperty("java.class.path"), main.getName()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().put("TF_CPP_MIN_LOG_LEVEL", "3");
    return pb.start();
  }
}

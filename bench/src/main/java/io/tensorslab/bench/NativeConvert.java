package io.tensorslab.bench;

import io.tensorslab.export.ExportResult;
import io.tensorslab.export.TfRecordConversion;
import io.tensorslab.slab.MemoryAdvice;
import io.tensorslab.tfrecord.FeatureSpec;
import io.tensorslab.tfrecord.TfRecordCompression;
import io.tensorslab.tfrecord.TfRecordIndex;
import io.tensorslab.tfrecord.TfRecordReader;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.tensorflow.proto.Example;
import org.tensorflow.proto.Feature;
import org.tensorflow.proto.Features;
import org.tensorflow.proto.FloatList;
import org.tensorflow.proto.Int64List;

/**
 * Question: how many GB/s of arrays does the native engine's {@code convert} make from a TFRecord
 * in the page cache into {@code .npy} files in the page cache, once the JVM is warm, and how does
 * it scale with threads?
 *
 * <p>The input is {@code tfrecord_peers.py}'s: {@code records} Examples of {@code img}
 * float32[256] + {@code label} int64 (200 000 records: 215 MB of TFRecord, 206 MB of arrays),
 * written once per trial to {@code java.io.tmpdir}. Each invocation is one whole
 * {@link TfRecordConversion#run} with the native engine and {@code durable(false)} (no fsync: the time before the final
 * sync), its output deleted after the invocation. GB/s = 206 MB / score.
 * <ul>
 *   <li>{@link #convert}: plan (index), range writers on {@code threads} threads, commit;
 *   <li>{@link #freshPagesCopy}: the baseline, the physical limit for this output: the input's
 *       first 206 MB copied into a fresh mapped file of that size on {@code threads} threads.
 * </ul>
 *
 * <pre>
 *   java --enable-native-access=ALL-UNNAMED -jar bench/target/benchmarks.jar NativeConvert -p threads=1,2
 * </pre>
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 8)
@Measurement(iterations = 10)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@State(Scope.Benchmark)
public class NativeConvert {
  private static final int WIDTH = 256;
  private static final long WINDOW = 8L << 20;
  private static final long STAGING = 1L << 20;

  @Param({"200000"})
  int records;

  @Param({"1", "2"})
  int threads;

  private Path dir;
  private Path input;
  private Path output;
  private long arrayBytes;

  @Setup(Level.Trial)
  public void writeInput() throws IOException {
    dir = Files.createTempDirectory("native-convert");
    input = dir.resolve("data.tfrecord");
    arrayBytes = (long) records * (4L * WIDTH + 8);
    Random rnd = new Random(7);
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(input), 1 << 20)) {
      for (int i = 0; i < records; i++) {
        FloatList.Builder img = FloatList.newBuilder();
        for (int j = 0; j < WIDTH; j++) {
          img.addValue(rnd.nextFloat());
        }
        byte[] record = Example.newBuilder().setFeatures(Features.newBuilder()
            .putFeature("img", Feature.newBuilder().setFloatList(img).build())
            .putFeature("label", Feature.newBuilder().setInt64List(Int64List.newBuilder().addValue(i)).build()))
            .build().toByteArray();
        ByteBuffer head = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putLong(0, record.length);
        head.putInt(8, TfRecordReader.maskedCrc32c(head.array(), 8));
        out.write(head.array());
        out.write(record);
        out.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN)
            .putInt(0, TfRecordReader.maskedCrc32c(record, record.length)).array());
      }
    }
  }

  @Setup(Level.Invocation)
  public void freshOutput() {
    output = dir.resolve("out");
  }

  @TearDown(Level.Invocation)
  public void removeOutput() throws IOException {
    deleteTree(output);
  }

  @TearDown(Level.Trial)
  public void removeInput() throws IOException {
    deleteTree(dir);
  }

  @Benchmark
  public long convert() throws IOException {
    List<FeatureSpec> features = List.of(
        new FeatureSpec("img", FeatureSpec.Dtype.FLOAT32, List.of((long) WIDTH), false),
        new FeatureSpec("label", FeatureSpec.Dtype.INT64, List.of(), false));
    TfRecordConversion conversion = TfRecordConversion.builder().inputs(List.of(input))
        .compression(TfRecordCompression.NONE).features(features).threads(threads).to(output).durable(false)
        .engine(TfRecordConversion.Engine.NATIVE).build();
    try (ExportResult result = conversion.run()) {
      if (result.bytes() != arrayBytes) {
        throw new IllegalStateException("wrote " + result.bytes() + " bytes, expected " + arrayBytes);
      }
      return result.rows();
    }
  }

  /** The plan's part of {@link #convert}: every record's offset, the framing walked on {@code threads} threads. */
  @Benchmark
  public int index() throws IOException {
    return TfRecordIndex.build(input, TfRecordCompression.NONE, Long.MAX_VALUE, threads).count();
  }

  /**
   * The physical limit for this output: the input's first 206 MB copied into a fresh file mapped
   * shared, by {@code threads} threads each copying its half (or whole) in 8 MiB windows, each
   * window populated first and released after, as the range writers do.
   */
  @Benchmark
  public long freshPagesCopy() throws Exception {
    Files.createDirectories(output);
    Path target = output.resolve("copy.bin");
    try (FileChannel in = FileChannel.open(input, StandardOpenOption.READ);
        FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
            StandardOpenOption.WRITE);
        Arena arena = Arena.ofShared()) {
      MemorySegment from = in.map(FileChannel.MapMode.READ_ONLY, 0, arrayBytes, arena);
      out.truncate(arrayBytes);
      MemorySegment to = out.map(FileChannel.MapMode.READ_WRITE, 0, arrayBytes, arena);
      onThreads((start, end) -> {
        for (long at = start; at < end; at += WINDOW) {
          long n = Math.min(WINDOW, end - at);
          MemoryAdvice.populateWrite(to.asSlice(at, n));
          MemorySegment.copy(from, at, to, at, n);
          to.asSlice(at, n).unload();
        }
      });
      return to.byteSize();
    }
  }

  /**
   * The same bytes through {@code pwrite}: each thread copies its part window by window into a
   * small native staging buffer (as a row store lending staged windows would) and writes it at
   * its offset; the kernel fills fresh page-cache pages without zeroing them first.
   */
  @Benchmark
  public long freshPagesWrite() throws Exception {
    Files.createDirectories(output);
    Path target = output.resolve("copy.bin");
    try (FileChannel in = FileChannel.open(input, StandardOpenOption.READ);
        FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        Arena arena = Arena.ofShared()) {
      MemorySegment from = in.map(FileChannel.MapMode.READ_ONLY, 0, arrayBytes, arena);
      onThreads((start, end) -> {
        try (Arena own = Arena.ofConfined()) {
          MemorySegment staging = own.allocate(STAGING, 4096);
          for (long at = start; at < end; at += STAGING) {
            long n = Math.min(STAGING, end - at);
            MemorySegment.copy(from, at, staging, 0, n);
            java.nio.ByteBuffer b = staging.asSlice(0, n).asByteBuffer();
            long pos = at;
            while (b.hasRemaining()) {
              pos += out.write(b, pos);
            }
          }
        }
      });
      return arrayBytes;
    }
  }

  /** A part {@code [start, end)} of the array bytes, for one thread. */
  @FunctionalInterface
  private interface Part {
    void run(long start, long end) throws IOException;
  }

  /** Runs {@code part} over {@code threads} page-aligned parts of the array bytes, one thread each. */
  private void onThreads(Part part) throws Exception {
    long size = (arrayBytes / threads + 4095) & -4096L;
    List<Thread> workers = new ArrayList<>();
    List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
    for (int t = 0; t < threads; t++) {
      long start = Math.min(arrayBytes, t * size);
      long end = Math.min(arrayBytes, start + size);
      workers.add(Thread.ofPlatform().start(() -> {
        try {
          part.run(start, end);
        } catch (IOException | RuntimeException e) {
          failures.add(e);
        }
      }));
    }
    for (Thread w : workers) {
      w.join();
    }
    if (!failures.isEmpty()) {
      throw new IllegalStateException("a copying thread failed", failures.get(0));
    }
  }

  private static void deleteTree(Path root) throws IOException {
    if (root == null || !Files.exists(root)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}

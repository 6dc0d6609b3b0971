package io.tensorslab.bench;

import com.google.protobuf.CodedInputStream;
import io.tensorslab.tfrecord.ExampleView;
import io.tensorslab.tfrecord.FeatureSelection;
import io.tensorslab.tfrecord.MalformedExampleException;
import io.tensorslab.tfrecord.WireKind;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
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
 * Question: how fast does the native Example reader turn records into row bytes, and would
 * protobuf-java's {@code CodedInputStream} (on the class path through TF Java) do it faster?
 *
 * <p>Every method walks the same {@code records} serialized Examples (laid out back to back in
 * native memory, as in a mapped TFRecord file without its framing) of a float32 feature of
 * {@code width} values (packed, as every writer packs them) and an int64 {@code label}, and copies
 * both into a native destination of rows. Score: ms per pass; bytes of arrays per pass are
 * {@code records * (4 * width + 8)}.
 * <ul>
 *   <li>{@link #memcpy}: baseline, one copy of the whole input: the physical limit;
 *   <li>{@link #nativeReader}: {@link ExampleView} + {@link FeatureSelection} (TensorFlow's rules,
 *       duplicates and counts checked) + one copy per feature;
 *   <li>{@link #nativeReaderSameFraming}: the same through {@code FeatureSelection.read(view,
 *       record)}, as the engine reads, which reuses the last record's framing when it is the same
 *       (here the labels grow from 1 to 4 varint bytes: a handful of full reads);
 *   <li>{@link #codedInputStream}: the same walk with protobuf-java's {@code CodedInputStream} over
 *       a direct {@code ByteBuffer} (tags, lengths and varints by the library, floats copied
 *       packed), with textbook protobuf rules and no checks beyond them: a lower bound for a reader
 *       built on it;
 *   <li>{@link #protobufParse}: {@code Example.parseFrom} per record, what a reader built on the
 *       generated classes pays.
 * </ul>
 *
 * <pre>
 *   java --enable-native-access=ALL-UNNAMED -jar bench/target/benchmarks.jar ExampleParse
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@State(Scope.Benchmark)
public class ExampleParse {

  @Param({"256"})
  int width;

  @Param({"20000"})
  int records;

  private Arena arena;
  private MemorySegment input;
  private long[] offsets;
  private MemorySegment rows;
  private final ExampleView example = new ExampleView();
  private FeatureSelection selection;
  private byte[][] heapRecords;

  @Setup
  public void setup() {
    Random rnd = new Random(1);
    heapRecords = new byte[records][];
    long total = 0;
    for (int i = 0; i < records; i++) {
      FloatList.Builder f = FloatList.newBuilder();
      for (int j = 0; j < width; j++) {
        f.addValue(rnd.nextFloat());
      }
      heapRecords[i] = Example.newBuilder().setFeatures(Features.newBuilder()
          .putFeature("img", Feature.newBuilder().setFloatList(f).build())
          .putFeature("label", Feature.newBuilder().setInt64List(Int64List.newBuilder().addValue(i * 7919L)).build()))
          .build().toByteArray();
      total += heapRecords[i].length;
    }
    arena = Arena.ofShared();
    input = arena.allocate(total, 64);
    offsets = new long[records + 1];
    for (int i = 0; i < records; i++) {
      MemorySegment.copy(heapRecords[i], 0, input, ValueLayout.JAVA_BYTE, offsets[i], heapRecords[i].length);
      offsets[i + 1] = offsets[i] + heapRecords[i].length;
    }
    rows = arena.allocate((long) records * (4L * width + 8), 64);
    selection = new FeatureSelection(List.of(
        new FeatureSelection.Wanted("img", WireKind.FLOAT_LIST, width, "shape [" + width + "]"),
        new FeatureSelection.Wanted("label", WireKind.INT64_LIST, 1, "a scalar")));
  }

  @TearDown
  public void tearDown() {
    arena.close();
  }

  /** Baseline: the input copied once, as fast as memory goes. */
  @Benchmark
  public MemorySegment memcpy() {
    MemorySegment.copy(input, 0, rows, 0, Math.min(input.byteSize(), rows.byteSize()));
    return rows;
  }

  /** The native reader with TensorFlow's rules, writing rows as convert does. */
  @Benchmark
  public MemorySegment nativeReader() throws MalformedExampleException {
    for (int i = 0; i < records; i++) {
      example.parse(input, offsets[i], offsets[i + 1] - offsets[i]);
      selection.read(example);
      copyRow(i);
    }
    return rows;
  }

  /** The native reader as the engine calls it: records one slice each, the last framing reused. */
  @Benchmark
  public MemorySegment nativeReaderSameFraming() throws MalformedExampleException {
    for (int i = 0; i < records; i++) {
      selection.read(example, input.asSlice(offsets[i], offsets[i + 1] - offsets[i]));
      copyRow(i);
    }
    return rows;
  }

  /** Row {@code i} of the selected record into {@code rows}: the image rows, then the labels. */
  private void copyRow(int i) {
    long imgRow = 4L * width;
    selection.values(0).copyFloats(rows, i * imgRow);
    selection.values(1).copyLongs(0, 1, rows, records * imgRow + 8L * i);
  }

  /** protobuf-java's CodedInputStream over the same bytes: textbook rules, no TensorFlow checks. */
  @Benchmark
  public MemorySegment codedInputStream() throws IOException {
    ByteBuffer all = input.asByteBuffer();
    long imgRow = 4L * width;
    long labels = records * imgRow;
    for (int i = 0; i < records; i++) {
      CodedInputStream in = CodedInputStream.newInstance(all.slice((int) offsets[i], (int) (offsets[i + 1] - offsets[i])));
      in.enableAliasing(true);
      while (!in.isAtEnd()) {
        int tag = in.readTag();
        if (tag != 10) {
          in.skipField(tag);
          continue;
        }
        int featuresLimit = in.pushLimit(in.readRawVarint32());
        while (!in.isAtEnd()) {
          in.readTag();
          int entryLimit = in.pushLimit(in.readRawVarint32());
          boolean img = false;
          while (!in.isAtEnd()) {
            int t = in.readTag();
            if (t == 10) {
              int n = in.readRawVarint32();
              byte first = n > 0 ? in.readRawByte() : 0;
              in.skipRawBytes(Math.max(0, n - 1));
              img = n == 3 && first == 'i';
            } else if (t == 18) {
              int featureLimit = in.pushLimit(in.readRawVarint32());
              int listTag = in.readTag();
              int listLimit = in.pushLimit(in.readRawVarint32());
              int valueTag = in.readTag();
              if (img && listTag == 18 && valueTag == 10) {
                ByteBuffer packed = in.readByteBuffer();
                MemorySegment.copy(MemorySegment.ofBuffer(packed), 0, rows, i * imgRow, packed.remaining());
              } else if (listTag == 26 && valueTag == 10) {
                int packedLimit = in.pushLimit(in.readRawVarint32());
                rows.set(ValueLayout.JAVA_LONG_UNALIGNED, labels + 8L * i, in.readRawVarint64());
                in.popLimit(packedLimit);
              }
              in.skipRawBytes(in.getBytesUntilLimit());
              in.popLimit(listLimit);
              in.skipRawBytes(in.getBytesUntilLimit());
              in.popLimit(featureLimit);
            } else {
              in.skipField(t);
            }
          }
          in.popLimit(entryLimit);
        }
        in.popLimit(featuresLimit);
      }
    }
    return rows;
  }

  /** The generated classes: one Example object graph per record, values boxed into lists. */
  @Benchmark
  public MemorySegment protobufParse() throws IOException {
    long imgRow = 4L * width;
    long labels = records * imgRow;
    for (int i = 0; i < records; i++) {
      Example e = Example.parseFrom(heapRecords[i]);
      var m = e.getFeatures().getFeatureMap();
      FloatList f = m.get("img").getFloatList();
      for (int j = 0; j < width; j++) {
        rows.set(ValueLayout.JAVA_FLOAT_UNALIGNED, i * imgRow + 4L * j, f.getValue(j));
      }
      rows.set(ValueLayout.JAVA_LONG_UNALIGNED, labels + 8L * i, m.get("label").getInt64List().getValue(0));
    }
    return rows;
  }
}

package io.tensorslab.tf;

import io.tensorslab.tfrecord.FeatureSpec;
import io.tensorslab.tfrecord.TfRecordCompression;
import io.tensorslab.tfrecord.TfRecordException;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorslab.testutil.TfRecordWriter;
import io.tensorslab.testutil.TfRecordWriter.Compression;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.tensorflow.EagerSession;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.exceptions.TFOutOfRangeException;
import org.tensorflow.exceptions.TensorFlowException;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.data.AnonymousIterator;
import org.tensorflow.op.data.IteratorGetNext;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;

/** The TFRecord pipeline against the real TensorFlow native library, iterated with the raw iterator ops. */
class TfRecordDatasetsTest {

  @TempDir Path dir;

  private static final List<String> ALL_FORMS = List.of(
      "s:float32:", "m:float32:2,3", "v:int64:3", "i:int64:", "b:bytes:", "bb:bytes:2",
      "fr:float32:*", "ir:int64:*", "br:bytes:*");

  private static final float[] SPECIAL = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0.0f,
      Float.MIN_VALUE, Float.MAX_VALUE, 0f, -1.5f};
  private static final long[] SPECIAL_LONGS = {Long.MIN_VALUE, Long.MAX_VALUE, 0, -1, 1, 42};

  /** Record {@code r} of the shared data set, with every feature of {@link #ALL_FORMS}. */
  private static TfRecordWriter.ExampleBuilder record(int r) {
    TfRecordWriter.ExampleBuilder e = TfRecordWriter.example()
        .floats("s", SPECIAL[r % SPECIAL.length])
        .floats("m", r, r + 0.25f, -r, SPECIAL[(r + 1) % SPECIAL.length], 1e30f, -1e-30f)
        .int64s("v", SPECIAL_LONGS[r % SPECIAL_LONGS.length], r, -r)
        .int64s("i", r * 1_000_000_007L)
        .bytes("b", r % 4 == 0 ? new byte[0] : ("rec" + r).getBytes(StandardCharsets.UTF_8))
        .bytes("bb", new byte[] {(byte) 0xff, 0, (byte) r}, ("é" + r).getBytes(StandardCharsets.UTF_8));
    if (r % 5 != 3) { // every fifth record lacks the ragged features: an empty row
      float[] fr = new float[r % 4];
      for (int k = 0; k < fr.length; k++) {
        fr[k] = SPECIAL[(r + k) % SPECIAL.length];
      }
      long[] ir = new long[(r * 7) % 5];
      for (int k = 0; k < ir.length; k++) {
        ir[k] = SPECIAL_LONGS[(r + k) % SPECIAL_LONGS.length] ^ k;
      }
      byte[][] br = new byte[r % 3][];
      for (int k = 0; k < br.length; k++) {
        br[k] = ("r" + r + "k" + k).repeat(k + 1).getBytes(StandardCharsets.UTF_8);
      }
      e.floats("fr", fr).int64s("ir", ir).bytes("br", br);
    }
    return e;
  }

  private static List<byte[]> records(int from, int to) {
    List<byte[]> out = new ArrayList<>();
    for (int r = from; r < to; r++) {
      out.add(record(r).toByteArray());
    }
    return out;
  }

  private static TfRecordCompression tfCompression(Compression c) {
    return TfRecordCompression.valueOf(c.name());
  }

  // ---------------------------------------------------------------- values

  @ParameterizedTest
  @EnumSource(Compression.class)
  void everyDtypeAndShapeFormAcrossSeveralFilesInRecordOrder(Compression compression) throws IOException {
    // 7 + 0 + 6 records over three files, batch 4: batches straddle files, one file is empty,
    // the last batch is short.
    List<Path> files = List.of(
        TfRecordWriter.write(dir.resolve("a.tfrecord"), compression, records(0, 7)),
        TfRecordWriter.write(dir.resolve("empty.tfrecord"), compression, List.of()),
        TfRecordWriter.write(dir.resolve("c.tfrecord"), compression, records(7, 13)));
    try (EagerSession session = EagerSession.create()) {
      Ops tf = Ops.create(session);
      TfRecordBatches b = TfRecordDatasets.build(tf, files, tfCompression(compression),
          FeatureSpec.parseAll(ALL_FORMS), 4);
      assertEquals(List.of("s", "m", "v", "i", "b", "bb", "fr.values", "fr.row_splits", "ir.values",
          "ir.row_splits", "br.values", "br.row_splits"), b.componentNames());
      assertEquals(List.of(TFloat32.class, TFloat32.class, TInt64.class, TInt64.class, TString.class,
          TString.class, TFloat32.class, TInt64.class, TInt64.class, TInt64.class, TString.class, TInt64.class),
          b.outputTypes());
      // Shape.equals is false whenever a dim is unknown, so compare the dims
      assertEquals(List.of(List.of(-1L), List.of(-1L, 2L, 3L), List.of(-1L, 3L), List.of(-1L), List.of(-1L),
          List.of(-1L, 2L), List.of(-1L), List.of(-1L), List.of(-1L), List.of(-1L), List.of(-1L), List.of(-1L)),
          b.outputShapes().stream().map(x -> Arrays.stream(x.asArray()).boxed().toList()).toList());

      Collected got = collectEager(tf, b);
      assertEquals(List.of(4L, 4L, 4L, 1L), got.batchRows);
      assertAllForms(got, 0, 13);
    }
  }

  @Test
  void graphModeGivesTheSameValues() throws IOException {
    List<Path> files = List.of(
        TfRecordWriter.write(dir.resolve("a.tfrecord.gz"), Compression.GZIP, records(0, 5)),
        TfRecordWriter.write(dir.resolve("b.tfrecord.gz"), Compression.GZIP, records(5, 9)));
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      TfRecordBatches b = TfRecordDatasets.build(tf, files, TfRecordCompression.GZIP,
          FeatureSpec.parseAll(ALL_FORMS), 3);
      // AnonymousIterator makes a new resource on every run; a graph needs a named one.
      var it = tf.data.iterator("tfrecord-test", "", b.outputTypes(), b.outputShapes());
      var make = tf.data.makeIterator(b.variant(), it);
      IteratorGetNext next = tf.data.iteratorGetNext(it, b.outputTypes(), b.outputShapes());
      s.runner().addTarget(make).run();
      Collected got = new Collected(b.componentNames().size());
      while (true) {
        Session.Runner r = s.runner();
        for (var o : next.components()) {
          r.fetch(o);
        }
        try (Result res = r.run()) {
          List<Tensor> ts = new ArrayList<>();
          for (int k = 0; k < b.componentNames().size(); k++) {
            ts.add(res.get(k));
          }
          got.add(b, ts);
        } catch (TFOutOfRangeException end) {
          break;
        }
      }
      assertEquals(List.of(3L, 3L, 3L), got.batchRows);
      assertAllForms(got, 0, 9);
    }
  }

  @Test
  void batchOfOneAndBatchLargerThanTheData() throws IOException {
    List<Path> files = List.of(TfRecordWriter.write(dir.resolve("z.tfrecord.zz"), Compression.ZLIB, records(0, 6)));
    for (long batch : new long[] {1, 1000}) {
      try (EagerSession session = EagerSession.create()) {
        Ops tf = Ops.create(session);
        TfRecordBatches b = TfRecordDatasets.build(tf, files, TfRecordCompression.ZLIB,
            FeatureSpec.parseAll(ALL_FORMS), batch);
        Collected got = collectEager(tf, b);
        assertEquals(batch == 1 ? List.of(1L, 1L, 1L, 1L, 1L, 1L) : List.of(6L), got.batchRows);
        assertAllForms(got, 0, 6);
      }
    }
  }

  /** Checks every component of {@link #ALL_FORMS} against records {@code [from, to)}. */
  private static void assertAllForms(Collected got, int from, int to) {
    List<Float> s = new ArrayList<>();
    List<Float> m = new ArrayList<>();
    List<Long> v = new ArrayList<>();
    List<Long> i = new ArrayList<>();
    List<String> b = new ArrayList<>();
    List<String> bb = new ArrayList<>();
    List<Float> fr = new ArrayList<>();
    List<Long> ir = new ArrayList<>();
    List<String> br = new ArrayList<>();
    List<Long> frSplits = new ArrayList<>(List.of(0L));
    List<Long> irSplits = new ArrayList<>(List.of(0L));
    List<Long> brSplits = new ArrayList<>(List.of(0L));
    for (int r = from; r < to; r++) {
      var f = record(r).build().getFeatures().getFeatureMap();
      s.addAll(f.get("s").getFloatList().getValueList());
      m.addAll(f.get("m").getFloatList().getValueList());
      v.addAll(f.get("v").getInt64List().getValueList());
      i.addAll(f.get("i").getInt64List().getValueList());
      f.get("b").getBytesList().getValueList().forEach(x -> b.add(hex(x.toByteArray())));
      f.get("bb").getBytesList().getValueList().forEach(x -> bb.add(hex(x.toByteArray())));
      if (f.containsKey("fr")) {
        fr.addAll(f.get("fr").getFloatList().getValueList());
        ir.addAll(f.get("ir").getInt64List().getValueList());
        f.get("br").getBytesList().getValueList().forEach(x -> br.add(hex(x.toByteArray())));
      }
      frSplits.add((long) fr.size());
      irSplits.add((long) ir.size());
      brSplits.add((long) br.size());
    }
    assertEquals(bits(s), bits(got.values.get(0)), "s");
    assertEquals(bits(m), bits(got.values.get(1)), "m");
    assertEquals(v, got.values.get(2), "v");
    assertEquals(i, got.values.get(3), "i");
    assertEquals(b, got.values.get(4), "b");
    assertEquals(bb, got.values.get(5), "bb");
    assertEquals(bits(fr), bits(got.values.get(6)), "fr.values");
    assertEquals(frSplits, got.values.get(7), "fr.row_splits");
    assertEquals(ir, got.values.get(8), "ir.values");
    assertEquals(irSplits, got.values.get(9), "ir.row_splits");
    assertEquals(br, got.values.get(10), "br.values");
    assertEquals(brSplits, got.values.get(11), "br.row_splits");
  }

  // ---------------------------------------------------------------- bad input

  private static final List<String> XY = List.of("x:float32:2", "y:int64:");

  private static List<byte[]> xy(int n) {
    List<byte[]> r = new ArrayList<>();
    for (int k = 0; k < n; k++) {
      r.add(TfRecordWriter.example().floats("x", k, k + 0.5f).int64s("y", k).toByteArray());
    }
    return r;
  }

  /** Iterates to the end and returns the explained failure. */
  private TfRecordException failure(List<Path> files, Compression c, List<String> specs, long batch) throws IOException {
    try (EagerSession session = EagerSession.create()) {
      Ops tf = Ops.create(session);
      TfRecordBatches b = TfRecordDatasets.build(tf, files, tfCompression(c), FeatureSpec.parseAll(specs), batch);
      return assertThrows(TfRecordException.class, () -> collectEager(tf, b));
    }
  }

  @Test
  void recordMissingAFixedFeature() throws IOException {
    Path good = TfRecordWriter.write(dir.resolve("good.tfrecord"), Compression.NONE, xy(10));
    List<byte[]> r = xy(10);
    r.set(6, TfRecordWriter.example().floats("x", 1, 2).toByteArray());
    Path bad = TfRecordWriter.write(dir.resolve("bad.tfrecord"), Compression.NONE, r);
    TfRecordException e = failure(List.of(good, bad), Compression.NONE, XY, 4);
    // TensorFlow: "Name: <unknown>, Feature: y (data type: int64) is required but could not be found." (no index)
    assertEquals("cannot read TFRecord input: feature 'y' is missing, expected 1 int64 value, a scalar (path="
        + bad + ", record=6, feature=y, batch=4)", e.getMessage());
    assertLocated(e, bad, 6, "y", 4);
    assertInstanceOf(org.tensorflow.exceptions.TFInvalidArgumentException.class, e.getCause());
  }

  @Test
  void featureWithNoValueListCountsAsMissing() throws IOException {
    List<byte[]> r = xy(5);
    r.set(2, TfRecordWriter.example().empty("x").int64s("y", 1).toByteArray());
    Path bad = TfRecordWriter.write(dir.resolve("bad.tfrecord"), Compression.NONE, r);
    TfRecordException e = failure(List.of(bad), Compression.NONE, XY, 2);
    assertEquals("cannot read TFRecord input: feature 'x' is missing (present with no value list), expected 2 float32 values, shape [2] (path="
        + bad + ", record=2, feature=x, batch=1)", e.getMessage());
  }

  @Test
  void featureWithTheWrongNumberOfValues() throws IOException {
    List<byte[]> r = xy(10);
    r.set(5, TfRecordWriter.example().floats("x", 1, 2, 3).int64s("y", 1).toByteArray());
    Path bad = TfRecordWriter.write(dir.resolve("bad.tfrecord.gz"), Compression.GZIP, r);
    // TensorFlow: "Name: <unknown>, Key: x, Index: 1.  Number of float values != expected.  Values size: 3 but output shape: [2]"
    TfRecordException e = failure(List.of(bad), Compression.GZIP, XY, 4);
    assertEquals("cannot read TFRecord input: feature 'x' has 3 values, expected 2 float32 values, shape [2] (path="
        + bad + ", record=5, feature=x, batch=1)", e.getMessage());
    assertLocated(e, bad, 5, "x", 1);

    r = xy(3);
    r.set(2, TfRecordWriter.example().floats("x", 1, 2).int64s("y").toByteArray());
    Path bad2 = TfRecordWriter.write(dir.resolve("bad2.tfrecord"), Compression.NONE, r);
    assertEquals("cannot read TFRecord input: feature 'y' has 0 values, expected 1 int64 value, a scalar (path="
        + bad2 + ", record=2, feature=y, batch=0)", failure(List.of(bad2), Compression.NONE, XY, 4).getMessage());
  }

  @Test
  void featureOfTheWrongKind() throws IOException {
    List<byte[]> r = xy(10);
    r.set(9, TfRecordWriter.example().floats("x", 1, 2).floats("y", 1).floats("t", 5).toByteArray());
    Path bad = TfRecordWriter.write(dir.resolve("bad.tfrecord"), Compression.NONE, r);
    // TensorFlow: "Name: <unknown>, Key: y, Index: 1.  Data types don't match. Data type: float but expected type: int64"
    TfRecordException e = failure(List.of(bad), Compression.NONE, List.of("x:float32:2", "y:int64:", "t:bytes:*"), 8);
    assertEquals("cannot read TFRecord input: feature 'y' holds float32 values, not int64 (path="
        + bad + ", record=9, feature=y, batch=1)", e.getMessage());
  }

  @Test
  void recordThatIsNotAnExample() throws IOException {
    List<byte[]> r = xy(6);
    r.set(4, new byte[] {1, 2, 3, 4, 5});
    Path bad = TfRecordWriter.write(dir.resolve("bad.tfrecord"), Compression.NONE, r);
    // TensorFlow: "Could not parse example input, value: ''" (no index, no feature)
    TfRecordException e = failure(List.of(bad), Compression.NONE, XY, 4);
    assertTrue(e.getMessage().startsWith("cannot read TFRecord input: record is not a serialized tf.train.Example ("),
        e.getMessage());
    assertTrue(e.getMessage().endsWith("(path=" + bad + ", record=4, batch=1)"), e.getMessage());
  }

  @ParameterizedTest
  @EnumSource(Compression.class)
  void corruptRecordBadCrc(Compression c) throws IOException {
    Path good = TfRecordWriter.write(dir.resolve("good"), c, xy(10));
    Path bad = TfRecordWriter.writeWithBadDataCrc(dir.resolve("bad"), c, xy(10), 7);
    // TensorFlow: "corrupted record at 355" (the data's offset, no file name)
    TfRecordException e = failure(List.of(good, bad), c, XY, 4);
    long at = 7 * 49; // each xy record is 33 bytes + 16 of framing
    assertEquals("cannot read TFRecord input: record at byte " + at + (c == Compression.NONE ? "" : " of the uncompressed stream")
        + ": bad data checksum (corrupted record) (path=" + bad + ", record=7, batch=4)", e.getMessage());
    assertLocated(e, bad, 7, null, 4);
  }

  @ParameterizedTest
  @EnumSource(Compression.class)
  void fileTruncatedInsideRecordData(Compression c) throws IOException {
    Path bad = TfRecordWriter.writeTruncated(dir.resolve("cut"), c, xy(10), 9, 20);
    // TensorFlow: "truncated record at 441' failed with Read less bytes than requested" (EOF reached when compressed)
    TfRecordException e = failure(List.of(bad), c, XY, 4);
    assertEquals("cannot read TFRecord input: record at byte 441" + (c == Compression.NONE ? "" : " of the uncompressed stream")
        + ": file ends after 8 of its 33 data bytes (truncated file) (path=" + bad + ", record=9, batch=2)", e.getMessage());
  }

  @ParameterizedTest
  @EnumSource(Compression.class)
  void fileTruncatedInsideARecordHeaderIsCaughtAfterTheEnd(Compression c) throws IOException {
    Path bad = TfRecordWriter.writeTruncated(dir.resolve("cut"), c, xy(10), 9, 5);
    // TensorFlow ends cleanly after record 8 and drops record 9 without a word; checkComplete catches it.
    TfRecordException e = failure(List.of(bad), c, XY, 4);
    assertEquals("cannot read TFRecord input: record at byte 441" + (c == Compression.NONE ? "" : " of the uncompressed stream")
        + ": file ends 5 bytes into its 12-byte header (truncated file) (path=" + bad + ", record=9)", e.getMessage());
  }

  @ParameterizedTest
  @EnumSource(value = Compression.class, names = {"GZIP", "ZLIB"})
  void compressedStreamCutShort(Compression c) throws IOException {
    byte[] whole = Files.readAllBytes(TfRecordWriter.write(dir.resolve("whole"), c, xy(10)));
    Path bad = Files.write(dir.resolve("cut"), Arrays.copyOf(whole, whole.length - 30));
    // TensorFlow: "truncated record at 392' failed with EOF reached"
    TfRecordException e = failure(List.of(bad), c, XY, 4);
    assertTrue(e.getMessage().startsWith("cannot read TFRecord input: record at byte "), e.getMessage());
    assertTrue(e.getMessage().contains(" of the uncompressed stream: compressed " + c + " stream ends early (truncated file) (path="
        + bad + ", record="), e.getMessage());
  }

  @Test
  void wrongCompressionEitherWay() throws IOException {
    Path gz = TfRecordWriter.write(dir.resolve("data.gz"), Compression.GZIP, xy(3));
    // TensorFlow: "corrupted record at 0 (Is this even a TFRecord file?)"
    assertEquals("cannot read TFRecord input: record at byte 0: bad length checksum: not a TFRecord file, or --compression none is wrong (path="
        + gz + ", record=0, batch=0)", failure(List.of(gz), Compression.NONE, XY, 4).getMessage());
    Path plain = TfRecordWriter.write(dir.resolve("data.tfrecord"), Compression.NONE, xy(3));
    // TensorFlow: "inflate() failed with error -3: incorrect header check"
    assertEquals("cannot read TFRecord input: not GZIP data (Not in GZIP format); is --compression gzip right? (path="
        + plain + ", record=0, batch=0)", failure(List.of(plain), Compression.GZIP, XY, 4).getMessage());
    assertEquals("cannot read TFRecord input: record at byte 0 of the uncompressed stream: damaged ZLIB stream at or after this record (incorrect header check) (path="
        + plain + ", record=0, batch=0)", failure(List.of(plain), Compression.ZLIB, XY, 4).getMessage());
  }

  @Test
  void missingUnreadableOrDirectoryInputFailsBeforeAnyOp() throws IOException {
    Path good = TfRecordWriter.write(dir.resolve("good.tfrecord"), Compression.NONE, xy(3));
    Path missing = dir.resolve("missing.tfrecord");
    Function<List<Path>, IOException> build = files -> {
      try (EagerSession session = EagerSession.create()) {
        return assertThrows(IOException.class, () -> TfRecordDatasets.build(Ops.create(session), files,
            TfRecordCompression.NONE, FeatureSpec.parseAll(XY), 4));
      }
    };
    IOException e = build.apply(List.of(good, missing));
    assertInstanceOf(NoSuchFileException.class, e);
    assertEquals(missing + ": TFRecord input file does not exist", e.getMessage());
    e = build.apply(List.of(dir));
    assertEquals("TFRecord input is a directory, not a file (path=" + dir + ")", e.getMessage());
    Path locked = TfRecordWriter.write(dir.resolve("locked.tfrecord"), Compression.NONE, xy(3));
    if (locked.toFile().setReadable(false) && !Files.isReadable(locked)) { // root reads anything
      e = build.apply(List.of(locked));
      assertInstanceOf(AccessDeniedException.class, e);
      assertEquals(locked + ": TFRecord input file is not readable", e.getMessage());
    }
  }

  @Test
  void inputDeletedAfterTheCheck() throws IOException {
    Path gone = TfRecordWriter.write(dir.resolve("gone.tfrecord"), Compression.NONE, xy(3));
    try (EagerSession session = EagerSession.create()) {
      Ops tf = Ops.create(session);
      TfRecordBatches b = TfRecordDatasets.build(tf, List.of(gone), TfRecordCompression.NONE, FeatureSpec.parseAll(XY), 4);
      Files.delete(gone);
      // TensorFlow: "<path>; No such file or directory" at the first batch
      TfRecordException e = assertThrows(TfRecordException.class, () -> collectEager(tf, b));
      assertEquals("cannot read TFRecord input: input file no longer exists (path=" + gone + ", batch=0)", e.getMessage());
    }
  }

  @Test
  void rejectsBadArguments() {
    try (EagerSession session = EagerSession.create()) {
      Ops tf = Ops.create(session);
      List<FeatureSpec> specs = FeatureSpec.parseAll(XY);
      assertEquals("no TFRecord input file given", assertThrows(IllegalArgumentException.class,
          () -> TfRecordDatasets.build(tf, List.of(), TfRecordCompression.NONE, specs, 4)).getMessage());
      assertEquals("no feature given to parse", assertThrows(IllegalArgumentException.class,
          () -> TfRecordDatasets.build(tf, List.of(dir), TfRecordCompression.NONE, List.of(), 4)).getMessage());
      assertEquals("batch size must be at least 1, got 0", assertThrows(IllegalArgumentException.class,
          () -> TfRecordDatasets.build(tf, List.of(dir), TfRecordCompression.NONE, specs, 0)).getMessage());
    }
    assertEquals("invalid --compression 'GZIP': expected none, gzip or zlib",
        assertThrows(IllegalArgumentException.class, () -> TfRecordCompression.parse("GZIP")).getMessage());
  }

  private static void assertLocated(TfRecordException e, Path path, long record, String feature, long batch) {
    assertEquals(path, e.path());
    assertEquals(record, e.record());
    assertEquals(feature, e.feature());
    assertEquals(batch, e.batch());
  }

  // ---------------------------------------------------------------- minimal iteration

  /** Iterates in eager mode; a TensorFlow failure comes back explained, a clean end is checked for a cut header. */
  private static Collected collectEager(Ops tf, TfRecordBatches b) throws TfRecordException {
    AnonymousIterator it = tf.data.anonymousIterator(b.outputTypes(), b.outputShapes());
    tf.data.makeIterator(b.variant(), it.handle());
    Collected got = new Collected(b.componentNames().size());
    for (long batch = 0; ; batch++) {
      List<Tensor> ts = new ArrayList<>();
      try {
        for (Operand<?> o : tf.data.iteratorGetNext(it.handle(), b.outputTypes(), b.outputShapes()).components()) {
          ts.add(o.asTensor());
        }
      } catch (TFOutOfRangeException end) {
        TfRecordErrors.checkComplete(b);
        return got;
      } catch (TensorFlowException | IllegalArgumentException e) {
        // a parse error is TFInvalidArgumentException, an IllegalArgumentException, not a TensorFlowException
        throw TfRecordErrors.explain(e, b, batch);
      }
      got.add(b, ts);
    }
  }

  /** Every component's values concatenated over batches; row splits joined as one ragged tensor would be. */
  private static final class Collected {
    final List<List<Object>> values = new ArrayList<>();
    final List<Long> batchRows = new ArrayList<>();

    Collected(int components) {
      for (int k = 0; k < components; k++) {
        values.add(new ArrayList<>());
      }
    }

    void add(TfRecordBatches b, List<Tensor> ts) {
      batchRows.add(ts.get(0).shape().size(0));
      for (int k = 0; k < ts.size(); k++) {
        Tensor t = ts.get(k);
        List<Object> out = values.get(k);
        int n = Math.toIntExact(t.shape().size());
        if (b.componentNames().get(k).endsWith(FeatureSpec.ROW_SPLITS_SUFFIX)) {
          long[] splits = new long[n];
          ((TInt64) t).copyTo(DataBuffers.of(splits, false, false));
          assertEquals(0, splits[0], "row splits start at 0 in every batch");
          long base = out.isEmpty() ? 0 : (Long) out.removeLast();
          for (long x : splits) {
            out.add(base + x);
          }
        } else if (t instanceof TFloat32 f) {
          float[] a = new float[n];
          f.copyTo(DataBuffers.of(a, false, false));
          for (float x : a) {
            out.add(x);
          }
        } else if (t instanceof TInt64 l) {
          long[] a = new long[n];
          l.copyTo(DataBuffers.of(a, false, false));
          for (long x : a) {
            out.add(x);
          }
        } else if (t instanceof TString s) {
          s.asBytes().scalars().forEach(x -> out.add(hex(x.getObject())));
        }
      }
    }
  }

  private static String hex(byte[] bytes) {
    StringBuilder s = new StringBuilder("0x");
    for (byte x : bytes) {
      s.append(String.format("%02x", x));
    }
    return s.toString();
  }

  private static List<Integer> bits(List<?> floats) {
    return floats.stream().map(x -> Float.floatToRawIntBits((Float) x)).toList();
  }
}

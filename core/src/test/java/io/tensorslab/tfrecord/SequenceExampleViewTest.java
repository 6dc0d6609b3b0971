package io.tensorslab.tfrecord;

import static io.tensorslab.tfrecord.Wire.entry;
import static io.tensorslab.tfrecord.Wire.feature;
import static io.tensorslab.tfrecord.Wire.floatsPacked;
import static io.tensorslab.tfrecord.Wire.longsPacked;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorflow.proto.BytesList;
import org.tensorflow.proto.Feature;
import org.tensorflow.proto.FeatureList;
import org.tensorflow.proto.FeatureLists;
import org.tensorflow.proto.Features;
import org.tensorflow.proto.FloatList;
import org.tensorflow.proto.Int64List;
import org.tensorflow.proto.SequenceExample;

/**
 * The SequenceExample reader against the rules of TensorFlow's sequence parser
 * ({@code FastParseSequenceExample} in example_proto_fast_parsing.cc), one case each; the
 * differential test in native-tests runs such inputs through TensorFlow itself.
 */
class SequenceExampleViewTest {

  private final SequenceExampleView view = new SequenceExampleView();
  private final SequenceValues values = new SequenceValues();

  private static byte[] name(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static Feature int64s(long... v) {
    Int64List.Builder b = Int64List.newBuilder();
    for (long x : v) {
      b.addValue(x);
    }
    return Feature.newBuilder().setInt64List(b).build();
  }

  @Test
  void canonicalSequenceExampleMadeByProtobuf() throws Exception {
    byte[] record = SequenceExample.newBuilder()
        .setContext(Features.newBuilder().putFeature("label", int64s(7))
            .putFeature("w", Feature.newBuilder().setFloatList(FloatList.newBuilder().addValue(0.5f)).build()))
        .setFeatureLists(FeatureLists.newBuilder()
            .putFeatureList("tokens", FeatureList.newBuilder().addFeature(int64s(1, 2)).addFeature(int64s())
                .addFeature(int64s(-3)).build())
            .putFeatureList("words", FeatureList.newBuilder().addFeature(Feature.newBuilder().setBytesList(
                BytesList.newBuilder().addValue(ByteString.copyFromUtf8("ab")))).build())
            .putFeatureList("empty", FeatureList.getDefaultInstance()))
        .build().toByteArray();
    view.parse(MemorySegment.ofArray(record));
    assertEquals(5, view.entryCount());

    values.readContext(view, view.lastEntry(SequenceExampleView.Section.CONTEXT, name("label")), WireKind.INT64_LIST);
    assertEquals(1, values.count());
    assertEquals(7, values.longAt(0));
    assertEquals(0, values.steps());

    values.readFeatureList(view, view.lastEntry(SequenceExampleView.Section.FEATURE_LISTS, name("tokens")),
        WireKind.INT64_LIST);
    assertEquals(3, values.steps());
    assertEquals(List.of(2, 2, 3), List.of(values.stepEnd(0), values.stepEnd(1), values.stepEnd(2)));
    assertEquals(-3, values.longAt(2));

    values.readFeatureList(view, view.lastEntry(SequenceExampleView.Section.FEATURE_LISTS, name("words")),
        WireKind.BYTES_LIST);
    assertEquals("ab", new String(values.bytesAt(0).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE),
        StandardCharsets.UTF_8));

    values.readFeatureList(view, view.lastEntry(SequenceExampleView.Section.FEATURE_LISTS, name("empty")),
        WireKind.FLOAT_LIST);
    assertEquals(0, values.steps());
    assertEquals(-1, view.lastEntry(SequenceExampleView.Section.CONTEXT, name("tokens")), "sections apart");
  }

  /** A SequenceExample of these serialized context and feature-list map entries (each a field 1 of its map). */
  private static byte[] sequence(byte[] contextEntries, byte[] listEntries) {
    return Wire.of().bytesField(1, contextEntries).bytesField(2, listEntries).bytes();
  }

  /** One map entry as its map's field 1. */
  private static byte[] mapEntry(String key, byte[] value) {
    return Wire.of().bytesField(1, entry(key, value)).bytes();
  }

  private static byte[] steps(byte[]... features) {
    Wire w = Wire.of();
    for (byte[] f : features) {
      w.bytesField(1, f);
    }
    return w.bytes();
  }

  private SequenceValues list(byte[] record, String name, WireKind kind) throws MalformedExampleException {
    view.parse(MemorySegment.ofArray(record));
    values.readFeatureList(view, view.lastEntry(SequenceExampleView.Section.FEATURE_LISTS, name(name)), kind);
    return values;
  }

  @Test
  void theLastEntryOfANameCountsEvenEmpty() throws Exception {
    byte[] lists = Wire.of().raw(mapEntry("t", steps(feature(3, longsPacked(1, 2))))).raw(mapEntry("t", new byte[0]))
        .bytes();
    assertEquals(0, list(sequence(new byte[0], lists), "t", WireKind.INT64_LIST).steps());
  }

  @Test
  void mapEntriesMustHoldKeyThenValueOnly() {
    byte[] valueFirst = Wire.of().bytesField(1, Wire.of().bytesField(2, steps()).bytesField(1, name("t")).bytes()).bytes();
    MalformedExampleException e = assertThrows(MalformedExampleException.class,
        () -> view.parse(MemorySegment.ofArray(sequence(new byte[0], valueFirst))));
    assertTrue(e.problem().contains("not a serialized tf.train.SequenceExample"), e.problem());
    byte[] keyOnly = Wire.of().bytesField(1, Wire.of().bytesField(1, name("t")).bytes()).bytes();
    assertThrows(MalformedExampleException.class,
        () -> view.parse(MemorySegment.ofArray(sequence(new byte[0], keyOnly))));
  }

  @Test
  void emptyStepsAreStepsAndOneByteStepsFail() throws Exception {
    byte[] emptyOwnKind = {0x12, 0x00};
    byte[] record = sequence(new byte[0], mapEntry("f", steps(new byte[0], emptyOwnKind, feature(2, floatsPacked(1f)))));
    SequenceValues v = list(record, "f", WireKind.FLOAT_LIST);
    assertEquals(3, v.steps());
    assertEquals(List.of(0, 0, 1), List.of(v.stepEnd(0), v.stepEnd(1), v.stepEnd(2)));
    // The empty list of another kind is a type mismatch, not an empty step.
    byte[] int64Empty = {0x1a, 0x00};
    MalformedExampleException e = assertThrows(MalformedExampleException.class,
        () -> list(sequence(new byte[0], mapEntry("f", steps(int64Empty))), "f", WireKind.FLOAT_LIST));
    assertTrue(e.problem().contains("step 0 holds int64 values, not float32"), e.problem());
    assertThrows(MalformedExampleException.class,
        () -> list(sequence(new byte[0], mapEntry("f", steps(new byte[] {0x12}))), "f", WireKind.FLOAT_LIST));
  }

  @Test
  void packedFloatsMustBeWholeUnlikeInAnExample() {
    byte[] fiveBytes = Wire.of().bytesField(2, Wire.of().bytesField(1, new byte[] {0, 0, (byte) 0x80, 0x3f, 1}).bytes())
        .bytes();
    byte[] record = sequence(new byte[0], mapEntry("f", steps(fiveBytes)));
    MalformedExampleException e = assertThrows(MalformedExampleException.class,
        () -> list(record, "f", WireKind.FLOAT_LIST));
    assertTrue(e.problem().contains("step 0 is no well-formed float32 list"), e.problem());
  }

  @Test
  void bytesAfterAStepsListAreReadAsTheNextSteps() throws Exception {
    // One step Feature holding an int64 list and then a whole serialized step (0x0a, length, Feature).
    byte[] next = Wire.of().bytesField(1, feature(3, longsPacked(9))).bytes();
    byte[] step = Wire.of().raw(feature(3, longsPacked(1, 2))).raw(next).bytes();
    SequenceValues v = list(sequence(new byte[0], mapEntry("t", steps(step))), "t", WireKind.INT64_LIST);
    assertEquals(2, v.steps(), "TensorFlow goes on where the list ended");
    assertEquals(9, v.longAt(2));
  }

  @Test
  void selectionRequiresFixedContextAndStepCounts() throws Exception {
    SequenceSelection s = SequenceSelection.of(FeatureSpec.parseAll(List.of("label:int64:")),
        FeatureSpec.parseAll(List.of("xy:float32:2")));
    byte[] good = sequence(mapEntry("label", feature(3, longsPacked(4))),
        mapEntry("xy", steps(feature(2, floatsPacked(1, 2)), feature(2, floatsPacked(3, 4)))));
    view.parse(MemorySegment.ofArray(good));
    s.read(view);
    assertEquals(2, s.featureList(0).steps());
    byte[] short1 = sequence(mapEntry("label", feature(3, longsPacked(4))),
        mapEntry("xy", steps(feature(2, floatsPacked(1, 2)), feature(2, floatsPacked(3)))));
    view.parse(MemorySegment.ofArray(short1));
    MalformedExampleException e = assertThrows(MalformedExampleException.class, () -> s.read(view));
    assertEquals("xy", e.feature());
    assertTrue(e.problem().contains("step 1 has 1 values, the step shape [2] holds 2"), e.problem());
    view.parse(MemorySegment.ofArray(sequence(new byte[0], new byte[0])));
    e = assertThrows(MalformedExampleException.class, () -> s.read(view));
    assertEquals("label", e.feature());
    IllegalArgumentException clash = assertThrows(IllegalArgumentException.class, () -> SequenceSelection.of(
        FeatureSpec.parseAll(List.of("t:int64:*")), FeatureSpec.parseAll(List.of("t:int64:*"))));
    assertTrue(clash.getMessage().contains("'t' is asked for as a context feature and as a feature list"));
  }
}

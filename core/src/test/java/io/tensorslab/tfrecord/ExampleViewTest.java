package io.tensorslab.tfrecord;

import static io.tensorslab.tfrecord.Wire.entry;
import static io.tensorslab.tfrecord.Wire.example;
import static io.tensorslab.tfrecord.Wire.feature;
import static io.tensorslab.tfrecord.Wire.floatsPacked;
import static io.tensorslab.tfrecord.Wire.longsPacked;
import static io.tensorslab.tfrecord.Wire.longsUnpacked;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The reader against the rules of TensorFlow's fast parser (example_proto_fast_parsing.cc), one
 * case each; the differential test in native-tests runs the same kinds of input through TensorFlow.
 */
class ExampleViewTest {

  private final ExampleView example = new ExampleView();
  private final FeatureValues values = new FeatureValues();

  private FeatureValues only(byte[] record) throws MalformedExampleException {
    example.parse(MemorySegment.ofArray(record));
    assertEquals(1, example.entryCount());
    values.decode(example, 0);
    return values;
  }

  private static long[] longs(FeatureValues v) {
    return Arrays.copyOf(v.longs(), v.count());
  }

  @Test
  void canonicalExampleMadeByProtobuf() throws Exception {
    byte[] record = org.tensorflow.proto.Example.newBuilder().setFeatures(org.tensorflow.proto.Features.newBuilder()
        .putFeature("img", org.tensorflow.proto.Feature.newBuilder().setFloatList(
            org.tensorflow.proto.FloatList.newBuilder().addValue(1.5f).addValue(-0f).addValue(Float.NaN)).build())
        .putFeature("label", org.tensorflow.proto.Feature.newBuilder().setInt64List(
            org.tensorflow.proto.Int64List.newBuilder().addValue(-7).addValue(Long.MAX_VALUE)).build())
        .putFeature("s", org.tensorflow.proto.Feature.newBuilder().setBytesList(
            org.tensorflow.proto.BytesList.newBuilder().addValue(com.google.protobuf.ByteString.copyFromUtf8("héllo"))
                .addValue(com.google.protobuf.ByteString.EMPTY)).build()))
        .build().toByteArray();
    example.parse(MemorySegment.ofArray(record));
    assertEquals(3, example.entryCount());

    values.decode(example, example.lastEntry("img".getBytes()));
    assertEquals(WireKind.FLOAT_LIST, values.kind());
    assertEquals(3, values.count());
    assertEquals(12, values.packedFloats().byteSize());
    assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(values.floatAt(1)));
    assertTrue(Float.isNaN(values.floatAt(2)));

    values.decode(example, example.lastEntry("label".getBytes()));
    assertEquals(WireKind.INT64_LIST, values.kind());
    assertArrayEquals(new long[] {-7, Long.MAX_VALUE}, longs(values));

    values.decode(example, example.lastEntry("s".getBytes()));
    assertEquals(WireKind.BYTES_LIST, values.kind());
    assertEquals("héllo", new String(values.bytesAt(0).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), "UTF-8"));
    assertEquals(0, values.bytesLength(1));
  }

  /** Bug 6 (a): the first list of a Feature decides; a second list of another kind is never read. */
  @Test
  void firstListWinsOverALaterListOfAnotherKind() throws Exception {
    FeatureValues v = only(example(entry("x", feature(3, longsPacked(1, 2, 3, 4, 5), 1, new byte[0]))));
    assertEquals(WireKind.INT64_LIST, v.kind());
    assertArrayEquals(new long[] {1, 2, 3, 4, 5}, longs(v));
    v = only(example(entry("x", feature(3, longsPacked(1, 2, 3), 2, floatsPacked(9f)))));
    assertArrayEquals(new long[] {1, 2, 3}, longs(v));
  }

  /** Bug 6 (b): an int64_list given twice: the first one only, where protobuf would merge both. */
  @Test
  void repeatedListFieldReadsTheFirst() throws Exception {
    FeatureValues v = only(example(entry("x", feature(3, longsPacked(1, 2, 3), 3, longsPacked(4, 5)))));
    assertArrayEquals(new long[] {1, 2, 3}, longs(v));
  }

  /** Bug 6 (c): packed [1,2] + unpacked [3] + packed [4,5,6] in one list: the first packed chunk. */
  @Test
  void mixedPackedAndUnpackedChunksReadTheFirstPackedChunk() throws Exception {
    byte[] body = Wire.of().raw(longsPacked(1, 2)).raw(longsUnpacked(3)).raw(longsPacked(4, 5, 6)).bytes();
    FeatureValues v = only(example(entry("x", feature(3, body))));
    assertArrayEquals(new long[] {1, 2}, longs(v));
  }

  @Test
  void unpackedThenPackedFails() throws Exception {
    byte[] body = Wire.of().raw(longsUnpacked(3)).raw(longsPacked(4, 5)).bytes();
    example.parse(MemorySegment.ofArray(example(entry("x", feature(3, body)))));
    var e = assertThrows(MalformedExampleException.class, () -> values.decode(example, 0));
    assertEquals("malformed int64 list (TensorFlow: Can't parse serialized Example)", e.problem());
  }

  @Test
  void unpackedFloatsAreStridedAndCopied() throws Exception {
    FeatureValues v = only(example(entry("x", feature(2, Wire.floatsUnpacked(1f, 2f, 3f)))));
    assertNull(v.packedFloats());
    assertEquals(3, v.count());
    MemorySegment dst = MemorySegment.ofArray(new float[3]);
    v.copyFloats(dst, 0);
    assertArrayEquals(new float[] {1f, 2f, 3f}, dst.toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT));
  }

  /** A packed float chunk of 9 bytes: TensorFlow takes 2 floats and drops the odd byte. */
  @Test
  void packedFloatChunkOfOddLengthDropsTheTail() throws Exception {
    byte[] chunk = Wire.of().fixed32(1f).fixed32(2f).raw(7).bytes();
    FeatureValues v = only(example(entry("x", feature(2, Wire.of().bytesField(1, chunk).bytes()))));
    assertEquals(2, v.count());
  }

  @Test
  void duplicateKeysLastWinsAndFixedFeaturesSkipEmptyOnes() throws Exception {
    byte[] record = example(entry("x", feature(3, longsPacked(1))), entry("x", feature(3, longsPacked(2, 3))),
        entry("x", new byte[0]));
    example.parse(MemorySegment.ofArray(record));
    assertEquals(3, example.entryCount());
    byte[] x = "x".getBytes();
    assertEquals(2, example.lastEntry(x));
    assertEquals(1, example.lastNonEmptyEntry(x));

    FeatureSelection fixed = new FeatureSelection(List.of(new FeatureSelection.Wanted("x", WireKind.INT64_LIST, 2, "shape [2]")));
    fixed.read(example);
    assertArrayEquals(new long[] {2, 3}, longs(fixed.values(0)));
    FeatureSelection ragged = new FeatureSelection(List.of(new FeatureSelection.Wanted("x", WireKind.INT64_LIST, -1, "")));
    ragged.read(example);
    assertEquals(0, ragged.values(0).count());
  }

  @Test
  void severalFeaturesMessagesAreConcatenated() throws Exception {
    byte[] record = Wire.of().raw(example(entry("a", feature(3, longsPacked(1))))).raw(example(entry("b", feature(3, longsPacked(2))))).bytes();
    example.parse(MemorySegment.ofArray(record));
    assertEquals(2, example.entryCount());
    assertEquals("b", example.name(1));
  }

  @Test
  void unknownTopLevelFieldsAreSkippedGroupsAreNot() throws Exception {
    byte[] features = example(entry("a", feature(3, longsPacked(1))));
    byte[] record = Wire.of().tag(7, 0).varint(300).tag(8, 1).raw(1, 2, 3, 4, 5, 6, 7, 8).tag(9, 5).raw(1, 2, 3, 4)
        .bytesField(10, new byte[] {1, 2}).raw(features).bytes();
    example.parse(MemorySegment.ofArray(record));
    assertEquals(1, example.entryCount());
    byte[] group = Wire.of().tag(7, 3).raw(features).bytes();
    var e = assertThrows(MalformedExampleException.class, () -> example.parse(MemorySegment.ofArray(group)));
    assertTrue(e.getMessage().startsWith("record is not a serialized tf.train.Example"), e.getMessage());
  }

  /** TensorFlow's Skip() past the end moves to the end and the loop ends: a truncated unknown field is accepted. */
  @Test
  void truncatedUnknownFieldAtTheEndIsAccepted() throws Exception {
    byte[] record = Wire.of().raw(example(entry("a", feature(3, longsPacked(1))))).tag(5, 2).varint(100).raw(1, 2).bytes();
    example.parse(MemorySegment.ofArray(record));
    assertEquals(1, example.entryCount());
  }

  @Test
  void overlongVarintsUpToTenBytesAreAccepted() throws Exception {
    byte[] list = Wire.of().tag(1, 0).overlongVarint(5, 10).bytes();
    FeatureValues v = only(example(entry("x", feature(3, list))));
    assertArrayEquals(new long[] {5}, longs(v));
    byte[] tooLong = Wire.of().tag(1, 0).overlongVarint(5, 11).bytes();
    example.parse(MemorySegment.ofArray(example(entry("x", feature(3, tooLong)))));
    assertThrows(MalformedExampleException.class, () -> values.decode(example, 0));
  }

  @Test
  void mapEntryWithKeyTwiceHasAnEmptyValueAndExtraFieldsFail() throws Exception {
    byte[] keyTwice = Wire.of().bytesField(1, "a".getBytes()).bytesField(1, "b".getBytes()).bytes();
    example.parse(MemorySegment.ofArray(example(keyTwice)));
    assertEquals("b", example.name(0));
    assertEquals(0, example.valueLength(0));
    byte[] three = Wire.of().raw(entry("a", feature(3, longsPacked(1)))).bytesField(1, "c".getBytes()).bytes();
    assertThrows(MalformedExampleException.class, () -> example.parse(MemorySegment.ofArray(example(three))));
  }

  @Test
  void unsupportedFirstByteFailsEvenOnALosingDuplicate() throws Exception {
    byte[] record = example(entry("x", Wire.of().raw(0x22, 0).bytes()), entry("x", feature(3, longsPacked(1))));
    example.parse(MemorySegment.ofArray(record));
    FeatureSelection s = new FeatureSelection(List.of(new FeatureSelection.Wanted("x", WireKind.INT64_LIST, 1, "a scalar")));
    var e = assertThrows(MalformedExampleException.class, () -> s.read(example));
    assertEquals("x", e.feature());
    assertTrue(e.problem().contains("Unsupported datatype"), e.problem());
  }

  @Test
  void selectionErrorsNameTheFeature() throws Exception {
    example.parse(MemorySegment.ofArray(example(entry("x", feature(2, floatsPacked(1f, 2f, 3f))))));
    var count = assertThrows(MalformedExampleException.class, () -> new FeatureSelection(
        List.of(new FeatureSelection.Wanted("x", WireKind.FLOAT_LIST, 2, "shape [2]"))).read(example));
    assertEquals("feature 'x' has 3 values, expected 2 float32 values, shape [2]", count.problem());
    var kind = assertThrows(MalformedExampleException.class, () -> new FeatureSelection(
        List.of(new FeatureSelection.Wanted("x", WireKind.INT64_LIST, -1, ""))).read(example));
    assertEquals("feature 'x' holds float32 values, not int64", kind.problem());
    var missing = assertThrows(MalformedExampleException.class, () -> new FeatureSelection(
        List.of(new FeatureSelection.Wanted("y", WireKind.INT64_LIST, 1, "a scalar"))).read(example));
    assertEquals("feature 'y' is missing, expected 1 int64 value, a scalar", missing.problem());
  }

  /** A length past the enclosing message is clamped to it (CodedInputStream::PushLimit), not refused. */
  @Test
  void overlongFeaturesLengthIsClampedToTheRecord() throws Exception {
    byte[] entries = entry("a", feature(3, longsPacked(4)));
    byte[] features = Wire.of().bytesField(1, entries).bytes();
    byte[] record = Wire.of().tag(1, 2).varint(features.length + 50).raw(features).bytes();
    example.parse(MemorySegment.ofArray(record));
    assertEquals(1, example.entryCount());
  }

  /** A list body starting with a 0x00 byte is no empty list: TensorFlow fails it. */
  @Test
  void listBodyStartingWithZeroFails() throws Exception {
    for (int kind : new int[] {2, 3}) {
      example.parse(MemorySegment.ofArray(example(entry("x", feature(kind, new byte[] {0, 5})))));
      assertThrows(MalformedExampleException.class, () -> values.decode(example, 0), "kind " + kind);
    }
  }
}

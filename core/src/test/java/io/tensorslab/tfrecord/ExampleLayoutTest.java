package io.tensorslab.tfrecord;

import static io.tensorslab.tfrecord.Wire.bytesList;
import static io.tensorslab.tfrecord.Wire.entry;
import static io.tensorslab.tfrecord.Wire.example;
import static io.tensorslab.tfrecord.Wire.feature;
import static io.tensorslab.tfrecord.Wire.floatsPacked;
import static io.tensorslab.tfrecord.Wire.longsPacked;
import static io.tensorslab.tfrecord.Wire.longsUnpacked;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link FeatureSelection#read(ExampleView, MemorySegment)}, which reuses the last full read's
 * framing ({@link ExampleLayout}), against the full read ({@code parse} then {@code read}) of the
 * same record: the same values or the same error, for records that differ from the remembered one
 * only in their values and for records mutated anywhere.
 */
class ExampleLayoutTest {

  private static final List<FeatureSpec> SPECS = FeatureSpec.parseAll(List.of(
      "img:float32:4", "label:int64:", "tokens:int64:*", "id:bytes:"));

  private static byte[] record(float f, long label, long token, String id, String extra) {
    return example(
        entry("img", feature(2, floatsPacked(f, f + 1, f + 2, f + 3))),
        entry("label", feature(3, longsPacked(label))),
        entry("tokens", feature(3, longsUnpacked(token, token + 1))),
        entry("extra", feature(1, bytesList(extra))),
        entry("id", feature(1, bytesList(id))));
  }

  /** What a read gave: every feature's kind, count and values, or the error's message. */
  private static String outcome(FeatureSelection selection, Reader read) {
    try {
      read.run();
    } catch (MalformedExampleException e) {
      return "error: " + e.getMessage();
    }
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < SPECS.size(); i++) {
      FeatureValues v = selection.values(i);
      s.append(v.kind()).append(' ').append(v.count()).append(' ');
      switch (v.kind()) {
        case FLOAT_LIST -> {
          MemorySegment floats = Arena.ofAuto().allocate(Math.max(1, 4L * v.count()));
          v.copyFloats(floats, 0);
          s.append(Arrays.toString(floats.asSlice(0, 4L * v.count()).toArray(ValueLayout.JAVA_INT)));
        }
        case INT64_LIST -> s.append(Arrays.toString(Arrays.copyOf(v.longs(), v.count())));
        case BYTES_LIST -> {
          for (int k = 0; k < v.count(); k++) {
            s.append(Arrays.toString(v.bytesAt(k).toArray(ValueLayout.JAVA_BYTE)));
          }
        }
        case NONE -> { }
      }
      s.append("; ");
    }
    return s.toString();
  }

  @FunctionalInterface
  private interface Reader {
    void run() throws MalformedExampleException;
  }

  /** The full read of {@code bytes}, on a view and selection of its own. */
  private static String fullRead(byte[] bytes) {
    FeatureSelection reference = FeatureSelection.of(SPECS);
    ExampleView view = new ExampleView();
    return outcome(reference, () -> {
      view.parse(MemorySegment.ofArray(bytes));
      reference.read(view);
    });
  }

  @Test
  void recordsDifferingOnlyInTheirValuesReuseTheFramingAndReadTheirOwnValues() {
    FeatureSelection selection = FeatureSelection.of(SPECS);
    ExampleView view = new ExampleView();
    byte[] first = record(1.5f, 7, 150, "ab", "zz"); // tokens of two varint bytes, as those below
    assertEquals(fullRead(first), outcome(selection, () -> selection.read(view, MemorySegment.ofArray(first))));
    assertEquals(0, selection.layoutReads());
    for (int i = 0; i < 50; i++) {
      // label and tokens keep their varint lengths, id and extra their lengths: the same framing
      byte[] next = record(-3.25f * i, 8 + i % 100, 200 + i, "c" + (char) ('a' + i % 26), "y" + i % 10);
      assertEquals(fullRead(next), outcome(selection, () -> selection.read(view, MemorySegment.ofArray(next))));
    }
    assertEquals(50, selection.layoutReads());
  }

  @Test
  void aRecordMutatedAnywhereReadsAsTheFullReadReadsIt() throws Exception {
    SplittableRandom random = new SplittableRandom(2126);
    byte[] base = record(0.5f, 42, 300, "id", "xx");
    FeatureSelection selection = FeatureSelection.of(SPECS);
    ExampleView view = new ExampleView();
    int hits = 0;
    for (int trial = 0; trial < 20_000; trial++) {
      selection.read(view, MemorySegment.ofArray(base)); // remembered (or still remembered)
      byte[] mutant = base.clone();
      int changes = 1 + random.nextInt(3);
      for (int c = 0; c < changes; c++) {
        mutant[random.nextInt(mutant.length)] = (byte) random.nextInt(256);
      }
      long before = selection.layoutReads();
      String got = outcome(selection, () -> selection.read(view, MemorySegment.ofArray(mutant)));
      hits += (int) (selection.layoutReads() - before);
      assertEquals(fullRead(mutant), got, () -> "mutant " + Arrays.toString(mutant));
    }
    // Both paths were taken many times: mutations inside values keep the framing, others do not.
    assertTrue(hits > 2_000 && hits < 18_000, "layout reads: " + hits);
  }

  @Test
  void aValueOfTheSameLengthButAnotherStructureIsDecodedWithTheFullRules() throws Exception {
    FeatureSelection selection = FeatureSelection.of(SPECS);
    ExampleView view = new ExampleView();
    byte[] base = record(2f, 5, 9, "ab", "zz");
    selection.read(view, MemorySegment.ofArray(base));
    // label's Feature is 1a 03 | 0a 01 05 (an int64 list holding packed [5]); as 08 05 08 the list is
    // unpacked and its second value is cut off by the list's end: the full rules fail the record, and
    // the layout read, whose framing check passes (only the value's contents changed), must too.
    byte[] other = base.clone();
    int at = indexOf(base, feature(3, longsPacked(5))) + 2;
    other[at] = 0x08;
    other[at + 1] = 0x05;
    other[at + 2] = 0x08;
    String expected = fullRead(other);
    assertTrue(expected.startsWith("error: feature 'label'"), expected);
    assertEquals(expected, outcome(selection, () -> selection.read(view, MemorySegment.ofArray(other))));
    // and after that failure, a record of the base framing is still read right
    byte[] again = record(3f, 6, 9, "ab", "zz");
    assertEquals(fullRead(again), outcome(selection, () -> selection.read(view, MemorySegment.ofArray(again))));
  }

  @Test
  void aViewParsedElsewhereSinceIsParsedAgain() throws Exception {
    FeatureSelection selection = FeatureSelection.of(SPECS);
    ExampleView view = new ExampleView();
    selection.read(view, MemorySegment.ofArray(record(1f, 1, 1, "ab", "zz")));
    view.parse(MemorySegment.ofArray(example(entry("img", feature(2, floatsPacked(9f))))));
    byte[] next = record(4f, 2, 2, "cd", "yy");
    assertEquals(fullRead(next), outcome(selection, () -> selection.read(view, MemorySegment.ofArray(next))));
    assertEquals(0, selection.layoutReads());
  }

  @Test
  void aRecordOfAnotherLengthIsParsedInFull() throws Exception {
    FeatureSelection selection = FeatureSelection.of(SPECS);
    ExampleView view = new ExampleView();
    selection.read(view, MemorySegment.ofArray(record(1f, 1, 1, "ab", "zz")));
    byte[] longer = record(1f, 1, 1, "abc", "zz");
    assertEquals(fullRead(longer), outcome(selection, () -> selection.read(view, MemorySegment.ofArray(longer))));
    assertEquals(0, selection.layoutReads());
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int k = 0; k < needle.length; k++) {
        if (haystack[i + k] != needle[k]) {
          continue outer;
        }
      }
      return i;
    }
    throw new AssertionError("not found");
  }
}

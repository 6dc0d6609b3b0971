package io.tensorslab.tf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorslab.tf.TfEnv.Mode;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TString;
import org.tensorflow.types.family.TType;

class TStringsTest {

  static byte[] filled(int n, int seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  /** Empty, 1 byte, the largest inline (22), the smallest heap (23), 3 MiB, and bytes that are not UTF-8. */
  static final List<byte[]> EDGE_CASES = List.of(
      new byte[0],
      "a".getBytes(StandardCharsets.US_ASCII),
      filled(TStrings.SMALL_CAPACITY, 1),
      filled(TStrings.SMALL_CAPACITY + 1, 2),
      filled(3 << 20, 3),
      new byte[] {(byte) 0xFF, (byte) 0xFE, 0, (byte) 0x80, (byte) 0xC0, 0});

  static TString tensorOf(List<byte[]> values) {
    return TString.tensorOfBytes(NdArrays.vectorOfObjects(values.toArray(byte[][]::new)));
  }

  static byte[] bytesOf(MemorySegment structs, long i) {
    return TStrings.bytes(structs, i).toArray(ValueLayout.JAVA_BYTE);
  }

  @Test
  void edgeCasesDecodeFromATensorBuiltByTfJava() {
    try (TString t = tensorOf(EDGE_CASES)) {
      MemorySegment structs = TensorBytes.of(t);
      assertEquals(EDGE_CASES.size() * TStrings.STRUCT_SIZE, structs.byteSize());
      assertEquals(EDGE_CASES.size(), TStrings.count(structs));
      for (int i = 0; i < EDGE_CASES.size(); i++) {
        assertEquals(EDGE_CASES.get(i).length, TStrings.length(structs, i), "length of " + i);
        assertArrayEquals(EDGE_CASES.get(i), bytesOf(structs, i), "bytes of " + i);
      }
      // The inline/heap threshold is TF's TF_TString_SmallCapacity, 22.
      assertEquals(List.of(TStrings.SMALL, TStrings.SMALL, TStrings.SMALL, TStrings.LARGE, TStrings.LARGE, TStrings.SMALL),
          java.util.stream.IntStream.range(0, EDGE_CASES.size()).mapToObj(i -> TStrings.form(structs, i)).toList());
      assertEquals(3 << 20, TStrings.maxLength(structs));
    }
  }

  @Test
  void aHundredThousandStringsOfMixedLengths() {
    int n = 100_000;
    List<byte[]> values = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      byte[] b = new byte[i % 61];
      for (int j = 0; j < b.length; j++) {
        b[j] = (byte) (i * 31 + j);
      }
      values.add(b);
    }
    try (TString t = tensorOf(values)) {
      MemorySegment structs = TensorBytes.of(t);
      assertEquals(n, TStrings.count(structs));
      long total = 0;
      for (int i = 0; i < n; i++) {
        MemorySegment s = TStrings.bytes(structs, i);
        assertEquals(values.get(i).length, s.byteSize());
        assertTrue(MemorySegment.ofArray(values.get(i)).mismatch(s) < 0, "element " + i);
        total += s.byteSize();
      }
      assertEquals(values.stream().mapToLong(b -> b.length).sum(), total);
      assertEquals(60, TStrings.maxLength(structs));
    }
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void stringsComeThroughABatchedDataset(Mode mode) throws Exception {
    List<byte[]> values = new ArrayList<>(EDGE_CASES);
    values.add("ünïcödé".getBytes(StandardCharsets.UTF_8));
    try (TfEnv env = TfEnv.of(mode); TString t = tensorOf(values)) {
      var slices = env.tf.data.tensorSliceDataset(List.of(env.tf.constantOf(t)), List.of(Shape.scalar()));
      List<Class<? extends TType>> types = List.of(TString.class);
      var batched = env.batch(slices, 3, types, List.of(Shape.scalar()));
      List<byte[]> seen = new ArrayList<>();
      List<Long> batchSizes = new ArrayList<>();
      try (BatchSource source = env.open(batched, types, List.of(Shape.of(-1)))) {
        assertEquals(3, source.spec().cardinality());
        for (List<Tensor> batch; (batch = source.next()) != null; ) {
          try {
            MemorySegment structs = TensorBytes.of(batch.get(0));
            batchSizes.add(TStrings.count(structs));
            for (long i = 0; i < TStrings.count(structs); i++) {
              seen.add(bytesOf(structs, i));
            }
          } finally {
            batch.forEach(Tensor::close);
          }
        }
      }
      assertEquals(List.of(3L, 3L, 1L), batchSizes);
      assertEquals(values.size(), seen.size());
      for (int i = 0; i < values.size(); i++) {
        assertArrayEquals(values.get(i), seen.get(i), "string " + i);
      }
    }
  }

  @Test
  void offsetAndViewFormsAreReadWhereTheyPoint() {
    try (Arena arena = Arena.ofConfined()) {
      byte[] offsetText = "offset-form string, longer than twenty-two".getBytes(StandardCharsets.US_ASCII);
      byte[] viewText = "a view into memory TF does not own".getBytes(StandardCharsets.US_ASCII);
      // Two structs, then the offset string's bytes in the same allocation (the serialized layout).
      MemorySegment buffer = arena.allocate(2 * TStrings.STRUCT_SIZE + offsetText.length, 8);
      MemorySegment.copy(offsetText, 0, buffer, ValueLayout.JAVA_BYTE, 2 * TStrings.STRUCT_SIZE, offsetText.length);
      buffer.set(ValueLayout.JAVA_INT, 0, offsetText.length << 2 | TStrings.OFFSET);
      buffer.set(ValueLayout.JAVA_INT, 4, (int) (2 * TStrings.STRUCT_SIZE)); // counted from struct 0
      buffer.set(ValueLayout.JAVA_INT, 8, 1);
      MemorySegment viewed = arena.allocateFrom(ValueLayout.JAVA_BYTE, viewText);
      buffer.set(ValueLayout.JAVA_LONG, 24, (long) viewText.length << 2 | TStrings.VIEW);
      buffer.set(ValueLayout.JAVA_LONG, 32, viewed.address());

      MemorySegment structs = buffer.asSlice(0, 2 * TStrings.STRUCT_SIZE);
      assertEquals(2, TStrings.count(structs));
      assertEquals(TStrings.OFFSET, TStrings.form(structs, 0));
      assertEquals(TStrings.VIEW, TStrings.form(structs, 1));
      assertEquals(offsetText.length, TStrings.length(structs, 0));
      assertArrayEquals(offsetText, bytesOf(structs, 0));
      assertEquals(buffer.address() + 2 * TStrings.STRUCT_SIZE, TStrings.bytes(structs, 0).address());
      assertArrayEquals(viewText, bytesOf(structs, 1));
      assertEquals(viewed.address(), TStrings.bytes(structs, 1).address());
    }
  }

  @Test
  void badInputsFailWithMessages() {
    try (Arena arena = Arena.ofConfined()) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TStrings.count(arena.allocate(25)));
      assertEquals("not a TF_TString array: 25 bytes is not a multiple of 24", e.getMessage());
      MemorySegment one = arena.allocate(24, 8);
      IndexOutOfBoundsException oob = assertThrows(IndexOutOfBoundsException.class, () -> TStrings.bytes(one, 1));
      assertEquals("string element 1 out of range [0, 1)", oob.getMessage());
      one.set(ValueLayout.JAVA_BYTE, 0, (byte) (23 << 2)); // a "small" string claiming 23 inline bytes
      IllegalStateException corrupt = assertThrows(IllegalStateException.class, () -> TStrings.bytes(one, 0));
      assertTrue(corrupt.getMessage().startsWith("corrupt TF_TString at element 0"), corrupt.getMessage());
      assertEquals(0, TStrings.count(MemorySegment.NULL));
    }
  }

  @Test
  void layoutIsTheCStruct() {
    assertEquals(24, TStrings.LAYOUT.byteSize());
    assertEquals(Arrays.asList(24L, 24L, 24L, 24L, 24L),
        TStrings.LAYOUT.memberLayouts().stream().map(l -> l.byteSize()).toList());
    try (TString empty = TString.tensorOfBytes(Shape.of(0), DataBuffers.ofObjects(byte[].class, 0))) {
      assertEquals(0, TStrings.count(TensorBytes.of(empty)));
    }
  }
}

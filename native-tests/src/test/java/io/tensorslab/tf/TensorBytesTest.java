package io.tensorslab.tf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TType;

class TensorBytesTest {

  static List<Class<? extends TType>> types() {
    return BatchSourceTest.FIXED_TYPES;
  }

  @ParameterizedTest
  @MethodSource("types")
  void theSegmentIsTheTensorsOwnBytes(Class<? extends TType> type) {
    Shape shape = Shape.of(3, 5);
    byte[] bytes = Fixtures.bytes(type, shape.size(), 7);
    try (Tensor t = Tensor.of(type, shape, DataBuffers.of(bytes, true, false))) {
      MemorySegment s = TensorBytes.of(t);
      assertEquals(t.numBytes(), s.byteSize());
      assertEquals(shape.size() * TfDtypes.toNpy(type).itemSize(), s.byteSize());
      assertArrayEquals(bytes, s.toArray(ValueLayout.JAVA_BYTE));
      assertTrue(s.isNative());
      // a view, not a copy: a write through the tensor's own buffer shows in the segment
      t.asRawTensor().data().setByte((byte) ~bytes[0], 0);
      assertEquals((byte) ~bytes[0], s.get(ValueLayout.JAVA_BYTE, 0));
    }
  }

  @Test
  void zeroElementTensorsGiveAnEmptySegment() {
    try (TFloat32 t = TFloat32.tensorOf(Shape.of(4, 0)); TInt64 scalar = TInt64.scalarOf(-2)) {
      assertEquals(0, TensorBytes.of(t).byteSize());
      assertEquals(-2L, TensorBytes.of(scalar).get(ValueLayout.JAVA_LONG, 0));
    }
  }

  @Test
  void aClosedTensorIsRejected() {
    TFloat32 t = TFloat32.scalarOf(1f);
    t.close();
    assertThrows(IllegalStateException.class, () -> TensorBytes.of(t));
  }
}

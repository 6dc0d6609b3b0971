package io.tensorslab.tf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorslab.npy.NpyDtype;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TBfloat16;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat16;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;
import org.tensorflow.types.TUint16;
import org.tensorflow.types.TUint8;
import org.tensorflow.types.family.TType;

class TfDtypesTest {

  static Stream<Arguments> table() {
    return Stream.of(
        Arguments.of(TBool.class, DataType.DT_BOOL, "|b1"),
        Arguments.of(TUint8.class, DataType.DT_UINT8, "|u1"),
        Arguments.of(TUint16.class, DataType.DT_UINT16, "<u2"),
        Arguments.of(TInt32.class, DataType.DT_INT32, "<i4"),
        Arguments.of(TInt64.class, DataType.DT_INT64, "<i8"),
        Arguments.of(TFloat16.class, DataType.DT_HALF, "<f2"),
        Arguments.of(TFloat32.class, DataType.DT_FLOAT, "<f4"),
        Arguments.of(TFloat64.class, DataType.DT_DOUBLE, "<f8"),
        Arguments.of(TBfloat16.class, DataType.DT_BFLOAT16, "<V2"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void everyFixedWidthTypeMapsBothWays(Class<? extends TType> type, DataType dataType, String descr) throws Exception {
    NpyDtype npy = TfDtypes.toNpy(type);
    assertEquals(descr, npy.descr());
    assertEquals(npy, TfDtypes.toNpy(dataType));
    assertEquals(dataType, TfDtypes.dataType(type));
    assertEquals(type, TfDtypes.fromDataType(dataType));
    assertEquals(type, TfDtypes.fromNpy(NpyDtype.parse(descr)));
    assertFalse(TfDtypes.isVariableWidth(type));
    // the item size is what TF really stores per element
    try (Tensor t = Tensor.of(type, Shape.of(7))) {
      assertEquals(dataType, t.dataType());
      assertEquals(7L * npy.itemSize(), t.numBytes());
    }
  }

  @Test
  void stringsAreVariableWidth() {
    assertTrue(TfDtypes.isVariableWidth(TString.class));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TfDtypes.toNpy(TString.class));
    assertTrue(e.getMessage().contains("TString is variable-width"), e.getMessage());
    assertEquals(TString.class, TfDtypes.fromNpy(NpyDtype.bytes(12)));
    assertEquals(DataType.DT_STRING, TfDtypes.dataType(TString.class));
  }

  @Test
  void unsupportedTypesAreNamed() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TfDtypes.toNpy(DataType.DT_COMPLEX64));
    assertEquals("unsupported tensor data type: DT_COMPLEX64 has no NumPy dtype mapping", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> TfDtypes.toNpy(TType.class));
    assertEquals("unsupported tensor type: org.tensorflow.types.family.TType has no NumPy dtype mapping", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> TfDtypes.fromNpy(NpyDtype.INT8));
    assertEquals("unsupported dtype: '|i1' (int8) has no TensorFlow Java tensor type", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> TfDtypes.fromNpy(new NpyDtype('>', 'f', 4)));
    assertTrue(e.getMessage().startsWith("unsupported dtype: '>f4'"), e.getMessage());
  }
}

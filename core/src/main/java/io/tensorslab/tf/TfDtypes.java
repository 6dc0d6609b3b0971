package io.tensorslab.tf;

import io.tensorslab.npy.NpyDtype;
import java.util.Objects;
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

/**
 * TensorFlow Java tensor types and the NumPy dtypes their bytes are stored as.
 *
 * <p>Every fixed-width TF Java type maps to the NumPy dtype whose items have the same bytes, so a
 * tensor's buffer is a valid {@code .npy} payload as it is:
 *
 * <table>
 *   <caption>TF Java type to NumPy descr</caption>
 *   <tr><th>TF Java</th><th>TF DataType</th><th>NumPy</th></tr>
 *   <tr><td>TBool</td><td>DT_BOOL</td><td>|b1</td></tr>
 *   <tr><td>TUint8</td><td>DT_UINT8</td><td>|u1</td></tr>
 *   <tr><td>TUint16</td><td>DT_UINT16</td><td>&lt;u2</td></tr>
 *   <tr><td>TInt32</td><td>DT_INT32</td><td>&lt;i4</td></tr>
 *   <tr><td>TInt64</td><td>DT_INT64</td><td>&lt;i8</td></tr>
 *   <tr><td>TFloat16</td><td>DT_HALF</td><td>&lt;f2</td></tr>
 *   <tr><td>TFloat32</td><td>DT_FLOAT</td><td>&lt;f4</td></tr>
 *   <tr><td>TFloat64</td><td>DT_DOUBLE</td><td>&lt;f8</td></tr>
 *   <tr><td>TBfloat16</td><td>DT_BFLOAT16</td><td><V2 ({@link NpyDtype#BFLOAT16_AS_VOID})</td></tr>
 *   <tr><td>TString</td><td>DT_STRING</td><td>variable width: see {@link TStrings}</td></tr>
 * </table>
 *
 * <p>{@code TString} has no fixed NumPy dtype: its tensor bytes are 24-byte structs pointing at the
 * strings, and the {@code |S{n}} width is only known after every element was seen. Ask
 * {@link #isVariableWidth} first; {@link #toNpy} rejects it.
 *
 * {@snippet :
 * NpyDtype d = TfDtypes.toNpy(TFloat32.class);            // <f4
 * Class<? extends TType> t = TfDtypes.fromNpy(NpyDtype.INT64); // TInt64.class
 * }
 */
public final class TfDtypes {

  private TfDtypes() {}

  /** True for types whose elements have no fixed byte width (only {@code TString}). */
  public static boolean isVariableWidth(Class<? extends TType> type) {
    return Objects.requireNonNull(type, "type") == TString.class;
  }

  /**
   * The NumPy dtype of a fixed-width TF Java type.
   *
   * @throws IllegalArgumentException for {@code TString} (variable width) and for any type not in
   *     the table above; the message names the type
   */
  public static NpyDtype toNpy(Class<? extends TType> type) {
    Objects.requireNonNull(type, "type");
    if (type == TBool.class) return NpyDtype.BOOL;
    if (type == TUint8.class) return NpyDtype.UINT8;
    if (type == TUint16.class) return NpyDtype.UINT16;
    if (type == TInt32.class) return NpyDtype.INT32;
    if (type == TInt64.class) return NpyDtype.INT64;
    if (type == TFloat16.class) return NpyDtype.FLOAT16;
    if (type == TFloat32.class) return NpyDtype.FLOAT32;
    if (type == TFloat64.class) return NpyDtype.FLOAT64;
    if (type == TBfloat16.class) return NpyDtype.BFLOAT16_AS_VOID;
    if (type == TString.class) {
      throw new IllegalArgumentException("TString is variable-width and has no fixed NumPy dtype;"
          + " decode it with TStrings (type=" + type.getSimpleName() + ")");
    }
    throw new IllegalArgumentException("unsupported tensor type: " + type.getName()
        + " has no NumPy dtype mapping");
  }

  /**
   * The NumPy dtype of a TF {@link DataType}.
   *
   * @throws IllegalArgumentException as {@link #toNpy(Class)}, naming the data type
   */
  public static NpyDtype toNpy(DataType dataType) {
    return toNpy(fromDataType(dataType));
  }

  /**
   * The TF Java type of a {@link DataType}.
   *
   * @throws IllegalArgumentException for a data type TF Java has no dense type class for here
   *     (e.g. {@code DT_COMPLEX64}, {@code DT_VARIANT}); the message names it
   */
  public static Class<? extends TType> fromDataType(DataType dataType) {
    Objects.requireNonNull(dataType, "dataType");
    return switch (dataType) {
      case DT_BOOL -> TBool.class;
      case DT_UINT8 -> TUint8.class;
      case DT_UINT16 -> TUint16.class;
      case DT_INT32 -> TInt32.class;
      case DT_INT64 -> TInt64.class;
      case DT_HALF -> TFloat16.class;
      case DT_FLOAT -> TFloat32.class;
      case DT_DOUBLE -> TFloat64.class;
      case DT_BFLOAT16 -> TBfloat16.class;
      case DT_STRING -> TString.class;
      default -> throw new IllegalArgumentException("unsupported tensor data type: " + dataType
          + " has no NumPy dtype mapping");
    };
  }

  /**
   * The TF {@link DataType} of a TF Java type.
   *
   * @throws IllegalArgumentException for a type not in the table above
   */
  public static DataType dataType(Class<? extends TType> type) {
    Objects.requireNonNull(type, "type");
    if (type == TBool.class) return DataType.DT_BOOL;
    if (type == TUint8.class) return DataType.DT_UINT8;
    if (type == TUint16.class) return DataType.DT_UINT16;
    if (type == TInt32.class) return DataType.DT_INT32;
    if (type == TInt64.class) return DataType.DT_INT64;
    if (type == TFloat16.class) return DataType.DT_HALF;
    if (type == TFloat32.class) return DataType.DT_FLOAT;
    if (type == TFloat64.class) return DataType.DT_DOUBLE;
    if (type == TBfloat16.class) return DataType.DT_BFLOAT16;
    if (type == TString.class) return DataType.DT_STRING;
    throw new IllegalArgumentException("unsupported tensor type: " + type.getName()
        + " has no NumPy dtype mapping");
  }

  /**
   * The TF Java type whose tensors have the bytes of {@code dtype}: the inverse of {@link #toNpy},
   * plus {@code |S{n}} to {@code TString}.
   *
   * @throws IllegalArgumentException for dtypes TF Java has no type for (int8, int16, uint32,
   *     uint64, complex, big-endian, other void widths); the message names the descr
   */
  public static Class<? extends TType> fromNpy(NpyDtype dtype) {
    Objects.requireNonNull(dtype, "dtype");
    if (dtype.kind() == 'S') {
      return TString.class;
    }
    if (dtype.equals(NpyDtype.BOOL)) return TBool.class;
    if (dtype.equals(NpyDtype.UINT8)) return TUint8.class;
    if (dtype.equals(NpyDtype.UINT16)) return TUint16.class;
    if (dtype.equals(NpyDtype.INT32)) return TInt32.class;
    if (dtype.equals(NpyDtype.INT64)) return TInt64.class;
    if (dtype.equals(NpyDtype.FLOAT16)) return TFloat16.class;
    if (dtype.equals(NpyDtype.FLOAT32)) return TFloat32.class;
    if (dtype.equals(NpyDtype.FLOAT64)) return TFloat64.class;
    if (dtype.equals(NpyDtype.BFLOAT16_AS_VOID)) return TBfloat16.class;
    throw new IllegalArgumentException("unsupported dtype: '" + dtype.descr() + "' ("
        + dtype.displayName() + ") has no TensorFlow Java tensor type");
  }
}

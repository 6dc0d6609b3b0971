package io.tensorslab.export;

import io.tensorslab.npy.NpyArray;
import io.tensorslab.npy.NpyDtype;
import io.tensorslab.npy.NpyHeader;
import io.tensorslab.tf.MappedTensors;
import io.tensorslab.tf.TfDtypes;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import org.tensorflow.ndarray.BooleanNdArray;
import org.tensorflow.ndarray.ByteNdArray;
import org.tensorflow.ndarray.DoubleNdArray;
import org.tensorflow.ndarray.FloatNdArray;
import org.tensorflow.ndarray.IntNdArray;
import org.tensorflow.ndarray.LongNdArray;
import org.tensorflow.ndarray.NdArray;
import org.tensorflow.ndarray.ShortNdArray;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.types.family.TType;

/**
 * One file an export wrote, mapped read-only: its NumPy dtype and shape, and zero-copy views of its
 * payload as a {@link MemorySegment} and as a TF Java {@link NdArray}. Owned by its
 * {@link ExportResult}; after the result is closed every view throws {@link IllegalStateException}.
 *
 * @param name the file's stem: the component name, or {@code name.values}, {@code name.row_splits},
 *     {@code name.lengths} for ragged and padded components
 * @param component the component the file belongs to
 * @param array the mapped file
 */
public record ExportedArray(String name, String component, NpyArray array) {

  public Path path() {
    return array.path();
  }

  public NpyDtype dtype() {
    return array.header().dtype();
  }

  public long[] shape() {
    return array.header().shape();
  }

  /** Rows: {@code shape()[0]}. */
  public long rows() {
    return array.header().rank() == 0 ? 1 : array.header().dim(0);
  }

  /** The payload, read-only, C order, little-endian; no copy. */
  public MemorySegment segment() {
    return array.segment();
  }

  /**
   * The payload as a read-only TF Java {@link NdArray} of the matching element type ({@code Float} for
   * float16/32 and bfloat16, {@code Byte} for bytes and uint8, ...), no copy. Limited to 2 GiB by
   * the NIO buffers NdArray wraps; use {@link #segment()} beyond that.
   */
  public NdArray<?> ndArray() {
    return NdArrayViews.of(array.header(), array.segment());
  }

  /** {@link #ndArray()} typed, for {@code <f4}, {@code <f2} and bfloat16 ({@code <V2}) files. */
  public FloatNdArray floatArray() {
    return typed(FloatNdArray.class, "floatArray()");
  }

  /** {@link #ndArray()} typed, for {@code <f8} files. */
  public DoubleNdArray doubleArray() {
    return typed(DoubleNdArray.class, "doubleArray()");
  }

  /** {@link #ndArray()} typed, for {@code <i8} files. */
  public LongNdArray longArray() {
    return typed(LongNdArray.class, "longArray()");
  }

  /** {@link #ndArray()} typed, for {@code <i4} files. */
  public IntNdArray intArray() {
    return typed(IntNdArray.class, "intArray()");
  }

  /** {@link #ndArray()} typed, for {@code <u2} files (the bits; Java has no unsigned short). */
  public ShortNdArray shortArray() {
    return typed(ShortNdArray.class, "shortArray()");
  }

  /**
   * {@link #ndArray()} typed, for {@code |u1} files (the bits; Java has no unsigned byte) and for
   * fixed-width bytes {@code |S{n}}, which get one more axis of length {@code n}.
   */
  public ByteNdArray byteArray() {
    return typed(ByteNdArray.class, "byteArray()");
  }

  /** {@link #ndArray()} typed, for {@code |b1} files. */
  public BooleanNdArray booleanArray() {
    return typed(BooleanNdArray.class, "booleanArray()");
  }

  private <V> V typed(Class<V> viewType, String method) {
    NdArray<?> view = ndArray();
    if (viewType.isInstance(view)) {
      return viewType.cast(view);
    }
    String instead = switch (view) {
      case FloatNdArray f -> "floatArray()";
      case DoubleNdArray d -> "doubleArray()";
      case LongNdArray l -> "longArray()";
      case IntNdArray i -> "intArray()";
      case ShortNdArray s -> "shortArray()";
      case ByteNdArray b -> "byteArray()";
      case BooleanNdArray b -> "booleanArray()";
      default -> "ndArray()";
    };
    throw new IllegalArgumentException(method + " does not fit: " + name + " is " + dtype().descr() + "; call "
        + instead + " (path=" + path() + ")");
  }

  /**
   * The payload as a TensorFlow tensor whose data <em>is</em> the file's bytes: TensorFlow reads the
   * page cache through its own mapping of the file, no copy is made. The tensor is yours to close;
   * the mapping lives until TensorFlow releases the buffer (also after the Java tensor is closed, if
   * an eager op or a dataset still holds it), independently of this result, so it never dangles.
   *
   * {@snippet :
   * try (ExportResult export = TensorSlab.open(dir); TFloat32 x = export.array("x").tensor(TFloat32.class)) {
   *   Operand<TFloat32> mean = tf.math.mean(tf.constantOf(x), tf.constant(0));
   * }
   * }
   *
   * @throws IllegalArgumentException when {@code type} is not this array's type, or for
   *     fixed-width bytes ({@code |S}), which TensorFlow keeps as string structs and cannot share
   * @throws IllegalStateException after the result is closed
   * @throws IOException if the file cannot be mapped again
   */
  public <T extends TType> T tensor(Class<T> type) throws IOException {
    Class<? extends TType> own = tensorType();
    if (own != type) {
      throw new IllegalArgumentException("tensor type mismatch: " + name + " is " + dtype().descr() + ", a "
          + own.getSimpleName() + ", not a " + type.getSimpleName() + "; call tensor(" + own.getSimpleName()
          + ".class) (path=" + path() + ")");
    }
    return MappedTensors.map(path(), array.payloadOffset(), type, Shape.of(shape()));
  }

  /** As {@link #tensor(Class)}, typed by the file's dtype. */
  public TType tensor() throws IOException {
    return tensor(tensorType());
  }

  /** The TF Java type whose tensors have this file's bytes ({@code TFloat32} for {@code <f4}, ...). */
  public Class<? extends TType> tensorType() {
    requireOpen();
    return TfDtypes.fromNpy(dtype());
  }

  private void requireOpen() {
    if (!array.segment().scope().isAlive()) {
      throw new IllegalStateException("Already closed: the result holding " + name + " was closed (path="
          + path() + ")");
    }
  }

  @Override
  public String toString() {
    return name + " " + dtype().descr() + " " + NpyHeader.shapeText(shape()) + " " + path();
  }
}

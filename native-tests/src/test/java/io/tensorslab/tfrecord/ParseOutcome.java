package io.tensorslab.tfrecord;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.NdArray;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;
import org.tensorflow.types.family.TType;

/**
 * What one parse of one record gave, in a form both readers' results compare in: null values for a
 * failure, else one array per output (float bits as {@code int[]}, int64s as {@code long[]}, bytes
 * as a list of hex strings). Also what both differential tests use to build TensorFlow's
 * parsing ops and read their tensors.
 */
record ParseOutcome(List<Object> values) {

  static final ParseOutcome FAILED = new ParseOutcome(null);

  boolean failed() {
    return values == null;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof ParseOutcome other) || failed() != other.failed()) {
      return false;
    }
    return failed() || Arrays.deepEquals(values.toArray(), other.values.toArray());
  }

  @Override
  public int hashCode() {
    return failed() ? 0 : values.size();
  }

  @Override
  public String toString() {
    if (failed()) {
      return "failed";
    }
    List<String> s = new ArrayList<>();
    for (Object v : values) {
      s.add(v instanceof int[] a ? Arrays.toString(a) : v instanceof long[] a ? Arrays.toString(a) : String.valueOf(v));
    }
    return s.toString();
  }

  /** How a differential run went: inputs compared, parsed alike, refused by both, kept from TensorFlow. */
  record Summary(long inputs, long parsed, long failed, long skipped) {}

  /**
   * One configuration of a differential run.
   *
   * @param name what the configuration asks for, for the failure message
   * @param next the next input for it
   * @param keptFromTensorFlow inputs TensorFlow must not see (it would misbehave on them)
   */
  record Contender(String name, java.util.function.Supplier<byte[]> next,
      java.util.function.Predicate<byte[]> keptFromTensorFlow,
      java.util.function.Function<byte[], ParseOutcome> tensorFlow,
      java.util.function.Function<byte[], ParseOutcome> nativeReader) {}

  /**
   * Feeds {@code inputs} inputs to the contenders, round robin, and fails on the first one where
   * TensorFlow and the native reader disagree, naming {@code run}, the configuration and the bytes.
   */
  static Summary compare(String run, List<Contender> contenders, int inputs) {
    long parsed = 0;
    long failed = 0;
    long skipped = 0;
    for (int i = 0; i < inputs; i++) {
      Contender c = contenders.get(i % contenders.size());
      byte[] record = c.next().get();
      if (c.keptFromTensorFlow().test(record)) {
        skipped++;
        continue;
      }
      ParseOutcome tf = c.tensorFlow().apply(record);
      ParseOutcome ours = c.nativeReader().apply(record);
      if (!tf.equals(ours)) {
        org.junit.jupiter.api.Assertions.fail("input " + i + " (" + run + ", config " + c.name() + "): TensorFlow "
            + tf + ", native " + ours + "; record " + HexFormat.of().formatHex(record));
      }
      if (tf.failed()) {
        failed++;
      } else {
        parsed++;
      }
    }
    return new Summary(inputs, parsed, failed, skipped);
  }

  /** A tensor's values in the outcome's form. */
  static Object valuesOf(Tensor t) {
    int n = (int) t.shape().size();
    if (t instanceof TFloat32 || t instanceof TInt64) {
      byte[] raw = new byte[(int) t.numBytes()];
      t.asRawTensor().data().read(raw);
      java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(raw).order(java.nio.ByteOrder.LITTLE_ENDIAN);
      if (t instanceof TFloat32) {
        int[] bits = new int[n];
        bb.asIntBuffer().get(bits);
        return bits;
      }
      long[] a = new long[n];
      bb.asLongBuffer().get(a);
      return a;
    }
    NdArray<byte[]> b = ((TString) t).asBytes();
    List<String> s = new ArrayList<>();
    b.scalars().forEach(x -> s.add(HexFormat.of().formatHex(x.getObject())));
    return s;
  }

  /** The TF Java type a spec's values parse to. */
  static Class<? extends TType> typeOf(FeatureSpec f) {
    return switch (f.dtype()) {
      case FLOAT32 -> TFloat32.class;
      case INT64 -> TInt64.class;
      case BYTES -> TString.class;
    };
  }

  /** A string vector constant. */
  static Operand<TString> strings(Ops tf, String... values) {
    NdArray<String> v = NdArrays.ofObjects(String.class, Shape.of(values.length));
    for (int i = 0; i < values.length; i++) {
      v.setObject(values[i], i);
    }
    return tf.constant(v);
  }

  /** One serialized record as a string vector of one, for a placeholder. */
  static TString batchOfOne(byte[] record) {
    NdArray<byte[]> in = NdArrays.ofObjects(byte[].class, Shape.of(1));
    in.setObject(record, 0);
    return TString.tensorOfBytes(in);
  }
}

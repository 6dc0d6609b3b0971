package io.tensorslab.tfrecord;

/**
 * Which value list a {@code tf.train.Feature} holds, decided as TensorFlow's fast parser decides it:
 * by the first byte of the serialized {@code Feature} alone. Whatever follows the first list (a
 * second list of another kind, the same list repeated) is never read by TensorFlow, so not here
 * either.
 */
public enum WireKind {
  /** {@code bytes_list} (field 1): TensorFlow's {@code DT_STRING}. */
  BYTES_LIST("bytes"),
  /** {@code float_list} (field 2): {@code DT_FLOAT}. */
  FLOAT_LIST("float32"),
  /** {@code int64_list} (field 3): {@code DT_INT64}. */
  INT64_LIST("int64"),
  /**
   * An empty {@code Feature} (no list at all): {@code DT_INVALID}. TensorFlow takes it for a
   * missing value in a fixed feature and for an empty row in a variable-length one.
   */
  NONE("none");

  private final String valueName;

  WireKind(String valueName) {
    this.valueName = valueName;
  }

  /** The name of the values in messages and on the command line: {@code bytes}, {@code float32}, {@code int64}, {@code none}. */
  public String valueName() {
    return valueName;
  }

  /** The kind a serialized {@code Feature} starting with {@code firstByte} holds, or null for TensorFlow's "Unsupported datatype". */
  static WireKind ofFirstByte(int firstByte) {
    return switch (firstByte) {
      case 0x0a -> BYTES_LIST;
      case 0x12 -> FLOAT_LIST;
      case 0x1a -> INT64_LIST;
      default -> null;
    };
  }
}

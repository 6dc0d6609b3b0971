package io.tensorslab.export;

import java.util.Arrays;
import java.util.Objects;

/**
 * What an export does with a component whose row shape differs between batches: the usual case
 * for {@code padded_batch} output (each batch padded to its own longest element) and for
 * variable-length features. Chosen per component with {@link ExportBuilder#shapePolicy(String, ShapePolicy)}.
 *
 * <ul>
 *   <li>{@link #ERROR} (default): every batch must have the rows of the first; a batch that differs
 *       ends the export, naming the component, the batch and both shapes. Output {@code NAME.npy}.
 *   <li>{@link #PAD} / {@link #pad(long...)}: rows are padded with a value (default 0, or empty
 *       bytes for strings) to the largest shape seen, or to a fixed shape. Output {@code NAME.npy}
 *       of shape {@code [rows, *padShape]} and {@code NAME.lengths.npy} (int64, one per row: the
 *       unpadded length of the first row dim that varies).
 *   <li>{@link #RAGGED}: rows are concatenated without padding. Output {@code NAME.values.npy}
 *       (the flat values) and {@code NAME.row_splits.npy} (int64, rows + 1, starting at 0), exactly
 *       {@code tf.RaggedTensor}'s {@code flat_values} and {@code row_splits}. A row's length is the
 *       width of its batch (dim 1 of the batch tensor).
 * </ul>
 *
 * {@snippet :
 * TensorSlab.export(ds).to(dir).names("tokens", "label")
 *     .shapePolicy("tokens", ShapePolicy.PAD.withValue(-1))   // tokens.npy, tokens.lengths.npy
 *     .run();
 * }
 */
public sealed interface ShapePolicy permits ShapePolicy.Error, ShapePolicy.Pad, ShapePolicy.Ragged {

  /** Every batch must have the row shape of the first (the default). */
  ShapePolicy ERROR = new Error();

  /** Pad to the largest row shape seen, with 0 (empty bytes for strings). */
  Pad PAD = new Pad(null, 0, null);

  /** Flat values plus {@code row_splits}, like {@code tf.RaggedTensor}. */
  ShapePolicy RAGGED = new Ragged();

  /**
   * Pad every row to {@code rowShape} (without the batch dim); a dim of -1 pads to the largest seen.
   * A batch with rows larger than this shape ends the export with an error naming the shapes.
   */
  static Pad pad(long... rowShape) {
    return new Pad(rowShape, 0, null);
  }

  /** See {@link #ERROR}. */
  record Error() implements ShapePolicy {
    @Override
    public String toString() {
      return "ShapePolicy.ERROR";
    }
  }

  /** See {@link #RAGGED}. */
  record Ragged() implements ShapePolicy {
    @Override
    public String toString() {
      return "ShapePolicy.RAGGED";
    }
  }

  /**
   * See {@link #PAD}.
   *
   * @param rowShape the padded shape of one row, -1 for "largest seen"; null for largest seen in every dim
   * @param value the pad value for numeric components, converted to the component's dtype
   * @param bytes the pad value for string components; null for empty
   */
  record Pad(long[] rowShape, double value, byte[] bytes) implements ShapePolicy {

    public Pad {
      if (rowShape != null) {
        rowShape = rowShape.clone();
        for (long d : rowShape) {
          if (d < -1) {
            throw new IllegalArgumentException("pad shape dims must be >= 0, or -1 for the largest seen, got "
                + Arrays.toString(rowShape));
          }
        }
      }
      bytes = bytes == null ? null : bytes.clone();
    }

    /** The same padding with {@code value} as the pad for numeric components. */
    public Pad withValue(double value) {
      return new Pad(rowShape, value, bytes);
    }

    /** The same padding with {@code bytes} as the pad for string components. */
    public Pad withBytes(byte[] bytes) {
      return new Pad(rowShape, value, Objects.requireNonNull(bytes, "bytes"));
    }

    @Override
    public long[] rowShape() {
      return rowShape == null ? null : rowShape.clone();
    }

    @Override
    public byte[] bytes() {
      return bytes == null ? null : bytes.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Pad p && Arrays.equals(p.rowShape, rowShape)
          && Double.compare(p.value, value) == 0 && Arrays.equals(p.bytes, bytes);
    }

    @Override
    public int hashCode() {
      return Objects.hash(Arrays.hashCode(rowShape), value, Arrays.hashCode(bytes));
    }

    @Override
    public String toString() {
      return "ShapePolicy.PAD(" + (rowShape == null ? "largest seen" : Arrays.toString(rowShape))
          + ", value " + value + (bytes == null ? "" : ", " + bytes.length + " pad bytes") + ")";
    }
  }
}

package io.tensorslab.store;

import io.tensorslab.npy.NpyDtype;
import java.util.Arrays;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What a {@link RowStore} holds: rows of {@code rowShape} items of {@code dtype}, under an output
 * name. The array's shape is {@code [rows, *rowShape]}.
 *
 * @param name the output's name relative to the output directory, without a format suffix:
 *     {@code "images"} becomes {@code images.npy}; {@code '/'} separates nested directories
 *     ({@code "train/images"}), each part made of letters, digits, {@code _ - .}, not starting with
 *     {@code .} or {@code -}
 * @param dtype the item type
 * @param rowShape the shape of one row, every dim known and {@code >= 0}
 */
public record RowLayout(String name, NpyDtype dtype, long[] rowShape) {
  private static final Pattern PART = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}");

  public RowLayout {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(dtype, "dtype");
    rowShape = rowShape.clone();
    for (String part : name.split("/", -1)) {
      if (!PART.matcher(part).matches()) {
        throw new IllegalArgumentException("output name '" + name + "' cannot be a path inside the output "
            + "directory: each '/'-separated part must be letters, digits, '_', '-', '.', not starting with '.' or '-'");
      }
    }
    for (long d : rowShape) {
      if (d < 0) {
        throw new IllegalArgumentException("row shape dims must be >= 0, got " + Arrays.toString(rowShape)
            + " (output=" + name + ")");
      }
    }
  }

  @Override
  public long[] rowShape() {
    return rowShape.clone();
  }

  /** The array's shape for {@code rows} rows: {@code [rows, *rowShape]}. */
  public long[] shapeWithRows(long rows) {
    long[] shape = new long[rowShape.length + 1];
    shape[0] = rows;
    System.arraycopy(rowShape, 0, shape, 1, rowShape.length);
    return shape;
  }

  /** Bytes of one row; an {@link IllegalArgumentException} on overflow. */
  public long rowBytes() {
    long n = dtype.itemSize();
    for (long d : rowShape) {
      try {
        n = Math.multiplyExact(n, d);
      } catch (ArithmeticException e) {
        throw new IllegalArgumentException("row shape " + Arrays.toString(rowShape) + " of " + dtype.descr()
            + " overflows a 64-bit size (output=" + name + ")", e);
      }
    }
    return n;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RowLayout l && l.name.equals(name) && l.dtype.equals(dtype) && Arrays.equals(l.rowShape, rowShape);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, dtype, Arrays.hashCode(rowShape));
  }

  @Override
  public String toString() {
    return "RowLayout[" + name + ", " + dtype.descr() + ", row " + Arrays.toString(rowShape) + "]";
  }
}

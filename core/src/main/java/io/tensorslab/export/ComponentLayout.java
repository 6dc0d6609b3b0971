package io.tensorslab.export;

import io.tensorslab.npy.NpyDtype;
import java.util.Arrays;
import org.tensorflow.types.family.TType;

/**
 * One component of the dataset as it will be written: its name, TensorFlow type, NumPy dtype and
 * the shape of one row (an element of the batch). Dims TensorFlow does not know statically are -1
 * here until the first batch settles them.
 *
 * @param index position in the dataset's flattened element structure
 * @param name output name: files are {@code name.npy} (and {@code name.values.npy}, ... for ragged data)
 * @param type the TF Java tensor type
 * @param dtype the NumPy dtype written, or null for variable-width types (strings)
 * @param rowShape the shape of one row, -1 where unknown; null when even the rank is unknown
 */
public record ComponentLayout(int index, String name, Class<? extends TType> type, NpyDtype dtype, long[] rowShape) {

  /**
   * Refuses only a name ending in {@code .npy} (the export adds it) and the manifest's own name; any
   * other name is accepted: {@link io.tensorslab.store.OutputNames} maps it to a file inside the output
   * directory ('/' nests, anything unsafe is escaped); two names on one file are refused when the
   * destinations are checked.
   */
  static void checkName(String name, int index) {
    java.util.Objects.requireNonNull(name, "component name " + index);
    if (name.endsWith(".npy")) {
      String stem = name.substring(0, name.length() - 4);
      throw new IllegalArgumentException("component name '" + name + "' ends in .npy, which the export adds itself:"
          + " give names(\"" + stem + "\", ...) for " + stem + ".npy (component=" + index + ")");
    }
    if (name.equals(Manifest.FILE_NAME)) {
      throw new IllegalArgumentException("component name '" + name + "' is the export's own manifest file: give"
          + " names(...) another name (component=" + index + ")");
    }
  }

  public ComponentLayout {
    rowShape = rowShape == null ? null : rowShape.clone();
  }

  @Override
  public long[] rowShape() {
    return rowShape == null ? null : rowShape.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ComponentLayout c && c.index == index && c.name.equals(name) && c.type.equals(type)
        && java.util.Objects.equals(c.dtype, dtype) && Arrays.equals(c.rowShape, rowShape);
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(index, name, type, dtype, Arrays.hashCode(rowShape));
  }

  @Override
  public String toString() {
    return "ComponentLayout[" + index + " " + name + ", " + type.getSimpleName() + ", "
        + (dtype == null ? "variable width" : dtype.descr()) + ", row " + (rowShape == null ? "of unknown rank" : Arrays.toString(rowShape)) + "]";
  }
}

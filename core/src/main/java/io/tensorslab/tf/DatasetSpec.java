package io.tensorslab.tf;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.types.family.TType;

/**
 * What a dataset says about its elements before it is read: one type and one static shape per
 * component, and how many elements it has.
 *
 * <p>For a batched dataset an element is a batch: shapes have a leading batch dimension (usually
 * unknown, {@code -1}, because the last batch may be short) and {@link #cardinality} counts batches,
 * as TensorFlow's {@code DatasetCardinality} op does.
 *
 * {@snippet :
 * DatasetSpec spec = source.spec();
 * if (spec.isInfinite()) throw new IllegalArgumentException("dataset never ends; add take(n)");
 * long batches = spec.hasKnownCardinality() ? spec.cardinality() : -1;
 * }
 *
 * @param types TF Java type of each component, in order
 * @param shapes static shape of each component as the dataset declares it (may hold {@code -1}s)
 * @param cardinality element count, or {@link #INFINITE} or {@link #UNKNOWN}
 */
public record DatasetSpec(List<Class<? extends TType>> types, List<Shape> shapes, long cardinality) {

  /** Cardinality of a dataset that never ends, e.g. after {@code repeat()} ({@code tf.data.INFINITE_CARDINALITY}). */
  public static final long INFINITE = -1;

  /** Cardinality TensorFlow cannot tell without reading, e.g. after {@code filter} ({@code tf.data.UNKNOWN_CARDINALITY}). */
  public static final long UNKNOWN = -2;

  public DatasetSpec {
    types = List.copyOf(Objects.requireNonNull(types, "types"));
    shapes = List.copyOf(Objects.requireNonNull(shapes, "shapes"));
    if (types.isEmpty()) {
      throw new IllegalArgumentException("a dataset has at least one component, got none");
    }
    if (types.size() != shapes.size()) {
      throw new IllegalArgumentException("dataset spec needs one shape per type: " + types.size()
          + " types, " + shapes.size() + " shapes");
    }
    if (cardinality < UNKNOWN) {
      throw new IllegalArgumentException("cardinality must be >= 0, INFINITE (-1) or UNKNOWN (-2), got "
          + cardinality);
    }
  }

  /** The number of components in each element. */
  public int componentCount() {
    return types.size();
  }

  /** The type of component {@code index}. */
  public Class<? extends TType> type(int index) {
    return types.get(index);
  }

  /** The static shape of component {@code index}. */
  public Shape shape(int index) {
    return shapes.get(index);
  }

  /** True when {@link #cardinality} is an element count. */
  public boolean hasKnownCardinality() {
    return cardinality >= 0;
  }

  /** True when the dataset never ends. */
  public boolean isInfinite() {
    return cardinality == INFINITE;
  }

  /** {@code "12"}, {@code "infinite"} or {@code "unknown"}: for messages. */
  public static String describeCardinality(long cardinality) {
    if (cardinality == INFINITE) return "infinite";
    if (cardinality == UNKNOWN) return "unknown";
    return Long.toString(cardinality);
  }

  /**
   * Equal types, cardinality and shapes dimension by dimension. TF Java's {@code Shape.equals} is
   * false whenever a dimension is unknown (even for {@code [-1, 3]} against itself), which would
   * make two specs of the same batched dataset unequal.
   */
  @Override
  public boolean equals(Object o) {
    if (this == o) return true;
    if (!(o instanceof DatasetSpec other)) return false;
    if (cardinality != other.cardinality || !types.equals(other.types) || shapes.size() != other.shapes.size()) {
      return false;
    }
    for (int i = 0; i < shapes.size(); i++) {
      if (!Arrays.equals(shapes.get(i).asArray(), other.shapes.get(i).asArray())) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    int h = Long.hashCode(cardinality) * 31 + types.hashCode();
    for (Shape s : shapes) {
      h = h * 31 + Arrays.hashCode(s.asArray());
    }
    return h;
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder("DatasetSpec[");
    for (int i = 0; i < types.size(); i++) {
      s.append(i == 0 ? "" : ", ").append(types.get(i).getSimpleName()).append(shapes.get(i));
    }
    return s.append(", cardinality=").append(describeCardinality(cardinality)).append(']').toString();
  }
}

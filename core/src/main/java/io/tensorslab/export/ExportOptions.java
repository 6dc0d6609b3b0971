package io.tensorslab.export;

import io.tensorslab.npy.NpyDtype;
import io.tensorslab.store.StoreFormat;
import io.tensorslab.tf.ReadOptions;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What {@link ExportBuilder} was told, frozen when {@link ExportBuilder#run()} starts: the rest of
 * the export reads only this, never the mutable builder.
 *
 * @param directory the output directory, absolute and normalized
 * @param names component names in dataset order, or null for {@code component_N}
 * @param limitRows rows to stop after, or -1 for all
 * @param shapePolicies per component name
 * @param rowSplitPairs output name to [values component, row splits component]
 * @param format the kind of store every output is written to
 * @param writeAs NumPy dtypes to write components under instead of their tensor type's, by name
 */
record ExportOptions(ExportBuilder.SourceOpener opener, Path directory, List<String> names, long limitRows,
    boolean overwrite, boolean durable, ReadOptions read, ExportListener listener, Cancellation cancellation,
    Map<String, ShapePolicy> shapePolicies, ShapePolicy defaultShapePolicy, Map<String, List<String>> rowSplitPairs,
    StoreFormat format, Map<String, NpyDtype> writeAs) {

  ExportOptions {
    names = names == null ? null : List.copyOf(names);
    shapePolicies = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(shapePolicies));
    rowSplitPairs = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(rowSplitPairs));
    writeAs = Map.copyOf(writeAs);
  }

  /** The shape policy of component {@code name}. */
  ShapePolicy policyOf(String name) {
    return shapePolicies.getOrDefault(name, defaultShapePolicy);
  }

  /**
   * The policy of {@code layout}: its own, else the default, except that the default leaves scalar
   * rows (a label per row) dense: they have no dim to pad or to make ragged, and a global
   * {@code shapePolicy(...)} is meant for the components whose shape varies. A string per row is
   * the exception under {@code RAGGED}: its bytes vary, and ragged keeps them exactly.
   */
  ShapePolicy policyOf(ComponentLayout layout) {
    ShapePolicy own = shapePolicies.get(layout.name());
    if (own != null) {
      return own;
    }
    boolean scalarRows = layout.rowShape() != null && layout.rowShape().length == 0;
    boolean raggedBytes = layout.dtype() == null && defaultShapePolicy instanceof ShapePolicy.Ragged;
    return scalarRows && !raggedBytes ? ShapePolicy.ERROR : defaultShapePolicy;
  }
}

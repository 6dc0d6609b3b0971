package io.tensorslab.export;

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
 */
record ExportOptions(ExportBuilder.SourceOpener opener, Path directory, List<String> names, long limitRows,
    boolean overwrite, boolean durable, ReadOptions read, ExportListener listener, Cancellation cancellation,
    Map<String, ShapePolicy> shapePolicies, ShapePolicy defaultShapePolicy, Map<String, List<String>> rowSplitPairs,
    StoreFormat format) {

  ExportOptions {
    names = names == null ? null : List.copyOf(names);
    shapePolicies = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(shapePolicies));
    rowSplitPairs = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(rowSplitPairs));
  }

  /** The shape policy of component {@code name}. */
  ShapePolicy policyOf(String name) {
    return shapePolicies.getOrDefault(name, defaultShapePolicy);
  }
}

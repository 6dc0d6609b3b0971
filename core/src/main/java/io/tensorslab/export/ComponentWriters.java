package io.tensorslab.export;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The writers a plan calls for: one per component, except that a row-splits pair shares one. */
final class ComponentWriters {
  private ComponentWriters() {}

  static List<ComponentWriter> of(ExportPlan plan) {
    Map<String, ComponentLayout> byName = plan.byName();
    ExportOptions options = plan.options();
    OutputStores stores = plan.stores();
    // Writers in component order, a row-split pair's where its values component is: the arrays
    // (and a Zarr store's manifest attributes) then come in the order of the features, as a
    // sharded conversion writes them.
    Map<String, String> pairOfValues = new HashMap<>();
    Set<String> paired = new HashSet<>();
    options.rowSplitPairs().forEach((name, pair) -> {
      pairOfValues.put(pair.get(0), name);
      paired.addAll(pair);
    });
    List<ComponentWriter> writers = new ArrayList<>();
    for (ComponentLayout layout : plan.layouts()) {
      String pairName = pairOfValues.get(layout.name());
      if (pairName != null) {
        List<String> pair = options.rowSplitPairs().get(pairName);
        ComponentLayout v = byName.get(pair.get(0));
        ComponentLayout valuesAsFile = new ComponentLayout(v.index(), pairName + ".values", v.type(), v.dtype(),
            v.rowShape());
        // Values are rows of fixed shape whatever the default policy: numbers dense, strings as |S{max}.
        writers.add(new RowSplitsWriter(pairName, writerFor(valuesAsFile, ShapePolicy.ERROR, stores),
            byName.get(pair.get(1)), stores));
      } else if (!paired.contains(layout.name())) {
        writers.add(writerFor(layout, options.policyOf(layout), stores));
      }
    }
    return writers;
  }

  private static ComponentWriter writerFor(ComponentLayout layout, ShapePolicy policy, OutputStores stores) {
    return switch (policy) {
      case ShapePolicy.Error e when layout.dtype() != null -> new DenseWriter(layout, stores);
      case ShapePolicy.Error e -> new PaddedWriter(layout, null, stores); // strings: |S width known at the end
      case ShapePolicy.Pad pad -> new PaddedWriter(layout, pad, stores);
      case ShapePolicy.Ragged r -> new RaggedWriter(layout, stores);
    };
  }
}

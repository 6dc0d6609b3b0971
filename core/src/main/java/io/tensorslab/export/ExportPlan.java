package io.tensorslab.export;

import io.tensorslab.store.StoreDestination;
import io.tensorslab.tf.DatasetSpec;
import io.tensorslab.tf.TfDtypes;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tensorflow.ndarray.Shape;

/**
 * What an export will write, settled before the first batch: every component's layout, the shape
 * policy and writer kind of each, where the stores go, and the dataset's cardinality. Immutable;
 * made from the frozen options and the dataset's spec. Range writers and the commit read it; nothing
 * in it assumes one range writer.
 *
 * @param layouts one per component, in dataset order
 * @param cardinality batches the dataset declares: {@code >= 0} known, -1 infinite, -2 unknown
 */
record ExportPlan(ExportOptions options, List<ComponentLayout> layouts, OutputStores stores, long cardinality) {

  ExportPlan {
    layouts = List.copyOf(layouts);
  }

  /**
   * Checks the options against the spec and derives the layouts.
   *
   * @throws IllegalArgumentException for names, policies or pairs that do not fit the dataset
   * @throws ExportException for an infinite dataset without a row limit
   */
  static ExportPlan of(ExportOptions options, DatasetSpec spec) throws ExportException {
    if (spec.isInfinite() && options.limitRows() < 0) {
      throw new ExportException("dataset is infinite (cardinality -1, e.g. after repeat()): give a row limit",
          null, -1, null);
    }
    List<ComponentLayout> layouts = layouts(options.names(), spec);
    List<String> names = layouts.stream().map(ComponentLayout::name).toList();
    for (String name : options.shapePolicies().keySet()) {
      if (!names.contains(name)) {
        throw new IllegalArgumentException("a shape policy is given for '" + name + "', which is not a component; "
            + "the components are " + names);
      }
    }
    checkPairs(options, names);
    StoreDestination destination = new StoreDestination(options.directory(), options.overwrite(), options.durable());
    return new ExportPlan(options, layouts, new OutputStores(options.format(), destination), spec.cardinality());
  }

  private static List<ComponentLayout> layouts(List<String> names, DatasetSpec spec) {
    int n = spec.componentCount();
    if (names != null && names.size() != n) {
      throw new IllegalArgumentException("the dataset has " + n + " components but " + names.size()
          + " names were given: " + names);
    }
    Set<String> seen = new HashSet<>();
    List<ComponentLayout> layouts = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      String name = names == null ? "component_" + i : names.get(i);
      ComponentLayout.checkName(name, i);
      if (!seen.add(name)) {
        throw new IllegalArgumentException("component name '" + name + "' is given twice: each component needs "
            + "its own file (component=" + i + ")");
      }
      Shape shape = spec.shape(i);
      long[] rowShape;
      if (shape.isUnknown()) {
        rowShape = null;
      } else {
        if (shape.numDimensions() == 0) {
          throw new IllegalArgumentException("component '" + name + "' is a scalar per element: the dataset is not "
              + "batched; call batch(n) on it first (component=" + i + ")");
        }
        rowShape = new long[shape.numDimensions() - 1];
        for (int d = 1; d < shape.numDimensions(); d++) {
          rowShape[d - 1] = shape.get(d);
        }
      }
      var type = spec.type(i);
      var dtype = TfDtypes.isVariableWidth(type) ? null : TfDtypes.toNpy(type);
      layouts.add(new ComponentLayout(i, name, type, dtype, rowShape));
    }
    return layouts;
  }

  private static void checkPairs(ExportOptions options, List<String> components) {
    Set<String> paired = new HashSet<>();
    options.rowSplitPairs().forEach((name, pair) -> {
      for (String component : pair) {
        if (!components.contains(component)) {
          throw new IllegalArgumentException("row splits pair '" + name + "' names '" + component
              + "', which is not a component; the components are " + components);
        }
        if (!paired.add(component) || options.shapePolicies().containsKey(component)) {
          throw new IllegalArgumentException("component '" + component + "' is part of row splits pair '" + name
              + "' and cannot also be in another pair or have a shape policy");
        }
      }
    });
  }

  /** Components by name, in dataset order. */
  Map<String, ComponentLayout> byName() {
    Map<String, ComponentLayout> byName = new LinkedHashMap<>();
    layouts.forEach(l -> byName.put(l.name(), l));
    return byName;
  }
}

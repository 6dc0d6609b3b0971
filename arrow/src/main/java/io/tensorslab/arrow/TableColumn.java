package io.tensorslab.arrow;

import io.tensorslab.store.RowStore;
import io.tensorslab.store.TableFormat;
import io.tensorslab.tfrecord.FeatureSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One column of the table: a feature's staged stores, by the names the export gives them.
 *
 * @param name the column's name, the feature's ({@code image/encoded})
 * @param values {@code NAME} (rows of the row shape) or, ragged, {@code NAME.values} (the flat values)
 * @param rowSplits ragged: {@code NAME.row_splits} (int64, rows + 1, from 0); else null
 * @param byteLengths bytes: the exact length of every item of {@code values} (int64); else null
 */
record TableColumn(String name, ColumnStore values, ColumnStore rowSplits, ColumnStore byteLengths) {

  /** Whether each row is a list of its own length rather than a value of the row shape. */
  boolean ragged() {
    return rowSplits != null;
  }

  /**
   * The columns of {@code stores}, grouped by their feature, in the order features first appear.
   *
   * @throws IllegalArgumentException for a store with no place in a column (naming it and what to do)
   */
  static List<TableColumn> of(List<RowStore> stores, List<String> components) {
    Map<String, List<ColumnStore>> byComponent = new LinkedHashMap<>();
    for (int i = 0; i < stores.size(); i++) {
      if (!(stores.get(i) instanceof ColumnStore column)) {
        throw new IllegalArgumentException("store " + stores.get(i).layout().name() + " was not made by the table"
            + " format");
      }
      byComponent.computeIfAbsent(components.get(i), k -> new ArrayList<>()).add(column);
    }
    List<TableColumn> columns = new ArrayList<>();
    byComponent.forEach((name, parts) -> columns.add(of(name, parts)));
    return columns;
  }

  private static TableColumn of(String name, List<ColumnStore> parts) {
    ColumnStore values = null;
    ColumnStore rowSplits = null;
    ColumnStore byteLengths = null;
    for (ColumnStore part : parts) {
      String output = part.layout().name();
      if (output.equals(name) || output.equals(name + FeatureSpec.VALUES_SUFFIX)) {
        values = part;
      } else if (output.equals(name + FeatureSpec.ROW_SPLITS_SUFFIX)) {
        rowSplits = part;
      } else if (output.endsWith(TableFormat.BYTE_LENGTHS_SUFFIX)) {
        byteLengths = part;
      } else {
        throw new IllegalArgumentException("output '" + output + "' of feature '" + name + "' has no place in a"
            + " table column (a table holds fixed-shape, ragged and bytes features); write it to npy or zarr");
      }
    }
    if (values == null) {
      throw new IllegalArgumentException("feature '" + name + "' has no values output for its table column");
    }
    boolean ragged = values.layout().name().endsWith(FeatureSpec.VALUES_SUFFIX) && !values.layout().name().equals(name);
    if (ragged != (rowSplits != null)) {
      throw new IllegalArgumentException("feature '" + name + "' has " + (ragged ? "values without" : "row splits"
          + " without") + " row splits: a ragged column needs both");
    }
    if (values.layout().dtype().kind() == 'S' && byteLengths == null) {
      throw new IllegalArgumentException("bytes feature '" + name + "' comes without each value's length, so its"
          + " NUL-padded items cannot be cut back to the true bytes; only the TFRecord conversion's native reader"
          + " writes bytes to a table");
    }
    return new TableColumn(name, values, rowSplits, byteLengths);
  }
}

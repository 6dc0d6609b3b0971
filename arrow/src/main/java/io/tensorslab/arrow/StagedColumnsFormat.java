package io.tensorslab.arrow;

import io.tensorslab.store.RowLayout;
import io.tensorslab.store.RowStore;
import io.tensorslab.store.StoreCapacity;
import io.tensorslab.store.StoreDestination;
import io.tensorslab.store.TableFormat;

/** A table format of this module: its columns are staged off-heap ({@link ColumnStore}) until the commit. */
interface StagedColumnsFormat extends TableFormat {

  @Override
  default RowStore create(RowLayout layout, StoreDestination destination, StoreCapacity capacity) {
    return ColumnStore.create(layout, target(destination.directory(), layout.name()), capacity);
  }
}

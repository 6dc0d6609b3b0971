package io.tensorslab.export;

import io.tensorslab.store.RowLayout;
import io.tensorslab.store.RowStore;
import io.tensorslab.store.StoreCapacity;
import io.tensorslab.store.StoreDestination;
import io.tensorslab.store.StoreFormat;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Where a writer's outputs go: the plan's store format at its destination. Writers name outputs and
 * ask for stores through this, so they never know the format.
 */
record OutputStores(StoreFormat format, StoreDestination destination) {

  /** The final path of output {@code name}, for destination checks before anything is written. */
  Path target(String name) {
    return format.target(destination.directory(), name);
  }

  RowStore create(RowLayout layout, StoreCapacity capacity) throws IOException {
    return format.create(layout, destination, capacity);
  }

  /** {@link #create}, a failure (full disk, a file in the way) an {@link ExportException} naming the output. */
  RowStore createNamed(RowLayout layout, StoreCapacity capacity) throws IOException {
    try {
      return create(layout, capacity);
    } catch (ExportException e) {
      throw e;
    } catch (IOException e) {
      throw new ExportException("writing failed: " + e.getMessage(), layout.name(), -1, e);
    }
  }
}

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
}

package io.tensorslab.store;

import io.tensorslab.slab.OutputFiles;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A kind of {@link RowStore}, chosen once per export: the plan creates every output's store through
 * its format, so a new format plugs in by implementing this interface, and no writer changes.
 *
 * {@snippet :
 * RowStore store = StoreFormat.NPY.create(layout, destination, StoreCapacity.growable(1024));
 * }
 */
public interface StoreFormat {

  /** One {@code NAME.npy} file per output, memory-mapped and preallocated ({@link NpyStore}). */
  StoreFormat NPY = new StoreFormat() {
    @Override
    public Path target(Path directory, String name) {
      return NpyStore.targetOf(directory, name);
    }

    @Override
    public RowStore create(RowLayout layout, StoreDestination destination, StoreCapacity capacity) throws IOException {
      return NpyStore.create(layout, destination, capacity);
    }

    @Override
    public String toString() {
      return "npy";
    }
  };

  /**
   * The final path of output {@code name} in {@code directory} ({@code NAME.npy}, {@code NAME.zarr}),
   * known before anything is written so that destinations can be checked first.
   */
  Path target(Path directory, String name);

  /**
   * Checks, before anything is written, that output {@code target} (from {@link #target}) may be
   * written: by default a file, checked by {@link OutputFiles#checkTarget}.
   *
   * @throws IOException naming the path and what to do
   */
  default void checkTarget(Path target, boolean overwrite) throws IOException {
    OutputFiles.checkTarget(target, overwrite);
  }

  /**
   * Makes an empty store for {@code layout} under a temporary name in {@code destination}.
   *
   * @throws IOException when the destination is unusable (naming the path) or space cannot be reserved
   */
  RowStore create(RowLayout layout, StoreDestination destination, StoreCapacity capacity) throws IOException;
}

package io.tensorslab.export;

import io.tensorslab.npy.NpyArray;
import io.tensorslab.store.RowStore;
import io.tensorslab.store.StagedFile;
import io.tensorslab.store.StoreCommit;
import io.tensorslab.store.StoreFormat;
import io.tensorslab.store.zarr.ZarrGroups;
import io.tensorslab.store.zarr.ZarrStoreFormat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The end of an export: finish every writer's stores for the rows written, stage the manifest,
 * publish stores and manifest as one {@link StoreCommit} (all or nothing, also across a kill), and
 * map the published files for the result.
 */
final class ExportCommit {
  private ExportCommit() {}

  static List<ExportedArray> commit(ExportPlan plan, List<ComponentWriter> writers, RangeWriter.Copied copied,
      long start) throws IOException {
    List<RowStore> finished = new ArrayList<>();
    List<String> componentOf = new ArrayList<>();
    for (ComponentWriter w : writers) {
      for (RowStore store : w.finish(copied.rows())) {
        finished.add(store);
        componentOf.add(w.layout().name());
      }
    }
    Path dir = plan.stores().destination().directory();
    List<Manifest.Entry> entries = new ArrayList<>();
    for (int i = 0; i < finished.size(); i++) {
      entries.add(Manifest.entryOf(dir, finished.get(i), componentOf.get(i)));
    }
    List<StagedFile> index;
    if (plan.stores().format() instanceof ZarrStoreFormat zarr) {
      // A Zarr store's manifest is its root group's attributes, written with the group metadata, last.
      index = ZarrGroups.stage(dir, zarr.format(), entries.stream().map(Manifest.Entry::name).toList(),
          Manifest.attributes(entries, copied.rows()),
          plan.stores().destination().durable());
    } else {
      index = List.of(Manifest.stage(dir.resolve(Manifest.FILE_NAME), Manifest.toJson(entries, copied.batches(),
          copied.rows(), plan.cardinality(), (System.nanoTime() - start) / 1e9, copied.copyNanos() / 1e9)));
    }
    try {
      StoreCommit.publish(plan.stores().destination(), finished, index);
    } finally {
      for (StagedFile file : index) {
        Files.deleteIfExists(file.temporary());
      }
    }
    List<ExportedArray> arrays = new ArrayList<>();
    if (!plan.stores().format().equals(StoreFormat.NPY)) {
      return arrays; // chunked stores are read with Zarr readers, not mapped
    }
    boolean success = false;
    try {
      for (int i = 0; i < finished.size(); i++) {
        arrays.add(new ExportedArray(entries.get(i).name(), componentOf.get(i),
            NpyArray.open(finished.get(i).target())));
      }
      success = true;
      return arrays;
    } finally {
      if (!success) {
        arrays.forEach(a -> a.array().close());
        // All or nothing: files published but not readable go again.
        for (RowStore store : finished) {
          Files.deleteIfExists(store.target());
        }
        for (StagedFile file : index) {
          Files.deleteIfExists(file.target());
        }
      }
    }
  }
}

package io.tensorslab.export;

import io.tensorslab.npy.NpyArray;
import io.tensorslab.store.RowStore;
import io.tensorslab.store.StagedFile;
import io.tensorslab.store.StoreCommit;
import io.tensorslab.store.StoreDestination;
import io.tensorslab.store.StoreFormat;
import io.tensorslab.store.TableFormat;
import io.tensorslab.store.zarr.ZarrGroups;
import io.tensorslab.store.zarr.ZarrStoreFormat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The end of an export: finish every writer's stores for the rows written, stage the index (the
 * manifest, or a Zarr store's group metadata), publish stores and index as one {@link StoreCommit}
 * (all or nothing, also across a kill), and map the published files for the result. The native
 * TFRecord export finishes its own stores and shares the rest ({@link #publish}, {@link #mapPublished}).
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
    List<StagedFile> index = publish(plan.stores().destination(), plan.stores().format(), finished, entries,
        copied.rows(), () -> Manifest.toJson(entries, copied.batches(), copied.rows(), plan.cardinality(),
            (System.nanoTime() - start) / 1e9, copied.copyNanos() / 1e9));
    return mapPublished(plan.stores().format(), finished, entries, index);
  }

  /**
   * The file whose presence marks an export complete, relative to the output directory: the
   * manifest, or a Zarr store's root group metadata. Destination checks keep outputs off it.
   */
  static String indexFile(StoreFormat format) {
    return format instanceof ZarrStoreFormat zarr ? ZarrGroups.rootMetadataFile(zarr.format()) : Manifest.FILE_NAME;
  }

  /**
   * Stages the export's index — {@code manifest.json} ({@code manifestJson}), or for a Zarr store its
   * group metadata with the manifest as the root attributes ({@link Manifest#attributes}: what every
   * engine and worker knows alike), or for a {@link TableFormat} the table file written from the
   * staged columns and the manifest — and publishes the finished {@code stores} and the index as one
   * {@link StoreCommit}, the index last.
   *
   * @param entries one per store, in store order
   * @param rows the export's rows
   * @return the index files, published
   */
  static List<StagedFile> publish(StoreDestination destination, StoreFormat format, List<RowStore> stores,
      List<Manifest.Entry> entries, long rows, Supplier<String> manifestJson) throws IOException {
    Path dir = destination.directory();
    List<StagedFile> index;
    if (format instanceof ZarrStoreFormat zarr) {
      // A Zarr store's manifest is its root group's attributes, written with the group metadata, last.
      index = ZarrGroups.stage(dir, zarr.format(), entries.stream().map(Manifest.Entry::name).toList(),
          Manifest.attributes(entries, rows), destination.durable());
    } else if (format instanceof TableFormat table) {
      // One table file holds every store's rows; it goes before the manifest, which marks it complete.
      StagedFile tableFile = table.stageTable(destination, stores,
          entries.stream().map(Manifest.Entry::component).toList(), rows);
      try {
        index = List.of(tableFile, Manifest.stage(dir.resolve(Manifest.FILE_NAME), manifestJson.get()));
      } catch (IOException | RuntimeException e) {
        Files.deleteIfExists(tableFile.temporary());
        throw e;
      }
    } else {
      index = List.of(Manifest.stage(dir.resolve(Manifest.FILE_NAME), manifestJson.get()));
    }
    try {
      StoreCommit.publish(destination, stores, index);
    } finally {
      for (StagedFile file : index) {
        Files.deleteIfExists(file.temporary());
      }
    }
    return index;
  }

  /**
   * The published {@code .npy} files mapped for the result (none for a Zarr store, whose arrays
   * {@link ExportResult#zarrArrays()} reads); when one cannot be mapped, every published file goes again (all or nothing).
   */
  static List<ExportedArray> mapPublished(StoreFormat format, List<RowStore> stores, List<Manifest.Entry> entries,
      List<StagedFile> index) throws IOException {
    List<ExportedArray> arrays = new ArrayList<>();
    if (!format.equals(StoreFormat.NPY)) {
      return arrays;
    }
    boolean success = false;
    try {
      for (int i = 0; i < stores.size(); i++) {
        arrays.add(new ExportedArray(entries.get(i).name(), entries.get(i).component(),
            NpyArray.open(stores.get(i).target())));
      }
      success = true;
      return arrays;
    } finally {
      if (!success) {
        arrays.forEach(a -> a.array().close());
        for (RowStore store : stores) {
          Files.deleteIfExists(store.target());
        }
        for (StagedFile file : index) {
          Files.deleteIfExists(file.target());
        }
      }
    }
  }
}

package io.tensorslab.export;

import io.tensorslab.slab.OutputFiles;
import io.tensorslab.store.OutputDirectory;
import io.tensorslab.store.StoreFormat;
import io.tensorslab.store.zarr.ZarrGroups;
import io.tensorslab.store.zarr.ZarrStoreFormat;
import io.tensorslab.tf.BatchSource;
import io.tensorslab.tf.DatasetReadException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One run of an export, in the order the data goes: prepare the output directory, open the source,
 * make the {@link ExportPlan}, check every destination, let one {@link RangeWriter} copy the whole
 * dataset, then {@link ExportCommit}. Lives on one thread.
 */
final class Exporter {
  private static final Pattern TF_COMPONENT = Pattern.compile("at component (\\d{1,9})\\b");

  private final ExportOptions options;

  Exporter(ExportOptions options) {
    this.options = options;
  }

  ExportResult run() throws IOException {
    long start = System.nanoTime();
    Path dir = options.directory();
    boolean created = OutputDirectory.prepare(dir);
    boolean success = false;
    try {
      ExportResult result = runIn(start);
      success = true;
      return result;
    } finally {
      if (!success && created) {
        OutputDirectory.removeIfEmpty(dir); // a failed export into a directory it made leaves no trace at all
      }
    }
  }

  private ExportResult runIn(long start) throws IOException {
    try (BatchSource source = options.opener().open(options.read())) {
      ExportPlan plan = ExportPlan.of(options, source.spec());
      List<ComponentWriter> writers = new ArrayList<>();
      try {
        writers.addAll(ComponentWriters.of(plan));
        checkDestinations(plan, writers);
        RangeWriter.Copied copied = new RangeWriter(plan, writers, 0, options.limitRows()).copy(source, start);
        List<ExportedArray> arrays = ExportCommit.commit(plan, writers, copied, start);
        return new ExportResult(options.directory(), arrays, copied.rows(), copied.batches(), copied.bytes(),
            plan.cardinality(), System.nanoTime() - start, copied.copyNanos());
      } finally {
        for (ComponentWriter w : writers) {
          w.close();
        }
      }
    } catch (DatasetReadException e) {
      throw new ExportException("reading the dataset failed: " + e.getMessage(), componentNamedBy(e), e.batch(), e);
    }
  }

  /**
   * The component a TensorFlow message blames, if any. A declared type or shape that disagrees with
   * the dataset is refused by TensorFlow itself when the iterator is made, before any batch, as
   * {@code "Data type mismatch at component 0: ..."} or {@code "Incompatible shapes at component 0: ..."}.
   */
  private String componentNamedBy(DatasetReadException e) {
    Matcher m = TF_COMPONENT.matcher(String.valueOf(e.getMessage()));
    if (!m.find()) {
      return null;
    }
    int index = Integer.parseInt(m.group(1));
    List<String> names = options.names();
    return names != null && index < names.size() ? names.get(index) : "component_" + index;
  }

  /** Every output and the manifest: no two at one path, each one allowed ({@link OutputFiles#checkTarget}). */
  private static void checkDestinations(ExportPlan plan, List<ComponentWriter> writers) throws IOException {
    List<Path> all = new ArrayList<>();
    for (ComponentWriter w : writers) {
      for (String name : w.outputNames()) {
        all.add(plan.stores().target(name));
      }
    }
    Path dir = plan.stores().destination().directory();
    StoreFormat format = plan.stores().format();
    ZarrStoreFormat zarr = format instanceof ZarrStoreFormat z ? z : null;
    // The file that marks the export complete: manifest.json, or the Zarr root group's metadata.
    Path index = dir.resolve(zarr == null ? Manifest.FILE_NAME : ZarrGroups.rootMetadataFile(zarr.format()));
    Set<Path> seen = new HashSet<>();
    for (Path target : all) {
      if (!seen.add(target)) {
        throw new IllegalArgumentException("two outputs would be written to the same file (path=" + target + ")");
      }
      format.checkTarget(target, plan.options().overwrite());
    }
    if (!seen.add(index)) {
      throw new IllegalArgumentException("an output would be written where the export's index goes (path=" + index
          + ")");
    }
    OutputFiles.checkTarget(index, plan.options().overwrite());
    if (zarr != null && plan.options().overwrite()) {
      ZarrGroups.unpublish(dir, zarr.format()); // a store being rewritten must not look complete meanwhile
    }
  }
}

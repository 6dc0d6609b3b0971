package io.tensorslab.export;

import io.tensorslab.slab.OutputFiles;
import io.tensorslab.store.OutputDirectory;
import io.tensorslab.store.OutputNames;
import io.tensorslab.store.StoreFormat;
import io.tensorslab.store.TableFormat;
import io.tensorslab.store.zarr.ZarrGroups;
import io.tensorslab.store.zarr.ZarrStoreFormat;
import io.tensorslab.tf.BatchSource;
import io.tensorslab.tf.DatasetReadException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
  /** Directories made inside the output directory for nested names, outermost first; removed again on failure. */
  private final List<Path> createdParents = new ArrayList<>();

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
      if (!success) {
        // a failed export into a directory it made leaves no trace at all
        OutputDirectory.removeMadeDirectories(dir, created, createdParents);
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

  /**
   * Every output and the export's index (the manifest, or a Zarr store's root metadata): no two at
   * one path and no file where another needs a directory ({@link OutputNames#checkDistinct}, naming
   * both), the nested directories made without following links ({@link OutputNames#createParents}),
   * each target allowed by its format ({@link StoreFormat#checkTarget}).
   */
  private void checkDestinations(ExportPlan plan, List<ComponentWriter> writers) throws IOException {
    Path dir = plan.stores().destination().directory();
    Map<String, String> fileByName = new LinkedHashMap<>();
    for (ComponentWriter w : writers) {
      for (String name : w.outputNames()) {
        String file = dir.relativize(plan.stores().target(name)).toString();
        if (fileByName.putIfAbsent(name, file) != null) {
          throw new IllegalArgumentException("two outputs are named '" + name + "' (path=" + dir.resolve(file) + ")");
        }
      }
    }
    checkDestinations(dir, plan.stores().format(), plan.options().overwrite(), fileByName, createdParents);
  }

  /**
   * The checks above for outputs already named: {@code fileByName} maps each output name to its
   * target relative to {@code dir}; the directories made are added to {@code createdParents},
   * outermost first, for a failed export to remove.
   */
  static void checkDestinations(Path dir, StoreFormat format, boolean overwrite, Map<String, String> fileByName,
      List<Path> createdParents) throws IOException {
    // A table format writes every output into its one table file: that file is the only target.
    Map<String, String> files = format instanceof TableFormat table
        ? new LinkedHashMap<>(Map.of(table.tableFile(), table.tableFile())) : new LinkedHashMap<>(fileByName);
    // The file that marks the export complete: manifest.json, or the Zarr root group's metadata.
    String index = ExportCommit.indexFile(format);
    files.put(index, index);
    OutputNames.checkDistinct(files);
    for (String file : files.values()) {
      // parents first: checkTarget wants the directory to exist; a failed export removes them again
      createdParents.addAll(OutputNames.createParents(dir, dir.resolve(file)));
      if (file.equals(index)) {
        OutputFiles.checkTarget(dir.resolve(file), overwrite);
      } else {
        format.checkTarget(dir.resolve(file), overwrite);
      }
    }
    if (format instanceof ZarrStoreFormat zarr && overwrite) {
      ZarrGroups.unpublish(dir, zarr.format()); // a store being rewritten must not look complete meanwhile
    }
  }
}

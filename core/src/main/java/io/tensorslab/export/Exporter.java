package io.tensorslab.export;

import io.tensorslab.npy.NpyArray;
import io.tensorslab.npy.NpyHeader;
import io.tensorslab.slab.FileSlab;
import io.tensorslab.slab.SlabOption;
import io.tensorslab.slab.TemporaryFiles;
import io.tensorslab.tf.BatchSource;
import io.tensorslab.tf.DatasetReadException;
import io.tensorslab.tf.DatasetSpec;
import io.tensorslab.tf.ReadOptions;
import io.tensorslab.tf.TfDtypes;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;

/**
 * One run of an export: check destinations, read the spec, copy every batch into per-component
 * writers, finish all, publish all, write the manifest, map the results. Lives on one thread.
 */
final class Exporter {
  private static final Pattern TF_COMPONENT = Pattern.compile("at component (\\d{1,9})\\b");
  /** Rows to preallocate per batch size when the cardinality is unknown; growth doubles from there. */
  private static final long UNKNOWN_CARDINALITY_BATCHES = 64;

  private final ExportBuilder options;
  private final Path dir;
  private final SlabOption[] slabOptions;
  /** Directories made inside {@link #dir} for nested output names, outermost first; removed again on failure. */
  private final List<Path> createdParents = new ArrayList<>();

  Exporter(ExportBuilder options) {
    this.options = options;
    this.dir = options.directory.toAbsolutePath().normalize();
    List<SlabOption> opts = new ArrayList<>();
    if (options.overwrite) {
      opts.add(SlabOption.OVERWRITE);
    }
    if (!options.durable) {
      opts.add(SlabOption.NO_FORCE);
    }
    this.slabOptions = opts.toArray(SlabOption[]::new);
  }

  ExportResult run() throws IOException {
    long start = System.nanoTime();
    boolean created = prepareDirectory();
    boolean success = false;
    try {
      ExportResult result = runIn(start);
      success = true;
      return result;
    } finally {
      if (!success) {
        for (int i = createdParents.size() - 1; i >= 0; i--) {
          removeIfEmpty(createdParents.get(i));
        }
      }
      if (!success && created) {
        removeIfEmpty(dir); // a failed export into a directory it made leaves no trace at all
      }
    }
  }

  private static void removeIfEmpty(Path dir) {
    try {
      Files.delete(dir); // refuses a non-empty directory, which then stays
    } catch (IOException ignored) {
      // not empty (someone else's files) or already gone: nothing of ours is in it either way
    }
  }

  private ExportResult runIn(long start) throws IOException {
    try (BatchSource source = options.opener.open(new ReadOptions(options.prefetch, options.autotune))) {
      DatasetSpec spec = source.spec();
      List<ComponentLayout> layouts = layouts(spec);
      if (spec.isInfinite() && options.limitRows < 0) {
        throw new ExportException("dataset is infinite (cardinality -1, e.g. after repeat()): give a row limit",
            null, -1, null);
      }
      List<ComponentWriter> writers = new ArrayList<>(layouts.size());
      try {
        checkPolicyNames(layouts);
        writers.addAll(writersFor(layouts));
        checkDestinations(writers);
        Copied copied = copyAll(source, spec, writers, start);
        List<ExportedArray> arrays = publish(writers, copied, spec.cardinality(), start);
        return new ExportResult(dir, arrays, copied.rows, copied.batches, copied.bytes, spec.cardinality(),
            System.nanoTime() - start, copied.copyNanos);
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
    List<String> names = options.names;
    return names != null && index < names.size() ? names.get(index) : "component_" + index;
  }

  /** Checks the output directory, creating it when missing; true when it was created here. */
  private boolean prepareDirectory() throws IOException {
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new FileAlreadyExistsException(dir.toString(), null, "output path is a file, not a directory (path="
          + dir + ")");
    }
    if (!Files.isDirectory(dir)) {
      Path parent = dir.getParent();
      if (parent == null || !Files.isDirectory(parent)) {
        throw new NoSuchFileException(dir.toString(), null, "output directory's parent does not exist (path="
            + dir + ")");
      }
      Files.createDirectory(dir);
      return true;
    }
    TemporaryFiles.removeStale(dir);
    return false;
  }

  private List<ComponentLayout> layouts(DatasetSpec spec) {
    int n = spec.componentCount();
    List<String> names = options.names;
    if (names != null && names.size() != n) {
      throw new IllegalArgumentException("the dataset has " + n + " components but " + names.size()
          + " names were given: " + names);
    }
    Set<String> seen = new HashSet<>();
    List<ComponentLayout> layouts = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      String name = names == null ? "component_" + i : names.get(i);
      // Any name is accepted: OutputNames maps it to a file inside dir (escaped when it is not a safe path).
      Objects.requireNonNull(name, "component name " + i);
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
      var view = options.writeAs.get(name);
      if (view != null) {
        if (dtype == null || dtype.itemSize() != view.itemSize()) {
          throw new IllegalArgumentException("component '" + name + "' cannot be written as " + view.descr() + ": its "
              + type.getSimpleName() + " items are " + (dtype == null ? "variable-width" : dtype.itemSize() + " bytes")
              + ", not " + view.itemSize() + " (component=" + i + ")");
        }
        dtype = view;
      }
      layouts.add(new ComponentLayout(i, name, type, dtype, rowShape));
    }
    return layouts;
  }

  /** One writer per component, except that a declared row-splits pair shares one writer. */
  private List<ComponentWriter> writersFor(List<ComponentLayout> layouts) {
    java.util.Map<String, ComponentLayout> byName = new java.util.LinkedHashMap<>();
    layouts.forEach(l -> byName.put(l.name(), l));
    Set<String> paired = new HashSet<>();
    List<ComponentWriter> writers = new ArrayList<>();
    options.rowSplitPairs.forEach((name, pair) -> {
      for (String component : pair) {
        if (!byName.containsKey(component)) {
          throw new IllegalArgumentException("row splits pair '" + name + "' names '" + component
              + "', which is not a component; the components are " + byName.keySet());
        }
        if (!paired.add(component) || options.shapePolicies.containsKey(component)) {
          throw new IllegalArgumentException("component '" + component + "' is part of row splits pair '" + name
              + "' and cannot also be in another pair or have a shape policy");
        }
      }
      ComponentLayout v = byName.get(pair.get(0));
      ComponentLayout valuesAsFile = new ComponentLayout(v.index(), name + ".values", v.type(), v.dtype(), v.rowShape());
      // Values are rows of fixed shape whatever the default policy: numbers dense, strings as |S{max}.
      writers.add(new RowSplitsWriter(name, writerFor(valuesAsFile, ShapePolicy.ERROR), byName.get(pair.get(1)),
          dir, slabOptions));
    });
    for (ComponentLayout layout : layouts) {
      if (!paired.contains(layout.name())) {
        writers.add(writerFor(layout, options.shapePolicies.getOrDefault(layout.name(), options.defaultShapePolicy)));
      }
    }
    return writers;
  }

  private ComponentWriter writerFor(ComponentLayout layout, ShapePolicy policy) {
    return switch (policy) {
      case ShapePolicy.Error e when layout.dtype() != null -> new DenseWriter(layout, dir, slabOptions);
      case ShapePolicy.Error e -> new PaddedWriter(layout, null, dir, slabOptions); // strings: |S width known at the end
      case ShapePolicy.Pad pad -> new PaddedWriter(layout, pad, dir, slabOptions);
      case ShapePolicy.Ragged r -> new RaggedWriter(layout, dir, slabOptions);
    };
  }

  private void checkPolicyNames(List<ComponentLayout> layouts) {
    List<String> names = layouts.stream().map(ComponentLayout::name).toList();
    for (String name : options.shapePolicies.keySet()) {
      if (!names.contains(name)) {
        throw new IllegalArgumentException("a shape policy is given for '" + name + "', which is not a component; "
            + "the components are " + names);
      }
    }
  }

  private void checkDestinations(List<ComponentWriter> writers) throws IOException {
    java.util.Map<String, String> ownerByFile = new java.util.LinkedHashMap<>();
    for (ComponentWriter w : writers) {
      for (String file : w.fileNames()) {
        String earlier = ownerByFile.putIfAbsent(file, w.layout().name());
        if (earlier != null) {
          throw new IllegalArgumentException("outputs '" + earlier + "' and '" + w.layout().name()
              + "' would both be written to the same file; rename or drop one of them (path=" + dir.resolve(file) + ")");
        }
      }
    }
    java.util.Map<String, String> fileByOwner = new java.util.LinkedHashMap<>();
    for (String file : ownerByFile.keySet()) {
      String name = file.endsWith(".npy") ? OutputNames.nameOf(file, ".npy") : null;
      fileByOwner.put(name == null ? file : name, file);
    }
    fileByOwner.put(Manifest.FILE_NAME, Manifest.FILE_NAME);
    OutputNames.checkDistinct(fileByOwner);
    for (String file : fileByOwner.values()) {
      Path target = dir.resolve(file);
      if (Files.isDirectory(target)) {
        throw new FileAlreadyExistsException(target.toString(), null, "output path is a directory (path="
            + target + ")");
      }
      if (!options.overwrite && Files.exists(target)) {
        throw new FileAlreadyExistsException(target.toString(), null,
            "output file exists; ask for overwrite to replace it (path=" + target + ")");
      }
    }
    if (!Files.isWritable(dir)) {
      throw new java.nio.file.AccessDeniedException(dir.toString(), null, "output directory is not writable (path="
          + dir + ")");
    }
    for (String file : ownerByFile.keySet()) {
      createdParents.addAll(OutputNames.createParents(dir, dir.resolve(file)));
    }
  }

  /** Totals of the copy loop. */
  private record Copied(long batches, long rows, long bytes, long copyNanos) {}

  private Copied copyAll(BatchSource source, DatasetSpec spec, List<ComponentWriter> writers, long start)
      throws IOException {
    long limit = options.limitRows;
    long rows = 0;
    long batches = 0;
    long expectedRows = limit >= 0 && !spec.hasKnownCardinality() ? limit : -1;
    long capacityHint = 0;
    long copyNanos = 0;
    while (limit < 0 || rows < limit) {
      checkCancelled(batches);
      List<Tensor> batch = source.next();
      if (batch == null) {
        break;
      }
      try {
        long batchRows = batchRows(batch, spec.componentCount(), writers, batches);
        if (batches == 0) {
          if (spec.hasKnownCardinality()) {
            expectedRows = Math.multiplyExact(spec.cardinality(), batchRows);
            if (limit >= 0) {
              expectedRows = Math.min(expectedRows, limit);
            }
            capacityHint = expectedRows;
          } else {
            capacityHint = Math.multiplyExact(batchRows, UNKNOWN_CARDINALITY_BATCHES);
            if (limit >= 0) {
              capacityHint = Math.min(capacityHint, limit);
            }
          }
        }
        long take = limit < 0 ? batchRows : Math.min(batchRows, limit - rows);
        long copyStart = System.nanoTime();
        for (ComponentWriter writer : writers) {
          try {
            writer.append(batch, batches, take, capacityHint);
          } catch (ExportException e) {
            throw e;
          } catch (IOException e) {
            // A full disk or a failed mapping: say which component and batch it hit, keep the path.
            throw new ExportException("writing failed: " + e.getMessage(), writer.layout().name(), batches, e);
          }
        }
        copyNanos += System.nanoTime() - copyStart;
        rows += take;
      } finally {
        for (Tensor t : batch) {
          t.close();
        }
      }
      batches++;
      if (options.listener != null) {
        long bytes = writers.stream().mapToLong(ComponentWriter::bytesWritten).sum();
        options.listener.onBatch(new ExportProgress(batches, rows, bytes, System.nanoTime() - start,
            expectedRows));
      }
    }
    long bytes = writers.stream().mapToLong(ComponentWriter::bytesWritten).sum();
    return new Copied(batches, rows, bytes, copyNanos);
  }

  private void checkCancelled(long batch) throws ExportCancelledException {
    if (options.cancellation != null && options.cancellation.isCancelled()) {
      throw new ExportCancelledException("cancel() was called", batch);
    }
    if (Thread.currentThread().isInterrupted()) {
      throw new ExportCancelledException("the exporting thread was interrupted", batch);
    }
  }

  /** Rows in this batch: the same for every writer (dim 0 of each component, rows + 1 for row splits). */
  private static long batchRows(List<Tensor> batch, int components, List<ComponentWriter> writers, long index)
      throws ExportException {
    if (batch.size() != components) {
      throw new ExportException("batch has " + batch.size() + " components, the dataset declares " + components,
          null, index, null);
    }
    long rows = -1;
    String first = null;
    for (ComponentWriter writer : writers) {
      long n = writer.batchRows(batch, index);
      String name = writer.layout().name();
      if (rows < 0) {
        rows = n;
        first = name;
      } else if (n != rows) {
        throw new ExportException("components disagree on the batch size: " + name + " has " + n
            + " rows, " + first + " has " + rows, name, index, null);
      }
    }
    return rows;
  }

  private List<ExportedArray> publish(List<ComponentWriter> writers, Copied copied, long cardinality, long start)
      throws IOException {
    List<FileSlab> finished = new ArrayList<>();
    List<String> componentOf = new ArrayList<>();
    for (ComponentWriter w : writers) {
      for (FileSlab slab : w.finish(copied.rows)) {
        finished.add(slab);
        componentOf.add(w.layout().name());
      }
    }
    List<Path> published = new ArrayList<>();
    List<ExportedArray> arrays = new ArrayList<>();
    boolean success = false;
    try {
      List<Manifest.Entry> entries = new ArrayList<>();
      for (int i = 0; i < finished.size(); i++) {
        FileSlab slab = finished.get(i);
        entries.add(Manifest.entryOf(dir, slab, componentOf.get(i)));
        published.add(slab.publish());
      }
      Manifest.write(dir.resolve(Manifest.FILE_NAME), Manifest.toJson(entries, copied.batches, copied.rows,
          cardinality, (System.nanoTime() - start) / 1e9, copied.copyNanos / 1e9));
      for (int i = 0; i < published.size(); i++) {
        arrays.add(new ExportedArray(entries.get(i).name(), componentOf.get(i), NpyArray.open(published.get(i))));
      }
      success = true;
      return arrays;
    } finally {
      if (!success) {
        arrays.forEach(a -> a.array().close());
        // All or nothing: files already renamed into place go again.
        for (Path p : published) {
          Files.deleteIfExists(p);
        }
      }
    }
  }
}

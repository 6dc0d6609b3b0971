package io.tensorslab.export;

import io.tensorslab.slab.TemporaryFiles;
import io.tensorslab.store.RowLayout;
import io.tensorslab.store.RowStore;
import io.tensorslab.store.StagedFile;
import io.tensorslab.store.zarr.ZarrManifest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.SortedMap;
import java.util.Locale;

/**
 * {@code manifest.json}: what an export wrote, for people and scripts. Written by hand rather than
 * with a JSON library: the structure is small and fixed, and the core stays free of dependencies.
 *
 * <pre>{@code
 * {"format": "tensorslab-manifest/1", "batches": 59, "rows": 60000, "source_cardinality": 59,
 *  "elapsed_seconds": 0.84, "copy_seconds": 0.05,
 *  "arrays": [{"name": "images", "component": "images", "file": "images.npy", "descr": "|u1",
 *              "shape": [60000, 28, 28], "rows": 60000}, ...]}
 * }</pre>
 */
final class Manifest {
  static final String FILE_NAME = "manifest.json";

  /** One array entry. */
  record Entry(String name, String component, String file, String descr, long[] shape) {}

  private Manifest() {}

  static String toJson(List<Entry> entries, long batches, long rows, long cardinality, double elapsedSeconds,
      double copySeconds) {
    StringBuilder sb = new StringBuilder(256 + entries.size() * 160);
    sb.append("{\n  \"format\": \"tensorslab-manifest/1\",\n");
    sb.append("  \"batches\": ").append(batches).append(",\n");
    sb.append("  \"rows\": ").append(rows).append(",\n");
    sb.append("  \"source_cardinality\": ").append(cardinality).append(",\n");
    sb.append("  \"elapsed_seconds\": ").append(String.format(Locale.ROOT, "%.6f", elapsedSeconds)).append(",\n");
    sb.append("  \"copy_seconds\": ").append(String.format(Locale.ROOT, "%.6f", copySeconds)).append(",\n");
    sb.append("  \"arrays\": [");
    for (int i = 0; i < entries.size(); i++) {
      Entry e = entries.get(i);
      sb.append(i == 0 ? "\n" : ",\n");
      sb.append("    {\"name\": ").append(quote(e.name()))
          .append(", \"component\": ").append(quote(e.component()))
          .append(", \"file\": ").append(quote(e.file()))
          .append(", \"descr\": ").append(quote(e.descr()))
          .append(", \"shape\": [");
      long[] shape = e.shape();
      for (int d = 0; d < shape.length; d++) {
        sb.append(d == 0 ? "" : ", ").append(shape[d]);
      }
      sb.append("], \"rows\": ").append(shape.length == 0 ? 1 : shape[0]).append('}');
    }
    return sb.append(entries.isEmpty() ? "]\n}\n" : "\n  ]\n}\n").toString();
  }

  static String quote(String s) {
    return JsonText.quote(s);
  }


  /**
   * The manifest as Zarr root group attributes: {@link ZarrManifest#attributes}, the content every
   * writer of a store knows alike (no timings, no batches, no source cardinality).
   */
  static SortedMap<String, Object> attributes(List<Entry> entries, long rows) {
    return ZarrManifest.attributes(entries.stream()
        .map(e -> new ZarrManifest.Array(e.name(), e.component(), e.file(), e.descr(), e.shape())).toList(), rows);
  }

  /**
   * Writes the manifest under a temporary name beside {@code target}, to be published with the
   * arrays it lists (last, so that a manifest present means every array is).
   */
  static StagedFile stage(Path target, String json) throws IOException {
    Path temporary = TemporaryFiles.beside(target);
    try {
      Files.write(temporary, json.getBytes(StandardCharsets.UTF_8), StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE);
    } catch (IOException e) {
      Files.deleteIfExists(temporary);
      // Files.write on a full disk says only "No space left on device", with no file named
      throw new IOException("writing manifest failed: " + e.getMessage() + " (path=" + target + ")", e);
    }
    return new StagedFile(temporary, target);
  }

  /** The entry of a finished store: its name, its target relative to {@code dir}, dtype and shape. */
  static Entry entryOf(Path dir, RowStore store, String component) {
    RowLayout layout = store.layout();
    return new Entry(layout.name(), component, dir.relativize(store.target()).toString(), layout.dtype().descr(),
        layout.shapeWithRows(store.finishedRows()));
  }
}

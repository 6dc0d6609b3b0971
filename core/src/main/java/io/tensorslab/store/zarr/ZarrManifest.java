package io.tensorslab.store.zarr;

import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The root group attributes of a store TensorSlab writes: the export's manifest, reduced to what
 * every road that writes a store knows alike — the one-process export and each worker of a sharded
 * conversion — so that the same inputs and options give the same metadata bytes whoever writes
 * them. Left out: the timings, and what depends on how the rows were read ({@code batches}, which
 * is the TensorFlow engine's batch size at work; {@code source_cardinality}, which a sharded
 * conversion has no dataset to ask). The {@code manifest.json} of a {@code .npy} export keeps them.
 *
 * <pre>{@code
 * {"arrays": [{"component": "tokens", "descr": "<i8", "file": "tokens.values", "name": "tokens.values",
 *              "rows": 5021, "shape": [5021]}, ...],
 *  "format": "tensorslab-manifest/1", "rows": 1037}
 * }</pre>
 */
public final class ZarrManifest {

  /** The manifest's format tag, as in {@code manifest.json}. */
  public static final String FORMAT = "tensorslab-manifest/1";

  /**
   * One array of the store.
   *
   * @param name the array's name (its path in the store)
   * @param component the dataset component (or feature) it holds; a ragged feature's two arrays share it
   * @param file the array's path relative to the store root
   * @param descr NumPy dtype string, e.g. {@code "<f4"}
   * @param shape the final shape, rows first
   */
  public record Array(String name, String component, String file, String descr, long[] shape) {}

  private ZarrManifest() {}

  /** The attributes for {@code arrays}, in store order, and the dataset's {@code rows}. */
  public static SortedMap<String, Object> attributes(List<Array> arrays, long rows) {
    SortedMap<String, Object> attributes = new TreeMap<>();
    attributes.put("format", FORMAT);
    attributes.put("rows", rows);
    List<Object> entries = new ArrayList<>();
    for (Array a : arrays) {
      SortedMap<String, Object> entry = new TreeMap<>();
      entry.put("name", a.name());
      entry.put("component", a.component());
      entry.put("file", a.file());
      entry.put("descr", a.descr());
      entry.put("shape", a.shape());
      entry.put("rows", a.shape().length == 0 ? 1L : a.shape()[0]);
      entries.add(entry);
    }
    attributes.put("arrays", entries);
    return attributes;
  }
}

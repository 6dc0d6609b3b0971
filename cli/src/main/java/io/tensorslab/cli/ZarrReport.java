package io.tensorslab.cli;

import io.tensorslab.npy.NpyDtype;
import io.tensorslab.npy.NpyHeader;
import io.tensorslab.store.zarr.ZarrArrayReader;
import io.tensorslab.store.zarr.ZarrFormat;
import io.tensorslab.store.zarr.ZarrJson;
import io.tensorslab.store.zarr.ZarrStoreReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code inspect STORE_DIR} for a Zarr store TensorSlab wrote: the store, then each array as inspect shows a {@code .npy}. */
final class ZarrReport {
  private ZarrReport() {}

  static void table(PrintWriter out, ZarrStoreReader store) throws IOException {
    out.printf(Locale.ROOT, "store:          %s%n", store.root());
    out.printf(Locale.ROOT, "format:         %s (Zarr v%d)%n", store.format().optionName(), version(store.format()));
    out.printf(Locale.ROOT, "rows:           %d%n", store.rows());
    out.printf(Locale.ROOT, "manifest:       %s, %d arrays (root group attributes)%n",
        store.attributes().get("format"), store.arrays().size());
    for (ZarrArrayReader a : store.arrays()) {
      NpyDtype dtype = a.dtype();
      out.println();
      out.printf(Locale.ROOT, "array:          %s%n", a.name());
      out.printf(Locale.ROOT, "component:      %s%n", componentText(a));
      out.printf(Locale.ROOT, "descr:          '%s' (%s)%n", dtype.descr(), dtype.displayName());
      out.printf(Locale.ROOT, "shape:          %s%n", NpyHeader.shapeText(a.shape()));
      out.printf(Locale.ROOT, "chunk shape:    %s%n", NpyHeader.shapeText(a.chunkShape()));
      out.printf(Locale.ROOT, "codec:          %s%n", a.spec().codec());
      if (a.format() == ZarrFormat.V3) {
        out.printf(Locale.ROOT, "chunks/file:    %d%s%n", a.spec().chunksPerFile(),
            a.spec().chunksPerFile() > 1 ? " (sharding_indexed)" : "");
      }
      out.printf(Locale.ROOT, "first values:   %s%n", firstValues(a));
    }
  }

  static String json(ZarrStoreReader store) throws IOException {
    Map<String, Object> root = ZarrJson.object();
    root.put("store", store.root().toString());
    root.put("format", store.format().optionName());
    root.put("zarr_format", version(store.format()));
    root.put("rows", store.rows());
    root.put("manifest", store.attributes());
    List<Object> arrays = new ArrayList<>();
    for (ZarrArrayReader a : store.arrays()) {
      Map<String, Object> entry = ZarrJson.object();
      entry.put("name", a.name());
      entry.put("component", a.component());
      entry.put("descr", a.dtype().descr());
      entry.put("dtype", a.dtype().displayName());
      entry.put("shape", a.shape());
      entry.put("chunk_shape", a.chunkShape());
      entry.put("codec", a.spec().codec().toString());
      entry.put("chunks_per_file", a.spec().chunksPerFile());
      entry.put("first_values", firstValues(a));
      arrays.add(entry);
    }
    root.put("arrays", arrays);
    return new String(ZarrJson.bytes(root), StandardCharsets.UTF_8);
  }

  private static int version(ZarrFormat format) {
    return format == ZarrFormat.V2 ? 2 : 3;
  }

  /** The component, and for the arrays of a ragged or padded feature which part this one is. */
  private static String componentText(ZarrArrayReader a) {
    String c = a.component();
    if (a.name().equals(c + ".values")) {
      return c + " (ragged: values; row splits in " + c + ".row_splits)";
    }
    if (a.name().equals(c + ".row_splits")) {
      return c + " (ragged: row splits of " + c + ".values)";
    }
    if (a.name().endsWith(".lengths")) {
      return c + " (lengths of the padded " + a.name().substring(0, a.name().length() - ".lengths".length()) + ")";
    }
    return c;
  }

  /** The first values in C order, read from the first rows only. */
  private static String firstValues(ZarrArrayReader a) throws IOException {
    long perRow = a.rowBytes() / a.dtype().itemSize();
    long count = a.rows() * perRow;
    long rows = perRow == 0 ? 0 : Math.min(a.rows(), (InspectCommand.VALUES_SHOWN + perRow - 1) / perRow);
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment head = a.readRows(0, rows, arena);
      return InspectCommand.firstValues(head, a.dtype(), count, InspectCommand.VALUES_SHOWN);
    }
  }
}

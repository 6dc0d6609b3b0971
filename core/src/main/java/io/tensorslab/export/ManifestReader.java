package io.tensorslab.export;

import io.tensorslab.npy.NpyArray;
import io.tensorslab.npy.NpyFormatException;
import io.tensorslab.npy.NpyHeader;
import io.tensorslab.store.zarr.JsonReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Reopens an export from its {@code manifest.json}: every array it lists, mapped read-only and
 * checked against the manifest (dtype and shape). The reader accepts exactly what {@link Manifest}
 * writes (JSON objects, arrays, strings, integers and decimals), so no JSON library is needed.
 */
final class ManifestReader {
  private ManifestReader() {}

  static ExportResult open(Path directory) throws IOException {
    Path manifestPath = directory.resolve(Manifest.FILE_NAME);
    if (!Files.isRegularFile(manifestPath)) {
      throw new NoSuchFileException(manifestPath.toString(), null, "no export here: " + Manifest.FILE_NAME
          + " is missing (an export writes it last, so an export that did not finish has none)");
    }
    Map<String, Object> root = asObject(JsonReader.parse(Files.readString(manifestPath, StandardCharsets.UTF_8),
        "manifest", manifestPath), "the manifest", manifestPath);
    if (!"tensorslab-manifest/1".equals(root.get("format"))) {
      throw new IOException("unknown manifest: format is " + root.get("format") + ", expected"
          + " \"tensorslab-manifest/1\" (path=" + manifestPath + ")");
    }
    List<ExportedArray> arrays = new ArrayList<>();
    boolean success = false;
    try {
      for (Object item : asList(root.get("arrays"), "arrays", manifestPath)) {
        Map<String, Object> entry = asObject(item, "an array entry", manifestPath);
        String name = asString(entry.get("name"), "name", manifestPath);
        String file = asString(entry.get("file"), "file of " + name, manifestPath);
        Path filePath = directory.resolve(file).normalize();
        Path parent = filePath.toAbsolutePath().getParent();
        if (!directory.toAbsolutePath().normalize().equals(parent) || !file.endsWith(".npy")) {
          throw new IOException("bad manifest: array " + name + " names file '" + file + "' outside the export"
              + " directory (path=" + manifestPath + ")");
        }
        NpyArray array = NpyArray.open(filePath);
        arrays.add(new ExportedArray(name, asString(entry.get("component"), "component of " + name, manifestPath),
            array));
        List<?> dims = asList(entry.get("shape"), "shape of " + name, manifestPath);
        long[] shape = new long[dims.size()];
        for (int d = 0; d < shape.length; d++) {
          shape[d] = asLong(dims.get(d), "shape of " + name, manifestPath);
        }
        String descr = asString(entry.get("descr"), "descr of " + name, manifestPath);
        if (!descr.equals(array.header().dtype().descr()) || !Arrays.equals(shape, array.header().shape())) {
          throw new NpyFormatException("export changed since it was written: the manifest says " + descr + " "
              + NpyHeader.shapeText(shape) + ", the file holds " + array.header().dtype().descr() + " "
              + NpyHeader.shapeText(array.header().shape()) + " (array=" + name + ", path=" + filePath + ")");
        }
      }
      ExportResult result = new ExportResult(directory, arrays, asLong(root.get("rows"), "rows", manifestPath),
          asLong(root.get("batches"), "batches", manifestPath),
          arrays.stream().mapToLong(a -> a.segment().byteSize()).sum(),
          asLong(root.get("source_cardinality"), "source_cardinality", manifestPath),
          seconds(root.get("elapsed_seconds")), seconds(root.get("copy_seconds")));
      success = true;
      return result;
    } finally {
      if (!success) {
        arrays.forEach(a -> a.array().close());
      }
    }
  }

  private static long seconds(Object value) {
    return value instanceof Number n ? Math.round(n.doubleValue() * 1e9) : 0;
  }

  private static Map<String, Object> asObject(Object value, String what, Path path) throws IOException {
    return JsonReader.asObject(value, "manifest", what, path);
  }

  private static List<?> asList(Object value, String what, Path path) throws IOException {
    return JsonReader.asList(value, "manifest", what, path);
  }

  private static String asString(Object value, String what, Path path) throws IOException {
    return JsonReader.asString(value, "manifest", what, path);
  }

  private static long asLong(Object value, String what, Path path) throws IOException {
    return JsonReader.asLong(value, "manifest", what, path);
  }
}

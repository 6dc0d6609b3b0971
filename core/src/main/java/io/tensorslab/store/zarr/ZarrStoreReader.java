package io.tensorslab.store.zarr;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.stream.Stream;

/**
 * A Zarr store TensorSlab wrote, opened from its root group: the format, the manifest held in the
 * root attributes ({@link ZarrManifest}) and a {@link ZarrArrayReader} per array it lists, in
 * manifest order, each checked against the manifest's dtype and shape.
 *
 * {@snippet :
 * ZarrStoreReader store = ZarrStoreReader.open(dir);
 * for (ZarrArrayReader a : store.arrays()) {
 *   System.out.println(a.name() + " " + a.dtype().descr() + " " + Arrays.toString(a.shape()));
 * }
 * }
 *
 * <p>The root metadata is written last of all, so a store without it is not complete (an export
 * still running, failed or killed) and is refused, as is a directory that is no Zarr store at all.
 * Holds no open file; immutable.
 */
public final class ZarrStoreReader {
  private static final String SUBJECT = "zarr metadata";

  private final Path root;
  private final ZarrFormat format;
  private final Map<String, Object> attributes;
  private final long rows;
  private final List<ZarrArrayReader> arrays;

  private ZarrStoreReader(Path root, ZarrFormat format, Map<String, Object> attributes, long rows,
      List<ZarrArrayReader> arrays) {
    this.root = root;
    this.format = format;
    this.attributes = attributes;
    this.rows = rows;
    this.arrays = List.copyOf(arrays);
  }

  /**
   * True when {@code directory} holds Zarr metadata at its root or in a child directory (an array's):
   * a store, complete or not.
   */
  public static boolean looksLikeStore(Path directory) throws IOException {
    if (!Files.isDirectory(directory)) {
      return false;
    }
    if (hasZarrMetadata(directory)) {
      return true;
    }
    try (Stream<Path> children = Files.list(directory)) {
      for (Path child : (Iterable<Path>) children::iterator) {
        if (Files.isDirectory(child) && hasZarrMetadata(child)) {
          return true;
        }
      }
    }
    return false;
  }

  private static boolean hasZarrMetadata(Path directory) {
    for (String name : List.of(".zgroup", ".zattrs", ".zarray", "zarr.json")) {
      if (Files.exists(directory.resolve(name))) {
        return true;
      }
    }
    return false;
  }

  /**
   * Opens the store rooted at {@code root}.
   *
   * @throws NoSuchFileException when {@code root} is missing, or holds no root metadata (not complete,
   *     or no Zarr store)
   * @throws IOException when the metadata is not what TensorSlab writes, naming the file and what differs
   */
  public static ZarrStoreReader open(Path root) throws IOException {
    if (!Files.isDirectory(root)) {
      throw new NoSuchFileException(root.toString(), null, "no zarr store here: not a directory (path=" + root
          + ")");
    }
    Path v2 = root.resolve(ZarrGroups.rootMetadataFile(ZarrFormat.V2));
    Path v3 = root.resolve(ZarrGroups.rootMetadataFile(ZarrFormat.V3));
    boolean isV2 = Files.isRegularFile(v2);
    boolean isV3 = Files.isRegularFile(v3);
    if (isV2 && isV3) {
      throw new IOException("ambiguous zarr store: both .zgroup (v2) and zarr.json (v3) are at its root; remove"
          + " the stale one (path=" + root + ")");
    }
    if (Files.isRegularFile(root.resolve(".zarray"))
        || (isV3 && Files.readString(v3, StandardCharsets.UTF_8).contains("\"node_type\": \"array\""))) {
      throw new IOException("a zarr array, not a store: open the store directory that holds it (path=" + root
          + ")");
    }
    if (!isV2 && !isV3) {
      if (looksLikeStore(root)) {
        throw new NoSuchFileException(root.toString(), null, "zarr store not complete: its root metadata"
            + " (.zgroup or zarr.json, written last) is missing, so the export that wrote it did not finish;"
            + " export again (path=" + root + ")");
      }
      throw new NoSuchFileException(root.toString(), null, "not a zarr store: no .zgroup or zarr.json at its"
          + " root and no zarr array in it (path=" + root + ")");
    }
    ZarrFormat format = isV2 ? ZarrFormat.V2 : ZarrFormat.V3;
    Map<String, Object> attributes = isV2 ? v2Attributes(root, v2) : v3Attributes(v3);
    Path manifestFile = isV2 ? root.resolve(".zattrs") : v3;
    if (!ZarrManifest.FORMAT.equals(attributes.get("format"))) {
      throw new IOException("not a TensorSlab zarr store: the root attributes hold no TensorSlab manifest (format"
          + " is " + attributes.get("format") + ", expected \"" + ZarrManifest.FORMAT + "\") (path="
          + manifestFile + ")");
    }
    long rows = JsonReader.asLong(attributes.get("rows"), SUBJECT, "rows", manifestFile);
    List<ZarrArrayReader> arrays = new ArrayList<>();
    for (Object item : JsonReader.asList(attributes.get("arrays"), SUBJECT, "arrays", manifestFile)) {
      Map<String, Object> entry = JsonReader.asObject(item, SUBJECT, "an array entry", manifestFile);
      String name = JsonReader.asString(entry.get("name"), SUBJECT, "name", manifestFile);
      String file = JsonReader.asString(entry.get("file"), SUBJECT, "file of " + name, manifestFile);
      Path directory = root.resolve(file).normalize();
      if (!directory.startsWith(root.normalize()) || directory.equals(root.normalize())) {
        throw new IOException("bad zarr manifest: array " + name + " names directory '" + file + "' outside the"
            + " store (path=" + manifestFile + ")");
      }
      ZarrArrayReader array = ZarrArrayReader.open(root, file,
          JsonReader.asString(entry.get("component"), SUBJECT, "component of " + name, manifestFile));
      String descr = JsonReader.asString(entry.get("descr"), SUBJECT, "descr of " + name, manifestFile);
      long[] shape = JsonReader.asLongs(entry.get("shape"), SUBJECT, "shape of " + name, manifestFile);
      if (array.format() != format || !descr.equals(array.dtype().descr()) || !Arrays.equals(shape, array.shape())) {
        throw new IOException("zarr store changed since it was written: the manifest says " + descr + " "
            + Arrays.toString(shape) + " in " + format + ", the array holds " + array.dtype().descr() + " "
            + Arrays.toString(array.shape()) + " in " + array.format() + " (array=" + name + ", path="
            + array.directory() + ")");
      }
      arrays.add(array);
    }
    return new ZarrStoreReader(root, format, attributes, rows, arrays);
  }

  private static Map<String, Object> v2Attributes(Path root, Path zgroup) throws IOException {
    Map<String, Object> group = read(zgroup);
    if (!group.equals(Map.of("zarr_format", 2L))) {
      throw new IOException("not a TensorSlab zarr store: .zgroup holds " + group.keySet() + ", TensorSlab writes"
          + " only zarr_format 2 (path=" + zgroup + ")");
    }
    Path zattrs = root.resolve(".zattrs");
    if (!Files.isRegularFile(zattrs)) {
      throw new NoSuchFileException(zattrs.toString(), null, "zarr store not complete: the root .zattrs, which"
          + " holds the manifest, is missing (path=" + zattrs + ")");
    }
    return read(zattrs);
  }

  private static Map<String, Object> v3Attributes(Path zarrJson) throws IOException {
    Map<String, Object> group = read(zarrJson);
    for (String key : group.keySet()) {
      if (!List.of("zarr_format", "node_type", "attributes").contains(key)) {
        throw new IOException("not a TensorSlab zarr store: root metadata key '" + key + "' is not one TensorSlab"
            + " writes (path=" + zarrJson + ")");
      }
    }
    if (!Long.valueOf(3).equals(group.get("zarr_format")) || !"group".equals(group.get("node_type"))) {
      throw new IOException("not a TensorSlab zarr store: the root zarr.json is not a zarr v3 group (zarr_format "
          + group.get("zarr_format") + ", node_type " + group.get("node_type") + ") (path=" + zarrJson + ")");
    }
    return JsonReader.asObject(group.get("attributes"), SUBJECT, "attributes", zarrJson);
  }

  private static Map<String, Object> read(Path file) throws IOException {
    return JsonReader.asObject(JsonReader.parse(Files.readString(file, StandardCharsets.UTF_8), SUBJECT, file),
        SUBJECT, "the metadata", file);
  }

  public Path root() {
    return root;
  }

  public ZarrFormat format() {
    return format;
  }

  /** The manifest's {@code rows}: rows per component. */
  public long rows() {
    return rows;
  }

  /** The root group's attributes: the manifest ({@code format}, {@code rows}, {@code arrays}). */
  public Map<String, Object> attributes() {
    return attributes;
  }

  /** Every array, in manifest order. */
  public List<ZarrArrayReader> arrays() {
    return arrays;
  }

  /**
   * The array named {@code name}.
   *
   * @throws NoSuchElementException naming the arrays there are
   */
  public ZarrArrayReader array(String name) {
    for (ZarrArrayReader a : arrays) {
      if (a.name().equals(name)) {
        return a;
      }
    }
    throw new NoSuchElementException("no zarr array named '" + name + "'; there are "
        + arrays.stream().map(ZarrArrayReader::name).toList() + " (path=" + root + ")");
  }
}

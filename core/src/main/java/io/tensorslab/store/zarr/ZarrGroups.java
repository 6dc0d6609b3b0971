package io.tensorslab.store.zarr;

import io.tensorslab.slab.OutputFiles;
import io.tensorslab.store.StagedFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeSet;

/**
 * The group metadata of a store: the root group (which holds the export's attributes) and every
 * group between the root and an array ({@code a/b/x} makes groups {@code a} and {@code a/b}).
 * Written last, deepest first and the root's very last, so a root metadata file present means
 * every array and group under it is.
 */
public final class ZarrGroups {
  /** One metadata file to write: where and its bytes. */
  record MetadataFile(Path target, byte[] bytes) {}

  private ZarrGroups() {}

  /** The metadata file whose presence marks a complete store: {@code .zgroup} (v2) or {@code zarr.json} (v3). */
  public static String rootMetadataFile(ZarrFormat format) {
    return format == ZarrFormat.V2 ? ".zgroup" : "zarr.json";
  }

  /** The group metadata files, deepest group first, the root's last (v2: {@code .zattrs} before {@code .zgroup}). */
  static List<MetadataFile> metadata(Path root, ZarrFormat format, Collection<String> arrayPaths,
      Map<String, Object> rootAttributes) {
    TreeSet<String> groups = new TreeSet<>((a, b) -> {
      int depth = Long.compare(b.chars().filter(c -> c == '/').count(), a.chars().filter(c -> c == '/').count());
      return depth != 0 ? depth : a.compareTo(b);
    });
    for (String path : arrayPaths) {
      for (int slash = path.indexOf('/'); slash >= 0; slash = path.indexOf('/', slash + 1)) {
        groups.add(path.substring(0, slash));
      }
    }
    List<MetadataFile> files = new ArrayList<>();
    for (String group : groups) {
      addGroup(files, root.resolve(group), format, Map.of());
    }
    addGroup(files, root, format, rootAttributes);
    return files;
  }

  private static void addGroup(List<MetadataFile> files, Path directory, ZarrFormat format,
      Map<String, Object> attributes) {
    SortedMap<String, Object> group = ZarrJson.object();
    if (format == ZarrFormat.V2) {
      files.add(new MetadataFile(directory.resolve(".zattrs"), ZarrJson.bytes(attributes)));
      group.put("zarr_format", 2);
      files.add(new MetadataFile(directory.resolve(".zgroup"), ZarrJson.bytes(group)));
    } else {
      group.put("zarr_format", 3);
      group.put("node_type", "group");
      group.put("attributes", attributes);
      files.add(new MetadataFile(directory.resolve("zarr.json"), ZarrJson.bytes(group)));
    }
  }

  /**
   * Writes the group metadata under temporary names beside their targets and returns them in
   * publishing order (the root's last), for the export's commit to move into place after the arrays.
   */
  public static List<StagedFile> stage(Path root, ZarrFormat format, Collection<String> arrayPaths,
      Map<String, Object> rootAttributes, boolean durable) throws IOException {
    List<StagedFile> staged = new ArrayList<>();
    boolean success = false;
    try {
      for (MetadataFile file : metadata(root, format, arrayPaths, rootAttributes)) {
        staged.add(new StagedFile(writeTemporary(file.target(), file.bytes(), durable), file.target()));
      }
      success = true;
      return staged;
    } finally {
      if (!success) {
        for (StagedFile file : staged) {
          Files.deleteIfExists(file.temporary());
        }
      }
    }
  }

  /** Writes {@code bytes} to a fresh temporary file beside {@code target} and returns it. */
  static Path writeTemporary(Path target, byte[] bytes, boolean durable) throws IOException {
    try {
      return OutputFiles.writeTemporary(target, bytes, durable);
    } catch (IOException e) {
      throw new IOException("writing zarr metadata failed: " + e.getMessage() + " (path=" + target + ")", e);
    }
  }


  /**
   * Removes the root group's metadata of a store about to be rewritten (overwrite), so that while
   * and if the new export fails it does not look complete.
   */
  public static void unpublish(Path root, ZarrFormat format) throws IOException {
    Files.deleteIfExists(root.resolve(rootMetadataFile(format)));
    if (format == ZarrFormat.V2) {
      Files.deleteIfExists(root.resolve(".zattrs"));
    }
  }
}

package io.tensorslab.store.zarr;

import io.tensorslab.slab.OutputFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Zarr group on disk (v2 or v3) holding arrays of rows. Arrays are added with
 * {@link #array(ZarrArraySpec)} and filled through their {@link ZarrArrayWriter}s; {@link #commit}
 * then writes <em>all</em> metadata, last: every array's, every nested group's, and the root
 * group's as the very last file. A store without root metadata is visibly unfinished, and a failed
 * export ({@link #abort()}) leaves none. Metadata bytes depend only on the specs, row counts and
 * attributes, so several processes writing one store write identical metadata.
 *
 * {@snippet :
 * try (ZarrStore store = ZarrStore.create(dir, ZarrFormat.V3, true)) {
 *   ZarrArrayWriter x = store.array(new ZarrArraySpec(ZarrFormat.V3, "x", NpyDtype.FLOAT32,
 *       new long[] {8}, 1000, ZarrCodec.NONE, 1));
 *   RowWindow w = x.rows(0, 10);           // fill w.bytes(), then
 *   x.written(w.first(), w.rows());
 *   store.commit(Map.of());                 // finish(rows) of every array first
 * }
 * }
 *
 * <p>Names with {@code /} are nested groups. Thread safety: {@link #array} and {@link #commit}
 * from one thread; array writers as they document.
 */
public final class ZarrStore implements AutoCloseable {
  private final Path root;
  private final ZarrFormat format;
  private final boolean force;
  private final Map<String, ZarrArrayWriter> arrays = new LinkedHashMap<>();
  /** Written by several workers at once: abort and close delete no chunk (another worker's, or a rerun's). */
  private final boolean shared;
  private boolean committed;
  private boolean closed;

  private ZarrStore(Path root, ZarrFormat format, boolean force, boolean shared) {
    this.root = root;
    this.format = format;
    this.force = force;
    this.shared = shared;
  }

  /**
   * A store rooted at {@code root} (an existing directory). Nothing is written until arrays fill.
   *
   * @param force fsync chunk and metadata files before their renames (durable output)
   */
  public static ZarrStore create(Path root, ZarrFormat format, boolean force) throws IOException {
    if (!Files.isDirectory(root)) {
      throw new IOException("zarr store root is not a directory (path=" + root + ")");
    }
    return new ZarrStore(root, format, force, false);
  }

  /**
   * A store that several workers fill at once, each its own whole chunks ({@code convert --shard}):
   * writers finish with {@link ZarrArrayWriter#finishPart}, nothing is ever deleted (chunk files of
   * other workers, or complete chunks a rerun replaces), and no metadata is written: that is
   * {@link #commitMetadata}'s, once every part is done.
   */
  public static ZarrStore shared(Path root, ZarrFormat format, boolean force) throws IOException {
    if (!Files.isDirectory(root)) {
      throw new IOException("zarr store root is not a directory (path=" + root + ")");
    }
    return new ZarrStore(root, format, force, true);
  }

  /**
   * Writes the metadata of a store whose chunks are all written (by any number of processes), last:
   * the same bytes {@link #commit} writes for these specs and row counts, so any worker may do it,
   * and two doing it at once write identical files.
   *
   * @param rows each array's spec and final row count, in the order the arrays were added
   */
  public static void commitMetadata(Path root, ZarrFormat format, boolean force, Map<ZarrArraySpec, Long> rows,
      Map<String, Object> attributes) throws IOException {
    ZarrStore store = new ZarrStore(root, format, force, true);
    for (ZarrArraySpec spec : rows.keySet()) {
      checkPath(spec.path());
    }
    store.writeAllMetadata(rows, attributes);
  }

  public Path root() {
    return root;
  }

  public ZarrFormat format() {
    return format;
  }

  /**
   * Adds an array; its directory is created now, its metadata written at {@link #commit}.
   *
   * @throws IllegalArgumentException for a bad path (empty segment, leading dot, {@code ..}), a
   *     path given twice, or an array inside another array
   */
  public ZarrArrayWriter array(ZarrArraySpec spec) throws IOException {
    checkOpen();
    if (spec.format() != format) {
      throw new IllegalArgumentException("array is " + spec.format() + ", the store " + format + " (path="
          + spec.path() + ")");
    }
    String path = spec.path();
    checkPath(path);
    if (arrays.containsKey(path)) {
      throw new IllegalArgumentException("zarr array added twice (path=" + path + ")");
    }
    for (String other : arrays.keySet()) {
      if (other.startsWith(path + "/") || path.startsWith(other + "/")) {
        throw new IllegalArgumentException("zarr array '" + path + "' and array '" + other + "' clash: an array"
            + " cannot hold another; rename one (path=" + root.resolve(path) + ")");
      }
    }
    Path directory = root.resolve(path);
    Files.createDirectories(directory);
    ZarrArrayWriter writer = new ZarrArrayWriter(directory, spec, force);
    arrays.put(path, writer);
    return writer;
  }

  private static void checkPath(String path) {
    if (path.isEmpty()) {
      throw new IllegalArgumentException("zarr array path is empty");
    }
    for (String segment : path.split("/", -1)) {
      if (segment.isEmpty() || segment.startsWith(".")) {
        throw new IllegalArgumentException("zarr array path '" + path + "' has an empty segment or one starting"
            + " with '.', which Zarr keeps for metadata (path=" + path + ")");
      }
    }
  }

  /** The arrays added so far, by path. */
  public Map<String, ZarrArrayWriter> arrays() {
    return Map.copyOf(arrays);
  }

  /**
   * Writes all metadata, last: each array's (with the rows it was finished at), each nested
   * group's, and the root group's with {@code attributes} (v2: {@code .zattrs}, then
   * {@code .zgroup}; v3: {@code zarr.json}). Every array must be finished.
   */
  public void commit(Map<String, Object> attributes) throws IOException {
    checkOpen();
    for (ZarrArrayWriter writer : arrays.values()) {
      if (writer.finishedRows() < 0) {
        throw new IllegalStateException("zarr array is not finished at commit (path=" + writer.directory() + ")");
      }
    }
    Map<ZarrArraySpec, Long> rows = new LinkedHashMap<>();
    for (ZarrArrayWriter writer : arrays.values()) {
      rows.put(writer.spec(), writer.finishedRows());
    }
    writeAllMetadata(rows, attributes);
    committed = true;
  }

  /** Every array's metadata, the nested groups' (deepest first), then the root group's, last. */
  private void writeAllMetadata(Map<ZarrArraySpec, Long> rows, Map<String, Object> attributes) throws IOException {
    for (Map.Entry<ZarrArraySpec, Long> e : rows.entrySet()) {
      ZarrArraySpec spec = e.getKey();
      Path directory = root.resolve(spec.path());
      Files.createDirectories(directory);
      for (ZarrArraySpec.MetadataFile file : spec.metadataFiles(e.getValue())) {
        writeMetadata(directory.resolve(file.name()), file.bytes());
      }
    }
    for (ZarrGroups.MetadataFile file : ZarrGroups.metadata(root, format,
        rows.keySet().stream().map(ZarrArraySpec::path).toList(), attributes)) {
      writeMetadata(file.target(), file.bytes());
    }
    if (force) {
      OutputFiles.syncDirectory(root);
    }
  }

  private void writeMetadata(Path target, byte[] bytes) throws IOException {
    Path temporary = ZarrGroups.writeTemporary(target, bytes, force);
    try {
      OutputFiles.moveIntoPlace(temporary, target, true);
    } finally {
      Files.deleteIfExists(temporary);
    }
  }

  /**
   * Deletes everything this store wrote: each array's directory, then group directories left
   * empty. Metadata is written only by {@link #commit}, so an aborted store never looks complete.
   */
  public void abort() throws IOException {
    if (shared) {
      // Chunks here may be another worker's, or complete ones a rerun keeps: close, delete nothing.
      arrays.values().forEach(ZarrArrayWriter::close);
      arrays.clear();
      closed = true;
      return;
    }
    List<IOException> failures = new ArrayList<>();
    for (ZarrArrayWriter writer : arrays.values()) {
      writer.close();
      try {
        ZarrFiles.deleteArray(writer.directory(), root);
      } catch (IOException e) {
        failures.add(e);
      }
    }
    arrays.clear();
    closed = true;
    if (!failures.isEmpty()) {
      IOException first = failures.getFirst();
      throw new IOException("removing an unfinished zarr store failed: " + first.getMessage() + " (path=" + root
          + ")", first);
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("zarr store is closed (path=" + root + ")");
    }
    if (committed) {
      throw new IllegalStateException("zarr store is already committed (path=" + root + ")");
    }
  }

  /** Closes the array writers; a store not committed is aborted (its files removed). */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    if (!committed) {
      abort();
      return;
    }
    closed = true;
    for (ZarrArrayWriter writer : arrays.values()) {
      writer.close();
    }
  }
}

package io.tensorslab.tfrecord;

import io.tensorslab.objectstore.ObjectFetch;
import io.tensorslab.objectstore.ObjectStore;
import io.tensorslab.objectstore.ObjectStores;
import io.tensorslab.objectstore.ObjectUrl;
import io.tensorslab.objectstore.StoredObject;
import io.tensorslab.slab.TemporaryFiles;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * TFRecord inputs as a user names them, local or in object storage, made into local files: local
 * inputs are expanded by {@link TfRecordInputs#expand}; URLs ({@code s3://bucket/key},
 * {@code gs://...}) are expanded with the same rules (an object; a prefix ending in {@code /}, or
 * naming no object, is a directory: the objects directly under it, hidden and {@code .json} ones
 * skipped; a glob in the key matches keys as a local glob matches paths, {@code *} not crossing
 * {@code /}) through the {@link ObjectStore} serving the scheme, then fetched ({@link ObjectFetch})
 * into temporary files in a staging directory, typically the output directory's parent. The
 * engines read those copies as local files; {@link #nameOf} gives the URL back for messages. Copies
 * that a killed run left in the staging directory are deleted by the next fetch into it.
 *
 * {@snippet :
 * try (TfRecordSources sources = TfRecordSources.open(List.of("s3://bucket/train-*.tfrecord"), Path.of("."))) {
 *   TfRecordConversion c = TfRecordConversion.builder().inputs(sources).to(Path.of("out")).build();
 *   try (ExportResult result = c.run()) { ... }
 * }                                   // the fetched copies are deleted here
 * }
 *
 * <p>Owned by the thread that opened it; {@link #close} deletes the copies.
 */
public final class TfRecordSources implements AutoCloseable {

  private final List<Path> files;
  private final Map<Path, String> urls;

  private TfRecordSources(List<Path> files, Map<Path, String> urls) {
    this.files = List.copyOf(files);
    this.urls = urls;
  }

  /** Local inputs only, expanded by {@link TfRecordInputs#expand}, which refuses a URL among them. */
  public static TfRecordSources local(List<String> inputs) throws IOException {
    return new TfRecordSources(TfRecordInputs.expand(inputs), Map.of());
  }

  /** {@link #open(List, Path, ObjectFetch)} with the default ranged reads. */
  public static TfRecordSources open(List<String> inputs, Path stagingDirectory) throws IOException {
    return open(inputs, stagingDirectory, new ObjectFetch());
  }

  /**
   * Expands every input in order and fetches the objects among them into {@code stagingDirectory}.
   *
   * @throws IllegalArgumentException for an input that names nothing (a glob matching nothing, a
   *     missing key, an empty prefix), an unsupported scheme or an input given twice, naming it
   * @throws IOException when a bucket is missing, access is denied, the service cannot be reached or
   *     an object cannot be read whole, naming the URL; no copy is left then
   */
  public static TfRecordSources open(List<String> inputs, Path stagingDirectory, ObjectFetch fetch)
      throws IOException {
    if (inputs == null || inputs.isEmpty()) {
      throw new IllegalArgumentException("no TFRecord input given");
    }
    boolean anyUrl = inputs.stream().anyMatch(ObjectUrl::isUrl);
    if (!anyUrl) {
      return local(inputs);
    }
    // Every file or object in order, each under the name that finds a second mention of it.
    Map<String, Expanded> expanded = new LinkedHashMap<>();
    try (ObjectStores stores = new ObjectStores()) {
      for (String input : inputs) {
        List<Expanded> found = new ArrayList<>();
        if (ObjectUrl.isUrl(input)) {
          expandUrl(input, stores).forEach(o -> found.add(new Expanded(input, null, o)));
        } else {
          TfRecordInputs.expand(List.of(input)).forEach(p -> found.add(new Expanded(input, p, null)));
        }
        for (Expanded e : found) {
          Expanded earlier = expanded.putIfAbsent(e.identity(), e);
          if (earlier != null) {
            // Reading an input twice would silently double its rows.
            throw new IllegalArgumentException("input " + e.identity() + " is given twice (by '" + earlier.input()
                + "' and '" + input + "'); name each input once");
          }
        }
      }
      return fetchAll(List.copyOf(expanded.values()), stagingDirectory, fetch);
    }
  }

  /** One file or object an input names: a local {@code file}, or an {@code object} to fetch. */
  private record Expanded(String input, Path file, StoredObject object) {
    String identity() {
      return object != null ? object.url().toString() : file.toAbsolutePath().normalize().toString();
    }
  }

  private static TfRecordSources fetchAll(List<Expanded> expanded, Path stagingDirectory, ObjectFetch fetch)
      throws IOException {
    if (!Files.isDirectory(stagingDirectory)) {
      throw new IOException("cannot fetch the object-storage inputs: the directory for their local copies does "
          + "not exist (path=" + stagingDirectory + ")");
    }
    List<Path> files = new ArrayList<>();
    List<StoredObject> objects = new ArrayList<>();
    List<Path> copies = new ArrayList<>();
    Map<Path, String> urls = new LinkedHashMap<>();
    for (Expanded e : expanded) {
      if (e.object() == null) {
        files.add(e.file());
        continue;
      }
      String key = e.object().url().key();
      String base = key.substring(key.lastIndexOf('/') + 1);
      // A temporary name: a killed run leaves a file that says whose it is, never one named as an input.
      Path copy = TemporaryFiles.beside(stagingDirectory.resolve(base.isEmpty() ? "object" : base)).toAbsolutePath();
      objects.add(e.object());
      copies.add(copy);
      urls.put(copy, e.object().url().toString());
      files.add(copy);
    }
    // Copies a killed run left here (its process gone) would stay forever: nothing else looks beside DIR.
    TemporaryFiles.removeStaleIn(stagingDirectory);
    fetch.fetch(objects, copies);
    return new TfRecordSources(files, urls);
  }

  /** The objects one URL input names (see the class comment); never empty. */
  private static List<StoredObject> expandUrl(String input, ObjectStores stores) throws IOException {
    ObjectUrl url = ObjectUrl.parse(input);
    ObjectStore store = stores.serving(url);
    if (TfRecordInputs.isGlob(url.bucket())) {
      throw new IllegalArgumentException("input '" + input + "': a glob may match keys, not bucket names");
    }
    String key = url.key();
    if (TfRecordInputs.isGlob(key)) {
      // The listing starts at the last '/' before the first glob character, as a local glob's walk does.
      int firstGlob = 0;
      while (!TfRecordInputs.isGlob(key.substring(firstGlob, firstGlob + 1))) {
        firstGlob++;
      }
      String prefix = key.substring(0, key.lastIndexOf('/', firstGlob) + 1);
      String rest = key.substring(prefix.length());
      PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + rest);
      // Keys in "subdirectories" only when the pattern can match them ('*/x', '**'), as the local walk's depth.
      boolean deep = rest.contains("/") || rest.contains("**");
      List<StoredObject> matched = new ArrayList<>();
      for (StoredObject o : store.list(url.withKey(prefix), deep)) {
        String relative = o.url().key().substring(prefix.length());
        if (!relative.isEmpty() && !relative.endsWith("/") && matcher.matches(Path.of(relative))) {
          matched.add(o);
        }
      }
      if (matched.isEmpty()) {
        throw new IllegalArgumentException("input glob '" + input + "' matches no object");
      }
      return matched;
    }
    if (!key.isEmpty() && !key.endsWith("/")) {
      StoredObject object = store.object(url);
      if (object != null) {
        return List.of(object);
      }
      key = key + "/";
    }
    List<StoredObject> files = new ArrayList<>();
    for (StoredObject o : store.list(url.withKey(key), false)) {
      String name = o.url().key().substring(key.length());
      if (!name.isEmpty() && TfRecordInputs.isDataFileName(name)) {
        files.add(o);
      }
    }
    if (files.isEmpty()) {
      if (url.key().isEmpty() || url.key().endsWith("/")) {
        throw new IllegalArgumentException("input prefix '" + input + "' holds no object");
      }
      // As a missing local file: an input that cannot be read, not a usage error.
      throw new IOException("cannot read TFRecord input: no such object, nor objects under '" + key + "' (url="
          + input + ")");
    }
    return files;
  }

  /** The local files to read, in order: local inputs as they are, objects as their fetched copies. */
  public List<Path> files() {
    return files;
  }

  /** True when some input was fetched from object storage. */
  public boolean fetchedAny() {
    return !urls.isEmpty();
  }

  /** The fetched copies and the URL each came from. */
  public Map<Path, String> urls() {
    return Map.copyOf(urls);
  }

  /** How a user named {@code file}: its URL for a fetched copy, the path otherwise. */
  public String nameOf(Path file) {
    String url = urls.get(file);
    return url != null ? url : String.valueOf(file);
  }

  /** Deletes the fetched copies; idempotent. */
  @Override
  public void close() throws IOException {
    IOException first = null;
    for (Path copy : urls.keySet()) {
      try {
        Files.deleteIfExists(copy);
      } catch (IOException e) {
        if (first == null) {
          first = e;
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }
}

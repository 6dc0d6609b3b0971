package io.tensorslab.tfrecord;

import io.tensorslab.objectstore.ObjectUrl;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The input files of a TFRecord read, as a user names them: files, quoted globs expanded here
 * ({@code 'data/train-*-of-01024'}, sorted by path), and directories (their regular files, sorted;
 * hidden files and {@code .json} files, such as the metadata TFDS writes beside its shards, skipped); and how they are compressed, detected from their first bytes when not given.
 *
 * {@snippet :
 * List<Path> files = TfRecordInputs.expand(List.of("data/train-*.tfrecord.gz", "extra/"));
 * TfRecordCompression c = TfRecordInputs.detectCompression(files); // GZIP
 * }
 */
public final class TfRecordInputs {

  private TfRecordInputs() {}

  /**
   * Expands every input in order: a glob to its matching regular files sorted by path, a directory to
   * its regular files sorted by name (but hidden and {@code .json} files), a file to itself.
   *
   * @throws IllegalArgumentException for a glob that matches nothing, a file named twice or an
   *     object-storage URL (see {@link TfRecordSources}), naming it
   * @throws IOException for a directory that cannot be listed
   */
  public static List<Path> expand(List<String> inputs) throws IOException {
    if (inputs == null || inputs.isEmpty()) {
      throw new IllegalArgumentException("no TFRecord input given");
    }
    List<Path> files = new ArrayList<>();
    Map<Path, String> givenBy = new HashMap<>();
    for (String input : inputs) {
      if (ObjectUrl.isUrl(input)) {
        // As a path it would be a missing file with its "//" collapsed: say what it is instead.
        throw new IllegalArgumentException("input '" + input + "' is an object-storage URL, which only "
            + "'tensorslab convert' (TfRecordSources.open) fetches; copy the objects to a local or shared filesystem "
            + "to read them here");
      }
      List<Path> found;
      if (isGlob(input)) {
        found = glob(input);
        if (found.isEmpty()) {
          throw new IllegalArgumentException("input glob '" + input + "' matches no file");
        }
      } else {
        Path p = Path.of(input);
        if (Files.isDirectory(p)) {
          found = regularFiles(p);
          if (found.isEmpty()) {
            throw new IllegalArgumentException("input directory '" + input + "' holds no file");
          }
        } else {
          found = List.of(p); // a missing or unreadable file is the reader's to name, with its record context
        }
      }
      for (Path f : found) {
        String earlier = givenBy.putIfAbsent(f.toAbsolutePath().normalize(), input);
        if (earlier != null) {
          // Reading a file twice would silently double its rows.
          throw new IllegalArgumentException("input file " + f + " is given twice (by '" + earlier + "' and '"
              + input + "'); name each file once");
        }
        files.add(f);
      }
    }
    return List.copyOf(files);
  }

  /**
   * The compression shared by all {@code files}, each detected by {@link #detectCompression(Path)};
   * empty files fit any.
   *
   * @throws IllegalArgumentException when two files differ, naming both
   */
  public static TfRecordCompression detectCompression(List<Path> files) throws IOException {
    TfRecordCompression found = null;
    Path foundIn = null;
    for (Path f : files) {
      TfRecordCompression c = detectCompression(f);
      if (c == null) {
        continue;
      }
      if (found != null && c != found) {
        throw new IllegalArgumentException("inputs are compressed differently: " + foundIn + " is "
            + found.cliName() + ", " + f + " is " + c.cliName() + "; one run reads all files one way, "
            + "so convert them separately");
      }
      found = c;
      foundIn = f;
    }
    return found == null ? TfRecordCompression.NONE : found;
  }

  /**
   * How one file is stored, from its first 12 bytes: a plain TFRecord when they are a record header
   * whose length checksum matches (checked first: a plain length may begin with gzip's magic), GZIP
   * for the gzip magic {@code 1f 8b}, ZLIB for a valid zlib header (deflate, check bits). Anything
   * else is taken as plain, and the reader then says it is not a TFRecord file.
   *
   * @return the compression, or null for an empty file
   */
  public static TfRecordCompression detectCompression(Path file) throws IOException {
    byte[] head;
    try (InputStream in = Files.newInputStream(file)) {
      head = in.readNBytes(12);
    }
    if (head.length == 0) {
      return null;
    }
    if (head.length == 12 && ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN).getInt(8)
        == TfRecordReader.maskedCrc32c(head, 8)) {
      return TfRecordCompression.NONE;
    }
    if (head.length >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) {
      return TfRecordCompression.GZIP;
    }
    if (head.length >= 2) {
      int cmf = head[0] & 0xff;
      int flg = head[1] & 0xff;
      if ((cmf & 0x0f) == 8 && (cmf >> 4) <= 7 && (cmf * 256 + flg) % 31 == 0) {
        return TfRecordCompression.ZLIB;
      }
    }
    return TfRecordCompression.NONE;
  }

  static boolean isGlob(String input) {
    for (int i = 0; i < input.length(); i++) {
      char c = input.charAt(i);
      if (c == '*' || c == '?' || c == '[' || c == '{') {
        return true;
      }
    }
    return false;
  }

  /** Files matching {@code pattern}: the walk starts at its longest leading part without glob characters. */
  private static List<Path> glob(String pattern) throws IOException {
    Path whole = Path.of(pattern);
    Path base = whole.isAbsolute() ? whole.getRoot() : Path.of("");
    int first = 0;
    for (; first < whole.getNameCount() - 1; first++) {
      String segment = whole.getName(first).toString();
      if (isGlob(segment)) {
        break;
      }
      base = base.resolve(segment);
    }
    Path rest = whole.subpath(first, whole.getNameCount());
    PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + rest);
    int depth = rest.toString().contains("**") ? Integer.MAX_VALUE : rest.getNameCount();
    Path start = base.toString().isEmpty() ? Path.of(".") : base;
    if (!Files.isDirectory(start)) {
      return List.of();
    }
    Path walkBase = start;
    boolean relative = base.toString().isEmpty();
    try (Stream<Path> walk = Files.walk(start, depth)) {
      return walk
          .filter(p -> Files.isRegularFile(p))
          .filter(p -> matcher.matches(walkBase.relativize(p)))
          .map(p -> relative ? walkBase.relativize(p) : p)
          .sorted()
          .toList();
    }
  }

  /**
   * True for a file of a directory (or an object under a prefix) that is read as records: not
   * hidden, not {@code .json} (TFDS writes dataset_info.json and features.json beside its shards:
   * metadata, not records).
   */
  static boolean isDataFileName(String name) {
    return !name.startsWith(".") && !name.endsWith(".json");
  }

  private static List<Path> regularFiles(Path dir) throws IOException {
    try (Stream<Path> list = Files.list(dir)) {
      return list
          .filter(Files::isRegularFile)
          .filter(p -> isDataFileName(p.getFileName().toString()))
          .sorted()
          .toList();
    }
  }
}

package io.tensorslab.store;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The one place where an output name (a component or feature name, any string a TFRecord may hold)
 * becomes a file path inside the output directory. Nothing this class returns can leave that
 * directory, whatever the name holds.
 *
 * <p>The rule, applied to each {@code /}-separated segment of the name:
 * <ul>
 *   <li>a <em>safe</em> segment — letters, digits, {@code _ . -}, not starting with {@code .} or
 *       {@code -}, at most {@value #MAX_SEGMENT} characters — is used as is, so
 *       {@code image/object/bbox/xmin} is written as {@code image/object/bbox/xmin.npy};</li>
 *   <li>any other segment (empty, {@code .}, {@code ..}, spaces, {@code :}, {@code %}, control or
 *       non-ASCII characters, a leading {@code .} or {@code -}) is written <em>escaped</em>:
 *       {@code %} followed by the segment's UTF-8 bytes, letters, digits, {@code _ . -} kept and
 *       every other byte as {@code %XX} (upper-case hex). {@code ../../x} becomes
 *       {@code %../%../x.npy}, {@code /abs/x} becomes {@code %/abs/x.npy}, {@code a b} becomes
 *       {@code %a%20b.npy}. Decoding is the reverse ({@link #nameOf});</li>
 *   <li>an escaped segment longer than {@value #MAX_SEGMENT} characters is cut and ended by
 *       {@code ~} and 16 hex digits of the SHA-256 of the whole name: not reversible from the file
 *       name, so {@code manifest.json} keeps every file's original name;</li>
 *   <li>a name of more than {@value #MAX_DEPTH} segments or {@value #MAX_PATH} characters is escaped
 *       as one segment (a flat file in the directory).</li>
 * </ul>
 * Safe segments never start with {@code %} and escaped ones always do, so the two never collide.
 *
 * {@snippet :
 * OutputNames.relativePath("image/object/bbox/xmin.values", ".npy"); // "image/object/bbox/xmin.values.npy"
 * OutputNames.relativePath("../../x", ".npy");                       // "%../%../x.npy"
 * OutputNames.nameOf("%../%../x.npy", ".npy");                       // "../../x"
 * }
 */
public final class OutputNames {

  /** Longest segment written, in characters (the file system allows 255 bytes; temporary names add ~40). */
  public static final int MAX_SEGMENT = 180;
  /** Most nested directories a name may open. */
  public static final int MAX_DEPTH = 32;
  /** Longest relative path written from nested segments. */
  public static final int MAX_PATH = 1024;

  private static final Pattern SAFE_SEGMENT = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]*");
  private static final char ESCAPE = '%';
  private static final char HASHED = '~';
  /** Characters of an escaped segment kept before the hash when it is too long. */
  private static final int HASHED_PREFIX = MAX_SEGMENT - 1 - 16;

  private OutputNames() {}

  /**
   * The path, relative to the output directory and with {@code /} between directories, where the
   * output {@code name} is written with {@code extension} ({@code .npy}, {@code .staging}) appended.
   */
  public static String relativePath(String name, String extension) {
    Objects.requireNonNull(name, "name");
    List<String> segments = splitSegments(name);
    StringBuilder path = new StringBuilder();
    if (segments.size() > MAX_DEPTH || name.length() > MAX_PATH) {
      path.append(escapedSegment(name, name));
    } else {
      for (int i = 0; i < segments.size(); i++) {
        String s = segments.get(i);
        path.append(i == 0 ? "" : "/").append(isSafe(s) ? s : escapedSegment(s, name));
      }
    }
    return path.append(extension).toString();
  }

  /**
   * The file of {@code name} in {@code dir}: {@link #relativePath} resolved against it. The result is
   * always strictly inside {@code dir}.
   */
  public static Path resolve(Path dir, String name, String extension) {
    Path file = dir.resolve(relativePath(name, extension)).normalize();
    if (!file.startsWith(dir.normalize()) || file.equals(dir.normalize())) {
      // Cannot happen by construction; kept so that a future change to the rule fails loudly, not outside DIR.
      throw new IllegalStateException("output name '" + name + "' maps outside the output directory (path=" + file + ")");
    }
    return file;
  }

  /**
   * The original name of a file written by this class, from its relative path (with {@code /}), or
   * null when a segment was shortened with a hash (the manifest then has the name).
   */
  public static String nameOf(String relativePath, String extension) {
    if (!relativePath.endsWith(extension)) {
      throw new IllegalArgumentException("'" + relativePath + "' does not end with " + extension);
    }
    String stem = relativePath.substring(0, relativePath.length() - extension.length());
    StringBuilder name = new StringBuilder();
    String[] segments = stem.split("/", -1);
    for (int i = 0; i < segments.length; i++) {
      String s = segments[i];
      if (s.indexOf(HASHED) >= 0) {
        return null;
      }
      name.append(i == 0 ? "" : "/").append(s.startsWith("%") ? unescape(s.substring(1)) : s);
    }
    return name.toString();
  }

  /**
   * Refuses two outputs that would be written to one file, or one written where another needs a
   * directory ({@code x} and {@code x.npy/y}).
   *
   * @param fileByName relative path (from {@link #relativePath}) per output name
   * @throws IllegalArgumentException naming both outputs and the file
   */
  public static void checkDistinct(Map<String, String> fileByName) {
    Map<String, String> nameByFile = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : fileByName.entrySet()) {
      String earlier = nameByFile.putIfAbsent(e.getValue(), e.getKey());
      if (earlier != null) {
        throw new IllegalArgumentException("outputs '" + earlier + "' and '" + e.getKey()
            + "' would both be written to " + e.getValue() + "; rename or drop one of them");
      }
    }
    for (Map.Entry<String, String> e : fileByName.entrySet()) {
      String file = e.getValue();
      for (int slash = file.indexOf('/'); slash >= 0; slash = file.indexOf('/', slash + 1)) {
        String other = nameByFile.get(file.substring(0, slash));
        if (other != null) {
          throw new IllegalArgumentException("output '" + other + "' is written to " + file.substring(0, slash)
              + ", where output '" + e.getKey() + "' needs a directory for " + file + "; rename or drop one of them");
        }
      }
    }
  }

  /**
   * Creates the directories between {@code dir} and {@code file}, refusing any that exists as a
   * symbolic link or a non-directory (so that a link planted in the output directory cannot lead a
   * write outside it).
   *
   * @return the directories created here, outermost first (to remove them again on failure)
   * @throws IOException naming the path that is in the way
   */
  public static List<Path> createParents(Path dir, Path file) throws IOException {
    Path relative = dir.relativize(file);
    List<Path> created = new ArrayList<>();
    Path at = dir;
    for (int i = 0; i < relative.getNameCount() - 1; i++) {
      at = at.resolve(relative.getName(i));
      if (Files.isSymbolicLink(at)) {
        throw new FileAlreadyExistsException(at.toString(), null,
            "output path is a symbolic link; it is not followed, remove it or choose another directory (path=" + at + ")");
      }
      if (Files.exists(at, LinkOption.NOFOLLOW_LINKS)) {
        if (!Files.isDirectory(at, LinkOption.NOFOLLOW_LINKS)) {
          throw new FileAlreadyExistsException(at.toString(), null,
              "output path is a file where a directory is needed for " + relative + " (path=" + at + ")");
        }
        continue;
      }
      Files.createDirectory(at);
      created.add(at);
    }
    return created;
  }

  /** True when {@code segment} is written as is. */
  static boolean isSafe(String segment) {
    return segment.length() <= MAX_SEGMENT && SAFE_SEGMENT.matcher(segment).matches();
  }

  private static List<String> splitSegments(String name) {
    List<String> segments = new ArrayList<>();
    int start = 0;
    for (int slash = name.indexOf('/'); slash >= 0; slash = name.indexOf('/', start)) {
      segments.add(name.substring(start, slash));
      start = slash + 1;
    }
    segments.add(name.substring(start));
    return segments;
  }

  private static String escapedSegment(String segment, String wholeName) {
    StringBuilder s = new StringBuilder().append(ESCAPE);
    for (byte b : segment.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.'
          || c == '-') {
        s.append((char) c);
      } else {
        s.append(ESCAPE).append(HexFormat.of().withUpperCase().toHexDigits((byte) c));
      }
    }
    if (s.length() <= MAX_SEGMENT) {
      return s.toString();
    }
    int cut = HASHED_PREFIX;
    // Never cut inside a %XX triple.
    if (s.charAt(cut - 1) == ESCAPE) {
      cut -= 1;
    } else if (s.charAt(cut - 2) == ESCAPE && cut - 2 > 0) {
      cut -= 2;
    }
    return s.substring(0, cut) + HASHED + sha256Prefix(wholeName + "\u0000" + segment);
  }

  private static String unescape(String escaped) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(escaped.length());
    for (int i = 0; i < escaped.length(); i++) {
      char c = escaped.charAt(i);
      if (c == ESCAPE) {
        if (i + 2 >= escaped.length()) {
          throw new IllegalArgumentException("'%" + escaped + "' ends inside a %XX escape");
        }
        bytes.write(HexFormat.fromHexDigits(escaped, i + 1, i + 3));
        i += 2;
      } else {
        bytes.write(c);
      }
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }

  private static String sha256Prefix(String text) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("every JDK has SHA-256", e);
    }
  }
}

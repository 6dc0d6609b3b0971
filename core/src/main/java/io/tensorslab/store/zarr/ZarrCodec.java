package io.tensorslab.store.zarr;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How chunk bytes are compressed: none, gzip (the JDK's deflate in gzip framing) or zstd
 * (zstd-jni), with a level. Written so that numcodecs reads them in Zarr v2 ({@code GZip},
 * {@code Zstd}) and every Zarr v3 reader reads the {@code gzip} and {@code zstd} codecs.
 *
 * {@snippet :
 * ZarrCodec codec = ZarrCodec.parse("zstd");     // level 3
 * ZarrCodec fast = ZarrCodec.parse("gzip:1");
 * }
 *
 * @param name {@code none}, {@code gzip} or {@code zstd}
 * @param level gzip 0-9, zstd 1-22; 0 for none
 */
public record ZarrCodec(String name, int level) {

  public static final ZarrCodec NONE = new ZarrCodec("none", 0);
  /** gzip level 1: about as small as level 6 on numeric data, several times faster. */
  public static final int DEFAULT_GZIP_LEVEL = 1;
  /** zstd's own default level. */
  public static final int DEFAULT_ZSTD_LEVEL = 3;

  public ZarrCodec {
    switch (name) {
      case "none" -> {
        if (level != 0) {
          throw new IllegalArgumentException("codec none takes no level, got " + level);
        }
      }
      case "gzip" -> {
        if (level < 0 || level > 9) {
          throw new IllegalArgumentException("gzip level must be 0-9, got " + level);
        }
      }
      case "zstd" -> {
        if (level < 1 || level > 22) {
          throw new IllegalArgumentException("zstd level must be 1-22, got " + level);
        }
      }
      default -> throw new IllegalArgumentException("unknown codec '" + name + "': use none, gzip or zstd");
    }
  }

  /**
   * Parses {@code none}, {@code gzip}, {@code zstd}, or {@code gzip:LEVEL} / {@code zstd:LEVEL}.
   *
   * @throws IllegalArgumentException naming the text and what is accepted
   */
  public static ZarrCodec parse(String text) {
    String lower = text.trim().toLowerCase(Locale.ROOT);
    int colon = lower.indexOf(':');
    String name = colon < 0 ? lower : lower.substring(0, colon);
    if (colon < 0) {
      return switch (name) {
        case "none" -> NONE;
        case "gzip" -> new ZarrCodec("gzip", DEFAULT_GZIP_LEVEL);
        case "zstd" -> new ZarrCodec("zstd", DEFAULT_ZSTD_LEVEL);
        default -> throw new IllegalArgumentException("unknown codec '" + text + "': use none, gzip, zstd,"
            + " gzip:LEVEL or zstd:LEVEL");
      };
    }
    int level;
    try {
      level = Integer.parseInt(lower.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("codec level is not a number in '" + text + "': use gzip:1 or zstd:3");
    }
    try {
      return new ZarrCodec(name, level);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("bad codec '" + text + "': " + e.getMessage()
          + " (use none, gzip:0-9 or zstd:1-22)", e);
    }
  }

  public boolean compresses() {
    return !name.equals("none");
  }

  /** Zarr v2's {@code compressor}: null, or numcodecs' {@code {"id": ..., "level": ...}}. */
  Object v2Compressor() {
    if (!compresses()) {
      return null;
    }
    Map<String, Object> config = ZarrJson.object();
    config.put("id", name);
    config.put("level", level);
    return config;
  }

  /** Zarr v3's codecs after {@code bytes}: none, or one {@code gzip} / {@code zstd} entry. */
  List<Object> v3Codecs() {
    if (!compresses()) {
      return List.of();
    }
    Map<String, Object> configuration = ZarrJson.object();
    configuration.put("level", level);
    if (name.equals("zstd")) {
      configuration.put("checksum", false);
    }
    Map<String, Object> codec = ZarrJson.object();
    codec.put("name", name);
    codec.put("configuration", configuration);
    return List.of(codec);
  }

  @Override
  public String toString() {
    return compresses() ? name + ":" + level : name;
  }
}

package io.tensorslab.objectstore;

/**
 * An object-storage URL taken apart: {@code s3://bucket/dir/key} is scheme {@code s3}, bucket
 * {@code bucket}, key {@code dir/key} (the key may be empty or end with {@code /}).
 */
public record ObjectUrl(String scheme, String bucket, String key) {

  /** True when {@code input} looks like a URL ({@code scheme://...}) rather than a local path. */
  public static boolean isUrl(String input) {
    int colon = input.indexOf("://");
    if (colon <= 0) {
      return false;
    }
    for (int i = 0; i < colon; i++) {
      char c = input.charAt(i);
      if (!(Character.isLetterOrDigit(c) || c == '+' || c == '-' || c == '.')) {
        return false;
      }
    }
    return true;
  }

  /**
   * Parses {@code scheme://bucket/key}.
   *
   * @throws IllegalArgumentException when there is no bucket, naming the URL
   */
  public static ObjectUrl parse(String url) {
    if (!isUrl(url)) {
      throw new IllegalArgumentException("not an object-storage URL: '" + url + "'");
    }
    int colon = url.indexOf("://");
    String rest = url.substring(colon + 3);
    int slash = rest.indexOf('/');
    String bucket = slash < 0 ? rest : rest.substring(0, slash);
    String key = slash < 0 ? "" : rest.substring(slash + 1);
    if (bucket.isEmpty()) {
      throw new IllegalArgumentException("input URL '" + url + "' names no bucket; write "
          + url.substring(0, colon) + "://BUCKET/KEY");
    }
    return new ObjectUrl(url.substring(0, colon).toLowerCase(java.util.Locale.ROOT), bucket, key);
  }

  /** The same bucket, another key. */
  public ObjectUrl withKey(String otherKey) {
    return new ObjectUrl(scheme, bucket, otherKey);
  }

  @Override
  public String toString() {
    return scheme + "://" + bucket + "/" + key;
  }
}

package io.tensorslab.objectstore;

import java.io.IOException;
import java.io.InputStream;

/**
 * One object of an {@link ObjectStore}, as listed: its URL, its size and whatever the store needs
 * to read exactly that version of it (an ETag) with ranged reads. Thread-safe.
 */
public interface StoredObject {

  /** Where it is, {@code s3://bucket/key}: the name every message about it uses. */
  ObjectUrl url();

  /** Its size in bytes when listed. */
  long byteSize();

  /**
   * The bytes {@code [offset, offset + length)} (one ranged GET). The stream may end early or
   * throw when the connection breaks; the caller counts what it got.
   *
   * @throws IOException when the object is gone or changed since it was listed, access is denied
   *     or the service cannot be reached, naming the URL
   */
  InputStream open(long offset, long length) throws IOException;
}

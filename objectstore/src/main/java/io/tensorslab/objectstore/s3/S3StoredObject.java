package io.tensorslab.objectstore.s3;

import io.tensorslab.objectstore.ObjectUrl;
import io.tensorslab.objectstore.StoredObject;
import java.io.IOException;
import java.io.InputStream;

/** One listed object: its URL, size and ETag, read back through the store that listed it. */
record S3StoredObject(S3ObjectStore store, ObjectUrl url, long byteSize, String eTag) implements StoredObject {

  @Override
  public InputStream open(long offset, long length) throws IOException {
    return store.open(url, eTag, offset, length);
  }
}

package io.tensorslab.objectstore;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/**
 * The {@link ObjectStore}s on the class path, found with {@link ServiceLoader}, each opened once and
 * closed with this. One per conversion's inputs; the thread that made it uses it.
 */
public final class ObjectStores implements AutoCloseable {

  private final List<ObjectStore> stores = new ArrayList<>();

  /** Finds the installed stores (opening one makes no connection). */
  public ObjectStores() {
    ServiceLoader.load(ObjectStore.class, ObjectStores.class.getClassLoader()).forEach(stores::add);
  }

  /**
   * The store serving {@code url}'s scheme.
   *
   * @throws IllegalArgumentException when none does: the scheme is not supported, or the
   *     {@code tensorslab-objectstore} module is missing from the class path
   */
  public ObjectStore serving(ObjectUrl url) {
    for (ObjectStore s : stores) {
      if (s.serves(url.scheme())) {
        return s;
      }
    }
    if (url.scheme().equals("s3") || url.scheme().equals("gs")) {
      throw new IllegalArgumentException("input '" + url + "' is in object storage, which needs the "
          + "tensorslab-objectstore module on the class path (the tensorslab command has it)");
    }
    throw new IllegalArgumentException("input '" + url + "': URLs of scheme '" + url.scheme()
        + "' are not supported; inputs are local paths, s3://BUCKET/KEY or gs://BUCKET/KEY");
  }

  @Override
  public void close() {
    for (ObjectStore s : stores) {
      s.close();
    }
  }
}

package io.tensorslab.objectstore;

import java.io.IOException;
import java.util.List;

/**
 * Object storage that TFRecord inputs may be read from ({@code s3://bucket/key}): a service found
 * with {@link java.util.ServiceLoader}, so the core carries no storage client. The module
 * {@code tensorslab-objectstore} provides one for {@code s3://} and {@code gs://} (Google Cloud
 * Storage's S3-compatible XML API) through the AWS SDK; the command has it on its class path.
 *
 * <p>A store answers two primitive questions, an object by key and the objects under a prefix;
 * what an input means (one object, a prefix like a directory, a glob) is decided once, in
 * {@code tfrecord.TfRecordSources}, with the rules of local inputs. Implementations are
 * thread-safe: the ranges of objects are read by several threads at once.
 */
public interface ObjectStore extends AutoCloseable {

  /** True when this store reads URLs of {@code scheme} ({@code "s3"}). */
  boolean serves(String scheme);

  /**
   * The object at {@code url}, or null when the bucket has no object of that key.
   *
   * @throws IOException when the bucket does not exist, access is denied or the service cannot be
   *     reached, naming the URL
   */
  StoredObject object(ObjectUrl url) throws IOException;

  /**
   * The objects whose keys begin with {@code prefix.key()}, sorted by key; with {@code deep} false
   * only those with no {@code /} after the prefix (the "files" of a "directory").
   *
   * @throws IOException as {@link #object}
   */
  List<StoredObject> list(ObjectUrl prefix, boolean deep) throws IOException;

  /** Releases the store's clients; idempotent. */
  @Override
  void close();
}

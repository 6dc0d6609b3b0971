package io.tensorslab.testutil;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.BlobStoreContext;
import org.jclouds.blobstore.domain.Blob;
import org.jclouds.io.Payload;

/**
 * A real S3-compatible server in this JVM: S3Proxy (Jetty) over jclouds' in-memory blob store, on a
 * free local port, checking AWS V4 signatures against one key. {@link #useAsDefault} points the AWS
 * SDK's default chains at it through system properties (credentials, endpoint, GCS endpoint), as a
 * user would with {@code AWS_ACCESS_KEY_ID} and {@code AWS_ENDPOINT_URL}.
 *
 * <p>{@link #breakReadsAfter} makes the server drop the connection in the middle of every object
 * body it sends after the first n: a server going away mid-read.
 */
public final class S3Server implements AutoCloseable {

  public static final String ACCESS_KEY = "tensorslab-test";
  public static final String SECRET_KEY = "tensorslab-test-secret";

  private final BlobStoreContext context;
  private final BlobStore store;
  private final S3Proxy proxy;
  private final AtomicInteger readsServed = new AtomicInteger();
  private volatile int breakAfter = Integer.MAX_VALUE;

  public S3Server() throws Exception {
    context = ContextBuilder.newBuilder("transient").credentials("unused", "unused").overrides(new Properties())
        .build(BlobStoreContext.class);
    store = context.getBlobStore();
    BlobStore served = (BlobStore) Proxy.newProxyInstance(BlobStore.class.getClassLoader(),
        new Class<?>[] {BlobStore.class}, this::serve);
    proxy = S3Proxy.builder().blobStore(served).endpoint(URI.create("http://127.0.0.1:0"))
        .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY).build();
    proxy.start();
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (!"STARTED".equals(proxy.getState())) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("S3Proxy did not start: " + proxy.getState());
      }
      Thread.sleep(10);
    }
  }

  /** The blob store's calls, with object bodies broken once {@link #breakReadsAfter} says so. */
  private Object serve(Object self, Method method, Object[] args) throws Throwable {
    Object result;
    try {
      result = method.invoke(store, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
    if (method.getName().equals("getBlob") && result instanceof Blob blob
        && readsServed.incrementAndGet() > breakAfter) {
      Payload payload = blob.getPayload();
      Payload broken = (Payload) Proxy.newProxyInstance(Payload.class.getClassLoader(), new Class<?>[] {Payload.class},
          (p, m, a) -> m.getName().equals("openStream") ? breakingStream(payload.openStream()) : invoke(payload, m, a));
      blob.setPayload(broken);
    }
    return result;
  }

  private static Object invoke(Object target, Method m, Object[] a) throws Throwable {
    try {
      return m.invoke(target, a);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  /** A body that fails after 100 bytes, so the server closes the connection short of its Content-Length. */
  private static InputStream breakingStream(InputStream in) {
    return new InputStream() {
      private int sent;

      @Override
      public int read() throws IOException {
        if (sent++ >= 100) {
          throw new IOException("server going away");
        }
        return in.read();
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (sent >= 100) {
          throw new IOException("server going away");
        }
        int n = in.read(b, off, Math.min(len, 100 - sent));
        sent += Math.max(n, 0);
        return n;
      }
    };
  }

  /** Every object body sent after the first {@code n} is cut short by a dropped connection. */
  public void breakReadsAfter(int n) {
    readsServed.set(0);
    breakAfter = n;
  }

  /** The endpoint, {@code http://127.0.0.1:PORT}. */
  public String endpoint() {
    return "http://127.0.0.1:" + proxy.getPort();
  }

  public void createBucket(String bucket) {
    store.createContainerInLocation(null, bucket);
  }

  /** Uploads {@code file} as {@code bucket/key}. */
  public void put(String bucket, String key, Path file) throws IOException {
    put(bucket, key, Files.readAllBytes(file));
  }

  public void put(String bucket, String key, byte[] bytes) {
    store.putBlob(bucket, store.blobBuilder(key).payload(bytes).contentLength(bytes.length).build());
  }

  /**
   * Points the AWS SDK's default chains at this server: {@code aws.accessKeyId},
   * {@code aws.secretAccessKey}, {@code aws.endpointUrl}, and {@code tensorslab.gs.endpoint} for
   * {@code gs://} URLs; {@link #close} clears them.
   */
  public S3Server useAsDefault() {
    System.setProperty("aws.accessKeyId", ACCESS_KEY);
    System.setProperty("aws.secretAccessKey", SECRET_KEY);
    System.setProperty("aws.endpointUrl", endpoint());
    System.setProperty("tensorslab.gs.endpoint", endpoint());
    return this;
  }

  @Override
  public void close() throws Exception {
    for (String p : new String[] {"aws.accessKeyId", "aws.secretAccessKey", "aws.endpointUrl",
        "tensorslab.gs.endpoint"}) {
      System.clearProperty(p);
    }
    proxy.stop();
    context.close();
  }
}

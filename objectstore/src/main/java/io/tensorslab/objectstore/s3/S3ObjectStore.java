package io.tensorslab.objectstore.s3;

import io.tensorslab.objectstore.ObjectStore;
import io.tensorslab.objectstore.ObjectUrl;
import io.tensorslab.objectstore.StoredObject;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * {@code s3://} and {@code gs://} inputs through the AWS SDK for Java v2.
 *
 * <p>{@code s3://}: credentials, region and endpoint come from the SDK's default chains
 * ({@code AWS_ACCESS_KEY_ID} / {@code AWS_SECRET_ACCESS_KEY} / {@code AWS_SESSION_TOKEN},
 * {@code AWS_PROFILE} and {@code ~/.aws/config}, {@code AWS_REGION}, container and instance
 * roles; the same names as {@code aws.*} system properties). An endpoint given by
 * {@code AWS_ENDPOINT_URL_S3} or {@code AWS_ENDPOINT_URL} (or {@code aws.endpointUrlS3} /
 * {@code aws.endpointUrl}) is an S3-compatible server: it is addressed path-style
 * ({@code ENDPOINT/bucket/key}), and the region defaults to {@code us-east-1} when none is set.
 *
 * <p>{@code gs://}: Google Cloud Storage's S3-compatible XML API at
 * {@code https://storage.googleapis.com} (or {@code TENSORSLAB_GS_ENDPOINT} /
 * {@code tensorslab.gs.endpoint}), path-style, region {@code auto}, signed with an HMAC key
 * given through the same credential chain ({@code AWS_ACCESS_KEY_ID} = the HMAC access ID,
 * {@code AWS_SECRET_ACCESS_KEY} = its secret). OAuth credentials (service-account JSON,
 * {@code gcloud auth}) are not read.
 *
 * <p>Only reads: {@code HEAD} of a named object (so read permission on it is enough), listing
 * ({@code ListObjectsV2}) for prefixes and globs, and ranged {@code GET}s pinned to the listed ETag
 * ({@code If-Match}), so an object replaced while it is read fails rather than mixing versions.
 * Thread-safe; one client per scheme, made on first use.
 */
public final class S3ObjectStore implements ObjectStore {

  static {
    // The SDK logs through SLF4J; with no logging backend present SLF4J would print its own three-line notice
    // on stderr, where the command promises one line per error. A user's own setting wins.
    if (System.getProperty("slf4j.internal.verbosity") == null) {
      System.setProperty("slf4j.internal.verbosity", "ERROR");
    }
  }

  private final Map<String, S3Client> clients = new HashMap<>();

  /** Loaded by {@link java.util.ServiceLoader}; makes no connection. */
  public S3ObjectStore() {}

  @Override
  public boolean serves(String scheme) {
    return scheme.equals("s3") || scheme.equals("gs");
  }

  private synchronized S3Client client(ObjectUrl url) throws IOException {
    S3Client client = clients.get(url.scheme());
    if (client == null) {
      client = newClient(url);
      clients.put(url.scheme(), client);
    }
    return client;
  }

  private static S3Client newClient(ObjectUrl url) throws IOException {
    boolean gcs = url.scheme().equals("gs");
    String endpoint = gcs ? setting("TENSORSLAB_GS_ENDPOINT", "tensorslab.gs.endpoint", "https://storage.googleapis.com")
        : setting("AWS_ENDPOINT_URL_S3", "aws.endpointUrlS3", setting("AWS_ENDPOINT_URL", "aws.endpointUrl", null));
    Region region;
    if (gcs) {
      region = Region.of("auto"); // what GCS's XML API expects in a V4 signature
    } else {
      try {
        region = new DefaultAwsRegionProviderChain().getRegion();
      } catch (SdkException e) {
        if (endpoint == null) {
          throw new IOException("cannot read " + url + ": no AWS region is set; set AWS_REGION (or a region in the "
              + "profile), or AWS_ENDPOINT_URL for an S3-compatible server");
        }
        region = Region.US_EAST_1; // S3-compatible servers mostly ignore it, but a signature needs one
      }
    }
    var builder = S3Client.builder()
        .httpClientBuilder(UrlConnectionHttpClient.builder()
            .connectionTimeout(Duration.ofSeconds(10))
            .socketTimeout(Duration.ofSeconds(60)))
        .region(region)
        // Checksums only when an operation requires them: GCS and older S3-compatible servers reject the
        // newer checksum headers, and every range read is counted to the byte here anyway.
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
    if (endpoint != null) {
      try {
        builder.endpointOverride(URI.create(endpoint)).forcePathStyle(true);
      } catch (IllegalArgumentException e) {
        throw new IOException("cannot read " + url + ": the endpoint '" + endpoint + "' is not a URL", e);
      }
    }
    try {
      return builder.build();
    } catch (SdkException e) {
      throw new IOException("cannot read " + url + ": " + e.getMessage(), e);
    }
  }

  /** A system property, else an environment variable (the SDK's own order), else {@code otherwise}. */
  private static String setting(String variable, String property, String otherwise) {
    String v = System.getProperty(property);
    if (v == null || v.isBlank()) {
      v = System.getenv(variable);
    }
    return v == null || v.isBlank() ? otherwise : v;
  }

  @Override
  public StoredObject object(ObjectUrl url) throws IOException {
    // HEAD first: it needs only permission to read the object, which is all a shared object may grant.
    HeadObjectResponse head = call(url, () -> {
      try {
        return client(url).headObject(b -> b.bucket(url.bucket()).key(url.key()));
      } catch (S3Exception e) {
        if (e.statusCode() == 404) {
          return null;
        }
        throw e;
      }
    });
    if (head != null) {
      return new S3StoredObject(this, url, head.contentLength(), head.eTag());
    }
    // A HEAD's 404 has no body to tell a missing key from a missing bucket; a listing's does (NoSuchBucket).
    call(url, () -> client(url).listObjectsV2(b -> b.bucket(url.bucket()).prefix(url.key()).maxKeys(1)));
    return null;
  }

  @Override
  public List<StoredObject> list(ObjectUrl prefix, boolean deep) throws IOException {
    List<StoredObject> found = new ArrayList<>();
    ListObjectsV2Request.Builder request = ListObjectsV2Request.builder().bucket(prefix.bucket()).prefix(prefix.key());
    if (!deep) {
      request.delimiter("/");
    }
    String token = null;
    do {
      String page = token;
      ListObjectsV2Response response = call(prefix, () -> client(prefix).listObjectsV2(
          request.continuationToken(page).build()));
      for (S3Object o : response.contents()) {
        found.add(new S3StoredObject(this, prefix.withKey(o.key()), o.size(), o.eTag()));
      }
      token = Boolean.TRUE.equals(response.isTruncated()) ? response.nextContinuationToken() : null;
    } while (token != null);
    found.sort((a, b) -> a.url().key().compareTo(b.url().key()));
    return found;
  }

  /** A ranged GET of exactly the listed version of the object. */
  InputStream open(ObjectUrl url, String eTag, long offset, long length) throws IOException {
    return call(url, () -> client(url).getObject(b -> {
      b.bucket(url.bucket()).key(url.key()).range("bytes=" + offset + "-" + (offset + length - 1));
      if (eTag != null) {
        b.ifMatch(eTag);
      }
    }));
  }

  /** A step that calls the service. */
  private interface ServiceCall<T> {
    T call() throws IOException;
  }

  /** Runs {@code call}; the SDK's exceptions become one message naming {@code url} and what to do. */
  private static <T> T call(ObjectUrl url, ServiceCall<T> call) throws IOException {
    try {
      return call.call();
    } catch (S3Exception e) {
      String code = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
      String why = switch (e.statusCode()) {
        case 403 -> "access denied" + (code == null ? "" : " (" + code + ")") + "; check the credentials ("
            + (url.scheme().equals("gs") ? "an HMAC key as " : "") + "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or "
            + "AWS_PROFILE) and their permission to list and read the bucket";
        case 404 -> "NoSuchBucket".equals(code) ? "bucket '" + url.bucket() + "' does not exist"
            : "no such object" + (code == null ? "" : " (" + code + ")");
        case 412 -> "the object changed since it was listed (ETag no longer matches); run again";
        case 416 -> "the object is shorter than when it was listed; run again";
        default -> "HTTP " + e.statusCode() + (code == null ? "" : " " + code) + ": "
            + (e.awsErrorDetails() == null ? e.getMessage() : e.awsErrorDetails().errorMessage());
      };
      throw new IOException(why + " (url=" + url + ")", e);
    } catch (SdkException e) {
      throw new IOException("cannot reach the object store: " + e.getMessage() + " (url=" + url + ")", e);
    }
  }

  @Override
  public synchronized void close() {
    clients.values().forEach(S3Client::close);
    clients.clear();
  }
}

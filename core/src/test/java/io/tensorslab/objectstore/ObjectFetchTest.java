package io.tensorslab.objectstore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ObjectFetch}'s ranges, retries and clean-up over objects held in memory here (the real
 * S3 client is tested against a real server in CliObjectStoreTest); {@link ObjectUrl}'s parsing.
 */
class ObjectFetchTest {

  /** An object in memory whose first {@code brokenReads} range reads end after {@code cutAfter} bytes. */
  private static final class MemoryObject implements StoredObject {
    final byte[] bytes;
    final int brokenReads;
    final AtomicInteger reads = new AtomicInteger();
    final boolean cutsByThrowing;

    MemoryObject(byte[] bytes, int brokenReads, boolean cutsByThrowing) {
      this.bytes = bytes;
      this.brokenReads = brokenReads;
      this.cutsByThrowing = cutsByThrowing;
    }

    @Override
    public ObjectUrl url() {
      return ObjectUrl.parse("mem://bucket/object.tfrecord");
    }

    @Override
    public long byteSize() {
      return bytes.length;
    }

    @Override
    public InputStream open(long offset, long length) {
      InputStream whole = new ByteArrayInputStream(bytes, (int) offset, (int) length);
      if (reads.incrementAndGet() > brokenReads) {
        return whole;
      }
      return new InputStream() {
        int sent;

        @Override
        public int read() throws IOException {
          if (sent++ >= 10) {
            if (cutsByThrowing) {
              throw new IOException("connection reset");
            }
            return -1;
          }
          return whole.read();
        }
      };
    }
  }

  private static byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    new Random(n).nextBytes(b);
    return b;
  }

  @Test
  void rangesOfSeveralObjectsLandInPlace(@TempDir Path dir) throws IOException {
    List<byte[]> contents = List.of(randomBytes(10_007), new byte[0], randomBytes(1), randomBytes(4096));
    List<StoredObject> objects = contents.stream().<StoredObject>map(b -> new MemoryObject(b, 0, false)).toList();
    List<Path> targets = List.of(dir.resolve("a"), dir.resolve("b"), dir.resolve("c"), dir.resolve("d"));
    new ObjectFetch(1000, 3).fetch(objects, targets);
    for (int i = 0; i < contents.size(); i++) {
      assertArrayEquals(contents.get(i), Files.readAllBytes(targets.get(i)));
    }
    assertEquals(11, ((MemoryObject) objects.get(0)).reads.get(), "one read per 1000-byte range");
  }

  @Test
  void aRangeCutShortIsReadAgain(@TempDir Path dir) throws IOException {
    byte[] content = randomBytes(5000);
    MemoryObject cut = new MemoryObject(content, 2, true); // the first two reads break, then whole
    new ObjectFetch(5000, 1).fetch(List.of(cut), List.of(dir.resolve("copy")));
    assertArrayEquals(content, Files.readAllBytes(dir.resolve("copy")));
    assertEquals(3, cut.reads.get());
  }

  @Test
  void aRangeAlwaysCutFailsNamingUrlAndBytesAndLeavesNoCopy(@TempDir Path dir) throws IOException {
    MemoryObject ends = new MemoryObject(randomBytes(3000), Integer.MAX_VALUE, false);
    MemoryObject fine = new MemoryObject(randomBytes(3000), 0, false);
    IOException e = assertThrows(IOException.class, () -> new ObjectFetch(2000, 2)
        .fetch(List.of(fine, ends), List.of(dir.resolve("fine"), dir.resolve("ends"))));
    assertEquals("cannot fetch mem://bucket/object.tfrecord (bytes [0, 2000), 3 attempts): the object ended after "
        + "10 of its 3000 bytes (changed or cut while read?)", e.getMessage());
    assertFalse(Files.exists(dir.resolve("fine")));
    assertFalse(Files.exists(dir.resolve("ends")));
  }

  @Test
  void aBrokenConnectionIsNamedAsSuch(@TempDir Path dir) {
    MemoryObject resets = new MemoryObject(randomBytes(100), Integer.MAX_VALUE, true);
    IOException e = assertThrows(IOException.class,
        () -> new ObjectFetch(1 << 20, 4).fetch(List.of(resets), List.of(dir.resolve("copy"))));
    assertEquals("cannot fetch mem://bucket/object.tfrecord (bytes [0, 100), 3 attempts): the connection broke "
        + "mid-read: connection reset", e.getMessage());
  }

  @Test
  void urlsParseIntoSchemeBucketAndKey() {
    assertEquals(new ObjectUrl("s3", "b", "dir/k.tfrecord"), ObjectUrl.parse("s3://b/dir/k.tfrecord"));
    assertEquals(new ObjectUrl("gs", "b", ""), ObjectUrl.parse("GS://b"));
    assertEquals(new ObjectUrl("s3", "b", "dir/"), ObjectUrl.parse("s3://b/dir/"));
    assertEquals("s3://b/x", ObjectUrl.parse("s3://b/dir/").withKey("x").toString());
    assertTrue(ObjectUrl.isUrl("s3://b/k"));
    for (String path : List.of("data/s3://x", "./s3://x", "train-*.tfrecord", "/abs/path", "://x", "C:\\data")) {
      assertFalse(ObjectUrl.isUrl(path), path);
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ObjectUrl.parse("s3:///k"));
    assertEquals("input URL 's3:///k' names no bucket; write s3://BUCKET/KEY", e.getMessage());
  }

  @Test
  void withoutTheObjectstoreModuleAUrlSaysWhatIsMissing() {
    try (ObjectStores stores = new ObjectStores()) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> stores.serving(ObjectUrl.parse("s3://b/k")));
      assertEquals("input 's3://b/k' is in object storage, which needs the tensorslab-objectstore module on the "
          + "class path (the tensorslab command has it)", e.getMessage());
    }
  }
}

package io.tensorslab.tfrecord;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipException;
import org.junit.jupiter.api.Test;

class ReadAheadInputTest {

  private static byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    new Random(11).nextBytes(b);
    return b;
  }

  /** A stream that returns at most {@code step} bytes per read, then fails with {@code failure} after {@code failAfter} bytes. */
  private static InputStream trickling(byte[] bytes, int step, int failAfter, IOException failure) {
    return new InputStream() {
      int at;

      @Override
      public int read() {
        throw new UnsupportedOperationException();
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (at == failAfter) {
          throw failure;
        }
        if (at == bytes.length) {
          return -1;
        }
        int n = Math.min(Math.min(len, step), Math.min(bytes.length, failAfter) - at);
        System.arraycopy(bytes, at, b, off, n);
        at += n;
        return n;
      }
    };
  }

  /** Reads everything in reads of the given sizes, in turn. */
  private static byte[] readAll(InputStream in, int... sizes) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buffer = new byte[1 << 20];
    for (int k = 0; ; k++) {
      int n = in.read(buffer, 0, sizes[k % sizes.length]);
      if (n < 0) {
        return out.toByteArray();
      }
      out.write(buffer, 0, n);
    }
  }

  @Test
  void deliversEveryByteInOrderWhateverTheReadSizes() throws IOException {
    byte[] bytes = randomBytes(3 * ReadAheadInput.CHUNK_BYTES + 12_345);
    try (ReadAheadInput in = new ReadAheadInput(trickling(bytes, 1000, Integer.MAX_VALUE, null), "test-read-ahead")) {
      assertArrayEquals(bytes, readAll(in, 12, 1, 70_000, 1 << 20, 5));
      assertEquals(-1, in.read(new byte[4], 0, 4), "the end, again");
      assertEquals(-1, in.read());
    }
  }

  /**
   * A stream failing part way: every byte before the failure arrives, then the stream's own
   * exception (its type tells the reader a damaged stream from a truncated one), and again on the
   * next read.
   */
  @Test
  void aFailureArrivesAfterTheBytesBeforeIt() throws IOException {
    byte[] bytes = randomBytes(ReadAheadInput.CHUNK_BYTES * 2);
    int failAfter = ReadAheadInput.CHUNK_BYTES + 777;
    ZipException damaged = new ZipException("invalid distance too far back");
    try (ReadAheadInput in = new ReadAheadInput(trickling(bytes, 4096, failAfter, damaged), "test-read-ahead")) {
      byte[] got = new byte[failAfter];
      assertEquals(failAfter, in.readNBytes(got, 0, failAfter));
      assertArrayEquals(java.util.Arrays.copyOf(bytes, failAfter), got);
      assertSame(damaged, assertThrows(ZipException.class, () -> in.read(new byte[1], 0, 1)));
      assertSame(damaged, assertThrows(ZipException.class, () -> in.read(new byte[1], 0, 1)));
    }
  }

  /** Not only I/O errors: whatever the reading thread meets reaches the caller, who would otherwise wait for ever. */
  @Test
  void anUncheckedFailureReachesTheCallerToo() throws IOException {
    IllegalStateException bug = new IllegalStateException("a bug in the stream");
    InputStream failing = new InputStream() {
      boolean once;

      @Override
      public int read() {
        throw new UnsupportedOperationException();
      }

      @Override
      public int read(byte[] b, int off, int len) {
        if (once) {
          throw bug;
        }
        once = true;
        b[off] = 42;
        return 1;
      }
    };
    try (ReadAheadInput in = new ReadAheadInput(failing, "test-read-ahead")) {
      assertEquals(42, in.read());
      assertSame(bug, assertThrows(IllegalStateException.class, in::read));
    }
  }

  /**
   * Closed before the end, with the reading thread waiting for a free chunk: close stops it and
   * then closes the stream; reads after it fail.
   */
  @Test
  void closeStopsTheReadingThreadThenClosesTheStream() throws Exception {
    CountDownLatch closed = new CountDownLatch(1);
    InputStream endless = new InputStream() {
      @Override
      public int read() {
        return 0;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        return len; // zeros, for ever
      }

      @Override
      public void close() {
        closed.countDown();
      }
    };
    ReadAheadInput in = new ReadAheadInput(endless, "test-read-ahead-close");
    assertEquals(10, in.read(new byte[10], 0, 10));
    Thread reader = Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().equals("test-read-ahead-close")).findFirst().orElseThrow();
    assertTrue(reader.isDaemon(), "a daemon: a reader left open does not keep the JVM alive");
    in.close();
    assertFalse(reader.isAlive(), "the reading thread has stopped");
    assertTrue(closed.await(0, TimeUnit.SECONDS), "the stream is closed");
    assertThrows(IOException.class, () -> in.read(new byte[1], 0, 1));
    in.close(); // twice is harmless
  }

  @Test
  void anEmptyStreamEndsAtOnce() throws IOException {
    try (ReadAheadInput in = new ReadAheadInput(new ByteArrayInputStream(new byte[0]), "test-read-ahead")) {
      assertEquals(-1, in.read(new byte[8], 0, 8));
      assertEquals(0, in.read(new byte[8], 0, 0));
    }
  }
}

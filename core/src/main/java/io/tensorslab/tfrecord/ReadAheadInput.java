package io.tensorslab.tfrecord;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Reads a stream ahead on a thread of its own, {@value #CHUNK_BYTES} bytes at a time, while the
 * caller takes what was read before: a compressed TFRecord file is then inflated on one core while
 * its records are parsed and written on another. Only where a core would otherwise wait: a
 * compressed file converted in file order with more than one thread.
 *
 * <p>A failure of the stream (a damaged or truncated compressed stream, an I/O error) reaches the
 * caller after every byte read before it, as the same exception the stream threw, so the reader
 * reports it as it would without the thread.
 *
 * <p>One caller thread at a time; {@link #close()} stops the reading thread before it closes the stream.
 */
final class ReadAheadInput extends InputStream {
  /** Bytes each read of the stream asks for: large, so the inflater runs its fast loop. */
  static final int CHUNK_BYTES = 256 << 10;
  /** Chunks at most: one being filled, one waiting, one being read. Made as needed: a small file takes one. */
  private static final int CHUNKS = 3;

  /**
   * Bytes read from the stream; the end of the stream, or its failure, after the last of them (an
   * IOException as the stream threw it; anything else the reading thread met, to be thrown too
   * rather than leave the caller waiting).
   */
  private record Chunk(byte[] bytes, int length, boolean end, Throwable failure) {}

  private final InputStream in;
  private final BlockingQueue<byte[]> free = new ArrayBlockingQueue<>(CHUNKS);
  private final BlockingQueue<Chunk> filled = new ArrayBlockingQueue<>(CHUNKS);
  private final Thread reader;
  /** Chunks made so far; the reading thread's alone. */
  private int chunksMade;
  private final byte[] oneByte = new byte[1];
  private Chunk current;
  private int position;
  private boolean closed;

  ReadAheadInput(InputStream in, String threadName) {
    this.in = in;
    // A daemon: a reader its caller forgot to close must not keep the JVM alive.
    reader = Thread.ofPlatform().name(threadName).daemon().start(this::readAhead);
  }

  /** The reading thread: fills free chunks until the stream ends or fails, or the caller closes. */
  private void readAhead() {
    try {
      while (true) {
        byte[] bytes = free.poll();
        if (bytes == null && chunksMade < CHUNKS) {
          bytes = new byte[CHUNK_BYTES];
          chunksMade++;
        } else if (bytes == null) {
          bytes = free.take();
        }
        int length = 0;
        Throwable failure = null;
        boolean end = false;
        try {
          while (length < bytes.length) {
            int n = in.read(bytes, length, bytes.length - length);
            if (n < 0) {
              end = true;
              break;
            }
            length += n;
          }
        } catch (IOException | RuntimeException | Error e) {
          failure = e;
        }
        filled.put(new Chunk(bytes, length, end, failure));
        if (end || failure != null) {
          return;
        }
      }
    } catch (InterruptedException e) {
      // closed: the caller takes nothing more
    }
  }

  @Override
  public int read() throws IOException {
    return read(oneByte, 0, 1) < 0 ? -1 : oneByte[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    java.util.Objects.checkFromIndexSize(off, len, b.length);
    if (closed) {
      throw new IOException("stream closed");
    }
    if (len == 0) {
      return 0;
    }
    while (current == null || position == current.length()) {
      if (current != null) {
        switch (current.failure()) {
          case null -> { }
          case IOException e -> throw e;
          case RuntimeException e -> throw e;
          case Error e -> throw e;
          default -> throw new IOException(current.failure());
        }
        if (current.end()) {
          return -1;
        }
        free.add(current.bytes());
      }
      try {
        current = filled.take();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while waiting for the stream's next bytes");
      }
      position = 0;
    }
    int n = Math.min(len, current.length() - position);
    System.arraycopy(current.bytes(), position, b, off, n);
    position += n;
    return n;
  }

  /** Stops the reading thread, waits for it, then closes the stream. */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    reader.interrupt();
    boolean interrupted = false;
    while (true) {
      try {
        reader.join();
        break;
      } catch (InterruptedException e) {
        interrupted = true; // the join is short: the thread stops at its next wait or read
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    in.close();
  }
}

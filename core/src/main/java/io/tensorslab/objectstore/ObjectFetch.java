package io.tensorslab.objectstore;

import io.tensorslab.slab.MappedFiles;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Copies objects into local files with ranged reads, several at once: each file is created at its
 * full size with its blocks reserved ({@code posix_fallocate}: a full disk fails here, by name) and
 * mapped, and every range is copied into its place in the mapping through one 1 MiB buffer per
 * read in flight (the HTTP client hands out heap bytes). The copies are then read as local files are
 * (mapped by the TFRecord reader, indexed, cut into ranges by the engine), which never learns
 * where they came from.
 *
 * <p>A range whose stream breaks or ends early is read again, twice at most; after that, or when
 * the store refuses (object gone or changed, access denied), the fetch fails with one message
 * naming the URL and the byte range, and deletes every file it created.
 */
public final class ObjectFetch {

  /** Bytes per ranged read: large, so a request's latency is small beside its transfer. */
  public static final long DEFAULT_RANGE_BYTES = 16L << 20;
  /** Ranged reads in flight at once, across all objects. */
  public static final int DEFAULT_PARALLEL_READS = 8;
  private static final int ATTEMPTS = 3;
  private static final int READ_BUFFER_BYTES = 1 << 20;

  private final long rangeBytes;
  private final int parallelReads;

  /** A fetch reading {@code rangeBytes} per request, {@code parallelReads} requests at once. */
  public ObjectFetch(long rangeBytes, int parallelReads) {
    if (rangeBytes < 1 || parallelReads < 1) {
      throw new IllegalArgumentException("range bytes and parallel reads must be positive, got " + rangeBytes
          + " and " + parallelReads);
    }
    this.rangeBytes = rangeBytes;
    this.parallelReads = parallelReads;
  }

  /** {@link #DEFAULT_RANGE_BYTES} per request, {@link #DEFAULT_PARALLEL_READS} at once. */
  public ObjectFetch() {
    this(DEFAULT_RANGE_BYTES, DEFAULT_PARALLEL_READS);
  }

  /**
   * Copies {@code objects.get(i)} to the new file {@code targets.get(i)} for every i. On failure no
   * target is left.
   *
   * @throws IOException naming the URL and byte range that could not be read
   */
  public void fetch(List<StoredObject> objects, List<Path> targets) throws IOException {
    if (objects.size() != targets.size()) {
      throw new IllegalArgumentException(objects.size() + " objects for " + targets.size() + " targets");
    }
    List<Path> created = new ArrayList<>();
    boolean success = false;
    // Shared: the ranges of one mapping are written by several threads.
    try (Arena arena = Arena.ofShared()) {
      List<Runnable> reads = new ArrayList<>();
      List<String> names = new ArrayList<>();
      for (int i = 0; i < objects.size(); i++) {
        StoredObject object = objects.get(i);
        Path target = targets.get(i);
        long size = object.byteSize();
        try (FileChannel channel = FileChannel.open(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
            StandardOpenOption.WRITE)) {
          created.add(target);
          if (size == 0) {
            continue;
          }
          MemorySegment file;
          try {
            // Blocks reserved first: a full disk is this one error, never a fault while the pages are written.
            file = MappedFiles.extendAndMap(channel, target, 0, size, arena, target);
          } catch (IOException e) {
            throw new IOException("cannot fetch " + object.url() + " into a local copy: " + e.getMessage(), e);
          }
          for (long offset = 0; offset < size; offset += rangeBytes) {
            long length = Math.min(rangeBytes, size - offset);
            MemorySegment range = file.asSlice(offset, length);
            long first = offset;
            reads.add(() -> readRange(object, first, range));
            names.add(object.url() + " bytes [" + first + ", " + (first + length) + ")");
          }
        }
      }
      runAll(reads, names);
      success = true;
    } finally {
      if (!success) {
        for (Path p : created) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  /** Runs every read, {@link #parallelReads} at once; the first failure stops the rest and is thrown. */
  private void runAll(List<Runnable> reads, List<String> names) throws IOException {
    if (reads.isEmpty()) {
      return;
    }
    ExecutorService pool = Executors.newFixedThreadPool(Math.min(parallelReads, reads.size()), r -> {
      Thread t = new Thread(r, "tensorslab-fetch");
      t.setDaemon(true);
      return t;
    });
    try {
      List<Future<?>> done = new ArrayList<>();
      for (Runnable r : reads) {
        done.add(pool.submit(r));
      }
      for (Future<?> f : done) {
        try {
          f.get();
        } catch (ExecutionException e) {
          if (e.getCause() instanceof FetchFailure failure) {
            throw failure.getCause();
          }
          throw new IOException("cannot fetch " + names.get(done.indexOf(f)) + ": " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted while fetching inputs", e);
        }
      }
    } finally {
      pool.shutdownNow();
      try {
        // The mappings are unmapped after this returns: no read may still write into them.
        while (!pool.awaitTermination(10, TimeUnit.SECONDS)) {
          Thread.onSpinWait();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static void readRange(StoredObject object, long offset, MemorySegment range) {
    long length = range.byteSize();
    IOException last = null;
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      if (Thread.currentThread().isInterrupted()) {
        return; // another range failed; its error is the one reported
      }
      // Opening is not retried here: the store's client retries requests itself, and a refusal
      // (object gone, access denied) does not change on a second try.
      InputStream in;
      try {
        in = object.open(offset, length);
      } catch (IOException e) {
        // The store's message names the URL.
        throw new FetchFailure(new IOException("cannot fetch bytes [" + offset + ", " + (offset + length) + "): "
            + e.getMessage(), e));
      }
      long filled = 0;
      try (in) {
        // Large reads (a channel over the stream would move 8 KiB at a time), and a check between them
        // for a failure elsewhere, which a blocking channel read would not see.
        byte[] buffer = new byte[(int) Math.min(READ_BUFFER_BYTES, length)];
        int n;
        while (filled < length && (n = in.read(buffer, 0, (int) Math.min(buffer.length, length - filled))) >= 0) {
          MemorySegment.copy(buffer, 0, range, ValueLayout.JAVA_BYTE, filled, n);
          filled += n;
          if (Thread.currentThread().isInterrupted()) {
            return; // another range failed; its error is the one reported
          }
        }
        if (filled == length) {
          return;
        }
        last = new IOException("the object ended after " + (offset + filled) + " of its " + object.byteSize()
            + " bytes (changed or cut while read?)");
      } catch (IOException e) {
        last = new IOException("the connection broke mid-read: " + e.getMessage(), e);
      }
    }
    throw new FetchFailure(new IOException("cannot fetch " + object.url() + " (bytes [" + offset + ", "
        + (offset + length) + "), " + ATTEMPTS + " attempts): " + last.getMessage(), last));
  }

  /** Carries a read's message-ready {@link IOException} out of the pool. */
  private static final class FetchFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    FetchFailure(IOException cause) {
      super(cause);
    }

    @Override
    public synchronized IOException getCause() {
      return (IOException) super.getCause();
    }
  }
}

package io.tensorslab.store.zarr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.tensorslab.npy.NpyDtype;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Compressed chunks of one array are compressed outside the array writer's lock: two threads that
 * complete different chunks compress them at the same time, the files are the one-thread bytes,
 * {@code close} waits for a chunk being compressed and drops it, and a failed compression is one
 * error naming the chunk's path. Latches with a generous timeout prove the overlap; nothing is timed.
 */
class ZarrArrayWriterConcurrencyTest {
  private static final long CHUNK_ROWS = 64;
  private static final long WAIT_SECONDS = 20; // only ever reached when the overlap does not happen

  @TempDir Path dir;

  private static ZarrArraySpec spec(String format, String codec, int chunksPerFile) {
    return new ZarrArraySpec(format.equals("zarr") ? ZarrFormat.V2 : ZarrFormat.V3, "x", NpyDtype.INT32,
        new long[] {4}, CHUNK_ROWS, ZarrCodec.parse(codec), chunksPerFile);
  }

  private static ZarrArrayWriter writer(Path directory, ZarrArraySpec spec) throws IOException {
    Files.createDirectories(directory);
    return new ZarrArrayWriter(directory, spec, false);
  }

  /** Fills and hands back the rows of {@code chunk}, each int a function of its row and column. */
  private static void writeChunk(ZarrArrayWriter writer, long chunk) throws IOException {
    long first = chunk * CHUNK_ROWS;
    MemorySegment rows = writer.rows(first, CHUNK_ROWS).bytes();
    for (long i = 0; i < rows.byteSize() / 4; i++) {
      rows.setAtIndex(ValueLayout.JAVA_INT_UNALIGNED, i, (int) ((first * 4 + i) * 2_654_435_761L));
    }
    writer.written(first, CHUNK_ROWS);
  }

  private static Throwable failureOf(Future<?> future) throws InterruptedException {
    try {
      future.get();
      return null;
    } catch (ExecutionException e) {
      return e.getCause();
    }
  }

  @ParameterizedTest(name = "{0} {1} x{2}")
  @CsvSource({"zarr, zstd, 1", "zarr3, gzip, 1", "zarr3, zstd, 4"})
  void twoThreadsCompressTwoChunksOfOneArrayAtOnce(String format, String codec, int chunksPerFile) throws Exception {
    ZarrArraySpec spec = spec(format, codec, chunksPerFile);
    Path reference = dir.resolve("one");
    try (ZarrArrayWriter one = writer(reference, spec)) {
      for (long chunk = 0; chunk < 4; chunk++) {
        writeChunk(one, chunk);
      }
      one.finish(4 * CHUNK_ROWS);
    }

    Path together = dir.resolve("two");
    CountDownLatch bothCompressing = new CountDownLatch(2);
    try (ZarrArrayWriter two = writer(together, spec);
        ExecutorService pool = Executors.newFixedThreadPool(2)) {
      two.encodeHook(chunk -> {
        if (chunk < 2) { // chunks 0 and 1: each thread's compression waits until the other's has started
          bothCompressing.countDown();
          boolean both;
          try {
            both = bothCompressing.await(WAIT_SECONDS, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            throw new IOException(e);
          }
          if (!both) {
            throw new IOException("chunk " + chunk + " was compressed alone: the other thread never started its own");
          }
        }
      });
      // Chunk 1 is handed back by the second thread: in a shard it completes out of order half the time.
      List<Future<?>> done = List.of(
          pool.submit(() -> {
            writeChunk(two, 0);
            writeChunk(two, 2);
            return null;
          }),
          pool.submit(() -> {
            writeChunk(two, 1);
            writeChunk(two, 3);
            return null;
          }));
      for (Future<?> f : done) {
        assertEquals(null, failureOf(f));
      }
      assertEquals(0, bothCompressing.getCount());
      two.finish(4 * CHUNK_ROWS);
    }

    Map<String, byte[]> expected = ZarrRowStoreThreadsTest.files(reference);
    assertEquals(4 / chunksPerFile, expected.size());
    ZarrRowStoreThreadsTest.assertSameFiles(expected, ZarrRowStoreThreadsTest.files(together), "two threads");
  }

  @ParameterizedTest(name = "{0} {1} x{2}")
  @CsvSource({"zarr, zstd, 1", "zarr3, zstd, 4"})
  void closeWaitsForTheChunkBeingCompressedAndLeavesNoChunkFile(String format, String codec, int chunksPerFile)
      throws Exception {
    ZarrArraySpec spec = spec(format, codec, chunksPerFile);
    Path array = dir.resolve("x");
    CountDownLatch compressing = new CountDownLatch(1);
    CountDownLatch proceed = new CountDownLatch(1);
    ZarrArrayWriter writer = writer(array, spec);
    try (ExecutorService pool = Executors.newFixedThreadPool(1)) {
      writer.encodeHook(chunk -> {
        compressing.countDown();
        try {
          proceed.await();
        } catch (InterruptedException e) {
          throw new IOException(e);
        }
      });
      Future<?> handing = pool.submit(() -> {
        writeChunk(writer, 0);
        return null;
      });
      assertTrue(compressing.await(WAIT_SECONDS, TimeUnit.SECONDS), "chunk 0 never started compressing");

      Thread closer = Thread.ofPlatform().start(writer::close);
      // close waits (Object.wait) for the chunk in flight; with compression under the lock it would block instead
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
      while (closer.getState() != Thread.State.WAITING) {
        if (!closer.isAlive() || System.nanoTime() > deadline) {
          proceed.countDown();
          fail("close did not wait for the chunk being compressed (state " + closer.getState() + ")");
        }
        Thread.onSpinWait();
      }
      proceed.countDown();
      closer.join();

      Throwable failure = failureOf(handing);
      assertInstanceOf(IllegalStateException.class, failure);
      assertTrue(failure.getMessage().startsWith("zarr array writer was closed while chunk 0 was being written"),
          failure.getMessage());
      assertTrue(failure.getMessage().contains("path=" + array.resolve(spec.chunkFile(0))), failure.getMessage());
    }
    assertEquals(Map.of(), ZarrRowStoreThreadsTest.files(array), "no chunk file and no temporary file after close");
    assertThrows(IllegalStateException.class, () -> writer.rows(CHUNK_ROWS, 1));
  }

  @Test
  void aFailedCompressionIsOneErrorNamingTheChunkAndFinishRefuses() throws Exception {
    ZarrArraySpec spec = spec("zarr3", "zstd", 1);
    Path array = dir.resolve("x");
    try (ZarrArrayWriter writer = writer(array, spec)) {
      writer.encodeHook(chunk -> {
        if (chunk == 1) {
          throw new IOException("no space left on device");
        }
      });
      writeChunk(writer, 0);
      IOException e = assertThrows(IOException.class, () -> writeChunk(writer, 1));
      assertEquals("compressing zarr chunk 1 failed: no space left on device (path="
          + array.resolve(spec.chunkFile(1)) + ")", e.getMessage());
      assertFalse(Files.exists(array.resolve(spec.chunkFile(1))));

      IOException atFinish = assertThrows(IOException.class, () -> writer.finish(2 * CHUNK_ROWS));
      assertEquals("zarr array cannot finish: " + e.getMessage(), atFinish.getMessage());
    }
    assertEquals(List.of(spec.chunkFile(0)), List.copyOf(ZarrRowStoreThreadsTest.files(array).keySet()));
  }
}

package io.tensorslab.store.zarr;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorslab.npy.NpyDtype;
import io.tensorslab.store.RowLayout;
import io.tensorslab.store.RowStore;
import io.tensorslab.store.RowWindow;
import io.tensorslab.store.StoreCapacity;
import io.tensorslab.store.StoreCommit;
import io.tensorslab.store.StoreDestination;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Several range writers fill one Zarr array at once, each its own rows, with range boundaries
 * inside chunks (and inside shard files): the array's files are the bytes one writer in row order
 * makes, for every codec and with sharding. A chunk two ranges share is written once, when the
 * second range hands its rows back, never before.
 */
class ZarrRowStoreThreadsTest {
  private static final int ROWS = 1_000;
  private static final long CHUNK_ROWS = 7; // 1000 / k for k = 2, 3, 4 falls inside a chunk
  private static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  @TempDir Path dir;

  private static ZarrStoreFormat format(String format, String codec, int chunksPerFile) {
    return new ZarrStoreFormat(format.equals("zarr") ? ZarrFormat.V2 : ZarrFormat.V3, CHUNK_ROWS,
        ZarrCodec.parse(codec), chunksPerFile);
  }

  /** Rows {@code [first, end)} in windows of {@code step} rows, each row's three int32s a function of the row. */
  private static void writeRows(RowStore store, long first, long end, int step) throws IOException {
    for (long row = first; row < end; ) {
      RowWindow w = store.window(row, Math.min(step, end - row));
      try {
        for (long r = w.first(); r < w.end(); r++) {
          for (int j = 0; j < 3; j++) {
            w.bytes().set(INT_LE, (r - w.first()) * 12 + j * 4L, (int) (r * 31 + j * 1_000_003));
          }
        }
      } finally {
        store.written(w);
      }
      row = w.end();
    }
  }

  private RowStore create(Path root, ZarrStoreFormat format) throws IOException {
    Files.createDirectories(root);
    return format.create(new RowLayout("x", NpyDtype.INT32, new long[] {3}), new StoreDestination(root, false, false),
        StoreCapacity.exact(ROWS));
  }

  private static void commit(RowStore store, Path root, ZarrStoreFormat format) throws IOException {
    store.finish(ROWS);
    StoreCommit.publish(new StoreDestination(root, false, false), List.of(store),
        ZarrGroups.stage(root, format.format(), List.of("x"), Map.of("rows", (long) ROWS), false));
  }

  /** Every regular file under {@code root} by relative path, with its bytes. */
  static Map<String, byte[]> files(Path root) throws IOException {
    Map<String, byte[]> files = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.filter(Files::isRegularFile).toList()) {
        files.put(root.relativize(p).toString(), Files.readAllBytes(p));
      }
    }
    return files;
  }

  static void assertSameFiles(Map<String, byte[]> expected, Map<String, byte[]> actual, String what) {
    assertEquals(expected.keySet(), actual.keySet(), what);
    for (String name : expected.keySet()) {
      assertArrayEquals(expected.get(name), actual.get(name), what + ": " + name);
    }
  }

  private static long[] boundaries(int ranges) {
    long[] b = new long[ranges + 1];
    for (int i = 0; i <= ranges; i++) {
      b[i] = (long) ROWS * i / ranges;
    }
    return b;
  }

  @ParameterizedTest(name = "{0} {1} x{2}")
  @CsvSource({"zarr, none, 1", "zarr, gzip, 1", "zarr3, none, 1", "zarr3, zstd, 1", "zarr3, none, 8",
      "zarr3, gzip, 8", "zarr3, zstd, 32"})
  void rangesMeetingInsideChunksGiveTheOneWriterBytes(String name, String codec, int chunksPerFile) throws Exception {
    ZarrStoreFormat format = format(name, codec, chunksPerFile);
    Path reference = dir.resolve("one");
    try (RowStore store = create(reference, format)) {
      writeRows(store, 0, ROWS, 5);
      commit(store, reference, format);
    }
    Map<String, byte[]> expected = files(reference);
    assertTrue(expected.size() > 2, expected.keySet().toString());

    for (int threads = 2; threads <= 4; threads++) {
      long[] b = boundaries(threads);
      for (int i = 1; i < threads; i++) {
        assertTrue(b[i] % CHUNK_ROWS != 0, "boundary " + b[i] + " must fall inside a chunk");
      }

      // Last range first, each on a thread of its own and finished before the one before it starts: every
      // chunk shared with the earlier range is then half written, and (sharded) later chunks of a shard
      // complete before earlier ones.
      Path reversed = dir.resolve("reversed-" + threads);
      try (RowStore store = create(reversed, format);
          ExecutorService pool = Executors.newFixedThreadPool(threads)) {
        for (int i = threads - 1; i >= 0; i--) {
          long first = b[i];
          long end = b[i + 1];
          pool.submit(() -> {
            writeRows(store, first, end, 3);
            return null;
          }).get();
          if (i > 0 && chunksPerFile == 1) {
            long shared = first / CHUNK_ROWS;
            String key = format.format() == ZarrFormat.V2 ? Long.toString(shared) : "c/" + shared;
            assertFalse(Files.exists(reversed.resolve("x").resolve(key + (format.format() == ZarrFormat.V2 ? ".0" : "/0"))),
                "chunk " + shared + " holds rows of the range before, not yet written: it must not be written early");
          }
        }
        commit(store, reversed, format);
      }
      assertSameFiles(expected, files(reversed), threads + " ranges, last first");

      // All ranges at once, started together, in windows of different sizes.
      Path together = dir.resolve("together-" + threads);
      try (RowStore store = create(together, format);
          ExecutorService pool = Executors.newFixedThreadPool(threads)) {
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> done = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
          long first = b[i];
          long end = b[i + 1];
          int step = 1 + i * 4;
          done.add(pool.submit(() -> {
            start.await();
            writeRows(store, first, end, step);
            return null;
          }));
        }
        start.countDown();
        for (Future<?> f : done) {
          f.get();
        }
        commit(store, together, format);
      }
      assertSameFiles(expected, files(together), threads + " ranges at once");
    }
  }
}

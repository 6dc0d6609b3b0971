package io.tensorslab.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorslab.npy.NpyArray;
import io.tensorslab.npy.NpyDtype;
import io.tensorslab.npy.TestNpy;
import io.tensorslab.slab.TemporaryFiles;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyStoreTest {
  @TempDir Path dir;

  private static final RowLayout LAYOUT = new RowLayout("x", NpyDtype.FLOAT32, new long[] {2, 3});

  private StoreDestination destination() {
    return new StoreDestination(dir, false, false);
  }

  private static MemorySegment rows(long count, long seed) {
    return MemorySegment.ofArray(TestNpy.payload(NpyDtype.FLOAT32, count * 6, seed));
  }

  /** Writes {@code data}'s rows [from, to) in batches of {@code batch} rows. */
  private static void writeRange(RowStore store, MemorySegment data, long from, long to, long batch) throws IOException {
    for (long r = from; r < to; r += batch) {
      long n = Math.min(batch, to - r);
      store.write(r, data, r * store.rowBytes(), n);
    }
  }

  private List<Path> listing() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.sorted().toList();
    }
  }

  @Test
  void growsInExtentsAndCutsWindowsAtTheirEnds() throws IOException {
    long total = 5_000;
    MemorySegment data = rows(total, 1);
    try (NpyStore store = NpyStore.create(LAYOUT, destination(), StoreCapacity.growable(10))) {
      RowWindow first = store.window(0, 15);
      assertEquals(10, first.rows(), "the first extent holds 10 rows: the window is cut there");
      store.written(first);
      writeRange(store, data, 0, total, 7);
      assertTrue(store.capacityRows() >= total);
      assertFalse(Files.exists(store.target()));
      store.finish(total);
      store.publish();
    }
    try (NpyArray a = NpyArray.open(dir.resolve("x.npy"))) {
      assertArrayEquals(new long[] {total, 2, 3}, a.header().shape());
      assertEquals(-1, a.segment().mismatch(data));
    }
    assertEquals(List.of(dir.resolve("x.npy")), listing());
  }

  /**
   * A durable store flushes to the device every FLUSH_STEP bytes of started writeback while rows are
   * still written (one flush at a time, on its own thread), a scratch store never; the bytes are
   * the same.
   */
  @Test
  void durableStoreFlushesWhileRowsAreWritten() throws IOException {
    RowLayout wide = new RowLayout("w", NpyDtype.FLOAT32, new long[] {1024}); // 4 KiB rows
    long total = NpyStore.FLUSH_STEP / wide.rowBytes() + NpyStore.UNLOAD_STEP / wide.rowBytes() + 100;
    MemorySegment data = MemorySegment.ofArray(TestNpy.payload(NpyDtype.FLOAT32, total * 1024, 5));
    for (boolean durable : new boolean[] {true, false}) {
      Path out = dir.resolve(durable ? "flushed" : "scratch-flush");
      Files.createDirectories(out);
      try (NpyStore store = NpyStore.create(wide, new StoreDestination(out, false, durable),
          StoreCapacity.exact(total))) {
        writeRange(store, data, 0, total, 256); // 1 MiB windows
        assertEquals(durable ? 1 : 0, store.flushesStarted(), "a flush after the first FLUSH_STEP bytes, durable="
            + durable);
        store.finish(total);
        store.publish();
      }
      try (NpyArray a = NpyArray.open(out.resolve("w.npy"))) {
        assertEquals(-1, a.segment().mismatch(data), "bytes differ, durable=" + durable);
      }
      Files.delete(out.resolve("w.npy"));
    }
  }

  /**
   * A durable store starts the disk writes of each finished 32 MiB run while later rows are still
   * being written (sync_file_range on Linux); the bytes are the same as without, a scratch store
   * starts none, and on tmpfs (no disk behind it) the calls are harmless.
   */
  @Test
  void durableStoreStartsWritebackOfFinishedRunsAndWritesTheSameBytes() throws IOException {
    RowLayout wide = new RowLayout("w", NpyDtype.FLOAT32, new long[] {1024}); // 4 KiB rows
    long total = (NpyStore.UNLOAD_STEP / wide.rowBytes()) * 2 + 100; // two whole runs and a tail
    MemorySegment data = MemorySegment.ofArray(TestNpy.payload(NpyDtype.FLOAT32, total * 1024, 9));
    boolean linux = System.getProperty("os.name").startsWith("Linux");
    List<Path> dirs = new ArrayList<>(List.of(dir.resolve("durable"), dir.resolve("scratch")));
    Path shm = Path.of("/dev/shm");
    if (Files.isDirectory(shm) && Files.isWritable(shm)) {
      dirs.add(Files.createTempDirectory(shm, "npystore-writeback"));
    }
    for (Path out : dirs) {
      boolean durable = !out.endsWith("scratch");
      Files.createDirectories(out);
      try (NpyStore store = NpyStore.create(wide, new StoreDestination(out, false, durable),
          StoreCapacity.exact(total))) {
        writeRange(store, data, 0, total, 256); // 1 MiB windows
        if (!durable) {
          assertFalse(store.writebackActive(), "a scratch store starts no writeback");
          assertEquals(0, store.writebackStarted());
        } else if (linux) {
          assertTrue(store.writebackActive(), "sync_file_range is reachable on Linux (" + out + ")");
          assertEquals(2, store.writebackStarted(), "one writeback per finished 32 MiB run, none for the tail ("
              + out + ")");
        }
        store.finish(total);
        store.publish();
      }
      try (NpyArray a = NpyArray.open(out.resolve("w.npy"))) {
        assertArrayEquals(new long[] {total, 1024}, a.header().shape());
        assertEquals(-1, a.segment().mismatch(data), "bytes differ in " + out);
      }
      if (out.startsWith(shm)) {
        Files.delete(out.resolve("w.npy"));
        Files.delete(out);
      }
    }
  }

  /**
   * While another thread copies rows into the store, tryWrite writes nothing and says so; once it
   * is done, tryWrite writes. (A range writer then holds its staged rows and goes on parsing.)
   */
  @Test
  void tryWriteWritesNothingWhileAnotherThreadCopies() throws Exception {
    long total = 64;
    MemorySegment data = rows(total, 4);
    try (NpyStore store = NpyStore.create(LAYOUT, destination(), StoreCapacity.exact(total))) {
      CountDownLatch held = new CountDownLatch(1);
      CountDownLatch done = new CountDownLatch(1);
      Thread other = Thread.ofPlatform().start(() -> {
        store.copyingLock().lock();
        try {
          held.countDown();
          done.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } finally {
          store.copyingLock().unlock();
        }
      });
      held.await();
      assertFalse(store.tryWrite(0, data, 0, total), "busy: nothing written");
      try (FileChannel file = FileChannel.open(store.temporaryPath(), StandardOpenOption.READ)) {
        ByteBuffer read = ByteBuffer.allocate((int) (total * store.rowBytes()));
        file.read(read, Files.size(store.temporaryPath()) - read.capacity()); // the rows end the file
        assertFalse(anyNonZero(read.array()), "the refused rows reached the file");
      }
      done.countDown();
      other.join();
      assertTrue(store.tryWrite(0, data, 0, total));
      store.finish(total);
      store.publish();
    }
    try (NpyArray a = NpyArray.open(dir.resolve("x.npy"))) {
      assertEquals(-1, a.segment().mismatch(data));
    }
  }

  private static boolean anyNonZero(byte[] bytes) {
    for (byte b : bytes) {
      if (b != 0) {
        return true;
      }
    }
    return false;
  }

  /**
   * Staged windows may reach the store out of order (one held while the store was busy): a run of
   * written rows then joins the run after it as well as the one before, so every finished 32 MiB
   * run still has its writeback started while rows are written.
   */
  @Test
  void rowsWrittenOutOfOrderStillMakeWholeRuns() throws IOException {
    RowLayout wide = new RowLayout("w", NpyDtype.FLOAT32, new long[] {1024}); // 4 KiB rows
    long batch = 256; // 1 MiB
    long total = (NpyStore.UNLOAD_STEP / wide.rowBytes()) * 2 + 100;
    MemorySegment data = MemorySegment.ofArray(TestNpy.payload(NpyDtype.FLOAT32, total * 1024, 11));
    Path out = dir.resolve("swapped");
    Files.createDirectories(out);
    try (NpyStore store = NpyStore.create(wide, new StoreDestination(out, false, true), StoreCapacity.exact(total))) {
      // Each pair of 1 MiB batches written second one first.
      for (long r = 0; r < total; r += 2 * batch) {
        long next = Math.min(r + batch, total);
        writeRange(store, data, next, Math.min(next + batch, total), batch);
        writeRange(store, data, r, next, batch);
      }
      if (store.writebackActive()) {
        assertEquals(2, store.writebackStarted(), "one writeback per finished 32 MiB run");
      }
      store.finish(total);
      store.publish();
    }
    try (NpyArray a = NpyArray.open(out.resolve("w.npy"))) {
      assertEquals(-1, a.segment().mismatch(data));
    }
  }

  @Test
  void twoThreadsWritingHalvesGiveTheSameBytesAsOne() throws Exception {
    long total = 300_001; // odd: halves of different sizes
    MemorySegment data = rows(total, 2);
    Path one = dir.resolve("one");
    Path two = dir.resolve("two");
    Files.createDirectories(one);
    Files.createDirectories(two);
    try (RowStore store = StoreFormat.NPY.create(LAYOUT, new StoreDestination(one, false, false),
        StoreCapacity.exact(total))) {
      writeRange(store, data, 0, total, 1000);
      store.finish(total);
      store.publish();
    }
    try (RowStore store = StoreFormat.NPY.create(LAYOUT, new StoreDestination(two, false, false),
        StoreCapacity.exact(total));
        ExecutorService pool = Executors.newFixedThreadPool(2)) {
      long half = total / 2;
      List<Future<?>> halves = new ArrayList<>();
      halves.add(pool.submit(() -> {
        writeRange(store, data, 0, half, 1000);
        return null;
      }));
      halves.add(pool.submit(() -> {
        writeRange(store, data, half, total, 999);
        return null;
      }));
      for (Future<?> f : halves) {
        f.get();
      }
      store.finish(total);
      store.publish();
    }
    assertEquals(-1, Files.mismatch(one.resolve("x.npy"), two.resolve("x.npy")));
  }

  @Test
  void twoThreadsGrowingOneStoreLoseNoRows() throws Exception {
    long total = 100_000;
    MemorySegment data = rows(total, 3);
    try (RowStore store = StoreFormat.NPY.create(LAYOUT, destination(), StoreCapacity.growable(16));
        ExecutorService pool = Executors.newFixedThreadPool(2)) {
      // interleaved blocks of 500 rows: even blocks on one thread, odd on the other, both growing the store
      List<Future<?>> parts = new ArrayList<>();
      for (int t = 0; t < 2; t++) {
        int parity = t;
        parts.add(pool.submit(() -> {
          for (long b = parity; b * 500 < total; b += 2) {
            writeRange(store, data, b * 500, Math.min(total, b * 500 + 500), 500);
          }
          return null;
        }));
      }
      for (Future<?> f : parts) {
        f.get();
      }
      store.finish(total);
      store.publish();
    }
    try (NpyArray a = NpyArray.open(dir.resolve("x.npy"))) {
      assertEquals(-1, a.segment().mismatch(data));
    }
  }

  @Test
  void reopenedByPathWritesRowsIntoTheSameFile() throws IOException {
    long total = 1_000;
    MemorySegment data = rows(total, 4);
    try (NpyStore store = NpyStore.create(LAYOUT, destination(), StoreCapacity.exact(total))) {
      try (NpyStore other = NpyStore.reopen(store.temporaryPath(), LAYOUT, destination())) {
        writeRange(other, data, 500, total, 64);
        assertThrows(IllegalStateException.class, () -> other.finish(total), "only the creator finishes");
      }
      assertTrue(Files.exists(store.temporaryPath()), "closing the reopened store leaves the file to its creator");
      writeRange(store, data, 0, 500, 64);
      store.finish(total);
      store.publish();
    }
    try (NpyArray a = NpyArray.open(dir.resolve("x.npy"))) {
      assertEquals(-1, a.segment().mismatch(data));
    }
  }

  /**
   * {@code write} (pwrite, the pages never mapped here) and windows (through the mapping) fill
   * rows of one store alike, in any order, from native memory as a tensor's bytes are.
   */
  @Test
  void pwrittenRowsAndWindowRowsMakeOneFile() throws IOException {
    long total = 50_000;
    MemorySegment heap = rows(total, 5);
    try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
      MemorySegment data = arena.allocate(heap.byteSize(), 64).copyFrom(heap);
      try (RowStore store = StoreFormat.NPY.create(LAYOUT, destination(), StoreCapacity.growable(100))) {
        for (long r = total - 1000; r >= 0; r -= 1000) { // backwards, alternating the two ways
          if (r / 1000 % 2 == 0) {
            store.write(r, data, r * store.rowBytes(), 1000);
          } else {
            RowWindow w;
            for (long done = 0; done < 1000; done += w.rows()) {
              w = store.window(r + done, 1000 - done);
              MemorySegment.copy(data, (r + done) * store.rowBytes(), w.bytes(), 0, w.bytes().byteSize());
              store.written(w);
            }
          }
        }
        store.finish(total);
        store.publish();
      }
    }
    try (NpyArray a = NpyArray.open(dir.resolve("x.npy"))) {
      assertArrayEquals(new long[] {total, 2, 3}, a.header().shape());
      assertEquals(-1, a.segment().mismatch(heap));
    }
  }

  @Test
  void exactCapacityRefusesRowsPastIt() throws IOException {
    try (RowStore store = StoreFormat.NPY.create(LAYOUT, destination(), StoreCapacity.exact(10))) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> store.window(8, 3));
      assertEquals("rows [8, 11) lie past the 10 rows the store was made for (path=" + dir.resolve("x.npy") + ")",
          e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> store.write(8, rows(3, 1), 0, 3));
      assertEquals("rows [8, 11) lie past the 10 rows the store was made for (path=" + dir.resolve("x.npy") + ")",
          e.getMessage());
    }
    assertEquals(List.of(), listing(), "closing an unpublished store deletes its temporary file");
  }

  @Test
  void nestedNamesLiveInSubdirectories() throws IOException {
    RowLayout nested = new RowLayout("train/images", NpyDtype.UINT8, new long[] {4});
    try (RowStore store = StoreFormat.NPY.create(nested, destination(), StoreCapacity.exact(1))) {
      store.write(0, MemorySegment.ofArray(new byte[] {1, 2, 3, 4}), 0, 1);
      store.finish(1);
      store.publish();
    }
    try (NpyArray a = NpyArray.open(dir.resolve("train/images.npy"))) {
      assertArrayEquals(new long[] {1, 4}, a.header().shape());
    }
    // A hostile name stays inside the directory: escaped by OutputNames, not refused.
    RowLayout hostile = new RowLayout("../x", NpyDtype.UINT8, new long[0]);
    try (RowStore store = StoreFormat.NPY.create(hostile, destination(), StoreCapacity.exact(0))) {
      store.finish(0);
      store.publish();
    }
    assertTrue(Files.isRegularFile(dir.resolve("%../x.npy")));
    assertFalse(Files.exists(dir.resolveSibling("x.npy")));
  }

  @Test
  void publishWithoutOverwriteNeverReplacesWhatAppeared() throws IOException {
    try (RowStore store = StoreFormat.NPY.create(LAYOUT, destination(), StoreCapacity.exact(0))) {
      store.finish(0);
      Files.writeString(dir.resolve("x.npy"), "someone else's");
      FileAlreadyExistsException e = assertThrows(FileAlreadyExistsException.class, store::publish);
      assertTrue(e.getMessage().contains("output file appeared while exporting; replace it with overwrite(true)"), e.getMessage());
    }
    assertEquals("someone else's", Files.readString(dir.resolve("x.npy")));
    assertEquals(List.of(dir.resolve("x.npy")), listing());
  }

  @Test
  void commitIsAllOrNothingWhenOneTargetIsTaken() throws IOException {
    RowLayout y = new RowLayout("y", NpyDtype.INT8, new long[0]);
    try (RowStore sx = StoreFormat.NPY.create(LAYOUT, destination(), StoreCapacity.exact(0));
        RowStore sy = StoreFormat.NPY.create(y, destination(), StoreCapacity.exact(0))) {
      sx.finish(0);
      sy.finish(0);
      Files.writeString(dir.resolve("y.npy"), "someone else's");
      assertThrows(FileAlreadyExistsException.class,
          () -> StoreCommit.publish(destination(), List.of(sx, sy), List.of()));
    }
    assertEquals(List.of(dir.resolve("y.npy")), listing(), "x.npy, published first, is taken back");
  }

  @Test
  void recoverCompletesACommitLeftByAKilledProcess() throws Exception {
    Path x = dir.resolve("x.npy");
    Path y = dir.resolve("y.npy");
    Path tx = TemporaryFiles.beside(x);
    Path ty = TemporaryFiles.beside(y);
    Files.writeString(tx, "new x");
    Files.writeString(ty, "new y");
    Files.writeString(y, "old y");
    Files.createLink(x, tx); // killed after linking x, before removing its temporary name
    Process gone = new ProcessBuilder("true").start();
    gone.waitFor();
    Path journal = dir.resolve(".commit." + gone.pid() + "-1" + StoreCommit.JOURNAL_SUFFIX);
    Files.writeString(journal, "tensorslab-commit/1\noverwrite\n" + tx.getFileName() + "\tx.npy\n"
        + ty.getFileName() + "\ty.npy\n");
    assertTrue(StoreCommit.isJournal(journal));
    assertEquals(1, StoreCommit.recover(dir));
    assertEquals("new x", Files.readString(x));
    assertEquals("new y", Files.readString(y));
    assertEquals(List.of(x, y), listing());
  }
  @Test
  void prepareCompletesANestedCommitAndRemovesNestedStaleFilesOfAKilledExport() throws Exception {
    Process gone = new ProcessBuilder("true").start();
    gone.waitFor();
    long dead = gone.pid();
    // killed inside the commit of image/object/bbox/xmin and label/id: a journal naming nested files
    Path bbox = Files.createDirectories(dir.resolve("image/object/bbox"));
    Path label = Files.createDirectories(dir.resolve("label"));
    String tx = ".xmin.npy." + dead + "-1" + TemporaryFiles.SUFFIX;
    String ty = ".id.npy." + dead + "-2" + TemporaryFiles.SUFFIX;
    Files.writeString(bbox.resolve(tx), "new xmin");
    Files.writeString(label.resolve(ty), "new id");
    Files.writeString(dir.resolve(".commit." + dead + "-3" + StoreCommit.JOURNAL_SUFFIX), "tensorslab-commit/1\n"
        + "overwrite\nimage/object/bbox/" + tx + "\timage/object/bbox/xmin.npy\nlabel/" + ty + "\tlabel/id.npy\n");
    // and an earlier killed export's staging file of another nested name, beside a user's file
    Path other = Files.createDirectories(dir.resolve("other/deeper"));
    Files.writeString(other.resolve(".z.npy." + dead + "-4" + TemporaryFiles.SUFFIX), "partial");
    Files.writeString(dir.resolve("other/README"), "the user's own file");

    assertFalse(OutputDirectory.prepare(dir));
    assertEquals("new xmin", Files.readString(bbox.resolve("xmin.npy")));
    assertEquals("new id", Files.readString(label.resolve("id.npy")));
    try (Stream<Path> paths = Files.walk(dir)) {
      assertEquals(List.of("image", "image/object", "image/object/bbox", "image/object/bbox/xmin.npy", "label",
          "label/id.npy", "other", "other/README"), paths.filter(p -> !p.equals(dir))
          .map(p -> dir.relativize(p).toString()).sorted().toList());
    }
  }
}

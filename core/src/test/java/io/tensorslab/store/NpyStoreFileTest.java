package io.tensorslab.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.tensorslab.npy.NpyArray;
import io.tensorslab.npy.NpyDtype;
import io.tensorslab.npy.NpyHeader;
import io.tensorslab.npy.TestNpy;
import io.tensorslab.slab.TemporaryFiles;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The file an {@link NpyStore} leaves: its bytes (header exactly {@link NpyHeader}'s, payload bit for
 * bit, truncated to the rows finished), its temporary file's life, growth, overwrite and the
 * reservation of disk space.
 */
class NpyStoreFileTest {
  @TempDir Path dir;

  private StoreDestination destination(boolean overwrite, boolean durable) {
    return new StoreDestination(dir, overwrite, durable);
  }

  private List<Path> listing() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.sorted().toList();
    }
  }

  @Test
  void createWriteFinishPublish() throws IOException {
    Path target = dir.resolve("x.npy");
    RowLayout layout = new RowLayout("x", NpyDtype.FLOAT32, new long[] {3});
    try (NpyStore store = NpyStore.create(layout, destination(false, true), StoreCapacity.exact(10))) {
      assertEquals(12, store.rowBytes());
      assertEquals(10, store.capacityRows());
      RowWindow all = store.window(0, 10);
      assertEquals(120, all.bytes().byteSize());
      assertEquals(0, all.bytes().address() % 64, "payload starts at a 64-byte boundary of the mapping");
      assertTrue(TemporaryFiles.isTemporary(store.temporaryPath()));
      assertEquals(dir, store.temporaryPath().getParent(), "temporary file lives beside the target");
      assertTrue(Files.exists(store.temporaryPath()));
      for (int i = 0; i < 21; i++) {
        all.bytes().setAtIndex(ValueLayout.JAVA_FLOAT, i, i * 0.5f);
      }
      store.written(all);
      store.finish(7);
      assertFalse(Files.exists(target), "nothing at the final path before publish");
      store.publish();
      assertFalse(Files.exists(store.temporaryPath()));
      assertThrows(IllegalStateException.class, () -> store.window(0, 1));
    }
    assertEquals(List.of(target), listing());
    NpyHeader header = new NpyHeader(NpyDtype.FLOAT32, 7, 3);
    assertEquals(header.byteSize() + 84L, Files.size(target), "truncated to exactly header + 7 rows");
    try (NpyArray a = NpyArray.open(target)) {
      assertEquals(header, a.header());
      for (int i = 0; i < 21; i++) {
        assertEquals(i * 0.5f, a.segment().getAtIndex(ValueLayout.JAVA_FLOAT, i));
      }
    }
    assertArrayEquals(header.encode(), Arrays.copyOf(Files.readAllBytes(target), header.byteSize()),
        "the header is exactly what NpyHeader (and np.save) writes");
  }

  @Test
  void closeWithoutFinishLeavesNothing() throws IOException {
    Path temporary;
    RowLayout layout = new RowLayout("x", NpyDtype.INT64, new long[] {4});
    try (NpyStore store = NpyStore.create(layout, destination(false, false), StoreCapacity.exact(100))) {
      temporary = store.temporaryPath();
      store.window(0, 100).bytes().fill((byte) 7);
      assertTrue(Files.exists(temporary));
    }
    assertFalse(Files.exists(temporary));
    assertEquals(List.of(), listing());
  }

  @Test
  void closeIsIdempotentAndUseAfterCloseIsAnIllegalState() throws IOException {
    NpyStore store = NpyStore.create(new RowLayout("x", NpyDtype.UINT8, new long[0]), destination(false, false),
        StoreCapacity.growable(4));
    try (store) {
      store.window(0, 1).bytes().set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
    }
    store.close();
    assertEquals("store is closed (path=" + dir.resolve("x.npy") + ")",
        assertThrows(IllegalStateException.class, () -> store.window(0, 1)).getMessage());
    assertThrows(IllegalStateException.class, () -> store.write(0, MemorySegment.ofArray(new byte[1]), 0, 1));
    assertThrows(IllegalStateException.class, () -> store.finish(1));
  }

  @Test
  void growRowByRowAtLeastDoublingKeepsEveryRow() throws IOException {
    long rows = 5000;
    RowLayout layout = new RowLayout("grown", NpyDtype.INT64, new long[] {5});
    try (NpyStore store = NpyStore.create(layout, destination(false, false), StoreCapacity.growable(1))) {
      List<Long> capacities = new ArrayList<>(List.of(store.capacityRows()));
      for (long r = 0; r < rows; r++) {
        RowWindow w = store.window(r, 1);
        if (store.capacityRows() != capacities.getLast()) {
          capacities.add(store.capacityRows());
        }
        for (int c = 0; c < 5; c++) {
          w.bytes().setAtIndex(ValueLayout.JAVA_LONG, c, r * 10 + c);
        }
        store.written(w);
      }
      assertEquals(List.of(1L, 1024L, 2048L, 4096L, 8192L), capacities, "at least doubling, at least 1024");
      store.finish(rows);
      store.publish();
    }
    Path target = dir.resolve("grown.npy");
    NpyHeader header = new NpyHeader(NpyDtype.INT64, rows, 5);
    assertEquals(header.byteSize() + rows * 40, Files.size(target), "finish after growth truncates exactly");
    try (NpyArray a = NpyArray.open(target)) {
      assertEquals(header, a.header());
      for (long i = 0; i < rows * 5; i++) {
        assertEquals((i / 5) * 10 + i % 5, a.segment().getAtIndex(ValueLayout.JAVA_LONG, i), "element " + i);
      }
    }
  }

  @Test
  void growFromZeroCapacity() throws IOException {
    RowLayout layout = new RowLayout("z", NpyDtype.UINT16, new long[] {2});
    try (NpyStore store = NpyStore.create(layout, destination(false, false), StoreCapacity.growable(0))) {
      assertEquals(0, store.capacityRows());
      MemorySegment rows = MemorySegment.ofArray(new byte[12]); // write() takes byte[]-backed heap segments
      rows.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, 5, (short) 0xBEEF);
      store.write(0, rows, 0, 3);
      assertEquals(1024, store.capacityRows());
      store.finish(3);
      store.publish();
    }
    try (NpyArray a = NpyArray.open(dir.resolve("z.npy"))) {
      assertArrayEquals(new long[] {3, 2}, a.header().shape());
      assertEquals((short) 0xBEEF, a.segment().getAtIndex(ValueLayout.JAVA_SHORT, 5));
    }
  }

  @Test
  void finishWithZeroRowsOfZeroBytes() throws IOException {
    RowLayout layout = new RowLayout("empty", NpyDtype.FLOAT64, new long[] {0, 3});
    try (NpyStore store = NpyStore.create(layout, destination(false, false), StoreCapacity.exact(10))) {
      store.finish(0);
      store.publish();
    }
    try (NpyArray a = NpyArray.open(dir.resolve("empty.npy"))) {
      assertArrayEquals(new long[] {0, 0, 3}, a.header().shape());
      assertEquals(0, a.segment().byteSize());
    }
  }

  @Test
  void finishRefusesMoreRowsThanTheCapacity() throws IOException {
    Path target = dir.resolve("x.npy");
    RowLayout layout = new RowLayout("x", NpyDtype.INT32, new long[] {2});
    try (NpyStore store = NpyStore.create(layout, destination(false, false), StoreCapacity.exact(4))) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> store.finish(5));
      assertEquals("cannot finish with 5 rows: the store holds 4 (path=" + target + ")", e.getMessage());
    }
    assertEquals(List.of(), listing());
  }

  @Test
  void existingTargetIsRefusedWithoutOverwrite() throws IOException {
    Path target = Files.writeString(dir.resolve("x.npy"), "precious");
    FileAlreadyExistsException e = assertThrows(FileAlreadyExistsException.class,
        () -> NpyStore.create(new RowLayout("x", NpyDtype.INT8, new long[0]), destination(false, false),
            StoreCapacity.exact(1)).close());
    assertEquals(target + ": output file exists; replace it with overwrite(true) (path=" + target + ")",
        e.getMessage());
    assertEquals("precious", Files.readString(target));
    assertEquals(List.of(target), listing(), "no temporary file left behind");
  }

  @Test
  void overwriteReplacesAtPublishOnly() throws IOException {
    Path target = Files.writeString(dir.resolve("x.npy"), "old");
    try (NpyStore store = NpyStore.create(new RowLayout("x", NpyDtype.INT8, new long[0]), destination(true, false),
        StoreCapacity.exact(1))) {
      store.write(0, MemorySegment.ofArray(new byte[] {-5}), 0, 1);
      store.finish(1);
      assertEquals("old", Files.readString(target), "the old file stays until publish");
      store.publish();
    }
    try (NpyArray a = NpyArray.open(target)) {
      assertEquals(-5, a.segment().get(ValueLayout.JAVA_BYTE, 0));
    }
    assertEquals(List.of(target), listing());
  }

  @Test
  void overwriteAbortedKeepsTheOldFile() throws IOException {
    Path target = Files.writeString(dir.resolve("x.npy"), "old");
    try (NpyStore store = NpyStore.create(new RowLayout("x", NpyDtype.INT8, new long[0]), destination(true, false),
        StoreCapacity.exact(1))) {
      store.write(0, MemorySegment.ofArray(new byte[] {1}), 0, 1);
      store.finish(1);
    }
    assertEquals("old", Files.readString(target));
    assertEquals(List.of(target), listing());
  }

  /**
   * Publishing without overwrite used to check that the target was absent and then rename over it:
   * whatever appeared in between was replaced. A name that {@code Files.exists} does not see (a
   * dangling symbolic link, as editors leave for locks) shows it every time.
   */
  @Test
  void publishWithoutOverwriteNeverReplacesANameThatAppeared() throws IOException {
    Path target = dir.resolve("x.npy");
    try (NpyStore store = NpyStore.create(new RowLayout("x", NpyDtype.INT8, new long[0]), destination(false, false),
        StoreCapacity.exact(1))) {
      store.finish(1);
      Files.createSymbolicLink(target, dir.resolve("lock-of-someone-else"));
      FileAlreadyExistsException e = assertThrows(FileAlreadyExistsException.class, store::publish);
      assertTrue(e.getMessage().contains("output file appeared while exporting; replace it with overwrite(true)"),
          e.getMessage());
    }
    assertTrue(Files.isSymbolicLink(target), "the link that appeared is still there");
    assertEquals(List.of(target), listing());
  }

  @Test
  void targetIsADirectory() throws IOException {
    Path target = Files.createDirectory(dir.resolve("x.npy"));
    for (boolean overwrite : new boolean[] {false, true}) {
      FileAlreadyExistsException e = assertThrows(FileAlreadyExistsException.class,
          () -> NpyStore.create(new RowLayout("x", NpyDtype.FLOAT32, new long[0]), destination(overwrite, false),
              StoreCapacity.exact(1)).close());
      assertEquals(target + ": output path is a directory (path=" + target + ")", e.getMessage());
    }
    assertEquals(List.of(target), listing());
  }

  @Test
  void negativeCapacityOrDimensionIsAnIllegalArgument() {
    assertEquals("capacity rows must be >= 0, got -1",
        assertThrows(IllegalArgumentException.class, () -> StoreCapacity.exact(-1)).getMessage());
    assertEquals("row shape dims must be >= 0, got [-2] (output=x)",
        assertThrows(IllegalArgumentException.class, () -> new RowLayout("x", NpyDtype.INT8, new long[] {-2}))
            .getMessage());
  }

  static Stream<NpyDtype> dtypes() {
    return TestNpy.allDtypes();
  }

  /** Every dtype's bytes, special values included, written with {@code write} and read back bit for bit. */
  @ParameterizedTest
  @MethodSource("dtypes")
  void writeEveryDtypeWithSpecialValues(NpyDtype dtype) throws IOException {
    for (long[] shape : new long[][] {{5}, {0}, {3, 4}, {0, 2}, {1, 2, 1, 2, 1, 2, 1, 2}}) {
      NpyHeader header = new NpyHeader(dtype, shape);
      byte[] payload = TestNpy.payload(dtype, header.elementCount(), 42);
      String name = dtype.displayName() + "-" + shape.length + "-" + header.elementCount();
      RowLayout layout = new RowLayout(name, dtype, Arrays.copyOfRange(shape, 1, shape.length));
      try (NpyStore store = NpyStore.create(layout, destination(false, false), StoreCapacity.exact(shape[0]))) {
        store.write(0, MemorySegment.ofArray(payload), 0, shape[0]);
        store.finish(shape[0]);
        store.publish();
      }
      byte[] bytes = Files.readAllBytes(dir.resolve(name + ".npy"));
      assertArrayEquals(header.encode(), Arrays.copyOf(bytes, header.byteSize()));
      assertEquals(header.byteSize() + payload.length, bytes.length);
      try (NpyArray a = NpyArray.open(dir.resolve(name + ".npy"))) {
        assertEquals(header, a.header());
        assertArrayEquals(payload, TestNpy.bytes(a.segment()), "bit for bit, NaN payloads and -0.0 included");
      }
    }
  }

  /**
   * A request larger than the file system can ever hold: {@code posix_fallocate} refuses at once
   * (EFBIG or ENOSPC), so the disk-full path is exercised without filling a disk.
   */
  private long impossibleBytes() throws IOException {
    FileStore store = Files.getFileStore(dir);
    // Only where the refusal is immediate: a tmpfs without a size limit would try to allocate RAM.
    assumeTrue(Set.of("ext2", "ext3", "ext4", "xfs", "btrfs", "tmpfs").contains(store.type())
        && store.getTotalSpace() > 0, "no file system known to refuse an impossible fallocate at " + dir);
    return Math.max(1L << 50, store.getTotalSpace() * 4);
  }

  private static void assertReservingFailed(IOException e, Path target) {
    String m = e.getMessage();
    assertTrue(m.matches("reserving \\d+ bytes failed: (file too large for the file system or the process's file size"
        + " limit \\(ulimit -f\\)|no space left on device) \\(path=\\Q" + target + "\\E\\)"), m);
  }

  @Test
  void reservingMoreThanTheDiskHoldsFailsAtCreate() throws IOException {
    long bytes = impossibleBytes();
    Path target = dir.resolve("huge.npy");
    IOException e = assertThrows(IOException.class, () -> NpyStore.create(
        new RowLayout("huge", NpyDtype.UINT8, new long[] {1L << 20}), destination(false, false),
        StoreCapacity.exact(bytes >> 20)).close());
    assertReservingFailed(e, target);
    assertEquals(List.of(), listing(), "temporary file removed, nothing at the target");
  }

  @Test
  void aFailedGrowKeepsTheStoreAndItsRows() throws IOException {
    long bytes = impossibleBytes();
    Path target = dir.resolve("x.npy");
    RowLayout layout = new RowLayout("x", NpyDtype.UINT8, new long[] {1L << 20});
    try (NpyStore store = NpyStore.create(layout, destination(false, false), StoreCapacity.growable(2))) {
      store.window(1, 1).bytes().set(ValueLayout.JAVA_BYTE, 5, (byte) 9);
      IOException e = assertThrows(IOException.class, () -> store.window(bytes >> 20, 1));
      assertReservingFailed(e, target);
      assertEquals(2, store.capacityRows());
      assertEquals(9, store.window(1, 1).bytes().get(ValueLayout.JAVA_BYTE, 5), "rows written before are kept");
      store.finish(2);
      store.publish();
    }
    try (NpyArray a = NpyArray.open(target)) {
      assertEquals(9, a.segment().get(ValueLayout.JAVA_BYTE, (1L << 20) + 5));
    }
  }

  @Test
  void toStringNamesTheTarget() throws IOException {
    Path target = dir.resolve("x.npy");
    RowLayout layout = new RowLayout("x", NpyDtype.FLOAT16, new long[] {2});
    try (NpyStore store = NpyStore.create(layout, destination(false, false), StoreCapacity.exact(8))) {
      assertEquals("NpyStore[" + target + ", <f2, row [2], rows<=8]", store.toString());
      assertEquals(target, store.target());
      assertEquals(layout, store.layout());
    }
  }
}

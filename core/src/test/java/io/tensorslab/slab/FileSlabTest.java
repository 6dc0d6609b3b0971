package io.tensorslab.slab;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.tensorslab.npy.NpyArray;
import io.tensorslab.npy.NpyDtype;
import io.tensorslab.npy.NpyHeader;
import io.tensorslab.npy.TestNpy;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class FileSlabTest {
  @TempDir Path dir;

  private List<Path> listing() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.sorted().toList();
    }
  }

  private static byte[] fileBytes(Path p) throws IOException {
    return Files.readAllBytes(p);
  }

  @Test
  void createWriteSeal() throws IOException {
    Path target = dir.resolve("x.npy");
    try (FileSlab slab = FileSlab.create(target, NpyDtype.FLOAT32, new long[] {3}, 10)) {
      assertEquals(12, slab.rowBytes());
      assertEquals(10, slab.capacityRows());
      assertEquals(120, slab.payload().byteSize());
      assertEquals(0, slab.payload().address() % 64, "payload starts at a 64-byte boundary of the mapping");
      assertTrue(TemporaryFiles.isTemporary(slab.temporaryPath()));
      assertEquals(dir, slab.temporaryPath().getParent(), "temporary file lives beside the target");
      assertTrue(Files.exists(slab.temporaryPath()));
      assertFalse(Files.exists(target), "nothing at the final path before seal");
      for (int i = 0; i < 21; i++) {
        slab.payload().setAtIndex(ValueLayout.JAVA_FLOAT, i, i * 0.5f);
      }
      assertEquals(target, slab.seal(7));
      assertTrue(slab.isSealed());
      assertFalse(Files.exists(slab.temporaryPath()));
      assertThrows(IllegalStateException.class, slab::payload);
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
    assertArrayEquals(header.encode(), Arrays.copyOf(fileBytes(target), header.byteSize()),
        "the header is exactly what NpyHeader (and np.save) writes");
  }

  @Test
  void closeWithoutSealLeavesNothing() throws IOException {
    Path target = dir.resolve("x.npy");
    Path temporary;
    try (FileSlab slab = FileSlab.create(target, NpyDtype.INT64, new long[] {4}, 100)) {
      temporary = slab.temporaryPath();
      slab.payload().fill((byte) 7);
      assertTrue(Files.exists(temporary));
    }
    assertFalse(Files.exists(temporary));
    assertFalse(Files.exists(target));
    assertEquals(List.of(), listing());
  }

  @Test
  void closeIsIdempotentAndUseAfterCloseIsAnIllegalState() throws IOException {
    FileSlab slab = FileSlab.create(dir.resolve("x.npy"), NpyDtype.UINT8, new long[0], 4);
    try (slab) {
      slab.payload().set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
    }
    slab.close();
    assertEquals("slab is closed (path=" + dir.resolve("x.npy") + ")",
        assertThrows(IllegalStateException.class, slab::payload).getMessage());
    assertThrows(IllegalStateException.class, () -> slab.ensureCapacity(10));
    assertThrows(IllegalStateException.class, () -> slab.seal(1));
  }

  @Test
  void growAcrossSeveralRemapsKeepsEveryRow() throws IOException {
    Path target = dir.resolve("grown.npy");
    long rows = 5000;
    try (FileSlab slab = FileSlab.create(target, NpyDtype.INT64, new long[] {5}, 1)) {
      List<Long> capacities = new java.util.ArrayList<>();
      capacities.add(slab.capacityRows());
      for (long r = 0; r < rows; r++) {
        if (r >= slab.capacityRows()) {
          slab.ensureCapacity(r + 1);
          capacities.add(slab.capacityRows());
        }
        MemorySegment row = slab.payload().asSlice(r * slab.rowBytes(), slab.rowBytes());
        for (int c = 0; c < 5; c++) {
          row.setAtIndex(ValueLayout.JAVA_LONG, c, r * 10 + c);
        }
      }
      assertEquals(List.of(1L, 1024L, 2048L, 4096L, 8192L), capacities, "at least doubling, at least 1024");
      assertEquals(8192L * 40, slab.payload().byteSize());
      slab.ensureCapacity(10); // already fits: no change
      assertEquals(8192, slab.capacityRows());
      slab.seal(rows);
    }
    NpyHeader header = new NpyHeader(NpyDtype.INT64, rows, 5);
    assertEquals(header.byteSize() + rows * 40, Files.size(target), "seal after growth truncates exactly");
    try (NpyArray a = NpyArray.open(target)) {
      assertEquals(header, a.header());
      for (long i = 0; i < rows * 5; i++) {
        assertEquals((i / 5) * 10 + i % 5, a.segment().getAtIndex(ValueLayout.JAVA_LONG, i), "element " + i);
      }
    }
  }

  @Test
  void growFromZeroCapacity() throws IOException {
    Path target = dir.resolve("z.npy");
    try (FileSlab slab = FileSlab.create(target, NpyDtype.UINT16, new long[] {2}, 0)) {
      assertEquals(0, slab.payload().byteSize());
      slab.ensureCapacity(3);
      assertEquals(1024, slab.capacityRows());
      slab.payload().setAtIndex(ValueLayout.JAVA_SHORT, 5, (short) 0xBEEF);
      slab.seal(3);
    }
    try (NpyArray a = NpyArray.open(target)) {
      assertArrayEquals(new long[] {3, 2}, a.header().shape());
      assertEquals((short) 0xBEEF, a.segment().getAtIndex(ValueLayout.JAVA_SHORT, 5));
    }
  }

  @Test
  void sealWithZeroRows() throws IOException {
    Path target = dir.resolve("empty.npy");
    try (FileSlab slab = FileSlab.create(target, NpyDtype.FLOAT64, new long[] {0, 3}, 10)) {
      slab.seal(0);
    }
    try (NpyArray a = NpyArray.open(target)) {
      assertArrayEquals(new long[] {0, 0, 3}, a.header().shape());
      assertEquals(0, a.segment().byteSize());
    }
  }

  @Test
  void sealRefusesAShapeBeyondTheCapacity() throws IOException {
    Path target = dir.resolve("x.npy");
    try (FileSlab slab = FileSlab.create(target, NpyDtype.INT32, new long[] {2}, 4)) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> slab.seal(5));
      assertEquals("shape (5, 2) needs 40 bytes but the slab holds 32 (path=" + target + ")", e.getMessage());
      slab.seal(4); // still usable
    }
    assertTrue(Files.exists(target));
  }

  @Test
  void sealWithAnotherRankPadsTheHeaderInPlace() throws IOException {
    Path target = dir.resolve("reshaped.npy");
    try (FileSlab slab = FileSlab.create(target, NpyDtype.UINT8, new long[] {6}, 2)) {
      for (int i = 0; i < 12; i++) {
        slab.payload().set(ValueLayout.JAVA_BYTE, i, (byte) i);
      }
      slab.seal(new long[] {3, 2, 2});
    }
    try (NpyArray a = NpyArray.open(target)) {
      assertArrayEquals(new long[] {3, 2, 2}, a.header().shape());
      assertEquals(11, a.segment().get(ValueLayout.JAVA_BYTE, 11));
    }
  }

  @Test
  void existingTargetIsRefusedWithoutOverwrite() throws IOException {
    Path target = Files.writeString(dir.resolve("x.npy"), "precious");
    FileAlreadyExistsException e = assertThrows(FileAlreadyExistsException.class,
        () -> FileSlab.create(target, NpyDtype.INT8, new long[0], 1).close());
    assertEquals(target + ": output file exists; ask for overwrite to replace it (path=" + target + ")",
        e.getMessage());
    assertEquals("precious", Files.readString(target));
    assertEquals(List.of(target), listing(), "no temporary file left behind");
  }

  @Test
  void overwriteReplacesAtSealOnly() throws IOException {
    Path target = Files.writeString(dir.resolve("x.npy"), "old");
    try (FileSlab slab = FileSlab.create(target, NpyDtype.INT8, new long[0], 1, SlabOption.OVERWRITE)) {
      slab.payload().set(ValueLayout.JAVA_BYTE, 0, (byte) -5);
      assertEquals("old", Files.readString(target), "the old file stays until seal");
      slab.seal(1);
    }
    try (NpyArray a = NpyArray.open(target)) {
      assertEquals(-5, a.segment().get(ValueLayout.JAVA_BYTE, 0));
    }
    assertEquals(List.of(target), listing());
  }

  @Test
  void overwriteAbortedKeepsTheOldFile() throws IOException {
    Path target = Files.writeString(dir.resolve("x.npy"), "old");
    try (FileSlab slab = FileSlab.create(target, NpyDtype.INT8, new long[0], 1, SlabOption.OVERWRITE)) {
      slab.payload().set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
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
    try (FileSlab slab = FileSlab.create(target, NpyDtype.INT8, new long[0], 1)) {
      Files.createSymbolicLink(target, dir.resolve("lock-of-someone-else"));
      FileAlreadyExistsException e = assertThrows(FileAlreadyExistsException.class, () -> slab.seal(1));
      assertTrue(e.getMessage().contains("output file appeared while exporting; ask for overwrite"), e.getMessage());
    }
    assertTrue(Files.isSymbolicLink(target), "the link that appeared is still there");
    assertEquals(List.of(target), listing());
  }

  @Test
  void aFileAppearingAtTheTargetDuringTheExportIsNotClobbered() throws IOException {
    Path target = dir.resolve("x.npy");
    Path temporary;
    try (FileSlab slab = FileSlab.create(target, NpyDtype.INT8, new long[0], 1)) {
      temporary = slab.temporaryPath();
      Files.writeString(target, "someone else's");
      FileAlreadyExistsException e = assertThrows(FileAlreadyExistsException.class, () -> slab.seal(1));
      assertTrue(e.getMessage().contains("output file appeared while exporting; ask for overwrite"), e.getMessage());
      assertThrows(IllegalStateException.class, slab::payload, "a failed seal closes the slab");
    }
    assertEquals("someone else's", Files.readString(target));
    assertFalse(Files.exists(temporary));
  }

  @Test
  void missingParentDirectory() {
    Path target = dir.resolve("no/such/dir/x.npy");
    NoSuchFileException e = assertThrows(NoSuchFileException.class,
        () -> FileSlab.create(target, NpyDtype.FLOAT32, new long[0], 1).close());
    assertEquals(target + ": output directory does not exist (path=" + target + ")", e.getMessage());
  }

  @Test
  void targetIsADirectory() throws IOException {
    Path target = Files.createDirectory(dir.resolve("x.npy"));
    for (SlabOption[] options : new SlabOption[][] {{}, {SlabOption.OVERWRITE}}) {
      FileAlreadyExistsException e = assertThrows(FileAlreadyExistsException.class,
          () -> FileSlab.create(target, NpyDtype.FLOAT32, new long[0], 1, options).close());
      assertEquals(target + ": output path is a directory (path=" + target + ")", e.getMessage());
    }
    assertEquals(List.of(target), listing());
  }

  @Test
  void unwritableDirectory() throws IOException, InterruptedException {
    Path locked = Files.createDirectory(dir.resolve("locked"));
    Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("r-xr-xr-x"));
    boolean immutable = false;
    try {
      if (Files.isWritable(locked)) {
        // Running as root: permission bits do not stop root, but the immutable attribute does.
        immutable = run("chattr", "+i", locked.toString()) && !Files.isWritable(locked);
        assumeFalse(Files.isWritable(locked),
            "root ignores permission bits and chattr +i is unavailable here: cannot make a directory unwritable");
      }
      Path target = locked.resolve("x.npy");
      AccessDeniedException e = assertThrows(AccessDeniedException.class,
          () -> FileSlab.create(target, NpyDtype.FLOAT32, new long[0], 1).close());
      assertEquals(target + ": output directory is not writable (path=" + target + ")", e.getMessage());
      try (Stream<Path> files = Files.list(locked)) {
        assertEquals(0, files.count());
      }
    } finally {
      if (immutable) {
        run("chattr", "-i", locked.toString());
      }
      Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
  }

  private static boolean run(String... command) throws InterruptedException {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .start();
      return p.waitFor() == 0;
    } catch (IOException e) {
      return false;
    }
  }

  @Test
  void negativeCapacityIsAnIllegalArgument() {
    Path target = dir.resolve("x.npy");
    assertEquals("capacity rows must be >= 0, got -1 (path=" + target + ")",
        assertThrows(IllegalArgumentException.class,
            () -> FileSlab.create(target, NpyDtype.INT8, new long[0], -1).close()).getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> FileSlab.create(target, NpyDtype.INT8, new long[] {-2}, 1).close());
  }

  @Test
  void writeAScalar() throws IOException {
    Path target = dir.resolve("scalar.npy");
    MemorySegment data = MemorySegment.ofArray(new double[] {-0.0});
    assertEquals(target, FileSlab.write(target, NpyDtype.FLOAT64, new long[0], data));
    NpyHeader header = new NpyHeader(NpyDtype.FLOAT64);
    byte[] bytes = fileBytes(target);
    assertEquals(header.byteSize() + 8, bytes.length);
    assertArrayEquals(header.encode(), Arrays.copyOf(bytes, header.byteSize()), "same header as np.save of a scalar");
    try (NpyArray a = NpyArray.open(target)) {
      assertEquals(0, a.header().rank());
      assertEquals(Double.doubleToRawLongBits(-0.0),
          Double.doubleToRawLongBits(a.segment().get(ValueLayout.JAVA_DOUBLE_UNALIGNED, 0)));
    }
  }

  @Test
  void writeRefusesDataOfTheWrongSize() {
    Path target = dir.resolve("x.npy");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> FileSlab.write(target, NpyDtype.INT32, new long[] {3}, MemorySegment.ofArray(new int[2])));
    assertEquals("data is 8 bytes but shape (3,) of <i4 needs 12 (path=" + target + ")", e.getMessage());
    assertFalse(Files.exists(target));
  }

  static Stream<NpyDtype> dtypes() {
    return TestNpy.allDtypes();
  }

  @ParameterizedTest
  @MethodSource("dtypes")
  void writeEveryDtypeWithSpecialValues(NpyDtype dtype) throws IOException {
    for (long[] shape : new long[][] {{}, {5}, {0}, {3, 4}, {0, 2}, {1, 2, 1, 2, 1, 2, 1, 2}}) {
      NpyHeader header = new NpyHeader(dtype, shape);
      byte[] payload = TestNpy.payload(dtype, header.elementCount(), 42);
      Path target = dir.resolve(dtype.displayName() + "-" + shape.length + "-" + header.elementCount() + ".npy");
      FileSlab.write(target, dtype, shape, MemorySegment.ofArray(payload));
      byte[] bytes = fileBytes(target);
      assertArrayEquals(header.encode(), Arrays.copyOf(bytes, header.byteSize()));
      assertEquals(header.byteSize() + payload.length, bytes.length);
      try (NpyArray a = NpyArray.open(target)) {
        assertEquals(header, a.header());
        assertArrayEquals(payload, TestNpy.bytes(a.segment()), "bit for bit, NaN payloads and -0.0 included");
      }
    }
  }

  @Test
  void noForceStillSealsACompleteFile() throws IOException {
    Path target = dir.resolve("x.npy");
    try (FileSlab slab = FileSlab.create(target, NpyDtype.UINT32, new long[] {2}, 3, SlabOption.NO_FORCE,
        SlabOption.OVERWRITE)) {
      slab.payload().setAtIndex(ValueLayout.JAVA_INT, 5, -1);
      slab.seal(3);
    }
    try (NpyArray a = NpyArray.open(target)) {
      assertEquals(-1, a.segment().getAtIndex(ValueLayout.JAVA_INT, 5));
    }
    assertEquals(List.of(target), listing());
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
    IOException e = assertThrows(IOException.class,
        () -> FileSlab.create(target, NpyDtype.UINT8, new long[] {1L << 20}, bytes >> 20).close());
    assertReservingFailed(e, target);
    assertEquals(List.of(), listing(), "temporary file removed, nothing at the target");
  }

  @Test
  void aFailedGrowKeepsTheSlabAndItsRows() throws IOException {
    long bytes = impossibleBytes();
    Path target = dir.resolve("x.npy");
    try (FileSlab slab = FileSlab.create(target, NpyDtype.UINT8, new long[] {1L << 20}, 2)) {
      slab.payload().set(ValueLayout.JAVA_BYTE, (1L << 20) + 5, (byte) 9);
      IOException e = assertThrows(IOException.class, () -> slab.ensureCapacity(bytes >> 20));
      assertReservingFailed(e, target);
      assertEquals(2, slab.capacityRows());
      assertEquals(9, slab.payload().get(ValueLayout.JAVA_BYTE, (1L << 20) + 5), "rows written before are kept");
      slab.seal(2);
    }
    try (NpyArray a = NpyArray.open(target)) {
      assertEquals(9, a.segment().get(ValueLayout.JAVA_BYTE, (1L << 20) + 5));
    }
  }

  @Test
  void toStringNamesTheTarget() throws IOException {
    Path target = dir.resolve("x.npy");
    try (FileSlab slab = FileSlab.create(target, NpyDtype.FLOAT16, new long[] {2}, 8)) {
      assertEquals("FileSlab[" + target + ", <f2, rows<=8]", slab.toString());
      assertEquals(target, slab.target());
      assertEquals(NpyDtype.FLOAT16, slab.dtype());
      assertArrayEquals(new long[] {2}, slab.rowShape());
      assertNotEquals(target, slab.temporaryPath());
    }
  }
}

package io.tensorslab.store.zarr;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorslab.npy.NpyDtype;
import io.tensorslab.slab.TemporaryFiles;
import io.tensorslab.store.RowLayout;
import io.tensorslab.store.RowStore;
import io.tensorslab.store.StoreCapacity;
import io.tensorslab.store.StoreCommit;
import io.tensorslab.store.StoreDestination;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ZarrRowStoreTest {
  @TempDir Path dir;

  private static byte[] bytes(int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (i * 7 + 1);
    }
    return b;
  }

  private static List<Path> files(Path root) throws IOException {
    try (Stream<Path> all = Files.walk(root)) {
      return all.filter(Files::isRegularFile).map(root::relativize).sorted().toList();
    }
  }

  @Test
  void storesCommitWithArrayMetadataThenGroupsLast() throws IOException {
    StoreDestination destination = new StoreDestination(dir, false, false);
    ZarrStoreFormat format = new ZarrStoreFormat(ZarrFormat.V2, 3, ZarrCodec.NONE, 1);
    byte[] data = bytes(10 * 4);
    try (RowStore x = format.create(new RowLayout("g/x", NpyDtype.INT32, new long[0]), destination,
        StoreCapacity.growable(0))) {
      x.write(0, MemorySegment.ofArray(data), 0, 10);
      List<Path> written = files(dir);
      assertEquals(List.of(Path.of("g/x/0"), Path.of("g/x/1"), Path.of("g/x/2")),
          written.stream().filter(p -> !TemporaryFiles.isTemporary(p)).toList(),
          "complete chunks at final names, no metadata before commit");
      assertEquals(1, written.stream().filter(TemporaryFiles::isTemporary).count(), "the partial chunk: " + written);
      x.finish(10);
      StoreCommit.publish(destination, List.of(x), ZarrGroups.stage(dir, ZarrFormat.V2, List.of("g/x"),
          Map.of("rows", 10L), false));
    }
    assertEquals(List.of(Path.of(".zattrs"), Path.of(".zgroup"), Path.of("g/.zattrs"), Path.of("g/.zgroup"),
        Path.of("g/x/.zarray"), Path.of("g/x/.zattrs"), Path.of("g/x/0"), Path.of("g/x/1"), Path.of("g/x/2"), Path.of("g/x/3")), files(dir));
    byte[] last = Files.readAllBytes(dir.resolve("g/x/3"));
    assertArrayEquals(new byte[] {data[36], data[37], data[38], data[39], 0, 0, 0, 0, 0, 0, 0, 0}, last);
    assertTrue(Files.readString(dir.resolve("g/x/.zarray")).contains("\"shape\": [10]"));
    assertEquals("{\n    \"_ARRAY_DIMENSIONS\": [\n        \"x.dim0\"\n    ]\n}\n", Files.readString(dir.resolve("g/x/.zattrs")));
  }

  @Test
  void anAbortedStoreLeavesNothing() throws IOException {
    StoreDestination destination = new StoreDestination(dir, false, false);
    try (RowStore x = ZarrStoreFormat.of(ZarrFormat.V3).create(new RowLayout("a/b/x", NpyDtype.FLOAT64,
        new long[] {2}), destination, StoreCapacity.growable(0))) {
      x.write(0, MemorySegment.ofArray(bytes(16 * 5)), 0, 5);
      x.finish(5);
    }
    try (Stream<Path> left = Files.list(dir)) {
      assertEquals(List.of(), left.toList());
    }
  }

  @Test
  void exactCapacityAndExistingOutputsAreRefused() throws IOException {
    StoreDestination destination = new StoreDestination(dir, false, false);
    RowLayout layout = new RowLayout("x", NpyDtype.UINT8, new long[0]);
    try (RowStore x = ZarrStoreFormat.of(ZarrFormat.V2).create(layout, destination, StoreCapacity.exact(4))) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> x.window(3, 2));
      assertEquals("rows [3, 5) lie past the store's exact capacity of 4 rows (path=" + dir.resolve("x") + ")",
          e.getMessage());
      FileAlreadyExistsException exists = assertThrows(FileAlreadyExistsException.class,
          () -> ZarrStoreFormat.of(ZarrFormat.V2).create(layout, destination, StoreCapacity.exact(4)));
      assertEquals("output exists; replace it with overwrite(true) (path=" + dir.resolve("x") + ")", exists.getReason());
    }
    Files.createDirectories(dir.resolve("y"));
    Files.writeString(dir.resolve("y/notes.txt"), "mine");
    FileAlreadyExistsException e = assertThrows(FileAlreadyExistsException.class, () -> ZarrStoreFormat
        .of(ZarrFormat.V2).create(new RowLayout("y", NpyDtype.UINT8, new long[0]), new StoreDestination(dir, true,
            false), StoreCapacity.exact(4)));
    assertTrue(e.getReason().startsWith("output path holds something that is not a Zarr array"), e.getReason());
    assertTrue(Files.exists(dir.resolve("y/notes.txt")));
    assertFalse(Files.exists(dir.resolve("x")));
  }
}

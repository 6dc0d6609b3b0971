package io.tensorslab.store.zarr;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorslab.npy.NpyDtype;
import io.tensorslab.store.RowLayout;
import io.tensorslab.store.RowStore;
import io.tensorslab.store.RowStores;
import io.tensorslab.store.StoreCapacity;
import io.tensorslab.store.StoreDestination;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Parts of one array written by separate part stores (as shard workers do), each writing every row
 * of the array but owning only its part, give the chunk files one whole store gives.
 */
class ZarrPartStoreTest {
  @TempDir Path dir;

  private static final RowLayout LAYOUT = new RowLayout("x", NpyDtype.INT32, new long[0]);

  private static void fillAll(RowStore store, long rows) throws IOException {
    RowStores.fill(store, 0, rows, (window, done) -> {
      for (long i = 0; i < window.rows(); i++) {
        window.bytes().setAtIndex(ValueLayout.JAVA_INT_UNALIGNED, i, (int) (window.first() + i) * 3);
      }
    });
  }

  private static Map<String, byte[]> chunkFiles(Path array) throws IOException {
    Map<String, byte[]> files = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(array)) {
      for (Path p : walk.filter(Files::isRegularFile).toList()) {
        String name = array.relativize(p).toString();
        if (!name.startsWith(".") && !name.endsWith("zarr.json")) { // chunks, not metadata (.zarray, .zattrs)
          files.put(name, Files.readAllBytes(p));
        }
      }
    }
    return files;
  }

  /** Parts on file boundaries; the last one ends inside the partial last chunk, one is empty there. */
  @ParameterizedTest
  @CsvSource({"V2, 1, 0, 8, 16, 23, 23", "V3, 2, 0, 8, 16, 23, 23", "V3, 2, 0, 0, 16, 16, 23"})
  void partsWritingEveryRowEqualOneStore(ZarrFormat format, int perFile, long a, long b, long c, long d, long rows)
      throws IOException {
    ZarrStoreFormat zarr = new ZarrStoreFormat(format, 4, ZarrCodec.NONE, perFile);
    Path whole = Files.createDirectory(dir.resolve("whole"));
    try (RowStore store = zarr.create(LAYOUT, new StoreDestination(whole, false, false), StoreCapacity.exact(rows))) {
      fillAll(store, rows);
      store.finish(rows);
      store.publish();
    }
    Path shared = Files.createDirectory(dir.resolve("shared"));
    long[][] parts = {{a, b}, {b, c}, {c, d}, {d, rows}};
    for (long[] part : parts) {
      try (ZarrStore store = ZarrStore.shared(shared, format, false);
          ZarrPartStore p = ZarrPartStore.create(store, zarr.spec(LAYOUT), LAYOUT, part[0], part[1], rows, false)) {
        fillAll(p, rows); // rows outside the part go to scratch windows and are dropped
        p.finish(rows);
        assertEquals(java.util.List.of(), p.staged(), "a part stages no metadata");
      }
    }
    assertFalse(Files.exists(shared.resolve("x").resolve(format == ZarrFormat.V2 ? ".zarray" : "zarr.json")));
    Map<String, byte[]> expected = chunkFiles(whole.resolve("x"));
    Map<String, byte[]> actual = chunkFiles(shared.resolve("x"));
    assertEquals(expected.keySet(), actual.keySet());
    for (String name : expected.keySet()) {
      assertArrayEquals(expected.get(name), actual.get(name), name);
    }
  }

  @Test
  void aPartNotOnFileBoundariesIsRefusedAtFinishAndAWrongTotalToo() throws IOException {
    ZarrStoreFormat zarr = new ZarrStoreFormat(ZarrFormat.V2, 4, ZarrCodec.NONE, 1);
    try (ZarrStore store = ZarrStore.shared(Files.createDirectory(dir.resolve("s")), ZarrFormat.V2, false);
        ZarrPartStore p = ZarrPartStore.create(store, zarr.spec(LAYOUT), LAYOUT, 2, 8, 23, false)) {
      fillAll(p, 23);
      IllegalArgumentException total = assertThrows(IllegalArgumentException.class, () -> p.finish(22));
      assertTrue(total.getMessage().startsWith("part of an array of 23 rows finished with 22"), total.getMessage());
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.finish(23));
      assertTrue(e.getMessage().startsWith("rows [2, 8) of 23 are not a part of whole files of 4 rows"), e.getMessage());
    }
    assertThrows(IllegalArgumentException.class, () -> ZarrPartStore.create(null, zarr.spec(LAYOUT), LAYOUT, 8, 4,
        23, false));
  }
}

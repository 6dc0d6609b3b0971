package io.tensorslab.store.zarr;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.luben.zstd.Zstd;
import io.tensorslab.npy.NpyDtype;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ZarrStoreTest {
  @TempDir Path dir;

  private static ZarrArraySpec int32s(ZarrFormat format, String path, long chunkRows, ZarrCodec codec, int perFile) {
    return new ZarrArraySpec(format, path, NpyDtype.INT32, new long[] {2}, chunkRows, codec, perFile);
  }

  /** Writes rows {@code [0, rows)} of int32 pairs (row r holds r, -r) in batches of {@code batch}. */
  private static void fill(ZarrArrayWriter writer, long rows, long batch) throws IOException {
    for (long first = 0; first < rows; ) {
      long n = Math.min(batch, rows - first);
      while (n > 0) {
        MemorySegment target = writer.rows(first, n).bytes();
        long m = target.byteSize() / 8;
        for (long i = 0; i < m; i++) {
          target.setAtIndex(ValueLayout.JAVA_INT_UNALIGNED, 2 * i, (int) (first + i));
          target.setAtIndex(ValueLayout.JAVA_INT_UNALIGNED, 2 * i + 1, (int) -(first + i));
        }
        writer.written(first, m);
        first += m;
        n -= m;
      }
    }
  }

  private static int[] ints(byte[] bytes) {
    int[] out = new int[bytes.length / 4];
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(out);
    return out;
  }

  private static int[] expectedChunk(long chunk, long chunkRows, long rows) {
    int[] out = new int[(int) (2 * chunkRows)];
    for (long r = chunk * chunkRows; r < Math.min(rows, (chunk + 1) * chunkRows); r++) {
      int i = (int) (r - chunk * chunkRows);
      out[2 * i] = (int) r;
      out[2 * i + 1] = (int) -r;
    }
    return out;
  }

  @Test
  void v2ChunksAreWholeRowsAndTheLastIsZeroPadded() throws IOException {
    try (ZarrStore store = ZarrStore.create(dir, ZarrFormat.V2, false)) {
      ZarrArrayWriter x = store.array(int32s(ZarrFormat.V2, "x", 4, ZarrCodec.NONE, 1));
      fill(x, 10, 3); // batches of 3 span chunk boundaries
      x.finish(10);
      store.commit(Map.of("rows", 10L));
    }
    for (long c = 0; c < 3; c++) {
      assertArrayEquals(expectedChunk(c, 4, 10), ints(Files.readAllBytes(dir.resolve("x/" + c + ".0"))), "chunk " + c);
    }
    assertEquals("""
        {
            "chunks": [4, 2],
            "compressor": null,
            "dimension_separator": ".",
            "dtype": "<i4",
            "fill_value": 0,
            "filters": null,
            "order": "C",
            "shape": [10, 2],
            "zarr_format": 2
        }
        """, Files.readString(dir.resolve("x/.zarray")));
    assertEquals("{\n    \"zarr_format\": 2\n}\n", Files.readString(dir.resolve(".zgroup")));
    assertEquals("{\n    \"rows\": 10\n}\n", Files.readString(dir.resolve(".zattrs")));
  }

  @Test
  void v3MetadataNamesTypeCodecsAndChunkKeys() throws IOException {
    try (ZarrStore store = ZarrStore.create(dir, ZarrFormat.V3, false)) {
      ZarrArrayWriter x = store.array(int32s(ZarrFormat.V3, "g/x", 4, ZarrCodec.parse("zstd"), 1));
      fill(x, 5, 5);
      x.finish(5);
      store.commit(Map.of());
    }
    String meta = Files.readString(dir.resolve("g/x/zarr.json"));
    assertTrue(meta.contains("\"data_type\": \"int32\""), meta);
    assertTrue(meta.contains("\"chunk_shape\": [4, 2]"), meta);
    assertTrue(meta.contains("\"name\": \"zstd\""), meta);
    assertTrue(meta.contains("\"endian\": \"little\""), meta);
    assertTrue(Files.readString(dir.resolve("g/zarr.json")).contains("\"node_type\": \"group\""));
    byte[] encoded = Files.readAllBytes(dir.resolve("g/x/c/1/0"));
    assertArrayEquals(expectedChunk(1, 4, 5), ints(Zstd.decompress(encoded, 32)));
  }

  @Test
  void gzipChunksAreGzipMembers() throws IOException {
    try (ZarrStore store = ZarrStore.create(dir, ZarrFormat.V2, false)) {
      ZarrArrayWriter x = store.array(int32s(ZarrFormat.V2, "x", 1000, ZarrCodec.parse("gzip:6"), 1));
      fill(x, 1000, 128);
      x.finish(1000);
      store.commit(Map.of());
    }
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(Files.readAllBytes(dir.resolve("x/0.0"))))) {
      assertArrayEquals(expectedChunk(0, 1000, 1000), ints(in.readAllBytes()));
    }
    assertTrue(Files.readString(dir.resolve("x/.zarray")).contains("\"id\": \"gzip\",\n        \"level\": 6"));
  }

  /** Rows start zero also in a reused chunk buffer: string writers leave the NUL padding to the store. */
  @Test
  void rowsStartZeroInEveryChunk() throws IOException {
    try (ZarrStore store = ZarrStore.create(dir, ZarrFormat.V2, false)) {
      ZarrArrayWriter x = store.array(new ZarrArraySpec(ZarrFormat.V2, "s", NpyDtype.bytes(4), new long[0], 2,
          ZarrCodec.parse("gzip"), 1));
      for (long row = 0; row < 4; row++) {
        var window = x.rows(row, 1);
        window.bytes().set(java.lang.foreign.ValueLayout.JAVA_BYTE, 0, (byte) 'a');
        if (row < 2) {
          window.bytes().fill((byte) 'z'); // chunk 0 full width; chunk 1 reuses its buffer
        }
        x.written(row, 1);
      }
      x.finish(4);
      store.commit(Map.of());
    }
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(Files.readAllBytes(dir.resolve("s/1"))))) {
      assertArrayEquals(new byte[] {'a', 0, 0, 0, 'a', 0, 0, 0}, in.readAllBytes());
    }
  }

  @Test
  void shardHoldsChunksAndACheckedIndex() throws IOException {
    try (ZarrStore store = ZarrStore.create(dir, ZarrFormat.V3, false)) {
      ZarrArrayWriter x = store.array(int32s(ZarrFormat.V3, "x", 2, ZarrCodec.NONE, 3));
      fill(x, 9, 4); // chunks 0..4: shard 0 holds 0-2, shard 1 holds 3-4 and a missing third
      x.finish(9);
      store.commit(Map.of());
    }
    byte[] shard = Files.readAllBytes(dir.resolve("x/c/1/0"));
    ByteBuffer index = ByteBuffer.wrap(shard, shard.length - 52, 52).slice().order(ByteOrder.LITTLE_ENDIAN);
    CRC32C crc = new CRC32C();
    crc.update(shard, shard.length - 52, 48);
    assertEquals((int) crc.getValue(), index.getInt(48));
    assertEquals(0, index.getLong(0));
    assertEquals(16, index.getLong(8));
    assertEquals(16, index.getLong(16));
    assertEquals(16, index.getLong(24));
    assertEquals(-1L, index.getLong(32));
    assertEquals(-1L, index.getLong(40));
    byte[] chunk4 = java.util.Arrays.copyOfRange(shard, 16, 32);
    assertArrayEquals(expectedChunk(4, 2, 9), ints(chunk4));
    String meta = Files.readString(dir.resolve("x/zarr.json"));
    assertTrue(meta.contains("\"name\": \"sharding_indexed\""), meta);
    assertTrue(meta.contains("\"chunk_shape\": [6, 2]"), meta);
  }

  @Test
  void metadataBytesAreTheSameFromEveryWriter() throws IOException {
    ZarrArraySpec spec = int32s(ZarrFormat.V3, "a/b", 7, ZarrCodec.parse("gzip"), 4);
    ZarrArraySpec same = int32s(ZarrFormat.V3, "a/b", 7, ZarrCodec.parse("gzip"), 4);
    assertArrayEquals(spec.metadata(100, Map.of("k", "v", "a", 1L)), same.metadata(100, Map.of("a", 1L, "k", "v")));
  }

  @Test
  void metadataIsWrittenLastAndAnAbortedStoreLeavesNothing() throws IOException {
    Path x;
    try (ZarrStore store = ZarrStore.create(dir, ZarrFormat.V2, false)) {
      ZarrArrayWriter writer = store.array(int32s(ZarrFormat.V2, "g/x", 2, ZarrCodec.NONE, 1));
      fill(writer, 5, 5);
      x = writer.directory();
      assertTrue(Files.exists(x.resolve("1.0")), "complete chunks are written as they fill");
      assertFalse(Files.exists(x.resolve(".zarray")), "no metadata before commit");
      assertFalse(Files.exists(dir.resolve(".zgroup")));
      // closed without commit: an aborted export
    }
    try (Stream<Path> left = Files.list(dir)) {
      assertEquals(List.of(), left.toList());
    }
  }

  @Test
  void rowsNeverWrittenFailAtFinish() throws IOException {
    try (ZarrStore store = ZarrStore.create(dir, ZarrFormat.V2, false)) {
      ZarrArrayWriter x = store.array(int32s(ZarrFormat.V2, "x", 4, ZarrCodec.NONE, 1));
      fill(x, 6, 6);
      IOException e = assertThrows(IOException.class, () -> x.finish(9));
      assertEquals("zarr array incomplete at finish: chunk 1 holds 2 written rows, the array of 9 rows needs 4"
          + " there (path=" + dir.resolve("x") + ")", e.getMessage());
    }
  }

  @Test
  void stringsInV3AreBytesWithANote() {
    ZarrArraySpec spec = new ZarrArraySpec(ZarrFormat.V3, "s", NpyDtype.bytes(5), new long[0], 10, ZarrCodec.NONE, 1);
    String meta = new String(spec.metadata(3, Map.of()), StandardCharsets.UTF_8);
    assertTrue(meta.contains("\"data_type\": \"uint8\""), meta);
    assertTrue(meta.contains("\"shape\": [3, 5]"), meta);
    assertTrue(meta.contains("\"numpy_dtype\": \"|S5\""), meta);
    assertEquals("c/2/0", spec.chunkFile(2));
  }

  @ParameterizedTest
  @ValueSource(strings = {"brotli", "gzip:10", "zstd:0", "gzip:x"})
  void badCodecsAreRefused(String text) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ZarrCodec.parse(text));
    assertTrue(e.getMessage().contains("gzip"), e.getMessage());
  }

  @Test
  void badPathsAndClashesAreRefused() throws IOException {
    try (ZarrStore store = ZarrStore.create(dir, ZarrFormat.V2, false)) {
      assertThrows(IllegalArgumentException.class, () -> store.array(int32s(ZarrFormat.V2, "a/.x", 1, ZarrCodec.NONE, 1)));
      assertThrows(IllegalArgumentException.class, () -> store.array(int32s(ZarrFormat.V2, "a//x", 1, ZarrCodec.NONE, 1)));
      store.array(int32s(ZarrFormat.V2, "a", 1, ZarrCodec.NONE, 1));
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> store.array(int32s(ZarrFormat.V2, "a/b", 1, ZarrCodec.NONE, 1)));
      assertTrue(e.getMessage().startsWith("zarr array 'a/b' and array 'a' clash"), e.getMessage());
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> int32s(ZarrFormat.V2, "x", 1, ZarrCodec.NONE, 4));
    assertTrue(e.getMessage().contains("needs Zarr v3"), e.getMessage());
  }

  @Test
  void defaultChunksHold32To64MiB() {
    assertEquals(1 << 20, ZarrArraySpec.defaultChunkRows(64));           // 64 MiB
    assertEquals(1 << 19, ZarrArraySpec.defaultChunkRows(100));          // 50 MiB
    assertEquals(1, ZarrArraySpec.defaultChunkRows(100L << 20));         // one row larger than 64 MiB
  }
}

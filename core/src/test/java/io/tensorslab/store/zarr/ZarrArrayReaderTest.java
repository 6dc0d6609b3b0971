package io.tensorslab.store.zarr;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorslab.npy.NpyDtype;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Stores written by {@link ZarrStore} read back by {@link ZarrStoreReader} / {@link ZarrArrayReader}, byte for byte. */
class ZarrArrayReaderTest {
  @TempDir Path dir;

  private static final List<NpyDtype> DTYPES = List.of(NpyDtype.BOOL, NpyDtype.INT8, NpyDtype.UINT8, NpyDtype.INT16,
      NpyDtype.UINT16, NpyDtype.INT32, NpyDtype.UINT32, NpyDtype.INT64, NpyDtype.UINT64, NpyDtype.FLOAT16,
      NpyDtype.FLOAT32, NpyDtype.FLOAT64, NpyDtype.COMPLEX64, NpyDtype.COMPLEX128, NpyDtype.BFLOAT16_AS_VOID,
      NpyDtype.bytes(5), NpyDtype.opaque(3));

  static Stream<Arguments> layouts() {
    return Stream.of(Arguments.of(ZarrFormat.V2, "none", 1), Arguments.of(ZarrFormat.V2, "gzip", 1),
        Arguments.of(ZarrFormat.V2, "zstd", 1), Arguments.of(ZarrFormat.V3, "none", 1),
        Arguments.of(ZarrFormat.V3, "gzip", 1), Arguments.of(ZarrFormat.V3, "zstd", 1),
        Arguments.of(ZarrFormat.V3, "none", 3), Arguments.of(ZarrFormat.V3, "gzip", 3),
        Arguments.of(ZarrFormat.V3, "zstd", 3));
  }

  /** Random bytes for every row ({@code |b1} as 0/1, as NumPy holds it). */
  private static byte[] content(ZarrArraySpec spec, long rows, long seed) {
    byte[] bytes = new byte[Math.toIntExact(rows * spec.rowBytes())];
    new Random(seed).nextBytes(bytes);
    if (spec.dtype().equals(NpyDtype.BOOL)) {
      for (int i = 0; i < bytes.length; i++) {
        bytes[i] &= 1;
      }
    }
    return bytes;
  }

  /** Writes {@code content} in batches of 3 rows (so batches cross chunk boundaries) and finishes at {@code rows}. */
  private static void fill(ZarrArrayWriter writer, byte[] content, long rows) throws IOException {
    long rowBytes = writer.spec().rowBytes();
    for (long first = 0; first < rows; ) {
      long n = Math.min(3, rows - first);
      while (n > 0) {
        MemorySegment target = writer.rows(first, n).bytes();
        long m = rowBytes == 0 ? n : target.byteSize() / rowBytes;
        target.copyFrom(MemorySegment.ofArray(content).asSlice(first * rowBytes, m * rowBytes));
        writer.written(first, m);
        first += m;
        n -= m;
      }
    }
    writer.finish(rows);
  }

  /** The manifest attributes of {@code specs}, as an export writes them. */
  private static Map<String, Object> manifest(List<ZarrArraySpec> specs, List<Long> rows, long exportRows) {
    List<ZarrManifest.Array> arrays = new ArrayList<>();
    for (int i = 0; i < specs.size(); i++) {
      ZarrArraySpec s = specs.get(i);
      long[] shape = new long[s.rowShape().length + 1];
      shape[0] = rows.get(i);
      System.arraycopy(s.rowShape(), 0, shape, 1, s.rowShape().length);
      String component = s.path().endsWith(".values") || s.path().endsWith(".row_splits")
          ? s.path().substring(0, s.path().lastIndexOf('.')) : s.path();
      arrays.add(new ZarrManifest.Array(s.path(), component, s.path(), s.dtype().descr(), shape));
    }
    return ZarrManifest.attributes(arrays, exportRows);
  }

  @ParameterizedTest(name = "{0} {1} x{2}")
  @MethodSource("layouts")
  void everyDtypeReadsBackAsWritten(ZarrFormat format, String codec, int perFile) throws IOException {
    long rows = 23; // chunks of 4 rows: a partial last chunk, and with 3 per file a partial last shard
    Map<ZarrArraySpec, byte[]> written = new LinkedHashMap<>();
    List<Long> rowCounts = new ArrayList<>();
    try (ZarrStore store = ZarrStore.create(dir, format, false)) {
      int i = 0;
      for (NpyDtype dtype : DTYPES) {
        ZarrArraySpec spec = new ZarrArraySpec(format, "group/sub/a" + i, dtype, new long[] {2, 3}, 4,
            ZarrCodec.parse(codec), perFile);
        byte[] bytes = content(spec, rows, i++);
        fill(store.array(spec), bytes, rows);
        written.put(spec, bytes);
        rowCounts.add(rows);
      }
      store.commit(manifest(List.copyOf(written.keySet()), rowCounts, rows));
    }
    ZarrStoreReader store = ZarrStoreReader.open(dir);
    assertEquals(format, store.format());
    assertEquals(rows, store.rows());
    assertEquals(DTYPES.size(), store.arrays().size());
    try (Arena arena = Arena.ofConfined()) {
      for (Map.Entry<ZarrArraySpec, byte[]> e : written.entrySet()) {
        ZarrArraySpec spec = e.getKey();
        ZarrArrayReader array = store.array(spec.path());
        assertEquals(spec, array.spec(), spec.path());
        assertEquals(spec.dtype(), array.dtype());
        assertArrayEquals(new long[] {rows, 2, 3}, array.shape());
        assertArrayEquals(new long[] {4, 2, 3}, array.chunkShape());
        assertArrayEquals(e.getValue(), array.readAll(arena).toArray(ValueLayout.JAVA_BYTE), spec.toString());
        // a range starting inside one chunk and ending inside a later shard's last chunk
        long rowBytes = spec.rowBytes();
        byte[] middle = array.readRows(5, 17, arena).toArray(ValueLayout.JAVA_BYTE);
        byte[] expected = java.util.Arrays.copyOfRange(e.getValue(), (int) (5 * rowBytes), (int) (22 * rowBytes));
        assertArrayEquals(expected, middle, spec.toString());
      }
    }
  }

  @Test
  void raggedPairAndScalarsReadBackWithTheirComponents() throws IOException {
    ZarrArraySpec values = new ZarrArraySpec(ZarrFormat.V3, "tokens.values", NpyDtype.INT64, new long[0], 8,
        ZarrCodec.parse("zstd"), 1);
    ZarrArraySpec splits = new ZarrArraySpec(ZarrFormat.V3, "tokens.row_splits", NpyDtype.INT64, new long[0], 8,
        ZarrCodec.parse("zstd"), 1);
    MemorySegment v = MemorySegment.ofArray(new long[] {7, 8, 9, 10, 11});
    MemorySegment s = MemorySegment.ofArray(new long[] {0, 2, 2, 5});
    try (ZarrStore store = ZarrStore.create(dir, ZarrFormat.V3, false)) {
      fill(store.array(values), v.toArray(ValueLayout.JAVA_BYTE), 5);
      fill(store.array(splits), s.toArray(ValueLayout.JAVA_BYTE), 4);
      store.commit(manifest(List.of(values, splits), List.of(5L, 4L), 3));
    }
    ZarrStoreReader store = ZarrStoreReader.open(dir);
    assertEquals(List.of("tokens.values", "tokens.row_splits"), store.arrays().stream().map(ZarrArrayReader::name)
        .toList());
    assertEquals("tokens", store.array("tokens.values").component());
    try (Arena arena = Arena.ofConfined()) {
      assertArrayEquals(new long[] {7, 8, 9, 10, 11},
          store.array("tokens.values").readAll(arena).toArray(ValueLayout.JAVA_LONG));
      assertArrayEquals(new long[] {0, 2, 2, 5},
          store.array("tokens.row_splits").readAll(arena).toArray(ValueLayout.JAVA_LONG));
    }
  }

  /** One int32 array of 10 rows (chunks of 4) in a store of {@code format}, committed. */
  private ZarrArraySpec writeSmall(ZarrFormat format, String codec) throws IOException {
    ZarrArraySpec spec = new ZarrArraySpec(format, "x", NpyDtype.INT32, new long[] {2}, 4, ZarrCodec.parse(codec),
        1);
    try (ZarrStore store = ZarrStore.create(dir, format, false)) {
      fill(store.array(spec), content(spec, 10, 1), 10);
      store.commit(manifest(List.of(spec), List.of(10L), 10));
    }
    return spec;
  }

  @Test
  void missingRootMetadataIsAnIncompleteStore() throws IOException {
    writeSmall(ZarrFormat.V3, "none");
    Files.delete(dir.resolve("zarr.json"));
    NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> ZarrStoreReader.open(dir));
    assertTrue(e.getMessage().contains("zarr store not complete: its root metadata (.zgroup or zarr.json, written"
        + " last) is missing"), e.getMessage());
    assertTrue(e.getMessage().contains("path=" + dir), e.getMessage());
  }

  @Test
  void anArrayDirectoryIsNotAStore() throws IOException {
    for (ZarrFormat format : ZarrFormat.values()) {
      Path root = Files.createDirectory(dir.resolve(format.optionName()));
      ZarrArraySpec spec = new ZarrArraySpec(format, "x", NpyDtype.INT32, new long[0], 4, ZarrCodec.NONE, 1);
      try (ZarrStore store = ZarrStore.create(root, format, false)) {
        fill(store.array(spec), content(spec, 5, 1), 5);
        store.commit(manifest(List.of(spec), List.of(5L), 5));
      }
      IOException e = assertThrows(IOException.class, () -> ZarrStoreReader.open(root.resolve("x")));
      assertEquals("a zarr array, not a store: open the store directory that holds it (path=" + root.resolve("x")
          + ")", e.getMessage());
    }
  }

  @Test
  void directoryWithoutZarrIsNotAStore() throws IOException {
    Files.writeString(dir.resolve("notes.txt"), "hello");
    NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> ZarrStoreReader.open(dir));
    assertTrue(e.getMessage().contains("not a zarr store: no .zgroup or zarr.json at its root"), e.getMessage());
  }

  /**
   * Metadata edited away from what TensorSlab writes is refused with one error naming the array's
   * metadata file: another codec, big-endian, Fortran order, a key TensorSlab does not write, and
   * (caught by the byte check) any other change.
   */
  @ParameterizedTest(name = "{0} {1}: {2} -> {3}")
  @CsvSource(delimiter = '|', value = {
      "V2 | zstd | \"zstd\"              | \"blosc\"  | codec blosc is not one TensorSlab writes (none, gzip or zstd with a level)",
      "V3 | none | \"bytes\"             | \"transpose\" | codec transpose at position 0 is not one TensorSlab writes",
      "V2 | none | \"<i4\"               | \">i4\"    | dtype >i4 is big-endian, TensorSlab reads only little-endian",
      "V3 | none | \"little\"            | \"big\"    | the bytes codec is big-endian, TensorSlab reads only little-endian",
      "V2 | none | \"order\": \"C\"      | \"order\": \"F\" | order is F, TensorSlab reads only C order",
      "V3 | none | \"node_type\"         | \"storage_transformers\": [], \"node_type\" | metadata key 'storage_transformers' is not one TensorSlab writes",
      "V2 | none | \"fill_value\": 0     | \"fill_value\": 7 | metadata line 6 is '\"fill_value\": 7,', TensorSlab writes '\"fill_value\": 0,'"})
  void metadataTensorSlabDoesNotWriteIsRefused(ZarrFormat format, String codec, String from, String to,
      String why) throws IOException {
    writeSmall(format, codec);
    Path file = dir.resolve(format == ZarrFormat.V2 ? "x/.zarray" : "x/zarr.json");
    String text = Files.readString(file);
    assertTrue(text.contains(from), from + " in " + text);
    Files.writeString(file, text.replace(from, to));
    IOException e = assertThrows(IOException.class, () -> ZarrStoreReader.open(dir));
    assertTrue(e.getMessage().startsWith("not a TensorSlab zarr array: " + why), e.getMessage());
    assertTrue(e.getMessage().endsWith("(path=" + file + ")"), e.getMessage());
  }

  @Test
  void chunkFileCutShortIsNamed() throws IOException {
    for (String codec : List.of("none", "gzip", "zstd")) {
      writeSmall(ZarrFormat.V2, codec);
      Path chunk = dir.resolve("x/1.0");
      try (var channel = Files.newByteChannel(chunk, StandardOpenOption.WRITE)) {
        channel.truncate(Files.size(chunk) - 3);
      }
      ZarrArrayReader x = ZarrStoreReader.open(dir).array("x");
      try (Arena arena = Arena.ofConfined()) {
        x.readRows(0, 4, arena); // chunk 0 is whole
        IOException e = assertThrows(IOException.class, () -> x.readRows(3, 2, arena));
        assertTrue(e.getMessage().startsWith("zarr chunk cut short or corrupt: "), codec + ": " + e.getMessage());
        assertTrue(e.getMessage().endsWith("(chunk=1, path=" + chunk + ")"), codec + ": " + e.getMessage());
      }
      for (Path p : List.of(dir.resolve(".zgroup"), dir.resolve(".zattrs"))) {
        Files.delete(p);
      }
      ZarrFiles.deleteArray(dir.resolve("x"), dir);
    }
  }

  @Test
  void shardCutShortIsNamed() throws IOException {
    ZarrArraySpec spec = new ZarrArraySpec(ZarrFormat.V3, "x", NpyDtype.INT32, new long[] {2}, 4,
        ZarrCodec.NONE, 2);
    try (ZarrStore store = ZarrStore.create(dir, ZarrFormat.V3, false)) {
      fill(store.array(spec), content(spec, 10, 1), 10);
      store.commit(manifest(List.of(spec), List.of(10L), 10));
    }
    Path shard = dir.resolve("x/c/0/0");
    try (var channel = Files.newByteChannel(shard, StandardOpenOption.WRITE)) {
      channel.truncate(Files.size(shard) - 1);
    }
    ZarrArrayReader x = ZarrStoreReader.open(dir).array("x");
    try (Arena arena = Arena.ofConfined()) {
      IOException e = assertThrows(IOException.class, () -> x.readRows(0, 1, arena));
      assertEquals("zarr chunk cut short or corrupt: the shard index's CRC-32C does not match (chunk=0, path="
          + shard + ")", e.getMessage());
    }
  }

  @Test
  void missingChunkFileIsNamed() throws IOException {
    writeSmall(ZarrFormat.V3, "none");
    Files.delete(dir.resolve("x/c/2/0"));
    ZarrArrayReader x = ZarrStoreReader.open(dir).array("x");
    try (Arena arena = Arena.ofConfined()) {
      NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> x.readRows(8, 2, arena));
      assertTrue(e.getMessage().contains("zarr chunk missing: chunk 2 holds rows of the array"), e.getMessage());
    }
  }

  @Test
  void rowsOutsideTheArrayAreRefused() throws IOException {
    writeSmall(ZarrFormat.V2, "none");
    ZarrArrayReader x = ZarrArrayReader.open(dir, "x");
    assertEquals(10, x.rows());
    try (Arena arena = Arena.ofConfined()) {
      assertThrows(IndexOutOfBoundsException.class, () -> x.readRows(8, 3, arena));
    }
    assertTrue(new String(Files.readAllBytes(dir.resolve(".zgroup")), StandardCharsets.UTF_8).contains("2"));
  }
}

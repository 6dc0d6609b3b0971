package io.tensorslab.store.zarr;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorslab.npy.NpyDtype;
import io.tensorslab.testutil.ZarrReaders;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every dtype, written through the format layer alone, read back by zarr-python 2 + Dask (v2) and
 * tensorstore (v2 and v3) equal byte for byte to what was written: chunk boundaries inside
 * batches, a partial last chunk, nested groups, every codec, sharding.
 */
class ZarrReadersTest {
  @TempDir Path dir;

  private static final List<NpyDtype> DTYPES = List.of(NpyDtype.BOOL, NpyDtype.INT8, NpyDtype.UINT8, NpyDtype.INT16,
      NpyDtype.UINT16, NpyDtype.INT32, NpyDtype.UINT32, NpyDtype.INT64, NpyDtype.UINT64, NpyDtype.FLOAT16,
      NpyDtype.FLOAT32, NpyDtype.FLOAT64, NpyDtype.COMPLEX64, NpyDtype.COMPLEX128, NpyDtype.BFLOAT16_AS_VOID,
      NpyDtype.bytes(5));

  @ParameterizedTest(name = "{0} codec {1}, {2} chunks per file")
  @CsvSource({"V2, none, 1", "V2, gzip, 1", "V2, zstd, 1", "V3, none, 1", "V3, zstd, 1", "V3, gzip, 3", "V3, none, 4"})
  void readersSeeWhatWasWritten(ZarrFormat format, String codec, int perFile) throws IOException {
    Path store = Files.createDirectory(dir.resolve("store"));
    Random random = new Random(42);
    long rows = 23;
    List<String> cases = new ArrayList<>();
    Map<String, byte[]> written = new java.util.LinkedHashMap<>();
    try (ZarrStore zarr = ZarrStore.create(store, format, false)) {
      for (NpyDtype dtype : DTYPES) {
        String path = "g/" + dtype.displayName();
        ZarrArraySpec spec = new ZarrArraySpec(format, path, dtype, new long[] {3, 2}, 4, ZarrCodec.parse(codec), perFile);
        byte[] all = new byte[(int) (rows * spec.rowBytes())];
        random.nextBytes(all);
        if (dtype.kind() == 'b') {
          for (int i = 0; i < all.length; i++) {
            all[i] &= 1;
          }
        }
        ZarrArrayWriter writer = zarr.array(spec);
        for (long first = 0; first < rows; ) { // batches of 7 rows, chunks of 4
          long n = Math.min(7, rows - first);
          MemorySegment target = writer.rows(first, n).bytes();
          long m = target.byteSize() / spec.rowBytes();
          MemorySegment.copy(MemorySegment.ofArray(all), first * spec.rowBytes(), target, 0, target.byteSize());
          writer.written(first, m);
          first += m;
        }
        writer.finish(rows);
        Path expected = dir.resolve(dtype.displayName() + ".bin");
        Files.write(expected, all);
        written.put(path, all);
        cases.add("{\"path\": \"" + path + "\", \"descr\": \"" + dtype.descr() + "\", \"shape\": [" + rows
            + ", 3, 2], \"expected\": \"" + expected + "\", \"v3_bytes\": " + spec.storedAsBytes() + "}");
      }
      zarr.commit(Map.of("note", "reader test"));
    }
    Path casesFile = Files.writeString(dir.resolve("cases.json"), "[" + String.join(",\n", cases) + "]");
    String out = ZarrReaders.checkAll(store, format, casesFile);
    if (format == ZarrFormat.V2) {
      assertTrue(out.contains("zarr 2.") && out.contains(": " + DTYPES.size() + " arrays equal"), out);
      assertTrue(out.contains("tensorstore zarr: " + (DTYPES.size() - 2)
          + " arrays equal, not read: ['g/void2', 'g/bytes5']"), out);
    } else {
      assertTrue(out.contains("tensorstore zarr3: " + DTYPES.size() + " arrays equal"), out);
    }
    // TensorSlab's own reader sees the very bytes the Python readers were checked against.
    try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
      for (Map.Entry<String, byte[]> e : written.entrySet()) {
        ZarrArrayReader reader = ZarrArrayReader.open(store, e.getKey());
        org.junit.jupiter.api.Assertions.assertArrayEquals(new long[] {rows, 3, 2}, reader.shape(), e.getKey());
        org.junit.jupiter.api.Assertions.assertArrayEquals(e.getValue(),
            reader.readAll(arena).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), e.getKey());
      }
    }
  }
}

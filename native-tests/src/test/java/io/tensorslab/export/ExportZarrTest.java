package io.tensorslab.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorslab.store.zarr.ZarrArrayReader;
import io.tensorslab.store.zarr.ZarrCodec;
import io.tensorslab.store.zarr.ZarrFormat;
import io.tensorslab.store.zarr.ZarrStoreFormat;
import io.tensorslab.testutil.ZarrReaders;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.framework.data.Dataset;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/** The Java API's Zarr output: unknown cardinality, an empty dataset, what the result holds and reads back. */
class ExportZarrTest {

  /**
   * UNKNOWN cardinality: range(3000).filter(x % 3 == 0).batch(7): 1000 rows whose count nobody
   * knows ahead; the metadata written at commit says 1000, the last of the 64-row chunks is partial.
   */
  @Test
  void unknownCardinalityGoesIntoTheMetadataAtCommit(@TempDir Path dir) throws Exception {
    Function<Ops, Dataset> build = tf -> {
      var keep = TestData.scalarFunction((f, x) -> f.math.equal(f.math.floorMod(x, f.constant(3L)), f.constant(0L)));
      var filtered = tf.data.filterDataset(TestData.range(tf, 0, 3000).getVariant(), List.of(), keep,
          List.of(TInt64.class), List.of(Shape.scalar()));
      return TestData.wrap(tf, filtered, TInt64.class, Shape.scalar()).batch(7);
    };
    Path out = dir.resolve("store");
    try (ExportResult result = TestData.eager(build, out,
        b -> b.names("i").format(new ZarrStoreFormat(ZarrFormat.V2, 64, ZarrCodec.NONE, 1)))) {
      assertEquals(-2, result.sourceCardinality());
      assertEquals(1000, result.rows());
      assertEquals(List.of(), result.arrays(), "a Zarr export maps nothing");
      assertEquals(List.of("i"), result.zarrArrays().stream().map(ZarrArrayReader::name).toList());
      try (Arena arena = Arena.ofConfined()) {
        long[] read = result.zarrArray("i").readAll(arena).toArray(ValueLayout.JAVA_LONG);
        assertEquals(1000, read.length);
        for (int x = 0; x < 1000; x++) {
          assertEquals(x * 3L, read[x], "row " + x);
        }
      }
    }
    assertTrue(Files.readString(out.resolve("i/.zarray")).contains("\"shape\": [1000]"));
    assertTrue(Files.exists(out.resolve("i/15")) && !Files.exists(out.resolve("i/16")), "16 chunks of 64 rows");
    var bytes = java.nio.ByteBuffer.allocate(8000).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    for (long x = 0; x < 1000; x++) {
      bytes.putLong(x * 3);
    }
    Path expected = TestData.writeBytes(dir.resolve("expected.raw"), bytes.array());
    Path cases = Files.writeString(dir.resolve("cases.json"), "[{\"path\": \"i\", \"descr\": \"<i8\", \"shape\": [1000],"
        + " \"expected\": \"" + expected + "\"}]");
    String read = ZarrReaders.checkAll(out, ZarrFormat.V2, cases);
    assertTrue(read.contains("zarr 2.") && read.contains("tensorstore zarr: 1 arrays equal"), read);
  }

  /** No rows: arrays of shape (0,) and (0, 3) with no chunk files, which the readers open as empty. */
  @Test
  void emptyDatasetMakesEmptyArrays(@TempDir Path dir) throws Exception {
    Function<Ops, Dataset> build = tf -> Dataset.fromTensorSlices(tf,
        List.of(tf.constant(new long[0]), tf.zeros(tf.constant(new long[] {0, 3}), TFloat32.class)),
        List.of(TInt64.class, TFloat32.class)).batch(4);
    Path out = dir.resolve("store");
    try (ExportResult result = TestData.eager(build, out, b -> b.names("i", "f").format(
        ZarrStoreFormat.of(ZarrFormat.V3)))) {
      assertEquals(0, result.rows());
      assertArrayEquals(new long[] {0, 3}, result.zarrArray("f").shape());
      try (Arena arena = Arena.ofConfined()) {
        assertEquals(0, result.zarrArray("i").readAll(arena).byteSize());
      }
    }
    try (Stream<Path> files = Files.walk(out)) {
      assertEquals(List.of("f/zarr.json", "i/zarr.json", "zarr.json"), files.filter(Files::isRegularFile)
          .map(p -> out.relativize(p).toString()).sorted().toList());
    }
    Path empty = TestData.writeBytes(dir.resolve("empty.raw"), new byte[0]);
    Path cases = Files.writeString(dir.resolve("cases.json"), "[{\"path\": \"i\", \"descr\": \"<i8\", \"shape\": [0],"
        + " \"expected\": \"" + empty + "\"}, {\"path\": \"f\", \"descr\": \"<f4\", \"shape\": [0, 3], \"expected\": \""
        + empty + "\"}]");
    String read = ZarrReaders.checkAll(out, ZarrFormat.V3, cases);
    assertTrue(read.contains("tensorstore zarr3: 2 arrays equal"), read);
    assertFalse(Files.exists(out.resolve("manifest.json")));
  }

  /** A .npy export's files are mapped in arrays(): asking it for Zarr arrays says so. */
  @Test
  void npyExportHasNoZarrArrays(@TempDir Path dir) throws Exception {
    Function<Ops, Dataset> build = tf -> Dataset.fromTensorSlices(tf, List.of(tf.constant(new long[] {1, 2})),
        List.of(TInt64.class)).batch(2);
    Path out = dir.resolve("npy");
    try (ExportResult result = TestData.eager(build, out, b -> b.names("i"))) {
      IllegalStateException e = assertThrows(IllegalStateException.class, result::zarrArrays);
      assertEquals("not a Zarr export: its .npy files are mapped in arrays() (path=" + out + ")", e.getMessage());
    }
  }
}

package io.tensorslab.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorslab.npy.NpyArray;
import io.tensorslab.npy.NpyDtype;
import io.tensorslab.store.RowStore;
import io.tensorslab.store.StoreCommit;
import io.tensorslab.store.StoreDestination;
import io.tensorslab.store.StoreFormat;
import io.tensorslab.store.zarr.ZarrCodec;
import io.tensorslab.store.zarr.ZarrFormat;
import io.tensorslab.store.zarr.ZarrGroups;
import io.tensorslab.store.zarr.ZarrStoreFormat;
import io.tensorslab.testutil.ZarrReaders;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;

/**
 * The dense, padded, ragged and row-splits writers fill a test-only chunked in-memory store
 * ({@link ChunkedMemoryStore}, chunks of 3 rows, so nearly every batch is cut across chunks) with
 * exactly the rows they write into {@code .npy} stores: same outputs, dtypes, shapes and bytes. No
 * writer knows which store it fills. The same holds for Zarr stores (v2 with zstd, v3 with shards of
 * two chunks, chunks of 3 rows), judged by zarr-python 2 + Dask (v2) and tensorstore (v3) against
 * the {@code .npy} files.
 */
class WritersFillEveryStoreTest {
  @TempDir Path dir;
  /** Where the last {@link #intoNpy} wrote its files: the oracle of the Zarr stores. */
  private Path npyDir;

  /** What a writer produced: per output name, dtype descr, shape and payload bytes. */
  private record Output(String descr, List<Long> shape, byte[] bytes) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Output out && out.descr.equals(descr) && out.shape.equals(shape)
          && java.util.Arrays.equals(out.bytes, bytes);
    }

    @Override
    public int hashCode() {
      return descr.hashCode();
    }

    @Override
    public String toString() {
      return descr + " " + shape + " " + bytes.length + " bytes";
    }
  }

  /** Batches of one or two components, each {@code rows} rows; closed by the caller. */
  private record Batch(List<Tensor> components, long rows) {}

  private static Batch dense(int b, int seed) {
    float[] v = new float[b * 2];
    for (int i = 0; i < v.length; i++) {
      v[i] = i % 7 == 3 ? Float.NaN : i % 7 == 5 ? Float.NEGATIVE_INFINITY : seed * 100 + i * 1.5f;
    }
    return new Batch(List.of(TFloat32.tensorOf(Shape.of(b, 2), DataBuffers.of(v))), b);
  }

  /** {@code b} rows of width {@code w}: varying between batches. */
  private static Batch widths(int b, int w, int seed) {
    long[] v = new long[b * w];
    for (int i = 0; i < v.length; i++) {
      v[i] = seed * 1000L + i;
    }
    return new Batch(List.of(TInt64.tensorOf(Shape.of(b, w), DataBuffers.of(v))), b);
  }

  private static Batch strings(String... values) {
    byte[][] bytes = new byte[values.length][];
    for (int i = 0; i < values.length; i++) {
      bytes[i] = values[i].getBytes(StandardCharsets.UTF_8);
    }
    return new Batch(List.of(TString.tensorOfBytes(NdArrays.vectorOfObjects(bytes))), values.length);
  }

  /** Values (int64) and row splits of {@code lengths.length} rows. */
  private static Batch rowSplits(int seed, long... lengths) {
    long[] splits = new long[lengths.length + 1];
    for (int i = 0; i < lengths.length; i++) {
      splits[i + 1] = splits[i] + lengths[i];
    }
    long[] values = new long[(int) splits[lengths.length]];
    for (int i = 0; i < values.length; i++) {
      values[i] = seed * 10_000L + i;
    }
    return new Batch(List.of(TInt64.tensorOf(Shape.of(values.length), DataBuffers.of(values)),
        TInt64.tensorOf(Shape.of(splits.length), DataBuffers.of(splits))), lengths.length);
  }

  /** Runs {@code makeWriter} over {@code batches} as one range writer would, into {@code stores}. */
  private static List<RowStore> write(Function<OutputStores, ComponentWriter> makeWriter, List<Batch> batches,
      OutputStores stores) throws IOException {
    ComponentWriter writer = makeWriter.apply(stores);
    long row = 0;
    long total = batches.stream().mapToLong(Batch::rows).sum();
    for (int i = 0; i < batches.size(); i++) {
      Batch b = batches.get(i);
      writer.append(b.components(), i, row, b.rows(), total);
      row += b.rows();
    }
    return writer.finish(row);
  }

  private Map<String, Output> intoNpy(Function<OutputStores, ComponentWriter> makeWriter, List<Batch> batches)
      throws IOException {
    Path out = Files.createDirectories(dir.resolve("npy-" + System.nanoTime()));
    npyDir = out;
    StoreDestination destination = new StoreDestination(out, false, false);
    List<RowStore> finished = write(makeWriter, batches, new OutputStores(StoreFormat.NPY, destination));
    StoreCommit.publish(destination, finished, List.of());
    Map<String, Output> outputs = new LinkedHashMap<>();
    for (RowStore s : finished) {
      try (NpyArray a = NpyArray.open(s.target())) {
        outputs.put(s.layout().name(), new Output(a.header().dtype().descr(),
            java.util.Arrays.stream(a.header().shape()).boxed().toList(), a.segment().toArray(
                java.lang.foreign.ValueLayout.JAVA_BYTE)));
      }
    }
    return outputs;
  }

  private Map<String, Output> intoChunks(Function<OutputStores, ComponentWriter> makeWriter, List<Batch> batches)
      throws IOException {
    ChunkedMemoryStore.Format format = new ChunkedMemoryStore.Format(3);
    List<RowStore> finished = write(makeWriter, batches,
        new OutputStores(format, new StoreDestination(dir, false, false)));
    Map<String, Output> outputs = new LinkedHashMap<>();
    for (RowStore s : finished) {
      ChunkedMemoryStore c = (ChunkedMemoryStore) s;
      assertFalse(c.encoded.isEmpty(), "chunks were encoded as rows completed");
      outputs.put(s.layout().name(), new Output(s.layout().dtype().descr(),
          java.util.Arrays.stream(s.layout().shapeWithRows(s.finishedRows())).boxed().toList(), c.rows()));
    }
    assertTrue(Files.notExists(dir.resolve("p.chunks")), "the in-memory store writes no file");
    return outputs;
  }

  /** Writes into a Zarr store and has the real readers compare every output with its .npy file. */
  private void intoZarrReadBack(Function<OutputStores, ComponentWriter> makeWriter, List<Batch> batches,
      ZarrStoreFormat zarr, Map<String, Output> npy) throws IOException {
    Path out = Files.createDirectories(dir.resolve(zarr + "-" + System.nanoTime()));
    StoreDestination destination = new StoreDestination(out, false, false);
    List<RowStore> finished = write(makeWriter, batches, new OutputStores(zarr, destination));
    List<String> names = finished.stream().map(s -> s.layout().name()).toList();
    StoreCommit.publish(destination, finished, ZarrGroups.stage(out, zarr.format(), names, Map.of(), false));
    assertEquals(npy.keySet(), java.util.Set.copyOf(names));
    List<String> cases = new ArrayList<>();
    for (String name : names) {
      cases.add("{\"path\": \"" + name + "\", \"expected\": \"" + npyDir.resolve(name + ".npy")
          + "\", \"v3_bytes\": " + (zarr.format() == ZarrFormat.V3 && npy.get(name).descr().startsWith("|S")) + "}");
    }
    Path casesFile = Files.writeString(out.resolveSibling(out.getFileName() + ".json"), "[" + String.join(",", cases) + "]");
    String read = ZarrReaders.checkOne(out, zarr.format(), casesFile);
    assertTrue(read.contains(names.size() + " arrays equal"), read);
  }

  private Map<String, Output> sameInBoth(Function<OutputStores, ComponentWriter> makeWriter,
      java.util.function.Supplier<List<Batch>> batches) throws IOException {
    List<Batch> one = batches.get();
    List<Batch> two = batches.get();
    try {
      Map<String, Output> npy = intoNpy(makeWriter, one);
      Map<String, Output> chunks = intoChunks(makeWriter, two);
      assertEquals(npy, chunks);
      for (ZarrStoreFormat zarr : List.of(new ZarrStoreFormat(ZarrFormat.V2, 3, ZarrCodec.parse("zstd"), 1),
          new ZarrStoreFormat(ZarrFormat.V3, 3, ZarrCodec.NONE, 2))) {
        List<Batch> three = batches.get();
        try {
          intoZarrReadBack(makeWriter, three, zarr, npy);
        } finally {
          three.forEach(b -> b.components().forEach(Tensor::close));
        }
      }
      return npy;
    } finally {
      for (Batch b : concat(one, two)) {
        b.components().forEach(Tensor::close);
      }
    }
  }

  private static List<Batch> concat(List<Batch> a, List<Batch> b) {
    List<Batch> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  @Test
  void dense() throws IOException {
    ComponentLayout x = new ComponentLayout(0, "x", TFloat32.class, NpyDtype.FLOAT32, new long[] {2});
    Map<String, Output> out = sameInBoth(s -> new DenseWriter(x, s),
        () -> List.of(dense(5, 0), dense(5, 1), dense(5, 2), dense(5, 3), dense(3, 4)));
    assertEquals(List.of(23L, 2L), out.get("x").shape());
  }

  @Test
  void padded() throws IOException {
    ComponentLayout p = new ComponentLayout(0, "p", TInt64.class, NpyDtype.INT64, new long[] {-1});
    Map<String, Output> out = sameInBoth(s -> new PaddedWriter(p, ShapePolicy.PAD.withValue(-7), s),
        () -> List.of(widths(4, 2, 0), widths(5, 6, 1), widths(2, 1, 2), widths(4, 3, 3)));
    assertEquals(List.of(15L, 6L), out.get("p").shape());
    assertEquals(List.of(15L), out.get("p.lengths").shape());
  }

  @Test
  void paddedStrings() throws IOException {
    ComponentLayout s = new ComponentLayout(0, "s", TString.class, null, new long[0]);
    Map<String, Output> out = sameInBoth(st -> new PaddedWriter(s, null, st),
        () -> List.of(strings("a", "", "longest one"), strings("bb", "c", "dd", "e"), strings("", "fff")));
    assertEquals("|S11", out.get("s").descr());
  }

  @Test
  void ragged() throws IOException {
    ComponentLayout r = new ComponentLayout(0, "r", TInt64.class, NpyDtype.INT64, new long[] {-1});
    Map<String, Output> out = sameInBoth(s -> new RaggedWriter(r, s),
        () -> List.of(widths(4, 2, 0), widths(5, 0, 1), widths(2, 7, 2), widths(4, 3, 3)));
    assertEquals(List.of(4 * 2 + 2 * 7 + 4 * 3L), out.get("r.values").shape());
    assertEquals(List.of(16L), out.get("r.row_splits").shape());
  }

  @Test
  void raggedStrings() throws IOException {
    ComponentLayout r = new ComponentLayout(0, "t", TString.class, null, new long[0]);
    Map<String, Output> out = sameInBoth(s -> new RaggedWriter(r, s),
        () -> List.of(strings("abcdefgh", "", "xy"), strings("a", "bcdefghijklmnop", "q", "r")));
    assertEquals(List.of(28L), out.get("t.values").shape());
    assertEquals(List.of(8L), out.get("t.row_splits").shape());
  }

  @Test
  void rowSplitsPair() throws IOException {
    ComponentLayout values = new ComponentLayout(0, "w.values", TInt64.class, NpyDtype.INT64, new long[0]);
    ComponentLayout splits = new ComponentLayout(1, "w_splits", TInt64.class, NpyDtype.INT64, new long[0]);
    Map<String, Output> out = sameInBoth(s -> new RowSplitsWriter("w", new DenseWriter(values, s), splits, s),
        () -> List.of(rowSplits(0, 2, 0, 5), rowSplits(1, 1, 1, 1, 4), rowSplits(2, 0), rowSplits(3, 7, 2)));
    assertEquals(List.of(23L), out.get("w.values").shape());
    assertEquals(List.of(11L), out.get("w.row_splits").shape());
  }

  /**
   * Two range writers, on two threads, append the first and the second half of the batches through one
   * dense writer into one {@code .npy} store: the file equals the one a single range writer makes.
   */
  @Test
  void twoRangeWritersIntoOneNpyStoreEqualOne() throws Exception {
    List<Batch> batches = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      batches.add(dense(500, i));
    }
    ComponentLayout x = new ComponentLayout(0, "x", TFloat32.class, NpyDtype.FLOAT32, new long[] {2});
    try {
      Path one = Files.createDirectories(dir.resolve("one"));
      StoreDestination d1 = new StoreDestination(one, false, false);
      List<RowStore> single = write(s -> new DenseWriter(x, s), batches, new OutputStores(StoreFormat.NPY, d1));
      StoreCommit.publish(d1, single, List.of());

      Path two = Files.createDirectories(dir.resolve("two"));
      StoreDestination d2 = new StoreDestination(two, false, false);
      DenseWriter writer = new DenseWriter(x, new OutputStores(StoreFormat.NPY, d2));
      long total = 40 * 500;
      try (var pool = java.util.concurrent.Executors.newFixedThreadPool(2)) {
        List<java.util.concurrent.Future<?>> halves = new ArrayList<>();
        for (int half = 0; half < 2; half++) {
          int from = half * 20;
          halves.add(pool.submit(() -> {
            for (int i = from; i < from + 20; i++) {
              writer.append(batches.get(i).components(), i, i * 500L, 500, total);
            }
            return null;
          }));
        }
        for (var f : halves) {
          f.get();
        }
      }
      StoreCommit.publish(d2, writer.finish(total), List.of());
      assertEquals(-1, Files.mismatch(one.resolve("x.npy"), two.resolve("x.npy")));
    } finally {
      batches.forEach(b -> b.components().forEach(Tensor::close));
    }
  }
}

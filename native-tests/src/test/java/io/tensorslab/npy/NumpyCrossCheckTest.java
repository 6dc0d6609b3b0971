package io.tensorslab.npy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorslab.store.NpyStore;
import io.tensorslab.store.RowLayout;
import io.tensorslab.store.RowWindow;
import io.tensorslab.store.StoreCapacity;
import io.tensorslab.store.StoreDestination;
import io.tensorslab.testutil.NumPy;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * TensorSlab's {@code .npy} files against the real NumPy, both ways. All NumPy work happens in one
 * Python process ({@code numpy_crosscheck.py}) started once for the class: Java writes its files
 * first, Python loads them, writes its own, and reports; each test then checks its part of the report.
 */
class NumpyCrossCheckTest {

  static final List<NpyDtype> DTYPES = List.of(
      NpyDtype.BOOL, NpyDtype.INT8, NpyDtype.UINT8, NpyDtype.INT16, NpyDtype.UINT16, NpyDtype.INT32,
      NpyDtype.UINT32, NpyDtype.INT64, NpyDtype.UINT64, NpyDtype.FLOAT16, NpyDtype.FLOAT32, NpyDtype.FLOAT64,
      NpyDtype.COMPLEX64, NpyDtype.COMPLEX128, NpyDtype.BFLOAT16_AS_VOID, NpyDtype.bytes(1), NpyDtype.bytes(5),
      NpyDtype.opaque(3), NpyDtype.opaque(16));

  static final List<long[]> FILE_SHAPES = List.of(new long[0], new long[] {0}, new long[] {1}, new long[] {13},
      new long[] {3, 4}, new long[] {0, 3}, new long[] {4, 0}, new long[] {2, 3, 4}, new long[] {1, 2, 1, 2, 1, 2, 1, 2});

  static final double[] SPECIALS = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0, 0.0, 1.5,
      -2.25, Double.MIN_VALUE, 1e300, 65504.0, 3.140625};

  /** bfloat16 bit patterns: 1.0, -2.5, NaN, +Inf, -Inf, -0.0, 3.140625, 0.0. */
  static final int[] BF16_BITS = {0x3F80, 0xC020, 0x7FC0, 0x7F80, 0xFF80, 0x8000, 0x4049, 0x0000};

  @TempDir static Path dir;
  static String numpyVersion;
  /** Report lines by their first two fields ("java\tf4_3", "hdr\t17", ...). */
  static final Map<String, String[]> REPORT = new HashMap<>();
  /** Java-written files: id -> [descr, shape, expected specials]. */
  static final Map<String, String[]> JAVA_FILES = new LinkedHashMap<>();
  /** Header cases: id -> header. */
  static final Map<String, NpyHeader> HEADERS = new LinkedHashMap<>();

  @BeforeAll
  static void runNumpyOnce() throws IOException {
    numpyVersion = NumPy.version(); // fails (never skips) without NumPy
    Files.createDirectories(dir.resolve("java"));
    Files.createDirectories(dir.resolve("np"));
    writeJavaFiles();
    writeHeaderCases();
    NumPy.runResource(NumpyCrossCheckTest.class, "numpy_crosscheck.py", dir.toString());
    for (String line : Files.readAllLines(dir.resolve("report.tsv"))) {
      String[] f = line.split("\t", -1);
      REPORT.put(f.length > 1 ? f[0] + "\t" + f[1] : f[0], f);
    }
    assertNotNull(REPORT.get("done"), "the NumPy script ran to the end");
  }

  // ---- what Java writes ----

  /** {@code count} elements of {@code dtype}: floats cycle through NaN, ±Inf, −0.0 and friends, the rest random. */
  static byte[] payload(NpyDtype dtype, long count, long seed) {
    byte[] out = new byte[Math.toIntExact(count * dtype.itemSize())];
    MemorySegment seg = MemorySegment.ofArray(out);
    Random random = new Random(seed);
    switch (dtype.kind()) {
      case 'b' -> {
        for (int i = 0; i < out.length; i++) {
          out[i] = (byte) random.nextInt(2);
        }
      }
      case 'f', 'c' -> {
        int width = dtype.kind() == 'c' ? dtype.itemSize() / 2 : dtype.itemSize();
        for (int i = 0; i < out.length / width; i++) {
          double v = i < SPECIALS.length ? SPECIALS[(i * 7) % SPECIALS.length] : random.nextGaussian() * 100;
          switch (width) {
            case 2 -> seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, Float.floatToFloat16((float) v));
            case 4 -> seg.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, (float) v);
            default -> seg.setAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED, i, v);
          }
        }
        if (width == 4 && out.length >= 4 * 12) {
          seg.setAtIndex(ValueLayout.JAVA_INT_UNALIGNED, 11, 0x7fc0_0123); // a NaN with payload bits
        }
      }
      default -> random.nextBytes(out);
    }
    return out;
  }

  /** NumPy's view of the float parts: counts of NaN, +Inf, -Inf and -0.0, as the Python side reports them. */
  static String specials(NpyDtype dtype, byte[] payload) {
    if (dtype.kind() != 'f' && dtype.kind() != 'c') {
      return "-";
    }
    int width = dtype.kind() == 'c' ? dtype.itemSize() / 2 : dtype.itemSize();
    MemorySegment seg = MemorySegment.ofArray(payload);
    long nan = 0;
    long posinf = 0;
    long neginf = 0;
    long negzero = 0;
    for (long i = 0; i < payload.length / width; i++) {
      double v = switch (width) {
        case 2 -> Float.float16ToFloat(seg.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i));
        case 4 -> seg.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i);
        default -> seg.getAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED, i);
      };
      nan += Double.isNaN(v) ? 1 : 0;
      posinf += v == Double.POSITIVE_INFINITY ? 1 : 0;
      neginf += v == Double.NEGATIVE_INFINITY ? 1 : 0;
      negzero += v == 0 && Double.doubleToRawLongBits(v) != 0 ? 1 : 0;
    }
    return "nan=" + nan + ",posinf=" + posinf + ",neginf=" + neginf + ",negzero=" + negzero;
  }

  static String shapeCsv(long[] shape) {
    return Arrays.stream(shape).mapToObj(Long::toString).collect(Collectors.joining(","));
  }

  private static void addJavaFile(StringBuilder manifest, String id, NpyDtype dtype, long[] shape, byte[] payload)
      throws IOException {
    Files.write(dir.resolve("java/" + id + ".raw"), payload);
    manifest.append(id).append('\t').append(dtype.descr()).append('\t').append(shapeCsv(shape)).append('\n');
    JAVA_FILES.put(id, new String[] {dtype.descr(), shapeCsv(shape), specials(dtype, payload)});
  }

  /**
   * {@code java/ID.npy} as an export writes it: an {@link NpyStore} sized for the rows, the rows
   * written with {@code pwrite}, finished and published. A scalar (no row dimension, which no export
   * makes) is {@link NpyHeader}'s bytes followed by the payload.
   */
  private static void writeNpy(String id, NpyDtype dtype, long[] shape, MemorySegment data) throws IOException {
    if (shape.length == 0) {
      Files.write(dir.resolve("java/" + id + ".npy"), new NpyHeader(dtype).encode());
      Files.write(dir.resolve("java/" + id + ".npy"), data.toArray(ValueLayout.JAVA_BYTE),
          java.nio.file.StandardOpenOption.APPEND);
      return;
    }
    RowLayout layout = new RowLayout(id, dtype, Arrays.copyOfRange(shape, 1, shape.length));
    try (NpyStore store = NpyStore.create(layout, new StoreDestination(dir.resolve("java"), false, false),
        StoreCapacity.exact(shape[0]))) {
      store.write(0, data, 0, shape[0]);
      store.finish(shape[0]);
      store.publish();
    }
  }

  private static void writeJavaFiles() throws IOException {
    StringBuilder manifest = new StringBuilder();
    int seed = 0;
    for (NpyDtype dtype : DTYPES) {
      for (long[] shape : FILE_SHAPES) {
        String id = dtype.displayName() + "_" + (shape.length == 0 ? "scalar" : shapeCsv(shape).replace(',', 'x'));
        byte[] payload = payload(dtype, new NpyHeader(dtype, shape).elementCount(), seed++);
        writeNpy(id, dtype, shape, MemorySegment.ofArray(payload));
        addJavaFile(manifest, id, dtype, shape, payload);
      }
    }
    // Grown row by row from a capacity of 1 (new mapped extents), filled through windows, then
    // finished with the real row count.
    byte[] grown = payload(NpyDtype.FLOAT32, 3000 * 7, 99);
    try (NpyStore store = NpyStore.create(new RowLayout("grown", NpyDtype.FLOAT32, new long[] {7}),
        new StoreDestination(dir.resolve("java"), false, false), StoreCapacity.growable(1))) {
      for (long row = 0; row < 3000; row++) {
        RowWindow w = store.window(row, 1);
        MemorySegment.copy(MemorySegment.ofArray(grown), row * 28, w.bytes(), 0, 28);
        store.written(w);
      }
      store.finish(3000);
      store.publish();
    }
    addJavaFile(manifest, "grown", NpyDtype.FLOAT32, new long[] {3000, 7}, grown);
    // bfloat16 as <V2 raw bits.
    short[] bits = new short[BF16_BITS.length];
    for (int i = 0; i < bits.length; i++) {
      bits[i] = (short) BF16_BITS[i];
    }
    writeNpy("bfloat16", NpyDtype.BFLOAT16_AS_VOID, new long[] {bits.length},
        MemorySegment.ofArray(MemorySegment.ofArray(bits).toArray(ValueLayout.JAVA_BYTE)));
    Files.writeString(dir.resolve("java/manifest.tsv"), manifest);
  }

  /** Shapes whose headers must be byte-identical to NumPy's, for every dtype. */
  static List<long[]> headerShapes() {
    List<long[]> shapes = new ArrayList<>(FILE_SHAPES);
    shapes.addAll(List.of(new long[] {5}, new long[] {0, 0, 0}, new long[] {1L << 40, 1L << 20},
        new long[] {Long.MAX_VALUE}, new long[] {Long.MAX_VALUE, 3},
        LongStream.rangeClosed(1, 8).map(i -> Long.MAX_VALUE - i).toArray(),
        LongStream.rangeClosed(1, 32).toArray()));
    for (long rows = 1; rows > 0 && rows <= Long.MAX_VALUE / 10; rows *= 10) {
      shapes.add(new long[] {rows, 3}); // every digit count of shape[0]: the spare spaces shrink as it grows
    }
    return shapes;
  }

  private static void writeHeaderCases() throws IOException {
    StringBuilder cases = new StringBuilder();
    int id = 0;
    for (NpyDtype dtype : DTYPES) {
      for (long[] shape : headerShapes()) {
        HEADERS.put(Integer.toString(id), new NpyHeader(dtype, shape));
        cases.append(id++).append('\t').append(dtype.descr()).append('\t').append(shapeCsv(shape)).append('\n');
      }
    }
    // Around the 1.0 -> 2.0 switch: all-ones shapes whose dict just fits, and just does not fit, 65535 bytes.
    int rank = firstVersion2Rank();
    for (int r : new int[] {rank - 1, rank, rank + 40}) {
      for (NpyDtype dtype : List.of(NpyDtype.FLOAT32, NpyDtype.bytes(5))) {
        long[] shape = new long[r];
        Arrays.fill(shape, 1);
        HEADERS.put("v2-" + r + dtype.descr(), new NpyHeader(dtype, shape));
        cases.append("v2-").append(r).append(dtype.descr()).append('\t').append(dtype.descr()).append('\t')
            .append(shapeCsv(shape)).append('\n');
      }
    }
    Files.writeString(dir.resolve("headers.tsv"), cases);
  }

  static int firstVersion2Rank() {
    int lo = 1;
    int hi = 40_000;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      long[] shape = new long[mid];
      Arrays.fill(shape, 1);
      if (new NpyHeader(NpyDtype.FLOAT32, shape).encode()[6] == 2) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return lo;
  }

  // ---- NumPy reads what Java writes ----

  static Stream<String> javaFiles() {
    return JAVA_FILES.keySet().stream();
  }

  @ParameterizedTest
  @MethodSource("javaFiles")
  void numpyLoadsOurFileBitForBitWithAndWithoutMmap(String id) {
    String[] line = REPORT.get("java\t" + id);
    assertNotNull(line, "NumPy checked " + id);
    assertEquals("ok", line[2], id + " (NumPy " + numpyVersion + ")");
    assertEquals(JAVA_FILES.get(id)[2], line[3], "NaN/±Inf/-0.0 as NumPy counts them in " + id);
  }

  @Test
  void specialValuesAreReallyThere() {
    // Guard against a generator that stopped producing the hard cases.
    assertEquals("nan=2,posinf=2,neginf=1,negzero=1", JAVA_FILES.get("float32_13")[2]); // 1e300 is +Inf as a float
    assertEquals("nan=1,posinf=1,neginf=1,negzero=1", JAVA_FILES.get("float64_13")[2]);
    assertTrue(JAVA_FILES.get("complex128_3x4")[2].contains("negzero=1"));
  }

  @Test
  void bfloat16IsWrittenAsV2AndNumpyGivesBackTheBits() {
    assertEquals("|V2", REPORT.get("bf16\tdtype")[2], "NumPy loads our bfloat16 file as raw 2-byte values");
    String expected = Arrays.stream(BF16_BITS).mapToObj(Integer::toString).collect(Collectors.joining(","));
    assertEquals(expected, REPORT.get("bf16\tbits")[2], "np.load(p).view(np.uint16)");
    assertEquals(expected, REPORT.get("bf16\tbits-mmap")[2], "np.load(p, mmap_mode='r').view(np.uint16)");
    String mlDtypes = REPORT.get("bf16\tml_dtypes")[2];
    if (!mlDtypes.equals("absent")) {
      // ml_dtypes is installed: .view(ml_dtypes.bfloat16) must give the values.
      double[] values = Arrays.stream(mlDtypes.split(",")).mapToDouble(Double::parseDouble).toArray();
      for (int i = 0; i < BF16_BITS.length; i++) {
        float f = Float.intBitsToFloat(BF16_BITS[i] << 16);
        assertEquals(Float.floatToIntBits(f), Float.floatToIntBits((float) values[i]), "element " + i);
        assertEquals(Math.copySign(1, f), Math.copySign(1, values[i]), "sign of element " + i);
      }
      assertTrue(REPORT.get("bf16\tml_dtypes-save")[2].contains("'descr': '<V2'"),
          "np.save of an ml_dtypes.bfloat16 array writes <V2");
    }
  }

  // ---- our headers are NumPy's headers ----

  static Stream<String> headerCases() {
    return HEADERS.keySet().stream();
  }

  @ParameterizedTest
  @MethodSource("headerCases")
  void headerBytesAreIdenticalToNumpys(String id) {
    String[] line = REPORT.get("hdr\t" + id);
    assertNotNull(line, "NumPy wrote header " + id);
    NpyHeader header = HEADERS.get(id);
    byte[] numpy = HexFormat.of().parseHex(line[3]);
    byte[] ours = header.encode();
    assertEquals(numpy.length, ours.length, header + " via " + line[2]);
    assertArrayEquals(numpy, ours, header + " via " + line[2]);
  }

  @Test
  void theVersionSwitchMatchesNumpy() {
    int rank = firstVersion2Rank();
    assertEquals(1, HexFormat.of().parseHex(REPORT.get("hdr\tv2-" + (rank - 1) + "<f4")[3])[6]);
    assertEquals(2, HexFormat.of().parseHex(REPORT.get("hdr\tv2-" + rank + "<f4")[3])[6]);
    assertEquals(2, HEADERS.get("v2-" + rank + "<f4").encode()[6]);
  }

  // ---- Java reads what NumPy writes ----

  static Stream<Arguments> numpyFiles() {
    return REPORT.values().stream().filter(f -> f[0].equals("np")).sorted((a, b) -> a[1].compareTo(b[1]))
        .map(f -> Arguments.of(f[1], f[2], f[3], Integer.parseInt(f[4])));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("numpyFiles")
  void weReadWhatNumpySaves(String name, String descr, String shape, int version) throws IOException {
    try (NpyArray a = NpyArray.open(dir.resolve("np/" + name + ".npy"))) {
      assertEquals(descr, a.header().dtype().descr());
      assertEquals(shape, shapeCsv(a.header().shape()));
      assertEquals(version, a.majorVersion());
      assertEquals(0, a.payloadOffset() % 64);
      assertArrayEquals(Files.readAllBytes(dir.resolve("np/" + name + ".raw")), a.segment().toArray(ValueLayout.JAVA_BYTE),
          "bit for bit");
    }
  }

  @Test
  void numpyWroteEveryDtypeInEveryVersion() {
    Map<String, Long> perVersion = REPORT.values().stream().filter(f -> f[0].equals("np"))
        .collect(Collectors.groupingBy(f -> f[4], Collectors.counting()));
    assertEquals(Map.of("1", 19L * 6, "2", 19L * 6, "3", 19L * 2), perVersion);
  }

  @Test
  void numpysSpecialFloatsReadAsValues() throws IOException {
    // Python wrote [nan, inf, -inf, -0.0, 0.0, 1.5, -2.25, ...] for shape (11,).
    try (NpyArray a = NpyArray.open(dir.resolve("np/f8_2_v1.npy"))) {
      double[] v = a.segment().toArray(ValueLayout.JAVA_DOUBLE);
      assertTrue(Double.isNaN(v[0]));
      assertEquals(Double.POSITIVE_INFINITY, v[1]);
      assertEquals(Double.NEGATIVE_INFINITY, v[2]);
      assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(v[3]));
      assertEquals(0L, Double.doubleToRawLongBits(v[4]));
      assertEquals(1.5, v[5]);
      assertEquals(Double.MIN_VALUE, v[7]);
    }
    try (NpyArray a = NpyArray.open(dir.resolve("np/f2_2_v2.npy"))) {
      short[] v = a.segment().toArray(ValueLayout.JAVA_SHORT);
      assertTrue(Float.isNaN(Float.float16ToFloat(v[0])));
      assertEquals(Float.POSITIVE_INFINITY, Float.float16ToFloat(v[1]));
      assertEquals(Float.NEGATIVE_INFINITY, Float.float16ToFloat(v[2]));
      assertEquals((short) 0x8000, v[3]);
      assertEquals(65504f, Float.float16ToFloat(v[9]), "float16 max");
    }
    try (NpyArray a = NpyArray.open(dir.resolve("np/c8_2_v3.npy"))) {
      float[] v = a.segment().toArray(ValueLayout.JAVA_FLOAT); // re, im pairs; im runs the list backwards
      assertTrue(Float.isNaN(v[0]));
      assertEquals(Float.POSITIVE_INFINITY, v[2]);
      assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(v[6]));
      assertEquals(3.140625f, v[1]);
    }
  }

  @Test
  void bfloat16FromNumpy() throws IOException {
    assertEquals("|V2", REPORT.get("np-bf16\tnumpy-loads-as")[2], "NumPy itself loads '<V2' as V2");
    for (String name : List.of("bfloat16_lt_V2", "bfloat16_V2")) {
      try (NpyArray a = NpyArray.open(dir.resolve("np/" + name + ".npy"))) {
        // '<V2' (ml_dtypes' spelling) is kept as bfloat16; a plain '|V2' is read as opaque 2-byte values.
        assertEquals(name.equals("bfloat16_lt_V2") ? NpyDtype.BFLOAT16_AS_VOID : NpyDtype.opaque(2),
            a.header().dtype(), name);
        short[] bits = a.segment().toArray(ValueLayout.JAVA_SHORT);
        float[] values = new float[bits.length];
        for (int i = 0; i < bits.length; i++) {
          values[i] = Float.intBitsToFloat(Short.toUnsignedInt(bits[i]) << 16);
        }
        assertEquals(1.0f, values[0]);
        assertEquals(-2.5f, values[1]);
        assertTrue(Float.isNaN(values[2]));
        assertEquals(Float.POSITIVE_INFINITY, values[3]);
        assertEquals(Float.NEGATIVE_INFINITY, values[4]);
        assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(values[5]));
        assertEquals(3.140625f, values[6]);
      }
    }
  }

  static Stream<Arguments> numpyFilesWeRefuse() {
    return Stream.of(
        Arguments.of("fortran", "unsupported order, fortran_order is True for shape (2, 3)"),
        Arguments.of("bigendian_f4", "unsupported byte order, descr '>f4' is big-endian"),
        Arguments.of("bigendian_i8", "unsupported byte order, descr '>i8' is big-endian"),
        Arguments.of("object", "unsupported dtype: '|O'"),
        Arguments.of("unicode", "unsupported dtype: '<U3'"),
        Arguments.of("structured", "'descr' is not a string (structured dtypes are not supported)"),
        Arguments.of("datetime", "unsupported dtype: '<M8[D]'"),
        Arguments.of("short", "payload is 77 bytes but shape (10,) of <f8 needs 80"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("numpyFilesWeRefuse")
  void numpyFilesWeRefuse(String name, String why) {
    Path p = dir.resolve("np/reject_" + name + ".npy");
    NpyFormatException e = assertThrows(NpyFormatException.class, () -> NpyArray.open(p).close());
    assertTrue(e.getMessage().startsWith("malformed .npy: ") && e.getMessage().contains(why)
        && e.getMessage().endsWith("(path=" + p + ")"), e.getMessage());
  }

  @Test
  void pythonHelperReportsTheNumpyVersion() {
    assertFalse(numpyVersion.isBlank());
    assertTrue(Character.isDigit(numpyVersion.charAt(0)), numpyVersion);
  }
}

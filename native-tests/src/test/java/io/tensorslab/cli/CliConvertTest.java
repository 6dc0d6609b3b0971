package io.tensorslab.cli;

import static io.tensorslab.testutil.WireEncoding.cat;
import static io.tensorslab.testutil.WireEncoding.entry;
import static io.tensorslab.testutil.WireEncoding.example;
import static io.tensorslab.testutil.WireEncoding.list;
import static io.tensorslab.testutil.WireEncoding.packed;
import static io.tensorslab.testutil.WireEncoding.unpacked;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorslab.testutil.NumPy;
import io.tensorslab.testutil.TfRecordWriter;
import io.tensorslab.testutil.TfRecordWriter.Compression;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code tensorslab convert} end to end: TFRecord files written here, converted in-process, the
 * {@code .npy} files checked with NumPy against the values the records were made from.
 */
class CliConvertTest {

  /** Every DTYPE and fixed SHAPE form: scalar, vector, matrix, zero-size, rank 3; bytes scalar and vector. */
  static final List<String> FEATURES = List.of("fs:float32:", "fv:float32:3", "fm:float32:2,2", "fe:float32:0",
      "is:int64:", "ic:int64:2,1,3", "bs:bytes:", "bv:bytes:2");

  static float f(int r, int j) {
    if (r == 0 && j < 3) {
      return new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}[j];
    }
    if (r == 1 && j < 3) {
      return new float[] {-0.0f, Float.MIN_VALUE, Float.MAX_VALUE}[j];
    }
    return (r * 7 + j) * 0.25f - 100;
  }

  static long i(int r, int j) {
    if (r == 2) {
      return j == 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
    return r * 1_000_003L * (j + 1) - 7;
  }

  /** Python's formula for the same bytes: {@code (b'x%d' % r) * (r % 4)}, and {@code [b'a%d' % r, b'\xff' * (r % 3)]}. */
  static byte[] bs(int r) {
    return ("x" + r).repeat(r % 4).getBytes(StandardCharsets.US_ASCII);
  }

  static byte[][] bv(int r) {
    byte[] ff = new byte[r % 3];
    java.util.Arrays.fill(ff, (byte) 0xff);
    return new byte[][] {("a" + r).getBytes(StandardCharsets.US_ASCII), ff};
  }

  static byte[] record(int r) {
    float[] fv = {f(r, 0), f(r, 1), f(r, 2)};
    float[] fm = {f(r, 3), f(r, 4), f(r, 5), f(r, 6)};
    long[] ic = new long[6];
    for (int j = 0; j < 6; j++) {
      ic[j] = i(r, j + 1);
    }
    return TfRecordWriter.example().floats("fs", f(r, 7)).floats("fv", fv).floats("fm", fm).floats("fe")
        .int64s("is", i(r, 0)).int64s("ic", ic).bytes("bs", bs(r)).bytes("bv", bv(r)).toByteArray();
  }

  /** Writes records [from, to) to {@code file}. */
  static Path write(Path file, Compression c, int from, int to) {
    List<byte[]> records = new ArrayList<>();
    for (int r = from; r < to; r++) {
      records.add(record(r));
    }
    return TfRecordWriter.write(file, c, records);
  }

  /** The expected numeric arrays for rows [0, rows), as raw little-endian files NumPy reads with fromfile. */
  static Path expected(Path dir, int rows) throws IOException {
    Path e = Files.createDirectories(dir.resolve("expected"));
    ByteBuffer fs = le(rows * 4);
    ByteBuffer fv = le(rows * 12);
    ByteBuffer fm = le(rows * 16);
    ByteBuffer is = le(rows * 8);
    ByteBuffer ic = le(rows * 48);
    for (int r = 0; r < rows; r++) {
      fs.putFloat(f(r, 7));
      for (int j = 0; j < 3; j++) {
        fv.putFloat(f(r, j));
      }
      for (int j = 3; j < 7; j++) {
        fm.putFloat(f(r, j));
      }
      is.putLong(i(r, 0));
      for (int j = 1; j < 7; j++) {
        ic.putLong(i(r, j));
      }
    }
    Files.write(e.resolve("fs"), fs.array());
    Files.write(e.resolve("fv"), fv.array());
    Files.write(e.resolve("fm"), fm.array());
    Files.write(e.resolve("is"), is.array());
    Files.write(e.resolve("ic"), ic.array());
    return e;
  }

  private static ByteBuffer le(int bytes) {
    return ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
  }

  /** argv: out dir, expected dir, rows. */
  static final String CHECK = """
      import json, os
      out, exp, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
      def load(name):
          a = np.load(os.path.join(out, name + '.npy'), mmap_mode='r')
          b = np.load(os.path.join(out, name + '.npy'))
          assert np.array_equal(a, b, equal_nan=(a.dtype.kind == 'f')), name
          return b
      for name, dt, shape in [('fs', '<f4', ()), ('fv', '<f4', (3,)), ('fm', '<f4', (2, 2)),
                              ('is', '<i8', ()), ('ic', '<i8', (2, 1, 3))]:
          a = load(name)
          assert a.dtype == np.dtype(dt) and a.shape == (n,) + shape, (name, a.dtype, a.shape)
          e = np.fromfile(os.path.join(exp, name), dtype=dt)[:n * int(np.prod(shape))].reshape((n,) + shape)
          assert np.array_equal(a, e, equal_nan=(a.dtype.kind == 'f')), (name, a[:3], e[:3])
          assert (np.signbit(a) == np.signbit(e)).all(), name
      fe = load('fe')
      assert fe.dtype == np.float32 and fe.shape == (n, 0), fe.shape
      bs = load('bs')
      want = np.array([(b'x%d' % r) * (r % 4) for r in range(n)])
      assert bs.dtype == want.dtype and bs.tolist() == want.tolist(), (bs.dtype, want.dtype, bs[:5])
      bv = load('bv')
      want = np.array([[b'a%d' % r, b'\\xff' * (r % 3)] for r in range(n)])
      assert bv.dtype == want.dtype and bv.shape == (n, 2) and bv.tolist() == want.tolist(), (bv.dtype, bv[:3])
      m = json.load(open(os.path.join(out, 'manifest.json')))
      files = sorted(x['file'] for x in m['arrays'])
      assert files == sorted(['fs.npy', 'fv.npy', 'fm.npy', 'fe.npy', 'is.npy', 'ic.npy', 'bs.npy', 'bv.npy']), files
      assert m['rows'] == n, m['rows']
      print('ok', n)
      """;

  static List<String> convert(List<Path> files, String compression, Path out, String... more) {
    List<String> args = new ArrayList<>(List.of("convert", "--tfrecord",
        String.join(",", files.stream().map(Path::toString).toList()), "--compression", compression));
    for (String f : FEATURES) {
      args.add("--feature");
      args.add(f);
    }
    args.addAll(List.of("--out", out.toString()));
    args.addAll(List.of(more));
    return args;
  }

  /** Three files (one empty) read in order, batches crossing file boundaries, for each compression. */
  @ParameterizedTest
  @EnumSource(Compression.class)
  void everyDtypeAndShapeAcrossFiles(Compression c, @TempDir Path dir) throws IOException {
    List<Path> files = List.of(write(dir.resolve("a.tfrecord"), c, 0, 700), write(dir.resolve("b.tfrecord"), c, 700, 700),
        write(dir.resolve("c.tfrecord"), c, 700, 1150));
    Path out = dir.resolve("out");
    RunCli run = RunCli.run(convert(files, c.name().toLowerCase(java.util.Locale.ROOT), out, "--batch", "256"));
    assertEquals(0, run.code(), run.err());
    assertEquals("", run.err(), "no progress bar and no noise when stderr is not a terminal");
    assertTrue(run.out().contains("wrote 1,150 rows"), run.out());
    assertTrue(run.out().contains("numpy.load(\"" + out.resolve("fs.npy") + "\", mmap_mode=\"r\")"), run.out());
    assertEquals("ok 1150", NumPy.run(CHECK, out.toString(), expected(dir, 1150).toString(), "1150").strip());
  }

  /** --limit stops after exactly that many rows, mid-batch and mid-file; a limit past the end takes everything. */
  @Test
  void limitStopsAfterExactlyThatManyRows(@TempDir Path dir) throws IOException {
    List<Path> files = List.of(write(dir.resolve("a.tfrecord"), Compression.GZIP, 0, 200),
        write(dir.resolve("b.tfrecord"), Compression.GZIP, 200, 400));
    Path expected = expected(dir, 400);
    RunCli run = RunCli.run(convert(files, "gzip", dir.resolve("o1"), "--batch", "64", "--limit", "250", "--quiet"));
    assertEquals(0, run.code(), run.err());
    assertEquals("", run.out() + run.err(), "--quiet prints nothing");
    assertEquals("ok 250", NumPy.run(CHECK, dir.resolve("o1").toString(), expected.toString(), "250").strip());

    run = RunCli.run(convert(files, "gzip", dir.resolve("o2"), "--limit", "100000", "--quiet"));
    assertEquals(0, run.code(), run.err());
    assertEquals("ok 400", NumPy.run(CHECK, dir.resolve("o2").toString(), expected.toString(), "400").strip());
  }

  /** --overwrite replaces an earlier conversion in place; without it the earlier files stay. */
  @Test
  void overwriteReplacesEarlierOutput(@TempDir Path dir) throws IOException {
    Path a = write(dir.resolve("a.tfrecord"), Compression.ZLIB, 0, 300);
    Path out = dir.resolve("out");
    assertEquals(0, RunCli.run(convert(List.of(a), "zlib", out, "--limit", "10", "--quiet")).code());
    RunCli.run(convert(List.of(a), "zlib", out, "--quiet"))
        .assertFails(1, "already holds", "--overwrite", out.toString());
    RunCli run = RunCli.run(convert(List.of(a), "zlib", out, "--overwrite", "--quiet"));
    assertEquals(0, run.code(), run.err());
    assertEquals("ok 300", NumPy.run(CHECK, out.toString(), expected(dir, 300).toString(), "300").strip());
  }

  /**
   * {@code --varlen ragged} (the default): NAME.values.npy and NAME.row_splits.npy over all files and
   * batches, exactly tf.RaggedTensor's flat_values and row_splits; {@code np.split} gives each row
   * back. Also with a limit that ends inside a batch.
   */
  @Test
  void variableLengthFeaturesRagged(@TempDir Path dir) throws IOException {
    List<byte[]> a = new ArrayList<>();
    List<byte[]> b = new ArrayList<>();
    for (int r = 0; r < 500; r++) {
      long[] tokens = new long[r % 7];
      for (int j = 0; j < tokens.length; j++) {
        tokens[j] = r * 10L + j;
      }
      float[] w = new float[r % 3];
      java.util.Arrays.fill(w, r + 0.5f);
      byte[][] words = new byte[r % 4][];
      for (int j = 0; j < words.length; j++) {
        words[j] = ("w" + r + "_" + "z".repeat(j)).getBytes(StandardCharsets.US_ASCII);
      }
      var e = TfRecordWriter.example().int64s("id", r).floats("w", w).bytes("words", words);
      if (r % 5 != 3) {
        e.int64s("tokens", tokens);
      }
      (r < 300 ? a : b).add(e.toByteArray());
    }
    Path fa = TfRecordWriter.write(dir.resolve("a.tfrecord"), Compression.NONE, a);
    Path fb = TfRecordWriter.write(dir.resolve("b.tfrecord"), Compression.NONE, b);
    String script = """
        out, rows = sys.argv[1], int(sys.argv[2])
        ids = np.load(out + '/id.npy')
        assert ids.tolist() == list(range(rows)), ids[:10]
        for name in ('tokens', 'w', 'words'):
            v = np.load(out + '/' + name + '.values.npy', mmap_mode='r')
            rs = np.load(out + '/' + name + '.row_splits.npy', mmap_mode='r')
            assert rs.dtype == np.int64 and rs.shape == (rows + 1,) and rs[0] == 0 and rs[-1] == len(v), (name, rs[:5])
            for r, row in enumerate(np.split(np.asarray(v), rs[1:-1])):
                if name == 'tokens':
                    n = 0 if r % 5 == 3 else r % 7
                    assert v.dtype == np.int64 and row.tolist() == [r * 10 + j for j in range(n)], (r, row)
                elif name == 'w':
                    assert v.dtype == np.float32 and row.tolist() == [r + 0.5] * (r % 3), (r, row)
                else:
                    assert v.dtype == np.dtype('S%d' % (len('w499_') + 2)), v.dtype
                    assert row.tolist() == [b'w%d_%s' % (r, b'z' * j) for j in range(r % 4)], (r, row)
        print('ok')
        """;
    for (String limit : List.of("all", "333")) {
      Path out = dir.resolve("out" + limit);
      List<String> args = new ArrayList<>(List.of("convert", "--tfrecord", fa + "," + fb, "--feature", "id:int64:",
          "--feature", "tokens:int64:*", "--feature", "w:float32:*", "--feature", "words:bytes:*",
          "--batch", "64", "--out", out.toString(), "--quiet"));
      if (!limit.equals("all")) {
        args.addAll(List.of("--limit", limit));
      }
      RunCli run = RunCli.run(args);
      assertEquals(0, run.code(), run.err());
      assertEquals("ok", NumPy.run(script, out.toString(), limit.equals("all") ? "500" : limit).strip());
    }
  }

  /**
   * {@code --varlen pad}: NAME.npy {@code [rows, longest row]} padded with the pad value, and
   * NAME.lengths.npy; missing features are empty rows; the longest row may sit in any file.
   */
  @Test
  void variableLengthFeaturesPadded(@TempDir Path dir) throws IOException {
    List<byte[]> a = new ArrayList<>();
    List<byte[]> b = new ArrayList<>();
    for (int r = 0; r < 500; r++) {
      long[] tokens = new long[r == 444 ? 9 : r % 7];
      for (int j = 0; j < tokens.length; j++) {
        tokens[j] = r * 10L + j;
      }
      float[] w = new float[r % 3];
      java.util.Arrays.fill(w, r + 0.5f);
      byte[][] words = new byte[r % 4][];
      for (int j = 0; j < words.length; j++) {
        words[j] = ("w" + r + "_" + j).getBytes(StandardCharsets.US_ASCII);
      }
      var e = TfRecordWriter.example().int64s("id", r).floats("w", w).bytes("words", words);
      if (r % 5 != 3) {
        e.int64s("tokens", tokens);
      }
      (r < 300 ? a : b).add(e.toByteArray());
    }
    Path fa = TfRecordWriter.write(dir.resolve("a.tfrecord"), Compression.NONE, a);
    Path fb = TfRecordWriter.write(dir.resolve("b.tfrecord"), Compression.NONE, b);
    String script = """
        out, pad = sys.argv[1], sys.argv[2]
        t = np.load(out + '/tokens.npy', mmap_mode='r'); tl = np.load(out + '/tokens.lengths.npy')
        w = np.load(out + '/w.npy'); wl = np.load(out + '/w.lengths.npy')
        s = np.load(out + '/words.npy'); sl = np.load(out + '/words.lengths.npy')
        assert t.shape == (500, 9) and t.dtype == np.int64 and tl.dtype == np.int64 and tl.shape == (500,), t.shape
        assert w.shape == (500, 2) and w.dtype == np.float32, w.shape
        bpad = b'' if pad == 'none' else pad.encode()
        npad = 0 if pad == 'none' else int(pad)
        for r in range(500):
            n = 0 if r % 5 == 3 else (9 if r == 444 else r % 7)
            assert tl[r] == n and t[r, :n].tolist() == [r * 10 + j for j in range(n)] and (t[r, n:] == npad).all(), r
            assert wl[r] == r % 3 and (w[r, :r % 3] == r + 0.5).all() and (w[r, r % 3:] == npad).all(), r
            assert sl[r] == r % 4 and s[r].tolist() == [b'w%d_%d' % (r, j) for j in range(r % 4)] + [bpad] * (3 - r % 4), r
        print('ok')
        """;
    for (String pad : List.of("none", "-1")) {
      Path out = dir.resolve("out" + pad);
      List<String> args = new ArrayList<>(List.of("convert", "--tfrecord", fa + "," + fb, "--feature", "id:int64:",
          "--feature", "tokens:int64:*", "--feature", "w:float32:*", "--feature", "words:bytes:*", "--varlen", "pad",
          "--batch", "64", "--out", out.toString(), "--quiet"));
      if (!pad.equals("none")) {
        args.addAll(List.of("--pad-value", pad));
      }
      RunCli run = RunCli.run(args);
      assertEquals(0, run.code(), run.err());
      assertEquals("ok", NumPy.run(script, out.toString(), pad).strip());
    }
  }

  /**
   * The padded width is the longest row as TensorFlow's parser counts it, and every padded row
   * equals the ragged output's row (which is TensorFlow's own parse): a Feature holding an
   * int64_list [1..5] then an empty bytes_list (TensorFlow: 5 values), one holding [1,2,3] then a
   * float_list (3), two int64_lists [1,2,3] and [4,5] (3), packed [1,2] + unpacked [3] + packed
   * [4,5,6] (2). A pre-scan by protobuf's merge rules wrote widths 0/1/5/6 here and dropped values.
   */
  @Test
  void paddedWidthCountsValuesAsTensorFlowDoes(@TempDir Path dir) throws IOException {
    byte[][] features = {
        cat(list(3, packed(1, 2, 3, 4, 5)), list(1, new byte[0])),
        cat(list(3, packed(1, 2, 3)), list(2, new byte[] {0x0a, 4, 0, 0, 0x10, 0x41})),
        cat(list(3, packed(1, 2, 3)), list(3, packed(4, 5))),
        list(3, cat(packed(1, 2), unpacked(3), packed(4, 5, 6))),
    };
    long[] tensorFlowWidths = {5, 3, 3, 2};
    for (int i = 0; i < features.length; i++) {
      byte[] record = example(entry("x", features[i]));
      Path in = TfRecordWriter.write(dir.resolve("in" + i + ".tfrecord"), Compression.NONE,
          List.of(record, example(entry("x", list(3, packed(7)))), record));
      Path padded = dir.resolve("pad" + i);
      Path ragged = dir.resolve("ragged" + i);
      RunCli run = RunCli.run("convert", "--tfrecord", in.toString(), "--feature", "x:int64:*", "--varlen", "pad",
          "--pad-value", "-1", "--out", padded.toString(), "--quiet");
      assertEquals(0, run.code(), run.err());
      run = RunCli.run("convert", "--tfrecord", in.toString(), "--feature", "x:int64:*", "--out", ragged.toString(), "--quiet");
      assertEquals(0, run.code(), run.err());
      String check = """
          pad, rag, width = sys.argv[1], sys.argv[2], int(sys.argv[3])
          p = np.load(pad + '/x.npy'); n = np.load(pad + '/x.lengths.npy')
          v = np.load(rag + '/x.values.npy'); s = np.load(rag + '/x.row_splits.npy')
          assert p.shape == (3, width), p.shape
          for r in range(3):
              row = v[s[r]:s[r + 1]].tolist()
              assert n[r] == len(row) and p[r, :n[r]].tolist() == row and (p[r, n[r]:] == -1).all(), (r, p[r], row)
          print('ok')
          """;
      assertEquals("ok", NumPy.run(check, padded.toString(), ragged.toString(), Long.toString(tensorFlowWidths[i])).strip(),
          "case " + i);
    }
  }

  /**
   * {@code --pad-value 1e-40}, a float32 denormal (raw bits 71362), pads float rows bit for bit, as
   * TensorFlow's {@code to_tensor(default_value=1e-40)} does; it used to come out as 0.0.
   */
  @Test
  void denormalPadValueKeepsItsBits(@TempDir Path dir) throws IOException {
    List<byte[]> records = new ArrayList<>();
    for (int r = 0; r < 6; r++) {
      float[] w = new float[r % 3];
      java.util.Arrays.fill(w, r + 0.5f);
      records.add(TfRecordWriter.example().floats("w", w).toByteArray());
    }
    Path in = TfRecordWriter.write(dir.resolve("d.tfrecord"), Compression.NONE, records);
    for (String pad : List.of("1e-40", "-1e-40")) {
      Path out = dir.resolve("out" + pad);
      RunCli run = RunCli.run(List.of("convert", "--tfrecord", in.toString(), "--feature", "w:float32:*",
          "--varlen", "pad", "--pad-value", pad, "--out", out.toString(), "--quiet"));
      assertEquals(0, run.code(), run.err());
      assertEquals("ok", NumPy.run("""
          w = np.load(sys.argv[1] + '/w.npy'); pad = np.float32(float(sys.argv[2]))
          assert w.shape == (6, 2), w.shape
          for r in range(6):
              assert (w[r, :r % 3] == r + 0.5).all(), r
              assert (w[r, r % 3:].view(np.int32) == pad.view(np.int32)).all(), (r, w[r].view(np.int32), pad.view(np.int32))
          print('ok')
          """, out.toString(), pad).strip(), pad);
    }
  }
}

package io.tensorslab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorslab.slab.TemporaryFiles;
import io.tensorslab.store.StoreCommit;
import io.tensorslab.testutil.NumPy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tensorslab demo} with a small --rows, and {@code inspect} on files NumPy wrote. */
class CliDemoInspectTest {

  @Test
  void demoExportsImagesAndLabelsAndOverwritesItsOwnOutput(@TempDir Path dir) {
    Path out = dir.resolve("demo");
    for (int run = 0; run < 2; run++) { // the second run replaces the first's files
      RunCli r = RunCli.run("demo", "--rows", "3000", "--out", out.toString());
      assertEquals(0, r.code(), r.err());
      assertEquals("", r.err());
      assertTrue(r.out().contains("wrote 3,000 rows"), r.out());
      assertTrue(r.out().contains("images.npy  |u1   uint8     (3000, 28, 28)"), r.out());
      assertTrue(r.out().contains("labels.npy  <i8   int64     (3000,)"), r.out());
      assertTrue(r.out().matches("(?s).*MB in [0-9.]+ s \\([0-9.]+ GB/s\\).*"), r.out());
      assertTrue(r.out().contains("numpy.load(\"" + out.resolve("images.npy") + "\", mmap_mode=\"r\")"), r.out());
    }
    assertEquals("ok", NumPy.run("""
        x = np.load(sys.argv[1] + '/images.npy', mmap_mode='r'); y = np.load(sys.argv[1] + '/labels.npy')
        assert x.dtype == np.uint8 and x.shape == (3000, 28, 28), (x.dtype, x.shape)
        assert y.dtype == np.int64 and y.shape == (3000,) and set(y.tolist()) == set(range(10)), y[:20]
        assert x.max() == 255 and x.min() < 30, (x.min(), x.max())
        assert len({bytes(x[i]) for i in range(50)}) > 40, 'images differ'
        print('ok')
        """, out.toString()).strip());
  }

  @Test
  void inspectReadsWhatNumPyWrites(@TempDir Path dir) throws IOException {
    NumPy.run("""
        d = sys.argv[1]
        np.save(d + '/f16.npy', np.array([[1.5, np.nan], [-np.inf, -0.0]], dtype=np.float16))
        np.save(d + '/u64.npy', np.array([0, 2**64 - 1], dtype=np.uint64))
        np.save(d + '/s.npy', np.array([b'ab', b'', b"q'\\n\\xff"]))
        np.save(d + '/c.npy', np.array([1 - 2j], dtype=np.complex64))
        np.save(d + '/b.npy', np.zeros((2, 0, 3), dtype=bool))
        np.save(d + '/i.npy', np.arange(20, dtype=np.int32).reshape(4, 5))
        with open(d + '/v2.npy', 'wb') as f:
            np.lib.format.write_array(f, np.arange(3, dtype='<i2'), version=(2, 0))
        """, dir.toString());
    RunCli r = RunCli.run("inspect", dir.resolve("f16.npy").toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("version:        1.0"), r.out());
    assertTrue(r.out().contains("descr:          '<f2' (float16)"), r.out());
    assertTrue(r.out().contains("shape:          (2, 2)"), r.out());
    assertTrue(r.out().contains("order:          C"), r.out());
    assertTrue(r.out().contains("header length:  118"), r.out());
    assertTrue(r.out().contains("payload offset: 128"), r.out());
    assertTrue(r.out().contains("first values:   [1.5, nan, -inf, -0.0]"), r.out());
    assertTrue(RunCli.run("inspect", dir.resolve("u64.npy").toString()).out().contains("[0, 18446744073709551615]"));
    assertTrue(RunCli.run("inspect", dir.resolve("s.npy").toString()).out().contains("[b'ab', b'', b'q\\'\\n\\xff']"));
    assertTrue(RunCli.run("inspect", dir.resolve("c.npy").toString()).out().contains("[(1.0-2.0j)]"));
    assertTrue(RunCli.run("inspect", dir.resolve("b.npy").toString()).out().contains("shape:          (2, 0, 3)"));
    String i = RunCli.run("inspect", dir.resolve("i.npy").toString()).out();
    assertTrue(i.contains("'<i4' (int32)") && i.contains("[0, 1, 2, 3, 4, 5, 6, 7, ...]"), i);
    String v2 = RunCli.run("inspect", dir.resolve("v2.npy").toString()).out();
    assertTrue(v2.contains("version:        2.0") && v2.contains("[0, 1, 2]"), v2);
  }

  @Test
  void inspectCompletesAnInterruptedCommitOfANestedName(@TempDir Path dir) throws Exception {
    Process gone = new ProcessBuilder("true").start();
    gone.waitFor();
    // an export of image/object/bbox/xmin killed inside its commit: the journal sits at the top of the
    // output directory, two levels above the file's own directory
    Path bbox = Files.createDirectories(dir.resolve("image/object/bbox"));
    String staged = ".xmin.npy." + gone.pid() + "-1" + TemporaryFiles.SUFFIX;
    NumPy.run("""
        with open(sys.argv[1], 'wb') as f:
            np.save(f, np.arange(4, dtype=np.int16))
        """, bbox.resolve(staged).toString());
    Files.writeString(dir.resolve(".commit." + gone.pid() + "-2" + StoreCommit.JOURNAL_SUFFIX),
        "tensorslab-commit/1\nno-overwrite\nimage/object/bbox/" + staged + "\timage/object/bbox/xmin.npy\n");
    Path xmin = bbox.resolve("xmin.npy");
    RunCli r = RunCli.run("inspect", xmin.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().contains("completed an interrupted export (path=" + dir.toAbsolutePath().normalize()), r.err());
    assertTrue(r.out().contains("first values:   [0, 1, 2, 3]"), r.out());
    assertTrue(Files.notExists(bbox.resolve(staged)));
  }

  @Test
  void inspectFailsInOneLine(@TempDir Path dir) throws IOException {
    Path bad = Files.write(dir.resolve("bad.npy"), "not numpy at all".getBytes());
    RunCli.run("inspect", bad.toString()).assertFails(1, "bad magic", bad.toString());
    Path missing = dir.resolve("missing.npy");
    RunCli.run("inspect", missing.toString()).assertFails(1, "no such file", missing.toString());
    NumPy.run("np.save(sys.argv[1], np.arange(100, dtype='<f8'))", dir.resolve("cut.npy").toString());
    byte[] full = Files.readAllBytes(dir.resolve("cut.npy"));
    Path cut = Files.write(dir.resolve("cut.npy"), java.util.Arrays.copyOf(full, 300));
    RunCli.run("inspect", cut.toString()).assertFails(1, "payload", cut.toString());
    RunCli.run("inspect").assertFails(2, "FILE.npy");
  }
}

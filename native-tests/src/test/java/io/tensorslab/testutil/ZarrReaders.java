package io.tensorslab.testutil;

import io.tensorslab.store.zarr.ZarrFormat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real Zarr readers that judge our stores: zarr-python 2 with Dask (Debian's python3-zarr and
 * python3-dask) and tensorstore (its zarr and zarr3 drivers, from pip). A missing reader fails the
 * test with what to install; it never skips.
 */
public final class ZarrReaders {
  private static final String SCRIPT = "/io/tensorslab/store/zarr/read_zarr.py";

  private ZarrReaders() {}

  /** A python that imports zarr (2.x) and dask: $TENSORSLAB_ZARR_PYTHON, python3 or /usr/bin/python3. */
  public static String zarrPython() {
    return find("import zarr, dask.array; assert zarr.__version__.startswith('2')",
        List.of(env("TENSORSLAB_ZARR_PYTHON"), "python3", "/usr/bin/python3"),
        "zarr-python 2 and Dask are missing: install Debian's python3-zarr and python3-dask (what ./build verify does when they are missing),"
            + " or point TENSORSLAB_ZARR_PYTHON at a python that has zarr 2.x and dask");
  }

  /**
   * A python that imports tensorstore: $TENSORSLAB_TENSORSTORE_PYTHON, the project's
   * .tensorslab/tensorstore-venv (made by ./build verify), or python3.
   */
  public static String tensorstorePython() {
    Path venv = Path.of("..", ".tensorslab", "tensorstore-venv", "bin", "python").toAbsolutePath().normalize();
    return find("import tensorstore, numpy", List.of(env("TENSORSLAB_TENSORSTORE_PYTHON"), venv.toString(), "python3"),
        "tensorstore is missing, so the Zarr v3 and tensorstore reader checks cannot run: make the venv ./build verify makes"
            + " (python3 -m venv .tensorslab/tensorstore-venv && .tensorslab/tensorstore-venv/bin/pip install"
            + " tensorstore numpy), or point TENSORSLAB_TENSORSTORE_PYTHON at a python that has it");
  }

  /**
   * Reads every case of {@code cases} (a JSON file, see read_zarr.py) from {@code store} with
   * zarr-python 2 + Dask (v2 stores) and tensorstore (both), failing with the readers' words.
   *
   * @return the readers' summary lines
   */
  public static String checkAll(Path store, ZarrFormat format, Path cases) {
    String out = "";
    if (format == ZarrFormat.V2) {
      out += NumPy.runResourceWith(zarrPython(), ZarrReaders.class, SCRIPT, "zarr2", store.toString(),
          cases.toString());
    }
    return out + NumPy.runResourceWith(tensorstorePython(), ZarrReaders.class, SCRIPT, "tensorstore",
        store.toString(), cases.toString());
  }

  /**
   * Reads the cases with one reader only: zarr-python 2 + Dask for a v2 store, tensorstore for v3
   * (for tests that exercise writers, not readers; {@link #checkAll} runs every reader).
   */
  public static String checkOne(Path store, ZarrFormat format, Path cases) {
    return format == ZarrFormat.V2
        ? NumPy.runResourceWith(zarrPython(), ZarrReaders.class, SCRIPT, "zarr2", store.toString(), cases.toString())
        : NumPy.runResourceWith(tensorstorePython(), ZarrReaders.class, SCRIPT, "tensorstore", store.toString(),
            cases.toString());
  }

  private static String env(String name) {
    String value = System.getenv(name);
    return value == null ? "" : value;
  }

  private static String find(String probe, List<String> candidates, String missing) {
    List<String> tried = new ArrayList<>();
    for (String python : candidates) {
      if (python.isBlank() || python.contains("/") && !Files.isExecutable(Path.of(python))) {
        continue;
      }
      tried.add(python);
      try {
        Process p = new ProcessBuilder(python, "-c", probe).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0) {
          return python;
        }
        p.destroyForcibly();
      } catch (IOException e) {
        // not runnable: try the next
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while looking for a python", e);
      }
    }
    throw new AssertionError(missing + " (tried " + tried + ")");
  }
}

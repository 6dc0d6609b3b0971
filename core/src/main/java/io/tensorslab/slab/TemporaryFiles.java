package io.tensorslab.slab;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Names of work-in-progress files. A slab writes {@code .NAME.PID-N.tensorslab-tmp} beside its final
 * path and renames it only when sealed, so a killed process leaves at most such a file, never a
 * partial file at a final path. {@link #removeStale} deletes the ones whose process is gone.
 */
public final class TemporaryFiles {
  /** Suffix of every temporary file this library creates. */
  public static final String SUFFIX = ".tensorslab-tmp";
  private static final Pattern NAME = Pattern.compile("^\\..+\\.(\\d+)-\\d+" + Pattern.quote(SUFFIX) + "$");
  private static final AtomicLong COUNTER = new AtomicLong();

  private TemporaryFiles() {}

  /** A fresh temporary name beside {@code target}, unique within this process. */
  public static Path beside(Path target) {
    String name = "." + target.getFileName() + "." + ProcessHandle.current().pid() + "-"
        + COUNTER.incrementAndGet() + SUFFIX;
    return target.resolveSibling(name);
  }

  /** True when {@code file} is named like a temporary file of this library. */
  public static boolean isTemporary(Path file) {
    return NAME.matcher(file.getFileName().toString()).matches();
  }

  /**
   * Deletes temporary files in {@code dir} left by processes that no longer run. Files of live
   * processes (including this one: another export may be running) are left alone.
   *
   * @return how many were deleted
   */
  public static int removeStale(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    int removed = 0;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, ".*" + SUFFIX)) {
      for (Path file : files) {
        Matcher m = NAME.matcher(file.getFileName().toString());
        if (!m.matches()) {
          continue;
        }
        long pid;
        try {
          pid = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
          continue;
        }
        if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
          continue;
        }
        if (Files.deleteIfExists(file)) {
          removed++;
        }
      }
    }
    return removed;
  }
}

package io.tensorslab.slab;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Names of work-in-progress files. A store writes {@code .NAME.PID-N.tensorslab-tmp} beside its final
 * path and renames it only when sealed, so a killed process leaves at most such a file, never a
 * partial file at a final path. {@link #removeStale} deletes the ones whose process is gone, also in
 * nested directories of the output directory.
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
   * How deep {@link #removeStale} looks below the output directory: output names have at most 32
   * segments (store.OutputNames.MAX_DEPTH) and a Zarr store adds its array and chunk-key levels.
   */
  static final int MAX_DEPTH = 64;

  /**
   * Deletes temporary files in {@code dir} and the directories below it (output names may contain
   * '/') left by processes that no longer run. Files of live processes (including this one: another
   * export may be running) are left alone. Symbolic links are never followed below {@code dir} and
   * only regular files are deleted, so nothing outside {@code dir} is touched. A nested directory
   * that held only stale files of ours, and so is empty after them, is removed too; one that held
   * anything else, or was empty already, stays.
   *
   * @return how many files were deleted
   */
  public static int removeStale(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    Path root = dir.toRealPath(); // the output directory itself may be a link; nothing below it is followed
    StaleFileRemover remover = new StaleFileRemover(root);
    Files.walkFileTree(root, EnumSet.noneOf(FileVisitOption.class), MAX_DEPTH, remover);
    return remover.removed;
  }

  /**
   * Deletes the temporary files directly in {@code dir} (no subdirectory is entered) left by
   * processes that no longer run: for a directory that is not an output directory, such as the one
   * beside it where inputs fetched from object storage are copied.
   *
   * @return how many files were deleted
   */
  public static int removeStaleIn(Path dir) throws IOException {
    int removed = 0;
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path p : entries) {
        if (isStale(p.getFileName().toString()) && Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)
            && Files.deleteIfExists(p)) {
          removed++;
        }
      }
    }
    return removed;
  }

  /** True when {@code name} is a temporary name of a process that no longer runs. */
  private static boolean isStale(String name) {
    Matcher m = NAME.matcher(name);
    if (!m.matches()) {
      return false;
    }
    long pid;
    try {
      pid = Long.parseLong(m.group(1));
    } catch (NumberFormatException e) {
      return false; // too long for a pid: not ours
    }
    return !ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }

  /** Walks the output tree (links not followed), deleting stale files and the directories they emptied. */
  private static final class StaleFileRemover extends SimpleFileVisitor<Path> {
    private final Path root;
    /** Directories (below the root) from which a stale file, or an emptied directory, was removed. */
    private final Set<Path> touched = new HashSet<>();
    int removed;

    StaleFileRemover(Path root) {
      this.root = root;
    }

    @Override
    public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
      if (attrs.isRegularFile() && isStale(file.getFileName().toString()) && Files.deleteIfExists(file)) {
        removed++;
        touched.add(file.getParent());
      }
      return FileVisitResult.CONTINUE;
    }

    @Override
    public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
      if (file.equals(root)) {
        throw e;
      }
      return FileVisitResult.CONTINUE; // a nested directory we may not read holds nothing we could remove
    }

    @Override
    public FileVisitResult postVisitDirectory(Path directory, IOException e) {
      if (!directory.equals(root) && touched.remove(directory) && isEmpty(directory)) {
        try {
          Files.delete(directory);
          touched.add(directory.getParent());
        } catch (IOException ignored) {
          // something appeared meanwhile: the directory is in use and stays
        }
      }
      return FileVisitResult.CONTINUE;
    }

    private static boolean isEmpty(Path directory) {
      try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory)) {
        return !entries.iterator().hasNext();
      } catch (IOException e) {
        return false;
      }
    }
  }
}

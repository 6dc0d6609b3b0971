package io.tensorslab.store;

import io.tensorslab.slab.TemporaryFiles;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** The one place for the output directory's rules: what may be used, making it, cleaning it up. */
public final class OutputDirectory {
  private OutputDirectory() {}

  /**
   * Checks that {@code dir} is a directory or can be made as one (its parent exists).
   *
   * @throws IOException naming the path
   */
  public static void check(Path dir) throws IOException {
    Path absolute = dir.toAbsolutePath().normalize();
    if (Files.exists(absolute) && !Files.isDirectory(absolute)) {
      throw new FileAlreadyExistsException(absolute.toString(), null,
          "output path is a file, not a directory (path=" + absolute + ")");
    }
    if (!Files.isDirectory(absolute)) {
      Path parent = absolute.getParent();
      if (parent == null || !Files.isDirectory(parent)) {
        throw new NoSuchFileException(absolute.toString(), null,
            "output directory's parent does not exist (path=" + absolute + ")");
      }
    }
  }

  /**
   * Makes {@code dir} ready for an export: {@link #check}s it and creates it when missing; when it
   * exists, completes the commits a killed export left ({@link StoreCommit#recover}) and then
   * removes stale temporary files ({@link TemporaryFiles#removeStale}), in that order.
   *
   * @return true when the directory was created here (and so is removed again by {@link #removeIfEmpty}
   *     if the export fails)
   */
  public static boolean prepare(Path dir) throws IOException {
    check(dir);
    Path absolute = dir.toAbsolutePath().normalize();
    if (!Files.isDirectory(absolute)) {
      Files.createDirectory(absolute);
      return true;
    }
    clean(absolute);
    return false;
  }

  /** Completes unfinished commits, then removes stale temporary files, in {@code dir}. */
  public static void clean(Path dir) throws IOException {
    StoreCommit.recover(dir);
    TemporaryFiles.removeStale(dir);
  }

  /**
   * After a failed export: removes the directories it made inside {@code dir} ({@code madeInside},
   * outermost first, removed innermost first) and {@code dir} itself when {@code dirMade}, each only
   * if empty.
   */
  public static void removeMadeDirectories(Path dir, boolean dirMade, java.util.List<Path> madeInside) {
    for (int i = madeInside.size() - 1; i >= 0; i--) {
      removeIfEmpty(madeInside.get(i));
    }
    if (dirMade) {
      removeIfEmpty(dir);
    }
  }

  /** Removes {@code dir} when it is empty: a failed export into a directory it made leaves no trace. */
  public static void removeIfEmpty(Path dir) {
    try {
      Files.delete(dir); // refuses a non-empty directory, which then stays
    } catch (IOException ignored) {
      // not empty (someone else's files) or already gone: nothing of ours is in it either way
    }
  }
}

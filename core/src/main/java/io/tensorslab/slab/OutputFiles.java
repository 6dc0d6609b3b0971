package io.tensorslab.slab;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.LinkOption;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * The one place for the rules about final paths: whether a file may be written at a target, and how
 * a finished temporary file moves there.
 */
public final class OutputFiles {
  private OutputFiles() {}

  /**
   * Checks that a file may be created at {@code target}: its directory exists and is writable, no
   * directory is at the target, and no file either unless {@code overwrite}.
   *
   * @throws IOException naming the path and what to do
   */
  public static void checkTarget(Path target, boolean overwrite) throws IOException {
    Path parent = target.toAbsolutePath().getParent();
    if (parent == null || !Files.isDirectory(parent)) {
      throw new NoSuchFileException(target.toString(), null,
          "output directory does not exist (path=" + target + ")");
    }
    if (Files.isDirectory(target)) {
      throw new FileAlreadyExistsException(target.toString(), null,
          "output path is a directory (path=" + target + ")");
    }
    if (!overwrite && Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
      throw new FileAlreadyExistsException(target.toString(), null,
          "output file exists; replace it with overwrite(true) (path=" + target + ")");
    }
    if (!Files.isWritable(parent)) {
      throw new AccessDeniedException(target.toString(), null,
          "output directory is not writable (path=" + target + ")");
    }
  }

  /**
   * Creates the temporary file {@code temporary} (which must not exist) for {@code target}, open for
   * reading and writing.
   *
   * @throws IOException naming the target when its directory is missing or not writable
   */
  public static FileChannel createTemporary(Path temporary, Path target) throws IOException {
    try {
      return FileChannel.open(temporary, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
          StandardOpenOption.WRITE);
    } catch (AccessDeniedException e) {
      throw new IOException("creating output failed: directory is not writable (path=" + target + ")", e);
    } catch (NoSuchFileException e) {
      throw new IOException("creating output failed: directory does not exist (path=" + target + ")", e);
    }
  }

  /**
   * Writes {@code bytes} to a fresh temporary file beside {@code target}, forced to disk first when
   * {@code durable}, and returns its path; on failure nothing is left behind. The caller moves it into place.
   */
  public static Path writeTemporary(Path target, byte[] bytes, boolean durable) throws IOException {
    Path temporary = TemporaryFiles.beside(target);
    boolean success = false;
    try (FileChannel channel = createTemporary(temporary, target)) {
      java.nio.ByteBuffer buffer = java.nio.ByteBuffer.wrap(bytes);
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
      if (durable) {
        channel.force(false);
      }
      success = true;
      return temporary;
    } finally {
      if (!success) {
        Files.deleteIfExists(temporary);
      }
    }
  }

  /**
   * Moves the finished file {@code temporary} to {@code target} in one atomic step. With
   * {@code overwrite} a file at the target is replaced ({@code rename(2)}). Without it the move is a
   * hard link, which fails when anything is at the target, then the temporary name is removed: a file
   * that appeared at the target meanwhile is never replaced (a check followed by a rename would
   * race with it).
   *
   * @throws FileAlreadyExistsException without {@code overwrite}, when the target exists; the
   *     temporary file is left in place for the caller to delete
   */
  public static void moveIntoPlace(Path temporary, Path target, boolean overwrite) throws IOException {
    if (overwrite) {
      try {
        Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException("renaming output failed: the file system cannot rename atomically (path="
            + target + ")", e);
      }
      return;
    }
    try {
      Files.createLink(target, temporary);
    } catch (FileAlreadyExistsException e) {
      throw new FileAlreadyExistsException(target.toString(), null,
          "output file appeared while exporting; replace it with overwrite(true) (path=" + target + ")");
    } catch (UnsupportedOperationException | FileSystemException e) {
      if (e instanceof FileSystemException f && Files.exists(target)) {
        throw new FileAlreadyExistsException(target.toString(), null,
            "output file appeared while exporting; replace it with overwrite(true) (path=" + target + ")");
      }
      throw new IOException("publishing output failed: the file system cannot make a hard link, which "
          + "publishing without overwrite needs to never replace a file; replace it with overwrite(true) (path=" + target + ")", e);
    }
    Files.delete(temporary);
  }

  /** Makes the directory entries of {@code dir} durable (after renames into it); best effort. */
  public static void syncDirectory(Path dir) {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException ignored) {
      // some file systems refuse to open or sync a directory; the files themselves are already synced
    }
  }
}

package io.tensorslab.store.zarr;

import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;

/** Removing what an unfinished array wrote. */
final class ZarrFiles {
  private ZarrFiles() {}

  /**
   * Deletes the array directory {@code array} with everything in it, then each parent directory up
   * to (not including) {@code root} that is left empty.
   */
  static void deleteArray(Path array, Path root) throws IOException {
    if (Files.exists(array)) {
      Files.walkFileTree(array, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
          Files.delete(file);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
          if (e != null) {
            throw e;
          }
          Files.delete(dir);
          return FileVisitResult.CONTINUE;
        }
      });
    }
    for (Path parent = array.getParent(); parent != null && parent.startsWith(root) && !parent.equals(root);
        parent = parent.getParent()) {
      try {
        Files.deleteIfExists(parent);
      } catch (DirectoryNotEmptyException e) {
        break; // holds other arrays
      }
    }
  }

  /** True when {@code directory} is empty or holds Zarr array metadata: what overwrite may replace. */
  static boolean isArrayOrEmpty(Path directory) throws IOException {
    if (Files.exists(directory.resolve(".zarray")) || Files.exists(directory.resolve("zarr.json"))) {
      return true;
    }
    try (var entries = Files.list(directory)) {
      return entries.findAny().isEmpty();
    }
  }
}

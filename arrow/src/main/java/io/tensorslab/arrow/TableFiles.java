package io.tensorslab.arrow;

import io.tensorslab.slab.TemporaryFiles;
import io.tensorslab.store.StagedFile;
import io.tensorslab.store.StoreDestination;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** The one way a table file is staged: written under a temporary name beside its target, forced, or removed. */
final class TableFiles {
  private TableFiles() {}

  /** Writes a whole table file at {@code temporary}, which does not exist yet. */
  @FunctionalInterface
  interface Writer {
    void write(Path temporary) throws IOException;
  }

  /**
   * Writes table file {@code fileName} of {@code destination} under a temporary name (one the next
   * export into the directory removes if this process is killed), forced to disk when the destination
   * is durable.
   *
   * @param what the format, for the message ({@code "Arrow"}, {@code "Parquet"})
   * @throws IOException naming the table file, after removing the temporary file
   */
  static StagedFile stage(StoreDestination destination, String fileName, String what, Writer writer)
      throws IOException {
    Path target = destination.directory().resolve(fileName);
    Path temporary = TemporaryFiles.beside(target);
    boolean success = false;
    try {
      writer.write(temporary);
      if (destination.durable()) {
        try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
          channel.force(true);
        }
      }
      success = true;
      return new StagedFile(temporary, target);
    } catch (IOException | RuntimeException e) {
      throw new IOException("writing the " + what + " table failed: " + e.getMessage() + " (path=" + target + ")", e);
    } finally {
      if (!success) {
        Files.deleteIfExists(temporary);
      }
    }
  }
}

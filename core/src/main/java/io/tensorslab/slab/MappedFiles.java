package io.tensorslab.slab;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/** Growing a file being written and mapping a region of it: the mechanics every mapped output shares. */
public final class MappedFiles {
  private MappedFiles() {}

  /**
   * Makes the file at least {@code size} bytes with its blocks reserved ({@code posix_fallocate}, or
   * a sparse extension where that is missing), then maps {@code [from, size)} read-write into
   * {@code arena}. Growing a file under existing shared mappings is safe; earlier mappings stay valid.
   *
   * @param shownAs the path messages name: the final path a user asked for
   * @throws IOException when space cannot be reserved or the mapping fails, naming the path and the
   *     limit to raise
   */
  public static MemorySegment extendAndMap(FileChannel channel, Path file, long from, long size, Arena arena,
      Path shownAs) throws IOException {
    if (!NativeFiles.reserve(file, size, shownAs) && channel.size() < size) {
      channel.write(ByteBuffer.allocate(1), size - 1); // sparse extension where blocks cannot be reserved
    }
    try {
      return channel.map(FileChannel.MapMode.READ_WRITE, from, size - from, arena);
    } catch (IOException e) {
      throw new IOException("mapping output failed: " + e.getMessage()
          + " (path=" + shownAs + "; if the limit of mappings is reached, raise vm.max_map_count)", e);
    }
  }
}

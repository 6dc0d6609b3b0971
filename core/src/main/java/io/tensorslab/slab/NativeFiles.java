package io.tensorslab.slab;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Reserves a file's blocks with {@code posix_fallocate(3)} through the FFM {@link Linker}, so that a
 * full disk surfaces as an {@link IOException} when a slab is created or grown, and never as a
 * SIGBUS (the JVM's {@code InternalError}) in the middle of a copy into mapped pages.
 *
 * <p>Where libc has no {@code posix_fallocate} the file is only extended (sparse): writes then
 * still work, but a disk that fills up during the copy is no longer caught early.
 */
final class NativeFiles {
  private static final int O_RDONLY = 0;
  private static final int O_WRONLY = 1;
  private static final int O_CLOEXEC = 0x80000;
  private static final int ENOSPC = 28;
  private static final int EFBIG = 27;
  private static final int EDQUOT = 122;

  private static final MethodHandle OPEN;
  private static final MethodHandle CLOSE;
  private static final MethodHandle POSIX_FALLOCATE;
  private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
  private static final VarHandle ERRNO =
      CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));

  static {
    Linker linker = Linker.nativeLinker();
    var libc = linker.defaultLookup();
    Optional<MemorySegment> fallocate = libc.find("posix_fallocate64").or(() -> libc.find("posix_fallocate"));
    Optional<MemorySegment> open = libc.find("open64").or(() -> libc.find("open"));
    Optional<MemorySegment> close = libc.find("close");
    if (fallocate.isPresent() && open.isPresent() && close.isPresent()) {
      // open(2) is variadic; we never pass a mode (the file exists), so the fixed two-argument form is exact.
      OPEN = linker.downcallHandle(open.get(),
          FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT),
          Linker.Option.captureCallState("errno"));
      CLOSE = linker.downcallHandle(close.get(), FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
      POSIX_FALLOCATE = linker.downcallHandle(fallocate.get(), FunctionDescriptor.of(ValueLayout.JAVA_INT,
          ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
    } else {
      OPEN = null;
      CLOSE = null;
      POSIX_FALLOCATE = null;
    }
  }

  private NativeFiles() {}

  /**
   * Opens the existing file at {@code path} read-only (close-on-exec) for calls that act on its page
   * cache ({@link Writeback}).
   *
   * @return the descriptor, or -1 when it cannot be opened or libc lacks what this class needs
   */
  static int openReadOnly(Path path) {
    if (OPEN == null) {
      return -1;
    }
    try (Arena arena = Arena.ofConfined()) {
      return (int) OPEN.invokeExact(arena.allocate(CALL_STATE), arena.allocateFrom(path.toString()), O_RDONLY | O_CLOEXEC);
    } catch (Throwable t) {
      return -1;
    }
  }

  /** Closes a descriptor from {@link #openReadOnly}; a failure leaks nothing the process keeps using. */
  static void closeQuietly(int fd) {
    try {
      int ignored = (int) CLOSE.invokeExact(fd);
    } catch (Throwable ignored) {
      // nothing to do: the descriptor is not used again
    }
  }

  /** True when blocks are really reserved; false on platforms where only a sparse extension is possible. */
  static boolean canReserve() {
    return POSIX_FALLOCATE != null;
  }

  /**
   * Makes sure the first {@code length} bytes of the existing file at {@code path} have blocks on disk,
   * extending the file when it is shorter.
   *
   * @param shownAs the path error messages name: the final path a user asked for, not the temporary one
   * @return false when the platform cannot reserve (the caller then extends the file itself)
   * @throws IOException naming the path when the disk is full, a size limit is hit, or the call fails
   */
  static boolean reserve(Path path, long length, Path shownAs) throws IOException {
    if (POSIX_FALLOCATE == null || length == 0) {
      return false;
    }
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CALL_STATE);
      int fd = (int) OPEN.invokeExact(state, arena.allocateFrom(path.toString()), O_WRONLY | O_CLOEXEC);
      if (fd < 0) {
        int errno = (int) ERRNO.get(state, 0L);
        throw new IOException("reserving disk space failed: cannot open the file, errno " + errno + " (path=" + shownAs + ")");
      }
      int error;
      try {
        error = (int) POSIX_FALLOCATE.invokeExact(fd, 0L, length);
      } finally {
        int ignored = (int) CLOSE.invokeExact(fd);
      }
      if (error == 0) {
        return true;
      }
      String why = switch (error) {
        case ENOSPC -> "no space left on device";
        case EDQUOT -> "disk quota exceeded";
        case EFBIG -> "file too large for the file system or the process's file size limit (ulimit -f)";
        default -> "posix_fallocate failed with errno " + error;
      };
      throw new IOException("reserving " + length + " bytes failed: " + why + " (path=" + shownAs + ")");
    } catch (IOException | RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IOException("reserving disk space failed (path=" + shownAs + ")", t);
    }
  }
}

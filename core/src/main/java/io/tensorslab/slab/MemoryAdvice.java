package io.tensorslab.slab;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * Maps the pages of a file mapping in one system call before they are written, with
 * {@code madvise(MADV_POPULATE_WRITE)} (Linux 5.14+) through the FFM {@link Linker}: the kernel
 * then faults them in a loop of its own instead of trapping once per 4 KiB page in the middle of
 * the copy, which profiles of the TFRecord convert showed as a large share of its time. The pages,
 * and so the file's bytes, are the same either way. (Inputs are read, not mapped: see
 * {@link io.tensorslab.tfrecord.TfRecordReader}.)
 *
 * <p>Best effort: on another OS, an older kernel ({@code EINVAL}) or any failure, nothing happens
 * and the pages are faulted on first touch as before. A failure that matters (a full disk under a
 * mapping) still surfaces where it did: {@code posix_fallocate} reserved the blocks up front.
 */
public final class MemoryAdvice {
  private static final int MADV_POPULATE_WRITE = 23;
  private static final long PAGE = 4096;
  private static final MethodHandle MADVISE;

  static {
    Linker linker = Linker.nativeLinker();
    Optional<MemorySegment> madvise = System.getProperty("os.name", "").startsWith("Linux")
        ? linker.defaultLookup().find("madvise") : Optional.empty();
    MADVISE = madvise.map(m -> linker.downcallHandle(m, FunctionDescriptor.of(ValueLayout.JAVA_INT,
        ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT))).orElse(null);
  }

  private MemoryAdvice() {}

  /**
   * Maps the pages under {@code mapped} (part of a shared, writable file mapping) writable. The
   * page holding its first byte may be shared with the bytes just before it; populating it is
   * harmless (no byte changes).
   */
  public static boolean populateWrite(MemorySegment mapped) {
    return advise(mapped, MADV_POPULATE_WRITE);
  }

  private static boolean advise(MemorySegment mapped, int advice) {
    if (MADVISE == null || mapped.byteSize() == 0 || !mapped.isNative()) {
      return false;
    }
    long start = mapped.address() & -PAGE; // madvise wants a page-aligned start; the mapping covers that page
    long length = mapped.address() + mapped.byteSize() - start;
    try {
      return (int) MADVISE.invokeExact(start, length, advice) == 0;
    } catch (Throwable t) {
      return false;
    }
  }
}

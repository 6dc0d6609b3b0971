package io.tensorslab.slab;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Copies between {@code byte[]}s and memory segments without making a heap segment: not
 * {@link MemorySegment#ofArray(byte[])}, not {@link MemorySegment#toArray} (which wraps its result
 * in one), but the array overloads of {@link MemorySegment#copy}.
 *
 * <p>Why it matters: the record loop runs as C1 code in a fresh process, and C1 inlines a segment
 * access's {@code unsafeGetBase()} and friends only while one segment class implements them (class
 * hierarchy analysis). Once {@code HeapMemorySegmentImpl} is loaded, every {@code get} at a segment
 * becomes three virtual calls. A class the launcher's training run loads is in its ahead-of-time
 * cache and so loaded at every start: one heap segment made anywhere in the training cost every
 * later 1 GB convert 14 % more CPU time (1.59 against 1.39 CPU-s; docs/benchmarks.md). Code on the
 * native commands' path copies through here; {@code AotTrainingTest} fails when the training loads
 * the class.
 */
public final class HeapBytes {
  private HeapBytes() {}

  /** The {@code length} bytes of {@code segment} at {@code offset}, as a new array. */
  public static byte[] copyOf(MemorySegment segment, long offset, int length) {
    byte[] bytes = new byte[length];
    MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, offset, bytes, 0, length);
    return bytes;
  }

  /** Copies all of {@code bytes} into {@code segment} at {@code offset}. */
  public static void copyInto(byte[] bytes, MemorySegment segment, long offset) {
    MemorySegment.copy(bytes, 0, segment, ValueLayout.JAVA_BYTE, offset, bytes.length);
  }
}

package io.tensorslab.tfrecord;

import java.lang.foreign.MemorySegment;

/**
 * The values of one feature in one row, as a row writer copies them into a store: the native
 * reader's {@link FeatureValues} (values still in the record's wire bytes) or a row of a tensor
 * that TensorFlow's parse made. Only the methods of the feature's dtype are called.
 */
public interface RowValues {

  /** Values in this row. */
  int count();

  /** Copies float values {@code [from, from + n)} into {@code dst} at {@code dstOffset}, little-endian. */
  void copyFloats(int from, int n, MemorySegment dst, long dstOffset);

  /** Copies int64 values {@code [from, from + n)} into {@code dst} at {@code dstOffset}, little-endian. */
  void copyLongs(int from, int n, MemorySegment dst, long dstOffset);

  /**
   * Copies bytes value {@code i} into {@code dst} at {@code dstOffset} and fills the rest of its
   * {@code width}-byte slot with NULs (NumPy's {@code |S{width}} items are NUL-padded).
   */
  void copyBytes(int i, MemorySegment dst, long dstOffset, long width);

  /** Length of bytes value {@code i}. */
  int bytesLength(int i);
}

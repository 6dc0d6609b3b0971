package io.tensorslab.export;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Where the first range writer of a walk-ahead conversion stops and the second one starts, agreed
 * while both run (see {@link TfRecordExport}: one plain file on two threads without an index).
 *
 * <p>The first writer parses from record 0 and reserves the bytes ahead of it in steps: it starts a
 * record only below its reservation. The second thread counts records from byte 0 meanwhile (a
 * framing walk, several times faster than a parse) and claims the split at a record start it has
 * counted to, at or past the reservation, once the bytes left after it are no more than those the
 * first writer has yet to parse. The first writer then stops exactly there: both walk the same
 * chain of records, so the split is a record start the first writer reaches. Records before the
 * split are the first writer's, the rest the second's, with the first row the walk counted.
 *
 * <p>One {@link AtomicLong} holds both: a reservation as a byte offset ({@code >= 0}), or the split
 * once claimed as {@code -(offset + 1)}. The first writer reads it only when a record would start at
 * or past the end of what it holds, once per reservation step; a claim is one compare-and-set.
 */
final class WalkAheadSplit {
  private final long step;
  private final AtomicLong state;
  /** The first writer's: records starting below this offset are its own (read without the atomic). */
  private long held;

  /**
   * @param step bytes the first writer reserves at a time: the balance is at worst a step off, a
   *     smaller step costs more atomic updates
   */
  WalkAheadSplit(long step) {
    if (step < 1) {
      throw new IllegalArgumentException("step must be positive, got " + step);
    }
    this.step = step;
    this.state = new AtomicLong(step);
    this.held = step;
  }

  /** For the first writer: whether the record starting at {@code offset} is its to parse. */
  boolean firstWriterTakes(long offset) {
    if (offset < held) {
      return true;
    }
    while (true) {
      long s = state.get();
      if (s < 0) {
        held = -(s + 1);
        return offset < held;
      }
      if (offset < s) {
        held = s;
        return true;
      }
      long reserved = Math.addExact(offset, step);
      if (state.compareAndSet(s, reserved)) {
        held = reserved;
        return true;
      }
      // the second thread claimed the split meanwhile: read it
    }
  }

  /** Bytes the first writer has reserved so far (it has started no record at or past them); -1 once split. */
  long reserved() {
    long s = state.get();
    return s < 0 ? -1 : s;
  }

  /**
   * For the counting thread: claims the record start {@code offset} as the split, if the first
   * writer has not reserved past it.
   *
   * @return whether the split is now {@code offset}: the first writer will parse exactly the records
   *     before it
   */
  boolean trySplitAt(long offset) {
    long s = state.get();
    if (s < 0) {
      throw new IllegalStateException("the split is already claimed at byte " + (-(s + 1)));
    }
    return offset >= s && state.compareAndSet(s, -(offset + 1));
  }

  /** The claimed split's byte offset, or -1 when none was claimed. */
  long split() {
    long s = state.get();
    return s < 0 ? -(s + 1) : -1;
  }
}

package io.tensorslab.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The walk-ahead split: never where the first writer may already be, and then exactly where it stops. */
class WalkAheadSplitTest {

  @Test
  void aSplitBelowTheReservationIsRefusedAndTheFirstWriterStopsExactlyAtOneAboveIt() {
    WalkAheadSplit split = new WalkAheadSplit(100);
    assertTrue(split.firstWriterTakes(0));
    assertTrue(split.firstWriterTakes(99));
    assertEquals(100, split.reserved());
    assertTrue(split.firstWriterTakes(150)); // reserves on, from the record it starts
    assertEquals(250, split.reserved());
    assertFalse(split.trySplitAt(249), "the first writer may start records below 250");
    assertEquals(-1, split.split());
    assertTrue(split.trySplitAt(400));
    assertEquals(400, split.split());
    assertEquals(-1, split.reserved());
    assertTrue(split.firstWriterTakes(240));
    assertTrue(split.firstWriterTakes(399));
    assertFalse(split.firstWriterTakes(400));
    assertThrows(IllegalStateException.class, () -> split.trySplitAt(500));
  }

  @Test
  void aSplitAtTheReservationItselfIsTaken() {
    WalkAheadSplit split = new WalkAheadSplit(64);
    assertTrue(split.trySplitAt(64));
    assertTrue(split.firstWriterTakes(63));
    assertFalse(split.firstWriterTakes(64));
  }

  /**
   * A first writer stepping through record starts 0, 10, 20, ... races a claimer trying every
   * start from the top down: whatever the interleaving, it stops exactly at the claimed start, or
   * takes every record when no claim succeeded.
   */
  @Test
  void racingWritersAgreeOnTheSplit() throws Exception {
    for (int round = 0; round < 200; round++) {
      WalkAheadSplit split = new WalkAheadSplit(30);
      long end = 10_000;
      AtomicLong stoppedAt = new AtomicLong(-1);
      CountDownLatch go = new CountDownLatch(1);
      Thread writer = Thread.ofPlatform().start(() -> {
        try {
          go.await();
        } catch (InterruptedException e) {
          throw new AssertionError(e);
        }
        long at = 0;
        while (at < end && split.firstWriterTakes(at)) {
          at += 10;
        }
        stoppedAt.set(at);
      });
      go.countDown();
      long claimed = -1;
      for (long candidate = 5_000 + (round % 7) * 10; candidate < end && claimed < 0; candidate += 10) {
        if (split.trySplitAt(candidate)) {
          claimed = candidate;
        }
      }
      writer.join();
      assertEquals(claimed, split.split());
      assertEquals(claimed < 0 ? end : claimed, stoppedAt.get(), "round " + round);
    }
  }
}

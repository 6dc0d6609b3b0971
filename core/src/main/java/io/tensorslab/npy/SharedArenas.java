package io.tensorslab.npy;

import java.lang.foreign.Arena;
import java.util.concurrent.TimeUnit;

/** Closing a shared {@link Arena} that another thread may be reading or writing through at that moment. */
public final class SharedArenas {
  /** How long a close waits for other threads to leave the arena's segments before it gives up loudly. */
  static final long WAIT_NANOS = TimeUnit.SECONDS.toNanos(30);

  private SharedArenas() {}

  /**
   * Closes {@code arena}, waiting while another thread is inside an access to one of its segments
   * ({@link Arena#close()} then throws {@link IllegalStateException} and leaves the arena open).
   * Returns once the arena is closed, by this call or a concurrent one.
   *
   * @param what names the resource in the error message
   * @throws IllegalStateException when the arena is still in use after 30 s; it is then still open
   */
  public static void close(Arena arena, String what) {
    long deadline = System.nanoTime() + WAIT_NANOS;
    while (arena.scope().isAlive()) {
      try {
        arena.close();
        return;
      } catch (IllegalStateException inUse) {
        if (!arena.scope().isAlive()) {
          return; // a concurrent close won the race
        }
        if (System.nanoTime() - deadline > 0) {
          throw new IllegalStateException("unmapping failed: another thread is still using the memory after "
              + TimeUnit.NANOSECONDS.toSeconds(WAIT_NANOS) + " s (" + what + ")", inUse);
        }
        Thread.onSpinWait();
      }
    }
  }
}

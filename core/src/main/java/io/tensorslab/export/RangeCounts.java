package io.tensorslab.export;

import java.util.Arrays;

/** What the count pass found in one range, per feature. */
final class RangeCounts {
  final long[] values;
  /** Feature lists: their steps. */
  final long[] steps;
  final long[] longestRow;
  final long[] shortestRow;
  final long[] longestBytes;
  /** Image features: the largest height and width (from the headers). */
  final long[] imageHeight;
  final long[] imageWidth;

  RangeCounts(int n) {
    values = new long[n];
    steps = new long[n];
    longestRow = new long[n];
    shortestRow = new long[n];
    longestBytes = new long[n];
    imageHeight = new long[n];
    imageWidth = new long[n];
    Arrays.fill(shortestRow, Long.MAX_VALUE);
  }
}

package io.tensorslab.shard;

import java.util.List;

/**
 * One worker's place among {@code count} workers: {@code index} is 0-based, as a Kubernetes
 * Indexed Job's {@code JOB_COMPLETION_INDEX} and a Slurm array started at 0 give it.
 *
 * {@snippet :
 * Shard s = Shard.parse("2/4");   // the third of four workers
 * }
 */
public record Shard(int index, int count) {

  /** The most workers one store takes: far beyond any cluster, small enough for marker listings. */
  public static final int MAX_COUNT = 1_000_000;

  public Shard {
    if (count < 1 || count > MAX_COUNT) {
      throw new IllegalArgumentException("shard count must be 1.." + MAX_COUNT + ", got " + count);
    }
    if (index < 0 || index >= count) {
      throw new IllegalArgumentException("shard index must be 0.." + (count - 1) + " for " + count
          + " shards (0-based), got " + index);
    }
  }

  /** Parses {@code I/N}, e.g. {@code 0/4} .. {@code 3/4}. */
  public static Shard parse(String text) {
    int slash = text == null ? -1 : text.indexOf('/');
    if (slash < 0) {
      throw new IllegalArgumentException("expected I/N with 0 <= I < N (e.g. 0/4), got '" + text + "'");
    }
    int index;
    int count;
    try {
      index = Integer.parseInt(text.substring(0, slash).strip());
      count = Integer.parseInt(text.substring(slash + 1).strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("expected I/N with 0 <= I < N (e.g. 0/4), got '" + text + "'");
    }
    return new Shard(index, count);
  }

  /** {@code I-of-N}: the shard's name in marker files and messages. */
  public String fileTag() {
    return index + "-of-" + count;
  }

  @Override
  public String toString() {
    return index + "/" + count;
  }

  /** Shard indexes as ranges, {@code 0-2, 5}, or {@code none}. */
  public static String ranges(List<Integer> indexes) {
    if (indexes.isEmpty()) {
      return "none";
    }
    StringBuilder sb = new StringBuilder();
    int start = indexes.getFirst();
    int prev = start;
    for (int i = 1; i <= indexes.size(); i++) {
      Integer next = i < indexes.size() ? indexes.get(i) : null;
      if (next != null && next == prev + 1) {
        prev = next;
        continue;
      }
      sb.append(sb.isEmpty() ? "" : ", ").append(start == prev ? String.valueOf(start) : start + "-" + prev);
      if (next != null) {
        start = next;
        prev = next;
      }
    }
    return sb.toString();
  }}

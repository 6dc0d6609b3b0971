package io.tensorslab.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class ShardPlanTest {

  @ParameterizedTest
  @CsvSource({"0,1,1", "1,1,1", "1,1,4", "10,3,4", "100,10,4", "101,10,4", "99,10,3", "7,100,5", "1000,1,7",
      "65536,65536,2", "1000000,4096,13", "5,1,1000"})
  void sharesCoverEveryChunkOnceInOrderAndDifferByAtMostOneChunk(long rows, long chunkRows, int shards) {
    ShardPlan plan = new ShardPlan(rows, chunkRows, shards);
    long nextChunk = 0;
    long nextRow = 0;
    long min = Long.MAX_VALUE;
    long max = 0;
    for (int i = 0; i < shards; i++) {
      ShardPlan.Range r = plan.range(i);
      assertEquals(nextChunk, r.firstChunk(), "shard " + i + " starts where the previous ended");
      assertEquals(nextRow, r.firstRow());
      assertEquals(Math.min(rows, r.firstChunk() * chunkRows), r.firstRow(), "whole chunks");
      assertTrue(r.endRow() == rows || r.endRow() % chunkRows == 0, "ends on a chunk boundary or the end");
      nextChunk = r.endChunk();
      nextRow = r.endRow();
      min = Math.min(min, r.chunkCount());
      max = Math.max(max, r.chunkCount());
    }
    assertEquals(plan.chunks(), nextChunk);
    assertEquals(rows, nextRow);
    assertTrue(max - min <= 1, "balanced: " + min + ".." + max);
  }

  @Test
  void chunksRoundUpAndTheLastChunkIsShort() {
    ShardPlan plan = new ShardPlan(101, 10, 4);
    assertEquals(11, plan.chunks());
    assertEquals(new ShardPlan.Range(0, 0, 2, 0, 20), plan.range(0));
    assertEquals(new ShardPlan.Range(3, 8, 11, 80, 101), plan.range(3));
  }

  @Test
  void hugeRowCountsDoNotOverflow() {
    ShardPlan plan = new ShardPlan(Long.MAX_VALUE - 1, 1, Shard.MAX_COUNT);
    ShardPlan.Range last = plan.range(Shard.MAX_COUNT - 1);
    assertEquals(Long.MAX_VALUE - 1, last.endRow());
    assertTrue(last.firstRow() > 0 && last.firstRow() < last.endRow());
  }

  @Test
  void moreShardsThanChunksLeavesSomeEmpty() {
    ShardPlan plan = new ShardPlan(25, 10, 5);
    long empty = 0;
    for (int i = 0; i < 5; i++) {
      empty += plan.range(i).rowCount() == 0 ? 1 : 0;
    }
    assertEquals(2, empty);
  }

  @Test
  void badArgumentsAreRefusedByName() {
    assertEquals("chunk rows must be >= 1, got 0",
        assertThrows(IllegalArgumentException.class, () -> new ShardPlan(10, 0, 1)).getMessage());
    assertEquals("shard index must be 0..3, got 4",
        assertThrows(IllegalArgumentException.class, () -> new ShardPlan(10, 1, 4).range(4)).getMessage());
    assertEquals("shard 1/3 does not belong to a plan of 4 shards",
        assertThrows(IllegalArgumentException.class, () -> new ShardPlan(10, 1, 4).range(Shard.parse("1/3")))
            .getMessage());
  }

  @Test
  void shardParsesIOverN() {
    assertEquals(new Shard(2, 4), Shard.parse("2/4"));
    assertEquals("2-of-4", Shard.parse(" 2 / 4 ").fileTag());
    assertEquals("expected I/N with 0 <= I < N (e.g. 0/4), got '2'",
        assertThrows(IllegalArgumentException.class, () -> Shard.parse("2")).getMessage());
    assertEquals("shard index must be 0..3 for 4 shards (0-based), got 4",
        assertThrows(IllegalArgumentException.class, () -> Shard.parse("4/4")).getMessage());
    assertEquals("shard count must be 1..1000000, got 0",
        assertThrows(IllegalArgumentException.class, () -> Shard.parse("0/0")).getMessage());
    assertEquals("expected I/N with 0 <= I < N (e.g. 0/4), got 'a/b'",
        assertThrows(IllegalArgumentException.class, () -> Shard.parse("a/b")).getMessage());
  }
}

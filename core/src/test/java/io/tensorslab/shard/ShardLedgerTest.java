package io.tensorslab.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShardLedgerTest {

  @TempDir
  Path store;

  private static String plan(int shards, String input) {
    return "{\n  \"format\": \"tensorslab-shard-plan/1\",\n  \"shards\": " + shards + ",\n  \"input\": \"" + input
        + "\"\n}\n";
  }

  @Test
  void workersJoinMarkAndTheStoreCompletesWhenAllAreDone() throws IOException {
    ShardPlan sp = new ShardPlan(100, 10, 3);
    List<ShardLedger> ledgers = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      ledgers.add(ShardLedger.join(store, new Shard(i, 3), plan(3, "a")));
    }
    ledgers.get(2).markDone(sp.range(2));
    ledgers.get(0).markDone(sp.range(0));
    assertFalse(ledgers.get(0).allDone());
    ShardLedger.Status s = ShardLedger.status(store);
    assertEquals(3, s.shards());
    assertEquals(List.of(0, 2), s.done());
    assertEquals(List.of(1), s.missing());
    assertFalse(s.complete());
    ledgers.get(1).markDone(sp.range(1));
    assertTrue(ledgers.get(0).allDone());
    ledgers.get(1).markComplete();
    assertTrue(ShardLedger.status(store).complete());
    assertEquals("{\"shard\": \"1/3\", \"chunks\": [3, 6], \"rows\": [30, 60]}\n",
        Files.readString(store.resolve(".tensorslab/shards/1-of-3.done")));
    try (var files = Files.list(store.resolve(ShardLedger.DIRECTORY))) {
      assertEquals(List.of("0-of-3.done", "1-of-3.done", "2-of-3.done", "complete", "plan.json"),
          files.map(p -> p.getFileName().toString()).sorted().toList(), "no temporary file left");
    }
  }

  @Test
  void aMarkedShardRejoinedIsStillDone() throws IOException {
    ShardLedger.join(store, new Shard(0, 2), plan(2, "a")).markDone(new ShardPlan(4, 1, 2).range(0));
    assertTrue(ShardLedger.join(store, new Shard(0, 2), plan(2, "a")).isDone(0));
  }

  @Test
  void anotherShardCountIsRefused() throws IOException {
    ShardLedger.join(store, new Shard(0, 4), plan(4, "a"));
    IOException e = assertThrows(IOException.class, () -> ShardLedger.join(store, new Shard(1, 3), plan(3, "a")));
    assertEquals("cannot write shard 1/3: the store is being written as 4 shards, not 3; run every worker with "
        + "--shard I/4, or write to a new store (path=" + store + ")", e.getMessage());
  }

  @Test
  void otherInputsAreRefusedNamingTheDifference() throws IOException {
    ShardLedger.join(store, new Shard(0, 2), plan(2, "a"));
    IOException e = assertThrows(IOException.class, () -> ShardLedger.join(store, new Shard(1, 2), plan(2, "b")));
    assertEquals("cannot write shard 1/2: the store was planned from other inputs or options (store has "
        + "\"input\": \"a\", this worker has \"input\": \"b\"); give every worker the same arguments, or write to a "
        + "new store (path=" + store.resolve(".tensorslab/shards/plan.json") + ")", e.getMessage());
  }

  @Test
  void markersOfAnotherCountAreRefusedEvenWithAMatchingPlan() throws IOException {
    ShardLedger.join(store, new Shard(0, 2), plan(2, "a")).markDone(new ShardPlan(4, 1, 2).range(0));
    // the plan was replaced by hand, the markers stayed
    Files.writeString(store.resolve(".tensorslab/shards/plan.json"), plan(3, "a"));
    IOException e = assertThrows(IOException.class, () -> ShardLedger.join(store, new Shard(0, 3), plan(3, "a")));
    assertTrue(e.getMessage().startsWith("cannot write shard 0/3: the store holds markers of 2 shards"), e.getMessage());
  }

  @Test
  void statusOfADirectoryWithoutLedgerSaysWhy() {
    IOException e = assertThrows(IOException.class, () -> ShardLedger.status(store));
    assertTrue(e.getMessage().startsWith("no shard ledger in this directory"), e.getMessage());
  }

  @Test
  void workersJoiningAtOnceAgreeOnOnePlan() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<ShardLedger>> joins = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        int index = i;
        joins.add(pool.submit(() -> ShardLedger.join(store, new Shard(index, 8), plan(8, "a"))));
      }
      for (Future<ShardLedger> j : joins) {
        j.get();
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(plan(8, "a"), Files.readString(store.resolve(".tensorslab/shards/plan.json")));
  }
}

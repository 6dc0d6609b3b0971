package io.tensorslab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tensorslab.shard.Shard;
import io.tensorslab.shard.ShardLedger;
import io.tensorslab.shard.ShardPlan;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tensorslab status DIR}: the shards' markers as a person and a script read them. */
class CliStatusTest {

  @TempDir
  Path store;

  private static final String PLAN = "{\n  \"shards\": 6\n}\n";

  @Test
  void listsCompleteAndMissingShardsAndExitsThreeUntilTheStoreIsComplete() throws IOException {
    ShardPlan plan = new ShardPlan(60, 10, 6);
    for (int i : List.of(0, 1, 2, 4)) {
      ShardLedger.join(store, new Shard(i, 6), PLAN).markDone(plan.range(i));
    }
    RunCli r = RunCli.run("status", store.toString());
    assertEquals(StatusCommand.EXIT_INCOMPLETE, r.code(), r.err());
    assertEquals(List.of("store:     " + store, "shards:    4 of 6 complete", "complete:  0-2, 4", "missing:   3, 5",
        "store:     incomplete (no final metadata: readers see no array yet)"), r.out().lines().toList());

    for (int i : List.of(3, 5)) {
      ShardLedger.join(store, new Shard(i, 6), PLAN).markDone(plan.range(i));
    }
    r = RunCli.run("status", store.toString());
    assertEquals(StatusCommand.EXIT_INCOMPLETE, r.code());
    assertEquals("store:     all shards complete, final metadata not yet written (rerun any shard to write it)",
        r.out().lines().toList().getLast());

    ShardLedger.join(store, new Shard(0, 6), PLAN).markComplete();
    r = RunCli.run("status", store.toString());
    assertEquals(0, r.code(), r.err());
    assertEquals("complete:  0-5", r.out().lines().toList().get(2));
    assertEquals("store:     complete (final metadata written)", r.out().lines().toList().getLast());
  }

  @Test
  void aDirectoryWithoutLedgerIsOneLineAndExitOne() {
    RunCli.run("status", store.toString()).assertFails(1, "no shard ledger in this directory",
        "path=" + store.resolve(".tensorslab/shards/plan.json"));
  }
}

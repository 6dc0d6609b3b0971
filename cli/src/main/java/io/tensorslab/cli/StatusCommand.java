package io.tensorslab.cli;

import io.tensorslab.cli.args.Command;
import io.tensorslab.cli.args.CommandSpec;
import io.tensorslab.cli.args.Converter;
import io.tensorslab.shard.Shard;
import io.tensorslab.shard.ShardLedger;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;

/** {@code tensorslab status DIR}: which shards of a store written with {@code convert --shard I/N} are complete. */
final class StatusCommand extends Command {

  /** Exit code of a store that is not complete yet: not a failure, a state scripts wait on. */
  static final int EXIT_INCOMPLETE = 3;

  // Set from the arguments as spec() declares them; a default is the field's initial value.
  Path dir;

  @Override
  protected CommandSpec spec() {
    return new CommandSpec("Shows which shards of a 'convert --shard' store are complete.",
        "Shows which shards of a store written by 'convert --shard I/N' workers are complete, "
        + "and whether the store is (final metadata written, readable by zarr-python, Dask, tensorstore).")
        .positional("DIR", Converter.PATH, v -> dir = v, "The store (convert's --out).")
        .footer("", "Exit codes: 0 store complete, 3 shards still missing or final metadata not yet written, "
            + "1 no shard ledger in DIR (one line on stderr), 2 usage error.");
  }

  @Override
  public Integer call() throws Exception {
    ShardLedger.Status s = ShardLedger.status(dir);
    PrintWriter out = stdout();
    out.println("store:     " + dir);
    out.println("shards:    " + s.done().size() + " of " + s.shards() + " complete");
    out.println("complete:  " + ranges(s.done()));
    out.println("missing:   " + ranges(s.missing()));
    out.println("store:     " + (s.complete() ? "complete (final metadata written)"
        : s.missing().isEmpty() ? "all shards complete, final metadata not yet written (rerun any shard to write it)"
        : "incomplete (no final metadata: readers see no array yet)"));
    out.flush();
    return s.complete() ? 0 : EXIT_INCOMPLETE;
  }

  /** {@code 0-3, 5, 7-9}: shard indexes folded into runs, "none" for none. */
  static String ranges(List<Integer> indexes) {
    return Shard.ranges(indexes);
  }

}

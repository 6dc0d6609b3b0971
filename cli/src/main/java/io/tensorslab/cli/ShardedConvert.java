package io.tensorslab.cli;

import io.tensorslab.shard.Shard;
import io.tensorslab.shard.ShardConversion;
import io.tensorslab.shard.ShardLedger;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/**
 * {@code convert --shard} as three steps for an engine that schedules the shards itself (the Spark
 * job in the {@code spark} module): {@link #prepare} on the driver checks the arguments and creates
 * the store's ledger, {@link #runShard} runs one shard in a task without finishing the store, and
 * {@link #finish} on the driver checks that every shard is done and writes the final metadata.
 * Each step parses the same {@code convert} arguments, exactly as the command does.
 *
 * <p>Errors come back as the command's one line and exit code; a failed shard throws
 * {@link ShardFailedException} carrying that line, which the engine reports (and retries).
 */
public final class ShardedConvert {

  /** Exit code of a failure. */
  public static final int EXIT_FAILURE = TensorSlabCommand.EXIT_FAILURE;
  /** Exit code of a usage error. */
  public static final int EXIT_USAGE = TensorSlabCommand.EXIT_USAGE;

  private ShardedConvert() {}

  /** A step's result: exit code (0 ok) and one line for the user. */
  public record Outcome(int code, String message) {}

  /** A shard that failed: the message is the command's one line (file, record, feature, path). */
  public static final class ShardFailedException extends Exception {
    private static final long serialVersionUID = 1L;

    public ShardFailedException(String message) {
      super(message);
    }
  }

  /** The parsed arguments of one step: the command object and its job. */
  private record Parsed(ConvertCommand command, ShardConversion.Job job) {}

  private static Parsed parse(List<String> convertArgs, int shards) throws Exception {
    List<String> args = new ArrayList<>(convertArgs);
    args.add("--shard");
    args.add("0/" + shards);
    ConvertCommand command = new ConvertCommand();
    CommandLine cl = new CommandLine(command);
    cl.setOut(new PrintWriter(new StringWriter()));
    cl.setErr(new PrintWriter(new StringWriter()));
    cl.parseArgs(args.toArray(String[]::new));
    return new Parsed(command, command.shardJob(command.checkUsage()));
  }

  /** The one-line form of a failure, as the command prints it; the exit code beside it. */
  private static Outcome failed(Exception e) {
    if (e instanceof ParameterException pe) {
      return new Outcome(EXIT_USAGE, "convert: " + TensorSlabCommand.oneLine(pe.getMessage()));
    }
    return new Outcome(EXIT_FAILURE, "convert: " + TensorSlabCommand.oneLine(Failures.describe(e)));
  }

  /** Checks the arguments, plans {@code shards} shards and creates (or checks) the store's ledger. */
  public static Outcome prepare(List<String> convertArgs, int shards) {
    try {
      Parsed p = parse(convertArgs, shards);
      ShardConversion.Planned planned = ShardConversion.plan(p.job(), shards);
      java.nio.file.Files.createDirectories(p.job().store());
      ShardLedger.join(p.job().store(), new Shard(0, shards), planned.json());
      return new Outcome(0, planned.plan().rows() + " rows in " + planned.plan().chunks() + " chunks of "
          + planned.plan().chunkRows() + " rows, " + shards + " shards, into " + p.job().store());
    } catch (Exception e) {
      return failed(e);
    }
  }

  /** Runs shard {@code shard} (skipped when already done); leaves the store's metadata to {@link #finish}. */
  public static void runShard(List<String> convertArgs, Shard shard) throws ShardFailedException {
    try {
      Parsed p = parse(convertArgs, shard.count());
      ShardConversion.run(ShardConversion.plan(p.job(), shard.count()), shard, false);
    } catch (Exception e) {
      throw new ShardFailedException("shard " + shard + ": " + failed(e).message());
    }
  }

  /** Writes the store's metadata when every shard is done; a failure naming the missing shards otherwise. */
  public static Outcome finish(List<String> convertArgs, int shards) {
    try {
      Parsed p = parse(convertArgs, shards);
      ShardConversion.Planned planned = ShardConversion.plan(p.job(), shards);
      ShardLedger ledger = ShardLedger.join(p.job().store(), new Shard(0, shards), planned.json());
      if (!ShardConversion.finishIfAllDone(planned, ledger)) {
        ShardLedger.Status s = ShardLedger.status(p.job().store());
        return new Outcome(EXIT_FAILURE, "store incomplete: shards " + StatusCommand.ranges(s.missing()) + " of "
            + shards + " are not done; rerun the job (done shards are skipped) (path=" + p.job().store() + ")");
      }
      return new Outcome(0, "store complete: " + planned.plan().rows() + " rows, " + shards
          + " shards, metadata written (path=" + p.job().store() + ")");
    } catch (Exception e) {
      return failed(e);
    }
  }
}

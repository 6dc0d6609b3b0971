package io.tensorslab.spark;

import io.tensorslab.export.Failures;
import io.tensorslab.export.TfRecordConversion;
import io.tensorslab.shard.ShardLedger;
import io.tensorslab.shard.ShardPlan;
import io.tensorslab.shard.Shard;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.VoidFunction;

/**
 * {@code convert ARGS... --shards N} on Spark: the driver checks the arguments and makes the plan
 * (the store's ledger, {@link TfRecordConversion#prepareShards}), the executors run shard {@code I/N}
 * as task {@code I} (Spark retries a failed task; a retried shard replaces only its own partial
 * chunks), and the driver checks that every shard is complete and writes the store's final metadata
 * ({@link TfRecordConversion#finishShards}). Depends on the core library only.
 *
 * <p>Inputs and output must be on a filesystem every executor sees at the same path. Run here with
 * {@code spark/submit --master 'local[2]' convert ...}; on a cluster with {@code spark-submit
 * --class io.tensorslab.spark.SparkConvert} (docs/scale-out.md).
 *
 * <p>Exit codes as the command's: 0 done, 1 failure (one line on stderr), 2 usage error.
 */
public final class SparkConvert {

  /** Exit code of a failure. */
  static final int EXIT_FAILURE = 1;
  /** Exit code of a usage error. */
  static final int EXIT_USAGE = 2;

  private SparkConvert() {}

  /** A failed shard: the message is the one line (file, record, feature, path). */
  static final class ShardFailedException extends Exception {
    private static final long serialVersionUID = 1L;

    ShardFailedException(String message) {
      super(message);
    }
  }

  /** Runs one shard on an executor; nothing but the argument list travels with the task. */
  static final class RunShard implements VoidFunction<Integer> {
    private static final long serialVersionUID = 1L;
    private final ConvertArguments arguments;

    RunShard(ConvertArguments arguments) {
      this.arguments = arguments;
    }

    @Override
    public void call(Integer index) throws Exception {
      Shard shard = new Shard(index, arguments.shards());
      try {
        // The store's metadata is the driver's to write, once every task is done.
        arguments.conversion().runShard(shard, false);
      } catch (Exception e) {
        throw new ShardFailedException("shard " + shard + ": convert: " + Failures.oneLine(Failures.describe(e)));
      }
    }
  }

  /** Entry point for spark/submit and spark-submit. */
  public static void main(String[] args) {
    System.exit(run(args, new SparkConf(), System.out, System.err));
  }

  /**
   * Runs the whole job; the Spark master comes from {@code conf} (spark-submit's {@code --master},
   * or {@code -Dspark.master}).
   *
   * @return the exit code
   */
  public static int run(String[] args, SparkConf conf, PrintStream out, PrintStream err) {
    ConvertArguments a;
    TfRecordConversion conversion;
    ShardPlan plan;
    try {
      a = ConvertArguments.parse(args);
      conversion = a.conversion();
      plan = conversion.prepareShards(a.shards());
      out.println("tensorslab spark: " + plan.rows() + " rows in " + plan.chunks() + " chunks of " + plan.chunkRows()
          + " rows, " + a.shards() + " shards, into " + conversion.directory());
    } catch (IllegalArgumentException e) {
      err.println("tensorslab spark: " + Failures.oneLine(e.getMessage()) + " (see docs/scale-out.md)");
      return EXIT_USAGE;
    } catch (Exception e) {
      err.println("tensorslab spark: convert: " + Failures.oneLine(Failures.describe(e)));
      return EXIT_FAILURE;
    }
    conf.setIfMissing("spark.app.name", "tensorslab convert");
    List<Integer> shards = IntStream.range(0, a.shards()).boxed().toList();
    String failure = null;
    try (JavaSparkContext sc = new JavaSparkContext(conf)) {
      // One partition per shard: task I runs shard I/N, and Spark's retries rerun exactly one shard.
      sc.parallelize(shards, a.shards()).foreach(new RunShard(a));
    } catch (Exception e) {
      // Spark (Scala) throws SparkException undeclared: a stage failure after the task's retries.
      failure = firstLine(e);
    }
    // Whatever Spark said, the ledger in the store is the truth about which shards are complete.
    Path store = conversion.directory();
    try {
      if (!conversion.finishShards(a.shards())) {
        ShardLedger.Status s = ShardLedger.status(store);
        err.println("tensorslab spark: store incomplete: shards " + Shard.ranges(s.missing()) + " of " + a.shards()
            + " are not done; rerun the job (done shards are skipped) (path=" + store + ")"
            + (failure == null ? "" : "; Spark: " + failure));
        return EXIT_FAILURE;
      }
    } catch (Exception e) {
      err.println("tensorslab spark: convert: " + Failures.oneLine(Failures.describe(e))
          + (failure == null ? "" : "; Spark: " + failure));
      return EXIT_FAILURE;
    }
    out.println("tensorslab spark: store complete: " + plan.rows() + " rows, " + a.shards()
        + " shards, metadata written (path=" + store + ")");
    return 0;
  }

  /** The root cause's message: Spark wraps an executor's exception into a multi-line stage failure. */
  private static String firstLine(Throwable e) {
    String m = e.getMessage() == null ? e.getClass().getName() : e.getMessage();
    for (String line : m.split("\n")) {
      int at = line.indexOf("ShardFailedException: ");
      if (at >= 0) {
        return line.substring(at + "ShardFailedException: ".length()).strip();
      }
    }
    return m.lines().findFirst().orElse(m).strip();
  }
}

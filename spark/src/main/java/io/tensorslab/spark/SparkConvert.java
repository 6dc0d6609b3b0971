package io.tensorslab.spark;

import io.tensorslab.cli.ShardedConvert;
import io.tensorslab.shard.Shard;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.VoidFunction;

/**
 * {@code convert ARGS... --shards N} on Spark: the driver checks the arguments and makes the plan
 * (the store's ledger, {@link ShardedConvert#prepare}), the executors run shard {@code I/N} as task
 * {@code I} (Spark retries a failed task; a retried shard replaces only its own partial chunks),
 * and the driver checks that every shard is complete and writes the store's final metadata.
 *
 * <p>Inputs and output must be on a filesystem every executor sees at the same path. Run here with
 * {@code spark/submit --master 'local[2]' convert ...}; on a cluster with {@code spark-submit
 * --class io.tensorslab.spark.SparkConvert} (docs/scale-out.md).
 *
 * <p>Exit codes as the command's: 0 done, 1 failure (one line on stderr), 2 usage error.
 */
public final class SparkConvert {

  private SparkConvert() {}

  /** The convert arguments without {@code --shards N}, and N. */
  record Arguments(List<String> convertArgs, int shards) {

    static Arguments parse(String[] args) {
      if (args.length == 0 || !args[0].equals("convert")) {
        throw new IllegalArgumentException("expected: convert ARGS... --shards N (the arguments of "
            + "'tensorslab convert' with --format zarr or zarr3, plus the number of shards)");
      }
      List<String> rest = new ArrayList<>();
      Integer shards = null;
      for (int i = 1; i < args.length; i++) {
        String a = args[i];
        String value = null;
        if (a.equals("--shards")) {
          if (i + 1 == args.length) {
            throw new IllegalArgumentException("Missing value for option '--shards': expected N >= 1");
          }
          value = args[++i];
        } else if (a.startsWith("--shards=")) {
          value = a.substring("--shards=".length());
        } else if (a.equals("--shard") || a.startsWith("--shard=")) {
          throw new IllegalArgumentException("option '--shard' is set by the job for each task; give --shards N");
        } else {
          rest.add(a);
          continue;
        }
        try {
          shards = Integer.parseInt(value);
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("Invalid value for option '--shards': '" + value + "' is not an integer");
        }
        if (shards < 1 || shards > Shard.MAX_COUNT) {
          throw new IllegalArgumentException("Invalid value for option '--shards': must be 1.." + Shard.MAX_COUNT
              + ", got " + shards);
        }
      }
      if (shards == null) {
        throw new IllegalArgumentException("Missing required option: '--shards=N'");
      }
      return new Arguments(List.copyOf(rest), shards);
    }
  }

  /** Runs one shard on an executor; nothing but the argument list travels with the task. */
  static final class RunShard implements VoidFunction<Integer> {
    private static final long serialVersionUID = 1L;
    private final ArrayList<String> convertArgs;
    private final int shards;

    RunShard(List<String> convertArgs, int shards) {
      this.convertArgs = new ArrayList<>(convertArgs);
      this.shards = shards;
    }

    @Override
    public void call(Integer index) throws Exception {
      ShardedConvert.runShard(convertArgs, new Shard(index, shards));
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
    Arguments a;
    try {
      a = Arguments.parse(args);
    } catch (IllegalArgumentException e) {
      err.println("tensorslab spark: " + e.getMessage() + " (see docs/scale-out.md)");
      return ShardedConvert.EXIT_USAGE;
    }
    ShardedConvert.Outcome prepared = ShardedConvert.prepare(a.convertArgs(), a.shards());
    if (prepared.code() != 0) {
      err.println("tensorslab spark: " + prepared.message());
      return prepared.code();
    }
    out.println("tensorslab spark: " + prepared.message());
    conf.setIfMissing("spark.app.name", "tensorslab convert");
    List<Integer> shards = IntStream.range(0, a.shards()).boxed().toList();
    String failure = null;
    try (JavaSparkContext sc = new JavaSparkContext(conf)) {
      // One partition per shard: task I runs shard I/N, and Spark's retries rerun exactly one shard.
      sc.parallelize(shards, a.shards()).foreach(new RunShard(a.convertArgs(), a.shards()));
    } catch (Exception e) {
      // Spark (Scala) throws SparkException undeclared: a stage failure after the task's retries.
      failure = firstLine(e);
    }
    // Whatever Spark said, the ledger in the store is the truth about which shards are complete.
    ShardedConvert.Outcome finished = ShardedConvert.finish(a.convertArgs(), a.shards());
    if (finished.code() != 0) {
      err.println("tensorslab spark: " + finished.message() + (failure == null ? "" : "; Spark: " + failure));
      return finished.code();
    }
    out.println("tensorslab spark: " + finished.message());
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

package io.tensorslab.spark;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every option the Spark job refuses is one usage error naming it, before Spark starts: the job
 * parses the convert options itself (it depends on the core library only, not the command).
 */
class ConvertArgumentsTest {

  @TempDir
  Path dir;

  private static String fixture() throws URISyntaxException {
    return Path.of(ConvertArgumentsTest.class.getResource("/fixtures/part-0.tfrecord").toURI()).toString();
  }

  /** {@code convert} with the given options after a valid base, plus {@code --shards 2}. */
  private List<String> args(String extra) throws URISyntaxException {
    List<String> args = new ArrayList<>(List.of("convert", "--tfrecord", fixture(), "--feature", "x:float32:4",
        "--format", "zarr", "--out", dir.resolve("store").toString()));
    if (!extra.isEmpty()) {
      args.addAll(List.of(extra.split(" ")));
    }
    args.addAll(List.of("--shards", "2"));
    return args;
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "--overwrite x | option '--overwrite' is not one the Spark job takes",
      "--engine native | option '--engine' is not one the Spark job takes",
      "--varlen wide | Invalid value for option '--varlen': expected ragged or pad, got 'wide'",
      "--limit ten | Invalid value for option '--limit': 'ten'",
      "--threads 0 | threads must be at least 1, got 0",
      "--compression lz4 | Invalid value for option '--compression': 'lz4'",
      "--chunks-per-file 2 | --chunks-per-file 2 needs --format zarr3 (Zarr v2 has one file per chunk)",
      "--codec brotli | --codec: ",
      "--no-sync=yes | option '--no-sync' takes no value",
      "--pad-value 1 | pad values apply only with VarLen.PAD",
      "--feature t:int64:* --varlen pad --pad-value x | pad value 'x' is not a int64 value, as feature 't' needs",
  })
  void aRefusedOptionIsOneUsageErrorNamingIt(String extra, String message) throws Exception {
    ConvertArguments a = ConvertArguments.parse(args(extra.strip()).toArray(String[]::new));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, a::conversion);
    assertTrue(e.getMessage().startsWith(message.strip()), e.getMessage());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "--tfrecord | Missing required option: '--tfrecord=INPUT'",
      "--out | Missing required option: '--out=DIR'",
      "--feature | the Spark job needs the features given with '--feature'",
  })
  void aMissingOptionIsNamed(String dropped, String message) throws Exception {
    List<String> args = args("");
    int at = args.indexOf(dropped.strip());
    args.remove(at + 1);
    args.remove(at);
    ConvertArguments a = ConvertArguments.parse(args.toArray(String[]::new));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, a::conversion);
    assertTrue(e.getMessage().startsWith(message.strip()), e.getMessage());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "--shards 0 | Invalid value for option '--shards': must be 1..",
      "--shards x | Invalid value for option '--shards': 'x' is not an integer",
      "--shards | Missing value for option '--shards': expected N >= 1",
  })
  void aBadShardCountIsNamed(String shards, String message) {
    List<String> args = new ArrayList<>(List.of("convert", "--tfrecord", "a.tfrecord"));
    args.addAll(List.of(shards.strip().split(" ")));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ConvertArguments.parse(args.toArray(String[]::new)));
    assertTrue(e.getMessage().startsWith(message.strip()), e.getMessage());
  }
}

package io.tensorslab.spark;

import io.tensorslab.export.TfRecordConversion;
import io.tensorslab.shard.Shard;
import io.tensorslab.store.StoreFormat;
import io.tensorslab.store.StoreFormats;
import io.tensorslab.tfrecord.FeatureSpec;
import io.tensorslab.tfrecord.TfRecordCompression;
import io.tensorslab.tfrecord.TfRecordInputs;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The arguments of {@code convert ... --shards N} as the Spark job takes them: the options of
 * {@code tensorslab convert} that shape a sharded store (docs/scale-out.md), parsed without the
 * command's parser (the job depends on the core library only), plus the shard count. Only the
 * argument list travels to the executors; each parses it into the same {@link TfRecordConversion}.
 */
record ConvertArguments(List<String> args, int shards) implements Serializable {

  /** A usage error: the message names the option. */
  static final class UsageException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message);
    }
  }

  /** Splits {@code convert ARGS... --shards N} into the convert options and N. */
  static ConvertArguments parse(String[] argv) {
    if (argv.length == 0 || !argv[0].equals("convert")) {
      throw new UsageException("expected: convert ARGS... --shards N (the arguments of 'tensorslab convert' with "
          + "--format zarr or zarr3, plus the number of shards)");
    }
    List<String> rest = new ArrayList<>();
    Integer shards = null;
    for (int i = 1; i < argv.length; i++) {
      String a = argv[i];
      String value;
      if (a.equals("--shards")) {
        if (i + 1 == argv.length) {
          throw new UsageException("Missing value for option '--shards': expected N >= 1");
        }
        value = argv[++i];
      } else if (a.startsWith("--shards=")) {
        value = a.substring("--shards=".length());
      } else if (a.equals("--shard") || a.startsWith("--shard=")) {
        throw new UsageException("option '--shard' is set by the job for each task; give --shards N");
      } else {
        rest.add(a);
        continue;
      }
      try {
        shards = Integer.parseInt(value);
      } catch (NumberFormatException e) {
        throw new UsageException("Invalid value for option '--shards': '" + value + "' is not an integer");
      }
      if (shards < 1 || shards > Shard.MAX_COUNT) {
        throw new UsageException("Invalid value for option '--shards': must be 1.." + Shard.MAX_COUNT + ", got "
            + shards);
      }
    }
    if (shards == null) {
      throw new UsageException("Missing required option: '--shards=N'");
    }
    return new ConvertArguments(List.copyOf(rest), shards);
  }

  /**
   * The conversion the options describe; a usage error names the option. Options of the command that
   * do not apply to shards ({@code --overwrite}, {@code --engine tensorflow}, ...) are refused here or
   * by the conversion.
   */
  TfRecordConversion conversion() throws IOException {
    List<String> inputs = new ArrayList<>();
    List<String> featureTexts = new ArrayList<>();
    TfRecordConversion.Builder b = TfRecordConversion.builder();
    String format = "npy";
    String codec = null;
    Long chunkRows = null;
    Integer chunksPerFile = null;
    Path out = null;
    String varLen = "ragged";
    String padValue = null;
    for (int i = 0; i < args.size(); i++) {
      String option = args.get(i);
      String value = null;
      int eq = option.indexOf('=');
      if (option.startsWith("--") && eq > 0) {
        value = option.substring(eq + 1);
        option = option.substring(0, eq);
      }
      if (option.equals("--no-sync") || option.equals("--quiet")) {
        if (value != null) {
          throw new UsageException("option '" + option + "' takes no value");
        }
        if (option.equals("--no-sync")) {
          b.durable(false);
        }
        continue;
      }
      if (value == null) {
        if (i + 1 == args.size()) {
          throw new UsageException("Missing value for option '" + option + "'");
        }
        value = args.get(++i);
      }
      switch (option) {
        case "--tfrecord" -> inputs.addAll(List.of(value.split(",")));
        case "--feature" -> featureTexts.add(value);
        case "--compression" -> b.compression(parse(option, value, TfRecordCompression::parse));
        case "--limit" -> b.limit(parse(option, value, Long::parseLong));
        case "--threads" -> b.threads(parse(option, value, Integer::parseInt));
        case "--varlen" -> varLen = value;
        case "--pad-value" -> padValue = value;
        case "--out" -> out = Path.of(value);
        case "--format" -> format = value;
        case "--codec" -> codec = value;
        case "--chunk-rows" -> chunkRows = parse(option, value, Long::parseLong);
        case "--chunks-per-file" -> chunksPerFile = parse(option, value, Integer::parseInt);
        default -> throw new UsageException("option '" + option + "' is not one the Spark job takes (it takes "
            + "--tfrecord, --compression, --feature, --limit, --threads, --varlen, --pad-value, --out, --format, "
            + "--chunk-rows, --codec, --chunks-per-file, --no-sync, --quiet)");
      }
    }
    if (inputs.isEmpty()) {
      throw new UsageException("Missing required option: '--tfrecord=INPUT'");
    }
    if (out == null) {
      throw new UsageException("Missing required option: '--out=DIR'");
    }
    if (featureTexts.isEmpty()) {
      // Every worker must use one schema; inferring it would scan every input in every task.
      throw new UsageException("the Spark job needs the features given with '--feature': run 'tensorslab inspect' "
          + "on the inputs once and pass the --feature list it prints");
    }
    StoreFormat storeFormat = StoreFormats.fromOptions(format, chunkRows, codec, chunksPerFile);
    b.format(storeFormat).to(out).features(FeatureSpec.parseAll(featureTexts)).engine(TfRecordConversion.Engine.NATIVE)
        .varLen(switch (varLen) {
          case "ragged" -> TfRecordConversion.VarLen.RAGGED;
          case "pad" -> TfRecordConversion.VarLen.PAD;
          default -> throw new UsageException("Invalid value for option '--varlen': expected ragged or pad, got '"
              + varLen + "'");
        });
    if (padValue != null) {
      b.padValue(padValue);
    }
    b.inputs(TfRecordInputs.expand(inputs));
    return b.build();
  }

  private interface Parser<T> {
    T parse(String text);
  }

  private static <T> T parse(String option, String value, Parser<T> parser) {
    try {
      return parser.parse(value);
    } catch (IllegalArgumentException e) {
      throw new UsageException("Invalid value for option '" + option + "': '" + value + "'");
    }
  }
}

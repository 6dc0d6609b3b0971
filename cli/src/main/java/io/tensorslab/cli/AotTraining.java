package io.tensorslab.cli;

import io.tensorslab.tfrecord.TfRecordReader;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/**
 * The training run behind the launcher's ahead-of-time cache (JDK 25 {@code -XX:AOTCacheOutput}):
 * a few typical native-engine commands on a small synthetic TFRecord (inspect; converts to
 * {@code .npy} and Zarr), so that the cache holds the classes they load and the method profiles
 * they make, and later runs compile the reader's hot loops at once instead of after thousands of
 * interpreted records. The commands and their outputs live in a temporary directory that is
 * removed at the end.
 *
 * <p>Nothing here loads TensorFlow: every class the training loads is loaded and linked at every
 * start, whatever the command. With a TensorFlow-engine convert in the training the cache held
 * ~900 more classes (TF Java, protobuf, JavaCPP): 33 MB instead of 23 MB, mapped into every
 * process, for commands that then spend seconds loading TensorFlow's native library anyway.
 *
 * <pre>
 *   java -XX:AOTCacheOutput=tensorslab.aot -cp ... io.tensorslab.cli.AotTraining
 * </pre>
 *
 * Exit 0 when every command succeeded; otherwise the launcher keeps no cache and starts as before.
 */
public final class AotTraining {
  private static final int RECORDS = 40_000;
  private static final int WIDTH = 256;

  private AotTraining() {}

  public static void main(String[] args) throws IOException {
    Path dir = Files.createTempDirectory("tensorslab-aot-training");
    int failures = 0;
    try {
      Path input = dir.resolve("train.tfrecord");
      writeInput(input);
      String in = input.toString();
      List<String[]> commands = List.of(
          new String[] {"inspect", in},
          new String[] {"convert", "--tfrecord", in, "--out", dir.resolve("ragged").toString(), "--quiet"},
          new String[] {"convert", "--tfrecord", in, "--feature", "img:float32:" + WIDTH, "--feature", "label:int64:",
              "--feature", "tokens:int64:*", "--feature", "id:bytes:", "--varlen", "pad", "--no-sync",
              "--out", dir.resolve("padded").toString(), "--quiet"},
          new String[] {"inspect", dir.resolve("padded").resolve("img.npy").toString()},
          // Fixed features of one file on two threads: the walk-ahead plan, which the default
          // thread count takes on a 2-core machine; here whatever the machine's.
          new String[] {"convert", "--tfrecord", in, "--feature", "img:float32:" + WIDTH, "--feature", "label:int64:",
              "--threads", "2", "--no-sync", "--out", dir.resolve("fixed").toString(), "--quiet"},
          new String[] {"convert", "--tfrecord", in, "--feature", "img:float32:" + WIDTH, "--feature", "label:int64:",
              "--format", "zarr3", "--codec", "zstd", "--chunk-rows", "4096", "--no-sync",
              "--out", dir.resolve("zarr").toString(), "--quiet"});
      for (String[] command : commands) {
        StringWriter text = new StringWriter();
        PrintWriter sink = new PrintWriter(text);
        int code = TensorSlabCommand.commandLine(sink, sink).execute(command);
        if (code != 0) {
          failures++;
          System.err.println("training command failed (exit " + code + "): " + String.join(" ", command) + "\n" + text);
        }
      }
    } finally {
      deleteTree(dir);
    }
    System.exit(failures == 0 ? 0 : 1);
  }

  /**
   * Records like a real dataset's: a float image row, an int64 label, a variable token list, a string
   * id. Encoded here rather than with TensorFlow's protobuf classes, which the native commands never
   * load: whatever the training loads, the cache loads at every start.
   */
  private static void writeInput(Path path) throws IOException {
    Random rnd = new Random(1);
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(path), 1 << 20)) {
      for (int i = 0; i < RECORDS; i++) {
        ByteBuffer img = ByteBuffer.allocate(4 * WIDTH).order(ByteOrder.LITTLE_ENDIAN);
        for (int j = 0; j < WIDTH; j++) {
          img.putFloat(rnd.nextFloat());
        }
        ProtoBytes tokens = new ProtoBytes();
        for (int j = rnd.nextInt(12); j > 0; j--) {
          tokens.varint(rnd.nextInt(50_000));
        }
        ProtoBytes features = new ProtoBytes()
            .feature("img", 2, new ProtoBytes().field(1, img.array()))
            .feature("label", 3, new ProtoBytes().field(1, new ProtoBytes().varint(i % 10).bytes()))
            .feature("tokens", 3, new ProtoBytes().field(1, tokens.bytes()))
            .feature("id", 1, new ProtoBytes().field(1, ("record-" + i).getBytes(StandardCharsets.UTF_8)));
        byte[] record = new ProtoBytes().field(1, features.bytes()).bytes(); // Example.features
        byte[] head = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putLong(record.length).array();
        ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN).putInt(8, TfRecordReader.maskedCrc32c(head, 8));
        out.write(head);
        out.write(record);
        out.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN)
            .putInt(TfRecordReader.maskedCrc32c(record, record.length)).array());
      }
    }
  }

  /** The protobuf wire format, as much of it as a {@code tf.train.Example} needs. */
  private static final class ProtoBytes {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    ProtoBytes varint(long v) {
      while ((v & ~0x7FL) != 0) {
        bytes.write((int) (v & 0x7F) | 0x80);
        v >>>= 7;
      }
      bytes.write((int) v);
      return this;
    }

    /** A length-delimited field. */
    ProtoBytes field(int number, byte[] value) {
      varint(number << 3 | 2);
      varint(value.length);
      bytes.writeBytes(value);
      return this;
    }

    /**
     * One entry of {@code Features.feature}: key, then a {@code Feature} whose list (bytes_list 1,
     * float_list 2, int64_list 3) is {@code list}.
     */
    ProtoBytes feature(String key, int listField, ProtoBytes list) {
      byte[] feature = new ProtoBytes().field(listField, list.bytes()).bytes();
      return field(1, new ProtoBytes().field(1, key.getBytes(StandardCharsets.UTF_8)).field(2, feature).bytes());
    }

    byte[] bytes() {
      return bytes.toByteArray();
    }
  }

  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> walk = Files.walk(root)) {
      List<Path> all = new ArrayList<>(walk.sorted(Comparator.reverseOrder()).toList());
      for (Path p : all) {
        Files.deleteIfExists(p);
      }
    }
  }
}

package io.tensorslab.cli;

import io.tensorslab.tfrecord.TfRecordReader;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.tensorflow.proto.BytesList;
import org.tensorflow.proto.Example;
import org.tensorflow.proto.Feature;
import org.tensorflow.proto.Features;
import org.tensorflow.proto.FloatList;
import org.tensorflow.proto.Int64List;

/**
 * The training run behind the launcher's ahead-of-time cache (JDK 25 {@code -XX:AOTCacheOutput}):
 * a few typical commands on a small synthetic TFRecord (inspect; native converts to {@code .npy} and
 * Zarr; a TensorFlow-engine convert), so that the cache holds the classes they
 * load and the method profiles they make, and later runs compile the reader's hot loops at once
 * instead of after thousands of interpreted records. The commands and their outputs live in a
 * temporary directory that is removed at the end.
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
          new String[] {"convert", "--tfrecord", in, "--feature", "img:float32:" + WIDTH, "--feature", "label:int64:",
              "--format", "zarr3", "--codec", "zstd", "--chunk-rows", "4096", "--no-sync",
              "--out", dir.resolve("zarr").toString(), "--quiet"},
          new String[] {"convert", "--tfrecord", in, "--feature", "img:float32:" + WIDTH, "--feature", "label:int64:",
              "--engine", "tensorflow", "--limit", "2000", "--out", dir.resolve("tf").toString(), "--quiet"});
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

  /** Records like a real dataset's: a float image row, an int64 label, a variable token list, a string id. */
  private static void writeInput(Path path) throws IOException {
    Random rnd = new Random(1);
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(path), 1 << 20)) {
      for (int i = 0; i < RECORDS; i++) {
        FloatList.Builder img = FloatList.newBuilder();
        for (int j = 0; j < WIDTH; j++) {
          img.addValue(rnd.nextFloat());
        }
        Int64List.Builder tokens = Int64List.newBuilder();
        for (int j = rnd.nextInt(12); j > 0; j--) {
          tokens.addValue(rnd.nextInt(50_000));
        }
        byte[] record = Example.newBuilder().setFeatures(Features.newBuilder()
            .putFeature("img", Feature.newBuilder().setFloatList(img).build())
            .putFeature("label", Feature.newBuilder().setInt64List(Int64List.newBuilder().addValue(i % 10)).build())
            .putFeature("tokens", Feature.newBuilder().setInt64List(tokens).build())
            .putFeature("id", Feature.newBuilder().setBytesList(BytesList.newBuilder()
                .addValue(com.google.protobuf.ByteString.copyFromUtf8("record-" + i))).build()))
            .build().toByteArray();
        byte[] head = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putLong(record.length).array();
        ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN).putInt(8, TfRecordReader.maskedCrc32c(head, 8));
        out.write(head);
        out.write(record);
        out.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN)
            .putInt(TfRecordReader.maskedCrc32c(record, record.length)).array());
      }
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

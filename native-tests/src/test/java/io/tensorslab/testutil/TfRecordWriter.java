package io.tensorslab.testutil;

import com.google.protobuf.ByteString;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPOutputStream;
import org.tensorflow.proto.BytesList;
import org.tensorflow.proto.Example;
import org.tensorflow.proto.Feature;
import org.tensorflow.proto.Features;
import org.tensorflow.proto.FloatList;
import org.tensorflow.proto.Int64List;

/**
 * Writes TFRecord files byte for byte as TensorFlow's {@code RecordWriter} does, so tests need
 * neither Python nor TensorFlow's writer ops.
 *
 * <p>Framing per record: {@code uint64} little-endian length, masked CRC-32C of those 8 bytes, the
 * bytes, masked CRC-32C of the bytes. Compression wraps the whole framed stream (TensorFlow
 * compresses the stream, not each record). Records are usually {@code tf.train.Example} protos
 * made with {@link #example()}.
 *
 * {@snippet :
 * Path p = dir.resolve("a.tfrecord");
 * TfRecordWriter.write(p, TfRecordWriter.Compression.GZIP, List.of(
 *     TfRecordWriter.example().floats("x", 1f, 2f).int64s("label", 7).build().toByteArray()));
 * }
 */
public final class TfRecordWriter {

  /** How the framed stream is stored, as TensorFlow's {@code compression_type} names it. */
  public enum Compression { NONE, GZIP, ZLIB }

  private static final int MASK_DELTA = 0xa282ead8;

  private TfRecordWriter() {}

  /** TensorFlow's masked CRC-32C ({@code crc32c::Mask}): rotate right by 15, add a constant. */
  public static int maskedCrc32c(byte[] bytes, int offset, int length) {
    CRC32C crc = new CRC32C();
    crc.update(bytes, offset, length);
    int c = (int) crc.getValue();
    return ((c >>> 15) | (c << 17)) + MASK_DELTA;
  }

  /** The framed, uncompressed bytes of the given records. */
  public static byte[] frame(List<byte[]> records) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] r : records) {
      ByteBuffer head = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
      head.putLong(r.length);
      head.putInt(maskedCrc32c(head.array(), 0, 8));
      out.writeBytes(head.array());
      out.writeBytes(r);
      out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN)
          .putInt(maskedCrc32c(r, 0, r.length)).array());
    }
    return out.toByteArray();
  }

  /** Byte offset in the framed (uncompressed) stream where record {@code index} starts. */
  public static long recordOffset(List<byte[]> records, int index) {
    long at = 0;
    for (int i = 0; i < index; i++) {
      at += 16L + records.get(i).length;
    }
    return at;
  }

  /** Writes the records, compressed as asked. */
  public static Path write(Path file, Compression compression, List<byte[]> records) {
    return writeFramed(file, compression, frame(records));
  }

  /** Writes already framed bytes (perhaps deliberately damaged), compressed as asked. */
  public static Path writeFramed(Path file, Compression compression, byte[] framed) {
    try (OutputStream raw = Files.newOutputStream(file);
        OutputStream out = switch (compression) {
          case NONE -> raw;
          case GZIP -> new GZIPOutputStream(raw);
          case ZLIB -> new DeflaterOutputStream(raw);
        }) {
      out.write(framed);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return file;
  }

  /**
   * Writes the records with one payload byte of record {@code index} flipped, so that its data CRC
   * no longer matches (the length and its CRC stay intact).
   */
  public static Path writeWithBadDataCrc(Path file, Compression compression, List<byte[]> records, int index) {
    if (records.get(index).length == 0) {
      throw new IllegalArgumentException("record " + index + " is empty; nothing to corrupt");
    }
    byte[] framed = frame(records);
    framed[Math.toIntExact(recordOffset(records, index) + 12)] ^= 0x5a;
    return writeFramed(file, compression, framed);
  }

  /**
   * Writes the records, then cuts the framed stream {@code cut} bytes into record {@code index}
   * (0 &lt; cut &lt; 16 + its length): a file that ends in the middle of a record.
   */
  public static Path writeTruncated(Path file, Compression compression, List<byte[]> records, int index, int cut) {
    byte[] framed = frame(records);
    int end = Math.toIntExact(recordOffset(records, index) + cut);
    return writeFramed(file, compression, java.util.Arrays.copyOf(framed, end));
  }

  /** A builder of one {@code tf.train.Example}, features in insertion order. */
  public static ExampleBuilder example() {
    return new ExampleBuilder();
  }

  /** Builds {@code tf.train.Example} protos with the classes {@code tensorflow-core-api} brings. */
  public static final class ExampleBuilder {
    private final Map<String, Feature> features = new LinkedHashMap<>();

    private ExampleBuilder() {}

    public ExampleBuilder floats(String name, float... values) {
      FloatList.Builder b = FloatList.newBuilder();
      for (float v : values) {
        b.addValue(v);
      }
      features.put(name, Feature.newBuilder().setFloatList(b).build());
      return this;
    }

    public ExampleBuilder int64s(String name, long... values) {
      Int64List.Builder b = Int64List.newBuilder();
      for (long v : values) {
        b.addValue(v);
      }
      features.put(name, Feature.newBuilder().setInt64List(b).build());
      return this;
    }

    public ExampleBuilder bytes(String name, byte[]... values) {
      BytesList.Builder b = BytesList.newBuilder();
      for (byte[] v : values) {
        b.addValue(ByteString.copyFrom(v));
      }
      features.put(name, Feature.newBuilder().setBytesList(b).build());
      return this;
    }

    /** A feature present with no list set at all (TensorFlow treats it as zero values). */
    public ExampleBuilder empty(String name) {
      features.put(name, Feature.getDefaultInstance());
      return this;
    }

    public Example build() {
      return Example.newBuilder().setFeatures(Features.newBuilder().putAllFeature(features)).build();
    }

    /** The serialized proto, one TFRecord record. */
    public byte[] toByteArray() {
      return build().toByteArray();
    }
  }

  /** Serializes each example. */
  public static List<byte[]> serialize(List<Example> examples) {
    List<byte[]> out = new ArrayList<>(examples.size());
    for (Example e : examples) {
      out.add(e.toByteArray());
    }
    return out;
  }
}

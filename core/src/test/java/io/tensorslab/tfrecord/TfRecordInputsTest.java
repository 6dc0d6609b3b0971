package io.tensorslab.tfrecord;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TfRecordInputsTest {

  /** One framed record: length, masked CRC of it, data, masked CRC of the data. */
  static byte[] framed(byte[] data) {
    ByteBuffer b = ByteBuffer.allocate(16 + data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(data.length);
    b.putInt(TfRecordReader.maskedCrc32c(b.array(), 8));
    b.put(data);
    b.putInt(TfRecordReader.maskedCrc32c(data, data.length));
    return b.array();
  }

  private static Path write(Path file, byte[] bytes) throws IOException {
    Files.createDirectories(file.getParent());
    return Files.write(file, bytes);
  }

  private static byte[] compressed(byte[] plain, boolean gzip) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (OutputStream z = gzip ? new GZIPOutputStream(out) : new DeflaterOutputStream(out)) {
      z.write(plain);
    }
    return out.toByteArray();
  }

  @Test
  void globsAreExpandedSortedAndDirectoriesListed(@TempDir Path dir) throws IOException {
    byte[] r = framed(new byte[] {1, 2, 3});
    for (String name : List.of("train-00002-of-00003", "train-00000-of-00003", "train-00001-of-00003", "test-00000-of-00001")) {
      write(dir.resolve("data").resolve(name), r);
    }
    write(dir.resolve("data/.hidden"), r);
    write(dir.resolve("data/dataset_info.json"), "{}".getBytes());
    Files.createDirectory(dir.resolve("data/sub"));
    List<Path> files = TfRecordInputs.expand(List.of(dir + "/data/train-*-of-00003"));
    assertEquals(List.of(dir.resolve("data/train-00000-of-00003"), dir.resolve("data/train-00001-of-00003"),
        dir.resolve("data/train-00002-of-00003")), files);
    List<Path> all = TfRecordInputs.expand(List.of(dir + "/data"));
    assertEquals(List.of(dir.resolve("data/test-00000-of-00001"), dir.resolve("data/train-00000-of-00003"),
        dir.resolve("data/train-00001-of-00003"), dir.resolve("data/train-00002-of-00003")), all,
        "regular files sorted; hidden and .json files and subdirectories skipped");
    assertEquals(List.of(dir.resolve("data/test-00000-of-00001"), dir.resolve("data/train-00001-of-00003")),
        TfRecordInputs.expand(List.of(dir + "/data/test-00000-of-00001", dir + "/d?ta/train-0000[1]-*")));
  }

  @Test
  void badInputsAreNamed(@TempDir Path dir) throws IOException {
    write(dir.resolve("a.tfrecord"), framed(new byte[0]));
    IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
        () -> TfRecordInputs.expand(List.of(dir + "/*.tfrecords")));
    assertEquals("input glob '" + dir + "/*.tfrecords' matches no file", none.getMessage());
    IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
        () -> TfRecordInputs.expand(List.of(dir + "/a.tfrecord", dir + "/*")));
    assertEquals("input file " + dir.resolve("a.tfrecord") + " is given twice (by '" + dir + "/a.tfrecord' and '"
        + dir + "/*'); name each file once", twice.getMessage());
    assertEquals(List.of(dir.resolve("missing")), TfRecordInputs.expand(List.of(dir + "/missing")),
        "a missing file is passed on for the reader to name");
    Files.createDirectory(dir.resolve("empty"));
    assertEquals("input directory '" + dir + "/empty' holds no file", assertThrows(IllegalArgumentException.class,
        () -> TfRecordInputs.expand(List.of(dir + "/empty"))).getMessage());
  }

  @Test
  void compressionIsDetectedFromTheContent(@TempDir Path dir) throws IOException {
    byte[] plain = framed("hello".getBytes());
    Path none = write(dir.resolve("plain"), plain);
    Path gzip = write(dir.resolve("g"), compressed(plain, true));
    Path zlib = write(dir.resolve("z"), compressed(plain, false));
    Path empty = write(dir.resolve("empty"), new byte[0]);
    assertEquals(TfRecordCompression.NONE, TfRecordInputs.detectCompression(none));
    assertEquals(TfRecordCompression.GZIP, TfRecordInputs.detectCompression(gzip));
    assertEquals(TfRecordCompression.ZLIB, TfRecordInputs.detectCompression(zlib));
    assertNull(TfRecordInputs.detectCompression(empty));
    assertEquals(TfRecordCompression.GZIP, TfRecordInputs.detectCompression(List.of(empty, gzip, gzip)));
    // A plain record whose length starts with gzip's magic bytes (0x8b1f = 35615) is still plain.
    Path gzipLike = write(dir.resolve("gzip-like"), framed(new byte[0x8b1f]));
    assertEquals(TfRecordCompression.NONE, TfRecordInputs.detectCompression(gzipLike));
    IllegalArgumentException mixed = assertThrows(IllegalArgumentException.class,
        () -> TfRecordInputs.detectCompression(List.of(none, zlib)));
    assertEquals("inputs are compressed differently: " + none + " is none, " + zlib + " is zlib; one run reads all "
        + "files one way, so convert them separately", mixed.getMessage());
  }
}

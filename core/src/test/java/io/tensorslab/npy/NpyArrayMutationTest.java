package io.tensorslab.npy;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Corrupts valid files at random (fixed seed) and checks that {@link NpyArray#open} either reads
 * them or refuses them with an {@link NpyFormatException}: never an {@link IndexOutOfBoundsException},
 * {@link NumberFormatException}, {@link NullPointerException} or anything else.
 */
class NpyArrayMutationTest {
  private static final long SEED = 0x7e50_51ab_2024L;
  private static final int FILE_MUTATIONS = 20_000;
  private static final int DICT_MUTATIONS = 200_000;
  /** Characters the header grammar cares about: mutating towards them reaches deeper parser states. */
  private static final byte[] INTERESTING =
      "{}()[],:'\"0123456789 LTrueFalse<>|=bifucSVOU-.\\\n\0\u00ff".getBytes(StandardCharsets.ISO_8859_1);

  @TempDir Path dir;

  private static List<byte[]> seeds() {
    List<byte[]> files = new ArrayList<>();
    long[][] shapes = {{}, {3}, {0}, {2, 3}, {1, 2, 1, 2, 1, 2, 1, 2}, {4, 0, 2}};
    for (NpyDtype dtype : TestNpy.ALL_DTYPES) {
      for (long[] shape : shapes) {
        NpyHeader header = new NpyHeader(dtype, shape);
        byte[] payload = TestNpy.payload(dtype, header.elementCount(), 1);
        byte[] head = header.encode();
        byte[] bytes = Arrays.copyOf(head, head.length + payload.length);
        System.arraycopy(payload, 0, bytes, head.length, payload.length);
        files.add(bytes);
      }
    }
    files.add(TestNpy.file(2, TestNpy.dict("<i4", "(2, 2)"), new byte[16]));
    files.add(TestNpy.file(3, TestNpy.dict("<u2", "(3,)"), new byte[6]));
    files.add(TestNpy.file("{\"shape\": (3L,), \"descr\": \"<f8\", \"fortran_order\": True}", new byte[24]));
    return files;
  }

  private static byte[] mutate(byte[] original, Random random) {
    byte[] b = original;
    int edits = 1 + random.nextInt(3);
    for (int e = 0; e < edits; e++) {
      // Most edits land in the first 128 bytes, where the header is.
      int limit = random.nextInt(4) == 0 ? b.length : Math.min(b.length, 128);
      int at = limit == 0 ? 0 : random.nextInt(limit);
      switch (random.nextInt(6)) {
        case 0 -> { // flip one bit
          if (b.length > 0) {
            b = b.clone();
            b[at] ^= (byte) (1 << random.nextInt(8));
          }
        }
        case 1 -> { // replace a byte with a grammar character or a random byte
          if (b.length > 0) {
            b = b.clone();
            b[at] = random.nextBoolean() ? INTERESTING[random.nextInt(INTERESTING.length)] : (byte) random.nextInt();
          }
        }
        case 2 -> b = Arrays.copyOf(b, at); // truncate
        case 3 -> { // insert a few bytes
          byte[] ins = new byte[1 + random.nextInt(4)];
          for (int i = 0; i < ins.length; i++) {
            ins[i] = INTERESTING[random.nextInt(INTERESTING.length)];
          }
          byte[] out = new byte[b.length + ins.length];
          System.arraycopy(b, 0, out, 0, at);
          System.arraycopy(ins, 0, out, at, ins.length);
          System.arraycopy(b, at, out, at + ins.length, b.length - at);
          b = out;
        }
        case 4 -> { // delete a few bytes
          int n = Math.min(b.length - at, 1 + random.nextInt(4));
          byte[] out = new byte[b.length - n];
          System.arraycopy(b, 0, out, 0, at);
          System.arraycopy(b, at + n, out, at, b.length - at - n);
          b = out;
        }
        default -> { // overwrite the length field or the version with random values
          if (b.length >= 12) {
            b = b.clone();
            b[6 + random.nextInt(6)] = (byte) random.nextInt();
          }
        }
      }
    }
    return b;
  }

  /** A scratch directory in RAM when there is one: 20 000 write-then-map rounds should not wait for a disk. */
  private Path scratch() throws IOException {
    Path shm = Path.of("/dev/shm");
    return Files.isDirectory(shm) && Files.isWritable(shm) ? Files.createTempDirectory(shm, "npy-mutation") : dir;
  }

  @Test
  void corruptFilesOnlyEverCauseNpyFormatException() throws IOException {
    Path scratch = scratch();
    Path file = scratch.resolve("m.npy");
    try {
      List<byte[]> seeds = seeds();
      Random random = new Random(SEED);
      long start = System.nanoTime();
      int opened = 0;
      int refused = 0;
      for (int i = 0; i < FILE_MUTATIONS; i++) {
        byte[] bytes = mutate(seeds.get(random.nextInt(seeds.size())), random);
        Files.write(file, bytes);
        try (NpyArray a = NpyArray.open(file)) {
          // Whatever opened must be fully readable within the file.
          long sum = 0;
          for (long j = 0; j < a.segment().byteSize(); j++) {
            sum += a.segment().get(ValueLayout.JAVA_BYTE, j);
          }
          assertTrue(a.payloadOffset() + a.segment().byteSize() <= bytes.length, "sum " + sum);
          opened++;
        } catch (NpyFormatException expected) {
          assertTrue(expected.getMessage().startsWith("malformed .npy: "), expected.getMessage());
          refused++;
        } catch (Throwable t) {
          fail("mutation " + i + " (seed " + SEED + ") threw " + t + " for bytes "
              + new String(bytes, 0, Math.min(bytes.length, 200), StandardCharsets.ISO_8859_1), t);
        }
      }
      assertTrue(opened > 100 && refused > 1000, "opened " + opened + ", refused " + refused);
      System.out.printf("NpyArrayMutationTest: %d mutations (%d opened, %d refused) in %d ms%n", FILE_MUTATIONS,
          opened, refused, (System.nanoTime() - start) / 1_000_000);
    } finally {
      Files.deleteIfExists(file);
      if (!scratch.equals(dir)) {
        Files.deleteIfExists(scratch);
      }
    }
  }

  @Test
  void corruptDictsOnlyEverCauseNpyFormatException() {
    List<String> seeds = List.of(TestNpy.dict("<f4", "(3, 4)"), TestNpy.dict("|S16", "(5,)"),
        TestNpy.dict("<c16", "()"), "{\"descr\": \"<f8\", \"shape\": (3L, 0), \"fortran_order\": True}");
    Random random = new Random(SEED);
    for (int i = 0; i < DICT_MUTATIONS; i++) {
      byte[] bytes = mutate(seeds.get(random.nextInt(seeds.size())).getBytes(StandardCharsets.ISO_8859_1), random);
      String text = new String(bytes, StandardCharsets.ISO_8859_1);
      try {
        HeaderDictParser.parse(text);
      } catch (NpyFormatException expected) {
        // the only allowed failure
      } catch (Throwable t) {
        fail("dict mutation " + i + " (seed " + SEED + ") threw " + t + " for " + text, t);
      }
    }
  }

  @Test
  void everyTruncationOfEveryValidFileIsRefusedOrRead() throws IOException {
    Path scratch = scratch();
    Path file = scratch.resolve("t.npy");
    try {
      for (byte[] bytes : seeds()) {
        for (int n = 0; n < bytes.length; n++) {
          Files.write(file, Arrays.copyOf(bytes, n));
          try (NpyArray a = NpyArray.open(file)) {
            // A cut can only go unnoticed when the array needs no payload bytes at all.
            assertTrue(a.segment().byteSize() == 0, "a truncated file opened with a non-empty payload");
          } catch (NpyFormatException expected) {
            assertTrue(expected.getMessage().startsWith("malformed .npy: "), expected.getMessage());
          }
        }
      }
    } finally {
      Files.deleteIfExists(file);
      if (!scratch.equals(dir)) {
        Files.deleteIfExists(scratch);
      }
    }
  }
}

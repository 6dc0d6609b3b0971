package io.tensorslab.tfrecord;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The varint reader's fast paths (one 8-byte read, then one, two or up to eight bytes) against the
 * byte-at-a-time definition, wherever the varint ends relative to the limit.
 */
class WireInputTest {

  @Test
  void sevenBitGroupsGatherAsLongCompressDoes() {
    SplittableRandom random = new SplittableRandom(21);
    for (int i = 0; i < 100_000; i++) {
      long w = random.nextLong();
      assertEquals(Long.compress(w, 0x7f7f_7f7f_7f7f_7f7fL), WireInput.gatherSevenBitGroups(w), Long.toHexString(w));
    }
    assertEquals(0x00ff_ffff_ffff_ffffL, WireInput.gatherSevenBitGroups(-1L));
  }

  @Test
  void everyVarintLengthReadsAsTheByteAtATimeDefinitionAtEveryDistanceFromTheLimit() {
    SplittableRandom random = new SplittableRandom(7);
    for (int bytes = 1; bytes <= 10; bytes++) {
      for (int trailing = 0; trailing <= 9; trailing++) {
        for (int trial = 0; trial < 200; trial++) {
          byte[] encoded = new byte[bytes + trailing];
          for (int i = 0; i < bytes; i++) {
            int group = random.nextInt(128);
            encoded[i] = (byte) (i < bytes - 1 ? group | 0x80 : group);
          }
          for (int i = bytes; i < encoded.length; i++) {
            encoded[i] = (byte) random.nextInt(256); // past the varint: must not change it
          }
          WireInput in = new WireInput();
          in.reset(MemorySegment.ofArray(encoded), 0, encoded.length);
          long expected = slowVarint64(encoded);
          assertEquals(expected, in.readVarint64(), () -> Arrays.toString(encoded));
          assertTrue(in.ok);
          assertEquals(bytes, in.position);
        }
      }
    }
  }

  @Test
  void aVarintCutOffByTheLimitOrLongerThanTenBytesFails() {
    byte[] open = new byte[16];
    Arrays.fill(open, (byte) 0x81);
    for (int limit = 0; limit <= 16; limit++) {
      WireInput in = new WireInput();
      in.reset(MemorySegment.ofArray(open), 0, limit);
      in.readVarint64();
      assertFalse(in.ok, "limit " + limit);
    }
    byte[] twoBytesPastLimit = {(byte) 0x96, 0x01, 0, 0, 0, 0, 0, 0, 0, 0};
    WireInput in = new WireInput();
    in.reset(MemorySegment.ofArray(twoBytesPastLimit), 0, 1); // the limit cuts the varint after its first byte
    in.readVarint64();
    assertFalse(in.ok);
    in.reset(MemorySegment.ofArray(twoBytesPastLimit), 0, 10);
    assertEquals(150, in.readVarint64());
  }

  /** protobuf's definition: 7 bits per byte, little end first, at most 10 bytes, bits past 64 dropped. */
  private static long slowVarint64(byte[] b) {
    long v = 0;
    for (int i = 0; i < 10; i++) {
      v |= (long) (b[i] & 0x7f) << (7 * i);
      if (b[i] >= 0) {
        return v;
      }
    }
    throw new AssertionError("no end in 10 bytes");
  }
}

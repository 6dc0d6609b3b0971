package io.tensorslab.tfrecord;

/**
 * TensorFlow's masked CRC-32C of one TFRecord length field (8 bytes), in plain Java.
 *
 * <p>Every record's header carries it, and the index checks one per record: for 8 bytes a
 * slicing-by-8 table lookup is a few nanoseconds, where {@link java.util.zip.CRC32C}'s intrinsic
 * costs a call, a buffer and its bounds checks each time (it wins on the record data, which the
 * reader still checks with it).
 */
final class FramingCrc {
  private static final int POLY = 0x82f63b78; // CRC-32C (Castagnoli), reflected
  private static final int[][] TABLE = new int[8][256];

  static {
    for (int n = 0; n < 256; n++) {
      int c = n;
      for (int k = 0; k < 8; k++) {
        c = (c & 1) != 0 ? (c >>> 1) ^ POLY : c >>> 1;
      }
      TABLE[0][n] = c;
    }
    for (int n = 0; n < 256; n++) {
      for (int t = 1; t < 8; t++) {
        TABLE[t][n] = (TABLE[t - 1][n] >>> 8) ^ TABLE[0][TABLE[t - 1][n] & 0xff];
      }
    }
  }

  private FramingCrc() {}

  /** The masked CRC-32C of the 8 little-endian bytes of {@code value}. */
  static int maskedOfLong(long value) {
    int lo = (int) value ^ 0xffffffff;
    int hi = (int) (value >>> 32);
    int[][] t = TABLE;
    int c = t[7][lo & 0xff] ^ t[6][(lo >>> 8) & 0xff] ^ t[5][(lo >>> 16) & 0xff] ^ t[4][lo >>> 24]
        ^ t[3][hi & 0xff] ^ t[2][(hi >>> 8) & 0xff] ^ t[1][(hi >>> 16) & 0xff] ^ t[0][hi >>> 24];
    return TfRecordReader.mask(~c);
  }
}

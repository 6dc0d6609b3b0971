package io.tensorslab.tfrecord;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Locale;

/**
 * What an encoded image's header says, read without decoding: its format by magic bytes and the
 * height, width and channels TensorFlow's {@code tf.io.decode_image(channels=0)} gives for it.
 * Used to infer {@code image:H,W,C} and to check sizes before TensorFlow decodes anything.
 *
 * <ul>
 *   <li>JPEG: the first start-of-frame marker (SOF0..SOF15 but DHT, JPG, DAC): height, width,
 *       components;</li>
 *   <li>PNG: IHDR; channels from the colour type (grey 1, grey+alpha 2, RGB 3, RGBA 4, palette 3,
 *       or 4 when a tRNS chunk comes before the first IDAT, as libpng expands it);</li>
 *   <li>GIF: the logical screen size, 3 channels (TensorFlow decodes GIF frames to RGB on that
 *       canvas);</li>
 *   <li>BMP: BITMAPINFOHEADER width and |height|, channels from bits per pixel (32: 4, 24: 3, 8: 1).</li>
 * </ul>
 *
 * @param format the image format
 * @param height rows, or -1 when the header is cut short
 * @param width columns, or -1 when the header is cut short
 * @param channels channels as decoded with {@code channels=0}, or -1 when unknown
 */
public record ImageHeader(Format format, long height, long width, int channels) {

  /** The formats TensorFlow's {@code DecodeImage} reads. */
  public enum Format {
    JPEG, PNG, GIF, BMP;

    /** Lower-case, as {@code image/format} features spell it. */
    public String displayName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** True when height, width and channels were all read. */
  public boolean complete() {
    return height > 0 && width > 0 && channels > 0;
  }

  /**
   * Reads the header of {@code bytes[offset, offset + length)}.
   *
   * @return the header, or null when the bytes start with no known image magic
   */
  public static ImageHeader sniff(byte[] bytes, int offset, int length) {
    return sniff(MemorySegment.ofArray(bytes).asSlice(offset, length));
  }

  /**
   * Reads the header at the start of {@code bytes} (a value's slice of a record: nothing is copied).
   *
   * @return the header, or null when the bytes start with no known image magic
   */
  public static ImageHeader sniff(MemorySegment bytes) {
    Bytes b = new Bytes(bytes, bytes.byteSize() > Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) bytes.byteSize());
    if (b.u8(0) == 0xFF && b.u8(1) == 0xD8 && b.u8(2) == 0xFF) {
      return jpeg(b);
    }
    if (b.u8(0) == 0x89 && b.u8(1) == 'P' && b.u8(2) == 'N' && b.u8(3) == 'G') {
      return png(b);
    }
    if (b.u8(0) == 'G' && b.u8(1) == 'I' && b.u8(2) == 'F' && b.u8(3) == '8') {
      return new ImageHeader(Format.GIF, b.le16(8), b.le16(6), b.length >= 10 ? 3 : -1);
    }
    if (b.u8(0) == 'B' && b.u8(1) == 'M') {
      return bmp(b);
    }
    return null;
  }

  /** {@link #sniff(byte[], int, int)} over the whole array. */
  public static ImageHeader sniff(byte[] bytes) {
    return sniff(bytes, 0, bytes.length);
  }

  private static ImageHeader jpeg(Bytes b) {
    int at = 2;
    while (at + 4 <= b.length) {
      if (b.u8(at) != 0xFF) {
        break; // not at a marker: a damaged stream
      }
      int marker = b.u8(at + 1);
      if (marker == 0xFF) {
        at++; // fill byte
        continue;
      }
      if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
        at += 2; // markers without a length
        continue;
      }
      int segment = b.be16(at + 2);
      boolean startOfFrame = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
      if (startOfFrame) {
        if (at + 10 > b.length) {
          break;
        }
        return new ImageHeader(Format.JPEG, b.be16(at + 5), b.be16(at + 7), b.u8(at + 9));
      }
      if (marker == 0xDA || marker == 0xD9 || segment < 2) {
        break; // scan data or end of image before any frame header
      }
      at += 2 + segment;
    }
    return new ImageHeader(Format.JPEG, -1, -1, -1);
  }

  private static ImageHeader png(Bytes b) {
    if (b.length < 26 || b.be32(12) != 0x49484452) { // "IHDR"
      return new ImageHeader(Format.PNG, -1, -1, -1);
    }
    long width = b.be32(16) & 0xFFFFFFFFL;
    long height = b.be32(20) & 0xFFFFFFFFL;
    int colorType = b.u8(25);
    int channels = switch (colorType) {
      case 0 -> 1;
      case 2 -> 3;
      case 3 -> hasTransparencyChunk(b) ? 4 : 3;
      case 4 -> 2;
      case 6 -> 4;
      default -> -1;
    };
    return new ImageHeader(Format.PNG, height, width, channels);
  }

  /** True when a tRNS chunk comes before the first IDAT (libpng then expands a palette to RGBA). */
  private static boolean hasTransparencyChunk(Bytes b) {
    long at = 8;
    while (at + 8 <= b.length) {
      long size = b.be32((int) at) & 0xFFFFFFFFL;
      int type = b.be32((int) at + 4);
      if (type == 0x74524E53) { // "tRNS"
        return true;
      }
      if (type == 0x49444154) { // "IDAT"
        return false;
      }
      at += 12 + size;
    }
    return false;
  }

  private static ImageHeader bmp(Bytes b) {
    if (b.length < 30) {
      return new ImageHeader(Format.BMP, -1, -1, -1);
    }
    long width = b.le32(18);
    long height = Math.abs((long) b.le32(22));
    int channels = switch (b.le16(28)) {
      case 32 -> 4;
      case 24 -> 3;
      case 8 -> 1;
      default -> -1;
    };
    return new ImageHeader(Format.BMP, height, width, channels);
  }

  /** Bounds-checked reads; a read past the end gives 0, which no header accepts as a size. */
  private record Bytes(MemorySegment a, int length) {
    int u8(int i) {
      return i >= 0 && i < length ? a.get(ValueLayout.JAVA_BYTE, i) & 0xFF : 0;
    }

    int be16(int i) {
      return (u8(i) << 8) | u8(i + 1);
    }

    int le16(int i) {
      return u8(i) | (u8(i + 1) << 8);
    }

    int be32(int i) {
      return (be16(i) << 16) | be16(i + 2);
    }

    int le32(int i) {
      return le16(i) | (le16(i + 2) << 16);
    }
  }
}

package io.tensorslab.store.zarr;

import com.github.luben.zstd.Zstd;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * Encodes one chunk's bytes with a {@link ZarrCodec}, off the heap: the input is the chunk buffer,
 * the output a reused native buffer. One per chunk being compressed: the array writer hands an
 * encoder to one thread at a time and pools them, so threads compress chunks of one array at once.
 */
final class ChunkEncoder implements AutoCloseable {
  /** gzip member header: magic, deflate, no flags, mtime 0 (deterministic bytes), no extra flags, OS unknown. */
  private static final byte[] GZIP_HEADER = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 0xff};

  private final ZarrCodec codec;
  private final Arena arena = Arena.ofShared();
  private Deflater deflater;
  private MemorySegment output;

  ChunkEncoder(ZarrCodec codec) {
    this.codec = codec;
  }

  /**
   * The encoded bytes of {@code chunk}: the chunk itself for {@code none}, else a view of this
   * encoder's buffer, valid until the next call.
   */
  ByteBuffer encode(MemorySegment chunk) throws IOException {
    return switch (codec.name()) {
      case "none" -> chunk.asByteBuffer();
      case "gzip" -> gzip(chunk);
      case "zstd" -> zstd(chunk);
      default -> throw new AssertionError(codec);
    };
  }

  private ByteBuffer gzip(MemorySegment chunk) {
    if (deflater == null) {
      deflater = new Deflater(codec.level(), true);
    }
    deflater.reset();
    ByteBuffer input = chunk.asByteBuffer();
    // deflate's worst case (stored blocks): 5 bytes per 16 KiB block plus the wrapper
    long bound = chunk.byteSize() + (chunk.byteSize() >>> 12) + 64;
    ByteBuffer out = output(bound).order(ByteOrder.LITTLE_ENDIAN);
    out.put(GZIP_HEADER);
    deflater.setInput(input);
    deflater.finish();
    while (!deflater.finished()) {
      if (!out.hasRemaining()) {
        throw new IllegalStateException("gzip output exceeded its bound of " + bound + " bytes");
      }
      deflater.deflate(out, Deflater.NO_FLUSH);
    }
    CRC32 crc = new CRC32();
    crc.update(chunk.asByteBuffer());
    out.putInt((int) crc.getValue());
    out.putInt((int) chunk.byteSize()); // ISIZE: the input size modulo 2^32
    return out.flip();
  }

  private ByteBuffer zstd(MemorySegment chunk) throws IOException {
    long bound = Zstd.compressBound(chunk.byteSize());
    ByteBuffer out = output(bound);
    ByteBuffer input = chunk.asByteBuffer();
    // One-shot compression records the content size in the frame header, which numcodecs' Zstd needs.
    long written = Zstd.compressDirectByteBuffer(out, 0, out.capacity(), input, 0, input.remaining(), codec.level());
    if (Zstd.isError(written)) {
      throw new IOException("zstd compression failed: " + Zstd.getErrorName(written));
    }
    return out.limit((int) written);
  }

  private ByteBuffer output(long bound) {
    if (bound > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("chunk of " + bound + " bytes is too large to compress: choose fewer"
          + " chunk rows (at most 2 GiB per compressed chunk)");
    }
    if (output == null || output.byteSize() < bound) {
      output = arena.allocate(Math.max(bound, 4096), ValueLayout.JAVA_LONG.byteAlignment());
    }
    return output.asByteBuffer().clear();
  }

  @Override
  public void close() {
    if (deflater != null) {
      deflater.end();
      deflater = null;
    }
    if (arena.scope().isAlive()) {
      arena.close();
    }
  }
}

package io.tensorslab.npy;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * An existing {@code .npy} file mapped read-only: its header, and its payload as a
 * {@link MemorySegment} over the page cache, with no copy.
 *
 * <p>Every malformed file is refused at {@link #open} with an {@link NpyFormatException} naming the
 * problem and the path: bad magic, unknown version, truncated or unparsable header, unsupported dtype,
 * order or byte order, or a payload shorter than the shape needs.
 *
 * <p>Thread safety: the mapping belongs to a shared {@link Arena}, so any thread may read
 * {@link #segment()} and any thread may {@link #close()}. After close, every access through the
 * segment fails with {@link IllegalStateException}: never a crash.
 *
 * {@snippet :
 * try (NpyArray a = NpyArray.open(Path.of("x.npy"))) {
 *   long rows = a.header().dim(0);
 *   float first = a.segment().get(ValueLayout.JAVA_FLOAT_UNALIGNED, 0);
 * }
 * }
 */
public final class NpyArray implements AutoCloseable {

  /** Headers longer than this are refused rather than read into memory (NumPy itself stops at 10 000 by default). */
  static final int MAX_HEADER_BYTES = 16 << 20;
  private static final int PREFIX_BYTES = NpyHeader.MAGIC.length + 2;

  private final Path path;
  private final NpyHeader header;
  private final int majorVersion;
  private final int minorVersion;
  private final long payloadOffset;
  private final Arena arena;
  private final MemorySegment payload;

  private NpyArray(Path path, Preamble preamble, Arena arena, MemorySegment payload) {
    this.path = path;
    this.header = preamble.header();
    this.majorVersion = preamble.major();
    this.minorVersion = preamble.minor();
    this.payloadOffset = preamble.payloadOffset();
    this.arena = arena;
    this.payload = payload;
  }

  /**
   * What precedes the payload in a {@code .npy} file.
   *
   * @param major format major version (1, 2 or 3)
   * @param minor format minor version (0)
   * @param headerLength the length field: bytes of dict text, padding and newline
   * @param payloadOffset where the payload starts, from the start of the file
   * @param header the parsed dict
   */
  public record Preamble(int major, int minor, long headerLength, long payloadOffset, NpyHeader header) {}

  /**
   * Maps {@code path} read-only after checking its header and size.
   *
   * @throws NpyFormatException if the file is not a {@code .npy} this library reads
   * @throws IOException if it cannot be opened or mapped
   */
  public static NpyArray open(Path path) throws IOException {
    try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
      long fileSize = channel.size();
      Preamble preamble = readPreamble(channel, path);
      long needed;
      try {
        needed = preamble.header().payloadByteSize();
      } catch (ArithmeticException e) {
        throw new NpyFormatException("malformed .npy: shape " + NpyHeader.shapeText(preamble.header().shape())
            + " overflows 64-bit byte counts (path=" + path + ")", e);
      }
      long available = fileSize - preamble.payloadOffset();
      if (available < needed) {
        throw new NpyFormatException("malformed .npy: payload is " + available + " bytes but shape "
            + NpyHeader.shapeText(preamble.header().shape()) + " of " + preamble.header().dtype().descr()
            + " needs " + needed + " (path=" + path + ")");
      }
      Arena arena = Arena.ofShared();
      boolean success = false;
      try {
        MemorySegment file = channel.map(FileChannel.MapMode.READ_ONLY, 0, fileSize, arena);
        MemorySegment payload = file.asSlice(preamble.payloadOffset(), needed).asReadOnly();
        NpyArray array = new NpyArray(path, preamble, arena, payload);
        success = true;
        return array;
      } catch (IOException e) {
        throw new IOException("mapping .npy failed: " + e.getMessage() + " (path=" + path
            + "; if the limit of mappings is reached, raise vm.max_map_count)", e);
      } finally {
        if (!success) {
          arena.close();
        }
      }
    }
  }

  /**
   * Reads and checks the magic, version and header dict at the start of {@code channel}.
   *
   * @param path used only in error messages
   */
  public static Preamble readPreamble(FileChannel channel, Path path) throws IOException {
    ByteBuffer prefix = ByteBuffer.allocate(PREFIX_BYTES + 4).order(ByteOrder.LITTLE_ENDIAN);
    readFully(channel, prefix, 0);
    if (prefix.position() < NpyHeader.MAGIC.length
        || !Arrays.equals(Arrays.copyOf(prefix.array(), NpyHeader.MAGIC.length), NpyHeader.MAGIC)) {
      throw new NpyFormatException("malformed .npy: bad magic, the file does not start with \\x93NUMPY (path="
          + path + ")");
    }
    if (prefix.position() < PREFIX_BYTES) {
      throw new NpyFormatException("malformed .npy: truncated header, no version bytes (path=" + path + ")");
    }
    int major = Byte.toUnsignedInt(prefix.get(6));
    int minor = Byte.toUnsignedInt(prefix.get(7));
    if ((major != 1 && major != 2 && major != 3) || minor != 0) {
      throw new NpyFormatException("malformed .npy: unknown format version " + major + "." + minor
          + " (1.0, 2.0 and 3.0 are read; path=" + path + ")");
    }
    int lengthFieldSize = major == 1 ? 2 : 4;
    if (prefix.position() < PREFIX_BYTES + lengthFieldSize) {
      throw new NpyFormatException("malformed .npy: truncated header, no header length (path=" + path + ")");
    }
    long headerLength = major == 1 ? Short.toUnsignedInt(prefix.getShort(PREFIX_BYTES))
        : Integer.toUnsignedLong(prefix.getInt(PREFIX_BYTES));
    if (headerLength > MAX_HEADER_BYTES) {
      throw new NpyFormatException("malformed .npy: header length " + headerLength + " exceeds the "
          + MAX_HEADER_BYTES + "-byte limit (path=" + path + ")");
    }
    long dictStart = PREFIX_BYTES + lengthFieldSize;
    ByteBuffer dictBytes = ByteBuffer.allocate((int) headerLength);
    readFully(channel, dictBytes, dictStart);
    if (dictBytes.hasRemaining()) {
      throw new NpyFormatException("malformed .npy: truncated header, " + dictBytes.position() + " of "
          + headerLength + " header bytes present (path=" + path + ")");
    }
    dictBytes.flip();
    String text;
    if (major == 3) {
      try {
        text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT).decode(dictBytes).toString();
      } catch (CharacterCodingException e) {
        throw new NpyFormatException("malformed .npy: version 3.0 header is not valid UTF-8 (path=" + path + ")", e);
      }
    } else {
      text = StandardCharsets.ISO_8859_1.decode(dictBytes).toString();
    }
    NpyHeader header;
    try {
      header = HeaderDictParser.parse(text);
    } catch (NpyFormatException e) {
      throw new NpyFormatException("malformed .npy: " + e.getMessage() + " (path=" + path + ")", e);
    }
    if (!header.dtype().isNativeOrder()) {
      throw new NpyFormatException("malformed .npy: unsupported byte order, descr '" + header.dtype().descr()
          + "' is big-endian; convert with arr.astype(arr.dtype.newbyteorder('<')) (path=" + path + ")");
    }
    if (header.fortranOrder() && Arrays.stream(header.shape()).filter(d -> d > 1).count() > 1) {
      throw new NpyFormatException("malformed .npy: unsupported order, fortran_order is True for shape "
          + NpyHeader.shapeText(header.shape()) + "; save with np.ascontiguousarray (path=" + path + ")");
    }
    return new Preamble(major, minor, headerLength, dictStart + headerLength, header);
  }

  private static void readFully(FileChannel channel, ByteBuffer into, long position) throws IOException {
    long at = position;
    while (into.hasRemaining()) {
      int n = channel.read(into, at);
      if (n < 0) {
        return;
      }
      at += n;
    }
  }

  public Path path() {
    return path;
  }

  public NpyHeader header() {
    return header;
  }

  public int majorVersion() {
    return majorVersion;
  }

  public int minorVersion() {
    return minorVersion;
  }

  /** Offset of the first payload byte in the file. */
  public long payloadOffset() {
    return payloadOffset;
  }

  /**
   * The payload, read-only, exactly {@code header().payloadByteSize()} bytes, C order, little-endian.
   * Valid until {@link #close()}; after that any access throws {@link IllegalStateException}.
   */
  public MemorySegment segment() {
    return payload;
  }

  /**
   * Unmaps the file. Idempotent. When another thread still holds the mapping (channel I/O from a
   * buffer view, a native call), waits until it lets go.
   *
   * @throws IllegalStateException when the mapping is still held after 30 s; it then stays mapped
   */
  @Override
  public void close() {
    SharedArenas.close(arena, "path=" + path);
  }

  @Override
  public String toString() {
    return "NpyArray[" + path + ", " + header + "]";
  }
}

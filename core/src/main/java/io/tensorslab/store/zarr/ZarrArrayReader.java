package io.tensorslab.store.zarr;

import com.github.luben.zstd.Zstd;
import io.tensorslab.npy.NpyDtype;
import io.tensorslab.npy.NpyFormatException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Reads back one array of a Zarr store TensorSlab wrote (v2 or v3; codecs none, gzip, zstd; v3
 * sharding): its dtype and shape as the {@code .npy} export would have them, and rows copied into a
 * {@link MemorySegment} in C order, little-endian — the bytes of the {@code .npy} payload.
 *
 * {@snippet :
 * ZarrArrayReader image = ZarrArrayReader.open(storeDir, "image");
 * try (Arena arena = Arena.ofConfined()) {
 *   MemorySegment rows = image.readRows(0, 100, arena);   // 100 * rowBytes() bytes
 * }
 * }
 *
 * <p>Only the metadata TensorSlab writes is accepted: the fields are read, the spec rebuilt, and the
 * metadata files must be exactly the bytes that spec writes ({@link ZarrArraySpec#metadataFiles}), so
 * anything else — other codecs or filters, big-endian, Fortran order, unknown keys — is refused with
 * what differs, never read wrongly. Uncompressed unsharded rows are read straight from the chunk
 * files into the target; other chunks are decoded one at a time into native memory.
 *
 * <p>Holds no open file: each read opens what it needs. Immutable; any thread may read at once.
 */
public final class ZarrArrayReader {
  private static final Set<String> V2_KEYS = Set.of("chunks", "compressor", "dimension_separator", "dtype",
      "fill_value", "filters", "order", "shape", "zarr_format");
  private static final Set<String> V3_KEYS = Set.of("attributes", "chunk_grid", "chunk_key_encoding", "codecs",
      "data_type", "dimension_names", "fill_value", "node_type", "shape", "zarr_format");
  private static final String SUBJECT = "zarr metadata";
  private static final long MISSING = -1L; // 2^64 - 1 in a shard index: chunk not stored

  private final Path directory;
  private final ZarrArraySpec spec;
  private final long rows;
  private final String component;

  private ZarrArrayReader(Path directory, ZarrArraySpec spec, long rows, String component) {
    this.directory = directory;
    this.spec = spec;
    this.rows = rows;
    this.component = component;
  }

  /**
   * Opens array {@code name} ({@code a/b} inside nested groups) of the store rooted at {@code store},
   * reading its metadata ({@code .zarray} or {@code zarr.json}).
   *
   * @throws NoSuchFileException when the array has no metadata
   * @throws IOException when the metadata is not what TensorSlab writes, naming what differs and the file
   */
  public static ZarrArrayReader open(Path store, String name) throws IOException {
    return open(store, name, name);
  }

  static ZarrArrayReader open(Path store, String name, String component) throws IOException {
    Path directory = store.resolve(name);
    Path v2 = directory.resolve(".zarray");
    Path v3 = directory.resolve("zarr.json");
    boolean isV2 = Files.isRegularFile(v2);
    if (!isV2 && !Files.isRegularFile(v3)) {
      throw new NoSuchFileException(directory.toString(), null, "no zarr array here: neither .zarray nor"
          + " zarr.json exists (array=" + name + ", path=" + directory + ")");
    }
    Path file = isV2 ? v2 : v3;
    Map<String, Object> meta = JsonReader.asObject(JsonReader.parse(Files.readString(file, StandardCharsets.UTF_8),
        SUBJECT, file), SUBJECT, "the array metadata", file);
    long[] shape = JsonReader.asLongs(meta.get("shape"), SUBJECT, "shape", file);
    if (shape.length == 0) {
      throw new IOException("not a TensorSlab zarr array: shape is empty, TensorSlab's arrays have rows (path="
          + file + ")");
    }
    ZarrArraySpec spec = isV2 ? v2Spec(name, meta, shape, file) : v3Spec(name, meta, shape, file);
    ZarrArrayReader reader = new ZarrArrayReader(directory, spec, shape[0], component);
    reader.checkMetadataBytes();
    return reader;
  }

  private static void checkKeys(Map<String, Object> meta, Set<String> known, Path file) throws IOException {
    for (String key : meta.keySet()) {
      if (!known.contains(key)) {
        throw new IOException("not a TensorSlab zarr array: metadata key '" + key + "' is not one TensorSlab"
            + " writes (path=" + file + ")");
      }
    }
  }

  private static ZarrArraySpec v2Spec(String name, Map<String, Object> meta, long[] shape, Path file)
      throws IOException {
    checkKeys(meta, V2_KEYS, file);
    if (!"C".equals(meta.get("order"))) {
      throw new IOException("not a TensorSlab zarr array: order is " + meta.get("order") + ", TensorSlab reads"
          + " only C order (path=" + file + ")");
    }
    NpyDtype dtype = dtype(JsonReader.asString(meta.get("dtype"), SUBJECT, "dtype", file), file);
    ZarrCodec codec = ZarrCodec.NONE;
    if (meta.get("compressor") != null) {
      Map<String, Object> compressor = JsonReader.asObject(meta.get("compressor"), SUBJECT, "compressor", file);
      codec = codec(compressor.get("id"), compressor.get("level"), file);
    }
    long[] chunks = JsonReader.asLongs(meta.get("chunks"), SUBJECT, "chunks", file);
    return spec(ZarrFormat.V2, name, dtype, Arrays.copyOfRange(shape, 1, shape.length), chunks, codec, 1, file);
  }

  private static ZarrArraySpec v3Spec(String name, Map<String, Object> meta, long[] shape, Path file)
      throws IOException {
    checkKeys(meta, V3_KEYS, file);
    String dataType = JsonReader.asString(meta.get("data_type"), SUBJECT, "data_type", file);
    Map<String, Object> attributes = JsonReader.asObject(meta.get("attributes"), SUBJECT, "attributes", file);
    long[] rowShape = Arrays.copyOfRange(shape, 1, shape.length);
    NpyDtype dtype;
    if (attributes.get("tensorslab") instanceof Map<?, ?> note && note.get("numpy_dtype") instanceof String descr) {
      dtype = dtype(descr, file); // |S{n}: uint8 with a trailing axis of n bytes
      rowShape = Arrays.copyOf(rowShape, Math.max(0, rowShape.length - 1));
    } else {
      dtype = v3Dtype(dataType, file);
    }
    Map<String, Object> grid = JsonReader.asObject(meta.get("chunk_grid"), SUBJECT, "chunk_grid", file);
    long[] outer = JsonReader.asLongs(JsonReader.asObject(grid.get("configuration"), SUBJECT, "chunk_grid",
        file).get("chunk_shape"), SUBJECT, "chunk_shape", file);
    List<?> codecs = JsonReader.asList(meta.get("codecs"), SUBJECT, "codecs", file);
    long[] inner = outer;
    Map<String, Object> first = codecs.isEmpty() ? Map.of()
        : JsonReader.asObject(codecs.getFirst(), SUBJECT, "a codec", file);
    if ("sharding_indexed".equals(first.get("name"))) {
      Map<String, Object> sharding = JsonReader.asObject(first.get("configuration"), SUBJECT,
          "sharding configuration", file);
      inner = JsonReader.asLongs(sharding.get("chunk_shape"), SUBJECT, "inner chunk_shape", file);
      codecs = JsonReader.asList(sharding.get("codecs"), SUBJECT, "inner codecs", file);
    }
    ZarrCodec codec = ZarrCodec.NONE;
    for (int i = 0; i < codecs.size(); i++) {
      Map<String, Object> c = JsonReader.asObject(codecs.get(i), SUBJECT, "a codec", file);
      Object codecName = c.get("name");
      Map<?, ?> configuration = c.get("configuration") instanceof Map<?, ?> m ? m : Map.of();
      if (i == 0 && "bytes".equals(codecName)) {
        if (!"little".equals(configuration.get("endian"))) {
          throw new IOException("not a TensorSlab zarr array: the bytes codec is " + configuration.get("endian")
              + "-endian, TensorSlab reads only little-endian (path=" + file + ")");
        }
      } else if (i == 1 && codecs.size() == 2) {
        codec = codec(codecName, configuration.get("level"), file);
      } else {
        throw new IOException("not a TensorSlab zarr array: codec " + codecName + " at position " + i + " is not"
            + " one TensorSlab writes (bytes, then gzip or zstd) (path=" + file + ")");
      }
    }
    if (inner.length == 0 || outer.length == 0 || inner[0] < 1 || outer[0] % inner[0] != 0) {
      throw new IOException("not a TensorSlab zarr array: chunk shape " + Arrays.toString(outer) + " is not whole"
          + " inner chunks of " + Arrays.toString(inner) + " (path=" + file + ")");
    }
    return spec(ZarrFormat.V3, name, dtype, rowShape, inner, codec, Math.toIntExact(outer[0] / inner[0]), file);
  }

  private static ZarrArraySpec spec(ZarrFormat format, String name, NpyDtype dtype, long[] rowShape, long[] chunks,
      ZarrCodec codec, int chunksPerFile, Path file) throws IOException {
    if (chunks.length == 0) {
      throw new IOException("not a TensorSlab zarr array: chunk shape is empty (path=" + file + ")");
    }
    try {
      return new ZarrArraySpec(format, name, dtype, rowShape, chunks[0], codec, chunksPerFile);
    } catch (IllegalArgumentException e) {
      throw new IOException("not a TensorSlab zarr array: " + e.getMessage() + " (path=" + file + ")", e);
    }
  }

  private static NpyDtype dtype(String descr, Path file) throws IOException {
    NpyDtype dtype;
    try {
      dtype = NpyDtype.parse(descr);
    } catch (NpyFormatException e) {
      throw new IOException("not a TensorSlab zarr array: " + e.getMessage() + " (path=" + file + ")", e);
    }
    if (!dtype.isNativeOrder()) {
      throw new IOException("not a TensorSlab zarr array: dtype " + descr + " is big-endian, TensorSlab reads only"
          + " little-endian (path=" + file + ")");
    }
    return dtype;
  }

  private static NpyDtype v3Dtype(String dataType, Path file) throws IOException {
    return switch (dataType) {
      case "bool" -> NpyDtype.BOOL;
      case "int8" -> NpyDtype.INT8;
      case "uint8" -> NpyDtype.UINT8;
      case "int16" -> NpyDtype.INT16;
      case "uint16" -> NpyDtype.UINT16;
      case "int32" -> NpyDtype.INT32;
      case "uint32" -> NpyDtype.UINT32;
      case "int64" -> NpyDtype.INT64;
      case "uint64" -> NpyDtype.UINT64;
      case "float16" -> NpyDtype.FLOAT16;
      case "float32" -> NpyDtype.FLOAT32;
      case "float64" -> NpyDtype.FLOAT64;
      case "complex64" -> NpyDtype.COMPLEX64;
      case "complex128" -> NpyDtype.COMPLEX128;
      case "bfloat16" -> NpyDtype.BFLOAT16_AS_VOID;
      default -> {
        if (dataType.matches("r[1-9][0-9]{0,8}") && Integer.parseInt(dataType.substring(1)) % 8 == 0) {
          yield NpyDtype.opaque(Integer.parseInt(dataType.substring(1)) / 8);
        }
        throw new IOException("not a TensorSlab zarr array: data_type " + dataType + " is not one TensorSlab"
            + " writes (path=" + file + ")");
      }
    };
  }

  private static ZarrCodec codec(Object name, Object level, Path file) throws IOException {
    if (!("gzip".equals(name) || "zstd".equals(name)) || !(level instanceof Long l)) {
      throw new IOException("not a TensorSlab zarr array: codec " + name + " is not one TensorSlab writes (none,"
          + " gzip or zstd with a level) (path=" + file + ")");
    }
    try {
      return new ZarrCodec((String) name, Math.toIntExact(l));
    } catch (IllegalArgumentException | ArithmeticException e) {
      throw new IOException("not a TensorSlab zarr array: codec " + name + " level " + level + ": " + e.getMessage()
          + " (path=" + file + ")", e);
    }
  }

  /** Every metadata file must be the bytes the rebuilt spec writes: nothing unread can change the data. */
  private void checkMetadataBytes() throws IOException {
    for (ZarrArraySpec.MetadataFile expected : spec.metadataFiles(rows)) {
      Path file = directory.resolve(expected.name());
      byte[] found = Files.exists(file) ? Files.readAllBytes(file) : null;
      if (found == null) {
        throw new NoSuchFileException(file.toString(), null, "zarr array incomplete: " + expected.name()
            + " is missing (path=" + file + ")");
      }
      if (!Arrays.equals(found, expected.bytes())) {
        String[] want = new String(expected.bytes(), StandardCharsets.UTF_8).split("\n", -1);
        String[] got = new String(found, StandardCharsets.UTF_8).split("\n", -1);
        int line = 0;
        while (line < Math.min(want.length, got.length) && want[line].equals(got[line])) {
          line++;
        }
        String gotLine = line < got.length ? got[line].strip() : "(end of file)";
        String wantLine = line < want.length ? want[line].strip() : "(end of file)";
        throw new IOException("not a TensorSlab zarr array: metadata line " + (line + 1) + " is '" + gotLine
            + "', TensorSlab writes '" + wantLine + "' for " + spec + " (path=" + file + ")");
      }
    }
  }

  /** The array's path in the store ({@code a/b} inside nested groups). */
  public String name() {
    return spec.path();
  }

  /** The component the array belongs to, as the store's manifest says (the name when opened alone). */
  public String component() {
    return component;
  }

  /** The array's directory. */
  public Path directory() {
    return directory;
  }

  /** Format, dtype, row shape, chunk rows, codec and chunks per file, as written. */
  public ZarrArraySpec spec() {
    return spec;
  }

  public ZarrFormat format() {
    return spec.format();
  }

  /** The NumPy dtype, as the {@code .npy} export writes it ({@code |S16}, also where v3 stores {@code uint8}). */
  public NpyDtype dtype() {
    return spec.dtype();
  }

  /** Rows first, then the row shape: the {@code .npy} export's shape. */
  public long[] shape() {
    long[] rowShape = spec.rowShape();
    long[] shape = new long[rowShape.length + 1];
    shape[0] = rows;
    System.arraycopy(rowShape, 0, shape, 1, rowShape.length);
    return shape;
  }

  /** The shape of one chunk in the same terms: {@code [chunkRows, *rowShape]}. */
  public long[] chunkShape() {
    long[] shape = shape();
    shape[0] = spec.chunkRows();
    return shape;
  }

  public long rows() {
    return rows;
  }

  /** Bytes of one row. */
  public long rowBytes() {
    return spec.rowBytes();
  }

  /** Bytes of the whole array: {@code rows() * rowBytes()}. */
  public long byteSize() {
    return Math.multiplyExact(rows, spec.rowBytes());
  }

  /** Rows {@code [first, first + n)} in a new segment of {@code arena}. */
  public MemorySegment readRows(long first, long n, Arena arena) throws IOException {
    checkRange(first, n);
    MemorySegment target = arena.allocate(Math.max(1, Math.multiplyExact(n, spec.rowBytes())), 8)
        .asSlice(0, n * spec.rowBytes());
    readRows(first, n, target);
    return target;
  }

  /** Every row, in a new segment of {@code arena}. */
  public MemorySegment readAll(Arena arena) throws IOException {
    return readRows(0, rows, arena);
  }

  /**
   * Copies rows {@code [first, first + n)} into {@code target} (at least {@code n * rowBytes()} bytes).
   *
   * @throws IOException when a chunk file is missing, cut short or corrupt, naming the chunk and file
   */
  public void readRows(long first, long n, MemorySegment target) throws IOException {
    checkRange(first, n);
    long rowBytes = spec.rowBytes();
    if (target.byteSize() < n * rowBytes) {
      throw new IllegalArgumentException("target of " + target.byteSize() + " bytes is too small for " + n
          + " rows of " + rowBytes + " bytes (path=" + directory + ")");
    }
    if (rowBytes == 0 || n == 0) {
      return;
    }
    long chunkRows = spec.chunkRows();
    try (Arena scratch = Arena.ofConfined()) {
      MemorySegment decoded = null;
      for (long row = first; row < first + n; ) {
        long chunk = row / chunkRows;
        long inChunk = row - chunk * chunkRows;
        long m = Math.min(first + n - row, chunkRows - inChunk);
        MemorySegment into = target.asSlice((row - first) * rowBytes, m * rowBytes);
        if (!spec.codec().compresses() && spec.chunksPerFile() == 1) {
          readPlain(chunk, inChunk * rowBytes, into);
        } else {
          if (decoded == null) {
            decoded = scratch.allocate(spec.chunkBytes(), 8);
          }
          decodeChunk(chunk, decoded, scratch);
          into.copyFrom(decoded.asSlice(inChunk * rowBytes, m * rowBytes));
        }
        row += m;
      }
    }
  }

  private void checkRange(long first, long n) {
    if (first < 0 || n < 0 || first > rows - n) {
      throw new IndexOutOfBoundsException("rows [" + first + ", +" + n + ") are outside the array's " + rows
          + " rows (path=" + directory + ")");
    }
  }

  /** An uncompressed chunk file is the chunk's bytes: read the rows' range straight into place. */
  private void readPlain(long chunk, long offset, MemorySegment into) throws IOException {
    Path file = chunkFile(chunk);
    try (FileChannel channel = openChunk(file, chunk)) {
      if (channel.size() != spec.chunkBytes()) {
        throw cutShort(chunk, file, channel.size() + " bytes, an uncompressed chunk has " + spec.chunkBytes());
      }
      readFully(channel, into, offset, chunk, file);
    }
  }

  /** Chunk {@code chunk}, decoded into {@code decoded} (chunkBytes bytes). */
  private void decodeChunk(long chunk, MemorySegment decoded, Arena scratch) throws IOException {
    Path file = chunkFile(chunk);
    try (FileChannel channel = openChunk(file, chunk)) {
      long offset = 0;
      long size = channel.size();
      if (spec.chunksPerFile() > 1) {
        long[] slot = shardSlot(channel, chunk, file, scratch);
        offset = slot[0];
        size = slot[1];
      }
      MemorySegment encoded = scratch.allocate(Math.max(1, size), 8).asSlice(0, size);
      readFully(channel, encoded, offset, chunk, file);
      decode(encoded, decoded, chunk, file);
    }
  }

  /** Offset and size of {@code chunk} in its shard, from the index at the shard's end (CRC-32C checked). */
  private long[] shardSlot(FileChannel channel, long chunk, Path file, Arena scratch) throws IOException {
    int entries = spec.chunksPerFile();
    long indexBytes = entries * 16L + 4;
    long size = channel.size();
    if (size < indexBytes) {
      throw cutShort(chunk, file, "the shard has " + size + " bytes, less than its index of " + indexBytes);
    }
    MemorySegment index = scratch.allocate(indexBytes, 8);
    readFully(channel, index, size - indexBytes, chunk, file);
    CRC32C crc = new CRC32C();
    crc.update(index.asSlice(0, entries * 16L).asByteBuffer());
    if ((int) crc.getValue() != index.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN),
        entries * 16L)) {
      throw cutShort(chunk, file, "the shard index's CRC-32C does not match");
    }
    int slot = (int) (chunk % entries);
    long offset = index.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), slot * 16L);
    long length = index.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), slot * 16L + 8);
    if (offset == MISSING && length == MISSING) {
      throw new IOException("zarr chunk missing: the shard index has no chunk " + chunk + ", which holds rows of"
          + " the array (chunk=" + chunk + ", path=" + file + ")");
    }
    if (offset < 0 || length < 0 || offset > size - indexBytes - length) {
      throw cutShort(chunk, file, "the index places it at [" + offset + ", +" + length + ") in a shard of "
          + size + " bytes");
    }
    return new long[] {offset, length};
  }

  private void decode(MemorySegment encoded, MemorySegment decoded, long chunk, Path file) throws IOException {
    long expected = decoded.byteSize();
    switch (spec.codec().name()) {
      case "none" -> {
        if (encoded.byteSize() != expected) {
          throw cutShort(chunk, file, encoded.byteSize() + " bytes, an uncompressed chunk has " + expected);
        }
        decoded.copyFrom(encoded);
      }
      case "gzip" -> gunzip(encoded, decoded, chunk, file);
      case "zstd" -> {
        long n;
        try {
          n = Zstd.decompressDirectByteBuffer(decoded.asByteBuffer(), 0, (int) expected, encoded.asByteBuffer(), 0,
              (int) encoded.byteSize());
        } catch (RuntimeException e) { // zstd-jni's ZstdException
          throw cutShort(chunk, file, "zstd decoding failed (" + e.getMessage() + ")");
        }
        if (Zstd.isError(n) || n != expected) {
          throw cutShort(chunk, file, "zstd decoding failed ("
              + (Zstd.isError(n) ? Zstd.getErrorName(n) : n + " bytes, expected " + expected) + ")");
        }
      }
      default -> throw new AssertionError(spec.codec());
    }
  }

  /** One gzip member as {@link ChunkEncoder} writes it: 10-byte header, raw deflate, CRC-32, size. */
  private void gunzip(MemorySegment encoded, MemorySegment decoded, long chunk, Path file) throws IOException {
    long size = encoded.byteSize();
    if (size < 18 || encoded.get(ValueLayout.JAVA_BYTE, 0) != 0x1f
        || encoded.get(ValueLayout.JAVA_BYTE, 1) != (byte) 0x8b || encoded.get(ValueLayout.JAVA_BYTE, 3) != 0) {
      throw cutShort(chunk, file, "not a gzip member of TensorSlab's form (" + size + " bytes)");
    }
    Inflater inflater = new Inflater(true);
    try {
      inflater.setInput(encoded.asSlice(10, size - 18).asByteBuffer());
      ByteBuffer out = decoded.asByteBuffer();
      while (out.hasRemaining() && !inflater.finished()) {
        if (inflater.inflate(out) == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
          break;
        }
      }
      if (!inflater.finished() || out.hasRemaining()) {
        throw cutShort(chunk, file, "gzip data ends after " + out.position() + " of " + decoded.byteSize()
            + " bytes");
      }
    } catch (DataFormatException e) {
      throw cutShort(chunk, file, "gzip data is corrupt: " + e.getMessage());
    } finally {
      inflater.end();
    }
    CRC32 crc = new CRC32();
    crc.update(decoded.asByteBuffer());
    if ((int) crc.getValue() != encoded.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN),
        size - 8)) {
      throw cutShort(chunk, file, "gzip CRC-32 does not match");
    }
  }

  private Path chunkFile(long chunk) {
    return directory.resolve(spec.chunkFile(chunk));
  }

  private static FileChannel openChunk(Path file, long chunk) throws IOException {
    try {
      return FileChannel.open(file, StandardOpenOption.READ);
    } catch (NoSuchFileException e) {
      throw new NoSuchFileException(file.toString(), null, "zarr chunk missing: chunk " + chunk + " holds rows"
          + " of the array but its file is not there (chunk=" + chunk + ", path=" + file + ")");
    }
  }

  private static void readFully(FileChannel channel, MemorySegment into, long position, long chunk, Path file)
      throws IOException {
    ByteBuffer buffer = into.asByteBuffer();
    while (buffer.hasRemaining()) {
      if (channel.read(buffer, position + buffer.position()) < 0) {
        throw cutShort(chunk, file, "the file ends at " + (position + buffer.position()) + " bytes, "
            + (position + into.byteSize()) + " are needed");
      }
    }
  }

  private static IOException cutShort(long chunk, Path file, String why) {
    return new IOException("zarr chunk cut short or corrupt: " + why + " (chunk=" + chunk + ", path=" + file + ")");
  }

  @Override
  public String toString() {
    return name() + " " + dtype().descr() + " " + Arrays.toString(shape()) + " " + spec;
  }
}

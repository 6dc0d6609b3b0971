package io.tensorslab.store.zarr;

import io.tensorslab.npy.NpyDtype;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;

/**
 * One Zarr array of rows: its path in the store, element dtype (a {@code .npy} descr), row shape,
 * rows per chunk, codec and, in v3, chunks per file (the {@code sharding_indexed} codec). Knows
 * how the array's metadata and chunk keys are spelled; holds no data.
 *
 * <p>Chunks always span whole rows: chunk shape {@code [chunkRows, *rowShape]}, so a chunk is a run
 * of rows' bytes, exactly as in a {@code .npy} payload.
 *
 * @param path array path inside the store, segments separated by {@code /}
 * @param chunksPerFile 1 for one file per chunk; more (v3 only) packs that many consecutive chunks
 *     in one shard file
 */
public record ZarrArraySpec(ZarrFormat format, String path, NpyDtype dtype, long[] rowShape, long chunkRows,
    ZarrCodec codec, int chunksPerFile) {

  /** Default chunks hold at most this many bytes; see {@link #defaultChunkRows(long)}. */
  public static final long DEFAULT_CHUNK_BYTES_MAX = 64L << 20;
  /** A chunk is encoded as one buffer; 1 GiB keeps its compressed bound under 2 GiB. */
  public static final long MAX_CHUNK_BYTES = 1L << 30;

  public ZarrArraySpec {
    rowShape = rowShape.clone();
    for (long d : rowShape) {
      if (d < 0) {
        throw new IllegalArgumentException("row shape " + Arrays.toString(rowShape) + " has a negative dim"
            + " (path=" + path + ")");
      }
    }
    if (chunkRows < 1) {
      throw new IllegalArgumentException("chunk rows must be at least 1, got " + chunkRows + " (path=" + path + ")");
    }
    if (chunksPerFile < 1) {
      throw new IllegalArgumentException("chunks per file must be at least 1, got " + chunksPerFile
          + " (path=" + path + ")");
    }
    if (chunksPerFile > 1 && format != ZarrFormat.V3) {
      throw new IllegalArgumentException("several chunks per file needs Zarr v3 (sharding); Zarr v2 has one"
          + " file per chunk: use format zarr3 or 1 chunk per file (path=" + path + ")");
    }
    long rowBytes = dtype.itemSize();
    for (long d : rowShape) {
      rowBytes = Math.multiplyExact(rowBytes, d);
    }
    if (rowBytes > 0 && chunkRows > MAX_CHUNK_BYTES / rowBytes) {
      throw new IllegalArgumentException("a chunk of " + chunkRows + " rows of " + rowBytes + " bytes exceeds "
          + MAX_CHUNK_BYTES + " bytes: choose fewer chunk rows (path=" + path + ")");
    }
    if (!dtype.isNativeOrder()) {
      throw new IllegalArgumentException("big-endian dtype " + dtype + " is not written (path=" + path + ")");
    }
  }

  /**
   * Rows per chunk when none is given: the largest power of two whose chunk holds at most 64 MiB,
   * so chunks hold 32-64 MiB (one row when a row alone is larger). Powers of two make the chunk
   * boundaries of every array of an export fall on the boundaries of the largest chunk.
   */
  public static long defaultChunkRows(long rowBytes) {
    if (rowBytes <= 0) {
      return 1L << 20;
    }
    long rows = DEFAULT_CHUNK_BYTES_MAX / rowBytes;
    return rows < 1 ? 1 : Long.highestOneBit(rows);
  }

  @Override
  public long[] rowShape() {
    return rowShape.clone();
  }

  /** Bytes of one row. */
  public long rowBytes() {
    long bytes = dtype.itemSize();
    for (long d : rowShape) {
      bytes = Math.multiplyExact(bytes, d);
    }
    return bytes;
  }

  /** Bytes of one chunk (a partial last chunk is stored full-size, its tail zero). */
  public long chunkBytes() {
    return Math.multiplyExact(rowBytes(), chunkRows);
  }

  /** Chunks holding {@code rows} rows. */
  public long chunkCount(long rows) {
    return rows == 0 ? 0 : (rows - 1) / chunkRows + 1;
  }

  /** True when v3 has no type for the dtype and it is stored as {@code uint8} with a trailing byte axis. */
  boolean storedAsBytes() {
    return format == ZarrFormat.V3 && dtype.kind() == 'S';
  }

  /** The array's name: the last path segment. */
  public String name() {
    int slash = path.lastIndexOf('/');
    return slash < 0 ? path : path.substring(slash + 1);
  }

  /**
   * The file holding chunk {@code chunk} (or, sharded, the shard holding it), relative to the
   * array's directory: v2 {@code "7.0.0"}, v3 {@code "c/7/0/0"}.
   */
  public String chunkFile(long chunk) {
    long file = chunk / chunksPerFile;
    int trailing = rowShape.length + (storedAsBytes() ? 1 : 0);
    StringBuilder sb = new StringBuilder(format == ZarrFormat.V2 ? "" : "c/").append(file);
    for (int i = 0; i < trailing; i++) {
      sb.append(format == ZarrFormat.V2 ? ".0" : "/0");
    }
    return sb.toString();
  }

  /** One metadata file of an array: its name in the array's directory and its bytes. */
  public record MetadataFile(String name, byte[] bytes) {}

  /**
   * The array's metadata files for {@code rows} rows, in writing order: v2 {@code .zattrs} (the
   * dimension names) then {@code .zarray}; v3 {@code zarr.json}.
   */
  public List<MetadataFile> metadataFiles(long rows) {
    if (format == ZarrFormat.V2) {
      SortedMap<String, Object> attributes = ZarrJson.object();
      attributes.put("_ARRAY_DIMENSIONS", dimensionNames());
      return List.of(new MetadataFile(".zattrs", ZarrJson.bytes(attributes)),
          new MetadataFile(".zarray", metadata(rows, Map.of())));
    }
    return List.of(new MetadataFile("zarr.json", metadata(rows, Map.of())));
  }

  /**
   * Names of the stored dims, for xarray ({@code _ARRAY_DIMENSIONS} in v2, {@code dimension_names}
   * in v3): {@code NAME.dim0}, {@code NAME.dim1}, ... — one set per array, since arrays of one export
   * differ in length (values, row splits) and xarray requires a shared name to mean a shared size.
   */
  List<String> dimensionNames() {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < storedShape(0).length; i++) {
      names.add(name() + ".dim" + i);
    }
    return names;
  }

  /** The shape of the whole array holding {@code rows} rows, as stored. */
  long[] storedShape(long rows) {
    long[] shape = new long[rowShape.length + 1 + (storedAsBytes() ? 1 : 0)];
    shape[0] = rows;
    System.arraycopy(rowShape, 0, shape, 1, rowShape.length);
    if (storedAsBytes()) {
      shape[shape.length - 1] = dtype.itemSize();
    }
    return shape;
  }

  /** The shape of one chunk, as stored. Zero-length dims are given chunk length 1, which readers require. */
  private long[] storedChunkShape(long rowsPerChunk) {
    long[] shape = storedShape(rowsPerChunk);
    for (int i = 1; i < shape.length; i++) {
      shape[i] = Math.max(1, shape[i]);
    }
    return shape;
  }

  /**
   * The array's metadata for {@code rows} rows: {@code .zarray} (v2) or {@code zarr.json} (v3)
   * bytes. The same spec and rows always give the same bytes.
   *
   * @param attributes v3 only: the array's attributes (v2 keeps none for arrays)
   */
  public byte[] metadata(long rows, Map<String, Object> attributes) {
    return ZarrJson.bytes(format == ZarrFormat.V2 ? v2Metadata(rows) : v3Metadata(rows, attributes));
  }

  private Map<String, Object> v2Metadata(long rows) {
    SortedMap<String, Object> meta = ZarrJson.object();
    meta.put("chunks", storedChunkShape(chunkRows));
    meta.put("compressor", codec.v2Compressor());
    meta.put("dimension_separator", ".");
    meta.put("dtype", dtype.descr());
    meta.put("fill_value", v2FillValue());
    meta.put("filters", null);
    meta.put("order", "C");
    meta.put("shape", storedShape(rows));
    meta.put("zarr_format", 2);
    return meta;
  }

  /** Zero in the dtype's JSON spelling; byte strings and raw bytes are base64 of zero bytes, as zarr-python encodes them. */
  private Object v2FillValue() {
    return switch (dtype.kind()) {
      case 'b' -> false;
      case 'i', 'u' -> 0;
      case 'f' -> new ZarrJson.Raw("0.0");
      case 'c' -> List.of(new ZarrJson.Raw("0.0"), new ZarrJson.Raw("0.0"));
      case 'S', 'V' -> Base64.getEncoder().encodeToString(new byte[dtype.itemSize()]);
      default -> throw new AssertionError(dtype);
    };
  }

  /**
   * The v3 {@code data_type}. bfloat16 ({@code <V2} in {@code .npy}) is {@code bfloat16}, the name
   * tensorstore and zarr-python's extensions use; other raw bytes are the core {@code r{bits}};
   * {@code |S{n}} is {@code uint8} with a trailing axis of n bytes (see {@link #storedAsBytes}).
   */
  String v3DataType() {
    int bits = dtype.itemSize() * 8;
    return switch (dtype.kind()) {
      case 'b' -> "bool";
      case 'i' -> "int" + bits;
      case 'u' -> "uint" + bits;
      case 'f' -> "float" + bits;
      case 'c' -> "complex" + bits;
      case 'S' -> "uint8";
      case 'V' -> dtype.equals(NpyDtype.BFLOAT16_AS_VOID) ? "bfloat16" : "r" + bits;
      default -> throw new AssertionError(dtype);
    };
  }

  private Object v3FillValue() {
    return switch (dtype.kind()) {
      case 'b' -> false;
      case 'i', 'u', 'S' -> 0;
      case 'f' -> new ZarrJson.Raw("0.0");
      case 'c' -> List.of(new ZarrJson.Raw("0.0"), new ZarrJson.Raw("0.0"));
      case 'V' -> dtype.equals(NpyDtype.BFLOAT16_AS_VOID) ? new ZarrJson.Raw("0.0")
          : java.util.Collections.nCopies(dtype.itemSize(), 0);
      default -> throw new AssertionError(dtype);
    };
  }

  private Map<String, Object> v3Metadata(long rows, Map<String, Object> attributes) {
    SortedMap<String, Object> meta = ZarrJson.object();
    meta.put("zarr_format", 3);
    meta.put("node_type", "array");
    meta.put("shape", storedShape(rows));
    meta.put("data_type", v3DataType());
    meta.put("chunk_grid", named("regular", "chunk_shape", storedChunkShape(chunkRows * chunksPerFile)));
    meta.put("chunk_key_encoding", named("default", "separator", "/"));
    meta.put("fill_value", v3FillValue());
    List<Object> chunkCodecs = new ArrayList<>();
    chunkCodecs.add(named("bytes", "endian", "little"));
    chunkCodecs.addAll(codec.v3Codecs());
    if (chunksPerFile == 1) {
      meta.put("codecs", chunkCodecs);
    } else {
      SortedMap<String, Object> sharding = ZarrJson.object();
      sharding.put("chunk_shape", storedChunkShape(chunkRows));
      sharding.put("codecs", chunkCodecs);
      sharding.put("index_codecs", List.of(named("bytes", "endian", "little"), named("crc32c", null, null)));
      sharding.put("index_location", "end");
      SortedMap<String, Object> codecEntry = ZarrJson.object();
      codecEntry.put("name", "sharding_indexed");
      codecEntry.put("configuration", sharding);
      meta.put("codecs", List.of(codecEntry));
    }
    SortedMap<String, Object> attrs = ZarrJson.object();
    attrs.putAll(attributes);
    if (storedAsBytes()) {
      SortedMap<String, Object> note = ZarrJson.object();
      note.put("numpy_dtype", dtype.descr());
      note.put("note", "Zarr v3 has no fixed-width byte string type: each " + dtype.descr()
          + " value is the last axis of uint8 bytes, NUL-padded; arr.view('" + dtype.descr()
          + "')[..., 0] gives the strings");
      attrs.put("tensorslab", note);
    }
    meta.put("attributes", attrs);
    meta.put("dimension_names", dimensionNames());
    return meta;
  }

  private static Map<String, Object> named(String name, String key, Object value) {
    SortedMap<String, Object> entry = ZarrJson.object();
    entry.put("name", name);
    if (key != null) {
      SortedMap<String, Object> configuration = ZarrJson.object();
      configuration.put(key, value);
      entry.put("configuration", configuration);
    }
    return entry;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ZarrArraySpec s && format == s.format && path.equals(s.path) && dtype.equals(s.dtype)
        && Arrays.equals(rowShape, s.rowShape) && chunkRows == s.chunkRows && codec.equals(s.codec)
        && chunksPerFile == s.chunksPerFile;
  }

  @Override
  public int hashCode() {
    return path.hashCode() * 31 + Arrays.hashCode(rowShape);
  }

  @Override
  public String toString() {
    return "ZarrArraySpec[" + format + " " + path + " " + dtype + " row " + Arrays.toString(rowShape)
        + " chunk rows " + chunkRows + " " + codec + (chunksPerFile > 1 ? " x" + chunksPerFile : "") + "]";
  }
}

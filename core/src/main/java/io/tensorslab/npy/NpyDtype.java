package io.tensorslab.npy;

import java.util.Objects;

/**
 * A NumPy dtype as written in a {@code .npy} header's {@code descr}: a byte-order mark, a kind
 * letter and an item size in bytes, e.g. {@code "<f4"}, {@code "|b1"}, {@code "|S16"}.
 *
 * <p>Only fixed-size dtypes exist here: TensorSlab maps every payload with one stride per item, so
 * object arrays ({@code |O}), structured dtypes and datetimes are rejected on read.
 *
 * {@snippet :
 * NpyDtype f32 = NpyDtype.parse("<f4");   // == NpyDtype.FLOAT32
 * long rowBytes = f32.itemSize() * 784;
 * }
 *
 * @param byteOrder {@code '<'} little-endian, {@code '>'} big-endian, {@code '|'} not applicable
 * @param kind NumPy's kind character: {@code b i u f c S V}
 * @param itemSize bytes per element, at least 1
 */
public record NpyDtype(char byteOrder, char kind, int itemSize) {

  public static final NpyDtype BOOL = new NpyDtype('|', 'b', 1);
  public static final NpyDtype INT8 = new NpyDtype('|', 'i', 1);
  public static final NpyDtype UINT8 = new NpyDtype('|', 'u', 1);
  public static final NpyDtype INT16 = new NpyDtype('<', 'i', 2);
  public static final NpyDtype UINT16 = new NpyDtype('<', 'u', 2);
  public static final NpyDtype INT32 = new NpyDtype('<', 'i', 4);
  public static final NpyDtype UINT32 = new NpyDtype('<', 'u', 4);
  public static final NpyDtype INT64 = new NpyDtype('<', 'i', 8);
  public static final NpyDtype UINT64 = new NpyDtype('<', 'u', 8);
  public static final NpyDtype FLOAT16 = new NpyDtype('<', 'f', 2);
  public static final NpyDtype FLOAT32 = new NpyDtype('<', 'f', 4);
  public static final NpyDtype FLOAT64 = new NpyDtype('<', 'f', 8);
  public static final NpyDtype COMPLEX64 = new NpyDtype('<', 'c', 8);
  public static final NpyDtype COMPLEX128 = new NpyDtype('<', 'c', 16);
  /**
   * bfloat16 as NumPy stores it: NumPy has no bfloat16, and {@code np.save} of an
   * {@code ml_dtypes.bfloat16} array writes two raw bytes per element ({@code <V2}). Recover the
   * values with {@code np.load(p).view(ml_dtypes.bfloat16)}.
   */
  public static final NpyDtype BFLOAT16_AS_VOID = new NpyDtype('<', 'V', 2);

  public NpyDtype {
    if (byteOrder != '<' && byteOrder != '>' && byteOrder != '|' && byteOrder != '=') {
      throw new IllegalArgumentException("dtype byte order must be one of < > | =, got '" + byteOrder + "'");
    }
    if ("biufcSV".indexOf(kind) < 0) {
      throw new IllegalArgumentException("dtype kind must be one of b i u f c S V, got '" + kind + "'");
    }
    if (itemSize < 1) {
      throw new IllegalArgumentException("dtype item size must be at least 1, got " + itemSize);
    }
  }

  /** Fixed-width byte strings {@code |S{width}}, what NumPy gives for {@code np.array(list_of_bytes)}. */
  public static NpyDtype bytes(int width) {
    return new NpyDtype('|', 'S', width);
  }

  /** Raw fixed-size records {@code |V{width}}. */
  public static NpyDtype opaque(int width) {
    return new NpyDtype('|', 'V', width);
  }

  /**
   * Parses a {@code descr} string such as {@code "<f8"}, {@code "|S7"} or {@code "u1"}. Like NumPy,
   * a missing byte order, {@code '='} and {@code '|'} on a multi-byte type all mean native order,
   * which is little-endian on every platform this library runs on.
   *
   * @throws NpyFormatException when the string is not a fixed-size dtype this library reads
   */
  public static NpyDtype parse(String descr) throws NpyFormatException {
    Objects.requireNonNull(descr, "descr");
    if (descr.length() > MAX_SHOWN) {
      throw new NpyFormatException("unsupported dtype: '" + abbreviate(descr) + "' is not a fixed-size NumPy descr");
    }
    if (descr.length() < 2) {
      throw new NpyFormatException("unsupported dtype: '" + descr + "' is not a fixed-size NumPy descr");
    }
    char first = descr.charAt(0);
    int at = 0;
    char order = '|';
    if (first == '<' || first == '>' || first == '|' || first == '=') {
      order = first;
      at = 1;
    }
    if (at >= descr.length()) {
      throw new NpyFormatException("unsupported dtype: '" + descr + "' has no kind");
    }
    char kind = descr.charAt(at);
    String digits = descr.substring(at + 1);
    if ("biufcSV".indexOf(kind) < 0) {
      throw new NpyFormatException("unsupported dtype: '" + descr + "' (kind '" + kind
          + "' is not one of b i u f c S V; object, unicode, datetime and structured arrays are not read)");
    }
    if (digits.isEmpty() || digits.length() > 9 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new NpyFormatException("unsupported dtype: '" + descr + "' has no valid item size");
    }
    int size = Integer.parseInt(digits);
    if (size < 1) {
      throw new NpyFormatException("unsupported dtype: '" + descr + "' has item size 0");
    }
    if (order == '=') {
      order = size == 1 ? '|' : '<'; // '=' is native order, and every platform we run on is little-endian
    }
    if (size == 1 || kind == 'S' || (kind == 'V' && order != '<')) {
      // NumPy normalises these to '|' whatever the file said. '<V2' is kept: it is how bfloat16 is
      // saved (ml_dtypes, and BFLOAT16_AS_VOID), so a file we wrote reads back as the dtype we wrote.
      order = '|';
    } else if (order == '|') {
      order = '<'; // np.dtype('f4') and np.dtype('|f4') are both native order, as NumPy reads them
    }
    if ((kind == 'b' && size != 1) || (kind == 'f' && size != 2 && size != 4 && size != 8)
        || (kind == 'c' && size != 8 && size != 16)
        || ((kind == 'i' || kind == 'u') && size != 1 && size != 2 && size != 4 && size != 8)) {
      throw new NpyFormatException("unsupported dtype: '" + descr + "' (no such NumPy type)");
    }
    return new NpyDtype(order, kind, size);
  }

  private static final int MAX_SHOWN = 40;

  /** {@code text} cut to a length that fits in an error message: a corrupt header may hold megabytes. */
  static String abbreviate(String text) {
    return text.length() <= MAX_SHOWN ? text : text.substring(0, MAX_SHOWN) + "...";
  }

  /** The {@code descr} string exactly as NumPy writes it, e.g. {@code "<f4"} or {@code "|S12"}. */
  public String descr() {
    return "" + byteOrder + kind + itemSize;
  }

  /** True when the data is little-endian or byte order does not apply; the only data this library maps as-is. */
  public boolean isNativeOrder() {
    return byteOrder != '>';
  }

  /** A name a person reads: {@code float32}, {@code uint8}, {@code bytes16}, {@code void2}. */
  public String displayName() {
    return switch (kind) {
      case 'b' -> "bool";
      case 'i' -> "int" + itemSize * 8;
      case 'u' -> "uint" + itemSize * 8;
      case 'f' -> "float" + itemSize * 8;
      case 'c' -> "complex" + itemSize * 8;
      case 'S' -> "bytes" + itemSize;
      case 'V' -> "void" + itemSize;
      default -> throw new AssertionError(kind);
    } + (byteOrder == '>' ? " (big-endian)" : "");
  }

  @Override
  public String toString() {
    return descr();
  }

}

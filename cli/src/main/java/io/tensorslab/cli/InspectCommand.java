package io.tensorslab.cli;

import io.tensorslab.npy.NpyArray;
import io.tensorslab.npy.NpyDtype;
import io.tensorslab.npy.NpyHeader;
import io.tensorslab.store.StoreCommit;
import java.io.PrintWriter;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HexFormat;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code tensorslab inspect FILE.npy}: what a {@code .npy} file holds, read from its header, no copy. */
@Command(
    name = "inspect",
    mixinStandardHelpOptions = true,
    description = {"Prints the format version, descr, shape, order, header length, payload offset and the "
        + "first values of a .npy file (any NumPy writer's, not only ours)."},
    footer = {"", "Exit codes: 0 ok, 1 missing or malformed file (one line on stderr), 2 usage error."})
final class InspectCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Parameters(index = "0", paramLabel = "FILE.npy", description = "The .npy file to inspect.")
  Path file;

  /** Values shown, in C order. */
  static final int VALUES_SHOWN = 8;

  @Override
  public Integer call() throws Exception {
    Path dir = file.toAbsolutePath().normalize().getParent();
    // An export killed inside its commit left a journal: complete it first, so the file is whole or absent.
    if (dir != null && StoreCommit.recover(dir) > 0) {
      spec.commandLine().getErr().println("completed an interrupted export (path=" + dir + ")");
    }
    if (!Files.exists(file)) {
      throw new NoSuchFileException(file.toString(), null, "no such file (path=" + file + ")");
    }
    if (Files.isDirectory(file)) {
      throw new java.io.IOException("is a directory, not a .npy file (path=" + file + ")");
    }
    NpyArray.Preamble preamble;
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      preamble = NpyArray.readPreamble(channel, file);
    }
    try (NpyArray array = NpyArray.open(file)) {
      NpyHeader header = array.header();
      NpyDtype dtype = header.dtype();
      PrintWriter out = spec.commandLine().getOut();
      out.printf(Locale.ROOT, "file:           %s%n", file);
      out.printf(Locale.ROOT, "version:        %d.%d%n", preamble.major(), preamble.minor());
      out.printf(Locale.ROOT, "descr:          '%s' (%s)%n", dtype.descr(), dtype.displayName());
      out.printf(Locale.ROOT, "shape:          %s%n", NpyHeader.shapeText(header.shape()));
      out.printf(Locale.ROOT, "order:          %s%n", header.fortranOrder() ? "F (fortran_order: True)" : "C");
      out.printf(Locale.ROOT, "header length:  %d%n", preamble.headerLength());
      out.printf(Locale.ROOT, "payload offset: %d%n", preamble.payloadOffset());
      out.printf(Locale.ROOT, "payload bytes:  %d%n", header.payloadByteSize());
      out.printf(Locale.ROOT, "first values:   %s%n", firstValues(array.segment(), dtype, header.elementCount(), VALUES_SHOWN));
      out.flush();
    }
    return 0;
  }

  /** Up to {@code n} values in C order, written the way NumPy prints them. */
  static String firstValues(MemorySegment payload, NpyDtype dtype, long count, int n) {
    StringBuilder sb = new StringBuilder("[");
    long shown = Math.min(count, n);
    for (long i = 0; i < shown; i++) {
      sb.append(i == 0 ? "" : ", ").append(value(payload, dtype, i * dtype.itemSize()));
    }
    if (count > shown) {
      sb.append(shown == 0 ? "..." : ", ...");
    }
    return sb.append(']').toString();
  }

  private static String value(MemorySegment s, NpyDtype dtype, long at) {
    return switch (dtype.kind()) {
      case 'b' -> s.get(ValueLayout.JAVA_BYTE, at) != 0 ? "True" : "False";
      case 'i' -> switch (dtype.itemSize()) {
        case 1 -> Byte.toString(s.get(ValueLayout.JAVA_BYTE, at));
        case 2 -> Short.toString(s.get(ValueLayout.JAVA_SHORT_UNALIGNED, at));
        case 4 -> Integer.toString(s.get(ValueLayout.JAVA_INT_UNALIGNED, at));
        default -> Long.toString(s.get(ValueLayout.JAVA_LONG_UNALIGNED, at));
      };
      case 'u' -> switch (dtype.itemSize()) {
        case 1 -> Integer.toString(Byte.toUnsignedInt(s.get(ValueLayout.JAVA_BYTE, at)));
        case 2 -> Integer.toString(Short.toUnsignedInt(s.get(ValueLayout.JAVA_SHORT_UNALIGNED, at)));
        case 4 -> Integer.toUnsignedString(s.get(ValueLayout.JAVA_INT_UNALIGNED, at));
        default -> Long.toUnsignedString(s.get(ValueLayout.JAVA_LONG_UNALIGNED, at));
      };
      case 'f' -> switch (dtype.itemSize()) {
        case 2 -> real(Float.float16ToFloat(s.get(ValueLayout.JAVA_SHORT_UNALIGNED, at)));
        case 4 -> real(s.get(ValueLayout.JAVA_FLOAT_UNALIGNED, at));
        default -> real(s.get(ValueLayout.JAVA_DOUBLE_UNALIGNED, at));
      };
      case 'c' -> {
        int half = dtype.itemSize() / 2;
        double re = half == 4 ? s.get(ValueLayout.JAVA_FLOAT_UNALIGNED, at) : s.get(ValueLayout.JAVA_DOUBLE_UNALIGNED, at);
        double im = half == 4 ? s.get(ValueLayout.JAVA_FLOAT_UNALIGNED, at + half)
            : s.get(ValueLayout.JAVA_DOUBLE_UNALIGNED, at + half);
        yield "(" + real(re) + (im < 0 || (im == 0 && 1 / im < 0) ? "" : "+") + real(im) + "j)";
      }
      case 'S' -> bytesLiteral(s.asSlice(at, dtype.itemSize()).toArray(ValueLayout.JAVA_BYTE));
      default -> "0x" + HexFormat.of().formatHex(s.asSlice(at, dtype.itemSize()).toArray(ValueLayout.JAVA_BYTE));
    };
  }

  private static String real(double v) {
    if (Double.isNaN(v)) {
      return "nan";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "inf" : "-inf";
    }
    return v == Math.rint(v) && Math.abs(v) < 1e16 ? String.format(Locale.ROOT, "%.1f", v) : Double.toString(v);
  }

  private static String real(float v) {
    if (Float.isNaN(v) || Float.isInfinite(v) || (v == Math.rint(v) && Math.abs(v) < 1e16)) {
      return real((double) v);
    }
    return Float.toString(v);
  }

  /** Python's {@code b'...'}: NumPy drops trailing NULs of an {@code |S} value. */
  private static String bytesLiteral(byte[] b) {
    int end = b.length;
    while (end > 0 && b[end - 1] == 0) {
      end--;
    }
    StringBuilder sb = new StringBuilder("b'");
    for (int i = 0; i < end; i++) {
      int c = b[i] & 0xff;
      switch (c) {
        case '\\' -> sb.append("\\\\");
        case '\'' -> sb.append("\\'");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c >= 0x20 && c < 0x7f) {
            sb.append((char) c);
          } else {
            sb.append(String.format("\\x%02x", c));
          }
        }
      }
    }
    return sb.append('\'').toString();
  }
}

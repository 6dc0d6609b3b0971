package io.tensorslab.cli;

import io.tensorslab.cli.args.Command;
import io.tensorslab.cli.args.CommandSpec;
import io.tensorslab.cli.args.Converter;
import io.tensorslab.cli.args.UsageException;
import io.tensorslab.npy.NpyArray;
import io.tensorslab.npy.NpyDtype;
import io.tensorslab.npy.NpyHeader;
import io.tensorslab.slab.HeapBytes;
import io.tensorslab.store.OutputNames;
import io.tensorslab.store.StoreCommit;
import io.tensorslab.store.zarr.ZarrStoreReader;
import io.tensorslab.tf.TfRecordDatasets;
import io.tensorslab.tfrecord.TfRecordCompression;
import io.tensorslab.tfrecord.TfRecordInputs;
import io.tensorslab.export.TfRecordConversion;
import io.tensorslab.tfrecord.SequenceSurvey;
import io.tensorslab.tfrecord.TfRecordSurvey;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * {@code tensorslab inspect}: what a {@code .npy} file holds, read from its header, no copy; or what
 * the {@code tf.train.Example} records of TFRecord files hold, feature by feature, with the
 * {@code --feature} list that {@code convert} would infer.
 */
final class InspectCommand extends Command {

  // Set from the arguments as spec() declares them; a default is the field's initial value.
  List<String> inputs;

  Long scan;

  TfRecordCompression compression;

  boolean sequence;

  boolean json;

  @Override
  protected CommandSpec spec() {
    return new CommandSpec("Shows what a .npy file, a Zarr store or TFRecord files hold.",
        "For a .npy file (any NumPy writer's, not only ours): the format version, descr, shape, order, "
        + "header length, payload offset and first values.",
        "For TFRecord files (the input forms of convert: files, quoted globs, directories): per feature its name, "
        + "value kind, values per record (min-max), records lacking it, and for bytes the image format and shapes "
        + "read from the image headers (no decode) or the byte-length range; then the --feature list convert "
        + "infers, ready to paste.",
        "For a Zarr store TensorSlab wrote (--format zarr or zarr3): per array its name, component, descr, shape, "
        + "chunk shape, codec, chunks per file (v3) and first values, and the manifest held in the root attributes.")
        .positionals("FILE.npy|STORE.zarr|TFRECORD", v -> inputs = v,
            "A .npy file, a Zarr store directory, or TFRecord input(s): files, quoted globs, directories.")
        .value("--scan", "N", Converter.LONG, v -> scan = v, "TFRecords: read at most N records (default: all).")
        .value("--compression", "none|gzip|zlib", ConvertCommand::parseCompression, v -> compression = v,
            "TFRecords: how every file is compressed (default: detected from the files' first bytes).")
        .flag("--sequence", () -> sequence = true, "TFRecords: read the records as tf.train.SequenceExample "
            + "(default: so when one of the first records holds a feature list).")
        .flag("--json", () -> json = true,
            "TFRecords and Zarr stores: print one JSON object instead of the table.")
        .footer("", "Examples:", "  tensorslab inspect data/images.npy",
            "  tensorslab inspect 'data/train-*-of-01024' --scan 10000",
            "  tensorslab inspect train.zarr --json",
            "", "Exit codes: 0 ok, 1 missing or malformed file or store (one line on stderr), 2 usage error.");
  }

  /** Values shown, in C order. */
  static final int VALUES_SHOWN = 8;

  @Override
  public Integer call() throws Exception {
    if (inputs.size() == 1 && isNpy(Path.of(inputs.getFirst()))) {
      return inspectNpy(Path.of(inputs.getFirst()));
    }
    if (inputs.size() == 1 && isZarr(Path.of(inputs.getFirst()))) {
      return inspectZarr(Path.of(inputs.getFirst()));
    }
    if (scan != null && scan < 1) {
      throw new UsageException("Invalid value for option '--scan': must be at least 1, got " + scan);
    }
    List<Path> files;
    try {
      files = TfRecordInputs.expand(inputs);
      for (Path p : files) {
        if (isNpy(p)) {
          throw new IllegalArgumentException("inspect takes one .npy file, or TFRecord inputs only; got " + p
              + " among " + files.size() + " inputs");
        }
      }
      if (compression == null) {
        compression = TfRecordInputs.detectCompression(files);
      }
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage());
    }
    TfRecordDatasets.checkFiles(files);
    long limit = scan == null ? Long.MAX_VALUE : scan;
    PrintWriter out = stdout();
    if (sequence || SequenceSurvey.holdsFeatureLists(files, compression, TfRecordConversion.SEQUENCE_SNIFF_RECORDS)) {
      SequenceSurvey survey = SequenceSurvey.scan(files, compression, limit);
      if (json) {
        out.print(SequenceReport.json(survey, compression));
      } else {
        SequenceReport.table(out, survey, compression);
      }
      out.flush();
      return 0;
    }
    TfRecordSurvey survey = TfRecordSurvey.scan(files, compression, limit);
    if (json) {
      out.print(TfRecordReport.json(survey, compression));
    } else {
      TfRecordReport.table(out, survey, compression);
    }
    out.flush();
    return 0;
  }

  /** A {@code .npy} by its name, or by NumPy's magic at its start. */
  private static boolean isNpy(Path p) throws IOException {
    if (p.getFileName() != null && p.getFileName().toString().endsWith(".npy")) {
      return true;
    }
    if (!Files.isRegularFile(p)) {
      return false;
    }
    try (InputStream in = Files.newInputStream(p)) {
      byte[] head = in.readNBytes(6);
      return head.length == 6 && (head[0] & 0xff) == 0x93 && new String(head, 1, 5, StandardCharsets.ISO_8859_1)
          .equals("NUMPY");
    }
  }

  /** A directory holding Zarr metadata (at its root or an array's), or named {@code *.zarr}. */
  private static boolean isZarr(Path p) throws IOException {
    return Files.isDirectory(p) && (ZarrStoreReader.looksLikeStore(p)
        || (p.getFileName() != null && p.getFileName().toString().endsWith(".zarr")));
  }

  private int inspectZarr(Path root) throws IOException {
    // An export killed inside its commit left a journal in the store's root: complete it first, so the
    // store is whole (root metadata present) or visibly unfinished.
    if (StoreCommit.recover(root) > 0) {
      stderr().println("completed an interrupted export (path=" + root + ")");
    }
    ZarrStoreReader store = ZarrStoreReader.open(root);
    PrintWriter out = stdout();
    if (json) {
      out.print(ZarrReport.json(store));
    } else {
      ZarrReport.table(out, store);
    }
    out.flush();
    return 0;
  }

  private int inspectNpy(Path file) throws IOException {
    // An export killed inside its commit left a journal in its output directory: complete it first, so
    // the file is whole or absent. Output names may contain '/', so that directory may be any ancestor.
    Path dir = file.toAbsolutePath().normalize().getParent();
    for (int level = 0; dir != null && level <= OutputNames.MAX_DEPTH; level++, dir = dir.getParent()) {
      if (!Files.isReadable(dir)) {
        break; // above the output directory: not ours to list
      }
      if (StoreCommit.recover(dir) > 0) {
        stderr().println("completed an interrupted export (path=" + dir + ")");
      }
    }
    if (!Files.exists(file)) {
      throw new NoSuchFileException(file.toString(), null, "no such file (path=" + file + ")");
    }
    if (Files.isDirectory(file)) {
      throw new IOException("is a directory, not a .npy file (path=" + file + ")");
    }
    NpyArray.Preamble preamble;
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      preamble = NpyArray.readPreamble(channel, file);
    }
    try (NpyArray array = NpyArray.open(file)) {
      NpyHeader header = array.header();
      NpyDtype dtype = header.dtype();
      PrintWriter out = stdout();
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
      case 'S' -> bytesLiteral(HeapBytes.copyOf(s, at, dtype.itemSize()));
      default -> "0x" + HexFormat.of().formatHex(HeapBytes.copyOf(s, at, dtype.itemSize()));
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

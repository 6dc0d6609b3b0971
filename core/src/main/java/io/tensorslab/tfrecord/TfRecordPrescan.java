package io.tensorslab.tfrecord;

import io.tensorslab.slab.HeapBytes;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The walk over the inputs before TensorFlow reads them: counts the rows (an exact preallocation, the
 * progress bar's total), and where features need it reads each record in Java to find what the
 * pipeline must know ahead — the longest row of each {@code *} feature to pad, the largest image of
 * each {@code image:*,*,C} feature — and to refuse, naming file, record and feature, what TensorFlow
 * would only report per batch: a {@code raw-<type>} value of the wrong byte length, an image of
 * another size than {@code image:H,W,C}, bytes that are no image.
 *
 * <p>Records are read by the native reader ({@link TfRecordReader}) with TensorFlow's parsing rules, so a
 * record TensorFlow would refuse for these features fails here, named. Without such features only
 * the framing is walked (no data CRCs: a plain file is mapped and costs one header read per record).
 *
 * @param rows records to export (all, or the first {@code limit})
 * @param maxLengths the most values in a record, per {@code *} feature asked for
 * @param imageSizes {@code {height, width}} of the largest image, per {@code image:*,*,C} feature
 */
public record TfRecordPrescan(long rows, Map<String, Long> maxLengths, Map<String, long[]> imageSizes) {

  /**
   * Walks the first {@code limit} records of {@code files}.
   *
   * @param paddedFeatures names of {@code *} features whose longest row is wanted
   * @throws TfRecordException naming file, record and feature for a damaged file or a value that cannot be decoded
   */
  public static TfRecordPrescan run(List<Path> files, TfRecordCompression compression, List<FeatureSpec> features,
      List<String> paddedFeatures, long limit) throws IOException {
    // One selection: the '*' features to measure, then the decoded ones to check.
    List<FeatureSpec> read = new ArrayList<>();
    features.stream().filter(f -> paddedFeatures.contains(f.name())).forEach(read::add);
    int firstDecoded = read.size();
    features.stream().filter(f -> !(f.decoder() instanceof FeatureSpec.Decoder.None)).forEach(read::add);
    Map<String, Long> maxLengths = new HashMap<>();
    paddedFeatures.forEach(n -> maxLengths.put(n, 0L));
    Map<String, long[]> imageSizes = new HashMap<>();
    FeatureSelection selection = FeatureSelection.of(read);
    long rows = 0;
    for (Path p : files) {
      if (rows >= limit) {
        break;
      }
      if (read.isEmpty()) {
        try (TfRecordReader r = TfRecordReader.open(p, compression).checkCrc(false)) {
          while (rows < limit && r.next()) {
            rows++;
          }
        }
        continue;
      }
      rows += ExampleRecords.read(p, compression, selection, limit - rows, (record, values) -> {
        for (int i = 0; i < firstDecoded; i++) {
          maxLengths.merge(read.get(i).name(), (long) values.values(i).count(), Math::max);
        }
        for (int i = firstDecoded; i < read.size(); i++) {
          check(read.get(i), values.values(i).bytesAt(0), p, record, imageSizes);
        }
      });
    }
    return new TfRecordPrescan(rows, Map.copyOf(maxLengths), Map.copyOf(imageSizes));
  }

  private static void check(FeatureSpec f, MemorySegment value, Path path, long record, Map<String, long[]> imageSizes)
      throws TfRecordException {
    switch (f.decoder()) {
      case FeatureSpec.Decoder.Raw raw -> {
        if (value.byteSize() != rawByteLength(f)) {
          throw rawLengthMismatch(f, value.byteSize(), path, record);
        }
      }
      case FeatureSpec.Decoder.Image image -> {
        ImageHeader h = checkImage(f, value, path, record);
        if (f.imageSizeVaries()) {
          imageSizes.merge(f.name(), new long[] {h.height(), h.width()},
              (a, b) -> new long[] {Math.max(a[0], b[0]), Math.max(a[1], b[1])});
        }
      }
      case FeatureSpec.Decoder.None none -> {
        // nothing to check
      }
    }
  }

  /**
   * The header of image feature {@code f}'s value in record {@code record} of {@code path}, checked:
   * a JPEG, PNG, GIF or BMP with a readable size, of the feature's size unless it is {@code image:*,*,C}.
   */
  public static ImageHeader checkImage(FeatureSpec f, MemorySegment value, Path path, long record)
      throws TfRecordException {
    ImageHeader h = ImageHeader.sniff(value);
    if (h == null) {
      throw new TfRecordException("feature '" + f.name() + "' is not a JPEG, PNG, GIF or BMP image (" + value.byteSize()
          + " bytes starting " + hex(value) + ")", path, record, f.name(), -1, null);
    }
    if (h.height() <= 0 || h.width() <= 0) {
      throw new TfRecordException("feature '" + f.name() + "' is a " + h.format().displayName()
          + " image whose header is cut short or damaged (" + value.byteSize() + " bytes)", path, record, f.name(), -1, null);
    }
    if (!f.imageSizeVaries() && (h.height() != f.shape().get(0) || h.width() != f.shape().get(1))) {
      throw new TfRecordException("feature '" + f.name() + "' is a " + h.height() + "x" + h.width() + " "
          + h.format().displayName() + " image, expected " + f.shape().get(0) + "x" + f.shape().get(1)
          + " (image:" + f.shape().get(0) + "," + f.shape().get(1) + "," + f.shape().get(2)
          + "; use image:*,*," + f.shape().get(2) + " for images of several sizes)", path, record, f.name(), -1, null);
    }
    return h;
  }

  /** The bytes a {@code raw-<type>} value must hold: the shape's element count times the type's size. */
  public static long rawByteLength(FeatureSpec f) {
    if (!(f.decoder() instanceof FeatureSpec.Decoder.Raw raw)) {
      throw new IllegalArgumentException("feature '" + f.name() + "' is " + f.dtypeName() + ", not raw-<type>");
    }
    try {
      return Math.multiplyExact(rawElements(f), (long) raw.type().itemSize());
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE; // more than any record holds: every value is refused
    }
  }

  /**
   * The error for a {@code raw-<type>} value of {@code actualBytes} bytes in record {@code record} of
   * {@code path} (which holds another length than {@link #rawByteLength}); both engines fail with it.
   */
  public static TfRecordException rawLengthMismatch(FeatureSpec f, long actualBytes, Path path, long record) {
    FeatureSpec.Decoder.Raw raw = (FeatureSpec.Decoder.Raw) f.decoder();
    long expected = rawByteLength(f);
    return new TfRecordException("feature '" + f.name() + "' holds " + actualBytes + " bytes, expected "
        + (expected == Long.MAX_VALUE ? "more than a long can count" : expected) + " (" + rawElements(f) + " x " + raw.type().cliName() + " for shape "
        + f.shape().toString().replace(" ", "") + ")", path, record, f.name(), -1, null);
  }

  private static long rawElements(FeatureSpec f) {
    long elements = 1;
    for (long d : f.shape()) {
      elements *= d; // cannot overflow: FeatureSpec checks its shape
    }
    return elements;
  }

  private static String hex(MemorySegment b) {
    return java.util.HexFormat.of().formatHex(HeapBytes.copyOf(b, 0, (int) Math.min(8, b.byteSize())));
  }
}

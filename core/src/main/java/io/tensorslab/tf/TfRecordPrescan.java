package io.tensorslab.tf;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.proto.Example;
import org.tensorflow.proto.Feature;

/**
 * The walk over the inputs before TensorFlow reads them: counts the rows (an exact preallocation, the
 * progress bar's total), and where features need it reads each record in Java to find what the
 * pipeline must know ahead — the longest row of each {@code *} feature to pad, the largest image of
 * each {@code image:*,*,C} feature — and to refuse, naming file, record and feature, what TensorFlow
 * would only report per batch: a {@code raw-<type>} value of the wrong byte length, an image of
 * another size than {@code image:H,W,C}, bytes that are no image.
 *
 * <p>Without such features only the framing is walked (no CRCs: a plain file costs one seek per record).
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
    List<FeatureSpec> decoded = features.stream()
        .filter(f -> !(f.decoder() instanceof FeatureSpec.Decoder.None)).toList();
    Map<String, Long> maxLengths = new HashMap<>();
    paddedFeatures.forEach(n -> maxLengths.put(n, 0L));
    Map<String, long[]> imageSizes = new HashMap<>();
    boolean readRecords = !decoded.isEmpty() || !paddedFeatures.isEmpty();
    long rows = 0;
    for (Path p : files) {
      if (rows >= limit) {
        break;
      }
      try (TfRecordScanner s = TfRecordScanner.open(p, compression)) {
        if (!readRecords) {
          while (rows < limit && s.skip(false)) {
            rows++;
          }
          continue;
        }
        while (rows < limit) {
          long record = s.recordIndex();
          byte[] bytes = s.next();
          if (bytes == null) {
            break;
          }
          rows++;
          Map<String, Feature> present;
          try {
            present = Example.parseFrom(bytes).getFeatures().getFeatureMap();
          } catch (InvalidProtocolBufferException e) {
            continue; // TensorFlow's parse reports it, and the error translation names the record
          }
          for (String name : paddedFeatures) {
            Feature f = present.get(name);
            if (f != null) {
              maxLengths.merge(name, valueCount(f), Math::max);
            }
          }
          for (FeatureSpec f : decoded) {
            Feature feature = present.get(f.name());
            if (feature == null || feature.getKindCase() != Feature.KindCase.BYTES_LIST
                || feature.getBytesList().getValueCount() != 1) {
              continue; // missing, of another kind or count: ParseExample's error, explained per record
            }
            check(f, feature.getBytesList().getValue(0), p, record, imageSizes);
          }
        }
      }
    }
    return new TfRecordPrescan(rows, Map.copyOf(maxLengths), Map.copyOf(imageSizes));
  }

  private static void check(FeatureSpec f, ByteString value, Path path, long record, Map<String, long[]> imageSizes)
      throws TfRecordException {
    switch (f.decoder()) {
      case FeatureSpec.Decoder.Raw raw -> {
        long elements = 1;
        for (long d : f.shape()) {
          elements *= d;
        }
        long expected = elements * raw.type().itemSize();
        if (value.size() != expected) {
          throw new TfRecordException("feature '" + f.name() + "' holds " + value.size() + " bytes, expected " + expected
              + " (" + elements + " x " + raw.type().cliName() + " for shape " + f.shape().toString().replace(" ", "")
              + ")", path, record, f.name(), -1, null);
        }
      }
      case FeatureSpec.Decoder.Image image -> {
        ImageHeader h = ImageHeader.sniff(value.substring(0, Math.min(value.size(), 1 << 16)).toByteArray());
        if (h == null) {
          throw new TfRecordException("feature '" + f.name() + "' is not a JPEG, PNG, GIF or BMP image (" + value.size()
              + " bytes starting " + hex(value) + ")", path, record, f.name(), -1, null);
        }
        if (h.height() <= 0 || h.width() <= 0) {
          throw new TfRecordException("feature '" + f.name() + "' is a " + h.format().displayName()
              + " image whose header is cut short or damaged (" + value.size() + " bytes)", path, record, f.name(), -1, null);
        }
        if (f.imageSizeVaries()) {
          imageSizes.merge(f.name(), new long[] {h.height(), h.width()},
              (a, b) -> new long[] {Math.max(a[0], b[0]), Math.max(a[1], b[1])});
        } else if (h.height() != f.shape().get(0) || h.width() != f.shape().get(1)) {
          throw new TfRecordException("feature '" + f.name() + "' is a " + h.height() + "x" + h.width() + " "
              + h.format().displayName() + " image, expected " + f.shape().get(0) + "x" + f.shape().get(1)
              + " (image:" + f.shape().get(0) + "," + f.shape().get(1) + "," + f.shape().get(2)
              + "; use image:*,*," + f.shape().get(2) + " for images of several sizes)", path, record, f.name(), -1, null);
        }
      }
      case FeatureSpec.Decoder.None none -> {
        // nothing to check
      }
    }
  }

  static long valueCount(Feature f) {
    return switch (f.getKindCase()) {
      case FLOAT_LIST -> f.getFloatList().getValueCount();
      case INT64_LIST -> f.getInt64List().getValueCount();
      case BYTES_LIST -> f.getBytesList().getValueCount();
      case KIND_NOT_SET -> 0;
    };
  }

  private static String hex(ByteString b) {
    return java.util.HexFormat.of().formatHex(b.substring(0, Math.min(8, b.size())).toByteArray());
  }
}

package io.tensorslab.tfrecord;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * What the {@code tf.train.Example} records of some TFRecord files hold, feature by feature, from one
 * pass of the native reader ({@link TfRecordReader}: TensorFlow's parsing rules, no TensorFlow): each feature's value kind, values per record, records lacking it,
 * and for bytes features the byte lengths and the images found by their headers
 * ({@link ImageHeader}, no decode). {@code tensorslab inspect} prints it; {@link #inferSchema} turns
 * it into the {@code --feature} list that {@code convert} uses when none is given.
 *
 * {@snippet :
 * TfRecordSurvey survey = TfRecordSurvey.scan(files, TfRecordCompression.GZIP, Long.MAX_VALUE);
 * List<FeatureSpec> schema = survey.inferSchema(); // e.g. image/encoded:image:24,32,3, label:int64:
 * }
 *
 * @param files the files read, in order
 * @param records records read
 * @param complete false when the scan stopped at its record limit before the end of the files
 * @param features per feature name, sorted by name
 */
public record TfRecordSurvey(List<Path> files, long records, boolean complete, Map<String, FeatureSurvey> features) {

  /** Distinct image shapes remembered per feature; more are counted, not listed. */
  static final int MAX_SHAPES_LISTED = 8;

  public TfRecordSurvey {
    files = List.copyOf(files);
    features = Collections.unmodifiableMap(new TreeMap<>(features));
  }

  /**
   * One feature across the records read.
   *
   * @param name the feature key
   * @param kinds the value lists seen ({@code float32}, {@code int64}, {@code bytes}); more than one
   *     means records disagree
   * @param recordsWith records that hold the feature (with a value list)
   * @param minValues fewest values in a record that holds it
   * @param maxValues most values in a record that holds it
   * @param minBytes shortest bytes value (bytes features; -1 when none)
   * @param maxBytes longest bytes value (bytes features; -1 when none)
   * @param imageValues bytes values that start like an image
   * @param completeImages image values whose header gave height, width and channels
   * @param formats the image formats seen
   * @param shapes the distinct image shapes {@code [H, W, C]} seen, the first {@value #MAX_SHAPES_LISTED}
   * @param moreShapes true when there were more distinct shapes than listed
   * @param maxHeight tallest image, -1 when none
   * @param maxWidth widest image, -1 when none
   * @param maxChannels most channels of an image, -1 when none
   */
  public record FeatureSurvey(String name, Set<String> kinds, long recordsWith, long minValues, long maxValues,
      long minBytes, long maxBytes, long imageValues, long completeImages, Set<ImageHeader.Format> formats,
      Set<List<Long>> shapes, boolean moreShapes, long maxHeight, long maxWidth, int maxChannels) {

    /** The single value kind, or null when records disagree. */
    public String kind() {
      return kinds.size() == 1 ? kinds.iterator().next() : null;
    }

    /** True when every value of every record holding it is one complete image header, one per record. */
    public boolean oneImagePerRecord(long records) {
      return "bytes".equals(kind()) && recordsWith == records && minValues == 1 && maxValues == 1
          && imageValues == records && completeImages == records;
    }

    /** True when every image seen has one height and width (channels may differ: decoding converts them). */
    public boolean oneImageShape() {
      return !moreShapes && shapes.stream().map(s -> s.subList(0, 2)).distinct().count() == 1;
    }
  }

  /**
   * Reads up to {@code limit} records of {@code files} in order, every CRC checked.
   *
   * @throws TfRecordException naming file and record for a damaged file or a record that is not an Example
   */
  public static TfRecordSurvey scan(List<Path> files, TfRecordCompression compression, long limit) throws IOException {
    Objects.requireNonNull(compression, "compression");
    Map<String, Accumulator> byName = new TreeMap<>();
    ExampleView example = new ExampleView();
    FeatureValues values = new FeatureValues();
    RecordScan.Outcome read = RecordScan.scan(files, compression, limit, record -> {
      example.parse(record);
      for (int i = 0; i < example.entryCount(); i++) {
        byte[] name = example.nameBytes(i);
        // A name given twice: the entry TensorFlow's parser keeps for a variable-length feature.
        if (example.lastEntry(name) != i) {
          continue;
        }
        values.decode(example, i);
        byName.computeIfAbsent(example.name(i), Accumulator::new).add(values);
      }
    });
    Map<String, FeatureSurvey> features = new TreeMap<>();
    byName.forEach((name, a) -> features.put(name, a.survey()));
    return new TfRecordSurvey(files, read.records(), read.complete(), features);
  }

  /**
   * The schema {@code convert} uses when no {@code --feature} is given, in name order: a value count
   * the same in every record → that fixed shape (1 → scalar); a count that varies, or a feature some
   * records lack → {@code *}; a bytes feature holding one image in every record → {@code image:H,W,C}
   * when all have one shape, else {@code image:*,*,C} (C the most channels seen). A feature that never
   * holds a value list is left out (nothing says its kind; {@code inspect} lists it as {@code none}).
   *
   * @throws IllegalArgumentException for a feature whose records disagree on its value kind, or no feature
   */
  public List<FeatureSpec> inferSchema() {
    if (features.isEmpty()) {
      throw new IllegalArgumentException("no feature found in " + records + " record" + (records == 1 ? "" : "s")
          + " of " + files.size() + " file" + (files.size() == 1 ? "" : "s") + ": nothing to convert");
    }
    List<FeatureSpec> schema = new ArrayList<>();
    for (FeatureSurvey f : features.values()) {
      if (!f.kinds().isEmpty()) { // never a value list: no kind to read it as, and nothing to convert
        schema.add(infer(f));
      }
    }
    if (schema.isEmpty()) {
      throw new IllegalArgumentException("no feature holds a value list in " + records + " record"
          + (records == 1 ? "" : "s") + ": nothing to convert");
    }
    return List.copyOf(schema);
  }

  private FeatureSpec infer(FeatureSurvey f) {
    String kind = f.kind();
    if (kind == null) {
      throw new IllegalArgumentException("feature '" + f.name() + "' holds " + String.join(" in some records, ",
          f.kinds()) + " in others: give its --feature NAME:DTYPE:SHAPE (or leave it out by listing the others)");
    }
    FeatureSpec.Dtype dtype = switch (kind) {
      case "float32" -> FeatureSpec.Dtype.FLOAT32;
      case "int64" -> FeatureSpec.Dtype.INT64;
      default -> FeatureSpec.Dtype.BYTES;
    };
    if (f.oneImagePerRecord(records)) {
      // Grey+alpha (2) has no image:...,C of its own: RGBA keeps both (decode_image(channels=4) expands it).
      int c = f.maxChannels() == 2 ? 4 : f.maxChannels();
      if (f.oneImageShape()) {
        List<Long> shape = f.shapes().iterator().next();
        return FeatureSpec.image(f.name(), shape.get(0), shape.get(1), c);
      }
      return FeatureSpec.image(f.name(), -1, -1, c);
    }
    if (f.recordsWith() == records && f.minValues() == f.maxValues()) {
      return new FeatureSpec(f.name(), dtype, f.minValues() == 1 ? List.of() : List.of(f.minValues()), false);
    }
    return new FeatureSpec(f.name(), dtype, List.of(), true);
  }

  /** Running totals of one feature. */
  private static final class Accumulator {
    final String name;
    final Set<String> kinds = new LinkedHashSet<>();
    final Set<ImageHeader.Format> formats = new LinkedHashSet<>();
    final Set<List<Long>> shapes = new LinkedHashSet<>();
    boolean moreShapes;
    long completeImages;
    long recordsWith;
    long minValues = Long.MAX_VALUE;
    long maxValues = -1;
    long minBytes = Long.MAX_VALUE;
    long maxBytes = -1;
    long imageValues;
    long maxHeight = -1;
    long maxWidth = -1;
    int maxChannels = -1;

    Accumulator(String name) {
      this.name = name;
    }

    void add(FeatureValues v) {
      if (v.kind() == WireKind.NONE) {
        return; // no value list: ParseExample takes it for a missing feature
      }
      kinds.add(v.kind().valueName());
      long n = v.count();
      if (v.kind() == WireKind.BYTES_LIST) {
        for (int i = 0; i < n; i++) {
          addBytes(v.bytesAt(i));
        }
      }
      recordsWith++;
      minValues = Math.min(minValues, n);
      maxValues = Math.max(maxValues, n);
    }

    private void addBytes(MemorySegment v) {
      minBytes = Math.min(minBytes, v.byteSize());
      maxBytes = Math.max(maxBytes, v.byteSize());
      ImageHeader h = ImageHeader.sniff(v);
      if (h == null) {
        return;
      }
      imageValues++;
      formats.add(h.format());
      if (!h.complete()) {
        return;
      }
      completeImages++;
      List<Long> shape = List.of(h.height(), h.width(), (long) h.channels());
      if (shapes.size() < MAX_SHAPES_LISTED || shapes.contains(shape)) {
        shapes.add(shape);
      } else {
        moreShapes = true;
      }
      maxHeight = Math.max(maxHeight, h.height());
      maxWidth = Math.max(maxWidth, h.width());
      maxChannels = Math.max(maxChannels, h.channels());
    }

    FeatureSurvey survey() {
      return new FeatureSurvey(name, Collections.unmodifiableSet(kinds), recordsWith,
          maxValues < 0 ? 0 : minValues, Math.max(maxValues, 0), maxBytes < 0 ? -1 : minBytes, maxBytes,
          imageValues, completeImages, Collections.unmodifiableSet(formats), Collections.unmodifiableSet(shapes),
          moreShapes, maxHeight, maxWidth, maxChannels);
    }
  }
}

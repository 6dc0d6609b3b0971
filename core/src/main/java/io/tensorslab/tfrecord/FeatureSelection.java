package io.tensorslab.tfrecord;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The features a reader asks for, resolved in each record the way TensorFlow's
 * {@code FastParseSerializedExample} resolves them for {@code ParseExampleV2}, with the same
 * failures (each a {@link MalformedExampleException} naming the feature):
 * <ul>
 *   <li>every entry under a requested name must start with a list tag, the losing duplicates too;
 *   <li>a <b>fixed</b> feature (dense) takes the last entry that holds a list — an empty
 *       {@code Feature} counts as absent, so an earlier duplicate can win; none is "missing"; the
 *       kind must match; the count must equal the shape's;
 *   <li>a <b>variable-length</b> feature (ragged) takes the last entry, even an empty one (an empty
 *       row); none is an empty row; a kind other than the requested one (or none) fails.
 * </ul>
 *
 * {@snippet :
 * FeatureSelection selection = FeatureSelection.of(specs);
 * selection.read(example);                       // throws MalformedExampleException
 * FeatureValues image = selection.values(0);     // in the order of specs
 * }
 *
 * <p>Reusable, not thread-safe: one per thread ({@link #copy()} makes another).
 */
public final class FeatureSelection {

  /**
   * One requested feature.
   *
   * @param name the key in the {@code Example}
   * @param kind the list it must hold
   * @param fixedCount values per record of a fixed feature, or -1 for a variable-length one
   * @param shapeText how the fixed shape reads in messages ({@code "a scalar"}, {@code "shape [2,3]"})
   */
  public record Wanted(String name, WireKind kind, long fixedCount, String shapeText) {
    public Wanted {
      if (kind == WireKind.NONE) {
        throw new IllegalArgumentException("feature '" + name + "': a requested feature holds a list, not none");
      }
    }

    public boolean variableLength() {
      return fixedCount < 0;
    }
  }

  private final List<Wanted> wanted;
  /** {@link #wanted} as an array: read per record, where a list's get was a call in C1 code. */
  private final Wanted[] wantedByIndex;
  private final byte[][] names;
  private final FeatureValues[] values;
  /** Per feature, the entry it took in the last record {@link #read}: -1 for none (an empty row). */
  private final int[] taken;
  /** The framing of the last record read in full by {@link #read(ExampleView, MemorySegment)}. */
  private final ExampleLayout layout = new ExampleLayout();
  /** Records {@link #read(ExampleView, MemorySegment)} took through {@link #layout}; for tests. */
  private long layoutReads;

  public FeatureSelection(List<Wanted> wanted) {
    this.wanted = List.copyOf(wanted);
    this.wantedByIndex = this.wanted.toArray(Wanted[]::new);
    this.names = new byte[this.wanted.size()][];
    this.values = new FeatureValues[this.wanted.size()];
    this.taken = new int[this.wanted.size()];
    for (int i = 0; i < names.length; i++) {
      names[i] = this.wanted.get(i).name().getBytes(StandardCharsets.UTF_8);
      values[i] = new FeatureValues();
    }
  }

  /** The selection for {@code tensorslab convert}'s feature specs, in their order. */
  public static FeatureSelection of(List<FeatureSpec> specs) {
    return new FeatureSelection(specs.stream().map(FeatureSelection::wantedOf).toList());
  }

  private static Wanted wantedOf(FeatureSpec f) {
    WireKind kind = switch (f.dtype()) {
      case FLOAT32 -> WireKind.FLOAT_LIST;
      case INT64 -> WireKind.INT64_LIST;
      case BYTES -> WireKind.BYTES_LIST;
    };
    String shape = f.isScalar() ? "a scalar" : "shape " + f.shape().toString().replace(" ", "");
    return new Wanted(f.name(), kind, f.valuesPerRecord(), shape);
  }

  /** Another selection of the same features, for another thread. */
  public FeatureSelection copy() {
    return new FeatureSelection(wanted);
  }

  public List<Wanted> wanted() {
    return wanted;
  }

  /** The values of requested feature {@code i} in the last record {@link #read}. */
  public FeatureValues values(int i) {
    return values[i];
  }

  /**
   * Splits {@code record} into {@code example} and resolves and decodes every requested feature:
   * the same values, and the same error for a bad record, as {@code example.parse(record)} followed
   * by {@link #read(ExampleView)}. A record with the framing of the last one read in full here (same
   * length, same bytes but in its values' contents) keeps that record's entries and the entry each
   * feature took, and only decodes and checks the values ({@link ExampleLayout} says why that is the
   * same). Meant for a view only this selection parses.
   */
  public void read(ExampleView example, MemorySegment record) throws MalformedExampleException {
    if (layout.matches(example, record)) {
      example.moveTo(record);
      for (int i = 0; i < names.length; i++) {
        decodeTaken(example, i, taken[i]);
      }
      layoutReads++;
      return;
    }
    layout.forget();
    example.parse(record);
    read(example);
    layout.remember(example, record);
  }

  /** Records {@link #read(ExampleView, MemorySegment)} read through the last full read's framing. */
  long layoutReads() {
    return layoutReads;
  }

  /** Resolves and decodes every requested feature of {@code example}. */
  public void read(ExampleView example) throws MalformedExampleException {
    for (int i = 0; i < names.length; i++) {
      Wanted w = wantedByIndex[i];
      byte[] name = names[i];
      FeatureValues v = values[i];
      int unsupported = example.firstUnsupportedEntry(name);
      if (unsupported >= 0) {
        decodeOrExplain(example, unsupported, v, w);
      }
      int entry = w.variableLength() ? example.lastEntry(name) : example.lastNonEmptyEntry(name);
      if (entry < 0 && !w.variableLength()) {
        boolean present = example.lastEntry(name) >= 0;
        throw new MalformedExampleException("feature '" + w.name() + "' is missing"
            + (present ? " (present with no value list)" : "") + ", expected " + describe(w), w.name());
      }
      if (entry >= 0) {
        int first = example.valueLength(entry) == 0 ? -1 : example.record().get(java.lang.foreign.ValueLayout.JAVA_BYTE,
            example.valueOffset(entry)) & 0xff;
        WireKind found = first < 0 ? WireKind.NONE : WireKind.ofFirstByte(first);
        if (found != WireKind.NONE && found != w.kind()) {
          throw new MalformedExampleException("feature '" + w.name() + "' holds " + found.valueName()
              + " values, not " + w.kind().valueName(), w.name());
        }
      }
      taken[i] = entry;
      decodeTaken(example, i, entry);
    }
  }

  /** Decodes the entry feature {@code i} took (-1: an empty row) and checks a fixed feature's count. */
  private void decodeTaken(ExampleView example, int i, int entry) throws MalformedExampleException {
    Wanted w = wantedByIndex[i];
    FeatureValues v = values[i];
    if (entry < 0) {
      v.decode(example.record(), 0, 0); // an empty row
      return;
    }
    decodeOrExplain(example, entry, v, w);
    if (!w.variableLength() && v.count() != w.fixedCount()) {
      throw new MalformedExampleException("feature '" + w.name() + "' has " + v.count() + " value"
          + (v.count() == 1 ? "" : "s") + ", expected " + describe(w), w.name());
    }
  }

  private static void decodeOrExplain(ExampleView example, int entry, FeatureValues v, Wanted w)
      throws MalformedExampleException {
    try {
      v.decode(example, entry);
    } catch (MalformedExampleException e) {
      throw new MalformedExampleException("feature '" + w.name() + "': " + e.problem(), w.name());
    }
  }

  private static String describe(Wanted w) {
    long n = w.fixedCount();
    return n + " " + w.kind().valueName() + " value" + (n == 1 ? "" : "s") + ", " + w.shapeText();
  }
}

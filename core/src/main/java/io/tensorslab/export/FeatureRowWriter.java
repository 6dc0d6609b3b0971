package io.tensorslab.export;

import io.tensorslab.tfrecord.FeatureSpec;
import io.tensorslab.tfrecord.RowValues;
import io.tensorslab.tfrecord.StepValues;
import io.tensorslab.tfrecord.TfRecordException;
import io.tensorslab.tfrecord.TfRecordPrescan;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Writes the rows of one task of a TFRecord conversion ({@link TfRecordExport}) into its features'
 * stores: fixed rows in place, {@code raw-<type>} values as they are, {@code *} features as values
 * and row splits or padded with lengths, images (decoded by TensorFlow) fixed, padded with shapes or
 * ragged with shapes, feature lists as values, row splits and step splits. Rows come from a {@link RowSource} in increasing order; one writer per task,
 * used by one thread, never shared.
 */
final class FeatureRowWriter {
  private static final int PROGRESS_EVERY_ROWS = 4096;

  /** The cursors' staging buffers: this range writer's thread alone uses them. */
  private final Arena staging = Arena.ofConfined();
  /** Per feature, in order (an array: read per record, where a list's get was a call in C1 code). */
  private final FeatureOutput[] outputs;
  private final TfRecordExport.Range range;
  /** Per feature: the bytes a {@code raw-<type>} value holds, or -1 for another feature. */
  private final long[] rawBytes;
  private final TfRecordConversion.VarLen varLen;
  private final ConversionProgress progress;
  private final StoreCursor[] main;
  private final StoreCursor[] second;
  private final StoreCursor[] shapes;
  /** Per {@code *} feature list: its step splits' cursor; else null. */
  private final StoreCursor[] stepSplits;
  /** Per bytes feature written to a table: the value lengths' cursor (item-indexed); else null. */
  private final StoreCursor[] byteLengths;
  /** Per feature, its layout ({@link Layout}), decided once rather than per row. */
  private final Layout[] layout;
  private final long[] nextValue;
  private final long[] valueEnd;
  /** Per feature list: the next step to write, and the end of the range's steps. */
  private final long[] nextStep;
  private final long[] stepEnd;
  private long pendingRows;
  private long pendingBytes;
  /** The input's offset past the last record read, and where it was at the last report; null when not counted. */
  private LongSupplier inputPosition;
  private long reportedPosition;
  /** One past the last row written: where an open range's stores end ({@link #close}). */
  private long rowsEnd;

  /** Sets up the cursors; no store is touched before the first row (so {@link #close} always runs). */
  FeatureRowWriter(List<FeatureOutput> outputs, TfRecordExport.Task task, long[] rawBytes,
      TfRecordConversion.VarLen varLen, ConversionProgress progress) {
    this.outputs = outputs.toArray(FeatureOutput[]::new);
    this.rawBytes = rawBytes;
    this.varLen = varLen;
    this.progress = progress;
    this.range = task.range();
    int n = this.outputs.length;
    main = new StoreCursor[n];
    second = new StoreCursor[n];
    shapes = new StoreCursor[n];
    stepSplits = new StoreCursor[n];
    byteLengths = new StoreCursor[n];
    layout = new Layout[n];
    nextValue = new long[n];
    valueEnd = task.valueEnd();
    nextStep = task.stepStart().clone();
    stepEnd = task.stepEnd();
    long endRow = range.endRow();
    for (int f = 0; f < n; f++) {
      FeatureOutput o = this.outputs[f];
      layout[f] = o.featureList ? Layout.STEPS : o.spec.isImage() ? Layout.IMAGE : rawBytes[f] >= 0 ? Layout.RAW
          : !o.spec.variableLength() ? Layout.FIXED : FeatureOutput.ragged(o.spec, varLen) ? Layout.RAGGED
          : Layout.PADDED;
      if (range.open() && layout[f] != Layout.FIXED && layout[f] != Layout.RAW) {
        // Its values, steps or widths come from a count of the range, which an open range has none of.
        throw new IllegalStateException("feature '" + o.spec.name() + "' has no fixed row, its range has no end");
      }
      if (o.valuesPlaced(varLen)) {
        nextValue[f] = task.valueStart()[f];
        // A fixed-shape feature list's values have a row per step; others a row per value.
        boolean rowPerStep = o.featureList && !o.spec.variableLength();
        main[f] = new StoreCursor(o.main, rowPerStep ? stepEnd[f] : valueEnd[f], staging);
      } else {
        main[f] = new StoreCursor(o.main, endRow, staging);
      }
      second[f] = o.second == null ? null : new StoreCursor(o.second, endRow, staging);
      shapes[f] = o.shapes == null ? null : new StoreCursor(o.shapes, endRow, staging);
      stepSplits[f] = o.stepSplits == null ? null : new StoreCursor(o.stepSplits, stepEnd[f], staging);
      if (o.byteLengths != null) {
        long itemsPerRow = o.mainLayout.rowBytes() / o.mainLayout.dtype().itemSize();
        long end = FeatureOutput.ragged(o.spec, varLen) ? task.valueEnd()[f] : endRow * itemsPerRow;
        byteLengths[f] = new StoreCursor(o.byteLengths, end, staging);
      }
    }
  }

  void write(long row, RowSource source) throws IOException {
    if (++pendingRows == PROGRESS_EVERY_ROWS) {
      report();
    }
    rowsEnd = row + 1;
    for (int f = 0; f < layout.length; f++) {
      FeatureOutput o = outputs[f];
      if (layout[f] == Layout.IMAGE) {
        writeImage(f, o, source.image(f), row);
        continue;
      }
      if (layout[f] == Layout.STEPS) {
        writeSteps(f, o, source.steps(f), row);
        continue;
      }
      RowValues v = source.values(f);
      int n = v.count();
      switch (layout[f]) {
        case RAW -> writeRaw(f, v, main[f], row);
        case FIXED -> {
          if (n > 0) {
            writeValues(o, v, n, main[f], byteLengths[f], row * n);
          }
        }
        case RAGGED -> {
          second[f].longAt(row, nextValue[f]); // row_splits[row]: the values before this row
          writeValues(o, v, n, main[f], byteLengths[f], nextValue[f]);
          nextValue[f] += n;
        }
        case PADDED -> {
          writePadded(o, v, main[f], row);
          second[f].longAt(row, n);
        }
        case IMAGE, STEPS -> throw new AssertionError("written above");
      }
    }
  }

  /** How a feature's row is written. */
  private enum Layout {
    /** Fixed count of values per row, in place. */
    FIXED,
    /** A {@code raw-<type>} value's bytes as the row. */
    RAW,
    /** Values appended, with row splits. */
    RAGGED,
    /** Values padded to the longest row, with lengths. */
    PADDED,
    /** Pixels decoded by TensorFlow: fixed, padded or ragged, with shapes when sizes vary. */
    IMAGE,
    /** A SequenceExample's feature list: its steps' values, with row splits (and step splits for '*'). */
    STEPS
  }

  /**
   * A record's steps of a feature list as row {@code row}: {@code row_splits[row]} (the steps before
   * it), each step's {@code step_splits} entry (the values before it) of a {@code *} list, and every
   * value of every step in one run after the values before.
   */
  private void writeSteps(int f, FeatureOutput o, StepValues v, long row) throws IOException {
    second[f].longAt(row, nextStep[f]);
    int steps = v.steps();
    if (stepSplits[f] != null) {
      for (int s = 0; s < steps; s++) {
        stepSplits[f].longAt(nextStep[f] + s, nextValue[f] + (s == 0 ? 0 : v.stepEnd(s - 1)));
      }
    }
    int n = v.count();
    if (n > 0) {
      writeValues(o, v, n, main[f], null, nextValue[f]);
    }
    nextValue[f] += n;
    nextStep[f] += steps;
  }

  /**
   * An image's pixels as row {@code row}: the whole {@code [H, W, C]} row of a fixed or padded
   * layout (zeros right of and below a smaller image), or its pixels appended to the values of a
   * ragged one; its {@code [h, w, C]} to {@code NAME.shapes} when sizes vary.
   */
  private void writeImage(int f, FeatureOutput o, RowSource.DecodedImage image, long row) throws IOException {
    long line = image.lineBytes();
    if (FeatureOutput.ragged(o.spec, varLen)) {
      long at = nextValue[f];
      if (at + image.pixelBytes() > valueEnd[f]) {
        throw new TfRecordException("feature '" + o.spec.name() + "': TensorFlow decoded a " + image.height() + "x"
            + image.width() + " image larger than its header says", range.file(),
            range.firstRecord() + (row - range.firstRow()), o.spec.name(), -1, null);
      }
      second[f].longAt(row, at);
      for (long y = 0; y < image.height(); y++) {
        copyItems(main[f], at + y * line, image.pixels(), y * image.lineStride(), line);
      }
      nextValue[f] = at + image.pixelBytes();
    } else {
      StoreCursor c = main[f];
      c.ensure(row);
      long rowBytes = c.store.rowBytes();
      long stride = o.mainLayout.rowShape()[1] * image.channels();
      MemorySegment dst = c.window.bytes().asSlice((row - c.window.first()) * rowBytes, rowBytes);
      if (image.height() * stride != rowBytes || line != stride) {
        dst.fill((byte) 0); // the padding right of and below a smaller image
      }
      for (long y = 0; y < image.height(); y++) {
        MemorySegment.copy(image.pixels(), y * image.lineStride(), dst, y * stride, line);
      }
      pendingBytes += rowBytes;
    }
    if (shapes[f] != null) {
      shapes[f].longsAt(row, image.height(), image.width(), image.channels());
    }
  }

  /** {@code n} bytes of {@code src} as uint8 items {@code [item, item + n)} of a values store, across windows. */
  private void copyItems(StoreCursor c, long item, MemorySegment src, long srcOffset, long n) throws IOException {
    long done = 0;
    while (done < n) {
      long at = item + done;
      c.ensure(at);
      long chunk = Math.min(n - done, c.window.end() - at);
      MemorySegment.copy(src, srcOffset + done, c.window.bytes(), at - c.window.first(), chunk);
      done += chunk;
    }
    pendingBytes += n;
  }

  /**
   * Fails when a ragged feature's or a feature list's values (or a feature list's steps) did not end
   * where the count pass said its range's end.
   */
  void checkValuesComplete() throws TfRecordException {
    for (int f = 0; f < outputs.length; f++) {
      FeatureOutput o = outputs[f];
      // A shard's tasks may stop early on purpose (its tail): checked in whole exports only.
      if (o.valuesPlaced(varLen) && o.valuesOwnedEnd == Long.MAX_VALUE && nextValue[f] != valueEnd[f]) {
        throw countChanged(o, "values", nextValue[f] - valueEnd[f]);
      }
      if (o.featureList && nextStep[f] != stepEnd[f]) {
        throw countChanged(o, "steps", nextStep[f] - stepEnd[f]);
      }
    }
  }

  private TfRecordException countChanged(FeatureOutput o, String what, long difference) {
    return new TfRecordException("feature '" + o.spec.name() + "' has " + (difference < 0 ? "fewer" : "more") + " "
        + what + " in records " + range.firstRecord() + ".." + (range.firstRecord() + range.count() - 1)
        + " than when they were counted (changed while reading" + (o.featureList ? "" : ", or an image decoded to"
        + " another size than its header says") + "?)", range.file(), -1, o.spec.name(), -1, null);
  }

  /** True when every ragged feature's values up to its owned end are written. */
  boolean valuesOwnedWritten() {
    for (int f = 0; f < outputs.length; f++) {
      if (FeatureOutput.ragged(outputs[f].spec, varLen) && nextValue[f] < outputs[f].valuesOwnedEnd) {
        return false;
      }
    }
    return true;
  }
  /**
   * The {@code n} values of {@code v} as items {@code [item, item + n)} of the store, across windows;
   * with {@code lengths}, each bytes value's length as the same item of that store.
   */
  private void writeValues(FeatureOutput o, RowValues v, int n, StoreCursor c, StoreCursor lengths, long item)
      throws IOException {
    long itemBytes = c.itemBytes;
    int done = 0;
    while (done < n) {
      long at = item + done;
      c.ensureItem(at);
      int chunk = (int) Math.min(n - done, c.endItem - at);
      pendingBytes += chunk * itemBytes;
      long dst = (at - c.firstItem) * itemBytes;
      switch (o.spec.dtype()) {
        case FLOAT32 -> v.copyFloats(done, chunk, c.window.bytes(), dst);
        case INT64 -> v.copyLongs(done, chunk, c.window.bytes(), dst);
        case BYTES -> {
          for (int i = 0; i < chunk; i++) {
            v.copyBytes(done + i, c.window.bytes(), dst + i * itemBytes, itemBytes);
            if (lengths != null) {
              lengths.longAt(at + i, v.bytesLength(done + i));
            }
          }
        }
      }
      done += chunk;
    }
  }

  /**
   * The one value of a {@code raw-<type>} feature as row {@code row}: its bytes copied as they are
   * (the value is little-endian, as {@code tf.io.decode_raw(little_endian=True)} reads it, and so is
   * the {@code .npy}), once the length is checked.
   */
  private void writeRaw(int f, RowValues v, StoreCursor c, long row) throws IOException {
    checkRawLength(outputs[f].spec, rawBytes[f], v, range, row);
    long width = rawBytes[f];
    if (width == 0) {
      return;
    }
    c.ensure(row);
    v.copyBytes(0, c.window.bytes(), (row - c.window.first()) * width, width);
    pendingBytes += width;
  }

  private void writePadded(FeatureOutput o, RowValues v, StoreCursor c, long row) throws IOException {
    int n = v.count();
    if (n > o.width) {
      throw new IllegalStateException("padded layout narrower than a row: a row of feature " + o.spec.name()
          + " has " + n + " values, the width is " + o.width);
    }
    if (o.width == 0) {
      return;
    }
    c.ensure(row); // the pad below needs the row's window even when the row is empty
    if (n > 0) {
      writeValues(o, v, n, c, null, row * o.width);
    }
    long itemBytes = o.padItem.length;
    long at = (row - c.window.first()) * o.width * itemBytes + n * itemBytes;
    for (long i = n; i < o.width; i++, at += itemBytes) {
      MemorySegment.copy(o.padItem, 0, c.window.bytes(), ValueLayout.JAVA_BYTE, at, o.padItem.length);
    }
  }

  /** Passes the rows written since the last report to the progress; fails once the conversion is cancelled. */
  void report() throws IOException {
    long input = 0;
    if (inputPosition != null) {
      long at = inputPosition.getAsLong();
      input = at - reportedPosition;
      reportedPosition = at;
    }
    progress.add(pendingRows, pendingBytes, input);
    pendingRows = 0;
    pendingBytes = 0;
  }

  /**
   * From now on each report also tells the input bytes parsed since the last one: {@code position}
   * gives the input's offset just past the last record read (the reader's).
   */
  void countInput(LongSupplier position) {
    inputPosition = position;
    reportedPosition = position.getAsLong();
  }

  /** Hands back every window (of an open range: the rows written only) and frees the staging buffers. */
  void close() throws IOException {
    IOException failure = null;
    try {
      for (StoreCursor c : main) {
        failure = closeQuietly(c, range.open() ? rowsEnd : Long.MAX_VALUE, failure);
      }
      for (StoreCursor c : second) {
        failure = closeQuietly(c, failure);
      }
      for (StoreCursor c : shapes) {
        failure = closeQuietly(c, failure);
      }
      for (StoreCursor c : stepSplits) {
        failure = closeQuietly(c, failure);
      }
      for (StoreCursor c : byteLengths) {
        failure = closeQuietly(c, failure);
      }
    } finally {
      staging.close();
    }
    if (failure != null) {
      throw failure;
    }
  }

  private static IOException closeQuietly(StoreCursor c, IOException failure) {
    return closeQuietly(c, Long.MAX_VALUE, failure);
  }

  /** Hands back the cursor's window, of its rows before {@code endRow}; a failure joins the first one. */
  private static IOException closeQuietly(StoreCursor c, long endRow, IOException failure) {
    if (c == null) {
      return failure;
    }
    try {
      c.releaseBefore(endRow);
    } catch (IOException e) {
      if (failure == null) {
        return e;
      }
      failure.addSuppressed(e);
    }
    return failure;
  }

  /**
   * Fails, with the pre-scan's message, when the {@code raw-<type>}
   * value of feature {@code spec} in row {@code row} of range {@code r} is not the shape's byte length.
   * The selection already holds exactly one value per record (a fixed feature of one value).
   */
  static void checkRawLength(FeatureSpec spec, long expected, RowValues v, TfRecordExport.Range r, long row)
      throws TfRecordException {
    int actual = v.bytesLength(0);
    if (actual != expected) {
      throw TfRecordPrescan.rawLengthMismatch(spec, actual, r.file(), r.firstRecord() + (row - r.firstRow()));
    }
  }
}

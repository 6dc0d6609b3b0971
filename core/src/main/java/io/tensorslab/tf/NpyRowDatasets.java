package io.tensorslab.tf;

import io.tensorslab.npy.NpyDtype;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.tensorflow.ConcreteFunction;
import org.tensorflow.Operand;
import org.tensorflow.Signature;
import org.tensorflow.framework.data.Dataset;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.data.MapDataset;
import org.tensorflow.op.io.DecodeRaw;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;
import org.tensorflow.types.family.TType;

/**
 * A {@code tf.data} dataset of the rows of {@code .npy} files, read by TensorFlow itself: one
 * {@code FixedLengthRecordDataset} per file (a record is one row's bytes, the header skipped), each
 * record decoded by {@code DecodeRaw} and reshaped to the row shape, the files zipped into one
 * element per row. Rows come through the page cache a buffer at a time, so neither the heap nor the
 * process's resident memory grows with the files; it works in eager and in graph mode.
 *
 * <p>Fixed-width byte strings ({@code |S{n}}) come back as {@code TString} scalars with NumPy's
 * trailing NUL bytes stripped, as {@code numpy.load} shows them.
 */
public final class NpyRowDatasets {

  /** Read buffer per file, bytes; large enough that a read costs far less than decoding its rows. */
  private static final long BUFFER_BYTES = 1 << 20;

  /**
   * One file's rows.
   *
   * @param path the {@code .npy} file
   * @param payloadOffset where its payload starts
   * @param footerBytes bytes after the payload (0 for files this library writes)
   * @param dtype the file's dtype
   * @param rowShape the shape of one row ({@code shape[1:]})
   */
  public record Column(Path path, long payloadOffset, long footerBytes, NpyDtype dtype, long[] rowShape)
      implements Part {
    long rowBytes() {
      return Math.multiplyExact(Shape.of(rowShape).size(), dtype.itemSize());
    }
  }

  /** What one exported component contributes to an element: a {@link Column}, or a {@link RaggedColumn}. */
  public sealed interface Part permits Column, RaggedColumn {}

  /**
   * A ragged component: {@code tf.RaggedTensor}'s flat values and row splits, two files.
   *
   * @param name the component, for messages
   * @param values the values file ({@code NAME.values.npy}), its first dim the value rows
   * @param valueRows the values file's dim 0
   * @param rowSplits the row splits file ({@code NAME.row_splits.npy}, int64, rows + 1)
   */
  public record RaggedColumn(String name, Column values, long valueRows, Column rowSplits) implements Part {}

  private NpyRowDatasets() {}

  /**
   * The dataset of {@code rows} rows zipped across {@code columns}, with that cardinality.
   *
   * @throws IllegalArgumentException for a column whose rows have no bytes (TensorFlow's record
   *     reader needs at least one byte per record) or whose dtype TensorFlow cannot decode
   */
  public static Dataset of(Ops tf, List<? extends Part> columns, long rows) throws IOException {
    for (Part part : columns) {
      if (part instanceof RaggedColumn ragged) {
        throw new IllegalArgumentException("no row-per-element dataset for a ragged component: its rows have"
            + " different lengths; read it with batches(tf, n), which gives each batch's values and row splits"
            + " (component=" + ragged.name() + ", path=" + ragged.values().path() + ")");
      }
    }
    return zip(tf, columns, 0, rows);
  }

  /**
   * The dataset of batches of {@code batchSize} rows (the last one shorter when {@code rows} is not
   * a multiple), zipped across {@code columns}. A numeric column is read one batch per record and
   * decoded once per batch, which costs far less per row than {@link #of} followed by
   * {@code batch(n)}; fixed-width strings are read by row and batched.
   *
   * @throws IllegalArgumentException as {@link #of}, or for a batch size below 1
   */
  public static Dataset batches(Ops tf, List<? extends Part> columns, long rows, long batchSize) throws IOException {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
    }
    return zip(tf, columns, batchSize, rows);
  }

  /** Rows when {@code batchSize} is 0, else batches of {@code batchSize}. */
  private static Dataset zip(Ops tf, List<? extends Part> columns, long batchSize, long rows) throws IOException {
    List<Operand<? extends TType>> datasets = new ArrayList<>();
    List<Class<? extends TType>> types = new ArrayList<>();
    List<Shape> shapes = new ArrayList<>();
    for (Part part : columns) {
      if (part instanceof RaggedColumn ragged) {
        raggedBatches(tf, ragged, rows, batchSize, datasets, types, shapes);
        continue;
      }
      Column column = (Column) part;
      if (column.rowBytes() == 0) {
        throw new IllegalArgumentException("no tf.data form for rows of 0 bytes: the row shape is "
            + Arrays.toString(column.rowShape()) + " (path=" + column.path() + ")");
      }
      Class<? extends TType> type = TfDtypes.fromNpy(column.dtype());
      Shape rowShape = Shape.of(column.rowShape());
      Shape elementShape = batchSize == 0 ? rowShape : rowShape.prepend(-1);
      boolean strings = column.dtype().kind() == 'S';
      Operand<? extends TType> dataset;
      if (batchSize == 0 || strings) {
        dataset = decoded(tf, column, type, rowShape, records(tf, column, column.payloadOffset(), column.rowBytes(),
            column.footerBytes()));
        if (batchSize > 0) {
          dataset = tf.data.batchDataset(dataset, tf.constant(batchSize), tf.constant(false), List.of(type),
              List.of(elementShape));
        }
      } else {
        long batchBytes = Math.multiplyExact(batchSize, column.rowBytes());
        long fullBatches = rows / batchSize;
        long tailBytes = (rows % batchSize) * column.rowBytes();
        long afterFull = column.payloadOffset() + fullBatches * batchBytes;
        dataset = decoded(tf, column, type, elementShape, records(tf, column, column.payloadOffset(), batchBytes,
            tailBytes + column.footerBytes()));
        if (tailBytes > 0) {
          // TensorFlow's reader drops a short record at the end of a file, so the last batch is a dataset of its own
          var tail = decoded(tf, column, type, elementShape, records(tf, column, afterFull, tailBytes,
              column.footerBytes()));
          dataset = tf.data.concatenateDataset(dataset, tail, List.of(type), List.of(elementShape));
        }
      }
      datasets.add(dataset);
      types.add(type);
      shapes.add(elementShape);
    }
    Operand<? extends TType> zipped = datasets.size() == 1 ? datasets.getFirst()
        : tf.data.zipDataset(datasets, types, shapes);
    long elements = batchSize == 0 ? rows : (rows + batchSize - 1) / batchSize;
    Operand<? extends TType> counted = tf.data.assertCardinalityDataset(zipped, tf.constant(elements), types, shapes);
    return new Dataset(tf, counted, types, shapes) {};
  }

  /**
   * A ragged component's batches as two components, the batch's values and its row splits rebased to
   * start at 0: {@code tf.RaggedTensor.from_row_splits(values, row_splits)} is the batch. The values
   * and splits are zero-copy tensors over the mapped files ({@link MappedTensors}), handed to
   * TensorFlow as dataset inputs; a map over the batch numbers slices them.
   */
  private static void raggedBatches(Ops tf, RaggedColumn ragged, long rows, long batchSize,
      List<Operand<? extends TType>> datasets, List<Class<? extends TType>> types, List<Shape> shapes)
      throws IOException {
    Column values = ragged.values();
    Class<? extends TType> valueType = TfDtypes.fromNpy(values.dtype());
    if (TfDtypes.isVariableWidth(valueType)) {
      throw new IllegalArgumentException("no tf.data form for ragged fixed-width strings; read them with ndArray()"
          + " (component=" + ragged.name() + ", path=" + values.path() + ")");
    }
    Shape valuesShape = Shape.of(values.rowShape()).prepend(ragged.valueRows());
    Operand<? extends TType> valuesInput;
    Operand<TInt64> splitsInput;
    // TensorFlow takes its own reference to each buffer; the mappings go when it lets go of them
    try (TType v = MappedTensors.map(values.path(), values.payloadOffset(), valueType, valuesShape);
        TInt64 s = MappedTensors.map(ragged.rowSplits().path(), ragged.rowSplits().payloadOffset(), TInt64.class,
            Shape.of(rows + 1))) {
      valuesInput = tf.constantOf(v);
      splitsInput = tf.constantOf(s);
    }
    Shape batchValuesShape = Shape.of(values.rowShape()).prepend(-1);
    Shape batchSplitsShape = Shape.of(-1);
    long batchCount = (rows + batchSize - 1) / batchSize;
    ConcreteFunction slice = ConcreteFunction.create(f -> {
      Placeholder<TInt64> batch = f.placeholder(TInt64.class, Placeholder.shape(Shape.scalar()));
      var allValues = f.placeholder(valueType, Placeholder.shape(valuesShape));
      Placeholder<TInt64> allSplits = f.placeholder(TInt64.class, Placeholder.shape(Shape.of(rows + 1)));
      Operand<TInt64> firstRow = f.math.mul(batch, f.constant(batchSize));
      Operand<TInt64> endRow = f.math.minimum(f.math.add(firstRow, f.constant(batchSize)), f.constant(rows));
      // rows [firstRow, endRow) need splits [firstRow, endRow]
      Operand<TInt64> splits = f.slice(allSplits, f.reshape(firstRow, f.constant(new long[] {1})),
          f.reshape(f.math.add(f.math.sub(endRow, firstRow), f.constant(1L)), f.constant(new long[] {1})));
      Operand<TInt64> start = f.gather(splits, f.constant(0L), f.constant(0));
      Operand<TInt64> end = f.gather(splits, f.math.sub(endRow, firstRow), f.constant(0));
      long[] innerZeros = new long[values.rowShape().length];
      long[] innerAll = new long[values.rowShape().length];
      Arrays.fill(innerAll, -1);
      Operand<TInt64> begin = f.concat(List.of(f.reshape(start, f.constant(new long[] {1})), f.constant(innerZeros)),
          f.constant(0));
      Operand<TInt64> size = f.concat(List.of(f.reshape(f.math.sub(end, start), f.constant(new long[] {1})),
          f.constant(innerAll)), f.constant(0));
      Operand<?> batchValues = f.slice(allValues, begin, size);
      Operand<TInt64> rebased = f.math.sub(splits, start);
      return Signature.builder().input("batch", batch).input("values", allValues).input("splits", allSplits)
          .output("batch_values", batchValues).output("row_splits", rebased).build();
    });
    Operand<? extends TType> range = tf.data.rangeDataset(tf.constant(0L), tf.constant(batchCount), tf.constant(1L),
        List.of(TInt64.class), List.of(Shape.scalar()));
    datasets.add(tf.data.mapDataset(range, List.of(valuesInput, splitsInput), slice,
        List.of(valueType, TInt64.class), List.of(batchValuesShape, batchSplitsShape),
        MapDataset.preserveCardinality(true)));
    types.add(valueType);
    types.add(TInt64.class);
    shapes.add(batchValuesShape);
    shapes.add(batchSplitsShape);
  }

  private static Operand<? extends TType> records(Ops tf, Column column, long header, long recordBytes,
      long footer) {
    return tf.data.fixedLengthRecordDataset(tf.constant(column.path().toString()), tf.constant(header),
        tf.constant(recordBytes), tf.constant(footer), tf.constant(Math.max(BUFFER_BYTES, recordBytes)),
        tf.constant(""));
  }

  /** Each record decoded to {@code shape} (-1 first: a batch of rows). */
  private static Operand<? extends TType> decoded(Ops tf, Column column, Class<? extends TType> type, Shape shape,
      Operand<? extends TType> records) {
    boolean strings = column.dtype().kind() == 'S';
    if (strings && column.rowShape().length != 0) {
      throw new IllegalArgumentException("no tf.data form yet for rows of several fixed-width strings;"
          + " read them with ndArray() (path=" + column.path() + ")");
    }
    ConcreteFunction decode = ConcreteFunction.create(f -> {
      Placeholder<TString> record = f.placeholder(TString.class, Placeholder.shape(Shape.scalar()));
      Operand<?> row = strings ? f.strings.regexReplace(record, f.constant("\\x00+$"), f.constant(""))
          : f.reshape(f.io.decodeRaw(record, type, DecodeRaw.littleEndian(true)), f.constant(shape.asArray()));
      return Signature.builder().input("record", record).output("row", row).build();
    });
    return tf.data.mapDataset(records, List.of(), decode, List.of(type), List.of(shape),
        MapDataset.preserveCardinality(true));
  }
}

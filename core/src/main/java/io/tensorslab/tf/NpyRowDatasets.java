package io.tensorslab.tf;

import io.tensorslab.npy.NpyDtype;
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
  public record Column(Path path, long payloadOffset, long footerBytes, NpyDtype dtype, long[] rowShape) {
    long rowBytes() {
      return Math.multiplyExact(Shape.of(rowShape).size(), dtype.itemSize());
    }
  }

  private NpyRowDatasets() {}

  /**
   * The dataset of {@code rows} rows zipped across {@code columns}, with that cardinality.
   *
   * @throws IllegalArgumentException for a column whose rows have no bytes (TensorFlow's record
   *     reader needs at least one byte per record) or whose dtype TensorFlow cannot decode
   */
  public static Dataset of(Ops tf, List<Column> columns, long rows) {
    List<Operand<? extends TType>> datasets = new ArrayList<>();
    List<Class<? extends TType>> types = new ArrayList<>();
    List<Shape> shapes = new ArrayList<>();
    for (Column column : columns) {
      if (column.rowBytes() == 0) {
        throw new IllegalArgumentException("no tf.data form for rows of 0 bytes: the row shape is "
            + Arrays.toString(column.rowShape()) + " (path=" + column.path() + ")");
      }
      boolean strings = column.dtype().kind() == 'S';
      Class<? extends TType> type = TfDtypes.fromNpy(column.dtype());
      Shape rowShape = Shape.of(column.rowShape());
      Operand<? extends TType> records = tf.data.fixedLengthRecordDataset(
          tf.constant(column.path().toString()), tf.constant(column.payloadOffset()), tf.constant(column.rowBytes()),
          tf.constant(column.footerBytes()), tf.constant(BUFFER_BYTES), tf.constant(""));
      ConcreteFunction decode = ConcreteFunction.create(f -> {
        Placeholder<TString> record = f.placeholder(TString.class, Placeholder.shape(Shape.scalar()));
        Operand<?> row = strings ? stripNuls(f, record, column.rowShape().length)
            : f.reshape(f.io.decodeRaw(record, type, DecodeRaw.littleEndian(true)), f.constant(column.rowShape()));
        return Signature.builder().input("record", record).output("row", row).build();
      });
      datasets.add(tf.data.mapDataset(records, List.of(), decode, List.of(type), List.of(rowShape),
          MapDataset.preserveCardinality(true)));
      types.add(type);
      shapes.add(rowShape);
    }
    Operand<? extends TType> zipped = datasets.size() == 1 ? datasets.getFirst()
        : tf.data.zipDataset(datasets, types, shapes);
    Operand<? extends TType> counted = tf.data.assertCardinalityDataset(zipped, tf.constant(rows), types, shapes);
    return new Dataset(tf, counted, types, shapes) {};
  }

  /** A row of {@code |S{n}} strings: only scalars (one string per record) are read this way. */
  private static Operand<TString> stripNuls(Ops f, Operand<TString> record, int rank) {
    if (rank != 0) {
      throw new IllegalArgumentException("no tf.data form yet for rows of several fixed-width strings;"
          + " read them with ndArray()");
    }
    return f.strings.regexReplace(record, f.constant("\\x00+$"), f.constant(""));
  }
}

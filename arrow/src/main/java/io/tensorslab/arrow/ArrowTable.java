package io.tensorslab.arrow;

import io.tensorslab.npy.NpyDtype;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.ReferenceManager;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.message.ArrowFieldNode;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The staged columns of an export as one Arrow record batch ({@link #root()}), for a table file
 * writer. The columns' bytes are not copied: each finished {@link ColumnStore}'s memory is handed to
 * Arrow as an {@link ArrowBuf} that owns nothing ({@link ReferenceManager#NO_OP}), valid while the
 * stores are open. Only bytes columns are rebuilt (their NUL-padded items cut to the true lengths into
 * one data buffer and int64 offsets), in memory of this table's own arena.
 *
 * <p>Column types, by what the feature is:
 * <ul>
 *   <li>a scalar: the value type ({@code float}, {@code int64}, {@code large_binary}, a raw type);
 *   <li>a fixed shape {@code [d0, d1, ...]} of numbers: {@code arrow.fixed_shape_tensor} (storage
 *       {@code fixed_size_list<T>[d0*d1*...]}, the shape in the extension metadata); of bytes:
 *       {@code fixed_size_list<large_binary>[d0*d1*...]} (Arrow's tensor type takes no binary values);
 *   <li>{@code *}: {@code large_list<T>}, whose int64 offsets are the row splits as they are.
 * </ul>
 * Every field is non-nullable (a record without a {@code *} feature is an empty list, as TensorFlow
 * parses it), but for a tensor's values, nullable as the extension's storage type has them, none null. One record batch holds every row (at most {@link Integer#MAX_VALUE}, Arrow Java's limit).
 *
 * <p>One thread; {@link #close()} releases the vectors and this table's arena, not the columns.
 */
final class ArrowTable implements AutoCloseable {
  /** The canonical extension type of a fixed-shape tensor column, as pyarrow registers it. */
  static final String FIXED_SHAPE_TENSOR = "arrow.fixed_shape_tensor";

  private final Arena arena = Arena.ofConfined();
  private final VectorSchemaRoot root;

  private ArrowTable(List<TableColumn> columns, long rows, BufferAllocator allocator) {
    if (rows > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("a table holds at most " + Integer.MAX_VALUE + " rows in its one record"
          + " batch, the export has " + rows + "; use --limit or npy / zarr output");
    }
    List<Field> fields = new ArrayList<>();
    List<ArrowFieldNode> nodes = new ArrayList<>();
    List<ArrowBuf> buffers = new ArrayList<>();
    ArrowBuf noNulls = allocator.getEmpty(); // a validity buffer with no null: Arrow makes the all-valid bits
    boolean success = false;
    try {
      for (TableColumn column : columns) {
        fields.add(addColumn(column, rows, noNulls, nodes, buffers));
      }
      root = VectorSchemaRoot.create(new Schema(fields), allocator);
      try (ArrowRecordBatch batch = new ArrowRecordBatch((int) rows, nodes, buffers)) {
        new VectorLoader(root).load(batch);
      } catch (RuntimeException e) {
        root.close();
        throw e;
      }
      success = true;
    } finally {
      if (!success) {
        arena.close();
      }
    }
  }

  /**
   * The columns' rows as one record batch.
   *
   * @throws IllegalArgumentException for a column Arrow cannot hold as it is (naming it)
   */
  static ArrowTable of(List<TableColumn> columns, long rows, BufferAllocator allocator) {
    return new ArrowTable(columns, rows, allocator);
  }

  /** The schema and the vectors of every row; valid until {@link #close()}. */
  VectorSchemaRoot root() {
    return root;
  }

  /** Adds the column's field nodes and buffers in Arrow's depth-first order; returns its field. */
  private Field addColumn(TableColumn column, long rows, ArrowBuf noNulls, List<ArrowFieldNode> nodes,
      List<ArrowBuf> buffers) {
    Field field = fieldOf(column, "item");
    long items = column.values().finishedRows() * itemsPerRow(column);
    if (column.ragged() || column.values().layout().rowShape().length > 0) {
      nodes.add(new ArrowFieldNode(rows, 0));
      buffers.add(noNulls);
      if (column.ragged()) {
        buffers.add(wrap(column.rowSplits().column())); // int64 row splits are large_list offsets
      }
    }
    nodes.add(new ArrowFieldNode(items, 0));
    buffers.add(noNulls);
    if (column.values().layout().dtype().kind() == 'S') {
      addBinary(column, items, buffers);
    } else {
      buffers.add(wrap(column.values().column()));
    }
    return field;
  }

  private static long itemsPerRow(TableColumn column) {
    return Arrays.stream(column.values().layout().rowShape()).reduce(1, Math::multiplyExact);
  }

  /**
   * The column's Arrow field (type and extension metadata; see the class comment), also what a
   * Parquet file's {@code ARROW:schema} records so that pyarrow reads the Arrow types back.
   *
   * @param childName the name of a list's values field, as each format's writers name it: Arrow's
   *     {@code item}, Parquet's {@code element}
   * @throws IllegalArgumentException for values Arrow does not hold as they are, naming the column
   */
  static Field fieldOf(TableColumn column, String childName) {
    NpyDtype dtype = column.values().layout().dtype();
    long[] rowShape = column.values().layout().rowShape();
    boolean scalar = !column.ragged() && rowShape.length == 0;
    ArrowType valueType = dtype.kind() == 'S' ? ArrowType.LargeBinary.INSTANCE : valueType(column.name(), dtype);
    Field values = new Field(scalar ? column.name() : childName, FieldType.notNullable(valueType), null);
    if (scalar) {
      return values;
    }
    if (column.ragged()) {
      return new Field(column.name(), FieldType.notNullable(ArrowType.LargeList.INSTANCE), List.of(values));
    }
    if (tensor(column)) {
      // The tensor type's storage as Arrow defines it: nullable values (none is null). pyarrow gives a
      // Parquet column the extension type back only when the column matches that storage.
      values = new Field(childName, FieldType.nullable(valueType), null);
    }
    ArrowType list = new ArrowType.FixedSizeList(Math.toIntExact(itemsPerRow(column)));
    Map<String, String> metadata = !tensor(column) ? null : Map.of(
        "ARROW:extension:name", FIXED_SHAPE_TENSOR,
        "ARROW:extension:metadata", "{\"shape\":" + Arrays.toString(rowShape).replace(" ", "") + "}");
    return new Field(column.name(), new FieldType(false, list, null, metadata), List.of(values));
  }

  /**
   * A bytes column's values as Arrow's {@code large_binary} buffers: int64 offsets and the values' true
   * bytes, cut from the NUL-padded {@code |S} items by the lengths the engine recorded.
   */
  private void addBinary(TableColumn column, long items, List<ArrowBuf> buffers) {
    MemorySegment padded = column.values().column();
    MemorySegment lengths = column.byteLengths().column();
    long width = column.values().layout().dtype().itemSize();
    if (lengths.byteSize() != items * 8) {
      throw new IllegalStateException("bytes feature '" + column.name() + "' has " + lengths.byteSize() / 8
          + " value lengths for " + items + " values");
    }
    MemorySegment offsets = arena.allocate((items + 1) * 8, 64);
    long total = 0;
    for (long i = 0; i < items; i++) {
      long length = lengths.getAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, i);
      if (length < 0 || length > width) {
        throw new IllegalStateException("bytes feature '" + column.name() + "': value " + i + " has length "
            + length + ", its items hold " + width + " bytes");
      }
      offsets.setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, i, total);
      total += length;
    }
    offsets.setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, items, total);
    MemorySegment data = arena.allocate(Math.max(total, 1), 64).asSlice(0, total);
    for (long i = 0, at = 0; i < items; i++) {
      long length = lengths.getAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, i);
      MemorySegment.copy(padded, i * width, data, at, length);
      at += length;
    }
    buffers.add(wrap(offsets));
    buffers.add(wrap(data));
  }

  /**
   * Whether the column is an {@code arrow.fixed_shape_tensor}: a fixed shape of numbers (Arrow's tensor
   * extension takes no binary values, so a bytes row stays a plain fixed-size list, in C order).
   */
  static boolean tensor(TableColumn column) {
    return !column.ragged() && column.values().layout().rowShape().length > 0
        && column.values().layout().dtype().kind() != 'S';
  }

  /** The Arrow type of a NumPy dtype's values; the exception names the column for one Arrow does not hold. */
  static ArrowType valueType(String column, NpyDtype dtype) {
    int size = dtype.itemSize();
    return switch (dtype.kind()) {
      case 'f' -> switch (size) {
        case 2 -> new ArrowType.FloatingPoint(FloatingPointPrecision.HALF);
        case 4 -> new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE);
        case 8 -> new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE);
        default -> throw unsupported(column, dtype);
      };
      case 'i', 'u' -> new ArrowType.Int(size * 8, dtype.kind() == 'i');
      default -> throw unsupported(column, dtype);
    };
  }

  private static IllegalArgumentException unsupported(String column, NpyDtype dtype) {
    return new IllegalArgumentException("column '" + column + "' holds " + dtype.descr() + " values, which an"
        + " Arrow table does not take as they are; write it to npy or zarr");
  }

  /**
   * {@code segment}'s memory as an {@link ArrowBuf} that owns nothing: no copy, and Arrow never frees
   * it. The caller keeps the segment alive while the buffer is used. Its writer index marks every byte
   * written, so writers take the whole buffer.
   */
  private static ArrowBuf wrap(MemorySegment segment) {
    ArrowBuf buf = new ArrowBuf(ReferenceManager.NO_OP, null, segment.byteSize(), segment.address());
    buf.writerIndex(segment.byteSize());
    return buf;
  }

  @Override
  public void close() {
    try {
      root.close();
    } finally {
      arena.close();
    }
  }
}

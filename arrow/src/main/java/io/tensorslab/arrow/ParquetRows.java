package io.tensorslab.arrow;

import io.tensorslab.npy.NpyDtype;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Map;
import org.apache.parquet.conf.ParquetConfiguration;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.schema.MessageType;

/**
 * parquet-java's write support for a table's staged columns: {@link #write} hands row {@code r} of
 * every column to Parquet's record consumer, reading the values straight from the columns' off-heap
 * memory (bytes values as views of it, never copied onto the heap). Row numbers are the records.
 *
 * <p>The {@code init(Configuration)} override names Hadoop's type only because parquet-java's
 * abstract method does; it is never called here (the writer is given a
 * {@link org.apache.parquet.conf.PlainParquetConfiguration}), so Hadoop is not needed at run time.
 */
final class ParquetRows extends WriteSupport<Long> {
  private final MessageType schema;
  private final Map<String, String> metadata;
  private final List<Column> columns;
  private RecordConsumer consumer;

  /**
   * @param schema the Parquet schema, one field per column, in order
   * @param metadata the file's key-value metadata
   */
  ParquetRows(MessageType schema, Map<String, String> metadata, List<TableColumn> columns) {
    this.schema = schema;
    this.metadata = Map.copyOf(metadata);
    this.columns = columns.stream().map(Column::new).toList();
  }

  /** A writer of this support's rows to {@code file}. */
  static ParquetWriter.Builder<Long, ?> writer(OutputFile file, ParquetRows rows) {
    return new Builder(file, rows);
  }

  @Override
  public WriteContext init(org.apache.hadoop.conf.Configuration configuration) {
    return new WriteContext(schema, metadata);
  }

  @Override
  public WriteContext init(ParquetConfiguration configuration) {
    return new WriteContext(schema, metadata);
  }

  @Override
  public void prepareForWrite(RecordConsumer recordConsumer) {
    this.consumer = recordConsumer;
  }

  @Override
  public void write(Long row) {
    consumer.startMessage();
    for (int i = 0; i < columns.size(); i++) {
      Column c = columns.get(i);
      consumer.startField(c.name, i);
      c.write(consumer, row);
      consumer.endField(c.name, i);
    }
    consumer.endMessage();
  }

  private static final class Builder extends ParquetWriter.Builder<Long, Builder> {
    private final ParquetRows rows;

    Builder(OutputFile file, ParquetRows rows) {
      super(file);
      this.rows = rows;
    }

    @Override
    protected Builder self() {
      return this;
    }

    @Override
    protected WriteSupport<Long> getWriteSupport(org.apache.hadoop.conf.Configuration configuration) {
      return rows;
    }

    @Override
    protected WriteSupport<Long> getWriteSupport(ParquetConfiguration configuration) {
      return rows;
    }
  }

  /** One column's staged values, written a row at a time: a value, or a LIST of its row's values. */
  private static final class Column {
    private static final String LIST = "list";
    private final String name;
    private final MemorySegment values;
    private final MemorySegment rowSplits;
    private final MemorySegment byteLengths;
    private final NpyDtype dtype;
    private final long itemsPerRow;
    private final boolean scalar;

    Column(TableColumn column) {
      this.name = column.name();
      this.values = column.values().column();
      this.rowSplits = column.ragged() ? column.rowSplits().column() : null;
      this.byteLengths = column.byteLengths() == null ? null : column.byteLengths().column();
      this.dtype = column.values().layout().dtype();
      long n = 1;
      for (long d : column.values().layout().rowShape()) {
        n = Math.multiplyExact(n, d);
      }
      this.itemsPerRow = n;
      this.scalar = !column.ragged() && column.values().layout().rowShape().length == 0;
    }

    void write(RecordConsumer consumer, long row) {
      if (scalar) {
        add(consumer, row);
        return;
      }
      long from = rowSplits != null ? rowSplits.getAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, row) : row * itemsPerRow;
      long to = rowSplits != null ? rowSplits.getAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, row + 1)
          : from + itemsPerRow;
      consumer.startGroup();
      if (to > from) {
        consumer.startField(LIST, 0);
        for (long i = from; i < to; i++) {
          consumer.startGroup();
          consumer.startField(ParquetTableFormat.LIST_ELEMENT, 0);
          add(consumer, i);
          consumer.endField(ParquetTableFormat.LIST_ELEMENT, 0);
          consumer.endGroup();
        }
        consumer.endField(LIST, 0);
      }
      consumer.endGroup();
    }

    /** Item {@code i} of the values, as the Parquet type {@link ParquetTableFormat} gives the dtype. */
    private void add(RecordConsumer consumer, long i) {
      int size = dtype.itemSize();
      switch (dtype.kind()) {
        case 'S' -> consumer.addBinary(Binary.fromConstantByteBuffer(
            values.asSlice(i * size, byteLengths.getAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, i)).asByteBuffer()));
        case 'f' -> {
          switch (size) {
            case 2 -> consumer.addBinary(Binary.fromConstantByteBuffer(values.asSlice(i * 2, 2).asByteBuffer()));
            case 4 -> consumer.addFloat(values.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i));
            default -> consumer.addDouble(values.getAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED, i));
          }
        }
        default -> {
          boolean signed = dtype.kind() == 'i';
          switch (size) {
            case 1 -> {
              byte b = values.get(ValueLayout.JAVA_BYTE, i);
              consumer.addInteger(signed ? b : Byte.toUnsignedInt(b));
            }
            case 2 -> {
              short s = values.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i);
              consumer.addInteger(signed ? s : Short.toUnsignedInt(s));
            }
            case 4 -> consumer.addInteger(values.getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, i));
            default -> consumer.addLong(values.getAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, i));
          }
        }
      }
    }
  }
}

package io.tensorslab.arrow;

import io.tensorslab.npy.NpyDtype;
import io.tensorslab.store.RowStore;
import io.tensorslab.store.StagedFile;
import io.tensorslab.store.StoreDestination;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.Channels;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.apache.arrow.vector.ipc.WriteChannel;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Types;

/**
 * {@code --format parquet}: every output of the export as columns of one Parquet file,
 * {@code DIR/data.parquet}, written at the commit from the staged columns by parquet-java (no Hadoop
 * at run time: a local output file and a plain configuration).
 *
 * <p>Parquet columns: a scalar is a required primitive (int8/16/32 and unsigned as annotated INT32,
 * uint64 as INT64 annotated unsigned, float16 as FIXED_LEN_BYTE_ARRAY(2) annotated FLOAT16, bytes as
 * BINARY of their true length); a fixed shape and a {@code *} feature are a required three-level LIST.
 * The file's key-value metadata holds {@code ARROW:schema}, the Arrow schema of the same table as the
 * Arrow IPC output has ({@link ArrowTable#fieldOf}), as pyarrow writes it, so pyarrow reads the columns
 * back as {@code arrow.fixed_shape_tensor}, {@code large_list} and {@code large_binary}.
 *
 * <p>Row groups: {@code rowGroupRows} rows each ({@code --chunk-rows}), or parquet-java's default of
 * 128 MiB. Values go through parquet-java's example object model (a group per row), which copies each
 * value once more on the heap: simple rather than fast.
 *
 * <p>Uncompressed: parquet-java's compressors (gzip, zstd, snappy) are Hadoop codecs, which need
 * Hadoop's classes at run time, and this module does not carry Hadoop.
 *
 * @param rowGroupRows rows per row group, or 0 for parquet-java's size-based default
 */
public record ParquetTableFormat(long rowGroupRows) implements StagedColumnsFormat {
  /** The table file in the output directory. */
  public static final String FILE_NAME = "data.parquet";
  /** The values field of a three-level Parquet LIST, as pyarrow names it. */
  private static final String LIST_ELEMENT = "element";

  @Override
  public String tableFile() {
    return FILE_NAME;
  }

  @Override
  public StagedFile stageTable(StoreDestination destination, List<RowStore> stores, List<String> components,
      long rows) throws IOException {
    List<TableColumn> columns = TableColumn.of(stores, components);
    List<Type> fields = new ArrayList<>();
    List<Field> arrowFields = new ArrayList<>();
    List<ColumnValues> values = new ArrayList<>();
    for (TableColumn c : columns) {
      arrowFields.add(ArrowTable.fieldOf(c, LIST_ELEMENT)); // also refuses what a table cannot hold, naming it
      fields.add(parquetType(c));
      values.add(new ColumnValues(c));
    }
    MessageType schema = new MessageType("schema", fields);
    return TableFiles.stage(destination, FILE_NAME, "Parquet", temporary -> {
      ExampleParquetWriter.Builder builder = ExampleParquetWriter.builder(new LocalOutputFile(temporary))
          .withConf(new PlainParquetConfiguration())
          .withType(schema)
          .withCompressionCodec(CompressionCodecName.UNCOMPRESSED)
          .withExtraMetaData(Map.of("ARROW:schema", arrowSchema(arrowFields)));
      if (rowGroupRows > 0) {
        builder.withRowGroupRowCountLimit(Math.toIntExact(Math.min(rowGroupRows, Integer.MAX_VALUE)));
      }
      SimpleGroupFactory groups = new SimpleGroupFactory(schema);
      try (ParquetWriter<Group> writer = builder.build()) {
        for (long row = 0; row < rows; row++) {
          Group g = groups.newGroup();
          for (int c = 0; c < columns.size(); c++) {
            values.get(c).addRow(g, c, row);
          }
          writer.write(g);
        }
      }
    });
  }

  /** The Arrow schema as pyarrow stores it in Parquet metadata: base64 of the IPC schema message. */
  private static String arrowSchema(List<Field> fields) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    MessageSerializer.serialize(new WriteChannel(Channels.newChannel(bytes)), new Schema(fields));
    return Base64.getEncoder().encodeToString(bytes.toByteArray());
  }

  private static Type parquetType(TableColumn c) {
    boolean scalar = !c.ragged() && c.values().layout().rowShape().length == 0;
    NpyDtype dtype = c.values().layout().dtype();
    if (scalar) {
      return leaf(dtype, Type.Repetition.REQUIRED, c.name());
    }
    // A tensor's values are optional, as the tensor type's storage has them (none is null), else pyarrow
    // would not read the column back as the tensor type.
    Type.Repetition values = ArrowTable.tensor(c) ? Type.Repetition.OPTIONAL : Type.Repetition.REQUIRED;
    return Types.requiredGroup().as(LogicalTypeAnnotation.listType())
        .addField(Types.repeatedGroup().addField(leaf(dtype, values, LIST_ELEMENT)).named("list"))
        .named(c.name());
  }

  private static Type leaf(NpyDtype dtype, Type.Repetition repetition, String name) {
    int bits = dtype.itemSize() * 8;
    return switch (dtype.kind()) {
      case 'S' -> Types.primitive(PrimitiveTypeName.BINARY, repetition).named(name);
      case 'f' -> switch (bits) {
        case 16 -> Types.primitive(PrimitiveTypeName.FIXED_LEN_BYTE_ARRAY, repetition).length(2)
            .as(LogicalTypeAnnotation.float16Type()).named(name);
        case 32 -> Types.primitive(PrimitiveTypeName.FLOAT, repetition).named(name);
        default -> Types.primitive(PrimitiveTypeName.DOUBLE, repetition).named(name);
      };
      default -> Types.primitive(bits == 64 ? PrimitiveTypeName.INT64 : PrimitiveTypeName.INT32, repetition)
          .as(LogicalTypeAnnotation.intType(bits, dtype.kind() == 'i')).named(name);
    };
  }

  /** Reads one column's staged values and adds them to a row's group. */
  private static final class ColumnValues {
    private final TableColumn column;
    private final MemorySegment values;
    private final MemorySegment rowSplits;
    private final MemorySegment byteLengths;
    private final NpyDtype dtype;
    private final long itemsPerRow;
    private final boolean scalar;

    ColumnValues(TableColumn column) {
      this.column = column;
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

    void addRow(Group row, int field, long r) {
      if (scalar) {
        add(row, field, r);
        return;
      }
      long from = column.ragged() ? rowSplits.getAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, r) : r * itemsPerRow;
      long to = column.ragged() ? rowSplits.getAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, r + 1) : from + itemsPerRow;
      Group list = row.addGroup(field);
      for (long i = from; i < to; i++) {
        add(list.addGroup(0), 0, i);
      }
    }

    private void add(Group g, int field, long i) {
      int size = dtype.itemSize();
      switch (dtype.kind()) {
        case 'S' -> {
          long length = byteLengths.getAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, i);
          g.add(field, Binary.fromConstantByteArray(values.asSlice(i * size, length).toArray(ValueLayout.JAVA_BYTE)));
        }
        case 'f' -> {
          switch (size) {
            case 2 -> g.add(field, Binary.fromConstantByteArray(values.asSlice(i * 2, 2).toArray(ValueLayout.JAVA_BYTE)));
            case 4 -> g.add(field, values.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i));
            default -> g.add(field, values.getAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED, i));
          }
        }
        default -> {
          boolean signed = dtype.kind() == 'i';
          switch (size) {
            case 1 -> {
              byte b = values.get(ValueLayout.JAVA_BYTE, i);
              g.add(field, signed ? b : Byte.toUnsignedInt(b));
            }
            case 2 -> {
              short s = values.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i);
              g.add(field, signed ? s : Short.toUnsignedInt(s));
            }
            case 4 -> g.add(field, values.getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, i));
            default -> g.add(field, values.getAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, i));
          }
        }
      }
    }
  }

  @Override
  public String toString() {
    return "parquet";
  }
}

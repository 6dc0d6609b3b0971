package io.tensorslab.arrow;

import io.tensorslab.npy.NpyDtype;
import io.tensorslab.store.RowStore;
import io.tensorslab.store.StagedFile;
import io.tensorslab.store.StoreDestination;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
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
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalOutputFile;
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
 * 128 MiB. The values go from the staged columns to parquet-java's column writers ({@link ParquetRows}),
 * which encode them into its pages.
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
  static final String LIST_ELEMENT = "element";

  @Override
  public String tableFile() {
    return FILE_NAME;
  }

  @Override
  public StagedFile stageTable(StoreDestination destination, List<RowStore> stores, List<String> components,
      long rows) throws IOException {
    return TableFiles.stage(destination, FILE_NAME, "Parquet", temporary -> {
      List<TableColumn> columns = TableColumn.of(stores, components);
      List<Type> fields = new ArrayList<>();
      List<Field> arrowFields = new ArrayList<>();
      for (TableColumn c : columns) {
        arrowFields.add(ArrowTable.fieldOf(c, LIST_ELEMENT)); // also refuses what a table cannot hold, naming it
        fields.add(parquetType(c));
      }
      ParquetRows parquetRows = new ParquetRows(new MessageType("schema", fields),
          Map.of("ARROW:schema", arrowSchema(arrowFields)), columns);
      ParquetWriter.Builder<Long, ?> builder = ParquetRows.writer(new LocalOutputFile(temporary), parquetRows)
          .withConf(new PlainParquetConfiguration())
          .withCompressionCodec(CompressionCodecName.UNCOMPRESSED);
      if (rowGroupRows > 0) {
        builder.withRowGroupRowCountLimit(Math.toIntExact(Math.min(rowGroupRows, Integer.MAX_VALUE)));
      }
      try (ParquetWriter<Long> writer = builder.build()) {
        for (long row = 0; row < rows; row++) {
          writer.write(row);
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

  @Override
  public String toString() {
    return "parquet";
  }
}

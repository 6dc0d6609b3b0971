package io.tensorslab.arrow;

import io.tensorslab.store.RowStore;
import io.tensorslab.store.StagedFile;
import io.tensorslab.store.StoreDestination;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.ipc.ArrowFileWriter;

/**
 * {@code --format arrow}: every output of the export as columns of one Arrow IPC file,
 * {@code DIR/data.arrow} (the file format, {@code pyarrow.ipc.open_file}), with one record batch and
 * no compression. Columns are staged off-heap ({@link ColumnStore}) and written at the commit
 * ({@link ArrowTable} for the column types), their bytes handed to Arrow without a copy.
 *
 * {@snippet :
 * StoreFormat arrow = StoreFormats.fromOptions("arrow", null, null, null);   // found through ArrowTableFormats
 * }
 */
public final class ArrowTableFormat implements StagedColumnsFormat {
  /** The table file in the output directory. */
  public static final String FILE_NAME = "data.arrow";

  @Override
  public String tableFile() {
    return FILE_NAME;
  }

  @Override
  public StagedFile stageTable(StoreDestination destination, List<RowStore> columns, List<String> components,
      long rows) throws IOException {
    return TableFiles.stage(destination, FILE_NAME, "Arrow", temporary -> {
      try (BufferAllocator allocator = new RootAllocator();
          ArrowTable table = ArrowTable.of(TableColumn.of(columns, components), rows, allocator);
          FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
          ArrowFileWriter writer = new ArrowFileWriter(table.root(), null, channel)) {
        writer.start();
        writer.writeBatch();
        writer.end();
      }
    });
  }

  @Override
  public String toString() {
    return "arrow";
  }
}

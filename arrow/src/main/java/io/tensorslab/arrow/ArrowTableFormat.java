package io.tensorslab.arrow;

import io.tensorslab.slab.TemporaryFiles;
import io.tensorslab.store.RowLayout;
import io.tensorslab.store.RowStore;
import io.tensorslab.store.StagedFile;
import io.tensorslab.store.StoreCapacity;
import io.tensorslab.store.StoreDestination;
import io.tensorslab.store.TableFormat;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.ipc.ArrowFileWriter;

/**
 * {@code --format arrow}: every output of the export as columns of one Arrow IPC file,
 * {@code DIR/data.arrow} (the file format, {@code pyarrow.ipc.open_file}), with one record batch and
 * no compression. Columns are staged off-heap ({@link ColumnStore}) and written at the commit
 * ({@link ArrowTable} for the column types).
 *
 * {@snippet :
 * StoreFormat arrow = StoreFormats.fromOptions("arrow", null, null, null);   // found through ArrowTableFormats
 * }
 */
public final class ArrowTableFormat implements TableFormat {
  /** The table file in the output directory. */
  public static final String FILE_NAME = "data.arrow";

  @Override
  public String tableFile() {
    return FILE_NAME;
  }

  @Override
  public RowStore create(RowLayout layout, StoreDestination destination, StoreCapacity capacity) {
    return ColumnStore.create(layout, target(destination.directory(), layout.name()), capacity);
  }

  @Override
  public StagedFile stageTable(StoreDestination destination, List<RowStore> columns, List<String> components,
      long rows) throws IOException {
    Path target = destination.directory().resolve(FILE_NAME);
    Path temporary = TemporaryFiles.beside(target);
    boolean success = false;
    try (BufferAllocator allocator = new RootAllocator();
        ArrowTable table = ArrowTable.of(TableColumn.of(columns, components), rows, allocator);
        FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        ArrowFileWriter writer = new ArrowFileWriter(table.root(), null, channel)) {
      writer.start();
      writer.writeBatch();
      writer.end();
      if (destination.durable()) {
        channel.force(true);
      }
      success = true;
      return new StagedFile(temporary, target);
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new IOException("writing the Arrow table failed: " + e.getMessage() + " (path=" + target + ")", e);
    } catch (IOException e) {
      throw new IOException("writing the Arrow table failed: " + e.getMessage() + " (path=" + target + ")", e);
    } finally {
      if (!success) {
        Files.deleteIfExists(temporary);
      }
    }
  }

  @Override
  public String toString() {
    return "arrow";
  }
}

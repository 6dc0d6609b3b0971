package io.tensorslab.store;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A format that holds every output of an export in one file, a table (Arrow IPC, Parquet), rather
 * than one file or array per output. Its {@link #create stores} are columns staged where the format
 * chooses (nothing at a final path); at the commit, {@link #stageTable} writes the one table file
 * from the finished columns under a temporary name, and the commit publishes it with the manifest,
 * as it publishes a Zarr store's group metadata: all or nothing.
 *
 * <p>The core writes no table itself: implementations live outside it (module
 * {@code tensorslab-arrow}) and are found by {@link StoreFormats#fromOptions} through a
 * {@link TableFormatProvider}.
 */
public interface TableFormat extends StoreFormat {

  /** The output name whose store holds the exact length of each bytes value of output {@code name}. */
  static String byteLengthsName(String name) {
    return name + BYTE_LENGTHS_SUFFIX;
  }

  /** Suffix of the staged column of a bytes output's value lengths ({@link #byteLengthsName}). */
  String BYTE_LENGTHS_SUFFIX = ".byte_lengths";

  /** The table file's name in the output directory ({@code data.arrow}). */
  String tableFile();

  /** Every output of the export goes into the table: its target is the table file. */
  @Override
  default Path target(Path directory, String name) {
    return directory.resolve(tableFile());
  }

  /**
   * Writes the table from the finished {@code columns} (stores this format made) under a temporary
   * name beside the table file in {@code destination}, forced to disk when the destination is durable.
   *
   * @param columns every store of the export, finished, in the export's order
   * @param components per column, the feature it belongs to (a ragged feature's values and row
   *     splits, a bytes feature's value lengths, share it)
   * @param rows the export's rows
   * @return the temporary file and the table file it becomes
   * @throws IOException naming the table file, after removing its temporary file
   */
  StagedFile stageTable(StoreDestination destination, List<RowStore> columns, List<String> components, long rows)
      throws IOException;
}

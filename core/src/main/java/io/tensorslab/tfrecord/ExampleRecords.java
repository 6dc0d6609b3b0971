package io.tensorslab.tfrecord;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The loop most readers want: every record of one TFRecord file parsed as an {@code Example} and
 * its selected features resolved, with every error turned into one {@link TfRecordException} that
 * names the file, the record (index and byte offset) and the feature.
 *
 * {@snippet :
 * FeatureSelection selection = FeatureSelection.of(specs);
 * ExampleRecords.read(path, TfRecordCompression.NONE, selection, Long.MAX_VALUE, (index, sel) -> {
 *   int rows = sel.values(0).count();
 * });
 * }
 */
public final class ExampleRecords {

  /** Receives each record's resolved features. */
  @FunctionalInterface
  public interface RecordVisitor {
    /**
     * @param recordIndex 0-based index of the record in its file
     * @param selection the record's features; valid only during this call
     */
    void visit(long recordIndex, FeatureSelection selection) throws IOException;
  }

  private ExampleRecords() {}

  /**
   * Reads up to {@code maxRecords} records of {@code path} from the start.
   *
   * @return records read
   */
  public static long read(Path path, TfRecordCompression compression, FeatureSelection selection, long maxRecords,
      RecordVisitor visitor) throws IOException {
    try (TfRecordReader reader = TfRecordReader.open(path, compression)) {
      return read(reader, selection, maxRecords, visitor);
    }
  }

  /** Reads up to {@code maxRecords} records from where {@code reader} stands. */
  public static long read(TfRecordReader reader, FeatureSelection selection, long maxRecords, RecordVisitor visitor)
      throws IOException {
    ExampleView example = new ExampleView();
    long n = 0;
    while (n < maxRecords && reader.next()) {
      try {
        selection.read(example, reader.record()); // the view is this loop's alone: the framing is reused
      } catch (MalformedExampleException e) {
        throw located(reader, e);
      }
      visitor.visit(reader.recordIndex(), selection);
      n++;
    }
    return n;
  }

  /** {@code e} with the file, record and offset of the record {@code reader} just read. */
  public static TfRecordException located(TfRecordReader reader, MalformedExampleException e) {
    String at = reader.fileSize() >= 0 ? "byte " + reader.recordOffset() : "byte " + reader.recordOffset()
        + " of the uncompressed stream";
    return new TfRecordException(e.problem() + " (record at " + at + ")", reader.path(), reader.recordIndex(),
        e.feature(), -1, null);
  }
}

package io.tensorslab.tfrecord;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;

/** The record loop of a survey: up to a limit of records of some files, in order, every CRC checked. */
final class RecordScan {

  private RecordScan() {}

  /** Parses one record; its problem is located by the scan (file, record, offset). */
  @FunctionalInterface
  interface RecordVisitor {
    void visit(MemorySegment record) throws MalformedExampleException;
  }

  /**
   * What a scan read.
   *
   * @param complete false when it stopped at its limit before the end of the files
   */
  record Outcome(long records, boolean complete) {}

  static Outcome scan(List<Path> files, TfRecordCompression compression, long limit, RecordVisitor visitor)
      throws IOException {
    long records = 0;
    for (int file = 0; file < files.size(); file++) {
      try (TfRecordReader r = TfRecordReader.open(files.get(file), compression)) {
        while (true) {
          if (records >= limit) {
            return new Outcome(records, !r.next() && file == files.size() - 1);
          }
          if (!r.next()) {
            break;
          }
          try {
            visitor.visit(r.record());
          } catch (MalformedExampleException e) {
            throw ExampleRecords.located(r, e);
          }
          records++;
        }
      }
    }
    return new Outcome(records, true);
  }
}

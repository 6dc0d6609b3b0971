package io.tensorslab.export;

/** Told after every batch, on the exporting thread; keep it cheap (a progress bar, a log line). */
@FunctionalInterface
public interface ExportListener {
  void onBatch(ExportProgress progress);
}

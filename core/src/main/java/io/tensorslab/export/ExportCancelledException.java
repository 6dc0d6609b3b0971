package io.tensorslab.export;

/** The export stopped because it was cancelled or its thread was interrupted; nothing was left behind. */
public final class ExportCancelledException extends ExportException {
  private static final long serialVersionUID = 1L;

  ExportCancelledException(String why, long batch) {
    super("export cancelled: " + why, null, batch, null);
  }
}

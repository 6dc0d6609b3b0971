package io.tensorslab.export;

import java.io.IOException;

/**
 * An export that failed: inside the dataset, on a batch that disagrees with the declared spec, or
 * while writing. The message reads {@code "<what failed>: <why> (component=…, batch=…)"} and the
 * cause is kept. When this is thrown no file is left at any final path and temporary files are gone.
 */
public class ExportException extends IOException {
  private static final long serialVersionUID = 1L;
  private final String component;
  private final long batch;

  public ExportException(String message, String component, long batch, Throwable cause) {
    super(message + where(component, batch), cause);
    this.component = component;
    this.batch = batch;
  }

  private static String where(String component, long batch) {
    if (component == null && batch < 0) {
      return "";
    }
    StringBuilder sb = new StringBuilder(" (");
    if (component != null) {
      sb.append("component=").append(component);
    }
    if (batch >= 0) {
      sb.append(component != null ? ", " : "").append("batch=").append(batch);
    }
    return sb.append(')').toString();
  }

  /** The component's name, or null when the failure is not about one component. */
  public String component() {
    return component;
  }

  /** The zero-based batch index, or -1 when the failure is not about one batch. */
  public long batch() {
    return batch;
  }
}

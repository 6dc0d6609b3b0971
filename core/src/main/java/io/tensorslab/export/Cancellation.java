package io.tensorslab.export;

/**
 * A flag another thread sets to stop a running export. The exporter checks it (and its own thread's
 * interrupt status) before each batch, then stops with {@link ExportCancelledException}, removing
 * every temporary file.
 *
 * {@snippet :
 * var cancel = new Cancellation();
 * executor.submit(() -> TensorSlab.export(dataset).to(dir).cancellation(cancel).run());
 * cancel.cancel();
 * }
 */
public final class Cancellation {
  private volatile boolean cancelled;

  /** A flag not set yet. */
  public Cancellation() {}

  public void cancel() {
    cancelled = true;
  }

  public boolean isCancelled() {
    return cancelled;
  }
}

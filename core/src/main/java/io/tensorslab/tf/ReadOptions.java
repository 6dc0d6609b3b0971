package io.tensorslab.tf;

/**
 * How a {@link BatchSource} reads a dataset, on top of the pipeline it is given.
 *
 * @param prefetch batches TensorFlow may produce ahead on its own thread ({@code prefetch(n)}); 0
 *     reads the dataset as given
 * @param autotune whether tf.data's autotuning stays on (TensorFlow's default). Off, the source
 *     reads through {@code OptionsDataset} with {@code autotune_options.enabled = false}: closing it
 *     no longer waits for the autotuning thread, which was measured at up to ~0.5 s per source on
 *     2 cores; pipelines whose parallelism or buffers are {@code AUTOTUNE} lose the tuning.
 */
public record ReadOptions(int prefetch, boolean autotune) {

  /** The dataset as given: no prefetch, autotuning on. */
  public static final ReadOptions DEFAULT = new ReadOptions(0, true);

  public ReadOptions {
    if (prefetch < 0) {
      throw new IllegalArgumentException("prefetch must be >= 0 batches, got " + prefetch);
    }
  }
}

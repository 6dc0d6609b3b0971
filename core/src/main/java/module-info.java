/**
 * TensorSlab's library: TF Java datasets and TFRecord files to NumPy {@code .npy} files and Zarr
 * stores.
 *
 * <p>Exported, the public API: {@code npy} (the format), {@code export} (the engine and its
 * entry points {@code TensorSlab}, {@code TfRecordConversion}), {@code store} and
 * {@code store.zarr} (where rows go), {@code shard} (a conversion cut into shards), {@code tf}
 * (TF Java datasets and tensors), {@code tfrecord} (the TFRecord and {@code tf.train.Example}
 * reader and the feature specs, free of TensorFlow) and {@code objectstore} (the service through
 * which inputs in object storage are fetched). Not exported: {@code slab} (mapped memory,
 * native file calls, staging files), the stores' machinery.
 *
 * <p>The command line, the Spark job and the benchmarks run on the class path, where this
 * descriptor is ignored: they see every package, and qualified exports ({@code exports ... to})
 * would not reach them, so there are none. (The benchmarks call {@code slab.MemoryAdvice}
 * directly to measure it.)
 *
 * <p>On the module path, {@code tf.MappedTensors} wraps file-backed tensors through TF Java's
 * package-private {@code RawTensor.fromHandle}, which module {@code tensorflow} does not open:
 * run with {@code --add-opens tensorflow/org.tensorflow=io.tensorslab.core}, which also lets
 * eager handles be released on demand rather than by the garbage collector, and
 * {@code --enable-native-access=io.tensorslab.core}.
 */
module io.tensorslab.core {
  // TF Java types (tensors, Dataset, EagerSession, Ops, Shape, NdArray) are part of the API.
  requires transitive tensorflow;
  requires transitive tensorflow.framework;
  requires transitive org.tensorflow.ndarray;
  // the C API (TF_Tensor, TFE_TensorHandle) and the DataType enum, inside the implementation
  requires tensorflow.nativelib;
  requires org.bytedeco.javacpp;
  // Zarr chunks compressed with zstd
  requires com.github.luben.zstd_jni;

  exports io.tensorslab.npy;
  exports io.tensorslab.export;
  exports io.tensorslab.store;
  exports io.tensorslab.store.zarr;
  exports io.tensorslab.shard;
  exports io.tensorslab.tf;
  exports io.tensorslab.tfrecord;

  // Arrow IPC and Parquet tables come from tensorslab-arrow when it is present (StoreFormats.fromOptions).
  uses io.tensorslab.store.TableFormatProvider;

  // the object-storage interface TFRecord inputs are fetched through; module tensorslab-objectstore
  // provides it (S3, GCS), so the core carries no storage client
  exports io.tensorslab.objectstore;
  uses io.tensorslab.objectstore.ObjectStore;
}

package io.tensorslab.tf;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.bytedeco.javacpp.Pointer;
import org.tensorflow.RawTensor;
import org.tensorflow.Tensor;
import org.tensorflow.internal.c_api.Deallocator_Pointer_long_Pointer;
import org.tensorflow.internal.c_api.TF_Tensor;
import org.tensorflow.internal.c_api.global.tensorflow;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.types.family.TType;

/**
 * TensorFlow tensors whose data <em>is</em> a region of a file mapped read-only: no copy, the page
 * cache's pages are the tensor's buffer.
 *
 * <p>Each tensor gets its own mapping (a shared {@link Arena}, one {@code mmap}) and TensorFlow owns
 * it: the tensor is made with the C API's {@code TF_NewTensor} and a deallocator that unmaps the
 * region when TensorFlow drops its last reference to the buffer. That may be long after the Java
 * {@link Tensor} is closed (an eager constant or a dataset built from it keeps the buffer), on any
 * thread, so nothing else may close the mapping. {@link #liveMappings()} counts the regions
 * TensorFlow has not released yet; it returns to its earlier value once every such tensor is gone.
 *
 * <p>TensorFlow copies a buffer that is not aligned to 64 bytes instead of using it; a mapping
 * starts on a page boundary, so a region at a file offset that is a multiple of 64 (every
 * {@code .npy} payload this library writes) is used in place. {@link #map} checks that the tensor's
 * data pointer is the mapped address and refuses otherwise.
 *
 * <p>Thread safety: any thread may call {@link #map}; the tensors are ordinary TF Java tensors.
 *
 * {@snippet :
 * try (TFloat32 x = MappedTensors.map(path, payloadOffset, TFloat32.class, Shape.of(rows, 784))) {
 *   // x's data is the file's bytes; the file stays mapped until TensorFlow lets go of them
 * }
 * }
 */
public final class MappedTensors {

  /** Mappings whose tensor TensorFlow has not deallocated yet, by the id passed to the deallocator. */
  private static final Map<Long, Arena> LIVE = new ConcurrentHashMap<>();
  private static final AtomicLong NEXT_ID = new AtomicLong(1);
  private static final Deallocator_Pointer_long_Pointer UNMAP = unmapCallback();
  // RawTensor.fromHandle and asTypedTensor are how TF Java itself wraps a TF_Tensor it receives from
  // the C API (session outputs, eager results); TF Java 1.1.0 has no public way to wrap one we made.
  private static final Method FROM_HANDLE;
  private static final Method AS_TYPED;

  static {
    try {
      FROM_HANDLE = RawTensor.class.getDeclaredMethod("fromHandle", TF_Tensor.class);
      FROM_HANDLE.setAccessible(true);
      AS_TYPED = RawTensor.class.getDeclaredMethod("asTypedTensor");
      AS_TYPED.setAccessible(true);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError("this TensorFlow Java has no RawTensor.fromHandle(TF_Tensor)"
          + " / asTypedTensor(); mapped tensors need tensorflow-core-api 1.1.0: " + e);
    }
  }

  private MappedTensors() {}

  /**
   * A tensor of {@code type} and {@code shape} over the file bytes starting at {@code offset}.
   *
   * @param offset where the tensor's data starts in the file; a multiple of 64
   * @throws IOException if the file cannot be mapped or is shorter than the tensor
   * @throws IllegalArgumentException for {@code TString} (its tensors hold pointers, not bytes) or
   *     an offset that is not a multiple of 64
   */
  public static <T extends TType> T map(Path path, long offset, Class<T> type, Shape shape) throws IOException {
    Objects.requireNonNull(path, "path");
    if (TfDtypes.isVariableWidth(type)) {
      throw new IllegalArgumentException("no zero-copy tensor for strings: TString tensors hold 24-byte string"
          + " structs, not the file's bytes; read the array with ndArray() or segment() (path=" + path + ")");
    }
    if (offset % 64 != 0) {
      throw new IllegalArgumentException("mapped tensor data must start at a multiple of 64 bytes or TensorFlow"
          + " copies it; offset is " + offset + " (path=" + path + ")");
    }
    long byteSize = Math.multiplyExact(shape.size(), TfDtypes.toNpy(type).itemSize());
    if (byteSize == 0) {
      return Tensor.of(type, shape); // nothing to share
    }
    Arena arena = Arena.ofShared();
    long id = NEXT_ID.getAndIncrement();
    boolean handedToTensorFlow = false;
    try {
      MemorySegment region;
      try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
        if (channel.size() < offset + byteSize) {
          throw new IOException("mapping tensor failed: the file has " + channel.size() + " bytes, the tensor"
              + " needs " + byteSize + " from offset " + offset + " (path=" + path + ")");
        }
        region = channel.map(FileChannel.MapMode.READ_ONLY, offset, byteSize, arena);
      }
      LIVE.put(id, arena);
      long[] dims = shape.asArray();
      TF_Tensor handle = tensorflow.TF_NewTensor(TfDtypes.dataType(type).getNumber(), dims, dims.length,
          addressOf(region.address()), byteSize, UNMAP, addressOf(id));
      if (handle == null || handle.isNull()) {
        throw new IOException("TensorFlow refused a " + type.getSimpleName() + " tensor of shape " + shape
            + " over the mapped file (path=" + path + ")");
      }
      handedToTensorFlow = true; // from here TensorFlow calls UNMAP exactly once, also after a copy
      handle.withDeallocator();
      long data = tensorflow.TF_TensorData(handle).address();
      if (data != region.address()) {
        handle.close(); // TF_DeleteTensor
        throw new IOException("TensorFlow copied the mapped data instead of using it (data at 0x"
            + Long.toHexString(data) + ", mapping at 0x" + Long.toHexString(region.address()) + "; path=" + path + ")");
      }
      return type.cast(AS_TYPED.invoke(FROM_HANDLE.invoke(null, handle)));
    } catch (IllegalAccessException e) {
      throw new IllegalStateException("wrapping a TF_Tensor failed: " + e.getMessage() + " (path=" + path + ")", e);
    } catch (InvocationTargetException e) {
      throw new IllegalStateException("wrapping a TF_Tensor failed: " + e.getCause() + " (path=" + path + ")",
          e.getCause());
    } finally {
      if (!handedToTensorFlow) {
        LIVE.remove(id);
        arena.close();
      }
    }
  }

  /** Mapped regions TensorFlow still holds: the tensors made here that it has not deallocated. */
  public static int liveMappings() {
    return LIVE.size();
  }

  private static Pointer addressOf(long nativeAddress) {
    // (named so: inside the subclass, a plain "address" is JavaCPP's field, not this parameter)
    return new Pointer() {
      {
        this.address = nativeAddress;
      }
    };
  }

  /**
   * TensorFlow's deallocator {@code void (*)(void* data, size_t len, void* arg)}: {@code arg} is the
   * id of the mapping to unmap. A JavaCPP callback (the form TF Java's own {@code TF_NewTensor}
   * calls use): JavaCPP attaches TensorFlow's threads to the JVM when one of them frees the buffer.
   * Held in a static field for the life of the class, so it can never be collected while
   * TensorFlow may still call it.
   */
  private static Deallocator_Pointer_long_Pointer unmapCallback() {
    return new Deallocator_Pointer_long_Pointer() {
      @Override
      public void call(Pointer data, long byteSize, Pointer arg) {
        unmap(arg.address());
      }
    };
  }

  /** Called by TensorFlow through {@link #UNMAP}; never throws into native code. */
  private static void unmap(long id) {
    try {
      Arena arena = LIVE.remove(id);
      if (arena == null) {
        return;
      }
      // As Lucene does: a shared arena cannot close while a thread is inside an access to it; ours are
      // read only by TensorFlow through the raw address, so this loop ends at once in practice.
      while (arena.scope().isAlive()) {
        try {
          arena.close();
        } catch (IllegalStateException inUse) {
          Thread.onSpinWait();
        }
      }
    } catch (Throwable t) {
      System.err.println("tensorslab: unmapping a tensor's file region failed: " + t);
    }
  }
}

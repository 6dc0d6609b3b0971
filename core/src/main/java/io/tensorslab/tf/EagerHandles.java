package io.tensorslab.tf;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.tensorflow.EagerSession;
import org.tensorflow.Operation;
import org.tensorflow.Output;
import org.tensorflow.RawTensor;
import org.tensorflow.Tensor;
import org.tensorflow.internal.c_api.TFE_TensorHandle;
import org.tensorflow.internal.c_api.TF_Status;
import org.tensorflow.internal.c_api.TF_Tensor;
import org.tensorflow.internal.c_api.global.tensorflow;

/**
 * Deterministic release of eager operations, which TF Java 1.1.0 does not offer.
 *
 * <p>Every eager op's native handle ({@code TFE_Op}) and outputs ({@code TFE_TensorHandle}, and the
 * {@code TF_Tensor} that {@code Output.asTensor()} resolves) are attached to the
 * {@link EagerSession} and freed only when the garbage collector clears them or the session closes;
 * {@code Tensor.close()} on such a tensor does nothing. A dataset reader allocates little on the
 * Java heap, so the GC rarely runs and every batch, every prefetch buffer and every iterator stays
 * alive: 1000 open/close cycles of a prefetching source grew the process by 7 GB, and closing the
 * session with those iterators still running crashed TensorFlow.
 *
 * <p>This class reaches the package-private members TF Java itself uses for the same job
 * ({@code EagerSession.detach}, {@code RawTensor.fromHandle}); detaching drops the session's
 * reference, which frees the handle at once. When the members are not accessible (a future TF
 * Java, or TF Java loaded as a named module) {@link #AVAILABLE} is false and callers fall back to
 * TF Java's GC-driven release.
 */
final class EagerHandles {

  private static final MethodHandle DETACH;
  private static final MethodHandle OP_HANDLE;
  private static final MethodHandle OUTPUT_HANDLE;
  private static final MethodHandle FROM_HANDLE;
  private static final MethodHandle AS_TYPED;

  /** True when eager handles can be released on demand. */
  static final boolean AVAILABLE;

  static {
    MethodHandle detach = null, opHandle = null, outputHandle = null, fromHandle = null, asTyped = null;
    boolean available;
    try {
      Class<?> eagerOperation = Class.forName("org.tensorflow.EagerOperation");
      Class<?> abstractOperation = Class.forName("org.tensorflow.AbstractOperation");
      var session = MethodHandles.privateLookupIn(EagerSession.class, MethodHandles.lookup());
      detach = session.findVirtual(EagerSession.class, "detach", MethodType.methodType(void.class, Pointer[].class));
      opHandle = MethodHandles.privateLookupIn(eagerOperation, MethodHandles.lookup())
          .findGetter(eagerOperation, "opHandle", Class.forName("org.tensorflow.internal.c_api.TFE_Op"));
      outputHandle = MethodHandles.privateLookupIn(abstractOperation, MethodHandles.lookup())
          .findVirtual(abstractOperation, "getUnsafeNativeHandle", MethodType.methodType(Pointer.class, int.class));
      var raw = MethodHandles.privateLookupIn(RawTensor.class, MethodHandles.lookup());
      fromHandle = raw.findStatic(RawTensor.class, "fromHandle", MethodType.methodType(RawTensor.class, TF_Tensor.class));
      asTyped = raw.findVirtual(RawTensor.class, "asTypedTensor",
          MethodType.methodType(Class.forName("org.tensorflow.types.family.TType")));
      available = true;
    } catch (ReflectiveOperationException | RuntimeException e) {
      available = false;
    }
    DETACH = detach;
    OP_HANDLE = opHandle;
    OUTPUT_HANDLE = outputHandle;
    FROM_HANDLE = fromHandle;
    AS_TYPED = asTyped;
    AVAILABLE = available;
  }

  private EagerHandles() {}

  /**
   * The outputs of an executed eager op as tensors the caller owns ({@code close()} frees them),
   * after which the op and its output handles are released. The tensors share TF's buffers: no copy.
   */
  static List<Tensor> takeOutputs(Operation op, List<Output<?>> outputs) {
    List<Tensor> tensors = new ArrayList<>(outputs.size());
    try {
      for (int i = 0; i < outputs.size(); i++) {
        tensors.add(resolve((TFE_TensorHandle) OUTPUT_HANDLE.invoke(op, outputs.get(i).index())));
      }
    } catch (Throwable t) {
      tensors.forEach(Tensor::close);
      throw failure("resolving eager outputs of " + op.name(), t);
    }
    release(op);
    return tensors;
  }

  /** Frees an eager op's native handle and its outputs' handles now. Tensors already resolved keep their buffers. */
  static void release(Operation op) {
    try {
      Pointer[] handles = new Pointer[op.numOutputs() + 1];
      handles[0] = (Pointer) OP_HANDLE.invoke(op);
      for (int i = 0; i < op.numOutputs(); i++) {
        handles[i + 1] = (Pointer) OUTPUT_HANDLE.invoke(op, i);
      }
      DETACH.invoke((EagerSession) op.env(), handles);
    } catch (Throwable t) {
      throw failure("releasing eager op " + op.name(), t);
    }
  }

  private static Tensor resolve(TFE_TensorHandle handle) throws Throwable {
    // As EagerOperation.resolveTensorHandle, but the tensor is not attached to the session, so
    // RawTensor.close() deletes it.
    try (PointerScope scope = new PointerScope()) {
      TF_Status status = TF_Status.newStatus();
      TF_Tensor tensor = tensorflow.TFE_TensorHandleResolve(handle, status);
      status.throwExceptionIfNotOK();
      RawTensor raw = (RawTensor) FROM_HANDLE.invoke(tensor.withDeallocator());
      return (Tensor) AS_TYPED.invoke(raw);
    }
  }

  private static RuntimeException failure(String what, Throwable t) {
    if (t instanceof RuntimeException r) {
      return r;
    }
    if (t instanceof Error e) {
      throw e;
    }
    return new IllegalStateException(what + " failed: " + t, t);
  }
}

package io.tensorslab.tf;

import java.lang.reflect.Field;
import org.bytedeco.javacpp.Pointer;
import org.tensorflow.Operand;
import org.tensorflow.Operation;

/**
 * Frees the native handles of an eager op's outputs now, instead of whenever the garbage collector
 * finds them.
 *
 * <p>TF Java 1.1.0 deletes an eager output's {@code TFE_TensorHandle} from JavaCPP's deallocator
 * thread once the Java object is unreachable, or at {@code EagerSession.close()} if it is still
 * reachable then. An object that becomes unreachable just before the session closes is deleted
 * after the context is gone. For a plain tensor that is harmless; for an iterator
 * ({@code AnonymousIteratorV3}, whose handle owns the iterator) the destructor releases the
 * iterator's function handles through the freed device manager and the JVM dies with SIGSEGV in
 * {@code DynamicDeviceMgr::LookupDevice} (seen with many exports per session and a filter or map in
 * the dataset). TF Java has no public way to delete a handle, hence the reflection, confined to here.
 *
 * <p>Where the internals differ (another TF Java version), {@link #free} does nothing and returns
 * false: the handle is then left to the garbage collector as before.
 */
final class EagerHandles {
  private static final Field OUTPUT_HANDLES = outputHandlesField();

  private EagerHandles() {}

  private static Field outputHandlesField() {
    try {
      Field f = Class.forName("org.tensorflow.EagerOperation").getDeclaredField("outputHandles");
      f.setAccessible(true);
      return Pointer[].class.isAssignableFrom(f.getType()) ? f : null;
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
  }

  /**
   * Deletes the native handles of every output of {@code operand}'s eager op. Call it only while
   * its session is open and when nothing will use the op's outputs again.
   *
   * @return true when the handles were deleted
   */
  static boolean free(Operand<?> operand) {
    Operation op = operand.op();
    if (OUTPUT_HANDLES == null || OUTPUT_HANDLES.getDeclaringClass() != op.getClass()) {
      return false;
    }
    try {
      for (Pointer handle : (Pointer[]) OUTPUT_HANDLES.get(op)) {
        if (handle != null && !handle.isNull()) {
          handle.deallocate(); // TFE_DeleteTensorHandle now; the GC and the session's close then skip it
        }
      }
      return true;
    } catch (IllegalAccessException e) {
      return false;
    }
  }
}

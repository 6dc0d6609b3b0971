package io.tensorslab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher's training run ({@link AotTraining}) in a child JVM: every class it loads goes into
 * the ahead-of-time cache and is loaded at every later start, so it must not load the heap memory
 * segment class. While only native segments exist, C1 inlines a segment access; once
 * {@code HeapMemorySegmentImpl} is loaded, each one is three virtual calls: a 1 GB convert took
 * 14 % more CPU time (docs/benchmarks.md). A {@code MemorySegment.ofArray} or {@code toArray} on
 * the training's path fails this test; {@link io.tensorslab.slab.HeapBytes} copies without one.
 */
class AotTrainingTest {
  private static final String HEAP_SEGMENT = "jdk.internal.foreign.HeapMemorySegmentImpl";

  @Test
  void trainingLoadsNoHeapSegmentClass(@TempDir Path dir) throws Exception {
    Path classLog = dir.resolve("classes.log");
    Path output = dir.resolve("output.txt");
    Process p = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
        "--add-opens=java.base/java.nio=ALL-UNNAMED", "-XX:TieredStopAtLevel=1",
        "-Xlog:class+load=info:file=" + classLog, "-cp", System.getProperty("java.class.path"),
        AotTraining.class.getName()))
        .redirectErrorStream(true).redirectOutput(output.toFile()).start();
    assertTrue(p.waitFor(5, TimeUnit.MINUTES), "the training run did not end in 5 minutes");
    assertEquals(0, p.exitValue(), Files.readString(output, StandardCharsets.UTF_8));

    List<String> loaded = Files.readAllLines(classLog, StandardCharsets.UTF_8);
    // The log is the real one: the training parsed records through native segments.
    assertTrue(loaded.stream().anyMatch(l -> l.contains(" jdk.internal.foreign.NativeMemorySegmentImpl ")),
        "no native segment class in the class-load log: " + classLog);
    assertTrue(loaded.stream().anyMatch(l -> l.contains(" io.tensorslab.tfrecord.ExampleView ")),
        "the training parsed no Example: " + classLog);
    assertFalse(loaded.stream().anyMatch(l -> l.contains(" " + HEAP_SEGMENT)),
        "the training loaded " + HEAP_SEGMENT + "; find the MemorySegment.ofArray or toArray with"
            + " -XX:+UnlockDiagnosticVMOptions -XX:LogClassLoadingCauseFor=" + HEAP_SEGMENT
            + " -Xlog:class+load+cause");
  }
}

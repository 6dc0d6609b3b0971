package io.tensorslab.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Runs {@code tensorslab ARGS} in this (fresh) JVM, then prints {@code TENSORFLOW-LOADED yes|no}:
 * whether any of TensorFlow's shared libraries ({@code libtensorflow_cc}, {@code
 * libtensorflow_framework}, TF Java's JNI glue {@code libjnitensorflow}) is mapped into the
 * process, read from {@code /proc/self/maps} — the kernel's own list, so it sees a library loaded
 * by any path (JavaCPP's loader, a static initializer), which no class-loading probe does.
 */
public final class ConvertProbeMain {
  private ConvertProbeMain() {}

  public static void main(String[] args) throws Exception {
    PrintWriter out = new PrintWriter(System.out, true);
    int code = TensorSlabCommand.commandLine(out, new PrintWriter(System.err, true)).execute(args);
    boolean loaded = Files.readAllLines(Path.of("/proc/self/maps")).stream()
        .anyMatch(l -> l.contains("libtensorflow") || l.contains("libjnitensorflow"));
    out.println("EXIT " + code);
    out.println("TENSORFLOW-LOADED " + (loaded ? "yes" : "no"));
  }
}

package io.tensorslab.reliability;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Small file systems for fault tests: {@code mount -t tmpfs}, read-only remounts. Needs root. */
public final class Mounts {
  private Mounts() {}

  /** Mounts a tmpfs of {@code size} (e.g. {@code 8m}) on the existing directory {@code dir}; false if refused. */
  public static boolean tmpfs(Path dir, String size) {
    return run("mount", "-t", "tmpfs", "-o", "size=" + size + ",mode=0755", "tmpfs", dir.toString()) == 0;
  }

  /** Remounts the tmpfs at {@code dir} read-only; false if refused. */
  public static boolean remountReadOnly(Path dir) {
    return run("mount", "-o", "remount,ro", dir.toString()) == 0;
  }

  /** Unmounts {@code dir}, lazily if busy, so a failing test never leaves a mount behind. */
  public static void unmount(Path dir) {
    if (run("umount", dir.toString()) != 0) {
      run("umount", "-l", dir.toString());
    }
  }

  private static int run(String... cmd) {
    try {
      Process p = new ProcessBuilder(new ArrayList<>(List.of(cmd))).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return -1;
      }
      if (p.exitValue() != 0) {
        System.err.println(String.join(" ", cmd) + ": " + out.strip());
      }
      return p.exitValue();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }
}

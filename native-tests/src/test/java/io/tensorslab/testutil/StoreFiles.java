package io.tensorslab.testutil;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** A store's files as bytes, for "N workers wrote the store one worker writes, file for file". */
public final class StoreFiles {
  private StoreFiles() {}

  /** Every file under {@code store} but the shard ledger ({@code .tensorslab/}), by relative path. */
  public static Map<String, byte[]> of(Path store) throws IOException {
    Map<String, byte[]> files = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(store)) {
      for (Path p : walk.filter(Files::isRegularFile).toList()) {
        String rel = store.relativize(p).toString();
        if (!rel.startsWith(".tensorslab")) {
          files.put(rel, Files.readAllBytes(p));
        }
      }
    }
    return files;
  }

  /** The same files with the same bytes. */
  public static void assertSame(Map<String, byte[]> expected, Map<String, byte[]> actual) {
    assertEquals(expected.keySet(), actual.keySet());
    for (String name : expected.keySet()) {
      assertArrayEquals(expected.get(name), actual.get(name), name);
    }
  }

  /** The same files with the same bytes in both stores. */
  public static void assertSame(Path expected, Path actual) throws IOException {
    assertSame(of(expected), of(actual));
  }
}

package io.tensorslab.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class OutputNamesTest {

  @Test
  void safeNamesAreNestedDirectories() {
    assertEquals("image/object/bbox/xmin.values.npy", OutputNames.relativePath("image/object/bbox/xmin", ".values.npy"));
    assertEquals("image/encoded.npy", OutputNames.relativePath("image/encoded", ".npy"));
    assertEquals("label.npy", OutputNames.relativePath("label", ".npy"));
    assertEquals("a_b-c.d.npy", OutputNames.relativePath("a_b-c.d", ".npy"));
  }

  @Test
  void unsafeSegmentsAreEscapedOneByOne() {
    assertEquals("%../%../x.npy", OutputNames.relativePath("../../x", ".npy"));
    assertEquals("%/abs/x.npy", OutputNames.relativePath("/abs/x", ".npy"));
    assertEquals("%.npy", OutputNames.relativePath("", ".npy"));
    assertEquals("a/%/b.npy", OutputNames.relativePath("a//b", ".npy"));
    assertEquals("a/%..npy", OutputNames.relativePath("a/.", ".npy"));
    assertEquals("%a%20b.npy", OutputNames.relativePath("a b", ".npy"));
    assertEquals("%x%3Ay.npy", OutputNames.relativePath("x:y", ".npy"));
    assertEquals("%.hidden.npy", OutputNames.relativePath(".hidden", ".npy"));
    assertEquals("%-flag.npy", OutputNames.relativePath("-flag", ".npy"));
    assertEquals("%100%25.npy", OutputNames.relativePath("100%", ".npy"));
    assertEquals("%%C3%A9t%C3%A9.npy", OutputNames.relativePath("été", ".npy"));
    assertEquals("%a%5Cb.npy", OutputNames.relativePath("a\\b", ".npy"));
    assertEquals("%nl%0A.npy", OutputNames.relativePath("nl\n", ".npy"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"image/object/bbox/xmin", "../../x", "/abs/x", "", "/", "a//b", "..", ".", "a b/c:d",
      "100%", "été/ü", "%41", "x\u0000y", "trailing/", "-", "~x", "a~b c"})
  void escapingIsReversible(String name) {
    String file = OutputNames.relativePath(name, ".npy");
    assertEquals(name, OutputNames.nameOf(file, ".npy"), file);
  }

  @ParameterizedTest
  @ValueSource(strings = {"../../x", "/abs/x", "..", ".", "a/../../b", "../", "./..", "..\\..\\x"})
  void neverOutsideTheDirectory(String name, @TempDir Path dir) {
    Path file = OutputNames.resolve(dir, name, ".npy");
    assertTrue(file.startsWith(dir), file.toString());
    assertFalse(file.equals(dir));
    assertEquals(dir.relativize(file).toString(), OutputNames.relativePath(name, ".npy"));
  }

  @Test
  void veryLongNamesAreShortenedWithAHashAndStayDistinct() {
    String longA = "a".repeat(5000);
    String longB = "a".repeat(4999) + "b";
    String fileA = OutputNames.relativePath(longA, ".npy");
    String fileB = OutputNames.relativePath(longB, ".npy");
    assertTrue(fileA.length() <= OutputNames.MAX_SEGMENT + 4, fileA);
    assertFalse(fileA.contains("/"));
    assertTrue(fileA.startsWith("%aaaa") && fileA.contains("~"), fileA);
    assertFalse(fileA.equals(fileB));
    assertNull(OutputNames.nameOf(fileA, ".npy"), "a hashed name is found in the manifest, not the file name");
    // one long segment in a nested name: only that segment is shortened
    String nested = OutputNames.relativePath("x/" + "é".repeat(300) + "/y", ".npy");
    assertTrue(nested.startsWith("x/%%C3%A9") && nested.endsWith("/y.npy"), nested);
    for (String segment : nested.split("/")) {
      assertTrue(segment.length() <= OutputNames.MAX_SEGMENT + 4, segment);
    }
    // never cut inside %XX: what is kept before '~' decodes
    String cut = nested.split("/")[1];
    String kept = cut.substring(1, cut.indexOf('~'));
    assertTrue(kept.matches("(%[0-9A-F]{2})*"), kept);
  }

  @Test
  void tooDeepNamesAreOneFlatFile() {
    String deep = "d/".repeat(OutputNames.MAX_DEPTH + 1) + "x";
    String file = OutputNames.relativePath(deep, ".npy");
    assertFalse(file.contains("/"), file);
    assertEquals(deep, OutputNames.nameOf(file, ".npy"));
    String shallow = "d/".repeat(OutputNames.MAX_DEPTH - 1) + "x";
    assertEquals(shallow + ".npy", OutputNames.relativePath(shallow, ".npy"));
  }

  @Test
  void twoNamesOnOneFileAreNamedInTheError() {
    Map<String, String> files = new LinkedHashMap<>();
    files.put("a", "a.npy");
    files.put("b", "a.npy");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OutputNames.checkDistinct(files));
    assertEquals("outputs 'a' and 'b' would both be written to a.npy; rename or drop one of them", e.getMessage());
  }

  @Test
  void aFileWhereADirectoryIsNeededIsNamedInTheError() {
    Map<String, String> files = new LinkedHashMap<>();
    files.put("x.npy/y", OutputNames.relativePath("x.npy/y", ".npy"));
    files.put("x", OutputNames.relativePath("x", ".npy"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OutputNames.checkDistinct(files));
    assertEquals("output 'x' is written to x.npy, where output 'x.npy/y' needs a directory for x.npy/y.npy; "
        + "rename or drop one of them", e.getMessage());
    Map<String, String> fine = new LinkedHashMap<>();
    fine.put("image", "image.npy");
    fine.put("image/encoded", "image/encoded.npy");
    OutputNames.checkDistinct(fine);
  }

  @Test
  void createParentsMakesNestedDirectoriesAndSaysWhichItMade(@TempDir Path dir) throws IOException {
    Files.createDirectory(dir.resolve("image"));
    List<Path> created = OutputNames.createParents(dir, OutputNames.resolve(dir, "image/object/bbox/xmin", ".npy"));
    assertEquals(List.of(dir.resolve("image/object"), dir.resolve("image/object/bbox")), created);
    assertTrue(Files.isDirectory(dir.resolve("image/object/bbox")));
    assertEquals(List.of(), OutputNames.createParents(dir, OutputNames.resolve(dir, "flat", ".npy")));
  }

  @Test
  void aSymlinkPlantedInTheDirectoryIsNotFollowed(@TempDir Path dir, @TempDir Path elsewhere) throws IOException {
    Files.createSymbolicLink(dir.resolve("image"), elsewhere);
    Path target = OutputNames.resolve(dir, "image/encoded", ".npy");
    FileAlreadyExistsException e = assertThrows(FileAlreadyExistsException.class,
        () -> OutputNames.createParents(dir, target));
    assertEquals("output path is a symbolic link; it is not followed, remove it or choose another directory (path="
        + dir.resolve("image") + ")", e.getReason());
    try (var list = Files.list(elsewhere)) {
      assertEquals(0, list.count());
    }
  }

  @Test
  void aFileWhereADirectoryIsNeededOnDiskIsRefused(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("image"), "x");
    FileAlreadyExistsException e = assertThrows(FileAlreadyExistsException.class,
        () -> OutputNames.createParents(dir, OutputNames.resolve(dir, "image/encoded", ".npy")));
    assertTrue(e.getReason().startsWith("output path is a file where a directory is needed for image/encoded.npy"),
        e.getReason());
  }
}

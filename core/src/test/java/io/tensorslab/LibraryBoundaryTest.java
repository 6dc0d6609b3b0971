package io.tensorslab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorslab.tfrecord.TfRecordReader;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleDescriptor.Exports;
import java.lang.module.ModuleDescriptor.Requires;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The library's boundary: {@code io.tensorslab.tfrecord} stays free of TensorFlow and of
 * {@code io.tensorslab.tf} (which may use it, not the other way), and the module descriptor exports
 * the API packages, every other package by decision only.
 */
class LibraryBoundaryTest {

  /** What {@code tfrecord} must not name, in sources (dots) and class files (slashes). */
  private static final List<String> FORBIDDEN =
      List.of("org.tensorflow", "org/tensorflow", "io.tensorslab.tf.", "io/tensorslab/tf/");

  private static final Set<String> EXPORTED = Set.of("io.tensorslab.npy", "io.tensorslab.export",
      "io.tensorslab.store", "io.tensorslab.store.zarr", "io.tensorslab.shard", "io.tensorslab.tf",
      "io.tensorslab.tfrecord", "io.tensorslab.objectstore");

  /** Packages kept inside the module; a new package must be added here or to EXPORTED. */
  private static final Set<String> INTERNAL = Set.of("io.tensorslab.slab");

  /** The compiled main classes ({@code core/target/classes}). */
  private static Path classes() throws Exception {
    return Path.of(TfRecordReader.class.getProtectionDomain().getCodeSource().getLocation().toURI());
  }

  @Test
  void tfrecordSourcesNameNeitherTensorFlowNorTheTfPackage() throws Exception {
    Path dir = Path.of("src/main/java/io/tensorslab/tfrecord");
    List<String> found = new ArrayList<>();
    List<Path> sources;
    try (Stream<Path> files = Files.walk(dir)) {
      sources = files.filter(p -> p.toString().endsWith(".java")).sorted().toList();
    }
    assertTrue(sources.contains(dir.resolve("TfRecordReader.java")) && sources.size() >= 15,
        "expected the tfrecord sources in " + dir.toAbsolutePath() + ", found " + sources);
    for (Path source : sources) {
      List<String> lines = Files.readAllLines(source);
      for (int i = 0; i < lines.size(); i++) {
        for (String name : FORBIDDEN) {
          if (lines.get(i).contains(name)) {
            found.add(source.getFileName() + ":" + (i + 1) + ": " + lines.get(i).strip());
          }
        }
      }
    }
    assertEquals(List.of(), found, "io.tensorslab.tfrecord must not use TensorFlow or io.tensorslab.tf");
  }

  /**
   * The core reads object storage only through its {@code ObjectStore} service: no class of it names
   * the AWS SDK (module tensorslab-objectstore does), so library users without S3 do not need it.
   */
  @Test
  void coreClassesNameNoStorageClient() throws Exception {
    Path root = classes();
    List<String> found = new ArrayList<>();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".class")).sorted().toList()) {
        String text = new String(Files.readAllBytes(f), java.nio.charset.StandardCharsets.ISO_8859_1);
        if (text.contains("software/amazon")) {
          found.add(root.relativize(f).toString());
        }
      }
    }
    assertTrue(Files.isRegularFile(root.resolve("io/tensorslab/objectstore/ObjectStore.class")));
    assertEquals(List.of(), found, "core classes naming the AWS SDK");
  }

  @Test
  void tfrecordClassesReferenceNeitherTensorFlowNorTheTfPackage() throws Exception {
    Path dir = classes().resolve("io/tensorslab/tfrecord");
    List<Path> classFiles;
    try (Stream<Path> files = Files.list(dir)) {
      classFiles = files.filter(p -> p.toString().endsWith(".class")).sorted().toList();
    }
    assertTrue(classFiles.contains(dir.resolve("TfRecordReader.class")), "no classes in " + dir);
    List<String> found = new ArrayList<>();
    for (Path classFile : classFiles) {
      // constant-pool names and strings are (modified) UTF-8; ISO-8859-1 keeps every byte
      String bytes = new String(Files.readAllBytes(classFile), StandardCharsets.ISO_8859_1);
      for (String name : FORBIDDEN) {
        if (bytes.contains(name)) {
          found.add(classFile.getFileName() + " names " + name);
        }
      }
    }
    assertEquals(List.of(), found, "io.tensorslab.tfrecord's classes must not use TensorFlow or io.tensorslab.tf");
  }

  @Test
  void moduleExportsTheApiAndKeepsTheRestInside() throws Exception {
    ModuleDescriptor module;
    try (InputStream in = Files.newInputStream(classes().resolve("module-info.class"))) {
      module = ModuleDescriptor.read(in);
    }
    assertEquals("io.tensorslab.core", module.name());
    for (Exports e : module.exports()) {
      assertTrue(!e.isQualified(), "the CLI and Spark run on the class path, no qualified export reaches them: " + e);
    }
    Set<String> exported = module.exports().stream().map(Exports::source).collect(Collectors.toCollection(TreeSet::new));
    assertEquals(new TreeSet<>(EXPORTED), exported);
    Set<String> undecided = new TreeSet<>(module.packages());
    undecided.removeAll(EXPORTED);
    undecided.removeAll(INTERNAL);
    assertEquals(Set.of(), undecided, "packages neither exported nor declared internal");
    Set<String> transitive = module.requires().stream()
        .filter(r -> r.modifiers().contains(Requires.Modifier.TRANSITIVE))
        .map(Requires::name).collect(Collectors.toSet());
    // the API's signatures hold TF Java types: its users must read these modules too
    assertTrue(transitive.containsAll(Set.of("tensorflow", "tensorflow.framework", "org.tensorflow.ndarray")),
        "requires transitive: " + transitive);
  }
}

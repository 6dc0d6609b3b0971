package io.tensorslab.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every fenced {@code java} block of the README and the Java docs, compiled with javax.tools
 * against the test class path and run against the real TensorFlow:
 *
 * <ul>
 *   <li>a block that declares a class with {@code main} is compiled as it is and run with one
 *       argument, an empty directory;
 *   <li>a block of only {@code import} lines is the document's imports, put before each fragment;
 *   <li>any other block is a fragment: the body of {@code static void run(Path dir)}, {@code dir}
 *       an empty directory, except that a fragment naming {@code "/od/"} finds there the
 *       object-detection TFRecord shards of the test fixtures. Its {@code // prints: TEXT}
 *       comments, in order, are what it must print.
 * </ul>
 */
class DocSnippetsTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Pattern FENCE = Pattern.compile("(?ms)^```java\\n(.*?)^```");
  private static final Pattern PRINTS = Pattern.compile("// prints: (.*)$", Pattern.MULTILINE);
  private static final Pattern CLASS_NAME = Pattern.compile("(?m)^public (?:final )?class (\\w+)");

  record Snippet(String document, int index, String imports, String code) {
    boolean wholeProgram() {
      return CLASS_NAME.matcher(code).find();
    }

    @Override
    public String toString() {
      return document + " #" + index;
    }
  }

  static Stream<Arguments> snippets() throws Exception {
    List<Arguments> all = new ArrayList<>();
    for (String document : List.of("README.md", "docs/api.md", "docs/pipelines.md")) {
      String text = Files.readString(ROOT.resolve(document), StandardCharsets.UTF_8);
      String imports = "";
      int index = 0;
      Matcher m = FENCE.matcher(text);
      while (m.find()) {
        String code = m.group(1);
        if (code.lines().allMatch(line -> line.isBlank() || line.startsWith("import "))) {
          imports = code;
          continue;
        }
        all.add(Arguments.of(new Snippet(document, ++index, imports, code)));
      }
      assertTrue(index > 0, document + " has no java block");
    }
    return all.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("snippets")
  void compilesAndRuns(Snippet snippet, @TempDir Path dir) throws Exception {
    Path sources = Files.createDirectories(dir.resolve("src"));
    Path classes = Files.createDirectories(dir.resolve("classes"));
    Path work = Files.createDirectories(dir.resolve("work"));
    if (snippet.code().contains("/od/")) {
      copyObjectDetectionShards(work.resolve("od"));
    }
    String className;
    String source;
    if (snippet.wholeProgram()) {
      Matcher name = CLASS_NAME.matcher(snippet.code());
      assertTrue(name.find());
      className = name.group(1);
      source = snippet.code();
    } else {
      className = "Snippet" + snippet.index();
      source = snippet.imports() + "\npublic final class " + className + " {\n"
          + "  public static void run(java.nio.file.Path dir) throws Exception {\n" + snippet.code() + "\n  }\n}\n";
    }
    Path file = sources.resolve(className + ".java");
    Files.writeString(file, source);
    JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
    StringWriter diagnostics = new StringWriter();
    boolean compiled = compiler.getTask(diagnostics, null, null,
        List.of("-d", classes.toString(), "-cp", System.getProperty("java.class.path"), "-proc:none"), null,
        compiler.getStandardFileManager(null, null, StandardCharsets.UTF_8).getJavaFileObjects(file)).call();
    assertTrue(compiled, snippet + " does not compile:\n" + diagnostics + "\n" + source);

    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream original = System.out;
    try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()},
        DocSnippetsTest.class.getClassLoader())) {
      Class<?> type = loader.loadClass(className);
      System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
      if (snippet.wholeProgram()) {
        Method main = type.getMethod("main", String[].class);
        main.invoke(null, (Object) new String[] {work.toString()});
      } else {
        type.getMethod("run", Path.class).invoke(null, work);
      }
    } catch (InvocationTargetException e) {
      throw new AssertionError(snippet + " failed when run:\n" + source, e.getCause());
    } finally {
      System.setOut(original);
    }
    String printed = captured.toString(StandardCharsets.UTF_8);
    original.print(printed);
    List<String> promised = PRINTS.matcher(snippet.code()).results().map(r -> r.group(1).strip()).toList();
    if (!promised.isEmpty()) {
      assertEquals(promised, printed.lines().map(String::strip).toList(), snippet + " printed something else");
    }
    if (snippet.wholeProgram()) {
      assertFalse(printed.isBlank(), snippet + " printed nothing");
    }
  }

  private static void copyObjectDetectionShards(Path target) throws Exception {
    Files.createDirectories(target);
    try (Stream<Path> shards = Files.list(ROOT.resolve("native-tests/src/test/resources/fixtures/real/od"))) {
      for (Path shard : shards.toList()) {
        Files.copy(shard, target.resolve(shard.getFileName()));
      }
    }
  }
}

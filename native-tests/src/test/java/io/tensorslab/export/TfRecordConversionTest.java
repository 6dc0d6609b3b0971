package io.tensorslab.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorslab.testutil.TfRecordWriter;
import io.tensorslab.testutil.TfRecordWriter.Compression;
import io.tensorslab.tfrecord.FeatureSpec;
import io.tensorslab.tfrecord.TfRecordCompression;
import io.tensorslab.tfrecord.TfRecordException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The conversion's front door: it decides the engine, and every option it refuses is one
 * {@link IllegalArgumentException} (an input it cannot use: one {@link TfRecordException}) naming
 * what, before anything is read past the inputs' first bytes or written.
 */
class TfRecordConversionTest {

  @TempDir
  Path dir;

  private Path input() {
    return TfRecordWriter.write(dir.resolve("in.tfrecord.gz"), Compression.GZIP, List.of(
        TfRecordWriter.example().floats("x", 1, 2).int64s("n", 1, 2, 3).toByteArray(),
        TfRecordWriter.example().floats("x", 3, 4).int64s("n").toByteArray()));
  }

  private TfRecordConversion.Builder builder(String... features) {
    return TfRecordConversion.builder().inputs(List.of(input())).features(FeatureSpec.parseAll(List.of(features)))
        .to(dir.resolve("out"));
  }

  @Test
  void theEngineIsDecidedAndTheCompressionDetected() throws Exception {
    TfRecordConversion c = builder("x:float32:2", "n:int64:*").build();
    assertEquals(TfRecordConversion.Engine.NATIVE, c.engine());
    assertNull(c.nativeUnsupportedReason());
    assertEquals(TfRecordCompression.GZIP, c.compression());
    assertFalse(c.schemaInferred());
    TfRecordConversion images = builder("x:image:2,2,1").build();
    assertEquals(TfRecordConversion.Engine.TENSORFLOW, images.engine());
    assertEquals("feature 'x' (image is decoded by TensorFlow)", images.nativeUnsupportedReason());
    try (ExportResult r = builder("x:float32:2", "n:int64:*").build().run()) {
      assertEquals(2, r.rows());
      assertEquals(List.of("x", "n.values", "n.row_splits"), r.arrays().stream().map(ExportedArray::name).toList());
    }
  }

  @Test
  void withoutFeaturesTheSchemaIsInferred() throws Exception {
    TfRecordConversion c = TfRecordConversion.builder().inputs(List.of(input())).to(dir.resolve("o")).build();
    assertTrue(c.schemaInferred());
    assertEquals(List.of("n:int64:*", "x:float32:2"), c.features().stream().map(FeatureSpec::toString).sorted().toList());
  }

  @Test
  void everyRefusedOptionIsOneErrorNamingIt() {
    assertEquals("limit must be >= 0, got -1",
        assertThrows(IllegalArgumentException.class, () -> builder("x:float32:2").limit(-1)).getMessage());
    assertEquals("threads must be at least 1, got 0",
        assertThrows(IllegalArgumentException.class, () -> builder("x:float32:2").threads(0)).getMessage());
    assertEquals("batch size must be at least 1, got 0",
        assertThrows(IllegalArgumentException.class, () -> builder("x:float32:2").batchSize(0)).getMessage());
    assertEquals("no input file",
        assertThrows(IllegalArgumentException.class, () -> TfRecordConversion.builder().inputs(List.of())).getMessage());
    assertEquals("no feature to convert",
        assertThrows(IllegalArgumentException.class, () -> builder("x:float32:2").features(List.of())).getMessage());
    assertEquals("no output directory: set to(...)", assertThrows(IllegalArgumentException.class,
        () -> TfRecordConversion.builder().inputs(List.of(input())).build()).getMessage());
    assertEquals("pad value for 'x', which is no '*' feature", assertThrows(IllegalArgumentException.class,
        () -> builder("x:float32:2").padValues(Map.of("x", 1f)).build()).getMessage());
    assertEquals("pad values apply only with VarLen.PAD", assertThrows(IllegalArgumentException.class,
        () -> builder("n:int64:*").padValue("7").build()).getMessage());
    assertEquals("pad value 'seven' is not a int64 value, as feature 'n' needs", assertThrows(
        IllegalArgumentException.class,
        () -> builder("n:int64:*").varLen(TfRecordConversion.VarLen.PAD).padValue("seven").build()).getMessage());
    assertEquals("the native engine cannot convert these features: feature 'x' (image is decoded by TensorFlow); use "
        + "the tensorflow engine", assertThrows(IllegalArgumentException.class,
        () -> builder("x:image:2,2,1").engine(TfRecordConversion.Engine.NATIVE).build()).getMessage());
    TfRecordException missing = assertThrows(TfRecordException.class, () -> TfRecordConversion.builder()
        .inputs(List.of(dir.resolve("nope.tfrecord"))).to(dir.resolve("o")).build());
    assertEquals("cannot read TFRecord input: input file does not exist (path=" + dir.resolve("nope.tfrecord") + ")",
        missing.getMessage());
    assertEquals(dir.resolve("nope.tfrecord"), missing.path());
    assertFalse(Files.exists(dir.resolve("out")), "nothing written");
    assertFalse(Files.exists(dir.resolve("o")), "nothing written");
  }
}

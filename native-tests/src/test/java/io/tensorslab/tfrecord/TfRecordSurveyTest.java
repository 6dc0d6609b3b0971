package io.tensorslab.tfrecord;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tensorslab.testutil.TfRecordWriter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Schema inference rules, one feature each, on records written by hand. */
class TfRecordSurveyTest {

  @Test
  void eachRuleOfInference(@TempDir Path dir) throws Exception {
    Path file = TfRecordWriter.write(dir.resolve("a.tfrecord"), TfRecordWriter.Compression.NONE, List.of(
        TfRecordWriter.example().int64s("scalar", 1).floats("fixed", 1, 2, 3).int64s("varies", 1)
            .bytes("missing", new byte[] {1}).bytes("blob", "abc".getBytes()).empty("empty_list").toByteArray(),
        TfRecordWriter.example().int64s("scalar", 2).floats("fixed", 4, 5, 6).int64s("varies", 1, 2, 3)
            .bytes("blob", "de".getBytes()).empty("empty_list").toByteArray()));
    TfRecordSurvey survey = TfRecordSurvey.scan(List.of(file), TfRecordCompression.NONE, Long.MAX_VALUE);
    assertEquals(2, survey.records());
    assertEquals(List.of("blob:bytes:", "fixed:float32:3", "missing:bytes:*", "scalar:int64:", "varies:int64:*"),
        survey.inferSchema().stream().map(FeatureSpec::toString).toList(),
        "a feature with no value list in any record is left out: nothing says its kind");
    TfRecordSurvey.FeatureSurvey blob = survey.features().get("blob");
    assertEquals(2, blob.minBytes());
    assertEquals(3, blob.maxBytes());
    assertEquals(0, blob.imageValues());
    assertEquals(1, survey.features().get("missing").recordsWith());

    TfRecordSurvey first = TfRecordSurvey.scan(List.of(file), TfRecordCompression.NONE, 1);
    assertEquals(1, first.records());
    assertFalse(first.complete());
  }

  @Test
  void recordsThatDisagreeOnTheKindAreRefusedNamingTheFeature(@TempDir Path dir) throws Exception {
    Path file = TfRecordWriter.write(dir.resolve("a.tfrecord"), TfRecordWriter.Compression.NONE, List.of(
        TfRecordWriter.example().int64s("x", 1).toByteArray(),
        TfRecordWriter.example().floats("x", 1f).toByteArray()));
    TfRecordSurvey survey = TfRecordSurvey.scan(List.of(file), TfRecordCompression.NONE, Long.MAX_VALUE);
    assertEquals("feature 'x' holds int64 in some records, float32 in others: give its --feature NAME:DTYPE:SHAPE "
            + "(or leave it out by listing the others)",
        assertThrows(IllegalArgumentException.class, survey::inferSchema).getMessage());
  }
}

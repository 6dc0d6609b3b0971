package io.tensorslab.tfrecord;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorslab.tfrecord.FeatureSpec.Dtype;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

class FeatureSpecTest {

  @ParameterizedTest
  @EnumSource(Dtype.class)
  void parsesEveryDtypeInEveryShapeForm(Dtype dtype) {
    String d = dtype.cliName();

    FeatureSpec scalar = FeatureSpec.parse("label:" + d + ":");
    assertEquals(new FeatureSpec("label", dtype, List.of(), false), scalar);
    assertTrue(scalar.isScalar());
    assertEquals(1, scalar.valuesPerRecord());
    assertEquals(List.of("label"), scalar.componentNames());

    FeatureSpec vector = FeatureSpec.parse("v:" + d + ":3");
    assertEquals(List.of(3L), vector.shape());
    assertFalse(vector.isScalar());
    assertEquals(3, vector.valuesPerRecord());

    FeatureSpec matrix = FeatureSpec.parse("image:" + d + ":28,28,3");
    assertEquals(List.of(28L, 28L, 3L), matrix.shape());
    assertEquals(28 * 28 * 3, matrix.valuesPerRecord());
    assertEquals("image:" + d + ":28,28,3", matrix.toString());

    FeatureSpec varlen = FeatureSpec.parse("tokens:" + d + ":*");
    assertTrue(varlen.variableLength());
    assertEquals(List.of(), varlen.shape());
    assertEquals(-1, varlen.valuesPerRecord());
    assertEquals(List.of("tokens.values", "tokens.row_splits"), varlen.componentNames());
    assertEquals("tokens:" + d + ":*", varlen.toString());
  }

  @Test
  void acceptsZeroDimsLeadingZerosPlusSignAndUnusualNames() {
    assertEquals(List.of(0L), FeatureSpec.parse("e:float32:0").shape());
    assertEquals(0, FeatureSpec.parse("e:float32:4,0").valuesPerRecord());
    assertEquals(List.of(8L), FeatureSpec.parse("x:int64:008").shape());
    assertEquals(List.of(8L), FeatureSpec.parse("x:int64:+8").shape());
    assertEquals("héllo wörld-1.v2", FeatureSpec.parse("héllo wörld-1.v2:bytes:").name());
    assertEquals(List.of(Long.MAX_VALUE), FeatureSpec.parse("big:int64:" + Long.MAX_VALUE).shape());
  }

  @Test
  void shapeIsUnmodifiable() {
    List<Long> dims = new ArrayList<>(List.of(2L, 3L));
    FeatureSpec f = new FeatureSpec("x", Dtype.FLOAT32, dims, false);
    dims.add(4L);
    assertEquals(List.of(2L, 3L), f.shape());
    assertThrows(UnsupportedOperationException.class, () -> f.shape().add(1L));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
      // spec | expected message
      "x                  | invalid --feature 'x': no ':' (a scalar still needs the trailing ':', as in label:int64:); expected NAME:DTYPE:SHAPE, e.g. image:float32:28,28 or label:int64: or tokens:int64:*",
      "label:int64        | invalid --feature 'label:int64': only one ':' (a scalar still needs the trailing ':', as in label:int64:); expected NAME:DTYPE:SHAPE, e.g. image:float32:28,28 or label:int64: or tokens:int64:*",
      "x:float32:8:8      | invalid --feature 'x:float32:8:8': unknown DTYPE '8' (expected float32, int64, bytes, image or raw-<type>)",
      "x::3               | invalid --feature 'x::3': empty DTYPE (expected float32, int64, bytes, image or raw-<type>)",
      "x:float:3          | invalid --feature 'x:float:3': unknown DTYPE 'float' (expected float32, int64, bytes, image or raw-<type>)",
      "x:FLOAT32:3        | invalid --feature 'x:FLOAT32:3': unknown DTYPE 'FLOAT32' (expected float32, int64, bytes, image or raw-<type>)",
      "x:float64:3        | invalid --feature 'x:float64:3': unknown DTYPE 'float64' (expected float32, int64, bytes, image or raw-<type>)",
      "x:string:          | invalid --feature 'x:string:': unknown DTYPE 'string' (expected float32, int64, bytes, image or raw-<type>)",
      "x:float32:-1       | invalid --feature 'x:float32:-1': dim 0 of SHAPE is negative (-1)",
      "x:float32:4,-2     | invalid --feature 'x:float32:4,-2': dim 1 of SHAPE is negative (-2)",
      "x:float32:abc      | invalid --feature 'x:float32:abc': dim 0 of SHAPE 'abc' is not a whole number",
      "x:float32:2.5      | invalid --feature 'x:float32:2.5': dim 0 of SHAPE '2.5' is not a whole number",
      "x:float32:0x10     | invalid --feature 'x:float32:0x10': dim 0 of SHAPE '0x10' is not a whole number",
      "x:float32:-        | invalid --feature 'x:float32:-': dim 0 of SHAPE '-' is not a whole number",
      "\"x:float32:8, 8\" | invalid --feature 'x:float32:8, 8': dim 1 of SHAPE ' 8' is not a whole number",
      "x:float32:8x8      | invalid --feature 'x:float32:8x8': dim 0 of SHAPE '8x8' is not a whole number",
      "\"x:float32:8,,8\" | invalid --feature 'x:float32:8,,8': dim 1 of SHAPE is empty (dims are separated by single ',', no trailing ',')",
      "\"x:float32:8,\"   | invalid --feature 'x:float32:8,': dim 1 of SHAPE is empty (dims are separated by single ',', no trailing ',')",
      "\"x:float32:,\"    | invalid --feature 'x:float32:,': dim 0 of SHAPE is empty (dims are separated by single ',', no trailing ',')",
      "x:float32:9223372036854775808 | invalid --feature 'x:float32:9223372036854775808': dim 0 of SHAPE '9223372036854775808' is too large (at most 9223372036854775807)",
      "x:float32:99999999999999999999999 | invalid --feature 'x:float32:99999999999999999999999': dim 0 of SHAPE '99999999999999999999999' is too large (at most 9223372036854775807)",
      "\"x:float32:4294967296,4294967296\" | invalid --feature 'x:float32:4294967296,4294967296': SHAPE 4294967296,4294967296 has more values per record than a long can count",
      "\"x:int64:*,3\"    | invalid --feature 'x:int64:*,3': '*' must be the whole SHAPE (a variable-length feature is 1-D), got '*,3'",
      "x:int64:**         | invalid --feature 'x:int64:**': '*' must be the whole SHAPE (a variable-length feature is 1-D), got '**'",
      "x:int64:3*         | invalid --feature 'x:int64:3*': '*' must be the whole SHAPE (a variable-length feature is 1-D), got '3*'",
  })
  void rejectsMalformedSpecsWithOneClearMessage(String spec, String message) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FeatureSpec.parse(spec));
    assertEquals(message, e.getMessage());
  }

  @Test
  void rejectsNullSpec() {
    assertEquals("invalid --feature: missing value; expected NAME:DTYPE:SHAPE, e.g. image:float32:28,28 or label:int64: or tokens:int64:*",
        assertThrows(IllegalArgumentException.class, () -> FeatureSpec.parse(null)).getMessage());
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
      "image/object/bbox/xmin:float32:* | image/object/bbox/xmin",
      "a:b:float32:                     | a:b",
      "ns:key:with:colons:int64:2       | ns:key:with:colons",
      ":int64:                          | \"\"",
      "\"  :float32:3\"                 | \"  \"",
      "../../x:bytes:                   | ../../x",
      "/abs/x:bytes:                    | /abs/x",
      "\"a\tb:int64:\"                  | \"a\tb\"",
  })
  void anyNameIsAcceptedAndSplitAtTheLastTwoColons(String spec, String name) {
    FeatureSpec f = FeatureSpec.parse(spec);
    assertEquals(name, f.name());
    assertEquals(spec, f.toString());
  }

  @Test
  void parseAllKeepsOrder() {
    List<FeatureSpec> specs = FeatureSpec.parseAll(List.of("b:int64:", "a:float32:2,2", "c:bytes:*"));
    assertEquals(List.of("b", "a", "c"), specs.stream().map(FeatureSpec::name).toList());
  }

  @Test
  void parseAllRejectsDuplicateNames() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> FeatureSpec.parseAll(List.of("x:float32:3", "y:int64:", "x:int64:")));
    assertEquals("invalid --feature 'x:int64:': feature 'x' is already given by --feature x:float32:3", e.getMessage());
  }

  @Test
  void parseAllRejectsOutputNameClashes() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> FeatureSpec.parseAll(List.of("t:int64:*", "t.values:float32:")));
    assertEquals("invalid --feature 't.values:float32:': its output 't.values' is also written by --feature t:int64:*",
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> FeatureSpec.parseAll(List.of("t.row_splits:int64:", "t:bytes:*")));
    assertEquals("invalid --feature 't:bytes:*': its output 't.row_splits' is also written by --feature t.row_splits:int64:",
        e.getMessage());
  }

  @Test
  void parseAllRejectsNoFeaturesAndReportsTheFirstBadSpec() {
    assertEquals("no --feature given; expected NAME:DTYPE:SHAPE, e.g. image:float32:28,28 or label:int64: or tokens:int64:*",
        assertThrows(IllegalArgumentException.class, () -> FeatureSpec.parseAll(List.of())).getMessage());
    assertEquals("invalid --feature 'y:int32:': unknown DTYPE 'int32' (expected float32, int64, bytes, image or raw-<type>)",
        assertThrows(IllegalArgumentException.class,
            () -> FeatureSpec.parseAll(Arrays.asList("x:int64:", "y:int32:", "z"))).getMessage());
  }

  @Test
  void constructorChecksItsInvariants() {
    assertEquals("feature 'x': negative dim -3 in shape [-3]",
        assertThrows(IllegalArgumentException.class,
            () -> new FeatureSpec("x", Dtype.INT64, List.of(-3L), false)).getMessage());
    assertEquals("feature 'x': a variable-length feature has no fixed shape, got [3]",
        assertThrows(IllegalArgumentException.class,
            () -> new FeatureSpec("x", Dtype.INT64, List.of(3L), true)).getMessage());
    assertEquals("", new FeatureSpec("", Dtype.INT64, List.of(), false).name(), "an Example key may be empty");
  }

  @Test
  void imageAndRawDtypes() {
    FeatureSpec fixed = FeatureSpec.parse("image/encoded:image:28,28,1");
    assertEquals(List.of(28L, 28L, 1L), fixed.shape());
    assertTrue(fixed.isImage());
    assertFalse(fixed.imageSizeVaries());
    assertEquals(List.of("image/encoded"), fixed.componentNames());
    FeatureSpec any = FeatureSpec.parse("img:image:*,*,3");
    assertTrue(any.imageSizeVaries());
    assertEquals("img:image:*,*,3", any.toString());
    assertEquals(List.of("img", "img.shapes"), any.componentNames());
    FeatureSpec points = FeatureSpec.parse("points:raw-float32:100,3");
    assertEquals(new FeatureSpec.Decoder.Raw(FeatureSpec.RawType.FLOAT32), points.decoder());
    assertEquals(Dtype.BYTES, points.dtype());
    assertEquals(1, points.valuesPerRecord(), "one byte string per record");
    assertEquals("points:raw-float32:100,3", points.toString());
    assertEquals("s:raw-uint64:", FeatureSpec.parse("s:raw-uint64:").toString());
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
      "\"x:image:28,28\"   | invalid --feature 'x:image:28,28': an image's SHAPE is H,W,C (e.g. 28,28,1) or *,*,C (e.g. *,*,3), C being 1, 3 or 4, got '28,28'",
      "\"x:image:28,28,2\" | invalid --feature 'x:image:28,28,2': an image's SHAPE is H,W,C (e.g. 28,28,1) or *,*,C (e.g. *,*,3), C being 1, 3 or 4, got C '2'",
      "\"x:image:*,28,3\"  | invalid --feature 'x:image:*,28,3': dim 0 of SHAPE '*' is not a whole number",
      "x:image:            | invalid --feature 'x:image:': an image's SHAPE is H,W,C (e.g. 28,28,1) or *,*,C (e.g. *,*,3), C being 1, 3 or 4, got ''",
      "x:raw-float128:3    | invalid --feature 'x:raw-float128:3': unknown DTYPE 'raw-float128' (raw-<type> takes int8, uint8, int16, uint16, int32, uint32, int64, uint64, float16, float32 or float64)",
      "x:raw-float32:*     | invalid --feature 'x:raw-float32:*': a raw-<type> feature needs a fixed SHAPE (the elements per record), got '*'",
  })
  void rejectsMalformedImageAndRawSpecs(String spec, String message) {
    assertEquals(message, assertThrows(IllegalArgumentException.class, () -> FeatureSpec.parse(spec)).getMessage());
  }
}

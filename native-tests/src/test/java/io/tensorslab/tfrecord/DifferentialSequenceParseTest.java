package io.tensorslab.tfrecord;

import static io.tensorslab.testutil.WireEncoding.cat;
import static io.tensorslab.testutil.WireEncoding.delimited;
import static io.tensorslab.testutil.WireEncoding.list;
import static io.tensorslab.testutil.WireEncoding.packed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.io.ParseSequenceExample;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;
import org.tensorflow.types.family.TNumber;
import org.tensorflow.types.family.TType;

/**
 * The native {@code SequenceExample} reader ({@link SequenceExampleView} + {@link SequenceSelection})
 * against TensorFlow's {@code ParseSequenceExampleV2} (what {@code tf.io.parse_sequence_example}
 * runs), record by record: the same values, steps and step lengths, or both fail. Inputs come from
 * {@link SequenceExampleGenerator} (seeded; valid, odd and mutated records) under two
 * configurations of context features (fixed: {@code FixedLenFeature}; {@code *}:
 * {@code RaggedFeature}) and feature lists ({@code *}: {@code RaggedFeature}; fixed:
 * {@code FixedLenSequenceFeature(allow_missing=True)}).
 *
 * <p>CI runs {@link #seededInputsAgreeWithTensorFlow}; the {@code long} run ({@code -Dgroups=long
 * -DexcludedGroups=}) takes many more.
 */
class DifferentialSequenceParseTest {

  /** Context features, then feature lists: each input is parsed under one configuration, round robin. */
  private static final List<List<List<FeatureSpec>>> CONFIGS = List.of(
      List.of(FeatureSpec.parseAll(List.of("c:float32:2", "d:int64:*", "e:bytes:*")),
          FeatureSpec.parseAll(List.of("x:float32:*", "y:int64:*", "s:bytes:*", "z:float32:2"))),
      List.of(FeatureSpec.parseAll(List.of("x:int64:", "s:bytes:1")),
          FeatureSpec.parseAll(List.of("y:bytes:*", "z:int64:3", "c:float32:*", "d:int64:"))));

  @Test
  void seededInputsAgreeWithTensorFlow() {
    ParseOutcome.Summary s = run(20261206L, 5_000);
    System.out.println("DifferentialSequenceParseTest CI run: " + s);
    assertTrue(s.parsed() > 300 && s.failed() > 300, "both outcomes must be exercised: " + s);
  }

  @Tag("long")
  @Test
  void manySeededInputsAgreeWithTensorFlow() {
    ParseOutcome.Summary s = run(11L, 100_000);
    System.out.println("DifferentialSequenceParseTest long run: " + s);
  }

  /**
   * TensorFlow reads a step's next list where the previous read stopped, not at the end of the step's
   * {@code Feature}: what follows the first packed chunk becomes further steps — and a malformed rest
   * fails the record.
   */
  @Test
  void tensorFlowReadsTheNextStepWhereAStepsListEnded() {
    try (Harness h = new Harness(CONFIGS.get(0))) {
      // y:int64:* as the only feature list; one step whose list is packed [1, 2] and then a whole Feature.
      byte[] nextStep = delimited(1, list(3, packed(7)));
      byte[] step = cat(list(3, cat(packed(1, 2))), nextStep);
      byte[] ok = sequence(entry("y", delimited(1, step)));
      ParseOutcome tf = h.tensorFlow(ok);
      assertEquals(tf, nativeOutcome(ok, h.selection));
      assertFalse(tf.failed());
      assertEquals("[1, 2, 7]", Arrays.toString((long[]) tf.values().get(3 + 2 * 1)));
      assertEquals("[0, 2, 3]", Arrays.toString((long[]) tf.values().get(3 + 2 * 1 + 1)), "two steps, not one");
      byte[] bad = sequence(entry("y", delimited(1, cat(list(3, packed(1, 2)), list(3, packed(5))))));
      ParseOutcome tfBad = h.tensorFlow(bad);
      assertTrue(tfBad.failed());
      assertEquals(tfBad, nativeOutcome(bad, h.selection));
    }
  }

  private static byte[] entry(String name, byte[] featureList) {
    return ExampleGenerator.mapEntry(name, featureList);
  }

  /** A SequenceExample of feature-list entries only (no context: the fixed context features are then missing, so the test asks for none). */
  private static byte[] sequence(byte[]... listEntries) {
    java.io.ByteArrayOutputStream lists = new java.io.ByteArrayOutputStream();
    for (byte[] e : listEntries) {
      delimited(lists, 1, e);
    }
    // The first configuration's fixed context feature c:float32:2, present so that only the lists decide.
    byte[] context = delimited(1, ExampleGenerator.mapEntry("c", list(2, delimited(1, new byte[8]))));
    return cat(delimited(1, context), delimited(2, lists.toByteArray()));
  }

  private static ParseOutcome.Summary run(long seed, int inputs) {
    SequenceExampleGenerator gen = new SequenceExampleGenerator(seed);
    List<Harness> harnesses = new ArrayList<>();
    try {
      List<ParseOutcome.Contender> contenders = new ArrayList<>();
      for (List<List<FeatureSpec>> c : CONFIGS) {
        Harness h = new Harness(c);
        harnesses.add(h);
        contenders.add(new ParseOutcome.Contender(c.toString(), () -> gen.next(h.context, h.lists),
            DifferentialSequenceParseTest::claimsHugeLength, h::tensorFlow, r -> nativeOutcome(r, h.selection)));
      }
      return ParseOutcome.compare("seed " + seed, contenders, inputs);
    } finally {
      harnesses.forEach(Harness::close);
    }
  }

  /**
   * True when some byte {@code 0x0a} (a bytes value's tag, among others) is followed by a varint of
   * 1 MiB or more: TensorFlow's {@code ParseBytesFeature} resizes its string to the claimed length
   * before it reads (a mutated length can claim gigabytes); both readers refuse such a record.
   * Conservative: any such pair anywhere counts.
   */
  static boolean claimsHugeLength(byte[] record) {
    MemorySegment s = MemorySegment.ofArray(record);
    WireInput in = new WireInput();
    for (int i = 0; i + 1 < record.length; i++) {
      if (record[i] == 0x0a) {
        in.reset(s, i + 1, record.length);
        long n = in.readVarint32();
        if (n != WireInput.FAILED && n >= (1 << 20)) {
          return true;
        }
      }
    }
    return false;
  }

  /** The native reader's outcome: per context feature its values, per feature list its values and step ends. */
  static ParseOutcome nativeOutcome(byte[] record, SequenceSelection selection) {
    SequenceExampleView view = new SequenceExampleView();
    try {
      view.parse(MemorySegment.ofArray(record));
      selection.read(view);
    } catch (MalformedExampleException e) {
      return ParseOutcome.FAILED;
    }
    List<Object> out = new ArrayList<>();
    for (int i = 0; i < selection.context().size(); i++) {
      out.add(valuesOf(selection.context(i)));
    }
    for (int i = 0; i < selection.featureLists().size(); i++) {
      SequenceValues v = selection.featureList(i);
      out.add(valuesOf(v));
      long[] ends = new long[v.steps() + 1];
      for (int s = 0; s < v.steps(); s++) {
        ends[s + 1] = v.stepEnd(s);
      }
      out.add(ends);
    }
    return new ParseOutcome(out);
  }

  private static Object valuesOf(SequenceValues v) {
    int n = v.count();
    return switch (v.kind()) {
      case FLOAT_LIST -> {
        int[] bits = new int[n];
        for (int j = 0; j < n; j++) {
          bits[j] = v.floatBitsAt(j);
        }
        yield bits;
      }
      case INT64_LIST -> {
        long[] a = new long[n];
        for (int j = 0; j < n; j++) {
          a[j] = v.longAt(j);
        }
        yield a;
      }
      case BYTES_LIST -> {
        List<String> b = new ArrayList<>();
        for (int j = 0; j < n; j++) {
          b.add(HexFormat.of().formatHex(v.bytesAt(j).toArray(ValueLayout.JAVA_BYTE)));
        }
        yield b;
      }
      case NONE -> throw new AssertionError();
    };
  }

  /**
   * One graph with {@code ParseSequenceExampleV2} configured as {@code tf.io.parse_sequence_example}
   * configures it for these features, fed one record (a batch of one) per run.
   */
  static final class Harness implements AutoCloseable {
    final List<FeatureSpec> context;
    final List<FeatureSpec> lists;
    final SequenceSelection selection;
    private final Graph graph = new Graph();
    private final Session session = new Session(graph);
    private final Placeholder<TString> serialized;
    /** Per context feature its values; per feature list its values and then its inner splits or lengths. */
    private final List<Operand<?>> outputs = new ArrayList<>();

    Harness(List<List<FeatureSpec>> config) {
      this.context = config.get(0);
      this.lists = config.get(1);
      this.selection = SequenceSelection.of(context, lists);
      Ops tf = Ops.create(graph);
      serialized = tf.placeholder(TString.class, Placeholder.shape(Shape.of(-1)));
      List<String> contextDense = new ArrayList<>();
      List<Operand<?>> contextDefaults = new ArrayList<>();
      List<Shape> contextShapes = new ArrayList<>();
      List<String> contextRagged = new ArrayList<>();
      List<Class<? extends TType>> contextRaggedTypes = new ArrayList<>();
      List<Class<? extends TNumber>> contextSplitTypes = new ArrayList<>();
      for (FeatureSpec f : context) {
        if (f.variableLength()) {
          contextRagged.add(f.name());
          contextRaggedTypes.add(ParseOutcome.typeOf(f));
          contextSplitTypes.add(TInt64.class);
        } else {
          contextDense.add(f.name());
          contextDefaults.add(switch (f.dtype()) { // empty: the feature is required
            case FLOAT32 -> tf.constant(new float[0]);
            case INT64 -> tf.constant(new long[0]);
            case BYTES -> ParseOutcome.strings(tf);
          });
          contextShapes.add(shape(f));
        }
      }
      List<String> listDense = new ArrayList<>();
      List<Class<? extends TType>> listDenseTypes = new ArrayList<>();
      List<Shape> listShapes = new ArrayList<>();
      List<String> listRagged = new ArrayList<>();
      List<Class<? extends TType>> listRaggedTypes = new ArrayList<>();
      List<Class<? extends TNumber>> listSplitTypes = new ArrayList<>();
      for (FeatureSpec f : lists) {
        if (f.variableLength()) {
          listRagged.add(f.name());
          listRaggedTypes.add(ParseOutcome.typeOf(f));
          listSplitTypes.add(TInt64.class);
        } else {
          listDense.add(f.name());
          listDenseTypes.add(ParseOutcome.typeOf(f));
          listShapes.add(shape(f));
        }
      }
      boolean[] missingAssumedEmpty = new boolean[listDense.size()];
      Arrays.fill(missingAssumedEmpty, true);
      ParseSequenceExample p = ParseSequenceExample.create(tf.scope(), serialized, ParseOutcome.strings(tf),
          ParseOutcome.strings(tf), strings(tf, contextDense), strings(tf, contextRagged),
          ParseOutcome.strings(tf), strings(tf, listDense), strings(tf, listRagged),
          tf.constant(missingAssumedEmpty), contextDefaults,
          List.of(), contextRaggedTypes, contextSplitTypes, listDenseTypes, List.of(), listRaggedTypes, listSplitTypes,
          ParseSequenceExample.contextDenseShapes(contextShapes), ParseSequenceExample.NfeatureListDense(
              (long) listDense.size()), ParseSequenceExample.featureListDenseShapes(listShapes));
      int dense = 0;
      int ragged = 0;
      for (FeatureSpec f : context) {
        outputs.add(f.variableLength() ? p.contextRaggedValues().get(ragged++) : p.contextDenseValues().get(dense++));
      }
      dense = 0;
      ragged = 0;
      for (FeatureSpec f : lists) {
        if (f.variableLength()) {
          outputs.add(p.featureListRaggedValues().get(ragged));
          outputs.add(p.featureListRaggedInnerSplits().get(ragged++));
        } else {
          outputs.add(p.featureListDenseValues().get(dense));
          outputs.add(p.featureListDenseLengths().get(dense++));
        }
      }
    }

    private static Shape shape(FeatureSpec f) {
      return Shape.of(f.shape().stream().mapToLong(Long::longValue).toArray());
    }

    private static Operand<TString> strings(Ops tf, List<String> values) {
      return ParseOutcome.strings(tf, values.toArray(String[]::new));
    }

    ParseOutcome tensorFlow(byte[] record) {
      try (TString t = ParseOutcome.batchOfOne(record)) {
        Session.Runner runner = session.runner().feed(serialized, t);
        outputs.forEach(runner::fetch);
        try (Result r = runner.run()) {
          List<Object> out = new ArrayList<>();
          int k = 0;
          for (int i = 0; i < context.size(); i++) {
            out.add(ParseOutcome.valuesOf(r.get(k++)));
          }
          for (FeatureSpec f : lists) {
            Object values = ParseOutcome.valuesOf(r.get(k++));
            long[] second = (long[]) ParseOutcome.valuesOf(r.get(k++));
            if (f.variableLength()) {
              out.add(values);
              out.add(second); // inner splits: step ends, from 0
            } else {
              // Dense [1, steps, *shape] and its length: the steps' values and their ends.
              long steps = second[0];
              long size = f.valuesPerRecord();
              out.add(firstValues(values, steps * size));
              long[] ends = new long[(int) steps + 1];
              for (int s = 1; s <= steps; s++) {
                ends[s] = s * size;
              }
              out.add(ends);
            }
          }
          return new ParseOutcome(out);
        }
      } catch (IllegalArgumentException | org.tensorflow.exceptions.TensorFlowException e) {
        return ParseOutcome.FAILED;
      }
    }

    private static Object firstValues(Object values, long n) {
      return switch (values) {
        case int[] a -> Arrays.copyOf(a, (int) n);
        case long[] a -> Arrays.copyOf(a, (int) n);
        case List<?> l -> new ArrayList<>(l.subList(0, (int) n));
        default -> throw new AssertionError(values);
      };
    }

    @Override
    public void close() {
      session.close();
      graph.close();
    }
  }
}

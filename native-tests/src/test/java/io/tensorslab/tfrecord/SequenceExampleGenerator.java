package io.tensorslab.tfrecord;

import static io.tensorslab.testutil.WireEncoding.delimited;
import static io.tensorslab.testutil.WireEncoding.tag;
import static io.tensorslab.testutil.WireEncoding.varint;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Seeded {@code tf.train.SequenceExample} inputs for {@link DifferentialSequenceParseTest}: mostly
 * holding the requested context features and feature lists (right kind; right count for a fixed
 * one), with steps of every encoding {@link ExampleGenerator} makes, empty steps (0 bytes, or the
 * kind's empty list), empty and missing lists, entries of other names, unknown top-level fields,
 * both maps split or in either order; a third of them mutated (byte replaced, bit flipped, byte
 * inserted or deleted, truncation).
 */
final class SequenceExampleGenerator {

  private final Random rnd;
  private final ExampleGenerator features;

  SequenceExampleGenerator(long seed) {
    rnd = new Random(seed);
    features = new ExampleGenerator(seed * 31 + 7);
  }

  byte[] next(List<FeatureSpec> context, List<FeatureSpec> featureLists) {
    byte[] record = sequenceExample(context, featureLists);
    if (rnd.nextInt(3) == 0) {
      int n = 1 + rnd.nextInt(3);
      for (int i = 0; i < n && record.length > 0; i++) {
        record = features.mutate(record);
      }
    }
    return record;
  }

  private byte[] sequenceExample(List<FeatureSpec> context, List<FeatureSpec> featureLists) {
    List<byte[]> contextEntries = new ArrayList<>();
    for (FeatureSpec f : context) {
      if (rnd.nextInt(12) != 0) {
        contextEntries.add(ExampleGenerator.mapEntry(f.name(), features.wantedFeature(f)));
      }
    }
    for (int i = rnd.nextInt(4) / 2; i > 0; i--) {
      contextEntries.add(features.entry());
    }
    List<byte[]> listEntries = new ArrayList<>();
    for (FeatureSpec f : featureLists) {
      if (rnd.nextInt(10) != 0) {
        listEntries.add(ExampleGenerator.mapEntry(f.name(), featureList(f)));
      }
    }
    for (int i = rnd.nextInt(3); i > 0; i--) {
      listEntries.add(ExampleGenerator.mapEntry(ExampleGenerator.NAMES[rnd.nextInt(ExampleGenerator.NAMES.length)],
          randomFeatureList()));
    }
    Collections.shuffle(contextEntries, rnd);
    Collections.shuffle(listEntries, rnd);
    ByteArrayOutputStream record = new ByteArrayOutputStream();
    boolean listsFirst = rnd.nextInt(4) == 0;
    if (listsFirst) {
      map(record, 2, listEntries);
    }
    features.unknownMaybe(record);
    map(record, 1, contextEntries);
    features.unknownMaybe(record);
    if (!listsFirst) {
      map(record, 2, listEntries);
    }
    return record.toByteArray();
  }

  /** The entries as one map field, sometimes split in two, sometimes with a length past the record's end. */
  private void map(ByteArrayOutputStream record, int field, List<byte[]> entries) {
    ByteArrayOutputStream map = new ByteArrayOutputStream();
    for (byte[] e : entries) {
      delimited(map, 1, e);
      if (rnd.nextInt(12) == 0) {
        delimited(record, field, map.toByteArray());
        map.reset();
      }
    }
    byte[] m = map.toByteArray();
    if (rnd.nextInt(15) == 0) {
      tag(record, field, 2);
      varint(record, m.length + 1 + rnd.nextInt(40));
      record.writeBytes(m);
    } else if (m.length > 0 || rnd.nextBoolean()) {
      delimited(record, field, m);
    }
  }

  /** A {@code FeatureList} of {@code f}: 0-4 steps, mostly of its kind and count, some empty or foreign. */
  private byte[] featureList(FeatureSpec f) {
    ByteArrayOutputStream list = new ByteArrayOutputStream();
    int kindTag = switch (f.dtype()) {
      case BYTES -> 0x0a;
      case FLOAT32 -> 0x12;
      case INT64 -> 0x1a;
    };
    for (int s = rnd.nextInt(5); s > 0; s--) {
      // Steps that fail a fixed list (empty, foreign, a list after the list) are rarer there.
      byte[] step = switch (rnd.nextInt(f.variableLength() ? 14 : 60)) {
        case 0 -> new byte[0];
        case 1 -> new byte[] {(byte) kindTag, 0};
        case 2 -> features.feature();
        case 3 -> features.wantedFeature(f, true);
        default -> features.wantedFeature(f, false);
      };
      delimited(list, 1, step);
    }
    return list.toByteArray();
  }

  private byte[] randomFeatureList() {
    ByteArrayOutputStream list = new ByteArrayOutputStream();
    for (int s = rnd.nextInt(3); s > 0; s--) {
      delimited(list, 1, features.feature());
    }
    return list.toByteArray();
  }
}

package io.tensorslab.tf;

import io.tensorslab.tfrecord.ExampleView;
import io.tensorslab.tfrecord.FeatureSelection;
import io.tensorslab.tfrecord.FeatureSpec;
import io.tensorslab.tfrecord.ImageHeader;
import io.tensorslab.tfrecord.MalformedExampleException;
import io.tensorslab.tfrecord.TfRecordException;
import io.tensorslab.tfrecord.TfRecordReader;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.tensorflow.EagerSession;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.op.Ops;
import org.tensorflow.op.image.DecodeImage;
import org.tensorflow.types.TString;
import org.tensorflow.types.TUint8;

/**
 * Turns a TensorFlow failure while iterating a {@link TfRecordBatches} into one
 * {@link TfRecordException} that names the file, record, feature and problem.
 *
 * <p>TensorFlow (1.1.0 / TF 2.x kernels) names far less than that:
 * <ul>
 *   <li>parse errors come from {@code ParseExampleV2} inside the map function and name at most the
 *       feature and the example's index <em>within the batch</em> ("Key: x, Index: 1. Number of
 *       float values != expected"); a missing required feature has no index at all ("Feature: y
 *       (data type: int64) is required but could not be found"), a record that is not an
 *       {@code Example} not even the feature ("Could not parse example input");
 *   <li>reader errors name a byte offset in the uncompressed stream but no file ("corrupted record
 *       at 355", "truncated record at 441' failed with Read less bytes than requested",
 *       "inflate() failed with error -3: incorrect header check").
 * </ul>
 * So the batch index, which only the iterating code knows, is the key: the records of that batch
 * are re-read in Java ({@link TfRecordReader}) and parsed by the native Example reader, which
 * follows {@code ParseExample}'s rules exactly ({@link FeatureSelection}), and a reader error is located by walking the files' framing in
 * order with every CRC checked — TensorFlow reads them in the same order and stops at the first
 * bad record. Only the failure path pays for this.
 *
 * {@snippet :
 * try {
 *   comps = tf.data.iteratorGetNext(iterator, b.outputTypes(), b.outputShapes()).components();
 * } catch (TFOutOfRangeException end) {
 *   TfRecordErrors.checkComplete(b);      // TensorFlow takes a cut record header for a clean end
 *   break;
 * } catch (TensorFlowException | IllegalArgumentException e) {
 *   throw TfRecordErrors.explain(e, b, batchIndex);
 * }
 * }
 *
 * <p>Catch both: a parse error arrives as {@code TFInvalidArgumentException}, which extends
 * {@code IllegalArgumentException}, not {@code TensorFlowException} — a command that maps
 * {@code IllegalArgumentException} to "usage error, exit 2" must explain it first.
 */
public final class TfRecordErrors {

  private static final Pattern KEY_INDEX = Pattern.compile("Key: (.*?), Index: (\\d+)\\.");
  private static final Pattern REQUIRED = Pattern.compile("Feature: (.*?) \\(data type: \\w+\\) is required");
  private static final Pattern MAP_PREFIX = Pattern.compile("^Error in user-defined function passed to .*? transformation with iterator: [\\w:]+: ");

  private TfRecordErrors() {}

  /**
   * Explains {@code tfError}, thrown by {@code IteratorGetNext} for batch {@code batchIndex}
   * (0-based) of {@code batches}. Never throws; what cannot be pinned down is left out of the
   * message, and TensorFlow's own words are kept in it and as the cause.
   */
  public static TfRecordException explain(RuntimeException tfError, TfRecordBatches batches, long batchIndex) {
    String tfText = shortMessage(tfError);
    boolean parseError = tfError.getMessage() != null && tfError.getMessage().contains("ParseExample");
    try {
      if (!parseError && batches.features().stream().anyMatch(FeatureSpec::isImage)) {
        TfRecordException found = diagnoseImages(batches, batchIndex, tfError);
        if (found != null) {
          return found;
        }
      }
      if (parseError) {
        TfRecordException found = diagnoseBatch(batches, batchIndex, tfText, tfError);
        if (found != null) {
          return found;
        }
        return new TfRecordException("a record does not match the features (TensorFlow: " + tfText + ")",
            null, -1, featureIn(tfText), batchIndex, tfError);
      }
      TfRecordException found = firstFramingProblem(batches, true);
      if (found != null) {
        return new TfRecordException(found.problem(), found.path(), found.record(), null, batchIndex, tfError);
      }
    } catch (IOException e) {
      tfError.addSuppressed(e);
    }
    return new TfRecordException(tfText, null, -1, featureIn(tfText), batchIndex, tfError);
  }

  /**
   * Walks every file's framing (no CRCs, so a plain file costs one seek per record) and fails on a
   * file that ends inside a record. Call it when iteration ended cleanly: TensorFlow's reader takes
   * a file cut inside a record's 12-byte header for a normal end and drops that record.
   */
  public static void checkComplete(TfRecordBatches batches) throws TfRecordException {
    TfRecordException found;
    try {
      found = firstFramingProblem(batches, false);
    } catch (IOException e) {
      throw new TfRecordException("cannot re-read input: " + e.getMessage(), null, -1, null, -1, e);
    }
    if (found != null) {
      throw found;
    }
  }

  private static TfRecordException firstFramingProblem(TfRecordBatches b, boolean checkCrc) throws IOException {
    for (Path p : b.files()) {
      try (TfRecordReader r = TfRecordReader.open(p, b.compression()).checkCrc(checkCrc)) {
        while (r.next()) {
          // walk to the end or the first problem
        }
      } catch (TfRecordException e) {
        return e;
      } catch (NoSuchFileException e) {
        return new TfRecordException("input file no longer exists", p, -1, null, -1, e);
      } catch (AccessDeniedException e) {
        return new TfRecordException("input file is no longer readable", p, -1, null, -1, e);
      }
    }
    return null;
  }

  /** Re-reads the records of batch {@code batchIndex} and returns the first that breaks a spec, or null. */
  private static TfRecordException diagnoseBatch(TfRecordBatches b, long batchIndex, String tfText, RuntimeException cause)
      throws IOException {
    long first = Math.multiplyExact(batchIndex, b.batchSize());
    long end = first + b.batchSize();
    long hint = -1;
    Matcher m = KEY_INDEX.matcher(tfText);
    if (m.find()) {
      hint = first + Long.parseLong(m.group(2));
    }
    long row = 0;
    TfRecordException firstFound = null;
    ExampleView example = new ExampleView();
    FeatureSelection selection = FeatureSelection.of(b.features());
    for (Path p : b.files()) {
      try (TfRecordReader r = TfRecordReader.open(p, b.compression())) {
        while (row < end) {
          r.checkCrc(row >= first); // records before the batch are only stepped over
          if (!r.next()) {
            break;
          }
          if (row < first) {
            row++;
            continue;
          }
          MalformedExampleException problem = check(r, example, selection);
          if (problem != null) {
            TfRecordException e = new TfRecordException(problem.problem(), p, r.recordIndex(), problem.feature(),
                batchIndex, cause);
            if (hint < 0 || row == hint) {
              return e;
            }
            if (firstFound == null) {
              firstFound = e;
            }
          }
          row++;
        }
      } catch (TfRecordException e) {
        return new TfRecordException(e.problem(), e.path(), e.record(), null, batchIndex, cause);
      }
      if (row >= end) {
        break;
      }
    }
    return firstFound;
  }

  /**
   * Decodes every image of batch {@code batchIndex} again, one by one, with TensorFlow's own
   * {@code DecodeImage} in a fresh eager session, and returns the first that fails or has another
   * size than its fixed {@code image:H,W,C}; null when all decode. Only the failure path pays for this.
   */
  private static TfRecordException diagnoseImages(TfRecordBatches b, long batchIndex, RuntimeException cause)
      throws IOException {
    List<FeatureSpec> images = b.features().stream().filter(FeatureSpec::isImage).toList();
    long first = Math.multiplyExact(batchIndex, b.batchSize());
    long end = first + b.batchSize();
    long row = 0;
    ExampleView example = new ExampleView();
    FeatureSelection selection = FeatureSelection.of(images);
    try (EagerSession session = EagerSession.create()) {
      Ops tf = Ops.create(session);
      for (Path p : b.files()) {
        try (TfRecordReader r = TfRecordReader.open(p, b.compression())) {
          while (row < end) {
            r.checkCrc(row >= first);
            if (!r.next()) {
              break;
            }
            if (row++ < first || check(r, example, selection) != null) {
              continue; // before the batch, or a parse problem (diagnosed as such elsewhere)
            }
            for (int i = 0; i < images.size(); i++) {
              FeatureSpec f = images.get(i);
              String problem = decodeProblem(tf, f, selection.values(i).bytesAt(0).toArray(ValueLayout.JAVA_BYTE));
              if (problem != null) {
                return new TfRecordException(problem, p, r.recordIndex(), f.name(), batchIndex, cause);
              }
            }
          }
        } catch (TfRecordException e) {
          return new TfRecordException(e.problem(), e.path(), e.record(), null, batchIndex, cause);
        }
        if (row >= end) {
          break;
        }
      }
    }
    return null;
  }

  /** Why {@code DecodeImage} refuses these bytes for {@code f}, or null when it decodes them to a fitting shape. */
  private static String decodeProblem(Ops tf, FeatureSpec f, byte[] bytes) {
    try (TString t = TString.tensorOfBytes(NdArrays.scalarOfObject(bytes))) {
      var image = tf.image.decodeImage(tf.constant(t), TUint8.class, DecodeImage.channels(f.shape().get(2)),
          DecodeImage.expandAnimations(false));
      long[] shape = image.shape().asArray();
      if (!f.imageSizeVaries() && (shape[0] != f.shape().get(0) || shape[1] != f.shape().get(1))) {
        return "feature '" + f.name() + "' decodes to a " + shape[0] + "x" + shape[1] + " image, expected "
            + f.shape().get(0) + "x" + f.shape().get(1);
      }
      return null;
    } catch (RuntimeException e) {
      ImageHeader h = ImageHeader.sniff(bytes);
      return "feature '" + f.name() + "' is a corrupt or truncated " + (h == null ? "image" : h.format().displayName()
          + " image") + " (" + bytes.length + " bytes; TensorFlow: " + shortMessage(e) + ")";
    }
  }

  /** Why ParseExample refuses the record {@code r} just read, or null. */
  private static MalformedExampleException check(TfRecordReader r, ExampleView example, FeatureSelection selection) {
    try {
      example.parse(r.record());
      selection.read(example);
      return null;
    } catch (MalformedExampleException e) {
      return e;
    }
  }

  /** TensorFlow's message without the map-function preamble and the node suffix. */
  static String shortMessage(RuntimeException e) {
    String s = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    int node = s.indexOf("\n\t [[");
    if (node >= 0) {
      s = s.substring(0, node);
    }
    s = MAP_PREFIX.matcher(s.strip()).replaceFirst("");
    return s.replaceAll("\\s+", " ").strip();
  }

  private static String featureIn(String tfText) {
    Matcher m = KEY_INDEX.matcher(tfText);
    if (m.find()) {
      return m.group(1);
    }
    m = REQUIRED.matcher(tfText);
    return m.find() ? m.group(1) : null;
  }
}

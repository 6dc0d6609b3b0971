package io.tensorslab.tfrecord;

import java.util.Locale;

/**
 * How a TFRecord file is stored: the whole framed stream plain, GZIP or ZLIB (TensorFlow compresses
 * the stream, not each record).
 */
public enum TfRecordCompression {
  NONE(""),
  GZIP("GZIP"),
  ZLIB("ZLIB");

  private final String tfName;

  TfRecordCompression(String tfName) {
    this.tfName = tfName;
  }

  /** The {@code compression_type} string TensorFlow's {@code TFRecordDataset} expects. */
  public String tfName() {
    return tfName;
  }

  /** The command-line name: {@code none}, {@code gzip}, {@code zlib}. */
  public String cliName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Parses {@code --compression}: {@code none}, {@code gzip} or {@code zlib}, exactly.
   *
   * @throws IllegalArgumentException naming the value and the accepted ones
   */
  public static TfRecordCompression parse(String text) {
    for (TfRecordCompression c : values()) {
      if (c.cliName().equals(text)) {
        return c;
      }
    }
    throw new IllegalArgumentException("invalid --compression '" + text + "': expected none, gzip or zlib");
  }
}

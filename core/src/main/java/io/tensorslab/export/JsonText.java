package io.tensorslab.export;

import io.tensorslab.store.zarr.ZarrJson;

/** JSON text for the small, fixed documents this library writes by hand ({@code manifest.json}, {@code inspect --json}). */
public final class JsonText {
  private JsonText() {}

  /**
   * {@code s} as a JSON string literal, quotes included, ASCII only (other characters as
   * {@code \\uXXXX}). One escaper for the manifest, {@code inspect --json} and the Zarr metadata,
   * which lives with the Zarr writer because the store layer may not depend on the export layer.
   */
  public static String quote(String s) {
    return ZarrJson.quote(s);
  }
}

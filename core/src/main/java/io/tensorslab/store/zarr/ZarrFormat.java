package io.tensorslab.store.zarr;

/** Which Zarr specification a store follows. */
public enum ZarrFormat {
  /** Zarr v2: {@code .zgroup}, {@code .zattrs}, {@code .zarray} per array, chunk keys {@code 0.0.0}. */
  V2,
  /** Zarr v3: {@code zarr.json} per node, chunk keys {@code c/0/0/0}, optional sharding. */
  V3;

  /** The name the command line uses: {@code zarr} or {@code zarr3}. */
  public String optionName() {
    return this == V2 ? "zarr" : "zarr3";
  }
}

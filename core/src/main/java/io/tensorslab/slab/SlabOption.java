package io.tensorslab.slab;

/** How a {@link FileSlab} treats its destination. */
public enum SlabOption {
  /** Replace a file already at the final path (atomically, at seal). Without it, an existing file is an error. */
  OVERWRITE,
  /**
   * Skip {@code msync}/{@code fsync} at seal. The file is still complete and atomically renamed, and survives
   * the process being killed (the page cache holds it); only a power loss before writeback can lose it.
   */
  NO_FORCE
}

package io.tensorslab.store;

/**
 * How many rows a {@link RowStore} is made for.
 *
 * <ul>
 *   <li>{@link #exact(long)}: the total is known up front (cardinality times batch size, a row count
 *       from a pre-scan); the store preallocates exactly that and refuses rows past it. Any thread may
 *       then write any rows with no growth ever.
 *   <li>{@link #growable(long)}: the total is unknown; the store preallocates {@code rows} and grows
 *       (at least doubling) when asked for rows past its capacity. Growth is serialized against
 *       other growth inside the store; windows already lent stay valid.
 * </ul>
 *
 * @param rows rows preallocated, {@code >= 0}
 * @param growable whether rows past {@code rows} may be asked for
 */
public record StoreCapacity(long rows, boolean growable) {

  public StoreCapacity {
    if (rows < 0) {
      throw new IllegalArgumentException("capacity rows must be >= 0, got " + rows);
    }
  }

  public static StoreCapacity exact(long rows) {
    return new StoreCapacity(rows, false);
  }

  public static StoreCapacity growable(long initialRows) {
    return new StoreCapacity(initialRows, true);
  }
}

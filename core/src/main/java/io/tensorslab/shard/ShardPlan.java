package io.tensorslab.shard;

import io.tensorslab.store.zarr.ZarrJson;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * How {@code rows} global rows are split between {@code shards} workers: into whole chunks of
 * {@code chunkRows} rows (the last chunk may be short), worker {@code I} taking a contiguous run of
 * chunks {@code [I*C/N, (I+1)*C/N)} for {@code C} chunks. No two workers touch one chunk, and the
 * runs differ in length by at most one chunk.
 *
 * <p>Pure arithmetic on three numbers every worker knows from the inputs alone (the row count
 * comes from a framing scan of the inputs): each computes the same plan, no coordinator.
 *
 * {@snippet :
 * ShardPlan plan = new ShardPlan(1_000_000, 65_536, 4);
 * ShardPlan.Range mine = plan.range(2);      // rows [mine.firstRow(), mine.endRow())
 * }
 */
public record ShardPlan(long rows, long chunkRows, int shards) {

  public ShardPlan {
    if (rows < 0) {
      throw new IllegalArgumentException("rows must be >= 0, got " + rows);
    }
    if (chunkRows < 1) {
      throw new IllegalArgumentException("chunk rows must be >= 1, got " + chunkRows);
    }
    if (shards < 1 || shards > Shard.MAX_COUNT) {
      throw new IllegalArgumentException("shards must be 1.." + Shard.MAX_COUNT + ", got " + shards);
    }
  }

  /** One worker's share: chunks {@code [firstChunk, endChunk)}, rows {@code [firstRow, endRow)}. */
  public record Range(int shard, long firstChunk, long endChunk, long firstRow, long endRow) {
    /** Rows in this share; 0 when there are more workers than chunks. */
    public long rowCount() {
      return endRow - firstRow;
    }

    /** Chunks in this share. */
    public long chunkCount() {
      return endChunk - firstChunk;
    }
  }

  /** One input as the plan records it: its path as given, size in bytes and records read (after the limit). */
  public record Input(java.nio.file.Path path, long bytes, long records) {}

  /** Chunks of the whole array: {@code ceil(rows / chunkRows)}. */
  public long chunks() {
    return rows / chunkRows + (rows % chunkRows == 0 ? 0 : 1);
  }

  /** The share of worker {@code shard} (0-based). */
  public Range range(int shard) {
    if (shard < 0 || shard >= shards) {
      throw new IllegalArgumentException("shard index must be 0.." + (shards - 1) + ", got " + shard);
    }
    long firstChunk = chunkBoundary(shard);
    long endChunk = chunkBoundary(shard + 1);
    return new Range(shard, firstChunk, endChunk, Math.min(rows, firstChunk * chunkRows),
        Math.min(rows, endChunk * chunkRows));
  }

  /** The share of {@code shard}, which must belong to this plan's worker count. */
  public Range range(Shard shard) {
    if (shard.count() != shards) {
      throw new IllegalArgumentException("shard " + shard + " does not belong to a plan of " + shards + " shards");
    }
    return range(shard.index());
  }

  /**
   * The plan as {@code plan.json} holds it ({@link ShardLedger}): the same bytes on every worker
   * given the same arguments, so that a worker given other ones is refused. {@code options} are the
   * arguments that shape the output (format, features, ...), one {@code "key": value} JSON member each.
   */
  public String toJson(List<Input> inputs, List<String> options) {
    long indexed = inputs.stream().mapToLong(Input::records).sum();
    if (indexed != rows) {
      throw new IllegalArgumentException("inputs hold " + indexed + " rows, plan " + rows);
    }
    StringBuilder sb = new StringBuilder(256 + 96 * inputs.size());
    sb.append("{\n  \"format\": \"tensorslab-shard-plan/1\",\n");
    sb.append("  \"shards\": ").append(shards).append(",\n");
    sb.append("  \"rows\": ").append(rows).append(",\n");
    sb.append("  \"chunk_rows\": ").append(chunkRows).append(",\n");
    sb.append("  \"chunks\": ").append(chunks()).append(",\n");
    for (String option : options) {
      sb.append("  ").append(option).append(",\n");
    }
    sb.append("  \"inputs\": [");
    for (int i = 0; i < inputs.size(); i++) {
      Input f = inputs.get(i);
      sb.append(i == 0 ? "\n" : ",\n").append("    {\"path\": ").append(quote(f.path().toString()))
          .append(", \"bytes\": ").append(f.bytes()).append(", \"records\": ").append(f.records()).append('}');
    }
    return sb.append("\n  ]\n}\n").toString();
  }

  /** A JSON string literal of {@code s} (the store's JSON writer, so that names read the same everywhere). */
  public static String quote(String s) {
    return new String(ZarrJson.bytes(s), StandardCharsets.UTF_8).stripTrailing();
  }

  /** floor(chunks * shard / shards), split so that no product overflows: (q*N + r) * I / N = q*I + r*I/N. */
  private long chunkBoundary(int shard) {
    long c = chunks();
    return (c / shards) * shard + (c % shards) * shard / shards;
  }
}

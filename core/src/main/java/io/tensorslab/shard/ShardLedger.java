package io.tensorslab.shard;

import io.tensorslab.slab.OutputFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The shared state of a store written by many workers, kept inside the store in
 * {@code .tensorslab/shards/}:
 *
 * <ul>
 *   <li>{@code plan.json} — what every worker agreed to write (shard count, rows, chunk rows,
 *       inputs, features). The first worker creates it atomically (a hard link to a finished
 *       temporary file, so it appears whole or not at all); every later worker computes the same
 *       bytes and compares. A worker whose plan differs (another {@code N}, other inputs) is refused
 *       before it writes anything.</li>
 *   <li>{@code I-of-N.done} — shard {@code I} wrote all its chunks (renamed into place after them).</li>
 *   <li>{@code complete} — the store's final metadata is written: written last of all.</li>
 * </ul>
 *
 * <p>No locks and no coordinator: a worker marks its shard done and then looks for the other
 * markers; of two workers finishing together at least one sees every marker and writes the final
 * metadata (the same bytes, whoever does it). Works on any filesystem with atomic rename and
 * close-to-open consistency (local disks, NFS, Lustre, GPFS). One instance per worker and thread.
 *
 * {@snippet :
 * ShardLedger ledger = ShardLedger.join(store, Shard.parse("1/4"), planJson);
 * // ... write the shard's chunks ...
 * ledger.markDone(range);
 * if (ledger.allDone()) { writeFinalMetadata(); ledger.markComplete(); }
 * }
 */
public final class ShardLedger {

  /** The ledger's directory, relative to the store. */
  public static final String DIRECTORY = ".tensorslab/shards";
  static final String PLAN_FILE = "plan.json";
  static final String COMPLETE_FILE = "complete";
  private static final String DONE_SUFFIX = ".done";
  private static final Pattern DONE_NAME = Pattern.compile("^(\\d+)-of-(\\d+)" + Pattern.quote(DONE_SUFFIX) + "$");
  private static final Pattern SHARDS_FIELD = Pattern.compile("\"shards\"\\s*:\\s*(\\d+)");

  private final Path store;
  private final Path dir;
  private final Shard shard;
  /** Force every ledger file, and the directory entry of its rename, to disk before it counts. */
  private final boolean durable;

  private ShardLedger(Path store, Shard shard, boolean durable) {
    this.store = store;
    this.dir = store.resolve(DIRECTORY);
    this.shard = shard;
    this.durable = durable;
  }

  /** {@link #join(Path, Shard, String, boolean)}, durable. */
  public static ShardLedger join(Path store, Shard shard, String planJson) throws IOException {
    return join(store, shard, planJson, true);
  }

  /**
   * Joins {@code store} as {@code shard}: creates the ledger with {@code planJson} or checks that
   * the ledger already there holds exactly {@code planJson}.
   *
   * @param planJson the plan's description; must contain {@code "shards": N} with N = the shard count
   * @param durable force each ledger file and its directory to disk before it is relied on: a
   *     {@code done} marker then means the shard's chunks (forced by their writers) are on disk
   * @throws IOException when the store was planned differently (another shard count, other
   *     inputs or options): nothing is written then
   */
  public static ShardLedger join(Path store, Shard shard, String planJson, boolean durable) throws IOException {
    Matcher m = SHARDS_FIELD.matcher(planJson);
    if (!m.find() || Long.parseLong(m.group(1)) != shard.count()) {
      throw new IllegalArgumentException("plan description must hold \"shards\": " + shard.count());
    }
    ShardLedger ledger = new ShardLedger(store, shard, durable);
    Files.createDirectories(ledger.dir);
    Path plan = ledger.dir.resolve(PLAN_FILE);
    byte[] mine = planJson.getBytes(StandardCharsets.UTF_8);
    if (!Files.exists(plan)) {
      publishExclusive(plan, mine, durable);
    }
    byte[] theirs = Files.readAllBytes(plan);
    String existing = new String(theirs, StandardCharsets.UTF_8);
    int theirCount = shardCount(existing, plan);
    if (theirCount != shard.count()) {
      throw new IOException("cannot write shard " + shard + ": the store is being written as " + theirCount
          + " shards, not " + shard.count() + "; run every worker with --shard I/" + theirCount
          + ", or write to a new store (path=" + store + ")");
    }
    if (!existing.equals(planJson)) {
      throw new IOException("cannot write shard " + shard + ": the store was planned from other inputs or options ("
          + firstDifference(existing, planJson) + "); give every worker the same arguments, or write to a new "
          + "store (path=" + plan + ")");
    }
    for (int other : ledger.markerCounts()) {
      if (other != shard.count()) {
        throw new IOException("cannot write shard " + shard + ": the store holds markers of " + other
            + " shards; write to a new store (path=" + ledger.dir + ")");
      }
    }
    return ledger;
  }

  /** The shard this ledger was joined as. */
  public Shard shard() {
    return shard;
  }

  /** True when {@code index}'s marker exists. */
  public boolean isDone(int index) {
    return Files.exists(dir.resolve(new Shard(index, shard.count()).fileTag() + DONE_SUFFIX));
  }

  /** Marks this worker's shard done; call only after all its chunk files are renamed into place. */
  public void markDone(ShardPlan.Range range) throws IOException {
    markDone(range, Map.of());
  }

  /**
   * Marks this worker's shard done, with counts worth keeping beside it (the values that precede
   * the end of its rows, per ragged feature: what a reader of the ledger can check a part against).
   */
  public void markDone(ShardPlan.Range range, Map<String, Long> counts) throws IOException {
    StringBuilder text = new StringBuilder("{\"shard\": \"").append(shard).append("\", \"chunks\": [")
        .append(range.firstChunk()).append(", ").append(range.endChunk()).append("], \"rows\": [")
        .append(range.firstRow()).append(", ").append(range.endRow()).append(']');
    if (!counts.isEmpty()) {
      text.append(", \"counts\": {");
      String sep = "";
      for (Map.Entry<String, Long> e : new TreeMap<>(counts).entrySet()) {
        text.append(sep).append(ShardPlan.quote(e.getKey())).append(": ").append(e.getValue());
        sep = ", ";
      }
      text.append('}');
    }
    text.append("}\n");
    publishReplacing(dir.resolve(shard.fileTag() + DONE_SUFFIX), text.toString().getBytes(StandardCharsets.UTF_8),
        durable);
  }

  /** True when every shard's marker exists. */
  public boolean allDone() throws IOException {
    return doneShards(dir, shard.count()).size() == shard.count();
  }

  /** Records that the store's final metadata is in place: written after it. */
  public void markComplete() throws IOException {
    publishReplacing(dir.resolve(COMPLETE_FILE), ("{\"shards\": " + shard.count() + "}\n")
        .getBytes(StandardCharsets.UTF_8), durable);
  }

  /** What {@code tensorslab status} shows: the plan's shard count, which shards are done, and whether the store is complete. */
  public record Status(Path store, int shards, List<Integer> done, boolean complete, String plan) {
    /** Shards without a marker, in order. */
    public List<Integer> missing() {
      List<Integer> missing = new ArrayList<>();
      for (int i = 0, j = 0; i < shards; i++) {
        if (j < done.size() && done.get(j) == i) {
          j++;
        } else {
          missing.add(i);
        }
      }
      return missing;
    }
  }

  /**
   * Reads the ledger of {@code store}.
   *
   * @throws IOException when {@code store} holds no ledger (not written with {@code --shard})
   */
  public static Status status(Path store) throws IOException {
    Path dir = store.resolve(DIRECTORY);
    Path plan = dir.resolve(PLAN_FILE);
    if (!Files.isRegularFile(plan)) {
      throw new IOException("no shard ledger in this directory: it was not written with convert --shard, or no "
          + "worker has started yet (path=" + plan + ")");
    }
    String text = Files.readString(plan, StandardCharsets.UTF_8);
    int shards = shardCount(text, plan);
    List<Integer> done = doneShards(dir, shards);
    return new Status(store, shards, done, Files.exists(dir.resolve(COMPLETE_FILE)), text);
  }

  private static List<Integer> doneShards(Path dir, int count) throws IOException {
    TreeSet<Integer> done = new TreeSet<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "*" + DONE_SUFFIX)) {
      for (Path p : entries) {
        Matcher m = DONE_NAME.matcher(p.getFileName().toString());
        if (m.matches() && Long.parseLong(m.group(2)) == count) {
          done.add(Integer.parseInt(m.group(1)));
        }
      }
    }
    return List.copyOf(done);
  }

  /** Shard counts named by the markers present. */
  private TreeSet<Integer> markerCounts() throws IOException {
    TreeSet<Integer> counts = new TreeSet<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "*" + DONE_SUFFIX)) {
      for (Path p : entries) {
        Matcher m = DONE_NAME.matcher(p.getFileName().toString());
        if (m.matches()) {
          counts.add(Integer.parseInt(m.group(2)));
        }
      }
    }
    return counts;
  }

  private static int shardCount(String planText, Path plan) throws IOException {
    Matcher m = SHARDS_FIELD.matcher(planText);
    if (!m.find()) {
      throw new IOException("shard ledger is damaged: no \"shards\" field; write to a new store (path=" + plan + ")");
    }
    return Integer.parseInt(m.group(1));
  }

  /** The first line where two plans differ, both sides shown. */
  private static String firstDifference(String existing, String mine) {
    String[] a = existing.split("\n");
    String[] b = mine.split("\n");
    for (int i = 0; i < Math.max(a.length, b.length); i++) {
      String x = i < a.length ? stripComma(a[i].strip()) : "";
      String y = i < b.length ? stripComma(b[i].strip()) : "";
      if (!x.equals(y)) {
        return "store has " + (x.isEmpty() ? "nothing" : x) + ", this worker has " + (y.isEmpty() ? "nothing" : y);
      }
    }
    return "they differ";
  }

  private static String stripComma(String line) {
    return line.endsWith(",") ? line.substring(0, line.length() - 1) : line;
  }

  /** Creates {@code target} whole or not at all; when another worker created it first, leaves theirs. */
  private static void publishExclusive(Path target, byte[] bytes, boolean durable) throws IOException {
    Path tmp = OutputFiles.writeTemporary(target, bytes, durable);
    try {
      Files.createLink(target, tmp);
    } catch (FileAlreadyExistsException e) {
      // another worker was first: the caller compares
    } catch (UnsupportedOperationException | IOException e) {
      if (Files.exists(target)) {
        // FileAlreadyExistsException is not always what a link onto an existing name throws
      } else {
        // No hard links here (some object-store mounts): a rename is atomic too, only not exclusive;
        // the caller's comparison still catches two different plans that raced.
        moveAtomically(tmp, target);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
    if (durable) {
      OutputFiles.syncDirectory(target.getParent());
    }
  }

  /** Replaces {@code target} whole: a temporary file beside it, renamed over it. */
  static void publishReplacing(Path target, byte[] bytes, boolean durable) throws IOException {
    Path tmp = OutputFiles.writeTemporary(target, bytes, durable);
    boolean moved = false;
    try {
      moveAtomically(tmp, target);
      if (durable) {
        OutputFiles.syncDirectory(target.getParent());
      }
      moved = true;
    } finally {
      if (!moved) {
        Files.deleteIfExists(tmp);
      }
    }
  }

  private static void moveAtomically(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException("cannot publish a shard file: the filesystem has no atomic rename (path=" + to + ")", e);
    }
  }

  @Override
  public String toString() {
    return "ShardLedger[" + store + ", " + shard + "]";
  }
}

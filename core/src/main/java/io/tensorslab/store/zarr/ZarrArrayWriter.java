package io.tensorslab.store.zarr;

import io.tensorslab.slab.MappedFiles;
import io.tensorslab.slab.OutputFiles;
import io.tensorslab.slab.TemporaryFiles;
import io.tensorslab.store.RowWindow;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * Writes one Zarr array's chunks as its rows arrive. A writer asks for the bytes of rows with
 * {@link #rows(long, long)} (the segment ends at the chunk's end), copies into them, and says so
 * with {@link #written(long, long)}; a chunk whose rows are all written is encoded and written at
 * once to a temporary file beside its final name, then renamed, so a chunk file is complete when
 * it appears. {@link #finish(long)} writes the partial last chunk (its tail zero, as the format
 * stores edge chunks full-size). Metadata is not this class's business: the {@link ZarrStore}
 * writes it last, at commit.
 *
 * <p>Memory: one chunk per chunk being filled — a writer that fills rows in order holds one (two
 * while a batch spans a chunk boundary). Uncompressed, a chunk is its own temporary file mapped
 * into memory, so rows are copied once, straight into the file's pages, and unmapped when the chunk
 * is complete; compressed, a reused native buffer that is encoded and written, plus, per chunk
 * being compressed, one encoder with its output buffer (so at most one of each per thread handing
 * rows back). Sharded (v3, several chunks per file), the encoded chunks go straight into the shard's
 * temporary file and only its index stays in memory.
 *
 * <p>Thread safety: all methods may be called from any thread; writers filling disjoint rows may
 * copy into their segments at the same time, also rows of one chunk. The bookkeeping (which rows
 * are in, which chunk is complete) is under this writer's lock. A complete compressed chunk is
 * taken out of it under the lock (so it is written once) and then compressed and written as its own
 * file outside the lock, on the thread that handed back its last rows: threads compress different
 * chunks of one array at once. A compressed shard's inner chunks are compressed outside the lock
 * too and appended under it, in chunk order whatever order they complete in. Uncompressed chunks
 * (an unmap and a rename) are written under the lock. {@link #finish}, {@link #finishPart} and
 * {@link #close} wait for the chunks being compressed and written, so no chunk file appears after
 * {@code close} returns and nothing is written into a closed writer.
 */
public final class ZarrArrayWriter implements AutoCloseable {
  private static final long MISSING = -1L; // 2^64 - 1 in the shard index: chunk not stored

  private final Path directory;
  private final ZarrArraySpec spec;
  private final boolean force;
  private final long rowBytes;
  private final long chunkBytes;
  private final Arena arena = Arena.ofShared();
  private final Map<Long, Chunk> filling = new HashMap<>();
  private final ArrayDeque<MemorySegment> freeBuffers = new ArrayDeque<>();
  /** One per chunk being compressed at once (an encoder's output buffer is in use until its chunk is written). */
  private final ArrayDeque<ChunkEncoder> freeEncoders = new ArrayDeque<>();
  /** Compressed chunks taken out of {@link #filling} and not yet written; guarded by this. */
  private int inFlight;
  /** The first chunk that failed to compress or write, reported again by {@link #finish}. */
  private IOException failure;
  private volatile EncodeHook encodeHook;
  private final Map<Long, Shard> shards = new HashMap<>();
  private final BitSet writtenChunks = new BitSet();
  private long finishedRows = -1;
  private boolean closed;

  /** Sees each compressed chunk just before it is encoded, outside the writer's lock (tests observe concurrency). */
  interface EncodeHook {
    void beforeEncode(long chunk) throws IOException;
  }

  /**
   * A complete compressed chunk claimed under the lock by the thread that completed it, which then
   * encodes and writes it outside the lock.
   */
  private record Claimed(long chunk, MemorySegment buffer, ChunkEncoder encoder) {}

  /**
   * A chunk being filled: its bytes and how many of its rows are written. Uncompressed, the bytes
   * are mapped file pages (no copy besides the writer's): the chunk's own temporary file, or, with
   * several chunks per file, the chunk's fixed slot in its shard's temporary file. Compressed, a
   * reused native buffer that is encoded when complete.
   */
  private static final class Chunk {
    final MemorySegment buffer;
    final Arena mapping;
    final FileChannel channel;
    final Path temporary;
    final Path target;
    /** The shard whose file holds this mapped chunk, or null. */
    final Shard shard;
    final int slot;
    long rows;

    Chunk(MemorySegment buffer) {
      this(buffer, null, null, null, null, null, 0);
    }

    Chunk(MemorySegment buffer, Arena mapping, FileChannel channel, Path temporary, Path target, Shard shard,
        int slot) {
      this.buffer = buffer;
      this.mapping = mapping;
      this.channel = channel;
      this.temporary = temporary;
      this.target = target;
      this.shard = shard;
      this.slot = slot;
    }

    boolean mapped() {
      return mapping != null;
    }

    /**
     * Unmaps a mapped chunk and closes its own file, forced to disk first if asked; the temporary
     * file stays. A shard's file stays open for its other chunks (the shard forces it when closed).
     */
    void release(boolean force) throws IOException {
      if (mapping.scope().isAlive()) {
        mapping.close();
      }
      if (shard != null) {
        return;
      }
      try {
        if (force) {
          channel.force(false); // the pages written through the mapping are the file's dirty pages
        }
      } finally {
        channel.close();
      }
    }
  }

  /** A shard file being written: temporary file, append position and index of its chunks. */
  private static final class Shard {
    final Path target;
    final Path temporary;
    final FileChannel channel;
    final long[] offsets;
    final long[] sizes;
    long position;
    int chunks;
    /** Compressed: the next inner chunk to append; chunks go into the file in chunk order. */
    int nextSlot;
    /**
     * Compressed inner chunks that completed before an earlier one of the shard (another writer's
     * rows), each encoded into a temporary file of its own until the chunks before it are appended.
     */
    final java.util.TreeMap<Integer, Path> waiting = new java.util.TreeMap<>();

    Shard(Path target, Path temporary, FileChannel channel, int chunksPerFile) {
      this.target = target;
      this.temporary = temporary;
      this.channel = channel;
      this.offsets = new long[chunksPerFile];
      this.sizes = new long[chunksPerFile];
      java.util.Arrays.fill(offsets, MISSING);
      java.util.Arrays.fill(sizes, MISSING);
    }
  }

  /**
   * @param directory the array's directory (created by the store)
   * @param force fsync each chunk file before its rename (durable output)
   */
  ZarrArrayWriter(Path directory, ZarrArraySpec spec, boolean force) {
    this.directory = directory;
    this.spec = spec;
    this.force = force;
    this.rowBytes = spec.rowBytes();
    this.chunkBytes = spec.chunkBytes();
  }

  /** Installs a hook called before each compressed chunk is encoded (null: none). */
  void encodeHook(EncodeHook hook) {
    this.encodeHook = hook;
  }

  public ZarrArraySpec spec() {
    return spec;
  }

  /** The array's directory. */
  public Path directory() {
    return directory;
  }

  /**
   * The bytes of rows {@code [first, first + m)}, where {@code m = min(n, rows left in first's
   * chunk)}: {@code m * rowBytes} bytes to fill, in C order, valid until {@link #written} is called
   * for them (the chunk's buffer is reused once the chunk is written out).
   */
  public synchronized RowWindow rows(long first, long n) throws IOException {
    checkWritable();
    if (first < 0 || n < 1) {
      throw new IllegalArgumentException("rows [" + first + ", +" + n + ") is not a valid range (path="
          + spec.path() + ")");
    }
    long chunk = first / spec.chunkRows();
    long inChunk = first - chunk * spec.chunkRows();
    long m = Math.min(n, spec.chunkRows() - inChunk);
    if (rowBytes == 0) {
      return new RowWindow(first, m, MemorySegment.NULL); // zero bytes; not a heap segment (see HeapBytes)
    }
    if (writtenChunks.get(Math.toIntExact(chunk))) {
      throw new IllegalStateException("rows [" + first + ", " + (first + m) + ") fall in chunk " + chunk
          + ", which is already complete and written (path=" + spec.path() + ")");
    }
    Chunk c = filling.get(chunk);
    if (c == null) {
      c = startChunk(chunk);
      filling.put(chunk, c);
    }
    return new RowWindow(first, m, c.buffer.asSlice(inChunk * rowBytes, m * rowBytes));
  }

  /**
   * Records that rows {@code [first, first + count)} hold their data; every chunk thereby complete
   * is encoded and written, a compressed one on this thread outside the writer's lock.
   */
  public void written(long first, long count) throws IOException {
    List<Claimed> complete = new ArrayList<>(1);
    synchronized (this) {
      checkWritable();
      long end = first + count;
      for (long row = first; rowBytes != 0 && row < end; ) { // checked first: nothing is counted for a bad range
        long chunk = row / spec.chunkRows();
        long chunkEnd = Math.min(end, (chunk + 1) * spec.chunkRows());
        if (!filling.containsKey(chunk)) {
          throw new IllegalStateException("rows [" + row + ", " + chunkEnd + ") were never asked for with rows()"
              + " (path=" + spec.path() + ")");
        }
        row = chunkEnd;
      }
      for (long row = first; row < end; ) {
        long chunk = row / spec.chunkRows();
        long chunkEnd = Math.min(end, (chunk + 1) * spec.chunkRows());
        if (rowBytes != 0) {
          Chunk c = filling.get(chunk);
          c.rows += chunkEnd - row;
          if (c.rows == spec.chunkRows()) {
            if (c.mapped()) {
              writeChunk(chunk, c, spec.chunkRows());
            } else {
              complete.add(claim(chunk, c));
            }
          }
        }
        row = chunkEnd;
      }
    }
    int next = 0;
    try {
      for (; next < complete.size(); next++) {
        encodeAndWrite(complete.get(next));
      }
    } finally {
      for (next++; next < complete.size(); next++) {
        release(complete.get(next)); // after a failure: the chunks not yet encoded are given up
      }
    }
  }

  /**
   * Completes the array at {@code rows} rows: writes the partial last chunk and closes the last
   * shard. Every row below {@code rows} must have been written.
   *
   * @throws IOException when a row was never written or a write fails
   */
  public synchronized void finish(long rows) throws IOException {
    checkWritable();
    awaitInFlight();
    checkNoFailure();
    long chunks = spec.chunkCount(rows);
    if (rowBytes != 0) {
      for (Map.Entry<Long, Chunk> e : Map.copyOf(filling).entrySet()) {
        long chunk = e.getKey();
        long expected = Math.min(spec.chunkRows(), rows - chunk * spec.chunkRows());
        if (chunk >= chunks || e.getValue().rows != expected) {
          throw new IOException("zarr array incomplete at finish: chunk " + chunk + " holds "
              + e.getValue().rows + " written rows, the array of " + rows + " rows needs " + Math.max(expected, 0)
              + " there (path=" + directory + ")");
        }
        writeChunk(chunk, e.getValue(), expected);
      }
      int missing = writtenChunks.nextClearBit(0);
      if (missing < chunks) {
        throw new IOException("zarr array incomplete at finish: chunk " + missing + " was never written, the"
            + " array of " + rows + " rows needs " + chunks + " chunks (path=" + directory + ")");
      }
      if (writtenChunks.length() > chunks) {
        throw new IOException("zarr array has rows past its end: chunk " + (writtenChunks.length() - 1)
            + " was written, the array of " + rows + " rows has " + chunks + " chunks (path=" + directory + ")");
      }
      for (Shard shard : Map.copyOf(shards).values()) {
        closeShard(shard);
      }
    }
    finishedRows = rows;
    releaseBuffers();
  }

  /**
   * Completes this writer's part of an array that several processes write at once
   * ({@link ZarrStore#shared}): rows {@code [firstRow, endRow)} of an array of {@code totalRows}
   * rows, where {@code firstRow} starts a file (a chunk, or in v3 sharding a shard file) and
   * {@code endRow} ends one or is {@code totalRows}. Writes the partial last chunk when the part
   * holds it and closes its shard files; checks that every chunk of the part was written. No other
   * part's chunk is touched and no metadata is written. {@code totalRows} may be
   * {@code Long.MAX_VALUE} when the part ends on a file boundary before the array's unknown end.
   *
   * @throws IOException when a row of the part was never written or a write fails
   */
  public synchronized void finishPart(long firstRow, long endRow, long totalRows) throws IOException {
    checkWritable();
    awaitInFlight();
    checkNoFailure();
    long rowsPerFile = spec.chunkRows() * spec.chunksPerFile();
    boolean empty = firstRow == endRow;
    if (firstRow < 0 || firstRow > endRow || endRow > totalRows
        || (!empty && (firstRow % rowsPerFile != 0 || (endRow != totalRows && endRow % rowsPerFile != 0)))) {
      throw new IllegalArgumentException("rows [" + firstRow + ", " + endRow + ") of " + totalRows + " are not a"
          + " part of whole files of " + rowsPerFile + " rows (path=" + directory + ")");
    }
    if (rowBytes != 0) {
      long firstChunk = firstRow / spec.chunkRows();
      // An empty part holds no chunk, also where it sits inside the array's partial last chunk.
      long endChunk = empty ? firstChunk : spec.chunkCount(endRow);
      for (Map.Entry<Long, Chunk> e : Map.copyOf(filling).entrySet()) {
        long chunk = e.getKey();
        long expected = Math.min(spec.chunkRows(), totalRows - chunk * spec.chunkRows());
        if (chunk < firstChunk || chunk >= endChunk || e.getValue().rows != expected) {
          throw new IOException("zarr array part incomplete: chunk " + chunk + " holds " + e.getValue().rows
              + " written rows, rows [" + firstRow + ", " + endRow + ") need " + Math.max(expected, 0)
              + " there (path=" + directory + ")");
        }
        writeChunk(chunk, e.getValue(), expected);
      }
      for (long chunk = firstChunk; chunk < endChunk; chunk++) {
        if (!writtenChunks.get(Math.toIntExact(chunk))) {
          throw new IOException("zarr array part incomplete: chunk " + chunk + " was never written, rows ["
              + firstRow + ", " + endRow + ") need chunks " + firstChunk + " to " + (endChunk - 1) + " (path="
              + directory + ")");
        }
      }
      for (Shard shard : Map.copyOf(shards).values()) {
        closeShard(shard);
      }
    }
    finishedRows = totalRows;
    releaseBuffers();
  }

  /** Rows given to {@link #finish}, or -1 before. */
  public synchronized long finishedRows() {
    return finishedRows;
  }

  private Chunk startChunk(long chunk) throws IOException {
    if (spec.codec().compresses()) {
      return new Chunk(buffer());
    }
    if (spec.chunksPerFile() > 1) {
      // Uncompressed inner chunks all have chunkBytes bytes: chunk i of a shard sits at i * chunkBytes.
      Shard shard = shardOf(chunk);
      int slot = (int) (chunk % spec.chunksPerFile());
      Arena mapping = Arena.ofShared();
      boolean success = false;
      try {
        MemorySegment bytes = MappedFiles.extendAndMap(shard.channel, shard.temporary, slot * chunkBytes,
            (slot + 1) * chunkBytes, mapping, shard.target);
        success = true;
        return new Chunk(bytes, mapping, shard.channel, null, shard.target, shard, slot);
      } finally {
        if (!success) {
          mapping.close();
        }
      }
    }
    Path target = directory.resolve(spec.chunkFile(chunk));
    Files.createDirectories(target.getParent());
    Path temporary = TemporaryFiles.beside(target);
    FileChannel channel = OutputFiles.createTemporary(temporary, target);
    Arena mapping = Arena.ofShared();
    boolean success = false;
    try {
      // A fresh file reads zero where nothing is written: the tail of a partial last chunk needs no fill.
      MemorySegment bytes = MappedFiles.extendAndMap(channel, temporary, 0, chunkBytes, mapping, target);
      success = true;
      return new Chunk(bytes, mapping, channel, temporary, target, null, 0);
    } finally {
      if (!success) {
        mapping.close();
        channel.close();
        Files.deleteIfExists(temporary);
      }
    }
  }

  /**
   * A zero chunk buffer. Rows start zero as in a fresh file, which writers rely on: the string
   * writers write each value's bytes and leave the NUL padding to the store.
   */
  private MemorySegment buffer() {
    MemorySegment free = freeBuffers.poll();
    if (free == null) {
      return arena.allocate(chunkBytes, ValueLayout.JAVA_LONG.byteAlignment()); // zeroed by the arena
    }
    return free.fill((byte) 0);
  }

  private void writeChunk(long chunk, Chunk c, long rows) throws IOException {
    filling.remove(chunk);
    if (c.shard != null) {
      c.release(false);
      recordInShard(c.shard, c.slot, c.slot * chunkBytes, chunkBytes);
    } else if (c.mapped()) {
      try {
        c.release(force);
        moveIntoPlace(c.temporary, c.target);
      } catch (IOException e) {
        Files.deleteIfExists(c.temporary);
        throw new IOException("writing zarr chunk failed: " + e.getMessage() + " (path=" + c.target + ")", e);
      }
    } else {
      encodeAndWrite(claim(chunk, c)); // under the lock here: finish's partial last chunk
      return;
    }
    writtenChunks.set(Math.toIntExact(chunk));
  }

  /**
   * Takes a complete compressed chunk out of the filling ones (under the lock): it counts as
   * written from now on, so no other thread writes it, and {@link #close} waits for it.
   */
  private Claimed claim(long chunk, Chunk c) {
    filling.remove(chunk);
    writtenChunks.set(Math.toIntExact(chunk));
    inFlight++;
    ChunkEncoder encoder = freeEncoders.poll();
    return new Claimed(chunk, c.buffer, encoder != null ? encoder : new ChunkEncoder(spec.codec()));
  }

  /**
   * Encodes a claimed chunk and writes it: its own file outside the lock, or appended to its shard
   * under the lock. Rows past the end of a partial last chunk are still zero in its buffer.
   */
  private void encodeAndWrite(Claimed claimed) throws IOException {
    Path target = directory.resolve(spec.chunkFile(claimed.chunk()));
    try {
      ByteBuffer encoded;
      try {
        EncodeHook hook = encodeHook;
        if (hook != null) {
          hook.beforeEncode(claimed.chunk());
        }
        encoded = claimed.encoder().encode(claimed.buffer());
      } catch (IOException e) {
        throw new IOException("compressing zarr chunk " + claimed.chunk() + " failed: " + e.getMessage() + " (path="
            + target + ")", e);
      }
      if (spec.chunksPerFile() == 1) {
        writeFile(claimed.chunk(), target, encoded);
      } else {
        synchronized (this) {
          checkOpenWhileWriting(claimed.chunk(), target);
          appendToShard(claimed.chunk(), encoded);
        }
      }
    } catch (IOException | RuntimeException | Error e) {
      // The chunk counts as written since its claim: finish must not take the array for complete.
      failed(e instanceof IOException io ? io
          : new IOException("writing zarr chunk " + claimed.chunk() + " failed: " + e + " (path=" + target + ")", e));
      throw e;
    } finally {
      release(claimed);
    }
  }

  private synchronized void failed(IOException e) {
    if (failure == null) {
      failure = e;
    }
  }

  /**
   * Gives a claimed chunk's buffer and encoder back for reuse and wakes whoever waits for chunks in
   * flight. A chunk released without being written is left to the failure of the one before it.
   */
  private synchronized void release(Claimed claimed) {
    freeBuffers.push(claimed.buffer());
    freeEncoders.push(claimed.encoder());
    inFlight--;
    notifyAll();
  }

  /** Waits (holding the lock only between waits) until no compressed chunk is being encoded or written. */
  private void awaitInFlight() {
    boolean interrupted = false;
    while (inFlight > 0) {
      try {
        wait();
      } catch (InterruptedException e) {
        interrupted = true; // the chunks in flight must end before their buffers are freed: keep waiting
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private void checkNoFailure() throws IOException {
    if (failure != null) {
      throw new IOException("zarr array cannot finish: " + failure.getMessage(), failure);
    }
  }

  /** A chunk compressed while the writer was closed (an aborted export) is dropped, never put in place. */
  private synchronized void checkOpenWhileWriting(long chunk, Path target) {
    if (closed) {
      throw new IllegalStateException("zarr array writer was closed while chunk " + chunk + " was being written;"
          + " the chunk is dropped (path=" + target + ")");
    }
  }

  /** Writes one compressed chunk's file (temporary, then renamed); called outside the lock. */
  private void writeFile(long chunk, Path target, ByteBuffer bytes) throws IOException {
    Files.createDirectories(target.getParent());
    Path temporary = TemporaryFiles.beside(target);
    boolean placed = false;
    try {
      try (FileChannel channel = OutputFiles.createTemporary(temporary, target)) {
        writeFully(channel, bytes, 0);
        if (force) {
          channel.force(false);
        }
      }
      checkOpenWhileWriting(chunk, target);
      moveIntoPlace(temporary, target);
      placed = true;
    } catch (IOException e) {
      throw new IOException("writing zarr chunk failed: " + e.getMessage() + " (path=" + target + ")", e);
    } finally {
      if (!placed) {
        Files.deleteIfExists(temporary);
      }
    }
  }

  /** The shard file holding {@code chunk}, opened under its temporary name at its first chunk. */
  private Shard shardOf(long chunk) throws IOException {
    long file = chunk / spec.chunksPerFile();
    Shard shard = shards.get(file);
    if (shard == null) {
      Path target = directory.resolve(spec.chunkFile(chunk));
      Files.createDirectories(target.getParent());
      Path temporary = TemporaryFiles.beside(target);
      shard = new Shard(target, temporary, OutputFiles.createTemporary(temporary, target), spec.chunksPerFile());
      shards.put(file, shard);
    }
    return shard;
  }

  /**
   * Appends an encoded inner chunk to its shard file in chunk order, whatever order the chunks
   * complete in: a shard's bytes are then the same whether one writer filled it in order or several
   * writers filled parts of it at once. A chunk that completes before an earlier one of its shard
   * waits in a temporary file (one write and one read more; it happens only where two writers' rows
   * meet inside a shard).
   */
  private void appendToShard(long chunk, ByteBuffer encoded) throws IOException {
    Shard shard = shardOf(chunk);
    int slot = (int) (chunk % spec.chunksPerFile());
    try {
      if (slot != shard.nextSlot) {
        Path waiting = TemporaryFiles.beside(shard.target);
        try (FileChannel channel = OutputFiles.createTemporary(waiting, shard.target)) {
          shard.waiting.put(slot, waiting);
          writeFully(channel, encoded, 0);
        }
        return;
      }
      append(shard, slot, encoded);
      appendWaiting(shard, false);
    } catch (IOException e) {
      throw new IOException("writing zarr shard failed: " + e.getMessage() + " (path=" + shard.target + ")", e);
    }
  }

  private void append(Shard shard, int slot, ByteBuffer encoded) throws IOException {
    long size = encoded.remaining();
    long offset = shard.position;
    writeFully(shard.channel, encoded, offset);
    shard.nextSlot = slot + 1;
    recordInShard(shard, slot, offset, size);
  }

  /**
   * Appends the waiting chunks that now come next ({@code all}: every waiting chunk, in order, as
   * when the shard is closed with chunks missing before them).
   */
  private void appendWaiting(Shard shard, boolean all) throws IOException {
    while (!shard.waiting.isEmpty() && (all || shard.waiting.firstKey() == shard.nextSlot)) {
      Map.Entry<Integer, Path> next = shard.waiting.pollFirstEntry();
      try (FileChannel channel = FileChannel.open(next.getValue(), java.nio.file.StandardOpenOption.READ)) {
        long size = channel.size();
        long offset = shard.position;
        for (long done = 0; done < size; ) {
          done += channel.transferTo(done, size - done, shard.channel.position(offset + done));
        }
        shard.nextSlot = next.getKey() + 1;
        recordInShard(shard, next.getKey(), offset, size);
      } finally {
        Files.deleteIfExists(next.getValue());
      }
    }
  }

  /** Enters a written inner chunk in its shard's index; the shard is closed when its last chunk is in. */
  private void recordInShard(Shard shard, int slot, long offset, long size) throws IOException {
    shard.offsets[slot] = offset;
    shard.sizes[slot] = size;
    shard.position = Math.max(shard.position, offset + size);
    shard.chunks++;
    if (shard.chunks == spec.chunksPerFile()) {
      closeShard(shard);
    }
  }

  /** Appends the shard index (offset, size per chunk, then its CRC-32C) and renames the shard into place. */
  private void closeShard(Shard shard) throws IOException {
    if (!shard.waiting.isEmpty()) {
      appendWaiting(shard, true); // closes the shard itself once its last chunk is in
      if (!shards.containsValue(shard)) {
        return;
      }
    }
    int entries = spec.chunksPerFile();
    ByteBuffer index = ByteBuffer.allocate(entries * 16 + 4).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < entries; i++) {
      index.putLong(shard.offsets[i]).putLong(shard.sizes[i]);
    }
    CRC32C crc = new CRC32C();
    crc.update(index.array(), 0, entries * 16);
    index.putInt((int) crc.getValue()).flip();
    try {
      writeFully(shard.channel, index, shard.position);
      if (force) {
        shard.channel.force(false);
      }
      shard.channel.close();
      moveIntoPlace(shard.temporary, shard.target);
    } catch (IOException e) {
      throw new IOException("writing zarr shard failed: " + e.getMessage() + " (path=" + shard.target + ")", e);
    } finally {
      shard.channel.close();
      Files.deleteIfExists(shard.temporary);
      deleteWaiting(shard);
      shards.values().remove(shard);
    }
  }

  private static void deleteWaiting(Shard shard) throws IOException {
    for (Path waiting : shard.waiting.values()) {
      Files.deleteIfExists(waiting);
    }
    shard.waiting.clear();
  }

  private static void writeFully(FileChannel channel, ByteBuffer bytes, long position) throws IOException {
    long at = position;
    while (bytes.hasRemaining()) {
      at += channel.write(bytes, at);
    }
  }

  /** Renames over an existing chunk: a rerun writes the same chunk again, and a rename replaces atomically. */
  private static void moveIntoPlace(Path temporary, Path target) throws IOException {
    OutputFiles.moveIntoPlace(temporary, target, true);
  }

  private void checkWritable() {
    if (closed) {
      throw new IllegalStateException("zarr array writer is closed (path=" + directory + ")");
    }
    if (finishedRows >= 0) {
      throw new IllegalStateException("zarr array is already finished (path=" + directory + ")");
    }
  }

  private void releaseBuffers() {
    for (Chunk c : filling.values()) {
      if (c.mapped()) {
        try {
          c.release(false);
          if (c.temporary != null) {
            Files.deleteIfExists(c.temporary); // a shard's file is deleted with the shard
          }
        } catch (IOException ignored) {
          // best effort: a temporary file left behind is removed by the next export (TemporaryFiles.removeStale)
        }
      }
    }
    filling.clear();
    freeBuffers.clear();
    freeEncoders.forEach(ChunkEncoder::close);
    freeEncoders.clear();
    if (arena.scope().isAlive()) {
      arena.close();
    }
  }

  /**
   * Waits for the chunks being compressed and written (a chunk not yet in place by then is dropped),
   * then releases memory and deletes the temporary files of unfinished shards; written chunk files
   * stay (the store removes them).
   */
  @Override
  public synchronized void close() {
    if (closed) {
      awaitInFlight(); // a second close returns only once the first one's chunks are done too
      return;
    }
    closed = true;
    awaitInFlight();
    for (Shard shard : shards.values()) {
      try {
        shard.channel.close();
        Files.deleteIfExists(shard.temporary);
        deleteWaiting(shard);
      } catch (IOException ignored) {
        // best effort: the store deletes the array's directory on abort
      }
    }
    shards.clear();
    releaseBuffers();
  }
}

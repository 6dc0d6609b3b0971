package io.tensorslab.npy;

import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.Pipe;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyArrayCloseTest {
  @TempDir Path dir;

  /**
   * {@code Arena.close} throws while another thread holds the mapping acquired (channel I/O from a
   * buffer view of it, a native call given it); close used to take that for "already closed" and
   * return with the file still mapped. It now waits until the other thread lets go, then unmaps.
   */
  @Test
  void closeWhileAnotherThreadWritesFromTheMappingWaitsAndUnmaps() throws Exception {
    long bytes = 1L << 20;
    Path file = dir.resolve("a.npy");
    byte[] header = new NpyHeader(NpyDtype.UINT8, new long[] {bytes}).encode();
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(header));
      ch.write(ByteBuffer.allocate(1), header.length + bytes - 1);
    }
    NpyArray array = NpyArray.open(file);
    Pipe pipe = Pipe.open();
    CountDownLatch started = new CountDownLatch(1);
    Thread writer = new Thread(() -> {
      started.countDown();
      try {
        // blocks once the pipe is full, holding the mapping acquired, until the pipe is drained
        pipe.sink().write(array.segment().asByteBuffer());
      } catch (IOException | IllegalStateException e) {
        // nothing to check here: the test looks at the arena
      }
    });
    writer.start();
    started.await();
    Thread.sleep(200); // the writer is now blocked in write(2) on the full pipe
    Thread drain = new Thread(() -> {
      try {
        Thread.sleep(300);
        ByteBuffer sink = ByteBuffer.allocate(1 << 16);
        long read = 0;
        while (read < bytes) {
          sink.clear();
          read += pipe.source().read(sink);
        }
      } catch (IOException | InterruptedException e) {
        throw new RuntimeException(e);
      }
    });
    drain.start();
    array.close();
    assertFalse(array.segment().scope().isAlive(), "close returned with the file still mapped");
    drain.join();
    writer.join();
  }
}

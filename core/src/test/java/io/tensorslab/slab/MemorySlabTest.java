package io.tensorslab.slab;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tensorslab.npy.NpyDtype;
import io.tensorslab.npy.TestNpy;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class MemorySlabTest {

  static java.util.stream.Stream<NpyDtype> dtypes() {
    return TestNpy.allDtypes();
  }

  @ParameterizedTest
  @MethodSource("dtypes")
  void growKeepsRowsBitForBit(NpyDtype dtype) {
    long[] rowShape = {3, 2};
    try (MemorySlab slab = MemorySlab.allocate(dtype, rowShape, 2)) {
      assertEquals(dtype.itemSize() * 6L, slab.rowBytes());
      assertEquals(0, slab.payload().address() % 64, "aligned like a .npy payload");
      byte[] rows = TestNpy.payload(dtype, 12, 3);
      MemorySegment.copy(MemorySegment.ofArray(rows), 0, slab.payload(), 0, rows.length);
      slab.ensureCapacity(3000);
      assertEquals(3000, slab.capacityRows());
      assertEquals(0, slab.payload().address() % 64);
      assertArrayEquals(rows, TestNpy.bytes(slab.payload().asSlice(0, 2 * slab.rowBytes())), "NaN, ±Inf and -0.0 patterns survive the move");
      slab.ensureCapacity(3001);
      assertEquals(6000, slab.capacityRows(), "grows at least by doubling");
      assertArrayEquals(rows, TestNpy.bytes(slab.payload().asSlice(0, 2 * slab.rowBytes())));
    }
  }

  @Test
  void growFromZeroAndScalarRows() {
    try (MemorySlab slab = MemorySlab.allocate(NpyDtype.INT64, new long[0], 0)) {
      assertEquals(0, slab.payload().byteSize());
      slab.ensureCapacity(1);
      assertEquals(1024, slab.capacityRows());
      slab.payload().setAtIndex(ValueLayout.JAVA_LONG, 1023, 42L);
      slab.ensureCapacity(1024); // fits: no move
      assertEquals(42L, slab.payload().getAtIndex(ValueLayout.JAVA_LONG, 1023));
    }
  }

  @Test
  void closedSlabIsAnIllegalState() {
    MemorySlab slab = MemorySlab.allocate(NpyDtype.FLOAT32, new long[] {4}, 8);
    MemorySegment before;
    try (slab) {
      before = slab.payload();
    }
    slab.close();
    assertEquals("memory slab is closed", assertThrows(IllegalStateException.class, slab::payload).getMessage());
    assertThrows(IllegalStateException.class, () -> slab.ensureCapacity(100));
    assertThrows(IllegalStateException.class, () -> before.get(ValueLayout.JAVA_BYTE, 0), "memory released");
  }

  @Test
  void badArguments() {
    assertEquals("capacity rows must be >= 0, got -1",
        assertThrows(IllegalArgumentException.class, () -> MemorySlab.allocate(NpyDtype.INT8, new long[0], -1))
            .getMessage());
    assertEquals("row shape dims must be >= 0, got [2, -1]",
        assertThrows(IllegalArgumentException.class, () -> MemorySlab.allocate(NpyDtype.INT8, new long[] {2, -1}, 1))
            .getMessage());
    IllegalArgumentException overflow = assertThrows(IllegalArgumentException.class,
        () -> MemorySlab.allocate(NpyDtype.FLOAT64, new long[] {1L << 40}, 1L << 30));
    assertEquals("1073741824 rows of 8796093022208 bytes overflow a 64-bit size", overflow.getMessage());
  }

  @Test
  void grownCapacity() {
    assertEquals(1024, MemorySlab.grownCapacity(0, 1));
    assertEquals(2048, MemorySlab.grownCapacity(1024, 1025));
    assertEquals(5000, MemorySlab.grownCapacity(1024, 5000));
    assertEquals(Long.MAX_VALUE, MemorySlab.grownCapacity(Long.MAX_VALUE / 2 + 1, Long.MAX_VALUE / 2 + 2));
  }
}

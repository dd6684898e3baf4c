// SPDX-License-Identifier: GPL-2.0
/*
 * noiommu.h and noiommu/mmio.h from C++: the Makefile builds this with
 * g++ -std=c++11 -pedantic -Wold-style-cast and test_mmio calls it.
 */
#include "noiommu.h"

extern "C" int mmio_cxx_round_trip(void *mem);

/* The ordered and relaxed accessors of every width on ordinary memory. */
extern "C" int mmio_cxx_round_trip(void *mem)
{
	nio_mmio_write8(mem, 0, 0x12);
	nio_mmio_write16_relaxed(mem, 2, 0x3456);
	nio_dma_wmb();
	nio_mmio_write32(mem, 4, 0x789abcdeu);
	nio_mmio_write64(mem, 8, 0x0123456789abcdefull);
	nio_mb();
	return nio_mmio_read8(mem, 0) == 0x12 &&
	       nio_mmio_read16(mem, 2) == 0x3456 &&
	       nio_mmio_read32_relaxed(mem, 4) == 0x789abcdeu &&
	       nio_mmio_read64(mem, 8) == 0x0123456789abcdefull;
}

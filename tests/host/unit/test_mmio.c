// SPDX-License-Identifier: GPL-2.0
/*
 * The MMIO accessors of noiommu/mmio.h on ordinary memory: each one is
 * exactly one access of its width at base + offset, in CPU byte order,
 * and the barriers run. (What they order can only be seen on hardware;
 * this checks what they touch.) mmio_cxx.cc does the same from C++.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <string.h>

#include "kselftest_harness.h"
#include "noiommu.h"

int mmio_cxx_round_trip(void *mem);

/* A fake BAR: 64 bytes, 8-byte aligned, all ones outside what was written */
struct bar {
	union {
		uint64_t align;
		uint8_t b[64];
	};
};

static void expect_bytes(struct __test_metadata *_metadata,
			 const struct bar *bar, size_t off, const void *want,
			 size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(bar->b); i++) {
		bool inside = i >= off && i < off + len;
		uint8_t w = inside ? ((const uint8_t *)want)[i - off] : 0xff;

		ASSERT_EQ(w, bar->b[i]) TH_LOG("byte %zu", i);
	}
}

TEST(writes_touch_exactly_their_width)
{
	struct bar bar;
	uint8_t v8 = 0xa5;
	uint16_t v16 = 0xbeef;
	uint32_t v32 = 0xdeadbeef;
	uint64_t v64 = 0x0123456789abcdefULL;

	memset(&bar, 0xff, sizeof(bar));
	nio_mmio_write8(&bar, 13, v8);
	expect_bytes(_metadata, &bar, 13, &v8, 1);
	memset(&bar, 0xff, sizeof(bar));
	nio_mmio_write16(&bar, 14, v16);
	expect_bytes(_metadata, &bar, 14, &v16, 2);
	memset(&bar, 0xff, sizeof(bar));
	nio_mmio_write32(&bar, 20, v32);
	expect_bytes(_metadata, &bar, 20, &v32, 4);
	memset(&bar, 0xff, sizeof(bar));
	nio_mmio_write64(&bar, 40, v64);
	expect_bytes(_metadata, &bar, 40, &v64, 8);
}

TEST(relaxed_writes_touch_exactly_their_width)
{
	struct bar bar;
	uint8_t v8 = 0x5a;
	uint16_t v16 = 0xcafe;
	uint32_t v32 = 0x11e81234;
	uint64_t v64 = 0xfedcba9876543210ULL;

	memset(&bar, 0xff, sizeof(bar));
	nio_mmio_write8_relaxed(&bar, 63, v8);
	expect_bytes(_metadata, &bar, 63, &v8, 1);
	memset(&bar, 0xff, sizeof(bar));
	nio_mmio_write16_relaxed(&bar, 0, v16);
	expect_bytes(_metadata, &bar, 0, &v16, 2);
	memset(&bar, 0xff, sizeof(bar));
	nio_mmio_write32_relaxed(&bar, 60, v32);
	expect_bytes(_metadata, &bar, 60, &v32, 4);
	memset(&bar, 0xff, sizeof(bar));
	nio_mmio_write64_relaxed(&bar, 8, v64);
	expect_bytes(_metadata, &bar, 8, &v64, 8);
}

TEST(reads_return_what_is_there)
{
	struct bar bar;
	const volatile void *base = &bar;
	size_t i;

	for (i = 0; i < sizeof(bar.b); i++)
		bar.b[i] = (uint8_t)(i * 17 + 1);
	for (i = 0; i < sizeof(bar.b); i++) {
		ASSERT_EQ(bar.b[i], nio_mmio_read8(base, i));
		ASSERT_EQ(bar.b[i], nio_mmio_read8_relaxed(base, i));
	}
	for (i = 0; i < sizeof(bar.b); i += 2) {
		uint16_t v;

		memcpy(&v, &bar.b[i], 2);
		ASSERT_EQ(v, nio_mmio_read16(base, i));
		ASSERT_EQ(v, nio_mmio_read16_relaxed(base, i));
	}
	for (i = 0; i < sizeof(bar.b); i += 4) {
		uint32_t v;

		memcpy(&v, &bar.b[i], 4);
		ASSERT_EQ(v, nio_mmio_read32(base, i));
		ASSERT_EQ(v, nio_mmio_read32_relaxed(base, i));
	}
	for (i = 0; i < sizeof(bar.b); i += 8) {
		uint64_t v;

		memcpy(&v, &bar.b[i], 8);
		ASSERT_EQ(v, nio_mmio_read64(base, i));
		ASSERT_EQ(v, nio_mmio_read64_relaxed(base, i));
	}
}

/* A descriptor filled, fenced, then its doorbell: the sequence compiles
 * and runs with every barrier. */
TEST(barriers_run)
{
	uint64_t ring[4] = { 0 }, doorbell = 0;

	ring[0] = 0x1000;
	nio_dma_wmb();
	ring[1] = 1;
	nio_wmb();
	nio_mmio_write32(&doorbell, 0, 1);
	nio_mb();
	ASSERT_EQ(1, nio_mmio_read32(&doorbell, 0));
	nio_rmb();
	nio_dma_rmb();
	ASSERT_EQ(0x1000, ring[0]);
}

TEST(cxx_sees_the_same_header)
{
	struct bar bar;

	memset(&bar, 0, sizeof(bar));
	ASSERT_EQ(1, mmio_cxx_round_trip(&bar));
	ASSERT_EQ(0x12, bar.b[0]);
	ASSERT_EQ(0x0123456789abcdefULL, nio_mmio_read64(&bar, 8));
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/* Segment lists: building from GET_PA runs and pagemap, lookup by offset. */
#include <errno.h>
#include <string.h>

#include "kselftest_harness.h"
#include "internal.h"

#define PAGE 4096ULL
#define PRESENT (1ULL << 63)

/* A fake GET_PA over a table of physical runs: answers like the kernel,
 * capped at max, and counts its calls. */
struct fake_runs {
	const uint64_t *pa;	/* physical address of each run */
	const uint64_t *len;	/* length of each run */
	int n;
	int calls;
	int fail_at;		/* call number that fails, or -1 */
};

static int fake_query(void *arg, size_t off, uint64_t max, uint64_t *addr,
		      uint64_t *len)
{
	struct fake_runs *f = arg;
	size_t start = 0;
	int i;

	if (f->calls++ == f->fail_at)
		return -ENOENT;
	for (i = 0; i < f->n; start += f->len[i], i++) {
		if (off < start + f->len[i]) {
			*addr = f->pa[i] + (off - start);
			*len = start + f->len[i] - off;
			if (*len > max)
				*len = max;
			return 0;
		}
	}
	return -ENOENT;
}

TEST(one_query_per_physical_run)
{
	const uint64_t pa[] = { 0x100000, 0x500000, 0x200000 };
	const uint64_t len[] = { 3 * PAGE, PAGE, 2 * PAGE };
	struct fake_runs f = { pa, len, 3, 0, -1 };
	struct nioi_segs s = { 0 };

	ASSERT_EQ(0, nioi_segs_from_runs(&s, 6 * PAGE, fake_query, &f));
	ASSERT_EQ(3, f.calls);
	ASSERT_EQ(3, s.n);
	ASSERT_EQ(0, s.v[0].offset);
	ASSERT_EQ(0x100000, s.v[0].addr);
	ASSERT_EQ(3 * PAGE, s.v[0].len);
	ASSERT_EQ(3 * PAGE, s.v[1].offset);
	ASSERT_EQ(0x500000, s.v[1].addr);
	ASSERT_EQ(4 * PAGE, s.v[2].offset);
	ASSERT_EQ(2 * PAGE, s.v[2].len);
	nioi_segs_free(&s);
}

TEST(adjacent_runs_merge)
{
	/* Two runs the query reports separately but that touch */
	const uint64_t pa[] = { 0x100000, 0x100000 + 2 * PAGE };
	const uint64_t len[] = { 2 * PAGE, 2 * PAGE };
	struct fake_runs f = { pa, len, 2, 0, -1 };
	struct nioi_segs s = { 0 };

	ASSERT_EQ(0, nioi_segs_from_runs(&s, 4 * PAGE, fake_query, &f));
	ASSERT_EQ(1, s.n);
	ASSERT_EQ(4 * PAGE, s.v[0].len);
	nioi_segs_free(&s);
}

TEST(a_buffer_shorter_than_its_run_is_capped)
{
	const uint64_t pa[] = { 0x100000 };
	const uint64_t len[] = { 16 * PAGE };
	struct fake_runs f = { pa, len, 1, 0, -1 };
	struct nioi_segs s = { 0 };

	ASSERT_EQ(0, nioi_segs_from_runs(&s, 5 * PAGE, fake_query, &f));
	ASSERT_EQ(1, s.n);
	ASSERT_EQ(5 * PAGE, s.v[0].len);
	nioi_segs_free(&s);
}

TEST(query_failure_is_returned)
{
	const uint64_t pa[] = { 0x100000, 0x300000 };
	const uint64_t len[] = { PAGE, PAGE };
	struct fake_runs f = { pa, len, 2, 0, 1 };
	struct nioi_segs s = { 0 };

	ASSERT_EQ(-ENOENT, nioi_segs_from_runs(&s, 2 * PAGE, fake_query, &f));
	nioi_segs_free(&s);
}

static int zero_run(void *arg, size_t off, uint64_t max, uint64_t *addr,
		    uint64_t *len)
{
	(void)arg; (void)off; (void)max;
	*addr = 0x1000;
	*len = 0;
	return 0;
}

static int long_run(void *arg, size_t off, uint64_t max, uint64_t *addr,
		    uint64_t *len)
{
	(void)arg; (void)off;
	*addr = 0x1000;
	*len = max + PAGE;
	return 0;
}

TEST(bogus_answers_are_refused_not_looped_on)
{
	struct nioi_segs s = { 0 };

	ASSERT_EQ(-EIO, nioi_segs_from_runs(&s, PAGE, zero_run, NULL));
	ASSERT_NE(NULL, strstr(nio_errmsg(), "run of 0 bytes"));
	ASSERT_EQ(-EIO, nioi_segs_from_runs(&s, PAGE, long_run, NULL));
	nioi_segs_free(&s);
}

TEST(pagemap_entries_to_runs)
{
	const uint64_t e[] = {
		PRESENT | 0x100, PRESENT | 0x101, PRESENT | 0x102,
		PRESENT | 0x200, PRESENT | 0x1ff, PRESENT | 0x201,
	};
	struct nioi_segs s = { 0 };

	ASSERT_EQ(0, nioi_segs_from_pagemap(&s, e, 6));
	ASSERT_EQ(4, s.n);
	ASSERT_EQ(0x100 * PAGE, s.v[0].addr);
	ASSERT_EQ(3 * PAGE, s.v[0].len);
	ASSERT_EQ(0x200 * PAGE, s.v[1].addr);
	ASSERT_EQ(0x1ff * PAGE, s.v[2].addr);
	ASSERT_EQ(5 * PAGE, s.v[3].offset);
	nioi_segs_free(&s);
}

TEST(pagemap_without_pfns_or_pages)
{
	const uint64_t hidden[] = { PRESENT | 0 };
	const uint64_t absent[] = { PRESENT | 5, 0 };
	struct nioi_segs s = { 0 };

	ASSERT_EQ(-EPERM, nioi_segs_from_pagemap(&s, hidden, 1));
	ASSERT_NE(NULL, strstr(nio_errmsg(), "CAP_SYS_ADMIN"));
	nioi_segs_free(&s);
	ASSERT_EQ(-EFAULT, nioi_segs_from_pagemap(&s, absent, 2));
	ASSERT_NE(NULL, strstr(nio_errmsg(), "page 1"));
	nioi_segs_free(&s);
}

TEST(lookup_every_offset)
{
	const struct nio_segment v[] = {
		{ 0, 0x10000, PAGE },
		{ PAGE, 0x50000, 3 * PAGE },
		{ 4 * PAGE, 0x20000, PAGE },
	};
	struct nio_dma dma = { .size = 5 * PAGE, .nsegs = 3, .segs = v };
	size_t contig;

	ASSERT_EQ(0x10000, nio_dma_addr(&dma, 0, &contig));
	ASSERT_EQ(PAGE, contig);
	ASSERT_EQ(0x10fff, nio_dma_addr(&dma, PAGE - 1, &contig));
	ASSERT_EQ(1, contig);
	ASSERT_EQ(0x50000, nio_dma_addr(&dma, PAGE, &contig));
	ASSERT_EQ(3 * PAGE, contig);
	ASSERT_EQ(0x50000 + 2 * PAGE + 7, nio_dma_addr(&dma, 3 * PAGE + 7, &contig));
	ASSERT_EQ(PAGE - 7, contig);
	ASSERT_EQ(0x20000 + PAGE - 1, nio_dma_addr(&dma, 5 * PAGE - 1, NULL));
	ASSERT_EQ(NIO_BAD_ADDR, nio_dma_addr(&dma, 5 * PAGE, NULL));
	ASSERT_EQ(NIO_BAD_ADDR, nio_dma_addr(&dma, SIZE_MAX, NULL));
	dma.nsegs = 0;
	ASSERT_EQ(NIO_BAD_ADDR, nio_dma_addr(&dma, 0, NULL));
}

TEST(lookup_in_a_large_list)
{
	struct nioi_segs s = { 0 };
	struct nio_dma dma;
	size_t i;

	/* 4096 scattered pages: every lookup lands in its own page */
	for (i = 0; i < 4096; i++)
		ASSERT_EQ(0, nioi_segs_add(&s, i * PAGE, (4096 - i) * 2 * PAGE, PAGE));
	dma = (struct nio_dma){ .size = 4096 * PAGE, .nsegs = s.n, .segs = s.v };
	for (i = 0; i < 4096; i++)
		ASSERT_EQ((4096 - i) * 2 * PAGE + 5, nio_dma_addr(&dma, i * PAGE + 5, NULL));
	nioi_segs_free(&s);
}

TEST_HARNESS_MAIN

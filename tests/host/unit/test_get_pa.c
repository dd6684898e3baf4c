// SPDX-License-Identifier: GPL-2.0
/*
 * libnoiommu's no-IOMMU cdev path against the fake IOMMUFD of
 * fake_iommufd.c, answering as merged mainline, as the pre-merge series
 * and as a kernel without GET_PA do.
 *
 * The library must never send length 0, must build exact segment lists on
 * both kernels, and must explain each kernel's refusals.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "fake_iommufd.h"
#include "fake_root.h"
#include "noiommu.h"

#define PAGE FAKE_PAGE

FIXTURE(kernel) {
	struct fake_session s;
	struct nio_ctx *ctx;		/* s.ctx and s.dev, for short */
	struct nio_device *dev;
};

FIXTURE_VARIANT(kernel) {
	enum fake_kernel kernel;
};

FIXTURE_VARIANT_ADD(kernel, mainline) { .kernel = MAINLINE };
FIXTURE_VARIANT_ADD(kernel, pre_merge) { .kernel = PRE_MERGE };

FIXTURE_SETUP(kernel)
{
	ASSERT_EQ(0, fake_session_open(&self->s, variant->kernel))
		TH_LOG("%s", nio_errmsg());
	self->ctx = self->s.ctx;
	self->dev = self->s.dev;
}

FIXTURE_TEARDOWN(kernel)
{
	self->s.ctx = self->ctx;	/* a test may have made a new one */
	fake_session_close(&self->s);
}

/* Every byte's device address is the fake physical address of that byte */
static void check_segments(struct __test_metadata *_metadata,
			   const struct nio_dma *d)
{
	size_t off, contig;

	for (off = 0; off < d->size; off += PAGE / 2) {
		uint64_t addr = nio_dma_addr(d, off, &contig);

		ASSERT_EQ(fake_pa((uintptr_t)d->vaddr + off), addr);
		ASSERT_GE(d->size - off, contig);
		ASSERT_EQ(fake_pa((uintptr_t)d->vaddr + off + contig - 1),
			  addr + contig - 1);
	}
}

TEST_F(kernel, segments_follow_the_physical_runs)
{
	struct nio_dma *d;

	ASSERT_EQ(0, nio_dma_alloc(self->ctx, 16 * PAGE, NIO_DMA_SMALL, &d))
		TH_LOG("%s", nio_errmsg());
	check_segments(_metadata, d);
	ASSERT_EQ(0, fk.zero_length_calls);
	ASSERT_EQ(0, nio_dma_free(self->ctx, d));
}

/*
 * Two buffers whose memory is physically adjacent: each buffer's segments
 * end with the buffer, on a kernel whose runs stop at the mapping and on
 * one whose runs go on into the neighbour.
 */
TEST_F(kernel, segments_never_leave_their_buffer)
{
	char *mem = aligned_alloc(PAGE, 9 * PAGE), *start;
	struct nio_dma *a, *b;

	ASSERT_NE(NULL, mem);
	memset(mem, 0, 9 * PAGE);
	/*
	 * Pages 3k..3k+2 of the fake layout are contiguous: start at such a
	 * page so that the buffers split a physical run between them.
	 */
	start = mem + (3 - (uintptr_t)mem / PAGE % 3) % 3 * PAGE;
	ASSERT_EQ(fake_pa((uintptr_t)start + PAGE) + PAGE,
		  fake_pa((uintptr_t)start + 2 * PAGE));
	ASSERT_EQ(0, nio_dma_map(self->ctx, start, 2 * PAGE, 0, &a))
		TH_LOG("%s", nio_errmsg());
	ASSERT_EQ(0, nio_dma_map(self->ctx, start + 2 * PAGE, 4 * PAGE, 0, &b))
		TH_LOG("%s", nio_errmsg());
	check_segments(_metadata, a);
	check_segments(_metadata, b);
	ASSERT_EQ(0, fk.zero_length_calls);
	ASSERT_EQ(0, nio_dma_free(self->ctx, b));
	ASSERT_EQ(0, nio_dma_free(self->ctx, a));
	free(mem);
}

/* Each kernel's answer once no page table holds the memory, explained */
/*
 * NIO_DMA_CONTIG means one run for the device or nothing: the fake
 * kernel's runs are 3 pages long, so 4 pages are never one run. (In the
 * lab's guests fresh pages may happen to be contiguous.)
 */
TEST_F(kernel, contig_is_one_run_or_refused)
{
	struct nio_dma *d = NULL;
	void *mem = aligned_alloc(PAGE, 4 * PAGE);

	ASSERT_NE(NULL, mem);
	ASSERT_EQ(-ENOMEM, nio_dma_alloc(self->ctx, 4 * PAGE,
					 NIO_DMA_CONTIG | NIO_DMA_SMALL, &d));
	ASSERT_NE(NULL, strstr(nio_errmsg(), "contiguous for the device"))
		TH_LOG("%s", nio_errmsg());
	ASSERT_EQ(-EINVAL, nio_dma_map(self->ctx, mem, 4 * PAGE,
				       NIO_DMA_CONTIG, &d));
	ASSERT_NE(NULL, strstr(nio_errmsg(), "separate runs"))
		TH_LOG("%s", nio_errmsg());
	/* Neither left anything mapped */
	ASSERT_EQ(0, fk.nr_areas);
	ASSERT_EQ(0, nio_dma_alloc(self->ctx, PAGE, NIO_DMA_CONTIG | NIO_DMA_SMALL,
				   &d));
	ASSERT_EQ(1, d->nsegs);
	ASSERT_EQ(0, nio_dma_free(self->ctx, d));
	free(mem);
}

TEST_F(kernel, lookup_without_a_page_table_is_explained)
{
	struct nio_dma *d;

	fk.attached = false;
	ASSERT_GT(0, nio_dma_alloc(self->ctx, 4 * PAGE, NIO_DMA_SMALL, &d));
	if (variant->kernel == MAINLINE) {
		ASSERT_NE(NULL, strstr(nio_errmsg(), "no no-IOMMU page table holds this memory"))
			TH_LOG("%s", nio_errmsg());
	} else {
		ASSERT_NE(NULL, strstr(nio_errmsg(), "No such device"))
			TH_LOG("%s", nio_errmsg());
	}
	/* The failed allocation left nothing mapped */
	ASSERT_EQ(0, fk.nr_areas);
}

TEST(kernel_without_get_pa)
{
	const char *root = fake_root_create(true, true);
	struct nio_device *dev;
	struct nio_ctx *ctx;

	fake_iommufd_reset(NO_GET_PA);
	nio_set_root(root);
	ASSERT_EQ(0, nio_ctx_new(&ctx));
	ASSERT_EQ(-EOPNOTSUPP, nio_device_open(ctx, "01:00.0", NULL, &dev));
	ASSERT_NE(NULL, strstr(nio_errmsg(), "CONFIG_IOMMUFD_NOIOMMU"))
		TH_LOG("%s", nio_errmsg());
	ASSERT_EQ(0, fk.zero_length_calls);
	nio_ctx_free(ctx);
	nio_set_root(NULL);
	fake_root_remove(root);
}

/* The status probe is a well formed request on every kernel */
TEST(status_probe)
{
	const char *root = fake_root_create(true, true);
	struct nio_status st = NIO_SIZED_INIT(st);

	fake_iommufd_reset(MAINLINE);
	nio_set_root(root);
	ASSERT_EQ(0, nio_status_read(&st));
	ASSERT_EQ(1, st.get_pa);
	ASSERT_EQ(1, fk.get_pa_calls);
	ASSERT_EQ(0, fk.zero_length_calls);
	fk.kernel = NO_GET_PA;
	ASSERT_EQ(0, nio_status_read(&st));
	ASSERT_EQ(0, st.get_pa);
	nio_set_root(NULL);
	fake_root_remove(root);
}

TEST_HARNESS_MAIN

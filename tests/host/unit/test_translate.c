// SPDX-License-Identifier: GPL-2.0
/*
 * nio_vtophys() and nio_ptr_from_addr() on the no-IOMMU cdev path, against
 * the fake IOMMUFD: every byte of every buffer translates to the fake
 * physical address of that byte and back, the contiguous lengths follow
 * the fake's three-page physical runs, and nothing outside a live buffer
 * translates at all.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "fake_iommufd.h"
#include "fake_root.h"
#include "noiommu.h"

#define PAGE FAKE_PAGE

FIXTURE(xlate) {
	struct fake_session s;
	struct nio_ctx *ctx;		/* s.ctx and s.dev, for short */
	struct nio_device *dev;
};

FIXTURE_SETUP(xlate)
{
	ASSERT_EQ(0, fake_session_open(&self->s, MAINLINE))
		TH_LOG("%s", nio_errmsg());
	self->ctx = self->s.ctx;
	self->dev = self->s.dev;
}

FIXTURE_TEARDOWN(xlate)
{
	self->s.ctx = self->ctx;	/* a test may have made a new one */
	fake_session_close(&self->s);
}

/* Bytes physically contiguous from va to the end of its fake run or len. */
static size_t fake_contig(uintptr_t va, size_t len)
{
	size_t n = PAGE - va % PAGE;

	while (n < len && fake_pa(va + n) == fake_pa(va) + n)
		n += PAGE;
	return n < len ? n : len;
}

/* Both directions agree with the fake for byte off of d. */
static void check_byte(struct __test_metadata *_metadata,
		       struct nio_ctx *ctx, const struct nio_dma *d, size_t off)
{
	uintptr_t va = (uintptr_t)d->vaddr + off;
	size_t contig = 0, want_contig = fake_contig(va, d->size - off);
	size_t dma_contig = 0;
	uint64_t addr = nio_vtophys(ctx, (void *)va, &contig);

	ASSERT_EQ(fake_pa(va), addr) TH_LOG("offset %zu", off);
	ASSERT_EQ(want_contig, contig) TH_LOG("offset %zu", off);
	ASSERT_EQ(nio_dma_addr(d, off, &dma_contig), addr);
	ASSERT_EQ(dma_contig, contig);
	contig = 0;
	ASSERT_EQ((void *)va, nio_ptr_from_addr(ctx, addr, &contig));
	ASSERT_EQ(want_contig, contig) TH_LOG("offset %zu", off);
}

/*
 * In a context that holds only d, the bytes just outside it translate to
 * nothing, either way.
 */
static void check_edges(struct __test_metadata *_metadata,
			struct nio_ctx *ctx, const struct nio_dma *d)
{
	const char *p = d->vaddr;

	ASSERT_EQ(NIO_BAD_ADDR, nio_vtophys(ctx, p - 1, NULL));
	ASSERT_EQ(NIO_BAD_ADDR, nio_vtophys(ctx, p + d->size, NULL));
	ASSERT_NE(NULL, strstr(nio_errmsg(), "no DMA buffer of this context"))
		TH_LOG("%s", nio_errmsg());
	ASSERT_EQ(NULL, nio_ptr_from_addr(ctx, nio_dma_addr(d, 0, NULL) - 1,
					  NULL));
	ASSERT_EQ(NULL, nio_ptr_from_addr(ctx, nio_dma_addr(d, d->size - 1,
							    NULL) + 1, NULL));
}

TEST_F(xlate, one_buffer_every_byte_and_edge)
{
	struct nio_dma *d;
	size_t off, contig;

	ASSERT_EQ(0, nio_dma_alloc(self->ctx, 10 * PAGE, NIO_DMA_SMALL, &d))
		TH_LOG("%s", nio_errmsg());
	/* The fake's runs of three pages split ten pages at least thrice */
	ASSERT_LE(4, d->nsegs);
	for (off = 0; off < d->size; off += 64)
		check_byte(_metadata, self->ctx, d, off);
	check_byte(_metadata, self->ctx, d, d->size - 1);
	check_edges(_metadata, self->ctx, d);
	/* Last byte: one byte left */
	nio_vtophys(self->ctx, (char *)d->vaddr + d->size - 1, &contig);
	ASSERT_EQ(1, contig);
	/* contig may be NULL */
	ASSERT_EQ(nio_dma_addr(d, 5, NULL),
		  nio_vtophys(self->ctx, (char *)d->vaddr + 5, NULL));
	ASSERT_EQ((char *)d->vaddr + 5,
		  nio_ptr_from_addr(self->ctx, nio_dma_addr(d, 5, NULL), NULL));
	ASSERT_EQ(0, nio_dma_free(self->ctx, d));
}

/* contig follows each segment: it ends exactly where the next begins */
TEST_F(xlate, contig_ends_at_every_segment_boundary)
{
	struct nio_dma *d;
	size_t i, contig;

	ASSERT_EQ(0, nio_dma_alloc(self->ctx, 32 * PAGE, NIO_DMA_SMALL, &d))
		TH_LOG("%s", nio_errmsg());
	ASSERT_LT(1, d->nsegs);
	for (i = 0; i < d->nsegs; i++) {
		const struct nio_segment *s = &d->segs[i];
		const char *first = (char *)d->vaddr + s->offset;
		const char *last = first + s->len - 1;

		ASSERT_EQ(s->addr, nio_vtophys(self->ctx, first, &contig));
		ASSERT_EQ(s->len, contig);
		ASSERT_EQ(s->addr + s->len - 1,
			  nio_vtophys(self->ctx, last, &contig));
		ASSERT_EQ(1, contig);
		ASSERT_EQ(first, nio_ptr_from_addr(self->ctx, s->addr, &contig));
		ASSERT_EQ(s->len, contig);
		ASSERT_EQ(last, nio_ptr_from_addr(self->ctx,
						  s->addr + s->len - 1,
						  &contig));
		ASSERT_EQ(1, contig);
	}
	ASSERT_EQ(0, nio_dma_free(self->ctx, d));
}

TEST_F(xlate, empty_context_and_freed_buffer_translate_to_nothing)
{
	struct nio_dma *d;
	uint64_t addr;
	void *va;

	ASSERT_EQ(NIO_BAD_ADDR, nio_vtophys(self->ctx, &addr, NULL));
	ASSERT_EQ(NULL, nio_ptr_from_addr(self->ctx, 0x40000000, NULL));
	ASSERT_EQ(0, nio_dma_alloc(self->ctx, 4 * PAGE, NIO_DMA_SMALL, &d));
	va = d->vaddr;
	addr = nio_vtophys(self->ctx, va, NULL);
	ASSERT_NE(NIO_BAD_ADDR, addr);
	ASSERT_EQ(0, nio_dma_free(self->ctx, d));
	ASSERT_EQ(NIO_BAD_ADDR, nio_vtophys(self->ctx, va, NULL));
	ASSERT_EQ(NULL, nio_ptr_from_addr(self->ctx, addr, NULL));
}

/* Caller memory mapped with nio_dma_map() translates like allocated memory */
TEST_F(xlate, mapped_memory)
{
	char *mem = mmap(NULL, 7 * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	struct nio_dma *d;
	size_t off;

	ASSERT_NE(MAP_FAILED, mem);
	ASSERT_EQ(0, nio_dma_map(self->ctx, mem, 7 * PAGE, 0, &d))
		TH_LOG("%s", nio_errmsg());
	for (off = 0; off < d->size; off += 100)
		check_byte(_metadata, self->ctx, d, off);
	check_edges(_metadata, self->ctx, d);
	ASSERT_EQ(0, nio_dma_free(self->ctx, d));
	ASSERT_EQ(NIO_BAD_ADDR, nio_vtophys(self->ctx, mem, NULL));
	munmap(mem, 7 * PAGE);
}

/*
 * Many buffers, sizes 1..5 pages, allocated in one go: every one
 * translates both ways; after freeing every other one, the freed ones
 * translate to nothing and the others still do.
 */
#define MANY 600

TEST_F(xlate, many_buffers_then_every_other_freed)
{
	struct nio_dma **d = calloc(MANY, sizeof(*d));
	uint64_t *first = calloc(MANY, sizeof(*first));
	void **va = calloc(MANY, sizeof(*va));
	size_t i, off;

	ASSERT_NE(NULL, d);
	for (i = 0; i < MANY; i++) {
		ASSERT_EQ(0, nio_dma_alloc(self->ctx, (1 + i % 5) * PAGE,
					   NIO_DMA_SMALL, &d[i]))
			TH_LOG("%zu: %s", i, nio_errmsg());
		va[i] = d[i]->vaddr;
		first[i] = nio_dma_addr(d[i], 0, NULL);
	}
	for (i = 0; i < MANY; i++) {
		for (off = 0; off < d[i]->size; off += 1000)
			check_byte(_metadata, self->ctx, d[i], off);
		check_byte(_metadata, self->ctx, d[i], d[i]->size - 1);
	}
	for (i = 0; i < MANY; i += 2)
		ASSERT_EQ(0, nio_dma_free(self->ctx, d[i]));
	for (i = 0; i < MANY; i++) {
		if (i % 2 == 0) {
			ASSERT_EQ(NIO_BAD_ADDR,
				  nio_vtophys(self->ctx, va[i], NULL));
			ASSERT_EQ(NULL, nio_ptr_from_addr(self->ctx, first[i],
							  NULL));
			continue;
		}
		check_byte(_metadata, self->ctx, d[i], 0);
		check_byte(_metadata, self->ctx, d[i], d[i]->size - 1);
	}
	free(d);
	free(first);
	free(va);
}

/*
 * The same memory mapped twice, the second time only its middle pages:
 * a lookup past the small mapping must step back to the large one, and
 * freeing either mapping leaves the other translating.
 */
TEST_F(xlate, overlapping_mappings)
{
	char *mem = mmap(NULL, 8 * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	struct nio_dma *big, *small;
	size_t off, contig;

	ASSERT_NE(MAP_FAILED, mem);
	ASSERT_EQ(0, nio_dma_map(self->ctx, mem, 8 * PAGE, 0, &big));
	ASSERT_EQ(0, nio_dma_map(self->ctx, mem + 2 * PAGE, PAGE, 0, &small));
	for (off = 0; off < 8 * PAGE; off += 512) {
		uint64_t addr = nio_vtophys(self->ctx, mem + off, &contig);

		ASSERT_EQ(fake_pa((uintptr_t)mem + off), addr)
			TH_LOG("offset %zu", off);
		ASSERT_EQ(mem + off, nio_ptr_from_addr(self->ctx, addr, NULL));
	}
	/* Past the small mapping: the big one answers, to its own end */
	nio_vtophys(self->ctx, mem + 5 * PAGE, &contig);
	ASSERT_EQ(fake_contig((uintptr_t)mem + 5 * PAGE, 3 * PAGE), contig);
	ASSERT_EQ(0, nio_dma_free(self->ctx, big));
	ASSERT_EQ(NIO_BAD_ADDR, nio_vtophys(self->ctx, mem + 5 * PAGE, NULL));
	ASSERT_EQ(fake_pa((uintptr_t)mem + 2 * PAGE + 7),
		  nio_vtophys(self->ctx, mem + 2 * PAGE + 7, NULL));
	ASSERT_EQ(0, nio_dma_map(self->ctx, mem, 8 * PAGE, 0, &big));
	ASSERT_EQ(0, nio_dma_free(self->ctx, small));
	ASSERT_EQ(fake_pa((uintptr_t)mem + 2 * PAGE + 7),
		  nio_vtophys(self->ctx, mem + 2 * PAGE + 7, NULL));
	ASSERT_EQ(0, nio_dma_free(self->ctx, big));
	ASSERT_EQ(NIO_BAD_ADDR, nio_vtophys(self->ctx, mem, NULL));
	munmap(mem, 8 * PAGE);
}

/*
 * Lookups in two threads while this one allocates and frees buffers
 * around theirs: the buffer they look at always translates, and right.
 */
struct reader {
	struct nio_ctx *ctx;
	const struct nio_dma *d;
	volatile bool *stop;
	unsigned long lookups, wrong;
};

static void *read_loop(void *arg)
{
	struct reader *r = arg;
	size_t off = 0;

	while (!*r->stop) {
		const char *p = (char *)r->d->vaddr + off;
		uint64_t addr = nio_vtophys(r->ctx, p, NULL);

		if (addr != fake_pa((uintptr_t)p) ||
		    nio_ptr_from_addr(r->ctx, addr, NULL) != p)
			r->wrong++;
		r->lookups++;
		off = (off + 4093) % r->d->size;
	}
	return NULL;
}

TEST_F(xlate, lookups_race_alloc_and_free)
{
	struct reader r[2];
	volatile bool stop = false;
	struct nio_dma *d, *churn[8] = { 0 };
	pthread_t t[2];
	unsigned int i;

	ASSERT_EQ(0, nio_dma_alloc(self->ctx, 6 * PAGE, NIO_DMA_SMALL, &d));
	for (i = 0; i < 2; i++) {
		r[i] = (struct reader){ self->ctx, d, &stop, 0, 0 };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, read_loop, &r[i]));
	}
	for (i = 0; i < 4000; i++) {
		struct nio_dma **slot = &churn[i % 8];

		if (*slot)
			ASSERT_EQ(0, nio_dma_free(self->ctx, *slot));
		ASSERT_EQ(0, nio_dma_alloc(self->ctx, (1 + i % 3) * PAGE,
					   NIO_DMA_SMALL, slot));
	}
	stop = true;
	for (i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		ASSERT_EQ(0, r[i].wrong);
		ASSERT_LT(0, r[i].lookups);
	}
}

TEST_HARNESS_MAIN

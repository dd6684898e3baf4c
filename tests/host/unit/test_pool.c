// SPDX-License-Identifier: GPL-2.0
/*
 * nio_pool_alloc() and nio_pool_free() on the no-IOMMU cdev path, against
 * the fake IOMMUFD, whose pages are physically contiguous only in runs of
 * three: objects are aligned both ways, never straddle a discontinuity,
 * never overlap, come zeroed, and the pool pins and unpins chunks as it
 * grows and shrinks.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "fake_iommufd.h"
#include "fake_root.h"
#include "noiommu.h"

#define PAGE FAKE_PAGE

FIXTURE(pool) {
	struct fake_session s;
	struct nio_ctx *ctx;		/* s.ctx and s.dev, for short */
	struct nio_device *dev;
};

FIXTURE_SETUP(pool)
{
	ASSERT_EQ(0, fake_session_open(&self->s, MAINLINE))
		TH_LOG("%s", nio_errmsg());
	self->ctx = self->s.ctx;
	self->dev = self->s.dev;
}

FIXTURE_TEARDOWN(pool)
{
	self->s.ctx = self->ctx;	/* a test may have made a new one */
	fake_session_close(&self->s);
}

static size_t slot_size(size_t size, size_t align)
{
	size_t slot = 64;

	while (slot < size || slot < align)
		slot *= 2;
	return slot;
}

/* One object: device address right, aligned both ways, contiguous, zeroed */
static void check_object(struct __test_metadata *_metadata,
			 struct nio_ctx *ctx, const void *p, uint64_t addr,
			 size_t size, size_t align)
{
	size_t slot = slot_size(size, align), contig = 0, i;

	ASSERT_EQ(fake_pa((uintptr_t)p), addr);
	ASSERT_EQ(addr, nio_vtophys(ctx, p, &contig));
	ASSERT_LE(size, contig) TH_LOG("%zu-byte object at %p", size, p);
	ASSERT_EQ(0, (uintptr_t)p % slot);
	ASSERT_EQ(0, addr % slot);
	for (i = 0; i < size; i++)
		ASSERT_EQ(0, ((const uint8_t *)p)[i]);
}

TEST_F(pool, sizes_and_alignments)
{
	static const size_t sizes[] = { 1, 63, 64, 65, 100, 512, 1000, 2048,
					3000, 4096 };
	static const size_t aligns[] = { 0, 1, 8, 64, 256, 4096 };
	size_t i, j;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		for (j = 0; j < ARRAY_SIZE(aligns); j++) {
			uint64_t addr;
			void *p;

			ASSERT_EQ(0, nio_pool_alloc(self->ctx, sizes[i],
						    aligns[j], &p, &addr))
				TH_LOG("%s", nio_errmsg());
			check_object(_metadata, self->ctx, p, addr, sizes[i],
				     aligns[j]);
			memset(p, 0xa5, sizes[i]);
		}
	}
	/* addr may be NULL */
	{
		void *p;

		ASSERT_EQ(0, nio_pool_alloc(self->ctx, 8, 0, &p, NULL));
		ASSERT_NE(NIO_BAD_ADDR, nio_vtophys(self->ctx, p, NULL));
	}
}

TEST_F(pool, bad_arguments)
{
	void *p = NULL;

	ASSERT_EQ(-EINVAL, nio_pool_alloc(self->ctx, 0, 0, &p, NULL));
	ASSERT_EQ(-EINVAL, nio_pool_alloc(self->ctx, 4097, 0, &p, NULL));
	ASSERT_NE(NULL, strstr(nio_errmsg(), "1 to 4096 bytes"))
		TH_LOG("%s", nio_errmsg());
	ASSERT_EQ(-EINVAL, nio_pool_alloc(self->ctx, 64, 3, &p, NULL));
	ASSERT_EQ(-EINVAL, nio_pool_alloc(self->ctx, 64, 8192, &p, NULL));
	ASSERT_NE(NULL, strstr(nio_errmsg(), "power of two"))
		TH_LOG("%s", nio_errmsg());
	ASSERT_EQ(NULL, p);
	ASSERT_EQ(0, nio_pool_free(self->ctx, NULL));
	ASSERT_EQ(-EINVAL, nio_pool_free(self->ctx, &p));
	ASSERT_NE(NULL, strstr(nio_errmsg(), "not an object of this context's pool"))
		TH_LOG("%s", nio_errmsg());
}

TEST_F(pool, free_catches_interior_pointers_and_double_frees)
{
	char *p, *q;
	uint64_t addr;

	ASSERT_EQ(0, nio_pool_alloc(self->ctx, 256, 0, (void **)&p, &addr));
	ASSERT_EQ(0, nio_pool_alloc(self->ctx, 256, 0, (void **)&q, &addr));
	ASSERT_EQ(-EINVAL, nio_pool_free(self->ctx, p + 8));
	ASSERT_NE(NULL, strstr(nio_errmsg(), "not the start of an object"))
		TH_LOG("%s", nio_errmsg());
	ASSERT_EQ(0, nio_pool_free(self->ctx, p));
	ASSERT_EQ(-EINVAL, nio_pool_free(self->ctx, p));
	ASSERT_NE(NULL, strstr(nio_errmsg(), "already free"))
		TH_LOG("%s", nio_errmsg());
	/* A page of the chunk holding no object at all */
	ASSERT_EQ(-EINVAL, nio_pool_free(self->ctx, q + 16 * PAGE));
	ASSERT_EQ(0, nio_pool_free(self->ctx, q));
}

TEST_F(pool, no_device_no_pool)
{
	struct nio_ctx *ctx;
	void *p;

	ASSERT_EQ(0, nio_ctx_new(&ctx));
	ASSERT_EQ(-EINVAL, nio_pool_alloc(ctx, 64, 0, &p, NULL));
	ASSERT_NE(NULL, strstr(nio_errmsg(), "open a device"))
		TH_LOG("%s", nio_errmsg());
	nio_ctx_free(ctx);
}

static int by_address(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Thousands of objects of every size: none overlaps another, each keeps
 * what was written to it, and once all are back the pool has unpinned
 * every chunk but one.
 */
#define MANY 3000

TEST_F(pool, many_objects_grow_and_shrink_the_pool)
{
	uintptr_t (*objs)[2] = calloc(MANY, sizeof(*objs));
	unsigned int seed = 1, areas;
	size_t i;

	ASSERT_NE(NULL, objs);
	for (i = 0; i < MANY; i++) {
		size_t size = 1 + rand_r(&seed) % NIO_POOL_MAX_SIZE;
		uint64_t addr;
		void *p;

		if (i % 3)
			size %= 256;	/* mostly small, as in real use */
		size += !size;
		ASSERT_EQ(0, nio_pool_alloc(self->ctx, size, 0, &p, &addr))
			TH_LOG("%zu: %s", i, nio_errmsg());
		check_object(_metadata, self->ctx, p, addr, size, 0);
		memset(p, (int)(i & 0xff), size);
		objs[i][0] = (uintptr_t)p;
		objs[i][1] = size;
	}
	areas = fk.nr_areas;
	ASSERT_LT(10, areas);	/* it did need many chunks */
	for (i = 0; i < MANY; i++)
		ASSERT_EQ((uint8_t)i, *(uint8_t *)(objs[i][0] + objs[i][1] - 1));
	qsort(objs, MANY, sizeof(*objs), by_address);
	for (i = 1; i < MANY; i++)
		ASSERT_LE(objs[i - 1][0] + objs[i - 1][1], objs[i][0]);
	for (i = 0; i < MANY; i++)
		ASSERT_EQ(0, nio_pool_free(self->ctx, (void *)objs[i][0]));
	ASSERT_EQ(1, fk.nr_areas);
	/* The chunk kept is used again: no new pinning */
	for (i = 0; i < 32; i++) {
		void *p;

		ASSERT_EQ(0, nio_pool_alloc(self->ctx, 4096, 0, &p, NULL));
	}
	ASSERT_EQ(1, fk.nr_areas);
	free(objs);
}

/* A freed slot is handed out again, zeroed */
TEST_F(pool, freed_objects_come_back_zeroed)
{
	uint64_t a1, a2;
	void *p, *q;

	ASSERT_EQ(0, nio_pool_alloc(self->ctx, 128, 0, &p, &a1));
	memset(p, 0xff, 128);
	ASSERT_EQ(0, nio_pool_free(self->ctx, p));
	ASSERT_EQ(0, nio_pool_alloc(self->ctx, 100, 0, &q, &a2));
	ASSERT_EQ(p, q);
	ASSERT_EQ(a1, a2);
	check_object(_metadata, self->ctx, q, a2, 100, 0);
}

/* nio_ctx_free() takes objects still allocated with it (ASan: no leak) */
TEST_F(pool, ctx_free_frees_what_is_left)
{
	void *p;
	int i;

	for (i = 0; i < 100; i++)
		ASSERT_EQ(0, nio_pool_alloc(self->ctx, 2048, 0, &p, NULL));
	ASSERT_LT(0, fk.nr_areas);
	nio_ctx_free(self->ctx);
	ASSERT_EQ(0, fk.nr_areas);
	ASSERT_EQ(0, nio_ctx_new(&self->ctx));	/* for the teardown */
}

/* Two threads allocating and freeing at once get distinct objects */
struct worker {
	struct nio_ctx *ctx;
	unsigned int seed;
	uint8_t tag;
	unsigned long bad;
};

static void *churn(void *arg)
{
	struct worker *w = arg;
	void *held[64] = { 0 };
	unsigned int i;

	for (i = 0; i < 20000; i++) {
		void **slot = &held[rand_r(&w->seed) % 64];
		size_t size = 64 << (rand_r(&w->seed) % 7);

		if (*slot) {
			/* Nobody else wrote to our object meanwhile */
			if (*(uint8_t *)*slot != w->tag)
				w->bad++;
			if (nio_pool_free(w->ctx, *slot))
				w->bad++;
			*slot = NULL;
			continue;
		}
		if (nio_pool_alloc(w->ctx, size, 0, slot, NULL)) {
			w->bad++;
			continue;
		}
		memset(*slot, w->tag, size);
	}
	for (i = 0; i < 64; i++)
		nio_pool_free(w->ctx, held[i]);
	return NULL;
}

TEST_F(pool, threads)
{
	struct worker w[2] = { { self->ctx, 1, 0xa1, 0 },
			       { self->ctx, 2, 0xb2, 0 } };
	pthread_t t[2];
	int i;

	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, churn, &w[i]));
	for (i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		ASSERT_EQ(0, w[i].bad);
	}
	ASSERT_EQ(1, fk.nr_areas);
}

TEST_HARNESS_MAIN

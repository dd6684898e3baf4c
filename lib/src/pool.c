// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The DMA pool: small objects (64 B to 4 KiB) for queues, PRP and SGL
 * lists and descriptors, carved out of the 4 KiB pages of chunks that
 * nio_dma_alloc() pins.
 *
 * A buffer is only sure to be contiguous for the device within a page, so
 * the page is the unit: it holds objects of one power-of-two size, each at
 * a multiple of that size. An object is thereby aligned to its size both
 * in virtual memory and for the device, and never straddles a physical
 * discontinuity, on every path and whatever pages the kernel gave. A
 * 64-bit mask per page marks its free objects (a page has 64 of the
 * smallest). Pages with free objects are listed per size; a page whose
 * objects are all back returns to its chunk, to be used for any size. One
 * entirely free chunk is kept for the next burst; others are unpinned.
 *
 * The bookkeeping lives in ordinary memory, out of the device's reach. One
 * mutex covers the pool; pinning a new chunk happens under it, which only
 * the allocations of a burst that outgrows the pool wait for.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define POOL_PAGE	NIO_PAGE_4K
#define CHUNK_PAGES	32		/* 128 KiB pinned at a time */
#define MIN_SHIFT	6		/* 64 B, a cache line */
#define MAX_SHIFT	12		/* 4 KiB, a page */

_Static_assert(MAX_SHIFT - MIN_SHIFT + 1 == NIOI_POOL_CLASSES,
	       "one list of partial pages per size");
_Static_assert(1u << MAX_SHIFT == NIO_POOL_MAX_SIZE &&
	       1u << MAX_SHIFT == POOL_PAGE, "the largest object is a page");
_Static_assert(POOL_PAGE >> MIN_SHIFT <= 64,
	       "a page's objects fit its 64-bit free mask");
_Static_assert(CHUNK_PAGES <= 32, "a chunk's pages fit its 32-bit masks");

struct nioi_pool_page {
	struct nioi_pool_page *prev, *next;	/* in pool->partial[] */
	char *vaddr;
	uint64_t addr;		/* device address of the page */
	uint64_t free;		/* bit i: object i is free */
	unsigned int shift;	/* log2 of the object size; 0: page unused */
};

struct nioi_pool_chunk {
	struct nio_dma *dma;
	struct nioi_pool_chunk *prev, *next;	/* in pool->with_free_pages */
	uint32_t usable;	/* bit i: page i is contiguous for the device */
	uint32_t free_pages;	/* bit i: page i is usable and unused */
	struct nioi_pool_page pages[CHUNK_PAGES];
};

void nioi_pool_init(struct nioi_pool *pool)
{
	memset(pool, 0, sizeof(*pool));
	pthread_mutex_init(&pool->lock, NULL);
}

/* ---- lists ---- */

static void page_push(struct nioi_pool_page **head, struct nioi_pool_page *p)
{
	p->prev = NULL;
	p->next = *head;
	if (*head)
		(*head)->prev = p;
	*head = p;
}

static void page_unlink(struct nioi_pool_page **head,
			struct nioi_pool_page *p)
{
	if (p->prev)
		p->prev->next = p->next;
	else
		*head = p->next;
	if (p->next)
		p->next->prev = p->prev;
}

static void chunk_push(struct nioi_pool_chunk **head,
		       struct nioi_pool_chunk *c)
{
	c->prev = NULL;
	c->next = *head;
	if (*head)
		(*head)->prev = c;
	*head = c;
}

static void chunk_unlink(struct nioi_pool_chunk **head,
			 struct nioi_pool_chunk *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		*head = c->next;
	if (c->next)
		c->next->prev = c->prev;
}

/* ---- chunks ---- */

/* Number of chunks that start at or below ptr. */
static size_t chunks_upto(const struct nioi_pool *pool, const void *ptr)
{
	size_t lo = 0, hi = pool->nchunks;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if ((uintptr_t)pool->chunks[mid]->dma->vaddr <= (uintptr_t)ptr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct nioi_pool_chunk *find_chunk(const struct nioi_pool *pool,
					  const void *ptr)
{
	size_t i = chunks_upto(pool, ptr);
	struct nioi_pool_chunk *c;

	if (!i)
		return NULL;
	c = pool->chunks[i - 1];
	if ((uintptr_t)ptr - (uintptr_t)c->dma->vaddr >= c->dma->size)
		return NULL;
	return c;
}

/* Which pages the device sees as one run each (all of them, in practice) */
static uint32_t usable_pages(struct nioi_pool_chunk *c)
{
	uint32_t usable = 0;
	unsigned int i;

	for (i = 0; i < CHUNK_PAGES; i++) {
		struct nioi_pool_page *p = &c->pages[i];
		size_t contig = 0;

		p->vaddr = (char *)c->dma->vaddr + i * POOL_PAGE;
		p->addr = nio_dma_addr(c->dma, i * POOL_PAGE, &contig);
		if (p->addr != NIO_BAD_ADDR && contig >= POOL_PAGE)
			usable |= 1u << i;
	}
	return usable;
}

/* Pin a new chunk; it goes in the index and at the head of the free list. */
static int add_chunk(struct nio_ctx *ctx, struct nioi_pool *pool)
{
	struct nioi_pool_chunk *c;
	size_t i;
	int ret;

	if (pool->nchunks == pool->chunks_cap) {
		size_t cap = pool->chunks_cap ? 2 * pool->chunks_cap : 8;
		struct nioi_pool_chunk **v = realloc(pool->chunks,
						     cap * sizeof(*v));

		if (!v)
			return nioi_fail(ENOMEM, "out of memory");
		pool->chunks = v;
		pool->chunks_cap = cap;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return nioi_fail(ENOMEM, "out of memory");
	ret = nio_dma_alloc(ctx, CHUNK_PAGES * POOL_PAGE, NIO_DMA_SMALL,
			    &c->dma);
	if (ret) {
		free(c);
		return ret;
	}
	c->usable = c->free_pages = usable_pages(c);
	if (!c->usable) {
		nio_dma_free(ctx, c->dma);
		free(c);
		return nioi_fail(EIO, "the pool's new chunk has no page that is contiguous for the device");
	}
	i = chunks_upto(pool, c->dma->vaddr);
	memmove(&pool->chunks[i + 1], &pool->chunks[i],
		(pool->nchunks - i) * sizeof(*pool->chunks));
	pool->chunks[i] = c;
	pool->nchunks++;
	chunk_push(&pool->with_free_pages, c);
	pool->empty_chunks++;
	return 0;
}

static void drop_chunk(struct nio_ctx *ctx, struct nioi_pool *pool,
		       struct nioi_pool_chunk *c)
{
	size_t i = chunks_upto(pool, c->dma->vaddr) - 1;

	chunk_unlink(&pool->with_free_pages, c);
	memmove(&pool->chunks[i], &pool->chunks[i + 1],
		(pool->nchunks - i - 1) * sizeof(*pool->chunks));
	pool->nchunks--;
	nio_dma_free(ctx, c->dma);
	free(c);
}

void nioi_pool_destroy(struct nio_ctx *ctx)
{
	struct nioi_pool *pool = &ctx->pool;
	size_t i;

	for (i = 0; i < pool->nchunks; i++) {
		nio_dma_free(ctx, pool->chunks[i]->dma);
		free(pool->chunks[i]);
	}
	free(pool->chunks);
	pthread_mutex_destroy(&pool->lock);
}

/* ---- pages and objects ---- */

static uint64_t all_objects(unsigned int shift)
{
	unsigned int n = POOL_PAGE >> shift;

	return n == 64 ? UINT64_MAX : (1ULL << n) - 1;
}

/* A free page (pinning a chunk if none is left) for objects of 1 << shift. */
static int new_page(struct nio_ctx *ctx, struct nioi_pool *pool,
		    unsigned int shift, struct nioi_pool_page **out)
{
	struct nioi_pool_chunk *c;
	struct nioi_pool_page *p;
	unsigned int i;
	int ret;

	if (!pool->with_free_pages) {
		ret = add_chunk(ctx, pool);
		if (ret)
			return ret;
	}
	c = pool->with_free_pages;
	if (c->free_pages == c->usable)
		pool->empty_chunks--;
	i = (unsigned int)__builtin_ctz(c->free_pages);
	c->free_pages &= ~(1u << i);
	if (!c->free_pages)
		chunk_unlink(&pool->with_free_pages, c);
	p = &c->pages[i];
	p->shift = shift;
	p->free = all_objects(shift);
	page_push(&pool->partial[shift - MIN_SHIFT], p);
	*out = p;
	return 0;
}

static void *take_object(struct nioi_pool *pool, struct nioi_pool_page *p,
			 uint64_t *addr)
{
	unsigned int i = (unsigned int)__builtin_ctzll(p->free);
	size_t off = (size_t)i << p->shift;

	p->free &= ~(1ULL << i);
	if (!p->free)
		page_unlink(&pool->partial[p->shift - MIN_SHIFT], p);
	*addr = p->addr + off;
	return p->vaddr + off;
}

/*
 * The page's last object came back: the page returns to its chunk, and a
 * chunk left with no page in use is kept when it is the only such one,
 * else unpinned.
 */
static void release_page(struct nio_ctx *ctx, struct nioi_pool *pool,
			 struct nioi_pool_chunk *c, struct nioi_pool_page *p,
			 bool was_full)
{
	unsigned int i = (unsigned int)(p - c->pages);

	if (!was_full)
		page_unlink(&pool->partial[p->shift - MIN_SHIFT], p);
	p->shift = 0;
	if (!c->free_pages)
		chunk_push(&pool->with_free_pages, c);
	c->free_pages |= 1u << i;
	if (c->free_pages != c->usable)
		return;
	if (pool->empty_chunks)
		drop_chunk(ctx, pool, c);
	else
		pool->empty_chunks++;
}

static int put_object(struct nio_ctx *ctx, struct nioi_pool *pool,
		      struct nioi_pool_chunk *c, void *ptr)
{
	size_t off = (uintptr_t)ptr - (uintptr_t)c->dma->vaddr;
	struct nioi_pool_page *p = &c->pages[off / POOL_PAGE];
	size_t in_page = off % POOL_PAGE;
	uint64_t bit;
	bool was_full;

	if (!p->shift || in_page & (((size_t)1 << p->shift) - 1))
		return nioi_fail(EINVAL, "nio_pool_free(%p): not the start of an object of the pool",
				 ptr);
	bit = 1ULL << (in_page >> p->shift);
	if (p->free & bit)
		return nioi_fail(EINVAL, "nio_pool_free(%p): the object is already free",
				 ptr);
	was_full = !p->free;
	p->free |= bit;
	if (p->free == all_objects(p->shift))
		release_page(ctx, pool, c, p, was_full);
	else if (was_full)
		page_push(&pool->partial[p->shift - MIN_SHIFT], p);
	return 0;
}

/* ---- public API ---- */

/*
 * log2 of the power of two, at least 64, that holds size bytes aligned to
 * align; -EINVAL for sizes and alignments the pool does not serve.
 */
static int size_class(size_t size, size_t align)
{
	size_t need = size > align ? size : align;
	unsigned int s = MIN_SHIFT;

	if (!size || size > NIO_POOL_MAX_SIZE)
		return nioi_fail(EINVAL, "nio_pool_alloc(%zu bytes): the pool holds objects of 1 to %u bytes; nio_dma_alloc() larger ones",
				 size, NIO_POOL_MAX_SIZE);
	if (align & (align - 1) || align > NIO_POOL_MAX_SIZE)
		return nioi_fail(EINVAL, "nio_pool_alloc(alignment %zu): must be 0 or a power of two up to %u",
				 align, NIO_POOL_MAX_SIZE);
	while (((size_t)1 << s) < need)
		s++;
	return (int)s;
}

int nio_pool_alloc(struct nio_ctx *ctx, size_t size, size_t align,
		   void **ptr, uint64_t *addr)
{
	struct nioi_pool *pool = &ctx->pool;
	struct nioi_pool_page *p;
	unsigned int shift;
	void *obj = NULL;
	uint64_t a = 0;
	int ret;

	nioi_clear_error();
	ret = size_class(size, align);
	if (ret < 0)
		return ret;
	shift = (unsigned int)ret;
	ret = 0;
	pthread_mutex_lock(&pool->lock);
	p = pool->partial[shift - MIN_SHIFT];
	if (!p)
		ret = new_page(ctx, pool, shift, &p);
	if (!ret)
		obj = take_object(pool, p, &a);
	pthread_mutex_unlock(&pool->lock);
	if (ret)
		return ret;
	memset(obj, 0, size);
	*ptr = obj;
	if (addr)
		*addr = a;
	return 0;
}

int nio_pool_free(struct nio_ctx *ctx, void *ptr)
{
	struct nioi_pool *pool = &ctx->pool;
	struct nioi_pool_chunk *c;
	int ret;

	if (!ptr)
		return 0;
	pthread_mutex_lock(&pool->lock);
	c = find_chunk(pool, ptr);
	ret = c ? put_object(ctx, pool, c, ptr) :
		  nioi_fail(EINVAL, "nio_pool_free(%p): not an object of this context's pool",
			    ptr);
	pthread_mutex_unlock(&pool->lock);
	return ret;
}

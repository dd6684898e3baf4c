// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Address translation across a whole context, without a system call:
 * nio_vtophys() finds the DMA buffer that holds a pointer and
 * nio_ptr_from_addr() the buffer segment that holds a device address.
 *
 * Two sorted arrays, updated by nio_dma_alloc/map/free (rare, and they
 * make system calls anyway) and binary searched per I/O:
 *
 *   bufs  one entry per buffer, by virtual address; the buffer's own
 *         segment list then gives the device address (nioi_segs_lookup);
 *   segs  one entry per segment of every buffer, by device address.
 *
 * Ranges may overlap: the same memory can be mapped twice, and on the
 * no-IOMMU paths two mappings of a page share its physical address. So
 * each entry also records the highest last byte of the entries up to it
 * (reach): a search that lands on an entry ending before the key steps
 * back only while an earlier entry can still contain it, which without
 * overlaps is never.
 *
 * Lookups land at random, so a search that branches on every comparison
 * mispredicts half of them: it is branch free instead, over an array of
 * just the first bytes (8 bytes an entry, 32 KiB for 4,096 buffers) kept
 * beside the entries.
 *
 * Ranges are kept as first and last byte, so that a range ending at the
 * top of the 64-bit device address space needs no special case.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct nioi_xlate_buf {
	uintptr_t first, last;
	uintptr_t reach;		/* highest last of entries 0..this */
	const struct nioi_dma *dma;
	/* the buffer's, here to save a cache miss on the way to them */
	const struct nio_segment *segs;
	size_t nsegs;
};

struct nioi_xlate_seg {
	uint64_t first, last;		/* device addresses */
	uint64_t reach;
	uintptr_t vaddr;		/* of first */
	const struct nioi_dma *dma;
};

void nioi_xlate_init(struct nioi_xlate *x)
{
	pthread_rwlockattr_t attr;

	memset(x, 0, sizeof(*x));
	pthread_rwlockattr_init(&attr);
#ifdef __GLIBC__
	/*
	 * Lookups come once per I/O from every thread: with glibc's default
	 * of preferring readers they could keep nio_dma_free() waiting for
	 * ever.
	 */
	pthread_rwlockattr_setkind_np(&attr,
				      PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
#endif
	pthread_rwlock_init(&x->lock, &attr);
	pthread_rwlockattr_destroy(&attr);
}

void nioi_xlate_destroy(struct nioi_xlate *x)
{
	pthread_rwlock_destroy(&x->lock);
	free(x->bufs);
	free(x->buf_keys);
	free(x->segs);
	free(x->seg_keys);
}

/* ---- searching ---- */

/*
 * Number of keys at or below key in the sorted keys[0..n). Each step
 * halves the range with a conditional move, not a branch.
 */
static size_t count_upto(const uint64_t *keys, size_t n, uint64_t key)
{
	const uint64_t *base = keys;

	if (!n)
		return 0;
	while (n > 1) {
		size_t half = n / 2;

		base = base[half] <= key ? base + half : base;
		n -= half;
	}
	return (size_t)(base - keys) + (*base <= key);
}

static const struct nioi_xlate_buf *find_buf(const struct nioi_xlate *x,
					     uintptr_t key)
{
	size_t i = count_upto(x->buf_keys, x->nbufs, key);

	while (i-- > 0 && x->bufs[i].reach >= key)
		if (x->bufs[i].last >= key)
			return &x->bufs[i];
	return NULL;
}

static const struct nioi_xlate_seg *find_seg(const struct nioi_xlate *x,
					     uint64_t key)
{
	size_t i = count_upto(x->seg_keys, x->nsegs, key);

	while (i-- > 0 && x->segs[i].reach >= key)
		if (x->segs[i].last >= key)
			return &x->segs[i];
	return NULL;
}

/* ---- updating ---- */

/* After entries from index from on changed: their keys and reaches. */
static void bufs_reindex_from(struct nioi_xlate *x, size_t from)
{
	uintptr_t reach = from ? x->bufs[from - 1].reach : 0;

	for (; from < x->nbufs; from++) {
		if (x->bufs[from].last > reach)
			reach = x->bufs[from].last;
		x->bufs[from].reach = reach;
		x->buf_keys[from] = x->bufs[from].first;
	}
}

static void segs_reindex_from(struct nioi_xlate *x, size_t from)
{
	uint64_t reach = from ? x->segs[from - 1].reach : 0;

	for (; from < x->nsegs; from++) {
		if (x->segs[from].last > reach)
			reach = x->segs[from].last;
		x->segs[from].reach = reach;
		x->seg_keys[from] = x->segs[from].first;
	}
}

/*
 * Room for want entries of size bytes in *v and as many keys in *keys;
 * *cap grows only once both have it.
 */
static int reserve(void **v, size_t size, uint64_t **keys, size_t *cap,
		   size_t want)
{
	size_t ncap = *cap ? *cap : 16;
	void *p;

	if (want <= *cap)
		return 0;
	while (ncap < want)
		ncap *= 2;
	p = realloc(*v, ncap * size);
	if (!p)
		return -ENOMEM;
	*v = p;
	p = realloc(*keys, ncap * sizeof(**keys));
	if (!p)
		return -ENOMEM;
	*keys = p;
	*cap = ncap;
	return 0;
}

static int seg_cmp(const void *a, const void *b)
{
	const struct nioi_xlate_seg *x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

/* The buffer's segments as index entries, sorted by device address. */
static struct nioi_xlate_seg *sorted_segs(const struct nioi_dma *d)
{
	struct nioi_xlate_seg *v = malloc(d->segs.n * sizeof(*v));
	size_t i;

	if (!v)
		return NULL;
	for (i = 0; i < d->segs.n; i++) {
		const struct nio_segment *s = &d->segs.v[i];

		v[i] = (struct nioi_xlate_seg){
			.first = s->addr,
			.last = s->addr + (s->len - 1),
			.vaddr = (uintptr_t)d->pub.vaddr + s->offset,
			.dma = d,
		};
	}
	qsort(v, d->segs.n, sizeof(*v), seg_cmp);
	return v;
}

/*
 * Merge k sorted entries into the sorted array (room for them reserved),
 * from the back so that nothing is overwritten before it has moved.
 * Returns the first index that changed.
 */
static size_t merge_segs(struct nioi_xlate_seg *v, size_t n,
			 const struct nioi_xlate_seg *add, size_t k)
{
	size_t out = n + k;

	while (k > 0) {
		if (n > 0 && v[n - 1].first > add[k - 1].first)
			v[--out] = v[--n];
		else
			v[--out] = add[--k];
	}
	return out;
}

static void insert_buf(struct nioi_xlate *x, const struct nioi_dma *d)
{
	uintptr_t first = (uintptr_t)d->pub.vaddr;
	size_t i = count_upto(x->buf_keys, x->nbufs, first);

	memmove(&x->bufs[i + 1], &x->bufs[i],
		(x->nbufs - i) * sizeof(*x->bufs));
	x->bufs[i] = (struct nioi_xlate_buf){
		.first = first,
		.last = first + (d->pub.size - 1),
		.dma = d,
		.segs = d->segs.v,
		.nsegs = d->segs.n,
	};
	x->nbufs++;
	bufs_reindex_from(x, i);
}

int nioi_xlate_add(struct nioi_xlate *x, const struct nioi_dma *d)
{
	struct nioi_xlate_seg *add = sorted_segs(d);
	size_t from;
	int ret;

	if (!add)
		return -ENOMEM;
	pthread_rwlock_wrlock(&x->lock);
	ret = reserve((void **)&x->bufs, sizeof(*x->bufs), &x->buf_keys,
		      &x->bufs_cap, x->nbufs + 1);
	if (!ret)
		ret = reserve((void **)&x->segs, sizeof(*x->segs),
			      &x->seg_keys, &x->segs_cap,
			      x->nsegs + d->segs.n);
	if (!ret) {
		insert_buf(x, d);
		from = merge_segs(x->segs, x->nsegs, add, d->segs.n);
		x->nsegs += d->segs.n;
		segs_reindex_from(x, from);
	}
	pthread_rwlock_unlock(&x->lock);
	free(add);
	return ret;
}

static void remove_buf(struct nioi_xlate *x, const struct nioi_dma *d)
{
	size_t i = count_upto(x->buf_keys, x->nbufs, (uintptr_t)d->pub.vaddr);

	/* Buffers at the same address sit together, just below i */
	while (i-- > 0 && x->bufs[i].dma != d)
		;
	if (i == SIZE_MAX)
		return;
	memmove(&x->bufs[i], &x->bufs[i + 1],
		(x->nbufs - i - 1) * sizeof(*x->bufs));
	x->nbufs--;
	bufs_reindex_from(x, i);
}

/* One pass from the buffer's lowest device address drops its segments. */
static void remove_segs(struct nioi_xlate *x, const struct nioi_dma *d)
{
	uint64_t lowest = UINT64_MAX;
	size_t i, from, out;

	for (i = 0; i < d->segs.n; i++)
		if (d->segs.v[i].addr < lowest)
			lowest = d->segs.v[i].addr;
	/* First entry at or above lowest: after every one strictly below */
	from = lowest ? count_upto(x->seg_keys, x->nsegs, lowest - 1) : 0;
	for (i = out = from; i < x->nsegs; i++)
		if (x->segs[i].dma != d)
			x->segs[out++] = x->segs[i];
	x->nsegs = out;
	segs_reindex_from(x, from);
}

void nioi_xlate_remove(struct nioi_xlate *x, const struct nioi_dma *d)
{
	pthread_rwlock_wrlock(&x->lock);
	remove_buf(x, d);
	remove_segs(x, d);
	pthread_rwlock_unlock(&x->lock);
}

/* ---- public API ---- */

uint64_t nio_vtophys(struct nio_ctx *ctx, const void *ptr, size_t *contig)
{
	struct nioi_xlate *x = &ctx->xlate;
	const struct nioi_xlate_buf *b;
	uint64_t addr = NIO_BAD_ADDR;

	pthread_rwlock_rdlock(&x->lock);
	b = find_buf(x, (uintptr_t)ptr);
	if (b)
		addr = nioi_segs_lookup(b->segs, b->nsegs,
					(uintptr_t)ptr - b->first, contig);
	pthread_rwlock_unlock(&x->lock);
	if (addr == NIO_BAD_ADDR)
		nioi_fail(ENOENT, "nio_vtophys(%p): no DMA buffer of this context holds it",
			  ptr);
	return addr;
}

void *nio_ptr_from_addr(struct nio_ctx *ctx, uint64_t addr, size_t *contig)
{
	struct nioi_xlate *x = &ctx->xlate;
	const struct nioi_xlate_seg *s;
	void *ptr = NULL;

	pthread_rwlock_rdlock(&x->lock);
	s = find_seg(x, addr);
	if (s) {
		ptr = (void *)(s->vaddr + (uintptr_t)(addr - s->first));
		if (contig)
			*contig = (size_t)(s->last - addr) + 1;
	}
	pthread_rwlock_unlock(&x->lock);
	if (!ptr)
		nioi_fail(ENOENT, "nio_ptr_from_addr(0x%llx): no DMA buffer of this context is there",
			  (unsigned long long)addr);
	return ptr;
}

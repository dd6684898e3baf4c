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
	free(x->segs);
}

/* ---- searching ---- */

/* Number of entries whose first byte is at or below key. */
static size_t bufs_upto(const struct nioi_xlate_buf *v, size_t n,
			uintptr_t key)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid].first <= key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static size_t segs_upto(const struct nioi_xlate_seg *v, size_t n,
			uint64_t key)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid].first <= key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static const struct nioi_xlate_buf *find_buf(const struct nioi_xlate *x,
					     uintptr_t key)
{
	size_t i = bufs_upto(x->bufs, x->nbufs, key);

	while (i-- > 0 && x->bufs[i].reach >= key)
		if (x->bufs[i].last >= key)
			return &x->bufs[i];
	return NULL;
}

static const struct nioi_xlate_seg *find_seg(const struct nioi_xlate *x,
					     uint64_t key)
{
	size_t i = segs_upto(x->segs, x->nsegs, key);

	while (i-- > 0 && x->segs[i].reach >= key)
		if (x->segs[i].last >= key)
			return &x->segs[i];
	return NULL;
}

/* ---- updating ---- */

static void bufs_reach_from(struct nioi_xlate_buf *v, size_t n, size_t from)
{
	uintptr_t reach = from ? v[from - 1].reach : 0;

	for (; from < n; from++) {
		if (v[from].last > reach)
			reach = v[from].last;
		v[from].reach = reach;
	}
}

static void segs_reach_from(struct nioi_xlate_seg *v, size_t n, size_t from)
{
	uint64_t reach = from ? v[from - 1].reach : 0;

	for (; from < n; from++) {
		if (v[from].last > reach)
			reach = v[from].last;
		v[from].reach = reach;
	}
}

/* Room for want entries of size bytes in *v (capacity *cap). */
static int reserve(void **v, size_t *cap, size_t want, size_t size)
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
	size_t i = bufs_upto(x->bufs, x->nbufs, first);

	memmove(&x->bufs[i + 1], &x->bufs[i],
		(x->nbufs - i) * sizeof(*x->bufs));
	x->bufs[i] = (struct nioi_xlate_buf){
		.first = first,
		.last = first + (d->pub.size - 1),
		.dma = d,
	};
	x->nbufs++;
	bufs_reach_from(x->bufs, x->nbufs, i);
}

int nioi_xlate_add(struct nioi_xlate *x, const struct nioi_dma *d)
{
	struct nioi_xlate_seg *add = sorted_segs(d);
	size_t from;
	int ret;

	if (!add)
		return -ENOMEM;
	pthread_rwlock_wrlock(&x->lock);
	ret = reserve((void **)&x->bufs, &x->bufs_cap, x->nbufs + 1,
		      sizeof(*x->bufs));
	if (!ret)
		ret = reserve((void **)&x->segs, &x->segs_cap,
			      x->nsegs + d->segs.n, sizeof(*x->segs));
	if (!ret) {
		insert_buf(x, d);
		from = merge_segs(x->segs, x->nsegs, add, d->segs.n);
		x->nsegs += d->segs.n;
		segs_reach_from(x->segs, x->nsegs, from);
	}
	pthread_rwlock_unlock(&x->lock);
	free(add);
	return ret;
}

static void remove_buf(struct nioi_xlate *x, const struct nioi_dma *d)
{
	size_t i = bufs_upto(x->bufs, x->nbufs, (uintptr_t)d->pub.vaddr);

	/* Buffers at the same address sit together, just below i */
	while (i-- > 0 && x->bufs[i].dma != d)
		;
	if (i == SIZE_MAX)
		return;
	memmove(&x->bufs[i], &x->bufs[i + 1],
		(x->nbufs - i - 1) * sizeof(*x->bufs));
	x->nbufs--;
	bufs_reach_from(x->bufs, x->nbufs, i);
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
	from = lowest ? segs_upto(x->segs, x->nsegs, lowest - 1) : 0;
	for (i = out = from; i < x->nsegs; i++)
		if (x->segs[i].dma != d)
			x->segs[out++] = x->segs[i];
	x->nsegs = out;
	segs_reach_from(x->segs, x->nsegs, from);
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
		addr = nioi_segs_lookup(b->dma->segs.v, b->dma->segs.n,
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

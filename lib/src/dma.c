// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * DMA memory: allocate or map a buffer in a context, pin it and describe it
 * as segments of device addresses.
 *
 *   noiommu-cdev  IOMMU_IOAS_MAP pins; one IOMMU_IOAS_NOIOMMU_GET_PA per
 *                 physically contiguous run gives the addresses.
 *   iommu-cdev    IOMMU_IOAS_MAP pins and maps; the IOVA is the address.
 *   legacy-group  mlock() + /proc/self/pagemap, read once per buffer.
 *
 * How each path pins, and keeps memory safe from fork(), is in path-*.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "path.h"

#ifndef MAP_HUGE_2MB
#define MAP_HUGE_2MB (21 << 26)
#endif

#define NIO_DMA_FLAGS (NIO_DMA_HUGE | NIO_DMA_SMALL | NIO_DMA_READONLY | \
		       NIO_DMA_CONTIG)

/* ---- public API ---- */

static int check_ctx(struct nio_ctx *ctx, unsigned int flags)
{
	if (flags & ~NIO_DMA_FLAGS)
		return nioi_fail(EINVAL, "unknown DMA flags 0x%x",
				 flags & ~NIO_DMA_FLAGS);
	if ((flags & NIO_DMA_HUGE) && (flags & NIO_DMA_SMALL))
		return nioi_fail(EINVAL, "NIO_DMA_HUGE and NIO_DMA_SMALL exclude each other");
	if (ctx->path == NIO_PATH_NONE)
		return nioi_fail(EINVAL,
				 "open a device in the context first: the DMA path depends on it");
	return 0;
}

/* Make a pinned buffer known to nio_vtophys(); unpin it when that fails. */
static int index_pinned(struct nio_ctx *ctx, struct nioi_dma *d)
{
	if (!nioi_xlate_add(&ctx->xlate, d))
		return 0;
	nioi_path_ops(ctx->path)->unpin(ctx, d);
	nioi_segs_free(&d->segs);
	return nioi_fail(ENOMEM, "out of memory indexing the DMA buffer");
}

static int pin_and_track(struct nio_ctx *ctx, struct nioi_dma *d,
			 unsigned int flags)
{
	int ret;

	pthread_mutex_lock(&ctx->lock);
	ret = nioi_path_ops(ctx->path)->pin(ctx, d, flags);
	if (!ret)
		ret = index_pinned(ctx, d);
	if (!ret) {
		d->pub.segs = d->segs.v;
		d->pub.nsegs = d->segs.n;
		d->next = ctx->dmas;
		ctx->dmas = d;
	}
	pthread_mutex_unlock(&ctx->lock);
	return ret;
}

/* shared: the path cannot pin (see nioi_path_ops.shared_buffers) */
static void *map_memory(size_t len, size_t page, bool shared)
{
	int flags = (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS |
		    MAP_POPULATE;
	void *p;

	if (page == NIO_PAGE_2M)
		flags |= MAP_HUGETLB | MAP_HUGE_2MB;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static size_t round_up(size_t v, size_t to)
{
	return (v + to - 1) / to * to;
}

static int dma_alloc(struct nio_ctx *ctx, size_t size, unsigned int flags,
		     struct nio_dma **out);

int nio_dma_alloc(struct nio_ctx *ctx, size_t size, unsigned int flags,
		  struct nio_dma **out)
{
	int ret = dma_alloc(ctx, size, flags, out);

	if (ret || !(flags & NIO_DMA_CONTIG) || (*out)->nsegs == 1)
		return ret;
	/* 4 KiB pages that are not contiguous: one huge page always is */
	nio_dma_free(ctx, *out);
	if (size > NIO_PAGE_2M || (flags & NIO_DMA_SMALL))
		return nioi_fail(ENOMEM,
				 "no %zu bytes contiguous for the device (NIO_DMA_CONTIG): use at most 2 MiB with huge pages available",
				 size);
	ret = dma_alloc(ctx, size, flags | NIO_DMA_HUGE, out);
	if (ret == -ENOMEM)
		return nioi_fail(ENOMEM,
				 "no %zu bytes contiguous for the device (NIO_DMA_CONTIG) and no free 2 MiB huge page (echo N > /proc/sys/vm/nr_hugepages)",
				 size);
	return ret;
}

static int dma_alloc(struct nio_ctx *ctx, size_t size, unsigned int flags,
		     struct nio_dma **out)
{
	bool try_huge = !(flags & NIO_DMA_SMALL) &&
			(flags & NIO_DMA_HUGE || size >= NIO_PAGE_2M);
	struct nioi_dma *d;
	void *p = NULL;
	size_t page = NIO_PAGE_4K, len;
	bool shared;
	int ret;

	nioi_clear_error();
	ret = check_ctx(ctx, flags);
	if (ret)
		return ret;
	shared = nioi_path_ops(ctx->path)->shared_buffers;
	if (size == 0 || size > SIZE_MAX - NIO_PAGE_2M)
		return nioi_fail(EINVAL, "DMA buffer size %zu is out of range", size);
	if (try_huge) {
		len = round_up(size, NIO_PAGE_2M);
		p = map_memory(len, NIO_PAGE_2M, shared);
		if (p)
			page = NIO_PAGE_2M;
		else if (flags & NIO_DMA_HUGE)
			return nioi_fail(ENOMEM,
					 "no %zu MiB of free 2 MiB huge pages: add some (echo N > /proc/sys/vm/nr_hugepages) or drop NIO_DMA_HUGE",
					 len >> 20);
	}
	if (!p) {
		len = round_up(size, NIO_PAGE_4K);
		p = map_memory(len, NIO_PAGE_4K, shared);
		if (!p)
			return nioi_fail(ENOMEM, "cannot allocate %zu KiB: %s",
					 len >> 10, strerror(errno));
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		munmap(p, len);
		return nioi_fail(ENOMEM, "out of memory");
	}
	d->pub.vaddr = p;
	d->pub.size = len;
	d->pub.page_size = page;
	d->owned = true;
	d->map_len = len;
	ret = pin_and_track(ctx, d, flags);
	if (ret) {
		munmap(p, len);
		free(d);
		return ret;
	}
	*out = &d->pub;
	return 0;
}

/* Caller memory across fork(), as its path needs; before it is pinned. */
static int keep_from_fork(const struct nioi_path_ops *ops, struct nioi_dma *d)
{
	return ops->protect_from_fork ? ops->protect_from_fork(d) : 0;
}

static void allow_fork(const struct nioi_path_ops *ops, struct nioi_dma *d)
{
	if (ops->release_from_fork)
		ops->release_from_fork(d);
}

int nio_dma_map(struct nio_ctx *ctx, void *vaddr, size_t size,
		unsigned int flags, struct nio_dma **out)
{
	const struct nioi_path_ops *ops;
	struct nioi_dma *d;
	int ret;

	nioi_clear_error();
	ret = check_ctx(ctx, flags & ~NIO_DMA_HUGE);
	if (ret)
		return ret;
	ops = nioi_path_ops(ctx->path);
	if ((uintptr_t)vaddr % NIO_PAGE_4K || size % NIO_PAGE_4K || !size)
		return nioi_fail(EINVAL,
				 "nio_dma_map(%p, %zu): address and size must be non-zero multiples of 4 KiB",
				 vaddr, size);
	if ((flags & NIO_DMA_HUGE) && ((uintptr_t)vaddr | size) % NIO_PAGE_2M)
		return nioi_fail(EINVAL,
				 "nio_dma_map(%p, %zu, NIO_DMA_HUGE): address and size must be multiples of 2 MiB",
				 vaddr, size);
	if ((uintptr_t)vaddr + size < (uintptr_t)vaddr)
		return nioi_fail(EINVAL, "nio_dma_map(%p, %zu) wraps around",
				 vaddr, size);
	d = calloc(1, sizeof(*d));
	if (!d)
		return nioi_fail(ENOMEM, "out of memory");
	d->pub.vaddr = vaddr;
	d->pub.size = size;
	d->pub.page_size = flags & NIO_DMA_HUGE ? NIO_PAGE_2M : NIO_PAGE_4K;
	ret = keep_from_fork(ops, d);
	if (ret) {
		free(d);
		return ret;
	}
	ret = pin_and_track(ctx, d, flags);
	if (!ret && (flags & NIO_DMA_CONTIG) && d->segs.n > 1) {
		ret = nioi_fail(EINVAL,
				"nio_dma_map(%p, %zu, NIO_DMA_CONTIG): the memory is %zu separate runs for the device, not one (map one huge page, or use nio_dma_alloc() with NIO_DMA_CONTIG)",
				vaddr, size, d->segs.n);
		nio_dma_free(ctx, &d->pub);
		return ret;
	}
	if (ret) {
		allow_fork(ops, d);
		free(d);
		return ret;
	}
	*out = &d->pub;
	return 0;
}

int nio_dma_free(struct nio_ctx *ctx, struct nio_dma *dma)
{
	struct nioi_dma *d = (struct nioi_dma *)dma, **pp;
	const struct nioi_path_ops *ops;
	int ret;

	if (!dma)
		return 0;
	pthread_mutex_lock(&ctx->lock);
	for (pp = &ctx->dmas; *pp && *pp != d; pp = &(*pp)->next)
		;
	if (!*pp) {
		pthread_mutex_unlock(&ctx->lock);
		return nioi_fail(EINVAL, "DMA buffer %p does not belong to this context",
				 (void *)dma);
	}
	*pp = d->next;
	nioi_xlate_remove(&ctx->xlate, d);
	ops = nioi_path_ops(ctx->path);
	ret = ops->unpin(ctx, d);
	pthread_mutex_unlock(&ctx->lock);
	if (d->owned)
		munmap(dma->vaddr, d->map_len);
	else
		allow_fork(ops, d);
	nioi_segs_free(&d->segs);
	free(d);
	return ret;
}

uint64_t nio_dma_addr(const struct nio_dma *dma, size_t offset,
		      size_t *contig)
{
	return nioi_segs_lookup(dma->segs, dma->nsegs, offset, contig);
}

// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * DMA memory: allocate or map a buffer in a context, pin it and describe it
 * as segments of device addresses.
 *
 *   noiommu-cdev  IOMMU_IOAS_MAP pins; one IOMMU_IOAS_NOIOMMU_GET_PA per
 *                 physically contiguous run gives the addresses.
 *   iommu-cdev    IOMMU_IOAS_MAP pins and maps; the IOVA is the address.
 *   legacy-group  mlock() + /proc/self/pagemap, read once per buffer.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>
#include <linux/capability.h>

#include "internal.h"
#include "uapi.h"

#ifndef MAP_HUGE_2MB
#define MAP_HUGE_2MB (21 << 26)
#endif

#define NIO_DMA_FLAGS (NIO_DMA_HUGE | NIO_DMA_SMALL | NIO_DMA_READONLY | \
		       NIO_DMA_CONTIG)

static int memlock_error(int err, size_t len, const char *what)
{
	struct rlimit rl;

	if (err != ENOMEM && err != EPERM && err != EAGAIN)
		return nioi_fail(err, "%s of %zu KiB failed: %s", what,
				 len >> 10, strerror(err));
	if (!getrlimit(RLIMIT_MEMLOCK, &rl) && rl.rlim_cur != RLIM_INFINITY &&
	    !nioi_has_cap(CAP_IPC_LOCK))
		return nioi_fail(ENOMEM,
				 "%s of %zu KiB failed: RLIMIT_MEMLOCK is %llu KiB and pinned memory counts against it; raise it (ulimit -l, systemd LimitMEMLOCK=) or run with CAP_IPC_LOCK",
				 what, len >> 10,
				 (unsigned long long)rl.rlim_cur >> 10);
	return nioi_fail(ENOMEM, "%s of %zu KiB failed: out of memory", what,
			 len >> 10);
}

/* ---- per-path pinning and addresses ---- */

struct get_pa_query {
	struct nio_ctx *ctx;
	uint64_t iova;
};

/* What a GET_PA errno means, in merged mainline's terms */
static const char *get_pa_hint(int err)
{
	switch (err) {
	case EPERM:
		return " (needs CAP_SYS_RAWIO)";
	case EOPNOTSUPP:
		return " (no no-IOMMU page table holds this memory: the context's devices were detached or closed)";
	case ENOTTY:
		return " (the kernel has no IOMMU_IOAS_NOIOMMU_GET_PA: CONFIG_IOMMUFD_NOIOMMU)";
	case ENOENT:
		return " (nothing is mapped there)";
	default:
		return "";
	}
}

/* max is never 0 here: it is what is left of a non-empty buffer */
static int get_pa_run(void *arg, size_t offset, uint64_t max, uint64_t *addr,
		      uint64_t *len)
{
	struct get_pa_query *q = arg;
	struct iommu_ioas_noiommu_get_pa cmd = {
		.size = sizeof(cmd),
		.ioas_id = q->ctx->ioas_id,
		.iova = q->iova + offset,
		.length = max,
	};

	if (ioctl(q->ctx->iommufd, IOMMU_IOAS_NOIOMMU_GET_PA, &cmd))
		return nioi_fail(errno, "IOMMU_IOAS_NOIOMMU_GET_PA at IOVA 0x%llx: %s%s",
				 (unsigned long long)cmd.iova, strerror(errno),
				 get_pa_hint(errno));
	*addr = cmd.out_phys;
	*len = cmd.length;
	return 0;
}

static int ioas_unmap(struct nio_ctx *ctx, uint64_t iova, uint64_t len)
{
	struct iommu_ioas_unmap unmap = {
		.size = sizeof(unmap), .ioas_id = ctx->ioas_id,
		.iova = iova, .length = len,
	};

	if (ioctl(ctx->iommufd, IOMMU_IOAS_UNMAP, &unmap))
		return nioi_fail(errno, "IOMMU_IOAS_UNMAP of IOVA 0x%llx: %s",
				 (unsigned long long)iova, strerror(errno));
	return 0;
}

static int pin_iommufd(struct nio_ctx *ctx, struct nioi_dma *d,
		       unsigned int flags)
{
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_READABLE |
			 (flags & NIO_DMA_READONLY ? 0 : IOMMU_IOAS_MAP_WRITEABLE),
		.ioas_id = ctx->ioas_id,
		.user_va = (uintptr_t)d->pub.vaddr,
		.length = d->pub.size,
	};
	struct get_pa_query q = { ctx, 0 };
	int ret;

	if (ioctl(ctx->iommufd, IOMMU_IOAS_MAP, &map)) {
		if (errno == EFAULT)
			return nioi_fail(EFAULT,
					 "IOMMU_IOAS_MAP: %p..+%zu is not fully mapped in this process",
					 d->pub.vaddr, d->pub.size);
		return memlock_error(errno, d->pub.size, "pinning (IOMMU_IOAS_MAP)");
	}
	d->pub.lookup_key = map.iova;
	if (ctx->path == NIO_PATH_IOMMU_CDEV)
		ret = nioi_segs_add(&d->segs, 0, map.iova, d->pub.size) ?
		      nioi_fail(ENOMEM, "out of memory") : 0;
	else
		ret = (q.iova = map.iova,
		       nioi_segs_from_runs(&d->segs, d->pub.size, get_pa_run, &q));
	if (ret) {
		ioas_unmap(ctx, map.iova, d->pub.size);
		nioi_segs_free(&d->segs);
	}
	return ret;
}

static int read_pagemap(const void *vaddr, size_t npages, uint64_t *entries)
{
	char path[PATH_MAX];
	size_t bytes = npages * sizeof(uint64_t);
	off_t off = (off_t)((uintptr_t)vaddr / NIO_PAGE_4K * sizeof(uint64_t));
	ssize_t n;
	int fd;

	fd = open(nioi_path(path, sizeof(path), "/proc/self/pagemap"),
		  O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return nioi_fail(errno, "cannot open /proc/self/pagemap: %s",
				 strerror(errno));
	n = pread(fd, entries, bytes, off);
	close(fd);
	if (n != (ssize_t)bytes)
		return nioi_fail(EIO, "short read of /proc/self/pagemap");
	return 0;
}

static int pin_legacy(struct nioi_dma *d)
{
	size_t npages = d->pub.size / NIO_PAGE_4K;
	uint64_t *entries;
	int ret;

	if (!nioi_has_cap(CAP_SYS_ADMIN))
		return nioi_fail(EPERM,
				 "the legacy path reads physical addresses from /proc/self/pagemap, which needs CAP_SYS_ADMIN (run as root)");
	/* mlock() faults every page in for writing, breaking COW, so the
	 * physical addresses read below are the pages the device will use. */
	if (mlock(d->pub.vaddr, d->pub.size))
		return memlock_error(errno, d->pub.size, "mlock()");
	entries = malloc(npages * sizeof(*entries));
	ret = entries ? read_pagemap(d->pub.vaddr, npages, entries) :
			nioi_fail(ENOMEM, "out of memory");
	if (!ret)
		ret = nioi_segs_from_pagemap(&d->segs, entries, npages);
	free(entries);
	if (ret) {
		munlock(d->pub.vaddr, d->pub.size);
		nioi_segs_free(&d->segs);
	}
	return ret;
}

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
	if (ctx->path == NIO_PATH_LEGACY_GROUP)
		munlock(d->pub.vaddr, d->pub.size);
	else
		ioas_unmap(ctx, d->pub.lookup_key, d->pub.size);
	nioi_segs_free(&d->segs);
	return nioi_fail(ENOMEM, "out of memory indexing the DMA buffer");
}

static int pin_and_track(struct nio_ctx *ctx, struct nioi_dma *d,
			 unsigned int flags)
{
	int ret;

	pthread_mutex_lock(&ctx->lock);
	ret = ctx->path == NIO_PATH_LEGACY_GROUP ? pin_legacy(d) :
						   pin_iommufd(ctx, d, flags);
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

/*
 * The legacy path cannot pin: a private page shared copy-on-write with a
 * child of fork() would move on the parent's next write while the device
 * kept the old one. Shared anonymous memory is never copied on write, on
 * any kernel (MADV_DONTFORK needs CONFIG_ADVISE_SYSCALLS). The IOMMUFD
 * paths pin, and fork() gives the child copies of pinned pages instead.
 */
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
	bool legacy;
	int ret;

	nioi_clear_error();
	ret = check_ctx(ctx, flags);
	if (ret)
		return ret;
	legacy = ctx->path == NIO_PATH_LEGACY_GROUP;
	if (size == 0 || size > SIZE_MAX - NIO_PAGE_2M)
		return nioi_fail(EINVAL, "DMA buffer size %zu is out of range", size);
	if (try_huge) {
		len = round_up(size, NIO_PAGE_2M);
		p = map_memory(len, NIO_PAGE_2M, legacy);
		if (p)
			page = NIO_PAGE_2M;
		else if (flags & NIO_DMA_HUGE)
			return nioi_fail(ENOMEM,
					 "no %zu MiB of free 2 MiB huge pages: add some (echo N > /proc/sys/vm/nr_hugepages) or drop NIO_DMA_HUGE",
					 len >> 20);
	}
	if (!p) {
		len = round_up(size, NIO_PAGE_4K);
		p = map_memory(len, NIO_PAGE_4K, legacy);
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

/*
 * Caller memory on the legacy path (see map_memory()): the child of a
 * fork() does not get it (MADV_DONTFORK), so no copy-on-write can move
 * it. Without madvise() in the kernel, say what cannot be promised.
 */
static int keep_from_fork(struct nio_ctx *ctx, struct nioi_dma *d)
{
	if (ctx->path != NIO_PATH_LEGACY_GROUP)
		return 0;
	if (!madvise(d->pub.vaddr, d->pub.size, MADV_DONTFORK)) {
		d->dontfork = true;
		return 0;
	}
	if (errno != ENOSYS)
		return nioi_fail(errno, "madvise(%p, %zu, MADV_DONTFORK): %s",
				 d->pub.vaddr, d->pub.size, strerror(errno));
	nioi_warn("the kernel has no madvise() (CONFIG_ADVISE_SYSCALLS): after fork(), writes to private memory mapped with nio_dma_map() may move it away from the device; use nio_dma_alloc() or MAP_SHARED memory");
	return 0;
}

/* Caller memory goes back to the caller as it was */
static void allow_fork(struct nioi_dma *d)
{
	if (d->dontfork && !d->owned)
		madvise(d->pub.vaddr, d->pub.size, MADV_DOFORK);
}

int nio_dma_map(struct nio_ctx *ctx, void *vaddr, size_t size,
		unsigned int flags, struct nio_dma **out)
{
	struct nioi_dma *d;
	int ret;

	nioi_clear_error();
	ret = check_ctx(ctx, flags & ~NIO_DMA_HUGE);
	if (ret)
		return ret;
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
	ret = keep_from_fork(ctx, d);
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
		allow_fork(d);
		free(d);
		return ret;
	}
	*out = &d->pub;
	return 0;
}

int nio_dma_free(struct nio_ctx *ctx, struct nio_dma *dma)
{
	struct nioi_dma *d = (struct nioi_dma *)dma, **pp;
	int ret = 0;

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
	if (ctx->path == NIO_PATH_LEGACY_GROUP)
		munlock(dma->vaddr, dma->size);
	else
		ret = ioas_unmap(ctx, dma->lookup_key, dma->size);
	pthread_mutex_unlock(&ctx->lock);
	if (d->owned)
		munmap(dma->vaddr, d->map_len);
	else
		allow_fork(d);
	nioi_segs_free(&d->segs);
	free(d);
	return ret;
}

uint64_t nio_dma_addr(const struct nio_dma *dma, size_t offset,
		      size_t *contig)
{
	return nioi_segs_lookup(dma->segs, dma->nsegs, offset, contig);
}

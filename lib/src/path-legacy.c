// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Path 3, legacy no-IOMMU VFIO group + container: nothing pins, so buffers
 * are mlock()ed and their physical addresses read once from
 * /proc/self/pagemap, and fork() is kept from moving them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/capability.h>

#include "path.h"
#include "uapi.h"

/* ---- opening and closing ---- */

static int check_viable(const struct nio_device *dev)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };

	if (ioctl(dev->group_fd, VFIO_GROUP_GET_STATUS, &status))
		return nioi_fail(errno, "VFIO_GROUP_GET_STATUS on %s: %s",
				 dev->node, strerror(errno));
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE))
		return nioi_fail(EBUSY,
				 "group %s is not viable: another device of the group is not bound to vfio-pci",
				 dev->node);
	return 0;
}

/* Put the group in the context's container, which the first one creates. */
static int join_container(struct nio_device *dev)
{
	struct nio_ctx *ctx = dev->ctx;
	char path[PATH_MAX];

	if (ctx->container < 0) {
		ctx->container = open(nioi_path(path, sizeof(path), "/dev/vfio/vfio"),
				      O_RDWR | O_CLOEXEC);
		if (ctx->container < 0)
			return nioi_fail(errno, "cannot open /dev/vfio/vfio: %s",
					 strerror(errno));
	}
	if (ioctl(dev->group_fd, VFIO_GROUP_SET_CONTAINER, &ctx->container))
		return nioi_fail(errno, "VFIO_GROUP_SET_CONTAINER for %s: %s",
				 dev->node, strerror(errno));
	if (!ctx->container_set) {
		if (ioctl(ctx->container, VFIO_SET_IOMMU, VFIO_NOIOMMU_IOMMU))
			return nioi_fail(errno,
					 "VFIO_SET_IOMMU(VFIO_NOIOMMU_IOMMU) failed: %s",
					 strerror(errno));
		ctx->container_set = true;
	}
	return 0;
}

/*
 * Take the group out of the container. When the last group leaves, the
 * kernel releases the container's IOMMU driver: the next device opened in
 * this context must VFIO_SET_IOMMU again (also after a failed first open).
 */
static void leave_container(struct nio_device *dev)
{
	ioctl(dev->group_fd, VFIO_GROUP_UNSET_CONTAINER);
	if (!dev->ctx->devices)
		dev->ctx->container_set = false;
}

static int open_legacy(struct nio_device *dev, const struct nio_pci_info *info)
{
	int ret = nioi_open_node(dev, info->group_node, &dev->group_fd);

	if (ret)
		return ret;
	ret = check_viable(dev);
	if (ret)
		return ret;
	ret = join_container(dev);
	if (ret)
		return ret;
	dev->fd = ioctl(dev->group_fd, VFIO_GROUP_GET_DEVICE_FD, info->bdf);
	if (dev->fd < 0) {
		ret = nioi_open_error(errno, dev);
		leave_container(dev);
		return ret;
	}
	return 0;
}

static void warn_legacy(const struct nio_device *dev)
{
	nioi_warn("%s uses the legacy no-IOMMU path: DMA buffers are mlock()ed, not long-term pinned, and their physical addresses come from /proc/self/pagemap (CAP_SYS_ADMIN)",
		  dev->bdf);
	if (!nioi_has_cap(CAP_SYS_ADMIN))
		nioi_warn("no CAP_SYS_ADMIN: /proc/self/pagemap will hide physical addresses, DMA allocation will fail");
}

static void close_legacy(struct nio_device *dev)
{
	if (dev->group_fd < 0)
		return;
	leave_container(dev);
	close(dev->group_fd);
}

/* ---- pinning ---- */

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

static int segs_from_pagemap(struct nioi_dma *d)
{
	size_t npages = d->pub.size / NIO_PAGE_4K;
	uint64_t *entries = malloc(npages * sizeof(*entries));
	int ret;

	ret = entries ? read_pagemap(d->pub.vaddr, npages, entries) :
			nioi_fail(ENOMEM, "out of memory");
	if (!ret)
		ret = nioi_segs_from_pagemap(&d->segs, entries, npages);
	free(entries);
	return ret;
}

/* Without an IOMMU nothing holds the device to NIO_DMA_READONLY: no flags. */
static int pin_legacy(struct nio_ctx *ctx, struct nioi_dma *d,
		      unsigned int flags)
{
	int ret;

	(void)ctx;
	(void)flags;
	if (!nioi_has_cap(CAP_SYS_ADMIN))
		return nioi_fail(EPERM,
				 "the legacy path reads physical addresses from /proc/self/pagemap, which needs CAP_SYS_ADMIN (run as root)");
	/* mlock() faults every page in for writing, breaking COW, so the
	 * physical addresses read below are the pages the device will use. */
	if (mlock(d->pub.vaddr, d->pub.size))
		return nioi_memlock_error(errno, d->pub.size, "mlock()");
	ret = segs_from_pagemap(d);
	if (ret) {
		munlock(d->pub.vaddr, d->pub.size);
		nioi_segs_free(&d->segs);
	}
	return ret;
}

static int unpin_legacy(struct nio_ctx *ctx, struct nioi_dma *d)
{
	(void)ctx;
	munlock(d->pub.vaddr, d->pub.size);
	return 0;
}

/* ---- fork() ---- */

/*
 * Caller memory (see shared_buffers below): the child of a fork() does
 * not get it (MADV_DONTFORK), so no copy-on-write can move it. Without
 * madvise() in the kernel, say what cannot be promised.
 */
static int keep_from_fork(struct nioi_dma *d)
{
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

const struct nioi_path_ops nioi_legacy_ops = {
	.name = "legacy-group",
	.summary = "legacy no-IOMMU group + container: pages mlock()ed, physical addresses from /proc/self/pagemap (no long-term pinning guarantee)",
	.open_denied_hint = "no-IOMMU devices need CAP_SYS_RAWIO (run as root)",
	.open_device = open_legacy,
	.announce_open = warn_legacy,
	.close_device = close_legacy,
	.pin = pin_legacy,
	.unpin = unpin_legacy,
	/*
	 * The legacy path cannot pin: a private page shared copy-on-write
	 * with a child of fork() would move on the parent's next write while
	 * the device kept the old one. Shared anonymous memory is never
	 * copied on write, on any kernel (MADV_DONTFORK needs
	 * CONFIG_ADVISE_SYSCALLS). The IOMMUFD paths pin, and fork() gives
	 * the child copies of pinned pages instead.
	 */
	.shared_buffers = true,
	.protect_from_fork = keep_from_fork,
	.release_from_fork = allow_fork,
};

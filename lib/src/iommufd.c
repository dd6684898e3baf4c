// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What the two IOMMUFD paths share: the context's IOMMUFD and IOAS, binding
 * and attaching a device cdev, and IOMMU_IOAS_MAP/UNMAP, which pin and
 * unpin. The paths differ only in how a mapped buffer's device addresses
 * are found (path-noiommu-cdev.c, path-iommu-cdev.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "path.h"
#include "uapi.h"

/* ---- opening ---- */

static int ensure_ioas(struct nio_ctx *ctx)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	char path[PATH_MAX];
	int err;

	if (ctx->iommufd >= 0)
		return 0;
	ctx->iommufd = open(nioi_path(path, sizeof(path), "/dev/iommu"),
			    O_RDWR | O_CLOEXEC);
	if (ctx->iommufd < 0)
		return nioi_fail(errno, "cannot open /dev/iommu: %s%s",
				 strerror(errno),
				 errno == EACCES ? " (run as root)" : "");
	if (ioctl(ctx->iommufd, IOMMU_IOAS_ALLOC, &alloc)) {
		err = errno;
		close(ctx->iommufd);
		ctx->iommufd = -1;
		return nioi_fail(err, "IOMMU_IOAS_ALLOC failed: %s", strerror(err));
	}
	ctx->ioas_id = alloc.out_ioas_id;
	return 0;
}

static int bind_iommufd(struct nio_device *dev)
{
	struct vfio_device_bind_iommufd bind = {
		.argsz = sizeof(bind), .iommufd = dev->ctx->iommufd,
	};

	if (ioctl(dev->fd, VFIO_DEVICE_BIND_IOMMUFD, &bind)) {
		/*
		 * EPERM has one cause per path: a no-IOMMU device needs
		 * CAP_SYS_RAWIO; behind an IOMMU, IOMMUFD refuses a device
		 * whose MSIs the IOMMU does not isolate (no interrupt
		 * remapping), whoever asks.
		 */
		if (errno == EPERM && dev->path == NIO_PATH_IOMMU_CDEV)
			return nioi_fail(EPERM,
					 "VFIO_DEVICE_BIND_IOMMUFD on %s refused: the IOMMU does not isolate the device's MSIs (no interrupt remapping); turn interrupt remapping on, or accept that the device can forge interrupts with /sys/module/iommufd/parameters/allow_unsafe_interrupts = 1",
					 dev->node);
		if (errno == EPERM)
			return nioi_fail(EPERM,
					 "VFIO_DEVICE_BIND_IOMMUFD on %s refused: no-IOMMU devices need CAP_SYS_RAWIO (run as root)",
					 dev->node);
		return nioi_fail(errno, "VFIO_DEVICE_BIND_IOMMUFD on %s failed: %s",
				 dev->node, strerror(errno));
	}
	dev->devid = bind.out_devid;
	return 0;
}

static int attach_ioas(struct nio_device *dev)
{
	struct vfio_device_attach_iommufd_pt attach = {
		.argsz = sizeof(attach), .pt_id = dev->ctx->ioas_id,
	};

	if (ioctl(dev->fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach))
		return nioi_fail(errno,
				 "VFIO_DEVICE_ATTACH_IOMMUFD_PT of %s to IOAS %u failed: %s",
				 dev->node, dev->ctx->ioas_id, strerror(errno));
	return 0;
}

int nioi_iommufd_open_device(struct nio_device *dev,
			     const struct nio_pci_info *info)
{
	int ret = nioi_open_node(dev, info->cdev_node, &dev->fd);

	if (ret)
		return ret;
	ret = ensure_ioas(dev->ctx);
	if (ret)
		return ret;
	ret = bind_iommufd(dev);
	if (ret)
		return ret;
	return attach_ioas(dev);
}

/* ---- pinning ---- */

/* Map (and so pin) d at an IOVA the kernel picks: d->pub.lookup_key. */
static int ioas_map(struct nio_ctx *ctx, struct nioi_dma *d,
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

	if (ioctl(ctx->iommufd, IOMMU_IOAS_MAP, &map)) {
		if (errno == EFAULT)
			return nioi_fail(EFAULT,
					 "IOMMU_IOAS_MAP: %p..+%zu is not fully mapped in this process",
					 d->pub.vaddr, d->pub.size);
		return nioi_memlock_error(errno, d->pub.size,
					  "pinning (IOMMU_IOAS_MAP)");
	}
	d->pub.lookup_key = map.iova;
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

int nioi_iommufd_pin(struct nio_ctx *ctx, struct nioi_dma *d,
		     unsigned int flags, nioi_iova_segs fill_segs)
{
	int ret = ioas_map(ctx, d, flags);

	if (ret)
		return ret;
	ret = fill_segs(ctx, d, d->pub.lookup_key);
	if (ret) {
		ioas_unmap(ctx, d->pub.lookup_key, d->pub.size);
		nioi_segs_free(&d->segs);
	}
	return ret;
}

int nioi_iommufd_unpin(struct nio_ctx *ctx, struct nioi_dma *d)
{
	return ioas_unmap(ctx, d->pub.lookup_key, d->pub.size);
}

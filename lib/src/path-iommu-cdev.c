// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Path 2, IOMMU-backed device cdev + IOMMUFD: IOMMU_IOAS_MAP pins and maps,
 * and the IOVA it chose is the device address of the whole buffer.
 */
#include <errno.h>

#include "path.h"

static int segs_from_iova(struct nio_ctx *ctx, struct nioi_dma *d,
			  uint64_t iova)
{
	(void)ctx;
	if (nioi_segs_add(&d->segs, 0, iova, d->pub.size))
		return nioi_fail(ENOMEM, "out of memory");
	return 0;
}

static int pin_iommu_cdev(struct nio_ctx *ctx, struct nioi_dma *d,
			  unsigned int flags)
{
	return nioi_iommufd_pin(ctx, d, flags, segs_from_iova);
}

const struct nioi_path_ops nioi_iommu_cdev_ops = {
	.name = "iommu-cdev",
	.summary = "IOMMU-backed device cdev + IOMMUFD: the device address is the IOVA the IOMMU translates",
	.open_denied_hint = "check the node's owner and mode",
	.open_device = nioi_iommufd_open_device,
	.pin = pin_iommu_cdev,
	.unpin = nioi_iommufd_unpin,
	/* Pinned pages stay put across fork() (see path-noiommu-cdev.c) */
	.shared_buffers = false,
};

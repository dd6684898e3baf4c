// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Path 1, no-IOMMU device cdev + IOMMUFD: IOMMU_IOAS_MAP pins, and one
 * IOMMU_IOAS_NOIOMMU_GET_PA per physically contiguous run gives the
 * physical addresses the device uses.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "path.h"
#include "uapi.h"

/*
 * A kernel with GET_PA answers a lookup of IOVA 0 with its address or, when
 * nothing is mapped there yet, ENOENT. The length is never 0: mainline
 * refuses that (EINVAL); UINT64_MAX asks for the whole run.
 */
static int check_get_pa(struct nio_ctx *ctx)
{
	struct iommu_ioas_noiommu_get_pa cmd = {
		.size = sizeof(cmd), .ioas_id = ctx->ioas_id, .iova = 0,
		.length = UINT64_MAX,
	};

	if (!ioctl(ctx->iommufd, IOMMU_IOAS_NOIOMMU_GET_PA, &cmd) ||
	    errno == ENOENT)
		return 0;
	if (errno == ENOTTY)
		return nioi_fail(EOPNOTSUPP,
				 "the kernel has no-IOMMU device cdevs but no IOMMU_IOAS_NOIOMMU_GET_PA (CONFIG_IOMMUFD_NOIOMMU)");
	if (errno == EPERM)
		return nioi_fail(EPERM,
				 "IOMMU_IOAS_NOIOMMU_GET_PA needs CAP_SYS_RAWIO (run as root)");
	return nioi_fail(errno, "IOMMU_IOAS_NOIOMMU_GET_PA probe failed: %s",
			 strerror(errno));
}

static int open_noiommu_cdev(struct nio_device *dev,
			     const struct nio_pci_info *info)
{
	int ret = nioi_iommufd_open_device(dev, info);

	if (ret)
		return ret;
	return check_get_pa(dev->ctx);
}

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

static int segs_from_get_pa(struct nio_ctx *ctx, struct nioi_dma *d,
			    uint64_t iova)
{
	struct get_pa_query q = { ctx, iova };

	return nioi_segs_from_runs(&d->segs, d->pub.size, get_pa_run, &q);
}

static int pin_noiommu_cdev(struct nio_ctx *ctx, struct nioi_dma *d,
			    unsigned int flags)
{
	return nioi_iommufd_pin(ctx, d, flags, segs_from_get_pa);
}

const struct nioi_path_ops nioi_noiommu_cdev_ops = {
	.name = "noiommu-cdev",
	.summary = "no-IOMMU device cdev + IOMMUFD: pages pinned by IOMMU_IOAS_MAP, physical addresses from IOMMU_IOAS_NOIOMMU_GET_PA",
	.open_denied_hint = "no-IOMMU devices need CAP_SYS_RAWIO (run as root)",
	.open_device = open_noiommu_cdev,
	.pin = pin_noiommu_cdev,
	.unpin = nioi_iommufd_unpin,
	/* IOMMU_IOAS_MAP pins, and fork() gives the child copies of pinned
	 * pages instead of moving the parent's (see path-legacy.c). */
	.shared_buffers = false,
};

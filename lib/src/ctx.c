// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Contexts: one DMA address space and what lives in it. Freeing one closes
 * its devices (device.c) and frees its buffers (dma.c, pool.c), so this
 * file sits above both and neither calls the other.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "internal.h"
#include "uapi.h"

int nio_ctx_new(struct nio_ctx **out)
{
	struct nio_ctx *ctx = calloc(1, sizeof(*ctx));

	nioi_clear_error();
	if (!ctx)
		return nioi_fail(ENOMEM, "out of memory");
	pthread_mutex_init(&ctx->lock, NULL);
	nioi_xlate_init(&ctx->xlate);
	nioi_pool_init(&ctx->pool);
	ctx->iommufd = -1;
	ctx->container = -1;
	*out = ctx;
	return 0;
}

int nio_ctx_new_iommufd(int iommufd, struct nio_ctx **out)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct nio_ctx *ctx;
	int fd, err, ret;

	nioi_clear_error();
	/* Our own reference: the caller may close theirs at any time */
	fd = fcntl(iommufd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return nioi_fail(errno, "iommufd %d: %s", iommufd,
				 strerror(errno));
	/* Our own IOAS in it, which also proves it is an iommufd */
	if (ioctl(fd, IOMMU_IOAS_ALLOC, &alloc)) {
		err = errno;
		close(fd);
		return nioi_fail(err == ENOTTY ? EINVAL : err,
				 "fd %d is not an iommufd (IOMMU_IOAS_ALLOC: %s)",
				 iommufd, strerror(err));
	}
	ret = nio_ctx_new(&ctx);
	if (ret) {
		struct iommu_destroy d = { .size = sizeof(d), .id = alloc.out_ioas_id };

		ioctl(fd, IOMMU_DESTROY, &d);
		close(fd);
		return ret;
	}
	ctx->iommufd = fd;
	ctx->ioas_id = alloc.out_ioas_id;
	ctx->handed_iommufd = true;
	*out = ctx;
	return 0;
}

enum nio_path nio_ctx_path(const struct nio_ctx *ctx)
{
	return ctx->path;
}

void nio_ctx_free(struct nio_ctx *ctx)
{
	if (!ctx)
		return;
	nioi_pool_destroy(ctx);
	while (ctx->dmas)
		nio_dma_free(ctx, &ctx->dmas->pub);
	pthread_mutex_lock(&ctx->lock);
	while (ctx->devices)
		nioi_device_close_locked(ctx->devices);
	if (ctx->iommufd >= 0) {
		struct iommu_destroy d = { .size = sizeof(d), .id = ctx->ioas_id };

		ioctl(ctx->iommufd, IOMMU_DESTROY, &d);
		close(ctx->iommufd);
	}
	if (ctx->container >= 0)
		close(ctx->container);
	pthread_mutex_unlock(&ctx->lock);
	pthread_mutex_destroy(&ctx->lock);
	nioi_xlate_destroy(&ctx->xlate);
	free(ctx);
}


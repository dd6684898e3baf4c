// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Contexts: one DMA address space and what lives in it. Freeing one closes
 * its devices (device.c) and frees its buffers (dma.c, pool.c), so this
 * file sits above both and neither calls the other.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
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


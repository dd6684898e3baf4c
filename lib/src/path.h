/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What a DMA path does once a device has been given it. Choosing the path
 * (device.c) and judging which one the kernel offers (status.c) speak in
 * enum nio_path; everything that behaves differently per path goes through
 * one struct nioi_path_ops per path:
 *
 *   path-noiommu-cdev.c  no-IOMMU cdev + IOMMUFD, addresses from GET_PA
 *   path-iommu-cdev.c    IOMMU-backed cdev + IOMMUFD, address = IOVA
 *   path-legacy.c        no-IOMMU group + container, mlock() + pagemap
 *
 * The two IOMMUFD paths share iommufd.c; path.c holds the lookup and the
 * explanations every path gives.
 */
#ifndef NIO_PATH_H
#define NIO_PATH_H

#include "internal.h"

struct nioi_path_ops {
	const char *name;	/* nio_path_name() */
	const char *summary;	/* nio_path_summary() */
	/* Advice when the device's node may not be opened (EPERM, EACCES) */
	const char *open_denied_hint;
	/*
	 * Open the node info names for dev, joining dev->ctx's DMA address
	 * space (set up by the first device). Called with ctx->lock held;
	 * on failure the caller closes dev->fd and dev->group_fd.
	 */
	int (*open_device)(struct nio_device *dev,
			   const struct nio_pci_info *info);
	/*
	 * What the caller should know about the open device, or NULL. Called
	 * once ctx->lock is dropped: the log callback may call back into the
	 * library.
	 */
	void (*announce_open)(const struct nio_device *dev);
	/*
	 * Undo what open_device() did beyond opening dev->fd, which is
	 * already closed; dev is off ctx->devices, ctx->lock held. NULL when
	 * closing the fd is enough.
	 */
	void (*close_device)(struct nio_device *dev);
	/*
	 * Pin d's memory for the device and fill d->segs (the IOMMUFD paths
	 * also set d->pub.lookup_key, the IOVA); on failure nothing stays
	 * pinned and d->segs is empty. Called with ctx->lock held.
	 */
	int (*pin)(struct nio_ctx *ctx, struct nioi_dma *d, unsigned int flags);
	/* Undo pin(); d->segs stays for the caller to free. ctx->lock held. */
	int (*unpin)(struct nio_ctx *ctx, struct nioi_dma *d);
	/* Buffers the library allocates must be MAP_SHARED, not private */
	bool shared_buffers;
	/*
	 * Keep caller memory (nio_dma_map()) where the device expects it
	 * across fork(), before it is pinned; release_from_fork() gives it
	 * back as it was. NULL when pinning alone is enough.
	 */
	int (*protect_from_fork)(struct nioi_dma *d);
	void (*release_from_fork)(struct nioi_dma *d);
};

extern const struct nioi_path_ops nioi_noiommu_cdev_ops;
extern const struct nioi_path_ops nioi_iommu_cdev_ops;
extern const struct nioi_path_ops nioi_legacy_ops;

/* The operations of path; NULL for NIO_PATH_NONE and unknown values. */
const struct nioi_path_ops *nioi_path_ops(enum nio_path path);

/* ---- explanations every path gives (path.c) ---- */

/* Opening dev->node failed with err: say why, with dev's path's advice. */
int nioi_open_error(int err, const struct nio_device *dev);
/* Open node (a /dev path) as dev's node into *fd, unless *fd is already
 * open (a node handed over); errors as above. */
int nioi_open_node(struct nio_device *dev, const char *node, int *fd);
/* Pinning len bytes by what failed with err: RLIMIT_MEMLOCK, most likely. */
int nioi_memlock_error(int err, size_t len, const char *what);

/* ---- what the two IOMMUFD paths share (iommufd.c) ---- */

/* Open the device's cdev, bind it to the context's IOMMUFD, attach it to
 * the context's IOAS (both created for the first device). */
int nioi_iommufd_open_device(struct nio_device *dev,
			     const struct nio_pci_info *info);

/* Fill d->segs for a buffer IOMMU_IOAS_MAP placed at iova. */
typedef int (*nioi_iova_segs)(struct nio_ctx *ctx, struct nioi_dma *d,
			      uint64_t iova);
/* IOMMU_IOAS_MAP d (which pins it), then describe it with fill_segs. */
int nioi_iommufd_pin(struct nio_ctx *ctx, struct nioi_dma *d,
		     unsigned int flags, nioi_iova_segs fill_segs);
int nioi_iommufd_unpin(struct nio_ctx *ctx, struct nioi_dma *d);

#endif

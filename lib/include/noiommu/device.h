/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libnoiommu: contexts, devices, regions and interrupts. Include <noiommu.h> rather than this file. */
#ifndef NOIOMMU_DEVICE_H
#define NOIOMMU_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "noiommu/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- contexts and devices ------------------------------------------------ */

struct nio_ctx;
struct nio_device;

/**
 * nio_ctx_new() - a new DMA address space
 * @ctx: receives the context
 *
 * The devices opened in a context share its mappings, and so its path:
 * the first device decides it.
 *
 * Return: 0, or -ENOMEM.
 */
int nio_ctx_new(struct nio_ctx **ctx);
/* Closes remaining devices and frees remaining DMA buffers. */
void nio_ctx_free(struct nio_ctx *ctx);
/**
 * nio_ctx_new_iommufd() - a context on an iommufd that was handed over
 * @iommufd: an open /dev/iommu, from a Kubernetes device plugin or a
 *	     container runtime
 * @ctx: receives the context
 *
 * The library keeps its own duplicate of @iommufd, so the caller may close
 * theirs at any time, and allocates its own IOAS in it. The context opens
 * devices on the two IOMMUFD paths only. Since 2.2.
 *
 * Return: 0; -EBADF when @iommufd is not open; -EINVAL when it is not an
 * iommufd; another errno of IOMMU_IOAS_ALLOC; -ENOMEM.
 */
int nio_ctx_new_iommufd(int iommufd, struct nio_ctx **ctx);
/* Path of the context's devices (NONE until the first device opens). */
enum nio_path nio_ctx_path(const struct nio_ctx *ctx);

struct nio_open_opts {
	unsigned int paths;	/* NIO_PATH_BIT()s allowed; 0 = all */
};

/**
 * nio_device_open() - open a PCI device for DMA through the best path
 * @ctx: the context whose address space the device joins
 * @bdf: the device, bound to vfio-pci ("0000:01:00.0" or "01:00.0")
 * @opts: NULL, or the paths allowed
 * @dev: receives the device
 *
 * Tries the no-IOMMU cdev, the IOMMU cdev and the legacy group, in that
 * order, among those @opts allows; nio_device_why() tells which was
 * chosen and why not the others. nio_errmsg() explains every failure.
 *
 * Return: 0; -EINVAL or -ENOENT for a bad or unknown @bdf; -ENODEV when
 * the device has no IOMMU and no-IOMMU mode is off; -ENXIO when it is not
 * bound to vfio-pci; -EOPNOTSUPP when no allowed path is usable; -EXDEV
 * when the context's devices use another path (or, in a context from
 * nio_ctx_new_iommufd(), @bdf needs the legacy path); -EPERM without
 * CAP_SYS_RAWIO; -EBUSY when another process or context has the device;
 * another errno of the open or of the VFIO and IOMMUFD ioctls.
 */
int nio_device_open(struct nio_ctx *ctx, const char *bdf,
		    const struct nio_open_opts *opts, struct nio_device **dev);
/**
 * nio_device_open_fd() - open a device from a VFIO node that was handed over
 * @ctx: the context whose address space the device joins
 * @fd: an open device cdev (/dev/vfio/devices/noiommu-vfioX or vfioX) not
 *	yet bound to an iommufd, or a no-IOMMU group (/dev/vfio/noiommu-N)
 *	of one device
 * @opts: NULL, or the paths allowed: the node fixes the path, @opts may
 *	  only exclude it
 * @dev: receives the device
 *
 * The device is found through sysfs by the node's device number, so the
 * node need not exist in this process's /dev (a pod given only the fd).
 * The library keeps its own duplicate of @fd: the caller may close theirs.
 * Since 2.2.
 *
 * Return: 0; -EBADF when @fd is not open; -EINVAL when it is no such node
 * (or a group of several devices); -ENODEV when no PCI device has it;
 * -EOPNOTSUPP when @opts excludes its path; otherwise as
 * nio_device_open().
 */
int nio_device_open_fd(struct nio_ctx *ctx, int fd,
		       const struct nio_open_opts *opts, struct nio_device **dev);
void nio_device_close(struct nio_device *dev);
enum nio_path nio_device_path(const struct nio_device *dev);
/* Why this path was chosen (and why better ones were not). */
const char *nio_device_why(const struct nio_device *dev);
/* The node opened: /dev/vfio/devices/... or /dev/vfio/noiommu-N. */
const char *nio_device_node(const struct nio_device *dev);
const char *nio_device_bdf(const struct nio_device *dev);
/* The VFIO device fd, for ioctls the library does not wrap. */
int nio_device_fd(const struct nio_device *dev);

struct nio_region {
	uint64_t offset;	/* in the device fd */
	uint64_t size;
	uint32_t flags;		/* VFIO_REGION_INFO_FLAG_* */
};
/* index: VFIO_PCI_BAR0_REGION_INDEX.. VFIO_PCI_CONFIG_REGION_INDEX.. */
int nio_region_info(struct nio_device *dev, unsigned int index,
		    struct nio_region *region);
/* mmap a BAR; unmapped by nio_device_close(). */
int nio_bar_map(struct nio_device *dev, unsigned int bar,
		volatile void **addr, size_t *size);
int nio_config_read(struct nio_device *dev, unsigned int offset, void *buf,
		    size_t len);
int nio_config_write(struct nio_device *dev, unsigned int offset,
		     const void *buf, size_t len);
/* Enable (or disable) bus mastering; enabling also turns on memory
 * decoding so the BARs answer. */
int nio_bus_master(struct nio_device *dev, bool enable);
int nio_reset(struct nio_device *dev);

enum nio_irq_kind { NIO_IRQ_INTX, NIO_IRQ_MSI, NIO_IRQ_MSIX };
/* Vectors the device offers for kind (0 when none). */
int nio_irq_count(struct nio_device *dev, enum nio_irq_kind kind,
		  unsigned int *count);
/*
 * Deliver vectors 0..count-1 of kind on new eventfds, stored in efds[]
 * (owned by the library until nio_irq_disable() or close).
 */
int nio_irq_enable(struct nio_device *dev, enum nio_irq_kind kind,
		   unsigned int count, int *efds);
int nio_irq_disable(struct nio_device *dev, enum nio_irq_kind kind);
/* INTx is masked by the kernel when it fires: unmask after handling. */
int nio_irq_unmask_intx(struct nio_device *dev);
/* Wait up to timeout_ms for efd; returns the event count (> 0), or
 * -ETIMEDOUT. */
int nio_irq_wait(int efd, int timeout_ms);

#ifdef __cplusplus
}
#endif

#endif

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

/* A DMA address space; the devices opened in it share its mappings. */
int nio_ctx_new(struct nio_ctx **ctx);
/* Closes remaining devices and frees remaining DMA buffers. */
void nio_ctx_free(struct nio_ctx *ctx);
/*
 * A context on an iommufd that was handed over (a Kubernetes device
 * plugin, a container runtime): an open /dev/iommu. The library keeps its
 * own duplicate, so the caller may close iommufd at any time, and makes
 * its own IOAS in it. Such a context opens devices on the two IOMMUFD
 * paths only (-EXDEV for the legacy path). Errors: -EBADF (iommufd is not
 * open), -EINVAL (not an iommufd), the IOMMU_IOAS_ALLOC errno. (2.2)
 */
int nio_ctx_new_iommufd(int iommufd, struct nio_ctx **ctx);
/* Path of the context's devices (NONE until the first device opens). */
enum nio_path nio_ctx_path(const struct nio_ctx *ctx);

struct nio_open_opts {
	unsigned int paths;	/* NIO_PATH_BIT()s allowed; 0 = all */
};

/*
 * Open bdf (bound to vfio-pci) through the best allowed path. All devices
 * of a context use one path: -EXDEV when bdf would need another.
 */
int nio_device_open(struct nio_ctx *ctx, const char *bdf,
		    const struct nio_open_opts *opts, struct nio_device **dev);
/*
 * Open a device from a VFIO node that was handed over as fd: a device cdev
 * (/dev/vfio/devices/noiommu-vfioX or vfioX) not yet bound to an iommufd,
 * or a no-IOMMU group (/dev/vfio/noiommu-N) of one device. The node fixes
 * the path; opts->paths may only exclude it (-EOPNOTSUPP). The node need
 * not exist in this process's /dev (the device is found through sysfs),
 * and the library keeps its own duplicate of fd: the caller may close
 * theirs. Otherwise as nio_device_open(); -EINVAL when fd is no such node,
 * -ENODEV when no PCI device has it. (2.2)
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

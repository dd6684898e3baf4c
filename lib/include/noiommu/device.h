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
/**
 * nio_ctx_free() - close a context
 * @ctx: the context, or NULL (nothing happens)
 *
 * Frees the pool and every DMA buffer still allocated or mapped, closes
 * every device still open, and gives back the context's IOAS and iommufd
 * or container.
 */
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
/**
 * nio_ctx_path() - the path of the context's devices
 * @ctx: the context
 *
 * Return: the path, NIO_PATH_NONE until the first device opens.
 */
enum nio_path nio_ctx_path(const struct nio_ctx *ctx);

struct nio_open_opts {
	size_t size;		/* sizeof(struct nio_open_opts) (since 2.3) */
	unsigned int paths;	/* NIO_PATH_BIT()s allowed; 0 = all */
};

/**
 * nio_device_open() - open a PCI device for DMA through the best path
 * @ctx: the context whose address space the device joins
 * @bdf: the device, bound to vfio-pci ("0000:01:00.0" or "01:00.0")
 * @opts: NULL, or the paths allowed (with its size set)
 * @dev: receives the device
 *
 * Tries the no-IOMMU cdev, the IOMMU cdev and the legacy group, in that
 * order, among those @opts allows; nio_device_why() tells which was
 * chosen and why not the others. nio_errmsg() explains every failure.
 *
 * Return: 0; -EINVAL or -ENOENT for a bad or unknown @bdf; -EINVAL or
 * -E2BIG for a bad @opts->size (see NIO_SIZED_INIT); -ENODEV when
 * the device has no IOMMU and no-IOMMU mode is off; -ENXIO when it is not
 * bound to vfio-pci; -EOPNOTSUPP when no allowed path is usable; -EXDEV
 * when the context's devices use another path (or, in a context from
 * nio_ctx_new_iommufd(), @bdf needs the legacy path); -EPERM without
 * CAP_SYS_RAWIO (no-IOMMU paths) or, behind an IOMMU, when it does not
 * isolate the device's MSIs (no interrupt remapping); -EBUSY when another process or context has the device;
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
 * @opts: NULL, or the paths allowed (with its size set): the node fixes
 *	  the path, @opts may only exclude it
 * @dev: receives the device
 *
 * The device is found through sysfs by the node's device number, so the
 * node need not exist in this process's /dev (a pod given only the fd).
 * The library keeps its own duplicate of @fd: the caller may close theirs.
 * Since 2.2.
 *
 * Return: 0; -EBADF when @fd is not open; -EINVAL when it is no such node
 * (or a group of several devices); -ENODEV when no PCI device has it;
 * -EOPNOTSUPP when @opts excludes its path; -EINVAL or -E2BIG for a bad
 * @opts->size; otherwise as nio_device_open().
 */
int nio_device_open_fd(struct nio_ctx *ctx, int fd,
		       const struct nio_open_opts *opts, struct nio_device **dev);
/**
 * nio_device_close() - close a device
 * @dev: the device, or NULL (nothing happens)
 *
 * Disables its interrupts, unmaps its BARs and closes its fds (which, for
 * a cdev, unbinds it from the iommufd; for a group, leaves the container).
 * The context's DMA buffers stay for its other devices.
 */
void nio_device_close(struct nio_device *dev);

/**
 * nio_device_path() - the path a device was opened through
 * @dev: the device
 *
 * Return: its path.
 */
enum nio_path nio_device_path(const struct nio_device *dev);
/**
 * nio_device_why() - why the device got its path
 * @dev: the device
 *
 * Return: one line: the path, the node, how DMA addresses are found there
 * and why the better paths were not taken; as long-lived as @dev.
 */
const char *nio_device_why(const struct nio_device *dev);
/**
 * nio_device_node() - the VFIO node of the device
 * @dev: the device
 *
 * Return: /dev/vfio/devices/... or /dev/vfio/noiommu-N; as long-lived as
 * @dev.
 */
const char *nio_device_node(const struct nio_device *dev);
/**
 * nio_device_bdf() - the PCI address of the device
 * @dev: the device
 *
 * Return: "dddd:bb:dd.f"; as long-lived as @dev.
 */
const char *nio_device_bdf(const struct nio_device *dev);
/**
 * nio_device_fd() - the VFIO device fd
 * @dev: the device
 *
 * For VFIO ioctls the library does not wrap. The library owns it: do not
 * close it.
 *
 * Return: the fd.
 */
int nio_device_fd(const struct nio_device *dev);

struct nio_region {
	uint64_t offset;	/* in the device fd */
	uint64_t size;
	uint32_t flags;		/* VFIO_REGION_INFO_FLAG_* */
};
/**
 * nio_region_info() - where a VFIO region of the device is
 * @dev: the device
 * @index: VFIO_PCI_BAR0_REGION_INDEX .. VFIO_PCI_CONFIG_REGION_INDEX ..
 * @region: receives its offset in the device fd, size and flags
 *
 * Return: 0, or the errno of VFIO_DEVICE_GET_REGION_INFO (-EINVAL: no
 * such region).
 */
int nio_region_info(struct nio_device *dev, unsigned int index,
		    struct nio_region *region);
/**
 * nio_bar_map() - map a memory BAR
 * @dev: the device
 * @bar: 0 to 5
 * @addr: receives the mapping (the same one on every call)
 * @size: when not NULL, receives its size
 *
 * Use the accessors of noiommu/mmio.h on it. nio_device_close() unmaps
 * it. Thread safe.
 *
 * Return: 0; -EINVAL when @bar is above 5 or cannot be mmap()ed (an I/O
 * port BAR: use pread()/pwrite() on nio_device_fd()); -ENOENT when the
 * device has no such BAR; the errno of mmap().
 */
int nio_bar_map(struct nio_device *dev, unsigned int bar,
		volatile void **addr, size_t *size);
/**
 * nio_config_read() - read the device's PCI config space
 * @dev: the device
 * @offset: the first byte
 * @buf: receives @len bytes
 * @len: bytes to read
 *
 * Return: 0; -EINVAL when the range goes past the config space; -EIO on a
 * short read; the errno of pread().
 */
int nio_config_read(struct nio_device *dev, unsigned int offset, void *buf,
		    size_t len);
/**
 * nio_config_write() - write the device's PCI config space
 * @dev: the device
 * @offset: the first byte
 * @buf: @len bytes to write
 * @len: bytes to write
 *
 * VFIO decides which bits a write may change (it virtualizes some).
 *
 * Return: 0; -EINVAL when the range goes past the config space; -EIO on a
 * short write; the errno of pwrite().
 */
int nio_config_write(struct nio_device *dev, unsigned int offset,
		     const void *buf, size_t len);
/**
 * nio_bus_master() - let the device do DMA, or stop it
 * @dev: the device
 * @enable: true to set Bus Master (and Memory Space, so that the BARs
 *	    answer), false to clear Bus Master
 *
 * Return: 0, or as nio_config_read().
 */
int nio_bus_master(struct nio_device *dev, bool enable);
/**
 * nio_reset() - reset the device (VFIO_DEVICE_RESET)
 * @dev: the device
 *
 * Return: 0, or the errno of VFIO_DEVICE_RESET (-EINVAL: the device has no
 * reset method VFIO can use).
 */
int nio_reset(struct nio_device *dev);

enum nio_irq_kind { NIO_IRQ_INTX, NIO_IRQ_MSI, NIO_IRQ_MSIX };
/**
 * nio_irq_count() - how many vectors of a kind the device offers
 * @dev: the device
 * @kind: NIO_IRQ_INTX, NIO_IRQ_MSI or NIO_IRQ_MSIX
 * @count: receives the number (0 when none)
 *
 * Return: 0; -EINVAL for an unknown @kind; the errno of
 * VFIO_DEVICE_GET_IRQ_INFO.
 */
int nio_irq_count(struct nio_device *dev, enum nio_irq_kind kind,
		  unsigned int *count);
/**
 * nio_irq_enable() - deliver interrupts on eventfds
 * @dev: the device
 * @kind: NIO_IRQ_INTX, NIO_IRQ_MSI or NIO_IRQ_MSIX
 * @count: vectors 0 .. @count - 1 (1 for INTx)
 * @efds: receives @count new eventfds, which the library owns until
 *	  nio_irq_disable() or nio_device_close()
 *
 * Thread safe. Wait on an eventfd with nio_irq_wait() or poll().
 *
 * Return: 0; -EINVAL for an unknown @kind, a @count of 0 or more than the
 * device offers; -ENOMEM; the errno of eventfd() or VFIO_DEVICE_SET_IRQS.
 */
int nio_irq_enable(struct nio_device *dev, enum nio_irq_kind kind,
		   unsigned int count, int *efds);
/**
 * nio_irq_disable() - stop delivering interrupts of a kind
 * @dev: the device
 * @kind: NIO_IRQ_INTX, NIO_IRQ_MSI or NIO_IRQ_MSIX
 *
 * Closes the eventfds nio_irq_enable() gave. Thread safe.
 *
 * Return: 0 (also when @kind was not enabled), or -EINVAL for an unknown
 * @kind.
 */
int nio_irq_disable(struct nio_device *dev, enum nio_irq_kind kind);
/**
 * nio_irq_unmask_intx() - unmask INTx once it has been handled
 * @dev: the device
 *
 * The kernel masks INTx when it fires, until this.
 *
 * Return: 0, or the errno of VFIO_DEVICE_SET_IRQS.
 */
int nio_irq_unmask_intx(struct nio_device *dev);
/**
 * nio_irq_wait() - wait for an interrupt
 * @efd: an eventfd from nio_irq_enable()
 * @timeout_ms: how long, in milliseconds; negative: for ever
 *
 * Return: the number of interrupts since the last wait (> 0); -ETIMEDOUT;
 * the errno of poll() or read().
 */
int nio_irq_wait(int efd, int timeout_ms);

#ifdef __cplusplus
}
#endif

#endif

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libnoiommu: one C API for userspace PCI drivers that do DMA, on machines
 * with or without an IOMMU.
 *
 * A driver opens devices into a context (one DMA address space), allocates
 * or maps DMA memory in that context and programs the device with the
 * addresses the library returns. The library picks the best path the
 * running kernel offers and says which and why:
 *
 *   1. no-IOMMU device cdev + IOMMUFD: pages pinned by IOMMU_IOAS_MAP,
 *      physical addresses from IOMMU_IOAS_NOIOMMU_GET_PA;
 *   2. IOMMU-backed device cdev + IOMMUFD: the device address is the IOVA;
 *   3. legacy no-IOMMU group + container: pages mlock()ed, physical
 *      addresses from /proc/self/pagemap (no long-term pinning guarantee).
 *
 * Errors: every function that can fail returns 0 or a negative errno and
 * leaves a message naming the cause and the fix in nio_errmsg() (per
 * thread). The errno values are listed in lib/README.md.
 *
 * Thread safety: a context and its devices and DMA buffers may be used from
 * several threads; nio_dma_addr() never makes a system call.
 */
#ifndef NOIOMMU_H
#define NOIOMMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NIO_VERSION "2.0.0"

/* ---- errors and logging ------------------------------------------------ */

/* Message of this thread's last failure ("" when none). */
const char *nio_errmsg(void);

enum nio_log_level { NIO_LOG_WARN, NIO_LOG_INFO };
typedef void (*nio_log_fn)(enum nio_log_level level, const char *msg,
			   void *arg);
/*
 * Where warnings (e.g. "legacy path: pages are not long-term pinned") go.
 * Default: "libnoiommu: warning: ..." on stderr. NULL silences them.
 */
void nio_set_log(nio_log_fn fn, void *arg);

/*
 * Prefix for every /sys, /dev and /proc path the library reads (default
 * ""). For tests that run against a fake tree; not thread safe.
 */
void nio_set_root(const char *root);

/* ---- DMA paths ---------------------------------------------------------- */

enum nio_path {
	NIO_PATH_NONE = 0,
	NIO_PATH_NOIOMMU_CDEV = 1,	/* no-IOMMU cdev + IOMMUFD + GET_PA */
	NIO_PATH_IOMMU_CDEV = 2,	/* IOMMU cdev + IOMMUFD, address = IOVA */
	NIO_PATH_LEGACY_GROUP = 3,	/* no-IOMMU group + container + pagemap */
};
#define NIO_PATH_BIT(p) (1u << (p))
#define NIO_PATHS_ALL (NIO_PATH_BIT(NIO_PATH_NOIOMMU_CDEV) | \
		       NIO_PATH_BIT(NIO_PATH_IOMMU_CDEV) | \
		       NIO_PATH_BIT(NIO_PATH_LEGACY_GROUP))

/* Short name: "noiommu-cdev", "iommu-cdev", "legacy-group" or "none". */
const char *nio_path_name(enum nio_path path);
/* One line describing how DMA addresses are obtained on that path. */
const char *nio_path_summary(enum nio_path path);

/* ---- PCI devices (sysfs) ------------------------------------------------ */

#define NIO_BDF_LEN 16

struct nio_pci_info {
	char bdf[NIO_BDF_LEN];		/* 0000:00:03.0 */
	uint16_t vendor;
	uint16_t device;
	uint32_t class_code;		/* 24-bit class, e.g. 0x010802 */
	char driver[64];		/* bound driver, "" when none */
	char driver_override[64];	/* "" when not set */
	int iommu_group;		/* -1: no IOMMU group */
	bool has_iommu;			/* behind a real IOMMU */
	bool noiommu;			/* VFIO treats it as a no-IOMMU device */
	char group_node[64];		/* /dev/vfio/N or /dev/vfio/noiommu-N */
	char cdev_name[32];		/* sysfs vfio-dev entry, "" when none */
	char cdev_node[80];		/* /dev/vfio/devices/<cdev_name> */
};

/* Canonical "dddd:bb:dd.f" form of bdf ("bb:dd.f" gets domain 0000). */
int nio_bdf_normalize(const char *bdf, char out[NIO_BDF_LEN]);
int nio_pci_info(const char *bdf, struct nio_pci_info *info);
/* Every PCI device, sorted by BDF; free *list with free(). */
int nio_pci_list(struct nio_pci_info **list, size_t *count);
/* BDF of the index-th device with vendor:device; -ENOENT when none. */
int nio_pci_find(uint16_t vendor, uint16_t device, unsigned int index,
		 char bdf[NIO_BDF_LEN]);
/*
 * Bind bdf to vfio-pci through driver_override; the driver it had is
 * stored in prev ("" when none). Binding a device already on vfio-pci
 * succeeds and leaves prev as "vfio-pci".
 */
int nio_pci_bind_vfio(const char *bdf, char *prev, size_t prev_len);
/*
 * Unbind bdf from vfio-pci, clear driver_override and hand the device to
 * restore (a driver name) or, when restore is NULL or "", to whatever
 * driver the kernel picks. A device not bound to vfio-pci (another driver
 * or none) is left untouched: -EINVAL.
 */
int nio_pci_unbind_vfio(const char *bdf, const char *restore);

/* ---- what the running kernel supports ------------------------------------ */

struct nio_kconfig {
	/* 'y', 'm' or 'n' for each option */
	char vfio, vfio_group, vfio_container, iommufd_vfio_container;
	char vfio_device_cdev, iommufd, vfio_noiommu, vfio_pci;
	/* the series' (and mainline's) marker of no-IOMMU cdev support */
	char iommufd_noiommu;
	int matrix_case;	/* 1..6 per the Kconfig matrix, 0: no VFIO */
	bool noiommu_possible;	/* the matrix says the case can use it */
	bool noiommu_enabled;	/* CONFIG_VFIO_NOIOMMU is set */
	bool noiommu_cdev;	/* path 1 possible: CONFIG_IOMMUFD_NOIOMMU=y */
	char why[512];		/* human explanation of the verdict */
};

/* Parse a kernel .config (plain or gzip, e.g. /proc/config.gz). */
int nio_kconfig_read(const char *path, struct nio_kconfig *k);
/*
 * The running kernel's config (/proc/config.gz, else /boot/config-RELEASE),
 * with the options vfio-noiommu-dkms's modules add when they are installed
 * for this kernel. source (len bytes) names where it came from, e.g.
 * "/boot/config-6.12.117+deb12-cloud-amd64 + vfio-noiommu-dkms".
 */
int nio_kconfig_running(struct nio_kconfig *k, char *source, size_t len);
int nio_kconfig_parse(const char *text, size_t len, struct nio_kconfig *k);

struct nio_status {
	int noiommu_param;		/* 1 on, 0 off, -1 vfio not present */
	bool config_known;		/* config below was read */
	char config_source[128];	/* /proc/config.gz, /boot/config-... */
	struct nio_kconfig config;
	bool dev_iommu;			/* /dev/iommu exists */
	int get_pa;			/* 1/0 kernel has GET_PA, -1 unknown */
	unsigned int group_nodes, noiommu_group_nodes;
	unsigned int cdev_nodes, noiommu_cdev_nodes;
	unsigned long taint;		/* /proc/sys/kernel/tainted */
	bool taint_user;		/* TAINT_USER, set by no-IOMMU use */
	char kernel_release[65];
	enum nio_path best_path;	/* best path a no-IOMMU device gets */
	char why[512];
};
int nio_status_read(struct nio_status *st);

/* ---- contexts and devices ------------------------------------------------ */

struct nio_ctx;
struct nio_device;

/* A DMA address space; the devices opened in it share its mappings. */
int nio_ctx_new(struct nio_ctx **ctx);
/* Closes remaining devices and frees remaining DMA buffers. */
void nio_ctx_free(struct nio_ctx *ctx);
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

/* ---- DMA memory ------------------------------------------------------------ */

/* A physically (or IOVA-) contiguous piece of a DMA buffer. */
struct nio_segment {
	size_t offset;		/* from the start of the buffer */
	uint64_t addr;		/* device address of that byte */
	uint64_t len;
};

/*
 * Read-only for the caller; freed by nio_dma_free(). The device is
 * programmed with segs[].addr (or nio_dma_addr()), never with
 * lookup_key: on the no-IOMMU cdev path the key is the IOVA the buffer
 * has in the IOMMUFD IOAS, which only IOMMU_IOAS_NOIOMMU_GET_PA
 * understands; a device given it would DMA to an unrelated physical
 * address. (With an IOMMU, path 2, the key and the device address are
 * the same number; on the legacy path the key is 0.)
 */
struct nio_dma {
	void *vaddr;
	size_t size;
	size_t page_size;	/* backing page size (4 KiB or 2 MiB) */
	uint64_t lookup_key;	/* IOMMUFD paths: the IOAS IOVA of vaddr */
	size_t nsegs;
	const struct nio_segment *segs;
};

#define NIO_DMA_HUGE	(1u << 0)	/* require 2 MiB pages */
#define NIO_DMA_SMALL	(1u << 1)	/* 4 KiB pages only */
#define NIO_DMA_READONLY (1u << 2)	/* device only reads the buffer */
#define NIO_DMA_CONTIG	(1u << 3)	/* one contiguous run (e.g. a queue) */

#define NIO_BAD_ADDR UINT64_MAX

/*
 * Allocate size bytes (rounded up to the page size) of zeroed, pinned
 * memory the device can reach. Without a flag, buffers of at least 2 MiB
 * use 2 MiB pages when the system has free huge pages, else 4 KiB pages.
 * NIO_DMA_CONTIG: the whole buffer must be one run for the device (a
 * 2 MiB page is used when 4 KiB pages do not happen to be contiguous);
 * -ENOMEM when that cannot be had.
 */
int nio_dma_alloc(struct nio_ctx *ctx, size_t size, unsigned int flags,
		  struct nio_dma **dma);
/* Make caller memory (page aligned, size a multiple of the page size)
 * reachable by the context's devices; the memory stays the caller's. */
int nio_dma_map(struct nio_ctx *ctx, void *vaddr, size_t size,
		unsigned int flags, struct nio_dma **dma);
/* Unmap (and for nio_dma_alloc() memory, free) the buffer. */
int nio_dma_free(struct nio_ctx *ctx, struct nio_dma *dma);
/*
 * Device address of byte offset of the buffer, or NIO_BAD_ADDR when
 * offset is outside it. When contig is not NULL it receives the number of
 * bytes contiguous for the device from there. No system call.
 */
uint64_t nio_dma_addr(const struct nio_dma *dma, size_t offset,
		      size_t *contig);

#ifdef __cplusplus
}
#endif

#endif

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
 * Thread safety: every function may be called from several threads at
 * once on the same context, device or buffer, except that a device must
 * not be used while (or after) it is closed, a buffer while (or after) it
 * is freed, or a context while it is freed; nio_set_root() is for tests
 * and not thread safe. nio_dma_addr(), nio_vtophys() and
 * nio_ptr_from_addr() never make a system call. The log
 * callback (nio_set_log()) runs with no library lock held, in the thread
 * that logs, and may call the library.
 *
 * fork(): in the parent, DMA buffers stay where the device was told they
 * are on every path. On the IOMMUFD paths they are pinned, and a child
 * gets copies. The legacy path cannot pin: the library's buffers there
 * are shared anonymous memory (a child shares them, and nothing is ever
 * copied on write), and memory given to nio_dma_map() is made
 * MADV_DONTFORK (not in a child) until nio_dma_free(); a kernel without
 * madvise() gets a warning instead.
 */
#ifndef NOIOMMU_H
#define NOIOMMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* nio_mmio_read32/write32() & co. and nio_dma_wmb() & co. (since 2.1) */
#include "noiommu/mmio.h"

#ifdef __cplusplus
extern "C" {
#endif

#define NIO_VERSION "2.1.0"

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
/*
 * The device only reads the buffer. With an IOMMU (path 2) the mapping is
 * read-only and a device write faults. Without one (paths 1 and 3) it is a
 * statement of intent only: nothing stops a device from writing wherever
 * it is pointed, including a buffer mapped READONLY. On path 1 the pages
 * are still private to the process (never-written anonymous memory is
 * given its own pages when pinned, not the shared zero page), but a
 * READONLY nio_dma_map() of a read-only shared file mapping hands the
 * device page-cache pages it can write.
 */
#define NIO_DMA_READONLY (1u << 2)
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
/*
 * Make caller memory (page aligned, size a multiple of the page size)
 * reachable by the context's devices; the memory stays the caller's.
 * NIO_DMA_CONTIG: -EINVAL (and nothing mapped) unless the memory is one
 * run for the device.
 */
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

/* ---- address translation across a context (since 2.1) ------------------ */

/**
 * nio_vtophys() - device address of any byte of the context's DMA buffers
 * @ctx: the context
 * @ptr: a byte inside a buffer of @ctx (nio_dma_alloc(), nio_dma_map(),
 *	 nio_pool_alloc())
 * @contig: when not NULL, receives the number of bytes from @ptr that are
 *	    contiguous for the device (never past the end of the buffer)
 *
 * What spdk_vtophys(), rte_mem_virt2iova() and libvfn's
 * iommu_translate_vaddr() are to their users, for a driver that holds a
 * pointer rather than a struct nio_dma and an offset: a binary search
 * over the context's buffers by address, then over the buffer's
 * segments. The address is physical on the no-IOMMU paths and the IOVA on
 * the IOMMU path, as nio_dma_addr() gives it. When buffers overlap (the
 * same memory mapped twice) any of them answers; they agree on the no-IOMMU
 * paths.
 *
 * Context: no system call. Safe against nio_dma_alloc(), nio_dma_map() and
 * nio_dma_free() in other threads: lookups share a readers-writer lock
 * that those take for writing (they wait for lookups in progress, and new
 * lookups wait for them). nio_dma_addr() needs no lock at all: prefer it
 * when the struct nio_dma is at hand.
 *
 * Return: the device address, or NIO_BAD_ADDR when no buffer of @ctx holds
 * @ptr (a freed buffer, one byte past the end); nio_errmsg() then says so.
 * A hit leaves nio_errmsg() alone.
 */
uint64_t nio_vtophys(struct nio_ctx *ctx, const void *ptr, size_t *contig);

/**
 * nio_ptr_from_addr() - the inverse of nio_vtophys()
 * @ctx: the context
 * @addr: a device address inside a buffer of @ctx
 * @contig: when not NULL, receives the number of bytes from @addr that are
 *	    contiguous both for the device and in virtual memory (to the end
 *	    of the segment)
 *
 * For turning what a device wrote (a completion's buffer address, a
 * descriptor) back into a pointer, like rte_mem_iova2virt(): a binary
 * search over the segments of every buffer of @ctx, by device address. On
 * the no-IOMMU paths two buffers mapping the same memory share device
 * addresses: either pointer may come back.
 *
 * Context: as nio_vtophys().
 *
 * Return: the pointer, or NULL when no buffer of @ctx is at @addr;
 * nio_errmsg() then says so.
 */
void *nio_ptr_from_addr(struct nio_ctx *ctx, uint64_t addr, size_t *contig);

/* ---- a pool of small DMA objects per context (since 2.1) ----------------- */

#define NIO_POOL_MAX_SIZE 4096

/**
 * nio_pool_alloc() - a small, zeroed DMA object from the context's pool
 * @ctx: a context with an open device
 * @size: 1 to NIO_POOL_MAX_SIZE bytes
 * @align: 0, or a power of two up to NIO_POOL_MAX_SIZE
 * @ptr: receives the object
 * @addr: when not NULL, receives the object's device address
 *
 * For queue rings, PRP and SGL lists, descriptors and small bounce
 * buffers, where a pinned buffer (and its system calls) each would be
 * wasteful; what rte_zmalloc() and spdk_dma_zmalloc() are to their users.
 * The object is contiguous for the device and aligned, in virtual memory
 * and for the device, to @size rounded up to a power of two, to @align and
 * to 64 bytes, whichever is largest (a 4 KiB object is a page of its own).
 * Its first @size bytes are zeroed. The pool pins 128 KiB chunks with
 * nio_dma_alloc() as it needs them, so nio_vtophys() knows every object.
 *
 * Context: thread safe (a mutex per pool). Only a call that needs a new
 * chunk makes system calls.
 *
 * Return: 0; -EINVAL when @size is 0 or above NIO_POOL_MAX_SIZE, @align is
 * not 0 or a power of two up to it, or no device is open in @ctx yet;
 * otherwise what nio_dma_alloc() returns for the chunk (-ENOMEM: out of
 * memory or RLIMIT_MEMLOCK).
 */
int nio_pool_alloc(struct nio_ctx *ctx, size_t size, size_t align,
		   void **ptr, uint64_t *addr);

/**
 * nio_pool_free() - give an object back to the context's pool
 * @ctx: the context it came from
 * @ptr: what nio_pool_alloc() gave, or NULL (then nothing happens)
 *
 * The device must be done with the object. The pool keeps one chunk with
 * no object in use and unpins any other. nio_ctx_free() frees every
 * object still allocated.
 *
 * Context: thread safe.
 *
 * Return: 0, or -EINVAL when @ptr is not the start of an object of @ctx's
 * pool or that object is already free.
 */
int nio_pool_free(struct nio_ctx *ctx, void *ptr);

#ifdef __cplusplus
}
#endif

#endif

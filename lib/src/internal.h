/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libnoiommu internals. Internal functions are prefixed nioi_ and are not
 * exported from the shared library (see libnoiommu.map); the host unit
 * tests link the static library and call them directly.
 */
#ifndef NIO_INTERNAL_H
#define NIO_INTERNAL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

#include "noiommu.h"

#define NIO_PAGE_4K 4096UL
#define NIO_PAGE_2M (2UL << 20)

#define NIO_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* ---- errors (error.c) ---- */

/* Record a message for nio_errmsg() and return -err. */
int nioi_fail(int err, const char *fmt, ...) NIO_PRINTF(2, 3);
void nioi_clear_error(void);
void nioi_warn(const char *fmt, ...) NIO_PRINTF(1, 2);
void nioi_info(const char *fmt, ...) NIO_PRINTF(1, 2);

/* ---- structs that begin with their size (sized.c) ---- */

#define nioi_offsetofend(type, member) \
	(offsetof(type, member) + sizeof(((type *)0)->member))
/*
 * The smallest size each caller-allocated struct may have: its size in
 * 2.3, the first version with a size. These never change.
 */
#define NIOI_OPEN_OPTS_MIN nioi_offsetofend(struct nio_open_opts, paths)
#define NIOI_PCI_INFO_MIN nioi_offsetofend(struct nio_pci_info, cdev_node)
#define NIOI_STATUS_MIN nioi_offsetofend(struct nio_status, why)

/*
 * A struct the caller gives: its size at least min, the bytes past the
 * library's known_size zero. Read into known, the fields an older caller
 * lacks zero.
 */
int nioi_sized_in(void *known, size_t known_size, const void *s, size_t min,
		  const char *name);
/* A struct the library fills: its size at least min. */
int nioi_sized_out_check(const void *s, size_t min, const char *name);
/* Fill the caller's struct from the library's full one (known bytes). */
void nioi_sized_out_copy(void *s, const void *full, size_t known);

/* ---- files under the (test-overridable) root (sysfs.c) ---- */

/* root + formatted path into buf; returns buf. */
const char *nioi_path(char *buf, size_t len, const char *fmt, ...)
	NIO_PRINTF(3, 4);
/* First line of a file, newline stripped; -errno on failure. */
int nioi_read_line(const char *path, char *buf, size_t len);
int nioi_read_hex(const char *path, unsigned long *val);
int nioi_write_text(const char *path, const char *text);
/* Last path component of a symlink's target; -errno on failure. */
int nioi_link_name(const char *path, char *name, size_t len);
int nioi_exists(const char *path);
/*
 * The PCI device and path of a VFIO node handed over as fd: a device cdev
 * or a no-IOMMU group of one device. node gets the node's /dev path.
 */
int nioi_vfio_fd_device(int fd, struct nio_pci_info *info, enum nio_path *path,
			char *node, size_t node_len);
/* nio_pci_info() without the size check, into the library's own struct */
int nioi_pci_info(const char *bdf, struct nio_pci_info *info);
/* Whole file into a malloc()ed, NUL-terminated buffer; gunzips .gz. */
int nioi_slurp(const char *path, char **text, size_t *len);

/* ---- the running kernel (status.c) ---- */

/* True when VFIO's no-IOMMU mode is on; else remedy says what would help. */
bool nioi_noiommu_mode(char *remedy, size_t len);

/* ---- capabilities (caps.c) ---- */
int nioi_has_cap(int cap);


/* ---- segment lists (segments.c) ---- */

struct nioi_segs {
	struct nio_segment *v;
	size_t n;
	size_t cap;
};

/* Append [offset, offset + len) at addr, merging with the last segment
 * when both are contiguous in the buffer and for the device. */
int nioi_segs_add(struct nioi_segs *s, size_t offset, uint64_t addr,
		  uint64_t len);
void nioi_segs_free(struct nioi_segs *s);

/*
 * Ask for the device address of offset and how many bytes (at most max)
 * are contiguous from it; one call per run (IOMMU_IOAS_NOIOMMU_GET_PA).
 */
typedef int (*nioi_run_query)(void *arg, size_t offset, uint64_t max,
			      uint64_t *addr, uint64_t *len);
int nioi_segs_from_runs(struct nioi_segs *s, size_t size, nioi_run_query q,
			void *arg);
/*
 * Build segments from /proc/self/pagemap entries, one per 4 KiB page.
 * -EPERM when the PFNs read as zero (no CAP_SYS_ADMIN), -EFAULT when a
 * page is not present.
 */
int nioi_segs_from_pagemap(struct nioi_segs *s, const uint64_t *entries,
			   size_t npages);
uint64_t nioi_segs_lookup(const struct nio_segment *v, size_t n,
			  size_t offset, size_t *contig);

/* ---- contexts, devices, DMA ---- */

struct nio_device {
	struct nio_ctx *ctx;
	pthread_mutex_t lock;	/* bars[], efds[], nefds[] */
	struct nio_device *next;
	enum nio_path path;
	char bdf[NIO_BDF_LEN];
	char node[96];
	char why[768];
	int fd;			/* VFIO device fd */
	int group_fd;		/* legacy path */
	uint32_t devid;		/* IOMMUFD device ID */
	struct {
		void *addr;
		size_t size;
	} bars[6];
	int *efds[3];		/* per nio_irq_kind */
	unsigned int nefds[3];
};

struct nioi_dma {
	struct nio_dma pub;	/* first: nio_dma * <-> nioi_dma * */
	struct nioi_segs segs;
	bool owned;		/* allocated by the library */
	bool dontfork;		/* caller memory we set MADV_DONTFORK on */
	size_t map_len;		/* bytes mmap()ed when owned */
	struct nioi_dma *next;
};

/* ---- the context's address index (translate.c) ---- */

struct nioi_xlate_buf;
struct nioi_xlate_seg;

/*
 * Every pinned buffer of a context by virtual address, and every segment
 * by device address, for nio_vtophys() and nio_ptr_from_addr(). Updated
 * under ctx->lock, then lock taken for writing; lookups take only lock,
 * for reading.
 */
struct nioi_xlate {
	pthread_rwlock_t lock;
	struct nioi_xlate_buf *bufs;
	uint64_t *buf_keys;	/* bufs[i]'s first byte, searched alone */
	size_t nbufs, bufs_cap;
	struct nioi_xlate_seg *segs;
	uint64_t *seg_keys;
	size_t nsegs, segs_cap;
};

void nioi_xlate_init(struct nioi_xlate *x);
void nioi_xlate_destroy(struct nioi_xlate *x);
/* Index a pinned buffer (its segments are final); -ENOMEM, nothing done. */
int nioi_xlate_add(struct nioi_xlate *x, const struct nioi_dma *d);
void nioi_xlate_remove(struct nioi_xlate *x, const struct nioi_dma *d);

/* ---- the context's pool of small DMA objects (pool.c) ---- */

#define NIOI_POOL_CLASSES 7	/* 64 B, 128 B, ... 4 KiB */

struct nioi_pool_chunk;
struct nioi_pool_page;

struct nioi_pool {
	pthread_mutex_t lock;	/* taken before ctx->lock */
	/* pages with free objects, per size class */
	struct nioi_pool_page *partial[NIOI_POOL_CLASSES];
	struct nioi_pool_chunk *with_free_pages;
	struct nioi_pool_chunk **chunks;	/* by address */
	size_t nchunks, chunks_cap;
	unsigned int empty_chunks;
};

void nioi_pool_init(struct nioi_pool *pool);
/* Free every chunk; called by nio_ctx_free() before the buffers go. */
void nioi_pool_destroy(struct nio_ctx *ctx);

struct nio_ctx {
	pthread_mutex_t lock;
	enum nio_path path;
	int iommufd;		/* paths 1 and 2 */
	uint32_t ioas_id;
	int container;		/* path 3 */
	bool container_set;	/* VFIO_SET_IOMMU done */
	bool handed_iommufd;	/* nio_ctx_new_iommufd(): IOMMUFD paths only */
	struct nio_device *devices;
	struct nioi_dma *dmas;
	struct nioi_xlate xlate;
	struct nioi_pool pool;
};

/* Called with ctx->lock held by nio_ctx_free(). */
void nioi_device_close_locked(struct nio_device *dev);

#endif

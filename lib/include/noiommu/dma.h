/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libnoiommu: DMA memory, address translation and the small-object pool. Include <noiommu.h> rather than this file. */
#ifndef NOIOMMU_DMA_H
#define NOIOMMU_DMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "noiommu/device.h"

#ifdef __cplusplus
extern "C" {
#endif

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

/**
 * nio_dma_alloc() - zeroed, pinned memory the context's devices can reach
 * @ctx: a context with an open device (the device decides the path)
 * @size: bytes, rounded up to the page size
 * @flags: NIO_DMA_HUGE or NIO_DMA_SMALL (the default: 2 MiB pages for 2 MiB
 *	   or more when the system has free huge pages, else 4 KiB),
 *	   NIO_DMA_READONLY, NIO_DMA_CONTIG (one run for the device; a 2 MiB
 *	   page is used when 4 KiB pages do not happen to be contiguous)
 * @dma: receives the buffer, its segments and device addresses
 *
 * Thread safe.
 *
 * Return: 0; -EINVAL for unknown flags, HUGE with SMALL, a @size out of
 * range or no device open yet; -ENOMEM for no memory, no huge page when
 * HUGE or CONTIG needs one, or RLIMIT_MEMLOCK (nio_errmsg() says which);
 * -EPERM without CAP_SYS_RAWIO (no-IOMMU cdev: GET_PA; legacy: pagemap
 * needs CAP_SYS_ADMIN); -EOPNOTSUPP when no no-IOMMU page table stores the
 * memory.
 */
int nio_dma_alloc(struct nio_ctx *ctx, size_t size, unsigned int flags,
		  struct nio_dma **dma);
/**
 * nio_dma_map() - make caller memory reachable by the context's devices
 * @ctx: a context with an open device
 * @vaddr: the memory, 4 KiB aligned (2 MiB with NIO_DMA_HUGE); it stays
 *	   the caller's, pinned until nio_dma_free()
 * @size: a non-zero multiple of 4 KiB (2 MiB with NIO_DMA_HUGE)
 * @flags: as nio_dma_alloc(); with NIO_DMA_CONTIG nothing is mapped unless
 *	   the memory is one run for the device
 * @dma: receives the buffer description
 *
 * Thread safe. The memory stays where the device expects it across
 * fork() (lib/README.md says how, per path).
 *
 * Return: 0; -EINVAL for misaligned or wrapping memory, bad flags, no
 * device open yet, or NIO_DMA_CONTIG memory of several runs; -EFAULT when
 * the memory is not fully mapped; otherwise as nio_dma_alloc().
 */
int nio_dma_map(struct nio_ctx *ctx, void *vaddr, size_t size,
		unsigned int flags, struct nio_dma **dma);
/**
 * nio_dma_free() - unpin a buffer (and free it, if the library allocated it)
 * @ctx: the context it belongs to
 * @dma: the buffer, or NULL (nothing happens)
 *
 * The devices must be done with it. Thread safe.
 *
 * Return: 0; -EINVAL when @dma does not belong to @ctx; the errno of
 * unpinning (the buffer is forgotten all the same).
 */
int nio_dma_free(struct nio_ctx *ctx, struct nio_dma *dma);
/**
 * nio_dma_addr() - device address of a byte of a buffer
 * @dma: the buffer
 * @offset: the byte
 * @contig: when not NULL, receives the number of bytes contiguous for the
 *	    device from there
 *
 * No system call, no lock.
 *
 * Return: the address, or NIO_BAD_ADDR when @offset is outside the buffer.
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

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libnoiommu: errors, logging and the three DMA paths. Include <noiommu.h> rather than this file. */
#ifndef NOIOMMU_CORE_H
#define NOIOMMU_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errors and logging ------------------------------------------------ */

/**
 * nio_errmsg() - why this thread's last failed call failed
 *
 * Every function that returns a negative errno (or NIO_BAD_ADDR, NULL)
 * also leaves a message saying what failed and what would help. Read it
 * right after the failing call: a later call that succeeds may leave it
 * as it was.
 *
 * Return: the message, "" when there is none; valid until this thread's
 * next call into the library.
 */
const char *nio_errmsg(void);

enum nio_log_level { NIO_LOG_WARN, NIO_LOG_INFO };
typedef void (*nio_log_fn)(enum nio_log_level level, const char *msg,
			   void *arg);
/**
 * nio_set_log() - where warnings go
 * @fn: called with each warning or note (e.g. "legacy path: pages are not
 *	long-term pinned"); NULL silences them. The default prints
 *	"libnoiommu: warning: ..." on stderr.
 * @arg: passed to @fn
 *
 * Thread safe. The library never calls @fn with a lock held, so @fn may
 * call back into it.
 */
void nio_set_log(nio_log_fn fn, void *arg);

/**
 * nio_set_root() - read /sys, /dev and /proc under another directory
 * @root: the prefix, or NULL for none (the default)
 *
 * For tests that run against a fake tree. Not thread safe.
 */
void nio_set_root(const char *root);

/* ---- structs the caller allocates ---------------------------------------- */

/*
 * Since 2.3, every struct a caller allocates and hands to the library
 * (struct nio_open_opts, struct nio_pci_info, struct nio_status) begins
 * with "size_t size", so that the library can add fields at their end
 * without a new soname:
 *
 *	struct nio_status st = NIO_SIZED_INIT(st);
 *	struct nio_open_opts o = { .size = sizeof(o), .paths = ... };
 *
 * The library reads and writes no byte past @size. What it is given
 * (nio_open_opts): fields it does not know must be zero, or the call fails
 * with -E2BIG. What it fills (nio_pci_info, nio_status): it zeroes the
 * caller's fields it does not know and sets @size to the bytes it did
 * fill, so a newer program sees what an older library left out. A @size
 * smaller than the 2.3 struct (0 above all: a size left unset) is -EINVAL.
 * Programs built against 2.0 to 2.2, whose structs had no size, keep
 * working: they call the old versions of these functions.
 */
#ifdef __cplusplus
#define NIO_SIZED_INIT(var) { sizeof(var) }
#else
#define NIO_SIZED_INIT(var) { .size = sizeof(var) }
#endif

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

/**
 * nio_path_name() - the short name of a path
 * @path: the path
 *
 * Return: "noiommu-cdev", "iommu-cdev", "legacy-group" or "none".
 */
const char *nio_path_name(enum nio_path path);
/**
 * nio_path_summary() - how a path finds DMA addresses
 * @path: the path
 *
 * Return: one line, e.g. for the no-IOMMU cdev "pages pinned by
 * IOMMU_IOAS_MAP, physical addresses from IOMMU_IOAS_NOIOMMU_GET_PA".
 */
const char *nio_path_summary(enum nio_path path);

#ifdef __cplusplus
}
#endif

#endif

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

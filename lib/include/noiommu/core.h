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

#ifdef __cplusplus
}
#endif

#endif

// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The three DMA paths by number, and the explanations of failures that
 * every path gives. See path.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/resource.h>
#include <linux/capability.h>

#include "path.h"

const struct nioi_path_ops *nioi_path_ops(enum nio_path path)
{
	switch (path) {
	case NIO_PATH_NOIOMMU_CDEV:
		return &nioi_noiommu_cdev_ops;
	case NIO_PATH_IOMMU_CDEV:
		return &nioi_iommu_cdev_ops;
	case NIO_PATH_LEGACY_GROUP:
		return &nioi_legacy_ops;
	default:
		return NULL;
	}
}

const char *nio_path_name(enum nio_path path)
{
	const struct nioi_path_ops *ops = nioi_path_ops(path);

	return ops ? ops->name : "none";
}

const char *nio_path_summary(enum nio_path path)
{
	const struct nioi_path_ops *ops = nioi_path_ops(path);

	return ops ? ops->summary : "no DMA path";
}

int nioi_open_error(int err, const struct nio_device *dev)
{
	if (err == EPERM || err == EACCES)
		return nioi_fail(EPERM, "cannot open %s: %s; %s",
				 dev->node, strerror(err),
				 nioi_path_ops(dev->path)->open_denied_hint);
	if (err == EBUSY)
		return nioi_fail(EBUSY, "%s is in use by another process or context",
				 dev->node);
	return nioi_fail(err, "cannot open %s: %s", dev->node, strerror(err));
}

int nioi_memlock_error(int err, size_t len, const char *what)
{
	struct rlimit rl;

	if (err != ENOMEM && err != EPERM && err != EAGAIN)
		return nioi_fail(err, "%s of %zu KiB failed: %s", what,
				 len >> 10, strerror(err));
	if (!getrlimit(RLIMIT_MEMLOCK, &rl) && rl.rlim_cur != RLIM_INFINITY &&
	    !nioi_has_cap(CAP_IPC_LOCK))
		return nioi_fail(ENOMEM,
				 "%s of %zu KiB failed: RLIMIT_MEMLOCK is %llu KiB and pinned memory counts against it; raise it (ulimit -l, systemd LimitMEMLOCK=) or run with CAP_IPC_LOCK",
				 what, len >> 10,
				 (unsigned long long)rl.rlim_cur >> 10);
	return nioi_fail(ENOMEM, "%s of %zu KiB failed: out of memory", what,
			 len >> 10);
}

int nioi_open_node(struct nio_device *dev, const char *node, int *fd)
{
	char path[PATH_MAX];

	snprintf(dev->node, sizeof(dev->node), "%s", node);
	/* Handed over by the caller (nio_device_open_fd()): already open */
	if (*fd >= 0)
		return 0;
	*fd = open(nioi_path(path, sizeof(path), "%s", dev->node),
		   O_RDWR | O_CLOEXEC);
	return *fd < 0 ? nioi_open_error(errno, dev) : 0;
}

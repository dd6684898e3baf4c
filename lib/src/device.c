// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Opening a device through the best path the kernel offers (what each path
 * does is in path-*.c), and the VFIO device UAPI every path shares:
 * regions, BARs, config space, reset and interrupts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/pci_regs.h>

#include "path.h"
#include "uapi.h"

/* ---- choosing a path ---- */

struct path_choice {
	enum nio_path path;
	char why[768];
	size_t len;
};

static void note(struct path_choice *c, const char *fmt, ...) NIO_PRINTF(2, 3);
static void note(struct path_choice *c, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (c->len >= sizeof(c->why) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(c->why + c->len, sizeof(c->why) - c->len, fmt, ap);
	va_end(ap);
	/* vsnprintf() says what it would have written: keep len inside why */
	if (n > 0)
		c->len = c->len + (size_t)n < sizeof(c->why) ?
			 c->len + (size_t)n : sizeof(c->why) - 1;
}

static bool dev_exists(const char *node)
{
	char path[PATH_MAX];

	return node[0] && nioi_exists(nioi_path(path, sizeof(path), "%s", node));
}

/*
 * A no-IOMMU device whose VFIO device is named vfioX, not noiommu-vfioX, got
 * no cdev: the kernel has no cdev at all, or lacks no-IOMMU cdev support.
 */
static const char *no_noiommu_cdev_reason(void)
{
	struct nio_kconfig k;
	char source[128];

	if (nio_kconfig_running(&k, source, sizeof(source)))
		return "the kernel gives no-IOMMU devices no device cdev (CONFIG_VFIO_DEVICE_CDEV is off, or no-IOMMU cdev support, CONFIG_IOMMUFD_NOIOMMU, is missing)";
	if (k.vfio_device_cdev != 'y')
		return "CONFIG_VFIO_DEVICE_CDEV is off (no /dev/vfio/devices node)";
	return "the kernel lacks no-IOMMU cdev support (CONFIG_IOMMUFD_NOIOMMU: the vfio-noiommu series or a mainline kernel that has it)";
}

/* Why path p cannot be used for the device, or NULL when it can. */
static const char *path_unusable(enum nio_path p,
				 const struct nio_pci_info *info)
{
	bool iommufd = dev_exists("/dev/iommu");

	switch (p) {
	case NIO_PATH_NOIOMMU_CDEV:
		if (info->has_iommu)
			return "the device is behind an IOMMU";
		if (!info->cdev_name[0])
			return "the kernel has no VFIO device cdev (older than 6.6)";
		if (strncmp(info->cdev_name, "noiommu-", 8))
			return no_noiommu_cdev_reason();
		if (!info->cdev_node[0])
			return "CONFIG_VFIO_DEVICE_CDEV is off (no /dev/vfio/devices node)";
		if (!iommufd)
			return "no /dev/iommu (CONFIG_IOMMUFD is off)";
		return NULL;
	case NIO_PATH_IOMMU_CDEV:
		if (!info->has_iommu)
			return "the device has no IOMMU";
		if (!info->cdev_node[0])
			return "no VFIO device cdev (CONFIG_VFIO_DEVICE_CDEV is off)";
		if (!iommufd)
			return "no /dev/iommu (CONFIG_IOMMUFD is off)";
		return NULL;
	case NIO_PATH_LEGACY_GROUP:
		if (info->has_iommu)
			return "the device is behind an IOMMU (the legacy path here is for no-IOMMU groups only)";
		if (!info->group_node[0])
			return "no /dev/vfio/noiommu-N group node (CONFIG_VFIO_GROUP or a container is off)";
		if (!dev_exists("/dev/vfio/vfio"))
			return "no /dev/vfio/vfio container node";
		return NULL;
	default:
		return "unknown path";
	}
}

static int choose_path(const struct nio_pci_info *info, unsigned int allowed,
		       struct path_choice *c)
{
	enum nio_path p;

	for (p = NIO_PATH_NOIOMMU_CDEV; p <= NIO_PATH_LEGACY_GROUP; p++) {
		const char *why_not = path_unusable(p, info);

		/* Paths that could never apply to this device are not worth
		 * a mention (an IOMMU path for a no-IOMMU device and back). */
		if (why_not && (p == NIO_PATH_IOMMU_CDEV) != info->has_iommu &&
		    allowed == NIO_PATHS_ALL)
			continue;
		if (!(allowed & NIO_PATH_BIT(p))) {
			note(c, "not %s: excluded by the caller; ", nio_path_name(p));
			continue;
		}
		if (why_not) {
			note(c, "not %s: %s; ", nio_path_name(p), why_not);
			continue;
		}
		c->path = p;
		return 0;
	}
	if (c->len > 2)
		c->why[c->len - 2] = '\0';
	return nioi_fail(EOPNOTSUPP,
			 "no usable DMA path for %s: %s", info->bdf, c->why);
}

/* Not bound to vfio-pci: because the mode is off, or just not bound. */
static int check_bound(const struct nio_pci_info *info)
{
	char remedy[400];

	if (!strcmp(info->driver, "vfio-pci"))
		return 0;
	if (!info->has_iommu && !nioi_noiommu_mode(remedy, sizeof(remedy)))
		return nioi_fail(ENODEV,
				 "%s has no IOMMU and vfio-pci cannot take it: %s; then 'noiommu bind %s'",
				 info->bdf, remedy, info->bdf);
	if (info->driver[0])
		return nioi_fail(ENXIO,
				 "%s is bound to %s, not vfio-pci: run 'noiommu bind %s'",
				 info->bdf, info->driver, info->bdf);
	return nioi_fail(ENXIO,
			 "%s has no driver, it must be bound to vfio-pci: run 'noiommu bind %s'",
			 info->bdf, info->bdf);
}

/* ---- opening ---- */

static void describe(struct nio_device *dev, const struct path_choice *c)
{
	size_t n = (size_t)snprintf(dev->why, sizeof(dev->why), "%s via %s: %s",
				    nio_path_name(dev->path), dev->node,
				    nio_path_summary(dev->path));

	if (c->len && n < sizeof(dev->why)) {
		snprintf(dev->why + n, sizeof(dev->why) - n, "; %.*s",
			 (int)(c->len - 2), c->why);
	}
}

static struct nio_device *new_device(struct nio_ctx *ctx, enum nio_path path,
				     const struct nio_pci_info *info)
{
	struct nio_device *dev = calloc(1, sizeof(*dev));

	if (!dev)
		return NULL;
	dev->ctx = ctx;
	dev->path = path;
	dev->fd = -1;
	dev->group_fd = -1;
	pthread_mutex_init(&dev->lock, NULL);
	memcpy(dev->bdf, info->bdf, sizeof(dev->bdf));
	return dev;
}

static void free_device(struct nio_device *dev)
{
	pthread_mutex_destroy(&dev->lock);
	free(dev);
}

/* What a failed open_device() left open */
static void close_fds(struct nio_device *dev)
{
	if (dev->fd >= 0)
		close(dev->fd);
	if (dev->group_fd >= 0)
		close(dev->group_fd);
}

/* A context's devices all share its one DMA address space, so one path. */
static int open_in_ctx_locked(struct nio_device *dev,
			      const struct nio_pci_info *info)
{
	struct nio_ctx *ctx = dev->ctx;

	if (ctx->path != NIO_PATH_NONE && ctx->path != dev->path)
		return nioi_fail(EXDEV,
				 "%s needs the %s path but this context's devices use %s: open it in its own context",
				 info->bdf, nio_path_name(dev->path),
				 nio_path_name(ctx->path));
	if (ctx->handed_iommufd && dev->path == NIO_PATH_LEGACY_GROUP)
		return nioi_fail(EXDEV,
				 "%s needs the legacy path but this context was made from an iommufd: open it in a context of its own",
				 info->bdf);
	return nioi_path_ops(dev->path)->open_device(dev, info);
}

/*
 * Open dev (its fd or group_fd already set when the node was handed over)
 * in its context and add it there.
 */
static int add_device(struct nio_device *dev, const struct nio_pci_info *info,
		      const struct path_choice *choice, struct nio_device **out)
{
	struct nio_ctx *ctx = dev->ctx;
	const struct nioi_path_ops *ops;
	int ret;

	pthread_mutex_lock(&ctx->lock);
	ret = open_in_ctx_locked(dev, info);
	if (ret) {
		close_fds(dev);
		pthread_mutex_unlock(&ctx->lock);
		free_device(dev);
		return ret;
	}
	describe(dev, choice);
	ctx->path = dev->path;
	dev->next = ctx->devices;
	ctx->devices = dev;
	pthread_mutex_unlock(&ctx->lock);
	/* Said once the context lock is dropped: the log callback may call
	 * back into the library. */
	ops = nioi_path_ops(dev->path);
	if (ops->announce_open)
		ops->announce_open(dev);
	*out = dev;
	return 0;
}

/* The paths opts allows; its size is checked first (see NIO_SIZED_INIT) */
static int allowed_paths(const struct nio_open_opts *opts,
			 unsigned int *allowed)
{
	struct nio_open_opts known;
	int ret;

	*allowed = NIO_PATHS_ALL;
	if (!opts)
		return 0;
	ret = nioi_sized_in(&known, sizeof(known), opts, NIOI_OPEN_OPTS_MIN,
			    "nio_open_opts");
	if (ret)
		return ret;
	if (known.paths)
		*allowed = known.paths;
	return 0;
}

int nio_device_open(struct nio_ctx *ctx, const char *bdf,
		    const struct nio_open_opts *opts, struct nio_device **out)
{
	struct path_choice choice = { .path = NIO_PATH_NONE };
	struct nio_pci_info info;
	struct nio_device *dev;
	unsigned int allowed;
	int ret;

	nioi_clear_error();
	ret = allowed_paths(opts, &allowed);
	if (ret)
		return ret;
	ret = nioi_pci_info(bdf, &info);
	if (ret)
		return ret;
	ret = check_bound(&info);
	if (ret)
		return ret;
	ret = choose_path(&info, allowed, &choice);
	if (ret)
		return ret;
	dev = new_device(ctx, choice.path, &info);
	if (!dev)
		return nioi_fail(ENOMEM, "out of memory");
	return add_device(dev, &info, &choice, out);
}

int nio_device_open_fd(struct nio_ctx *ctx, int fd,
		       const struct nio_open_opts *opts, struct nio_device **out)
{
	struct path_choice choice = { .path = NIO_PATH_NONE };
	struct nio_pci_info info;
	struct nio_device *dev;
	char node[sizeof(info.cdev_node)];
	unsigned int allowed;
	int ret, own;

	nioi_clear_error();
	ret = allowed_paths(opts, &allowed);
	if (ret)
		return ret;
	ret = nioi_vfio_fd_device(fd, &info, &choice.path, node, sizeof(node));
	if (ret)
		return ret;
	if (!(allowed & NIO_PATH_BIT(choice.path)))
		return nioi_fail(EOPNOTSUPP,
				 "fd %d is %s, a node of the %s path, which the caller excluded",
				 fd, node, nio_path_name(choice.path));
	ret = check_bound(&info);
	if (ret)
		return ret;
	/* The node need not exist in this process's /dev: name it anyway */
	if (choice.path == NIO_PATH_LEGACY_GROUP)
		snprintf(info.group_node, sizeof(info.group_node), "%.63s", node);
	else
		snprintf(info.cdev_node, sizeof(info.cdev_node), "%s", node);
	snprintf(choice.why, sizeof(choice.why), "handed over as fd %d; ", fd);
	choice.len = strlen(choice.why);
	/* Our own reference: the caller may close theirs at any time */
	own = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (own < 0)
		return nioi_fail(errno, "fd %d: %s", fd, strerror(errno));
	dev = new_device(ctx, choice.path, &info);
	if (!dev) {
		close(own);
		return nioi_fail(ENOMEM, "out of memory");
	}
	if (choice.path == NIO_PATH_LEGACY_GROUP)
		dev->group_fd = own;
	else
		dev->fd = own;
	return add_device(dev, &info, &choice, out);
}

static int irq_disable_locked(struct nio_device *dev, enum nio_irq_kind kind);

void nioi_device_close_locked(struct nio_device *dev)
{
	const struct nioi_path_ops *ops = nioi_path_ops(dev->path);
	struct nio_device **pp = &dev->ctx->devices;
	unsigned int i;

	while (*pp && *pp != dev)
		pp = &(*pp)->next;
	if (*pp)
		*pp = dev->next;
	for (i = 0; i < 3; i++)
		irq_disable_locked(dev, (enum nio_irq_kind)i);
	for (i = 0; i < 6; i++)
		if (dev->bars[i].addr)
			munmap(dev->bars[i].addr, dev->bars[i].size);
	close(dev->fd);
	if (ops->close_device)
		ops->close_device(dev);
	free_device(dev);
}

void nio_device_close(struct nio_device *dev)
{
	struct nio_ctx *ctx;

	if (!dev)
		return;
	ctx = dev->ctx;
	pthread_mutex_lock(&ctx->lock);
	nioi_device_close_locked(dev);
	pthread_mutex_unlock(&ctx->lock);
}

enum nio_path nio_device_path(const struct nio_device *dev)
{
	return dev->path;
}

const char *nio_device_why(const struct nio_device *dev)
{
	return dev->why;
}

const char *nio_device_node(const struct nio_device *dev)
{
	return dev->node;
}

const char *nio_device_bdf(const struct nio_device *dev)
{
	return dev->bdf;
}

int nio_device_fd(const struct nio_device *dev)
{
	return dev->fd;
}

/* ---- regions, config space, reset ---- */

int nio_region_info(struct nio_device *dev, unsigned int index,
		    struct nio_region *region)
{
	struct vfio_region_info info = { .argsz = sizeof(info), .index = index };

	if (ioctl(dev->fd, VFIO_DEVICE_GET_REGION_INFO, &info))
		return nioi_fail(errno, "%s has no region %u: %s", dev->bdf,
				 index, strerror(errno));
	region->offset = info.offset;
	region->size = info.size;
	region->flags = info.flags;
	return 0;
}

int nio_bar_map(struct nio_device *dev, unsigned int bar,
		volatile void **addr, size_t *size)
{
	struct nio_region r;
	void *p;
	int ret;

	if (bar > VFIO_PCI_BAR5_REGION_INDEX)
		return nioi_fail(EINVAL, "BAR %u does not exist (0..5)", bar);
	pthread_mutex_lock(&dev->lock);
	if (dev->bars[bar].addr)
		goto done;
	ret = nio_region_info(dev, bar, &r);
	if (ret)
		goto out;
	ret = -ENOENT;
	if (!r.size) {
		nioi_fail(ENOENT, "%s has no BAR %u", dev->bdf, bar);
		goto out;
	}
	ret = -EINVAL;
	if (!(r.flags & VFIO_REGION_INFO_FLAG_MMAP)) {
		nioi_fail(EINVAL,
			  "BAR %u of %s cannot be mmap()ed (an I/O port BAR?): use pread/pwrite on the device fd",
			  bar, dev->bdf);
		goto out;
	}
	p = mmap(NULL, r.size, PROT_READ | PROT_WRITE, MAP_SHARED, dev->fd,
		 (off_t)r.offset);
	if (p == MAP_FAILED) {
		ret = nioi_fail(errno, "mmap of BAR %u of %s failed: %s", bar,
				dev->bdf, strerror(errno));
		goto out;
	}
	dev->bars[bar].addr = p;
	dev->bars[bar].size = r.size;
done:
	ret = 0;
	*addr = dev->bars[bar].addr;
	if (size)
		*size = dev->bars[bar].size;
out:
	pthread_mutex_unlock(&dev->lock);
	return ret;
}

static int config_io(struct nio_device *dev, unsigned int offset, void *buf,
		     size_t len, bool write)
{
	struct nio_region r;
	ssize_t n;
	int ret = nio_region_info(dev, VFIO_PCI_CONFIG_REGION_INDEX, &r);

	if (ret)
		return ret;
	if (offset > r.size || len > r.size - offset)
		return nioi_fail(EINVAL,
				 "config space access at 0x%x+%zu is beyond its %llu bytes",
				 offset, len, (unsigned long long)r.size);
	n = write ? pwrite(dev->fd, buf, len, (off_t)(r.offset + offset)) :
		    pread(dev->fd, buf, len, (off_t)(r.offset + offset));
	if (n != (ssize_t)len)
		return nioi_fail(n < 0 ? errno : EIO,
				 "config space %s at 0x%x failed",
				 write ? "write" : "read", offset);
	return 0;
}

int nio_config_read(struct nio_device *dev, unsigned int offset, void *buf,
		    size_t len)
{
	return config_io(dev, offset, buf, len, false);
}

int nio_config_write(struct nio_device *dev, unsigned int offset,
		     const void *buf, size_t len)
{
	return config_io(dev, offset, (void *)buf, len, true);
}

int nio_bus_master(struct nio_device *dev, bool enable)
{
	uint16_t cmd;
	int ret = nio_config_read(dev, PCI_COMMAND, &cmd, sizeof(cmd));

	if (ret)
		return ret;
	if (enable)
		cmd |= PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY;
	else
		cmd &= (uint16_t)~PCI_COMMAND_MASTER;
	return nio_config_write(dev, PCI_COMMAND, &cmd, sizeof(cmd));
}

int nio_reset(struct nio_device *dev)
{
	if (ioctl(dev->fd, VFIO_DEVICE_RESET))
		return nioi_fail(errno, "VFIO_DEVICE_RESET of %s failed: %s%s",
				 dev->bdf, strerror(errno),
				 errno == ENOTTY || errno == EINVAL ?
				 " (the device offers no reset method)" : "");
	return 0;
}

/* ---- interrupts ---- */

static const unsigned int irq_index[] = {
	[NIO_IRQ_INTX] = VFIO_PCI_INTX_IRQ_INDEX,
	[NIO_IRQ_MSI] = VFIO_PCI_MSI_IRQ_INDEX,
	[NIO_IRQ_MSIX] = VFIO_PCI_MSIX_IRQ_INDEX,
};

int nio_irq_count(struct nio_device *dev, enum nio_irq_kind kind,
		  unsigned int *count)
{
	struct vfio_irq_info info = { .argsz = sizeof(info) };

	if ((unsigned int)kind > NIO_IRQ_MSIX)
		return nioi_fail(EINVAL, "unknown interrupt kind %d", kind);
	info.index = irq_index[kind];
	if (ioctl(dev->fd, VFIO_DEVICE_GET_IRQ_INFO, &info))
		return nioi_fail(errno, "VFIO_DEVICE_GET_IRQ_INFO: %s",
				 strerror(errno));
	*count = info.count;
	return 0;
}

static int set_irqs(struct nio_device *dev, enum nio_irq_kind kind,
		    uint32_t flags, unsigned int count, const int *fds)
{
	size_t sz = sizeof(struct vfio_irq_set) + count * sizeof(int);
	struct vfio_irq_set *set = calloc(1, sz);
	int ret = 0;

	if (!set)
		return nioi_fail(ENOMEM, "out of memory");
	set->argsz = (uint32_t)sz;
	set->flags = flags;
	set->index = irq_index[kind];
	set->count = count;
	if (count && fds)
		memcpy(set->data, fds, count * sizeof(int));
	if (ioctl(dev->fd, VFIO_DEVICE_SET_IRQS, set))
		ret = -errno;
	free(set);
	return ret;
}

/* Called with dev->lock held. */
static int irq_enable_locked(struct nio_device *dev, enum nio_irq_kind kind,
			     unsigned int count, int *efds)
{
	unsigned int avail, i;
	int *fds, ret;

	ret = nio_irq_count(dev, kind, &avail);
	if (ret)
		return ret;
	if (count == 0 || count > avail)
		return nioi_fail(EINVAL,
				 "%s offers %u %s vector(s); asked for %u", dev->bdf,
				 avail, kind == NIO_IRQ_INTX ? "INTx" :
				 kind == NIO_IRQ_MSI ? "MSI" : "MSI-X", count);
	irq_disable_locked(dev, kind);
	fds = calloc(count, sizeof(int));
	if (!fds)
		return nioi_fail(ENOMEM, "out of memory");
	for (i = 0; i < count; i++) {
		fds[i] = eventfd(0, EFD_CLOEXEC);
		if (fds[i] < 0) {
			ret = nioi_fail(errno, "eventfd: %s", strerror(errno));
			goto fail;
		}
	}
	ret = set_irqs(dev, kind, VFIO_IRQ_SET_DATA_EVENTFD |
		       VFIO_IRQ_SET_ACTION_TRIGGER, count, fds);
	if (ret) {
		ret = nioi_fail(-ret, "VFIO_DEVICE_SET_IRQS (%u vectors) failed: %s",
				count, strerror(-ret));
		goto fail;
	}
	dev->efds[kind] = fds;
	dev->nefds[kind] = count;
	memcpy(efds, fds, count * sizeof(int));
	return 0;
fail:
	while (i-- > 0)
		close(fds[i]);
	free(fds);
	return ret;
}

int nio_irq_enable(struct nio_device *dev, enum nio_irq_kind kind,
		   unsigned int count, int *efds)
{
	int ret;

	pthread_mutex_lock(&dev->lock);
	ret = irq_enable_locked(dev, kind, count, efds);
	pthread_mutex_unlock(&dev->lock);
	return ret;
}

static int irq_disable_locked(struct nio_device *dev, enum nio_irq_kind kind)
{
	unsigned int i;

	if ((unsigned int)kind > NIO_IRQ_MSIX)
		return nioi_fail(EINVAL, "unknown interrupt kind %d", kind);
	if (!dev->efds[kind])
		return 0;
	set_irqs(dev, kind, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
		 0, NULL);
	for (i = 0; i < dev->nefds[kind]; i++)
		close(dev->efds[kind][i]);
	free(dev->efds[kind]);
	dev->efds[kind] = NULL;
	dev->nefds[kind] = 0;
	return 0;
}

int nio_irq_disable(struct nio_device *dev, enum nio_irq_kind kind)
{
	int ret;

	pthread_mutex_lock(&dev->lock);
	ret = irq_disable_locked(dev, kind);
	pthread_mutex_unlock(&dev->lock);
	return ret;
}

int nio_irq_unmask_intx(struct nio_device *dev)
{
	int ret = set_irqs(dev, NIO_IRQ_INTX, VFIO_IRQ_SET_DATA_NONE |
			   VFIO_IRQ_SET_ACTION_UNMASK, 1, NULL);

	if (ret)
		return nioi_fail(-ret, "unmasking INTx failed: %s", strerror(-ret));
	return 0;
}

int nio_irq_wait(int efd, int timeout_ms)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	uint64_t count;
	int n = poll(&p, 1, timeout_ms);

	if (n < 0)
		return nioi_fail(errno, "poll: %s", strerror(errno));
	if (n == 0)
		return nioi_fail(ETIMEDOUT, "no interrupt within %d ms", timeout_ms);
	if (read(efd, &count, sizeof(count)) != sizeof(count))
		return nioi_fail(errno, "reading the eventfd: %s", strerror(errno));
	return count > INT_MAX ? INT_MAX : (int)count;
}

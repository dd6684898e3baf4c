// SPDX-License-Identifier: LGPL-2.1-or-later
/* Files under the root, and what sysfs says about PCI devices. */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "internal.h"

static char root[PATH_MAX];

void nio_set_root(const char *r)
{
	snprintf(root, sizeof(root), "%s", r ? r : "");
}

const char *nioi_path(char *buf, size_t len, const char *fmt, ...)
{
	size_t n = (size_t)snprintf(buf, len, "%s", root);
	va_list ap;

	va_start(ap, fmt);
	if (n < len)
		vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
	return buf;
}

int nioi_read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	int ret = 0;

	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f))
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (ferror(f))
		ret = -EIO;
	fclose(f);
	return ret;
}

int nioi_read_hex(const char *path, unsigned long *val)
{
	char line[64], *end;
	int ret = nioi_read_line(path, line, sizeof(line));

	if (ret)
		return ret;
	errno = 0;
	*val = strtoul(line, &end, 16);
	return errno || end == line ? -EINVAL : 0;
}

int nioi_write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int err;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	err = errno;
	close(fd);
	if (n < 0)
		return -err;
	return (size_t)n == strlen(text) ? 0 : -EIO;
}

int nioi_link_name(const char *path, char *name, size_t len)
{
	char target[PATH_MAX];
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	const char *base;

	if (n < 0)
		return -errno;
	target[n] = '\0';
	base = strrchr(target, '/');
	snprintf(name, len, "%s", base ? base + 1 : target);
	return 0;
}

int nioi_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* Kernel configs are a few hundred KiB; nothing we read is near this */
#define SLURP_MAX (16UL << 20)

int nioi_slurp(const char *path, char **text, size_t *len)
{
	size_t cap = 65536, n = 0;
	struct stat st;
	char *buf;
	gzFile f;
	int got;

	/* Not a directory or device: /dev/zero would be read until memory
	 * runs out (procfs files such as /proc/config.gz are regular) */
	if (stat(path, &st))
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	buf = malloc(cap + 1);
	if (!buf)
		return -ENOMEM;
	/* gzread() passes plain files through unchanged */
	f = gzopen(path, "rb");
	if (!f) {
		free(buf);
		return errno ? -errno : -ENOMEM;
	}
	while ((got = gzread(f, buf + n, (unsigned int)(cap - n))) > 0) {
		n += (size_t)got;
		if (n >= SLURP_MAX) {
			gzclose(f);
			free(buf);
			return -EFBIG;
		}
		if (n == cap) {
			char *bigger = realloc(buf, cap * 2 + 1);

			if (!bigger) {
				gzclose(f);
				free(buf);
				return -ENOMEM;
			}
			buf = bigger;
			cap *= 2;
		}
	}
	gzclose(f);
	if (got < 0) {
		free(buf);
		return -EIO;
	}
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return 0;
}

/* ---- PCI devices ---- */

/* A hex field of at most max digits ending at one of stops; advances *p. */
static bool hex_field(const char **p, int max, const char *stops,
		      unsigned int *val)
{
	int n = 0;

	*val = 0;
	while (isxdigit((unsigned char)**p) && n < max) {
		*val = *val * 16 + (unsigned int)(isdigit((unsigned char)**p) ?
			**p - '0' : tolower((unsigned char)**p) - 'a' + 10);
		(*p)++;
		n++;
	}
	return n > 0 && strchr(stops, **p);
}

int nio_bdf_normalize(const char *bdf, char out[NIO_BDF_LEN])
{
	unsigned int f[3], n = 0, dom = 0, bus, dev, fn;
	const char *p = bdf;

	if (!bdf)
		return nioi_fail(EINVAL, "no PCI address given");
	/*
	 * [DDDD:]BB:DD then .F. Domains can have more than 4 digits (VMD's
	 * start at 10000); 7 fit in NIO_BDF_LEN.
	 */
	for (;;) {
		if (n == 3 || !hex_field(&p, 7, ":.", &f[n]))
			goto bad;
		n++;
		if (*p != ':')
			break;
		p++;
	}
	if (n < 2 || *p++ != '.' || !hex_field(&p, 1, "", &fn))
		goto bad;
	if (n == 3)
		dom = f[0];
	bus = f[n - 2];
	dev = f[n - 1];
	if (bus > 0xff || dev > 0x1f || fn > 7)
		return nioi_fail(EINVAL, "'%s' is out of range for a PCI address",
				 bdf);
	snprintf(out, NIO_BDF_LEN, "%04x:%02x:%02x.%x", dom, bus, dev, fn);
	return 0;
bad:
	return nioi_fail(EINVAL,
			 "'%s' is not a PCI address (expected DDDD:BB:DD.F or BB:DD.F, see 'noiommu list')",
			 bdf);
}

static void pci_vfio_nodes(struct nio_pci_info *info)
{
	char path[PATH_MAX];
	DIR *d;
	struct dirent *e;

	nioi_path(path, sizeof(path), "/sys/bus/pci/devices/%s/vfio-dev",
		  info->bdf);
	d = opendir(path);
	if (d) {
		while ((e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(info->cdev_name, sizeof(info->cdev_name), "%.31s",
				 e->d_name);
			break;
		}
		closedir(d);
	}
	if (info->cdev_name[0]) {
		snprintf(info->cdev_node, sizeof(info->cdev_node),
			 "/dev/vfio/devices/%s", info->cdev_name);
		if (!nioi_exists(nioi_path(path, sizeof(path), "%s",
					   info->cdev_node)))
			info->cdev_node[0] = '\0';
		if (!strncmp(info->cdev_name, "noiommu-", 8))
			info->noiommu = true;
	}
	if (info->iommu_group < 0)
		return;
	snprintf(info->group_node, sizeof(info->group_node),
		 info->noiommu ? "/dev/vfio/noiommu-%d" : "/dev/vfio/%d",
		 info->iommu_group);
	if (!nioi_exists(nioi_path(path, sizeof(path), "%s", info->group_node)))
		info->group_node[0] = '\0';
}

int nioi_pci_info(const char *bdf, struct nio_pci_info *info)
{
	char path[PATH_MAX], name[64];
	unsigned long v;
	int ret;

	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	ret = nio_bdf_normalize(bdf, info->bdf);
	if (ret)
		return ret;
	nioi_path(path, sizeof(path), "/sys/bus/pci/devices/%s", info->bdf);
	if (!nioi_exists(path))
		return nioi_fail(ENOENT,
				 "no PCI device %s on this system (see 'noiommu list')",
				 info->bdf);
	if (!nioi_read_hex(nioi_path(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor", info->bdf), &v))
		info->vendor = (uint16_t)v;
	if (!nioi_read_hex(nioi_path(path, sizeof(path), "/sys/bus/pci/devices/%s/device", info->bdf), &v))
		info->device = (uint16_t)v;
	if (!nioi_read_hex(nioi_path(path, sizeof(path), "/sys/bus/pci/devices/%s/class", info->bdf), &v))
		info->class_code = (uint32_t)v;
	nioi_link_name(nioi_path(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", info->bdf),
		       info->driver, sizeof(info->driver));
	if (!nioi_read_line(nioi_path(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", info->bdf),
			    info->driver_override, sizeof(info->driver_override)) &&
	    !strcmp(info->driver_override, "(null)"))
		info->driver_override[0] = '\0';

	info->iommu_group = -1;
	if (!nioi_link_name(nioi_path(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", info->bdf),
			    name, sizeof(name))) {
		char gname[64] = "";

		info->iommu_group = atoi(name);
		/* VFIO names the fake groups it makes for no-IOMMU devices */
		nioi_read_line(nioi_path(path, sizeof(path), "/sys/kernel/iommu_groups/%d/name", info->iommu_group),
			       gname, sizeof(gname));
		if (!strcmp(gname, "vfio-noiommu"))
			info->noiommu = true;
		else
			info->has_iommu = true;
	}
	pci_vfio_nodes(info);
	return 0;
}

int nio_pci_info(const char *bdf, struct nio_pci_info *info)
{
	struct nio_pci_info full;
	int ret = nioi_sized_out_check(info, NIOI_PCI_INFO_MIN, "nio_pci_info");

	if (ret)
		return ret;
	ret = nioi_pci_info(bdf, &full);
	nioi_sized_out_copy(info, &full, sizeof(full));
	return ret;
}

static int by_bdf(const void *a, const void *b)
{
	return strcmp(((const struct nio_pci_info *)a)->bdf,
		      ((const struct nio_pci_info *)b)->bdf);
}

int nio_pci_list(struct nio_pci_info **list, size_t *count)
{
	struct nio_pci_info *v = NULL;
	char path[PATH_MAX];
	size_t n = 0, cap = 0;
	struct dirent *e;
	DIR *d;

	d = opendir(nioi_path(path, sizeof(path), "/sys/bus/pci/devices"));
	if (!d)
		return nioi_fail(errno, "cannot read %s: %s (is sysfs mounted?)",
				 path, strerror(errno));
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			struct nio_pci_info *bigger;

			cap = cap ? cap * 2 : 32;
			bigger = realloc(v, cap * sizeof(*v));
			if (!bigger) {
				closedir(d);
				free(v);
				return nioi_fail(ENOMEM, "out of memory listing PCI devices");
			}
			v = bigger;
		}
		if (!nioi_pci_info(e->d_name, &v[n]))
			n++;
	}
	closedir(d);
	/* (qsort's array must not be NULL, even for no elements: a
	 * microVM or container can have no PCI devices at all) */
	if (n > 1)
		qsort(v, n, sizeof(*v), by_bdf);
	*list = v;
	*count = n;
	return 0;
}

int nio_pci_find(uint16_t vendor, uint16_t device, unsigned int index,
		 char bdf[NIO_BDF_LEN])
{
	struct nio_pci_info *list;
	size_t n, i;
	int ret = nio_pci_list(&list, &n);

	if (ret)
		return ret;
	ret = nioi_fail(ENOENT, "no PCI device %04x:%04x #%u", vendor, device,
			index);
	for (i = 0; i < n; i++) {
		if (list[i].vendor != vendor || list[i].device != device)
			continue;
		if (index-- == 0) {
			memcpy(bdf, list[i].bdf, NIO_BDF_LEN);
			nioi_clear_error();
			ret = 0;
			break;
		}
	}
	free(list);
	return ret;
}

/* Wait (up to 2 s) for bdf's driver link to name want ("" = no driver). */
static bool wait_for_driver(const char *bdf, const char *want)
{
	struct timespec nap = { 0, 10 * 1000 * 1000 };
	struct nio_pci_info info;
	int i;

	for (i = 0; i < 200; i++) {
		if (!nioi_pci_info(bdf, &info) && !strcmp(info.driver, want))
			return true;
		nanosleep(&nap, NULL);
	}
	return false;
}

static int unbind_driver(const struct nio_pci_info *info)
{
	char path[PATH_MAX];
	int ret;

	if (!info->driver[0])
		return 0;
	ret = nioi_write_text(nioi_path(path, sizeof(path), "/sys/bus/pci/devices/%s/driver/unbind", info->bdf),
			      info->bdf);
	if (ret)
		return nioi_fail(-ret, "cannot unbind %s from %s: %s%s",
				 info->bdf, info->driver, strerror(-ret),
				 ret == -EACCES ? " (run as root)" : "");
	return 0;
}

static int set_override(const char *bdf, const char *driver)
{
	char path[PATH_MAX];
	int ret;

	ret = nioi_write_text(nioi_path(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", bdf),
			      driver);
	if (ret)
		return nioi_fail(-ret, "cannot set driver_override of %s: %s%s",
				 bdf, strerror(-ret),
				 ret == -EACCES ? " (run as root)" : "");
	return 0;
}

static int probe(const char *bdf)
{
	char path[PATH_MAX];

	/* Fails with ENODEV etc. when no driver takes the device; the caller
	 * checks the resulting driver link instead. */
	nioi_write_text(nioi_path(path, sizeof(path), "/sys/bus/pci/drivers_probe"), bdf);
	return 0;
}

int nio_pci_bind_vfio(const char *bdf, char *prev, size_t prev_len)
{
	struct nio_pci_info info;
	char path[PATH_MAX];
	int ret = nioi_pci_info(bdf, &info);

	if (ret)
		return ret;
	snprintf(prev, prev_len, "%s", info.driver);
	if (!strcmp(info.driver, "vfio-pci"))
		return 0;
	if (!nioi_exists(nioi_path(path, sizeof(path), "/sys/bus/pci/drivers/vfio-pci")))
		return nioi_fail(ENODEV,
				 "the vfio-pci driver is not loaded: modprobe vfio-pci (CONFIG_VFIO_PCI)");
	ret = unbind_driver(&info);
	if (ret)
		return ret;
	ret = set_override(info.bdf, "vfio-pci");
	if (ret)
		return ret;
	probe(info.bdf);
	if (wait_for_driver(info.bdf, "vfio-pci"))
		return 0;
	/* Leave the device as it was found */
	set_override(info.bdf, "\n");
	probe(info.bdf);
	if (!info.has_iommu && !info.noiommu) {
		char remedy[400];

		if (!nioi_noiommu_mode(remedy, sizeof(remedy)))
			return nioi_fail(ENODEV,
					 "vfio-pci refused %s: it has no IOMMU, and %s",
					 info.bdf, remedy);
	}
	return nioi_fail(EIO, "vfio-pci did not bind %s (see dmesg)", info.bdf);
}

/*
 * Unbinding is only for devices on vfio-pci: for any other, clearing
 * driver_override and re-probing would change a device nobody handed to
 * VFIO, and "unbound from vfio-pci" would be untrue.
 */
static int check_on_vfio_pci(const struct nio_pci_info *info)
{
	if (!strcmp(info->driver, "vfio-pci"))
		return 0;
	if (info->driver[0])
		return nioi_fail(EINVAL, "%s is bound to %s, not vfio-pci",
				 info->bdf, info->driver);
	if (!strcmp(info->driver_override, "vfio-pci"))
		return nioi_fail(EINVAL,
				 "%s is not bound to vfio-pci (it has no driver; its driver_override still names vfio-pci: echo > /sys/bus/pci/devices/%s/driver_override clears it)",
				 info->bdf, info->bdf);
	return nioi_fail(EINVAL,
			 "%s is not bound to vfio-pci (it has no driver): nothing to unbind",
			 info->bdf);
}

int nio_pci_unbind_vfio(const char *bdf, const char *restore)
{
	struct nio_pci_info info;
	char path[PATH_MAX];
	int ret = nioi_pci_info(bdf, &info);

	if (ret)
		return ret;
	ret = check_on_vfio_pci(&info);
	if (ret)
		return ret;
	ret = unbind_driver(&info);
	if (ret)
		return ret;
	ret = set_override(info.bdf, "\n");
	if (ret)
		return ret;
	if (restore && restore[0] && strcmp(restore, "vfio-pci")) {
		ret = nioi_write_text(nioi_path(path, sizeof(path), "/sys/bus/pci/drivers/%s/bind", restore),
				      info.bdf);
		if (ret)
			return nioi_fail(-ret, "cannot give %s back to %s: %s",
					 info.bdf, restore, strerror(-ret));
		return 0;
	}
	probe(info.bdf);
	return 0;
}

/* ---- handed-over fds (nio_device_open_fd()) ---- */

/*
 * The name of the VFIO node fd has open: for a character device, the name
 * sysfs gives its device number (this works when the node is not in this
 * process's /dev, as in a pod given only the fd); else what /proc says the
 * fd was opened as.
 */
static int vfio_fd_node_name(int fd, char *name, size_t len)
{
	char path[PATH_MAX];
	struct stat st;

	if (fstat(fd, &st))
		return nioi_fail(errno, "fd %d: %s", fd, strerror(errno));
	if (S_ISCHR(st.st_mode) &&
	    !nioi_link_name(nioi_path(path, sizeof(path), "/sys/dev/char/%u:%u",
				      major(st.st_rdev), minor(st.st_rdev)),
			    name, len))
		return 0;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (nioi_link_name(path, name, len))
		return nioi_fail(EBADF, "fd %d is not open", fd);
	return 0;
}

/* What kind of VFIO node name is, and the cdev name or group number */
static enum nio_path vfio_node_kind(const char *name, int *group)
{
	char *end;

	if (!strncmp(name, "noiommu-vfio", 12))
		return NIO_PATH_NOIOMMU_CDEV;
	if (!strncmp(name, "vfio", 4) && name[4] >= '0' && name[4] <= '9')
		return NIO_PATH_IOMMU_CDEV;
	if (!strncmp(name, "noiommu-", 8)) {
		errno = 0;
		*group = (int)strtol(name + 8, &end, 10);
		if (!errno && end != name + 8 && !*end && *group >= 0)
			return NIO_PATH_LEGACY_GROUP;
	}
	return NIO_PATH_NONE;
}

int nioi_vfio_fd_device(int fd, struct nio_pci_info *info, enum nio_path *path,
			char *node, size_t node_len)
{
	struct nio_pci_info *list;
	char name[64];
	int group = -1, ret, found = 0;
	size_t n, i;

	ret = vfio_fd_node_name(fd, name, sizeof(name));
	if (ret)
		return ret;
	*path = vfio_node_kind(name, &group);
	if (*path == NIO_PATH_NONE)
		return nioi_fail(EINVAL,
				 "fd %d (%s) is not a VFIO device cdev (/dev/vfio/devices/...) or a no-IOMMU group (/dev/vfio/noiommu-N)",
				 fd, name);
	ret = nio_pci_list(&list, &n);
	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		bool match = *path == NIO_PATH_LEGACY_GROUP ?
			list[i].noiommu && list[i].iommu_group == group :
			!strcmp(list[i].cdev_name, name);

		if (match && !found++)
			*info = list[i];
	}
	free(list);
	if (!found)
		return nioi_fail(ENODEV, "no PCI device has the VFIO node %s of fd %d",
				 name, fd);
	if (found > 1)
		return nioi_fail(EINVAL,
				 "no-IOMMU group %d of fd %d holds %d devices; the library opens groups of one",
				 group, fd, found);
	snprintf(node, node_len, *path == NIO_PATH_LEGACY_GROUP ?
		 "/dev/vfio/%s" : "/dev/vfio/devices/%s", name);
	return 0;
}

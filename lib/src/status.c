// SPDX-License-Identifier: LGPL-2.1-or-later
/* What the running kernel offers for no-IOMMU DMA. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "internal.h"
#include "uapi.h"

#define TAINT_USER_BIT 6

static void count_nodes(const char *dir, const char *prefix,
			unsigned int *match, unsigned int *other)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(nioi_path(path, sizeof(path), "%s", dir));

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || !strcmp(e->d_name, "vfio") ||
		    !strcmp(e->d_name, "devices"))
			continue;
		if (!strncmp(e->d_name, prefix, strlen(prefix)))
			(*match)++;
		else
			(*other)++;
	}
	closedir(d);
}

/* 1 when the kernel knows IOMMU_IOAS_NOIOMMU_GET_PA, 0 when not, -1 when
 * /dev/iommu cannot be opened. Any answer but ENOTTY means it exists. The
 * request is well formed (IOAS 0 never exists: ENOENT) so that no kernel
 * refuses it for its form. */
static int probe_get_pa(void)
{
	struct iommu_ioas_noiommu_get_pa cmd = {
		.size = sizeof(cmd), .length = UINT64_MAX,
	};
	char path[PATH_MAX];
	int fd, ret;

	fd = open(nioi_path(path, sizeof(path), "/dev/iommu"), O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = ioctl(fd, IOMMU_IOAS_NOIOMMU_GET_PA, &cmd);
	ret = ret < 0 && errno == ENOTTY ? 0 : 1;
	close(fd);
	return ret;
}

/*
 * vfio-noiommu-dkms rebuilds VFIO and IOMMUFD for a Debian kernel whose
 * config lacks them; /usr/share/vfio-noiommu-dkms/kconfig lists what its
 * modules add, and DKMS links kernel-RELEASE-ARCH in its tree once they are
 * installed for that kernel. The added options then count as the kernel's.
 */
#define DKMS_KCONFIG "/usr/share/vfio-noiommu-dkms/kconfig"

static bool dkms_modules_installed(const struct utsname *u)
{
	char path[PATH_MAX];

	return nioi_exists(nioi_path(path, sizeof(path),
				     "/var/lib/dkms/vfio-noiommu/kernel-%s-%s",
				     u->release, u->machine)) &&
	       nioi_exists(nioi_path(path, sizeof(path), DKMS_KCONFIG));
}

/* The config at path, with the DKMS package's options in front when its
 * modules are installed for the running kernel (the first value counts). */
static int read_running_config(const char *path, const struct utsname *u,
			       struct nio_kconfig *k, bool *with_dkms)
{
	char dkms[PATH_MAX], *text, *extra, *both;
	size_t len, extra_len;
	int ret = nioi_slurp(path, &text, &len);

	if (ret)
		return ret;
	*with_dkms = dkms_modules_installed(u) &&
		     !nioi_slurp(nioi_path(dkms, sizeof(dkms), DKMS_KCONFIG),
				 &extra, &extra_len);
	if (*with_dkms) {
		both = malloc(extra_len + 1 + len + 1);
		if (both) {
			memcpy(both, extra, extra_len);
			both[extra_len] = '\n';
			memcpy(both + extra_len + 1, text, len + 1);
			free(text);
			text = both;
			len += extra_len + 1;
		}
		*with_dkms = both != NULL;
		free(extra);
	}
	ret = nio_kconfig_parse(text, len, k);
	free(text);
	return ret;
}

int nio_kconfig_running(struct nio_kconfig *k, char *source, size_t len)
{
	char path[PATH_MAX], boot[128];
	const char *sources[] = { "/proc/config.gz", boot };
	struct utsname u;
	bool with_dkms;
	int i;

	if (uname(&u))
		memset(&u, 0, sizeof(u));
	snprintf(boot, sizeof(boot), "/boot/config-%s", u.release);
	for (i = 0; i < 2; i++) {
		nioi_path(path, sizeof(path), "%s", sources[i]);
		if (nioi_exists(path) &&
		    !read_running_config(path, &u, k, &with_dkms)) {
			snprintf(source, len, "%s%s", sources[i],
				 with_dkms ? " + vfio-noiommu-dkms" : "");
			return 0;
		}
	}
	return nioi_fail(ENOENT, "no config of the running kernel (neither /proc/config.gz nor %s)",
			 boot);
}

static void read_config(struct nio_status *st)
{
	st->config_known = !nio_kconfig_running(&st->config, st->config_source,
						sizeof(st->config_source));
}

#define NOIOMMU_PARAM "/sys/module/vfio/parameters/enable_unsafe_noiommu_mode"

/*
 * Whether VFIO's no-IOMMU mode is on; when it is not, remedy says why and
 * what would turn it on. Echoing 1 into the parameter only helps when the
 * parameter exists: a stock Debian kernel has VFIO as a module built
 * without CONFIG_VFIO_NOIOMMU, and no setting gives it the mode.
 */
bool nioi_noiommu_mode(char *remedy, size_t len)
{
	char path[PATH_MAX], param[8] = "";
	struct nio_kconfig k;
	char source[8];

	if (!nioi_read_line(nioi_path(path, sizeof(path), NOIOMMU_PARAM),
			    param, sizeof(param))) {
		if (param[0] == 'Y' || param[0] == '1')
			return true;
		snprintf(remedy, len,
			 "VFIO's no-IOMMU mode is off: echo 1 > " NOIOMMU_PARAM " (or boot with vfio.enable_unsafe_noiommu_mode=1)");
		return false;
	}
	if (nioi_exists(nioi_path(path, sizeof(path), "/sys/module/vfio"))) {
		snprintf(remedy, len,
			 "this kernel's VFIO has no no-IOMMU mode (built without CONFIG_VFIO_NOIOMMU, as Debian's stock kernels are): boot a kernel that has it, or on Debian's 6.12 install vfio-noiommu-dkms");
		return false;
	}
	if (!nio_kconfig_running(&k, source, sizeof(source)) && k.vfio == 'n') {
		snprintf(remedy, len,
			 "this kernel has no VFIO (CONFIG_VFIO is not set): boot a kernel with VFIO, VFIO_PCI and VFIO_NOIOMMU");
		return false;
	}
	snprintf(remedy, len,
		 "VFIO is not loaded: modprobe vfio-pci (with vfio's enable_unsafe_noiommu_mode=1, e.g. 'options vfio enable_unsafe_noiommu_mode=1' in /etc/modprobe.d); if vfio then has no such parameter, the kernel lacks CONFIG_VFIO_NOIOMMU");
	return false;
}

static void decide_best(struct nio_status *st)
{
	bool cdev_nodes = st->noiommu_cdev_nodes > 0;
	bool cdev_config = st->config_known && st->config.noiommu_cdev;

	if (st->noiommu_param != 1) {
		st->best_path = NIO_PATH_NONE;
		nioi_noiommu_mode(st->why, sizeof(st->why));
	} else if ((cdev_nodes || cdev_config) && st->get_pa != 0 &&
		   st->dev_iommu) {
		st->best_path = NIO_PATH_NOIOMMU_CDEV;
		snprintf(st->why, sizeof(st->why),
			 "no-IOMMU device cdevs with IOMMUFD and IOMMU_IOAS_NOIOMMU_GET_PA: pages pinned for the life of each mapping");
	} else if (st->noiommu_group_nodes > 0 ||
		   (st->config_known && st->config.noiommu_possible &&
		    st->config.vfio_group == 'y')) {
		st->best_path = NIO_PATH_LEGACY_GROUP;
		snprintf(st->why, sizeof(st->why),
			 "only the legacy no-IOMMU group: physical addresses from /proc/self/pagemap, no long-term pinning (%s)",
			 st->get_pa == 0 ? "the kernel has no IOMMU_IOAS_NOIOMMU_GET_PA" :
			 st->config_known && st->config.vfio_device_cdev != 'y' ? "CONFIG_VFIO_DEVICE_CDEV is off" :
			 "no no-IOMMU device cdev present");
	} else {
		st->best_path = NIO_PATH_NONE;
		snprintf(st->why, sizeof(st->why),
			 "no no-IOMMU device is exposed: bind one to vfio-pci ('noiommu bind BDF')%s",
			 st->config_known && !st->config.noiommu_possible ?
			 " - but this kernel's config cannot use no-IOMMU mode (see 'noiommu kconfig-check')" : "");
	}
}

static void status_fill(struct nio_status *st)
{
	char path[PATH_MAX], line[64];
	struct utsname u;
	unsigned long taint = 0;

	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	if (!uname(&u))
		snprintf(st->kernel_release, sizeof(st->kernel_release), "%s",
			 u.release);
	st->noiommu_param = -1;
	if (!nioi_read_line(nioi_path(path, sizeof(path), NOIOMMU_PARAM),
			    line, sizeof(line)))
		st->noiommu_param = line[0] == 'Y' || line[0] == '1';
	read_config(st);
	st->dev_iommu = nioi_exists(nioi_path(path, sizeof(path), "/dev/iommu"));
	st->get_pa = probe_get_pa();
	count_nodes("/dev/vfio", "noiommu-", &st->noiommu_group_nodes,
		    &st->group_nodes);
	count_nodes("/dev/vfio/devices", "noiommu-", &st->noiommu_cdev_nodes,
		    &st->cdev_nodes);
	if (!nioi_read_line(nioi_path(path, sizeof(path), "/proc/sys/kernel/tainted"), line, sizeof(line)))
		taint = strtoul(line, NULL, 10);
	st->taint = taint;
	st->taint_user = taint & (1UL << TAINT_USER_BIT);
	decide_best(st);
}

int nio_status_read(struct nio_status *st)
{
	struct nio_status full;
	int ret = nioi_sized_out_check(st, NIOI_STATUS_MIN, "nio_status");

	if (ret)
		return ret;
	status_fill(&full);
	nioi_sized_out_copy(st, &full, sizeof(full));
	return 0;
}

// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Which Kconfig matrix case a kernel config is, and whether it can use
 * no-IOMMU mode (the matrix is in docs and in the series' vfio.rst).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* 'y', 'm' or 'n' for CONFIG_<name> in a .config text. */
static char option(const char *text, const char *name)
{
	size_t nlen = strlen(name);
	const char *p = text;

	while ((p = strstr(p, "CONFIG_"))) {
		bool line_start = p == text || p[-1] == '\n';

		if (line_start && !strncmp(p + 7, name, nlen) &&
		    p[7 + nlen] == '=')
			return p[8 + nlen] == 'm' ? 'm' :
			       p[8 + nlen] == 'y' ? 'y' : 'n';
		p += 7;
	}
	return 'n';
}

static int matrix_case(const struct nio_kconfig *k)
{
	bool container = k->vfio_container == 'y' ||
			 k->iommufd_vfio_container == 'y';
	bool cdev = k->vfio_device_cdev == 'y';

	if (k->vfio == 'n')
		return 0;
	if (k->vfio_group != 'y')
		return cdev ? 5 : 6;
	if (container)
		return cdev ? 3 : 1;
	return cdev ? 4 : 2;
}

static const char *const case_text[] = {
	[1] = "VFIO_GROUP with a container, no device cdev",
	[2] = "VFIO_GROUP without a container (VFIO_CONTAINER and IOMMUFD_VFIO_CONTAINER off), no device cdev",
	[3] = "VFIO_GROUP with a container and the device cdev",
	[4] = "VFIO_GROUP without a container (VFIO_CONTAINER and IOMMUFD_VFIO_CONTAINER off), with the device cdev",
	[5] = "device cdev only (VFIO_GROUP off)",
	[6] = "neither VFIO_GROUP nor the device cdev",
};

static void explain(struct nio_kconfig *k)
{
	int c = k->matrix_case;
	size_t n;

	if (c == 0) {
		snprintf(k->why, sizeof(k->why),
			 "CONFIG_VFIO is off: no VFIO at all");
		return;
	}
	n = (size_t)snprintf(k->why, sizeof(k->why), "case %d: %s; ", c,
			     case_text[c]);
	if (!k->noiommu_possible)
		snprintf(k->why + n, sizeof(k->why) - n, "%s",
			 c == 6 ? "no-IOMMU mode unavailable: there is no VFIO device node of any kind" :
			 k->noiommu_enabled ?
			 "no-IOMMU mode unusable: a no-IOMMU group can only reach DMA through a container, and there is none; CONFIG_VFIO_NOIOMMU=y here means the kernel lacks the no-IOMMU Kconfig fix" :
			 c == 4 ?
			 "no-IOMMU mode unavailable: with VFIO_GROUP on, no-IOMMU needs a container (enable VFIO_CONTAINER or IOMMUFD_VFIO_CONTAINER, or turn VFIO_GROUP off for the cdev-only case 5)" :
			 "no-IOMMU mode unavailable: a no-IOMMU group can only reach DMA through a container, and there is none (enable VFIO_CONTAINER or IOMMUFD_VFIO_CONTAINER, or use the device cdev)");
	else if (!k->noiommu_enabled)
		snprintf(k->why + n, sizeof(k->why) - n,
			 "no-IOMMU mode possible but CONFIG_VFIO_NOIOMMU is off");
	else if (k->noiommu_cdev)
		snprintf(k->why + n, sizeof(k->why) - n,
			 "no-IOMMU mode available through the device cdev and IOMMUFD (path 1)%s",
			 c == 3 ? " and the legacy group (path 3)" : "");
	else if (k->vfio_device_cdev == 'y')
		snprintf(k->why + n, sizeof(k->why) - n,
			 "no device cdev for no-IOMMU devices: the kernel lacks no-IOMMU cdev support (CONFIG_IOMMUFD_NOIOMMU, from the vfio-noiommu series or a mainline kernel that has it)%s",
			 c == 3 ? "; the legacy group only (path 3: pagemap, no long-term pinning)" : "");
	else
		snprintf(k->why + n, sizeof(k->why) - n,
			 "no-IOMMU mode available through the legacy group only (path 3: pagemap, no long-term pinning)");
}

int nio_kconfig_parse(const char *text, size_t len, struct nio_kconfig *k)
{
	(void)len;
	memset(k, 0, sizeof(*k));
	if (!strstr(text, "CONFIG_"))
		return nioi_fail(EINVAL,
				 "not a kernel config: no CONFIG_ lines");
	k->vfio = option(text, "VFIO");
	k->vfio_group = option(text, "VFIO_GROUP");
	k->vfio_container = option(text, "VFIO_CONTAINER");
	k->iommufd_vfio_container = option(text, "IOMMUFD_VFIO_CONTAINER");
	k->vfio_device_cdev = option(text, "VFIO_DEVICE_CDEV");
	k->iommufd = option(text, "IOMMUFD");
	k->vfio_noiommu = option(text, "VFIO_NOIOMMU");
	k->vfio_pci = option(text, "VFIO_PCI");
	k->iommufd_noiommu = option(text, "IOMMUFD_NOIOMMU");
	k->matrix_case = matrix_case(k);
	k->noiommu_possible = k->matrix_case == 1 || k->matrix_case == 3 ||
			      k->matrix_case == 5;
	k->noiommu_enabled = k->vfio != 'n' && k->vfio_noiommu == 'y';
	/*
	 * The cdev, the device cdev and IOMMUFD alone make no path 1: stock
	 * kernels have all three and give no-IOMMU devices no cdev. The hidden
	 * IOMMUFD_NOIOMMU is what marks the feature.
	 */
	k->noiommu_cdev = k->noiommu_possible && k->noiommu_enabled &&
			  k->vfio_device_cdev == 'y' && k->iommufd != 'n' &&
			  k->iommufd_noiommu == 'y';
	explain(k);
	return 0;
}

int nio_kconfig_read(const char *path, struct nio_kconfig *k)
{
	char *text;
	size_t len;
	int ret = nioi_slurp(path, &text, &len);

	if (ret)
		return nioi_fail(-ret, "cannot read %s: %s", path,
				 strerror(-ret));
	ret = nio_kconfig_parse(text, len, k);
	free(text);
	if (ret)
		return nioi_fail(-ret, "%s is not a kernel config (no CONFIG_ lines)",
				 path);
	return 0;
}

// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Which Kconfig matrix case a kernel config is, and whether it can use
 * no-IOMMU mode (the matrix is in docs and in the series' vfio.rst).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The options the verdict depends on, and where each one's value goes */
struct option_slot {
	const char *name;
	size_t offset;		/* in struct nio_kconfig */
};

#define SLOT(name, field) { name, offsetof(struct nio_kconfig, field) }
static const struct option_slot slots[] = {
	SLOT("VFIO", vfio),
	SLOT("VFIO_GROUP", vfio_group),
	SLOT("VFIO_CONTAINER", vfio_container),
	SLOT("IOMMUFD_VFIO_CONTAINER", iommufd_vfio_container),
	SLOT("VFIO_DEVICE_CDEV", vfio_device_cdev),
	SLOT("IOMMUFD", iommufd),
	SLOT("VFIO_NOIOMMU", vfio_noiommu),
	SLOT("VFIO_PCI", vfio_pci),
	SLOT("IOMMUFD_NOIOMMU", iommufd_noiommu),
};

static bool is_name_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

/* Printable ASCII (and tabs): .config files hold nothing else */
static bool is_text(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((p[i] < ' ' || p[i] > '~') && p[i] != '\t')
			return false;
	return true;
}

/*
 * One line of a .config: "CONFIG_NAME=value", a comment ("# CONFIG_NAME is
 * not set" among them) or an empty line. The first value of an option
 * counts (a fragment in front overrides what follows). Returns 1 for an
 * option line, 0 for a comment or empty line, -1 for anything else.
 */
static int parse_line(const char *line, size_t n, struct nio_kconfig *k,
		      bool *seen)
{
	const char *name = line + 7, *eq;
	size_t i, name_len;

	if (n && line[n - 1] == '\r')
		n--;
	if (!is_text(line, n))
		return -1;
	if (n == 0 || line[0] == '#')
		return 0;
	if (n < 9 || memcmp(line, "CONFIG_", 7))
		return -1;
	eq = memchr(name, '=', n - 7);
	if (!eq || eq == name)
		return -1;
	name_len = (size_t)(eq - name);
	for (i = 0; i < name_len; i++)
		if (!is_name_char(name[i]))
			return -1;
	for (i = 0; i < sizeof(slots) / sizeof(slots[0]); i++) {
		if (seen[i] || strlen(slots[i].name) != name_len ||
		    memcmp(slots[i].name, name, name_len))
			continue;
		seen[i] = true;
		*((char *)k + slots[i].offset) =
			eq + 1 < line + n && (eq[1] == 'y' || eq[1] == 'm') ?
			eq[1] : 'n';
	}
	return 1;
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

/*
 * What a config lacks for path 1 (the no-IOMMU cdev), all of it: a stock
 * Debian config lacks four options, and naming only the first sends the
 * user round the loop four times.
 */
static void explain_path1_missing(struct nio_kconfig *k)
{
	const struct {
		bool missing;
		const char *name;
	} needs[] = {
		{ k->vfio_noiommu != 'y', "CONFIG_VFIO_NOIOMMU" },
		{ k->iommufd == 'n', "CONFIG_IOMMUFD" },
		{ k->vfio_device_cdev != 'y', "CONFIG_VFIO_DEVICE_CDEV" },
		{ k->iommufd_noiommu != 'y',
		  "CONFIG_IOMMUFD_NOIOMMU (the no-IOMMU cdev feature: mainline, or the vfio-noiommu series or DKMS package)" },
	};
	size_t n = strlen(k->why), i;
	const char *sep = "; path 1 (no-IOMMU cdev) also needs ";

	if (k->noiommu_cdev || k->matrix_case == 0)
		return;
	for (i = 0; i < sizeof(needs) / sizeof(needs[0]) && n < sizeof(k->why); i++) {
		if (!needs[i].missing)
			continue;
		n += (size_t)snprintf(k->why + n, sizeof(k->why) - n, "%s%s",
				      sep, needs[i].name);
		sep = ", ";
	}
}

int nio_kconfig_parse(const char *text, size_t len, struct nio_kconfig *k)
{
	bool seen[sizeof(slots) / sizeof(slots[0])] = { false };
	const char *p = text, *end = text + len, *nl;
	size_t i, line_no = 0, options = 0;
	int kind;

	memset(k, 0, sizeof(*k));
	if (!text)
		return nioi_fail(EINVAL, "not a kernel config: no text");
	/* Only len bytes are read: the text need not be NUL-terminated */
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		line_no++;
		kind = parse_line(p, nl ? (size_t)(nl - p) : (size_t)(end - p),
				  k, seen);
		if (kind < 0)
			return nioi_fail(EINVAL,
					 "not a kernel config: line %zu is neither CONFIG_NAME=value nor a comment",
					 line_no);
		options += (size_t)kind;
		p = nl ? nl + 1 : end;
	}
	if (!options)
		return nioi_fail(EINVAL, "not a kernel config: no CONFIG_ lines");
	for (i = 0; i < sizeof(slots) / sizeof(slots[0]); i++)
		if (!seen[i])
			*((char *)k + slots[i].offset) = 'n';
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
	explain_path1_missing(k);
	return 0;
}

int nio_kconfig_read(const char *path, struct nio_kconfig *k)
{
	char *text, why[256];
	size_t len;
	int ret = nioi_slurp(path, &text, &len);

	if (ret)
		return nioi_fail(-ret, "cannot read %s: %s", path,
				 ret == -EINVAL ? "not a regular file" :
				 ret == -EFBIG ? "too large for a kernel config" :
				 strerror(-ret));
	ret = nio_kconfig_parse(text, len, k);
	free(text);
	if (ret) {
		snprintf(why, sizeof(why), "%s", nio_errmsg());
		return nioi_fail(-ret, "%s is %s", path, why);
	}
	return 0;
}

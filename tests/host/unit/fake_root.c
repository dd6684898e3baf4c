// SPDX-License-Identifier: GPL-2.0
/* See fake_root.h. */
#define _GNU_SOURCE
#include "fake_root.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static void mkdirs(const char *root, const char *rel)
{
	char path[PATH_MAX], *p;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (p = path + strlen(root) + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(path, 0755);
			*p = '/';
		}
	}
	mkdir(path, 0755);
}

void fake_root_write(const char *root, const char *rel, const char *text)
{
	char path[PATH_MAX], dir[PATH_MAX];
	FILE *f;

	snprintf(dir, sizeof(dir), "%s", rel);
	*strrchr(dir, '/') = '\0';
	mkdirs(root, dir);
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	if (!f)
		abort();
	fputs(text, f);
	fclose(f);
}

const char *fake_root_read(const char *root, const char *rel, char *buf,
			   size_t len)
{
	char path[PATH_MAX];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "r");
	if (f) {
		n = fread(buf, 1, len - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

static void link_to(const char *root, const char *rel, const char *target)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	if (symlink(target, path))
		abort();
}

static void pci_device(const char *root, const char *bdf, const char *vendor,
		       const char *device, const char *class)
{
	char rel[256];

	snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s/vendor", bdf);
	fake_root_write(root, rel, vendor);
	snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s/device", bdf);
	fake_root_write(root, rel, device);
	snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s/class", bdf);
	fake_root_write(root, rel, class);
	snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s/driver_override", bdf);
	fake_root_write(root, rel, "(null)\n");
}

static void gzip_file(const char *root, const char *rel, const char *text)
{
	char path[PATH_MAX];
	gzFile f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = gzopen(path, "wb");
	if (!f)
		abort();
	gzputs(f, text);
	gzclose(f);
}

const char *fake_root_create(bool noiommu_param, bool with_cdev)
{
	static char root[] = "/tmp/nio-fake-XXXXXX";

	strcpy(root, "/tmp/nio-fake-XXXXXX");
	if (!mkdtemp(root))
		abort();
	mkdirs(root, "sys/bus/pci/drivers/vfio-pci");
	mkdirs(root, "sys/bus/pci/drivers/virtio-pci");
	mkdirs(root, "dev/vfio/devices");
	fake_root_write(root, "sys/module/vfio/parameters/enable_unsafe_noiommu_mode",
			noiommu_param ? "Y\n" : "N\n");
	fake_root_write(root, "proc/sys/kernel/tainted", "64\n");
	fake_root_write(root, "dev/vfio/vfio", "");

	pci_device(root, "0000:00:01.0", "0x1af4\n", "0x1041\n", "0x020000\n");
	link_to(root, "sys/bus/pci/devices/0000:00:01.0/driver",
		"../../drivers/virtio-pci");

	pci_device(root, "0000:01:00.0", "0x1234\n", "0x11e8\n", "0x00ff00\n");
	link_to(root, "sys/bus/pci/devices/0000:01:00.0/driver",
		"../../drivers/vfio-pci");
	fake_root_write(root, "sys/kernel/iommu_groups/0/name", "vfio-noiommu\n");
	link_to(root, "sys/bus/pci/devices/0000:01:00.0/iommu_group",
		"../../../../kernel/iommu_groups/0");
	mkdirs(root, "sys/bus/pci/devices/0000:01:00.0/vfio-dev/noiommu-vfio0");
	fake_root_write(root, "dev/vfio/noiommu-0", "");

	pci_device(root, "0000:02:00.0", "0x1b36\n", "0x0010\n", "0x010802\n");

	pci_device(root, "0000:03:00.0", "0x8086\n", "0x1533\n", "0x020000\n");
	link_to(root, "sys/bus/pci/devices/0000:03:00.0/driver",
		"../../drivers/vfio-pci");
	mkdirs(root, "sys/kernel/iommu_groups/7");
	link_to(root, "sys/bus/pci/devices/0000:03:00.0/iommu_group",
		"../../../../kernel/iommu_groups/7");
	mkdirs(root, "sys/bus/pci/devices/0000:03:00.0/vfio-dev/vfio1");
	fake_root_write(root, "dev/vfio/7", "");

	if (with_cdev) {
		fake_root_write(root, "dev/vfio/devices/noiommu-vfio0", "");
		fake_root_write(root, "dev/vfio/devices/vfio1", "");
		fake_root_write(root, "dev/iommu", "");
	}
	mkdirs(root, "proc");
	gzip_file(root, "proc/config.gz",
		  "CONFIG_VFIO=y\nCONFIG_VFIO_GROUP=y\nCONFIG_VFIO_CONTAINER=y\n"
		  "CONFIG_VFIO_NOIOMMU=y\nCONFIG_IOMMUFD=y\nCONFIG_VFIO_PCI=y\n"
		  "CONFIG_VFIO_DEVICE_CDEV=y\nCONFIG_IOMMUFD_NOIOMMU=y\n");
	return root;
}

void fake_root_remove(const char *root)
{
	char cmd[PATH_MAX + 16];

	if (strncmp(root, "/tmp/nio-fake-", 14))
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", root);
}

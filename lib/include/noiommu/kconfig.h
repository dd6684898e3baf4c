/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libnoiommu: what a kernel config and the running kernel offer. Include <noiommu.h> rather than this file. */
#ifndef NOIOMMU_KCONFIG_H
#define NOIOMMU_KCONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "noiommu/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- what the running kernel supports ------------------------------------ */

/*
 * Unlike the structs of core.h's list, this one has no size: struct
 * nio_status embeds it, so its layout stays as it is for soname 2, and
 * what a later version judges goes into nio_status.
 */
struct nio_kconfig {
	/* 'y', 'm' or 'n' for each option */
	char vfio, vfio_group, vfio_container, iommufd_vfio_container;
	char vfio_device_cdev, iommufd, vfio_noiommu, vfio_pci;
	/* the series' (and mainline's) marker of no-IOMMU cdev support */
	char iommufd_noiommu;
	int matrix_case;	/* 1..6 per the Kconfig matrix, 0: no VFIO */
	bool noiommu_possible;	/* the matrix says the case can use it */
	bool noiommu_enabled;	/* CONFIG_VFIO_NOIOMMU is set */
	bool noiommu_cdev;	/* path 1 possible: CONFIG_IOMMUFD_NOIOMMU=y */
	char why[512];		/* human explanation of the verdict */
};

/**
 * nio_kconfig_read() - judge a kernel .config file
 * @path: the file, plain or gzip (e.g. /proc/config.gz)
 * @k: receives the options and the verdict
 *
 * Return: 0; -EISDIR or -EINVAL (not a regular file); -EFBIG (too large
 * for a kernel config); -ENOMEM; the errno of opening or reading it; as
 * nio_kconfig_parse() for its contents.
 */
int nio_kconfig_read(const char *path, struct nio_kconfig *k);
/**
 * nio_kconfig_running() - judge the running kernel's config
 * @k: receives the options and the verdict
 * @source: receives where the config came from, e.g.
 *	    "/boot/config-6.12.117+deb12-cloud-amd64 + vfio-noiommu-dkms"
 * @len: size of @source
 *
 * Reads /proc/config.gz, else /boot/config-RELEASE, and adds the options
 * vfio-noiommu-dkms's modules bring when they are installed for this
 * kernel.
 *
 * Return: 0; -ENOENT when neither file exists; as nio_kconfig_read().
 */
int nio_kconfig_running(struct nio_kconfig *k, char *source, size_t len);
/**
 * nio_kconfig_parse() - judge a kernel config held in memory
 * @text: the config; need not be NUL-terminated
 * @len: its length: nothing past it is read
 * @k: receives the options and the verdict
 *
 * Return: 0, or -EINVAL when @text is NULL, has a line that is neither
 * CONFIG_NAME=value nor a comment, or has no CONFIG_ line at all.
 */
int nio_kconfig_parse(const char *text, size_t len, struct nio_kconfig *k);

struct nio_status {
	size_t size;			/* sizeof(struct nio_status) (since 2.3) */
	int noiommu_param;		/* 1 on, 0 off, -1 vfio not present */
	bool config_known;		/* config below was read */
	char config_source[128];	/* /proc/config.gz, /boot/config-... */
	struct nio_kconfig config;
	bool dev_iommu;			/* /dev/iommu exists */
	int get_pa;			/* 1/0 kernel has GET_PA, -1 unknown */
	unsigned int group_nodes, noiommu_group_nodes;
	unsigned int cdev_nodes, noiommu_cdev_nodes;
	unsigned long taint;		/* /proc/sys/kernel/tainted */
	bool taint_user;		/* TAINT_USER, set by no-IOMMU use */
	char kernel_release[65];
	enum nio_path best_path;	/* best path a no-IOMMU device gets */
	char why[512];
};
/**
 * nio_status_read() - what the running system offers no-IOMMU devices
 * @st: its size set (NIO_SIZED_INIT), receives the module parameter,
 *	config, nodes, taint and the best path; what cannot be read is
 *	reported as unknown in it
 *
 * Return: 0, or -EINVAL when @st->size is smaller than 2.3's struct.
 */
int nio_status_read(struct nio_status *st);

#ifdef __cplusplus
}
#endif

#endif

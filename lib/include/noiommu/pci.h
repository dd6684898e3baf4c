/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libnoiommu: PCI devices in sysfs, binding to vfio-pci. Include <noiommu.h> rather than this file. */
#ifndef NOIOMMU_PCI_H
#define NOIOMMU_PCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- PCI devices (sysfs) ------------------------------------------------ */

#define NIO_BDF_LEN 16

struct nio_pci_info {
	char bdf[NIO_BDF_LEN];		/* 0000:00:03.0 */
	uint16_t vendor;
	uint16_t device;
	uint32_t class_code;		/* 24-bit class, e.g. 0x010802 */
	char driver[64];		/* bound driver, "" when none */
	char driver_override[64];	/* "" when not set */
	int iommu_group;		/* -1: no IOMMU group */
	bool has_iommu;			/* behind a real IOMMU */
	bool noiommu;			/* VFIO treats it as a no-IOMMU device */
	char group_node[64];		/* /dev/vfio/N or /dev/vfio/noiommu-N */
	char cdev_name[32];		/* sysfs vfio-dev entry, "" when none */
	char cdev_node[80];		/* /dev/vfio/devices/<cdev_name> */
};

/* Canonical "dddd:bb:dd.f" form of bdf ("bb:dd.f" gets domain 0000). */
int nio_bdf_normalize(const char *bdf, char out[NIO_BDF_LEN]);
int nio_pci_info(const char *bdf, struct nio_pci_info *info);
/* Every PCI device, sorted by BDF; free *list with free(). */
int nio_pci_list(struct nio_pci_info **list, size_t *count);
/* BDF of the index-th device with vendor:device; -ENOENT when none. */
int nio_pci_find(uint16_t vendor, uint16_t device, unsigned int index,
		 char bdf[NIO_BDF_LEN]);
/*
 * Bind bdf to vfio-pci through driver_override; the driver it had is
 * stored in prev ("" when none). Binding a device already on vfio-pci
 * succeeds and leaves prev as "vfio-pci".
 */
int nio_pci_bind_vfio(const char *bdf, char *prev, size_t prev_len);
/*
 * Unbind bdf from vfio-pci, clear driver_override and hand the device to
 * restore (a driver name) or, when restore is NULL or "", to whatever
 * driver the kernel picks. A device not bound to vfio-pci (another driver
 * or none) is left untouched: -EINVAL.
 */
int nio_pci_unbind_vfio(const char *bdf, const char *restore);

#ifdef __cplusplus
}
#endif

#endif

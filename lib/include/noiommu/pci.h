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
	size_t size;			/* sizeof(struct nio_pci_info) (since 2.3) */
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

/**
 * nio_bdf_normalize() - the canonical form of a PCI address
 * @bdf: "dddd:bb:dd.f" or "bb:dd.f" (domain 0000), hex digits
 * @out: receives "dddd:bb:dd.f"
 *
 * Return: 0, or -EINVAL when @bdf is NULL, malformed or out of range.
 */
int nio_bdf_normalize(const char *bdf, char out[NIO_BDF_LEN]);
/**
 * nio_pci_info() - what sysfs says about a PCI device
 * @bdf: its address, as nio_bdf_normalize() takes it
 * @info: its size set (NIO_SIZED_INIT), receives IDs, driver, IOMMU group
 *	  and VFIO nodes
 *
 * Return: 0; -EINVAL for a malformed @bdf or an @info->size smaller than
 * 2.3's struct; -ENOENT when no such device.
 */
int nio_pci_info(const char *bdf, struct nio_pci_info *info);
/**
 * nio_pci_list() - every PCI device, sorted by address
 * @list: receives an array to free() (NULL when @count is 0), of structs
 *	  laid out as in the header the program was built with (each has its
 *	  size set)
 * @count: receives its length
 *
 * Return: 0; -ENOMEM; the errno of reading /sys/bus/pci/devices.
 */
int nio_pci_list(struct nio_pci_info **list, size_t *count);
/**
 * nio_pci_find() - the address of the index-th device with given IDs
 * @vendor: PCI vendor ID
 * @device: PCI device ID
 * @index: 0 for the first, in address order
 * @bdf: receives the address
 *
 * Return: 0; -ENOENT when there is no such device; as nio_pci_list().
 */
int nio_pci_find(uint16_t vendor, uint16_t device, unsigned int index,
		 char bdf[NIO_BDF_LEN]);
/**
 * nio_pci_bind_vfio() - hand a device to vfio-pci
 * @bdf: the device
 * @prev: receives the driver it had ("" when none; "vfio-pci" when it
 *	  already was on vfio-pci, which succeeds)
 * @prev_len: size of @prev
 *
 * Unbinds the current driver, sets driver_override to vfio-pci and
 * probes. A device vfio-pci does not take is left as it was found.
 * Needs root.
 *
 * Return: 0; as nio_pci_info(); -ENODEV when vfio-pci is not loaded, or
 * refuses a device without an IOMMU because no-IOMMU mode is off; -EIO
 * when vfio-pci did not bind it for another reason; the errno of a sysfs
 * write.
 */
int nio_pci_bind_vfio(const char *bdf, char *prev, size_t prev_len);
/**
 * nio_pci_unbind_vfio() - take a device back from vfio-pci
 * @bdf: the device, bound to vfio-pci
 * @restore: the driver to hand it to, or NULL or "" for whatever driver
 *	     the kernel picks
 *
 * Unbinds vfio-pci, clears driver_override and probes. Needs root.
 *
 * Return: 0; as nio_pci_info(); -EINVAL when the device is not bound to
 * vfio-pci (it is left untouched); the errno of a sysfs write.
 */
int nio_pci_unbind_vfio(const char *bdf, const char *restore);

#ifdef __cplusplus
}
#endif

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A fake /sys, /dev and /proc under a temporary directory, shaped like what
 * the 6.12 kernel with the series shows in the lab, for host unit tests of
 * libnoiommu and the CLI.
 *
 *   0000:00:01.0  virtio-pci, no IOMMU, no VFIO
 *   0000:01:00.0  edu on vfio-pci, no-IOMMU group 0, cdev noiommu-vfio0
 *   0000:02:00.0  NVMe, no driver, no IOMMU group
 *   0000:03:00.0  a device behind a real IOMMU (group 7) on vfio-pci, cdev vfio1
 */
#ifndef FAKE_ROOT_H
#define FAKE_ROOT_H

#include <stdbool.h>
#include <stddef.h>

/* Create the tree; returns its path (static buffer). */
const char *fake_root_create(bool noiommu_param, bool with_cdev);
void fake_root_write(const char *root, const char *rel, const char *text);
/* The whole file (at most len - 1 bytes) into buf; "" when unreadable. */
const char *fake_root_read(const char *root, const char *rel, char *buf,
			   size_t len);
void fake_root_remove(const char *root);

#endif

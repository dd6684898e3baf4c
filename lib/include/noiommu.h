/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libnoiommu: one C API for userspace PCI drivers that do DMA, on machines
 * with or without an IOMMU.
 *
 * A driver opens devices into a context (one DMA address space), allocates
 * or maps DMA memory in that context and programs the device with the
 * addresses the library returns. The library picks the best path the
 * running kernel offers and says which and why:
 *
 *   1. no-IOMMU device cdev + IOMMUFD: pages pinned by IOMMU_IOAS_MAP,
 *      physical addresses from IOMMU_IOAS_NOIOMMU_GET_PA;
 *   2. IOMMU-backed device cdev + IOMMUFD: the device address is the IOVA;
 *   3. legacy no-IOMMU group + container: pages mlock()ed, physical
 *      addresses from /proc/self/pagemap (no long-term pinning guarantee).
 *
 * Errors: every function that can fail returns 0 or a negative errno and
 * leaves a message naming the cause and the fix in nio_errmsg() (per
 * thread). The errno values are listed in lib/README.md.
 *
 * Thread safety: every function may be called from several threads at
 * once on the same context, device or buffer, except that a device must
 * not be used while (or after) it is closed, a buffer while (or after) it
 * is freed, or a context while it is freed; nio_set_root() is for tests
 * and not thread safe. nio_dma_addr(), nio_vtophys() and
 * nio_ptr_from_addr() never make a system call. The log
 * callback (nio_set_log()) runs with no library lock held, in the thread
 * that logs, and may call the library.
 *
 * fork(): in the parent, DMA buffers stay where the device was told they
 * are on every path. On the IOMMUFD paths they are pinned, and a child
 * gets copies. The legacy path cannot pin: the library's buffers there
 * are shared anonymous memory (a child shares them, and nothing is ever
 * copied on write), and memory given to nio_dma_map() is made
 * MADV_DONTFORK (not in a child) until nio_dma_free(); a kernel without
 * madvise() gets a warning instead.
 */
#ifndef NOIOMMU_H
#define NOIOMMU_H

#define NIO_VERSION "2.3.0"

/*
 * The API in focused headers, all of which this one includes:
 *   noiommu/core.h     errors, logging, the DMA paths
 *   noiommu/pci.h      PCI devices in sysfs, vfio-pci binding
 *   noiommu/kconfig.h  kernel configs and what the running kernel offers
 *   noiommu/device.h   contexts, devices, regions, BARs, interrupts
 *   noiommu/dma.h      DMA memory, address translation, the DMA pool
 *   noiommu/mmio.h     MMIO accessors and barriers (since 2.1)
 */
#include "noiommu/core.h"
#include "noiommu/pci.h"
#include "noiommu/kconfig.h"
#include "noiommu/device.h"
#include "noiommu/dma.h"
#include "noiommu/mmio.h"

#endif

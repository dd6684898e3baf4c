/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A fake IOMMUFD kernel for host tests: fake_iommufd.c defines ioctl(), so
 * every ioctl the library makes in a program linked with it lands there,
 * where a small model of IOMMUFD answers the way a given kernel does:
 *
 *   MAINLINE   merged mainline's IOMMU_IOAS_NOIOMMU_GET_PA: EOPNOTSUPP for
 *              flags, EINVAL for length 0, runs bounded by their mapping,
 *              EOPNOTSUPP when no no-IOMMU page table holds the memory
 *              (the series now answers exactly so);
 *   PRE_MERGE  the series before it followed mainline: length 0 meant "no
 *              limit", runs crossed into adjacent mappings, ENODEV without
 *              an attached device;
 *   NO_GET_PA  a kernel with no-IOMMU cdevs but without the ioctl (ENOTTY).
 *
 * With fake_root's tree (/dev/iommu and the cdev of 0000:01:00.0), the
 * library opens 01:00.0 on the no-IOMMU cdev path and allocates DMA
 * buffers whose device addresses are fake_pa() of their bytes: pages come
 * in physically contiguous runs of three, so buffers have several
 * segments. The model is not thread safe: make the calls that reach it
 * (device open, nio_dma_alloc/map/free) from one thread at a time.
 */
#ifndef FAKE_IOMMUFD_H
#define FAKE_IOMMUFD_H

#include <stdbool.h>
#include <stdint.h>

#include "noiommu.h"

#define FAKE_PAGE 4096ULL

enum fake_kernel { MAINLINE, PRE_MERGE, NO_GET_PA };

struct fake_area {
	uint64_t iova, len, user_va;
};

struct fake_iommufd {
	enum fake_kernel kernel;
	bool attached;
	struct fake_area *areas;	/* IOMMU_IOAS_MAPs in place */
	unsigned int nr_areas, areas_cap;
	uint64_t next_iova;
	unsigned int get_pa_calls;
	unsigned int zero_length_calls;
	int bind_errno;		/* VFIO_DEVICE_BIND_IOMMUFD fails with it */
};

/* The model's state: tests read it and may change kernel and attached. */
extern struct fake_iommufd fk;

/* Forget every mapping and count; answer as kernel does from now on. */
void fake_iommufd_reset(enum fake_kernel kernel);

/*
 * The fake physical address of a user address: runs of 3 physically
 * contiguous pages, and the page after the last one of a buffer's
 * neighbour follows it physically, so that adjacent mappings are adjacent
 * in memory.
 */
uint64_t fake_pa(uint64_t user_va);

/* A fake tree, the fake kernel and 01:00.0 open on path 1 in a new context */
struct fake_session {
	const char *root;
	struct nio_ctx *ctx;
	struct nio_device *dev;
};

/* 0, or the failing call's -errno (nio_errmsg() says why) */
int fake_session_open(struct fake_session *s, enum fake_kernel kernel);
void fake_session_close(struct fake_session *s);

#endif

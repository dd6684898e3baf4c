// SPDX-License-Identifier: GPL-2.0
/*
 * libnoiommu's no-IOMMU cdev path against a fake IOMMUFD: this file defines
 * ioctl(), so every ioctl the library makes lands here, where a small model
 * of IOMMUFD answers the way a given kernel does:
 *
 *   mainline   merged mainline's IOMMU_IOAS_NOIOMMU_GET_PA: EOPNOTSUPP for
 *              flags, EINVAL for length 0, runs bounded by their mapping,
 *              EOPNOTSUPP when no no-IOMMU page table holds the memory
 *              (the series now answers exactly so);
 *   pre-merge  the series before it followed mainline: length 0 meant "no
 *              limit", runs crossed into adjacent mappings, ENODEV without
 *              an attached device;
 *   no GET_PA  a kernel with no-IOMMU cdevs but without the ioctl (ENOTTY).
 *
 * The library must never send length 0, must build exact segment lists on
 * both kernels, and must explain each kernel's refusals.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kselftest_harness.h"
#include "fake_root.h"
#include "internal.h"
#include "uapi.h"

#define PAGE 4096ULL

enum fake_kernel { MAINLINE, PRE_MERGE, NO_GET_PA };

struct fake_area {
	uint64_t iova, len, user_va;
};

static struct {
	enum fake_kernel kernel;
	bool attached;
	struct fake_area areas[16];
	unsigned int nr_areas;
	uint64_t next_iova;
	unsigned int get_pa_calls;
	unsigned int zero_length_calls;
} fk;

/*
 * The fake physical address of a user page: runs of 3 physically
 * contiguous pages, and the page after the last one of a buffer's neighbour
 * follows it physically, so that adjacent mappings are adjacent in memory.
 */
static uint64_t fake_pa(uint64_t user_va)
{
	uint64_t page = user_va / PAGE;

	return 0x40000000ULL + (page / 3) * 0x100000ULL + (page % 3) * PAGE +
	       user_va % PAGE;
}

static struct fake_area *find_area(uint64_t iova)
{
	unsigned int i;

	for (i = 0; i < fk.nr_areas; i++)
		if (iova >= fk.areas[i].iova &&
		    iova - fk.areas[i].iova < fk.areas[i].len)
			return &fk.areas[i];
	return NULL;
}

/* Bytes physically contiguous from iova, up to limit and, unless the
 * kernel lets runs cross mappings, up to the end of iova's mapping. */
static uint64_t fake_run(struct fake_area *a, uint64_t iova, uint64_t limit)
{
	uint64_t pa = fake_pa(a->user_va + (iova - a->iova));
	uint64_t run = PAGE - iova % PAGE;

	for (;;) {
		uint64_t next = iova + run;
		struct fake_area *n = find_area(next);

		if (run >= limit)
			return limit;
		if (!n || (n != a && fk.kernel == MAINLINE))
			return run;
		if (fake_pa(n->user_va + (next - n->iova)) != pa + run)
			return run;
		a = n;
		run += PAGE;
	}
}

static int fake_get_pa(struct iommu_ioas_noiommu_get_pa *cmd)
{
	struct fake_area *a;
	uint64_t limit = cmd->length;

	fk.get_pa_calls++;
	if (!cmd->length)
		fk.zero_length_calls++;
	switch (fk.kernel) {
	case NO_GET_PA:
		errno = ENOTTY;
		return -1;
	case MAINLINE:
		if (cmd->flags || cmd->__reserved) {
			errno = EOPNOTSUPP;
			return -1;
		}
		if (!cmd->length) {
			errno = EINVAL;
			return -1;
		}
		break;
	case PRE_MERGE:
		if (cmd->flags) {
			errno = EOPNOTSUPP;
			return -1;
		}
		if (!limit)
			limit = UINT64_MAX;
		break;
	}
	if (cmd->iova >= UINT64_MAX) {
		errno = EOVERFLOW;
		return -1;
	}
	if (cmd->ioas_id != 1) {
		errno = ENOENT;
		return -1;
	}
	if (fk.kernel == PRE_MERGE && !fk.attached) {
		errno = ENODEV;
		return -1;
	}
	a = find_area(cmd->iova);
	if (!a) {
		errno = ENOENT;
		return -1;
	}
	if (!fk.attached) {
		errno = EOPNOTSUPP;
		return -1;
	}
	cmd->out_phys = fake_pa(a->user_va + (cmd->iova - a->iova));
	cmd->length = fake_run(a, cmd->iova, limit);
	return 0;
}

static int fake_map(struct iommu_ioas_map *map)
{
	struct fake_area *a;

	if (fk.nr_areas == ARRAY_SIZE(fk.areas) || !map->length) {
		errno = EINVAL;
		return -1;
	}
	if (!(map->flags & IOMMU_IOAS_MAP_FIXED_IOVA)) {
		map->iova = fk.next_iova;
		fk.next_iova += (map->length + PAGE - 1) / PAGE * PAGE;
	}
	a = &fk.areas[fk.nr_areas++];
	a->iova = map->iova;
	a->len = map->length;
	a->user_va = map->user_va;
	return 0;
}

static int fake_unmap(struct iommu_ioas_unmap *unmap)
{
	unsigned int i;

	for (i = 0; i < fk.nr_areas; i++) {
		if (fk.areas[i].iova == unmap->iova &&
		    fk.areas[i].len == unmap->length) {
			fk.areas[i] = fk.areas[--fk.nr_areas];
			return 0;
		}
	}
	errno = ENOENT;
	return -1;
}

int ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	(void)fd;

	switch (request) {
	case IOMMU_IOAS_ALLOC:
		((struct iommu_ioas_alloc *)arg)->out_ioas_id = 1;
		return 0;
	case VFIO_DEVICE_BIND_IOMMUFD:
		((struct vfio_device_bind_iommufd *)arg)->out_devid = 2;
		return 0;
	case VFIO_DEVICE_ATTACH_IOMMUFD_PT:
		fk.attached = true;
		return 0;
	case VFIO_DEVICE_DETACH_IOMMUFD_PT:
		fk.attached = false;
		return 0;
	case IOMMU_IOAS_MAP:
		return fake_map(arg);
	case IOMMU_IOAS_UNMAP:
		return fake_unmap(arg);
	case IOMMU_IOAS_NOIOMMU_GET_PA:
		return fake_get_pa(arg);
	case IOMMU_DESTROY:
		return 0;
	}
	errno = ENOTTY;
	return -1;
}

FIXTURE(kernel) {
	const char *root;
	struct nio_ctx *ctx;
	struct nio_device *dev;
};

FIXTURE_VARIANT(kernel) {
	enum fake_kernel kernel;
};

FIXTURE_VARIANT_ADD(kernel, mainline) { .kernel = MAINLINE };
FIXTURE_VARIANT_ADD(kernel, pre_merge) { .kernel = PRE_MERGE };

FIXTURE_SETUP(kernel)
{
	memset(&fk, 0, sizeof(fk));
	fk.kernel = variant->kernel;
	fk.next_iova = 0x100000;
	self->root = fake_root_create(true, true);
	nio_set_root(self->root);
	ASSERT_EQ(0, nio_ctx_new(&self->ctx));
	ASSERT_EQ(0, nio_device_open(self->ctx, "01:00.0", NULL, &self->dev))
		TH_LOG("%s", nio_errmsg());
	ASSERT_EQ(NIO_PATH_NOIOMMU_CDEV, nio_ctx_path(self->ctx));
}

FIXTURE_TEARDOWN(kernel)
{
	nio_ctx_free(self->ctx);
	nio_set_root(NULL);
	fake_root_remove(self->root);
}

/* Every byte's device address is the fake physical address of that byte */
static void check_segments(struct __test_metadata *_metadata,
			   const struct nio_dma *d)
{
	size_t off, contig;

	for (off = 0; off < d->size; off += PAGE / 2) {
		uint64_t addr = nio_dma_addr(d, off, &contig);

		ASSERT_EQ(fake_pa((uintptr_t)d->vaddr + off), addr);
		ASSERT_GE(d->size - off, contig);
		ASSERT_EQ(fake_pa((uintptr_t)d->vaddr + off + contig - 1),
			  addr + contig - 1);
	}
}

TEST_F(kernel, segments_follow_the_physical_runs)
{
	struct nio_dma *d;

	ASSERT_EQ(0, nio_dma_alloc(self->ctx, 16 * PAGE, NIO_DMA_SMALL, &d))
		TH_LOG("%s", nio_errmsg());
	check_segments(_metadata, d);
	ASSERT_EQ(0, fk.zero_length_calls);
	ASSERT_EQ(0, nio_dma_free(self->ctx, d));
}

/*
 * Two buffers whose memory is physically adjacent: each buffer's segments
 * end with the buffer, on a kernel whose runs stop at the mapping and on
 * one whose runs go on into the neighbour.
 */
TEST_F(kernel, segments_never_leave_their_buffer)
{
	char *mem = aligned_alloc(PAGE, 9 * PAGE), *start;
	struct nio_dma *a, *b;

	ASSERT_NE(NULL, mem);
	memset(mem, 0, 9 * PAGE);
	/*
	 * Pages 3k..3k+2 of the fake layout are contiguous: start at such a
	 * page so that the buffers split a physical run between them.
	 */
	start = mem + (3 - (uintptr_t)mem / PAGE % 3) % 3 * PAGE;
	ASSERT_EQ(fake_pa((uintptr_t)start + PAGE) + PAGE,
		  fake_pa((uintptr_t)start + 2 * PAGE));
	ASSERT_EQ(0, nio_dma_map(self->ctx, start, 2 * PAGE, 0, &a))
		TH_LOG("%s", nio_errmsg());
	ASSERT_EQ(0, nio_dma_map(self->ctx, start + 2 * PAGE, 4 * PAGE, 0, &b))
		TH_LOG("%s", nio_errmsg());
	check_segments(_metadata, a);
	check_segments(_metadata, b);
	ASSERT_EQ(0, fk.zero_length_calls);
	ASSERT_EQ(0, nio_dma_free(self->ctx, b));
	ASSERT_EQ(0, nio_dma_free(self->ctx, a));
	free(mem);
}

/* Each kernel's answer once no page table holds the memory, explained */
TEST_F(kernel, lookup_without_a_page_table_is_explained)
{
	struct nio_dma *d;

	fk.attached = false;
	ASSERT_GT(0, nio_dma_alloc(self->ctx, 4 * PAGE, NIO_DMA_SMALL, &d));
	if (variant->kernel == MAINLINE) {
		ASSERT_NE(NULL, strstr(nio_errmsg(), "no no-IOMMU page table holds this memory"))
			TH_LOG("%s", nio_errmsg());
	} else {
		ASSERT_NE(NULL, strstr(nio_errmsg(), "No such device"))
			TH_LOG("%s", nio_errmsg());
	}
	/* The failed allocation left nothing mapped */
	ASSERT_EQ(0, fk.nr_areas);
}

TEST(kernel_without_get_pa)
{
	const char *root = fake_root_create(true, true);
	struct nio_device *dev;
	struct nio_ctx *ctx;

	memset(&fk, 0, sizeof(fk));
	fk.kernel = NO_GET_PA;
	nio_set_root(root);
	ASSERT_EQ(0, nio_ctx_new(&ctx));
	ASSERT_EQ(-EOPNOTSUPP, nio_device_open(ctx, "01:00.0", NULL, &dev));
	ASSERT_NE(NULL, strstr(nio_errmsg(), "CONFIG_IOMMUFD_NOIOMMU"))
		TH_LOG("%s", nio_errmsg());
	ASSERT_EQ(0, fk.zero_length_calls);
	nio_ctx_free(ctx);
	nio_set_root(NULL);
	fake_root_remove(root);
}

/* The status probe is a well formed request on every kernel */
TEST(status_probe)
{
	const char *root = fake_root_create(true, true);
	struct nio_status st;

	memset(&fk, 0, sizeof(fk));
	fk.kernel = MAINLINE;
	nio_set_root(root);
	ASSERT_EQ(0, nio_status_read(&st));
	ASSERT_EQ(1, st.get_pa);
	ASSERT_EQ(1, fk.get_pa_calls);
	ASSERT_EQ(0, fk.zero_length_calls);
	fk.kernel = NO_GET_PA;
	ASSERT_EQ(0, nio_status_read(&st));
	ASSERT_EQ(0, st.get_pa);
	nio_set_root(NULL);
	fake_root_remove(root);
}

TEST_HARNESS_MAIN

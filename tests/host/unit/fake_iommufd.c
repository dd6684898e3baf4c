// SPDX-License-Identifier: GPL-2.0
/* See fake_iommufd.h. */
#define _GNU_SOURCE
#include "fake_iommufd.h"
#include "fake_root.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "internal.h"
#include "uapi.h"

struct fake_iommufd fk;

void fake_iommufd_reset(enum fake_kernel kernel)
{
	free(fk.areas);
	memset(&fk, 0, sizeof(fk));
	fk.kernel = kernel;
	fk.next_iova = 0x100000;
}

uint64_t fake_pa(uint64_t user_va)
{
	uint64_t page = user_va / FAKE_PAGE;

	return 0x40000000ULL + (page / 3) * 0x100000ULL +
	       (page % 3) * FAKE_PAGE + user_va % FAKE_PAGE;
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
	uint64_t run = FAKE_PAGE - iova % FAKE_PAGE;

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
		run += FAKE_PAGE;
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

	if (!map->length) {
		errno = EINVAL;
		return -1;
	}
	if (fk.nr_areas == fk.areas_cap) {
		unsigned int cap = fk.areas_cap ? 2 * fk.areas_cap : 16;

		a = realloc(fk.areas, cap * sizeof(*a));
		if (!a) {
			errno = ENOMEM;
			return -1;
		}
		fk.areas = a;
		fk.areas_cap = cap;
	}
	if (!(map->flags & IOMMU_IOAS_MAP_FIXED_IOVA)) {
		map->iova = fk.next_iova;
		fk.next_iova += (map->length + FAKE_PAGE - 1) / FAKE_PAGE *
				FAKE_PAGE;
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
		if (fk.bind_errno) {
			errno = fk.bind_errno;
			return -1;
		}
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

int fake_session_open(struct fake_session *s, enum fake_kernel kernel)
{
	int ret;

	fake_iommufd_reset(kernel);
	s->root = fake_root_create(true, true);
	nio_set_root(s->root);
	s->ctx = NULL;
	s->dev = NULL;
	ret = nio_ctx_new(&s->ctx);
	if (!ret)
		ret = nio_device_open(s->ctx, "01:00.0", NULL, &s->dev);
	if (!ret && nio_ctx_path(s->ctx) != NIO_PATH_NOIOMMU_CDEV)
		ret = -EXDEV;
	return ret;
}

void fake_session_close(struct fake_session *s)
{
	nio_ctx_free(s->ctx);
	nio_set_root(NULL);
	fake_root_remove(s->root);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Print the layout and ioctl numbers of the UAPI libnoiommu uses, as seen
 * through lib/src/uapi.h. Built once against the series' own headers and
 * once with NIO_FORCE_COMPAT_UAPI on the host's old headers: the outputs
 * must be identical.
 */
#include <stddef.h>
#include <stdio.h>

#include "uapi.h"

#define LAYOUT(type, field) \
	printf(#type "." #field " %zu %zu\n", offsetof(struct type, field), \
	       sizeof(((struct type *)0)->field))
#define SIZE(type) printf(#type " size %zu\n", sizeof(struct type))
#define IOCTL(name) printf(#name " 0x%lx\n", (unsigned long)(name))

int main(void)
{
	SIZE(vfio_device_bind_iommufd);
	LAYOUT(vfio_device_bind_iommufd, iommufd);
	LAYOUT(vfio_device_bind_iommufd, out_devid);
	SIZE(vfio_device_attach_iommufd_pt);
	LAYOUT(vfio_device_attach_iommufd_pt, pt_id);
	SIZE(vfio_device_detach_iommufd_pt);
	SIZE(iommu_destroy);
	SIZE(iommu_ioas_alloc);
	LAYOUT(iommu_ioas_alloc, out_ioas_id);
	SIZE(iommu_ioas_map);
	LAYOUT(iommu_ioas_map, ioas_id);
	LAYOUT(iommu_ioas_map, user_va);
	LAYOUT(iommu_ioas_map, length);
	LAYOUT(iommu_ioas_map, iova);
	SIZE(iommu_ioas_unmap);
	LAYOUT(iommu_ioas_unmap, iova);
	LAYOUT(iommu_ioas_unmap, length);
	SIZE(iommu_ioas_noiommu_get_pa);
	LAYOUT(iommu_ioas_noiommu_get_pa, flags);
	LAYOUT(iommu_ioas_noiommu_get_pa, ioas_id);
	LAYOUT(iommu_ioas_noiommu_get_pa, __reserved);
	LAYOUT(iommu_ioas_noiommu_get_pa, iova);
	LAYOUT(iommu_ioas_noiommu_get_pa, length);
	LAYOUT(iommu_ioas_noiommu_get_pa, out_phys);
	printf("map flags %d %d %d\n", IOMMU_IOAS_MAP_FIXED_IOVA,
	       IOMMU_IOAS_MAP_WRITEABLE, IOMMU_IOAS_MAP_READABLE);
	IOCTL(VFIO_DEVICE_BIND_IOMMUFD);
	IOCTL(VFIO_DEVICE_ATTACH_IOMMUFD_PT);
	IOCTL(VFIO_DEVICE_DETACH_IOMMUFD_PT);
	IOCTL(IOMMU_DESTROY);
	IOCTL(IOMMU_IOAS_ALLOC);
	IOCTL(IOMMU_IOAS_MAP);
	IOCTL(IOMMU_IOAS_UNMAP);
	IOCTL(IOMMU_IOAS_NOIOMMU_GET_PA);
	return 0;
}

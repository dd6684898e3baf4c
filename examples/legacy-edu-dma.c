// SPDX-License-Identifier: GPL-2.0
/*
 * legacy-edu-dma: the way userspace drivers do DMA without an IOMMU on
 * stock Linux 6.12, shown step by step. VFIO no-IOMMU group + container,
 * a locked buffer whose physical address comes from /proc/self/pagemap,
 * and QEMU's edu device copying the buffer RAM -> device -> RAM.
 *
 * There is no pinning guarantee here: mlock keeps the pages resident but
 * the kernel may still migrate them. That is what the no-IOMMU cdev with
 * IOMMUFD fixes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "lab_guest.h"

#define PAGE 4096

/* Report a failed step with errno; returns -1 for the caller to pass on. */
static int fail(const char *what)
{
	fprintf(stderr, "legacy-edu-dma: %s: %s\n", what, strerror(errno));
	return -1;
}

static void die(const char *what)
{
	fail(what);
	exit(1);
}

static int open_device(const char *bdf, int *container, int *group)
{
	char path[64];
	int device;

	snprintf(path, sizeof(path), "/dev/vfio/noiommu-%d", lab_iommu_group(bdf));
	*container = open("/dev/vfio/vfio", O_RDWR);
	if (*container < 0)
		return fail("open /dev/vfio/vfio");
	*group = open(path, O_RDWR);
	if (*group < 0)
		return fail(path);
	printf("  group node   %s, container /dev/vfio/vfio\n", path);
	if (ioctl(*group, VFIO_GROUP_SET_CONTAINER, container) ||
	    ioctl(*container, VFIO_SET_IOMMU, VFIO_NOIOMMU_IOMMU))
		return fail("VFIO_NOIOMMU_IOMMU container");
	device = ioctl(*group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (device < 0)
		return fail("VFIO_GROUP_GET_DEVICE_FD");
	return device;
}

int main(void)
{
	int container = -1, group = -1, device;
	uint64_t src_pa, dst_pa;
	volatile void *bar;
	uint8_t *src, *dst;
	size_t bar_size;
	char bdf[16];
	int i;

	printf("legacy-edu-dma: no-IOMMU DMA the stock 6.12 way\n");
	if (!lab_find_pci(EDU_VENDOR, EDU_DEVICE, 0, bdf)) {
		fprintf(stderr, "legacy-edu-dma: no edu device (1234:11e8)\n");
		return 1;
	}
	printf("  edu device   %s\n", bdf);
	device = open_device(bdf, &container, &group);
	if (device < 0)
		return 1;
	bar = lab_map_bar(device, 0, &bar_size);
	if (!bar || lab_enable_bus_master(device))
		die("BAR0 mmap / bus mastering");
	printf("  BAR0         %zu KiB mapped, id register 0x%08x\n",
	       bar_size >> 10, edu_read32(bar, EDU_REG_ID));

	src = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (src == MAP_FAILED || mlock(src, 2 * PAGE))
		die("locked buffer");
	dst = src + PAGE;
	for (i = 0; i < PAGE; i++)
		src[i] = (uint8_t)(i * 31 + 7);
	memset(dst, 0, PAGE);
	src_pa = lab_pagemap_pa(src);
	dst_pa = lab_pagemap_pa(dst);
	if (!src_pa || !dst_pa)
		die("/proc/self/pagemap (needs CAP_SYS_ADMIN)");
	printf("  source       VA %p -> PA 0x%llx (pagemap)\n", (void *)src,
	       (unsigned long long)src_pa);
	printf("  destination  VA %p -> PA 0x%llx (pagemap)\n", (void *)dst,
	       (unsigned long long)dst_pa);
	if (edu_round_trip(bar, src_pa, dst_pa, PAGE))
		die("edu DMA timed out");
	if (memcmp(src, dst, PAGE)) {
		printf("  result       MISMATCH: the device wrote elsewhere\n");
		return 1;
	}
	printf("  result       %d bytes RAM -> edu -> RAM, verified\n", PAGE);
	close(device);
	close(group);
	close(container);
	return 0;
}

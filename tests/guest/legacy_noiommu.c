// SPDX-License-Identifier: GPL-2.0
/*
 * The legacy no-IOMMU VFIO path of stock 6.12, end to end, as the lab's
 * proof that it boots the right kernel with the right devices: group node,
 * container with VFIO_NOIOMMU_IOMMU, device fd, physical addresses from
 * /proc/self/pagemap and real DMA through QEMU's edu device.
 *
 * Expectations come from the running kernel's own config (/proc/config.gz)
 * and command line, so the same binary runs on every Kconfig case.
 *
 * LEGACY_DMA_WRONG_PA=1 in the environment deliberately programs a wrong
 * (but harmless: another page of ours) physical address into the round
 * trip, to show the test can fail.
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

#include "kselftest_harness.h"
#include "lab_guest.h"

#define PAGE 4096

static bool legacy_noiommu_built(void)
{
	return lab_kconfig("VFIO_GROUP") == 'y' &&
	       lab_kconfig("VFIO_NOIOMMU") == 'y';
}

TEST(kernel_config_readable)
{
	/* built in (the lab's kernels) or modules (Debian's) */
	ASSERT_TRUE(lab_kconfig_enabled("VFIO"));
	ASSERT_TRUE(lab_kconfig_enabled("VFIO_PCI"));
}

TEST(edu_device_present)
{
	char bdf[16];

	ASSERT_TRUE(lab_find_pci(EDU_VENDOR, EDU_DEVICE, 0, bdf));
}

/* Mode off: no device without an IOMMU is exposed through VFIO at all. */
TEST(mode_off_exposes_nothing)
{
	char bdf[16], driver[64];

	if (lab_noiommu_requested())
		SKIP(return, "no-IOMMU mode is on in this boot");
	EXPECT_EQ(0, lab_count_prefix("/dev/vfio", "noiommu-"));
	EXPECT_EQ(0, lab_count_prefix("/dev/vfio/devices", "noiommu-"));
	ASSERT_TRUE(lab_find_pci(EDU_VENDOR, EDU_DEVICE, 0, bdf));
	lab_pci_driver(bdf, driver, sizeof(driver));
	EXPECT_STRNE("vfio-pci", driver);
}

TEST(mode_on_exposes_group_node)
{
	char bdf[16], path[64];
	int group;

	if (!lab_noiommu_requested())
		SKIP(return, "no-IOMMU mode is off in this boot");
	if (!legacy_noiommu_built())
		SKIP(return, "kernel built without VFIO_GROUP + VFIO_NOIOMMU");
	ASSERT_TRUE(lab_find_pci(EDU_VENDOR, EDU_DEVICE, 0, bdf));
	group = lab_iommu_group(bdf);
	ASSERT_LE(0, group);
	snprintf(path, sizeof(path), "/dev/vfio/noiommu-%d", group);
	ASSERT_EQ(0, access(path, F_OK)) TH_LOG("%s missing", path);
}

FIXTURE(legacy) {
	char bdf[16];
	int container;
	int group;
	int device;
	volatile void *bar;
	size_t bar_size;
};

FIXTURE_SETUP(legacy)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char path[64];
	int group_id;

	self->container = self->group = self->device = -1;
	self->bar = NULL;
	if (!lab_noiommu_requested())
		SKIP(return, "no-IOMMU mode is off in this boot");
	if (!legacy_noiommu_built())
		SKIP(return, "kernel built without VFIO_GROUP + VFIO_NOIOMMU");
	ASSERT_TRUE(lab_find_pci(EDU_VENDOR, EDU_DEVICE, 0, self->bdf));
	group_id = lab_iommu_group(self->bdf);
	ASSERT_LE(0, group_id);
	snprintf(path, sizeof(path), "/dev/vfio/noiommu-%d", group_id);

	self->container = open("/dev/vfio/vfio", O_RDWR);
	ASSERT_LE(0, self->container);
	ASSERT_EQ(VFIO_API_VERSION, ioctl(self->container, VFIO_GET_API_VERSION));
	ASSERT_EQ(1, ioctl(self->container, VFIO_CHECK_EXTENSION,
			   VFIO_NOIOMMU_IOMMU));
	self->group = open(path, O_RDWR);
	ASSERT_LE(0, self->group) TH_LOG("open %s: %s", path, strerror(errno));
	ASSERT_EQ(0, ioctl(self->group, VFIO_GROUP_GET_STATUS, &status));
	ASSERT_TRUE(status.flags & VFIO_GROUP_FLAGS_VIABLE);
	ASSERT_EQ(0, ioctl(self->group, VFIO_GROUP_SET_CONTAINER,
			   &self->container));
	ASSERT_EQ(0, ioctl(self->container, VFIO_SET_IOMMU, VFIO_NOIOMMU_IOMMU));
	self->device = ioctl(self->group, VFIO_GROUP_GET_DEVICE_FD, self->bdf);
	ASSERT_LE(0, self->device) TH_LOG("GET_DEVICE_FD: %s", strerror(errno));
	self->bar = lab_map_bar(self->device, 0, &self->bar_size);
	ASSERT_NE(NULL, self->bar);
	ASSERT_EQ(0, lab_enable_bus_master(self->device));
}

FIXTURE_TEARDOWN(legacy)
{
	if (self->bar)
		munmap((void *)self->bar, self->bar_size);
	if (self->device >= 0)
		close(self->device);
	if (self->group >= 0)
		close(self->group);
	if (self->container >= 0)
		close(self->container);
}

TEST_F(legacy, device_info_and_registers)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };

	ASSERT_EQ(0, ioctl(self->device, VFIO_DEVICE_GET_INFO, &info));
	ASSERT_TRUE(info.flags & VFIO_DEVICE_FLAGS_PCI);
	ASSERT_LE(1 << 20, self->bar_size);
	ASSERT_EQ(EDU_ID_VALUE, edu_read32(self->bar, EDU_REG_ID));
	edu_write32(self->bar, EDU_REG_LIVENESS, 0x12345678);
	ASSERT_EQ(~0x12345678u, edu_read32(self->bar, EDU_REG_LIVENESS));
}

/* Getting the device fd warns with the opener's name and pid, and the
 * kernel is tainted (TAINT_USER). */
TEST_F(legacy, open_warns_and_taints_kernel)
{
	char msg[128];

	snprintf(msg, sizeof(msg), "vfio-noiommu device opened by user (%s:%d)",
		 program_invocation_short_name, getpid());
	ASSERT_TRUE(lab_kmsg_contains(msg)) TH_LOG("no '%s' in the log", msg);
	ASSERT_TRUE(lab_taint() & (1UL << TAINT_USER_BIT));
}

/* The feature table: no container DMA map for no-IOMMU groups. */
TEST_F(legacy, container_dma_map_refused)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.iova = 0x100000,
		.size = PAGE,
	};
	void *buf = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	/* The VFIO container's noiommu driver has no MAP_DMA (ENOTTY);
	 * IOMMUFD's compat container refuses it with EINVAL. */
	int expected = lab_kconfig("VFIO_CONTAINER") == 'y' ? ENOTTY : EINVAL;

	ASSERT_NE(MAP_FAILED, buf);
	map.vaddr = (uintptr_t)buf;
	ASSERT_EQ(-1, ioctl(self->container, VFIO_IOMMU_MAP_DMA, &map));
	ASSERT_EQ(expected, errno);
	munmap(buf, PAGE);
}

static void *locked_pages(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (mlock(p, len)) {
		munmap(p, len);
		return NULL;
	}
	return p;
}

TEST_F(legacy, dma_round_trip_via_pagemap)
{
	uint8_t *src = locked_pages(PAGE), *dst = locked_pages(PAGE);
	uint64_t src_pa, dst_pa;
	int i;

	ASSERT_NE(NULL, src);
	ASSERT_NE(NULL, dst);
	for (i = 0; i < PAGE; i++)
		src[i] = (uint8_t)(i * 7 + 3);
	memset(dst, 0, PAGE);
	src_pa = lab_pagemap_pa(src);
	dst_pa = lab_pagemap_pa(dst);
	ASSERT_NE(0, src_pa);
	ASSERT_NE(0, dst_pa);
	if (getenv("LEGACY_DMA_WRONG_PA")) {
		/* Another page of ours, so the stray DMA corrupts nothing. */
		uint8_t *elsewhere = locked_pages(PAGE);

		ASSERT_NE(NULL, elsewhere);
		dst_pa = lab_pagemap_pa(elsewhere);
		TH_LOG("deliberately using a wrong destination address 0x%llx",
		       (unsigned long long)dst_pa);
	}
	ASSERT_EQ(0, edu_round_trip(self->bar, src_pa, dst_pa, PAGE));
	ASSERT_EQ(0, memcmp(src, dst, PAGE));
	munmap(src, PAGE);
	munmap(dst, PAGE);
}

/* Negative control: data DMAed to page B's address lands in B, not in A. */
TEST_F(legacy, dma_lands_only_at_programmed_address)
{
	uint8_t *pages = locked_pages(2 * PAGE);
	uint8_t *a = pages, *b = pages + PAGE, src[2048];
	uint8_t zero[2048] = { 0 };
	uint64_t src_pa;

	ASSERT_NE(NULL, pages);
	memset(pages, 0, 2 * PAGE);
	memset(src, 0x5a, sizeof(src));
	/* Load the window from page A's bytes first. */
	memcpy(a, src, sizeof(src));
	src_pa = lab_pagemap_pa(a);
	ASSERT_NE(0, src_pa);
	ASSERT_EQ(0, edu_dma(self->bar, src_pa, 0, sizeof(src), false));
	memset(a, 0, PAGE);
	ASSERT_EQ(0, edu_dma(self->bar, lab_pagemap_pa(b), 0, sizeof(src), true));
	ASSERT_EQ(0, memcmp(b, src, sizeof(src)));
	ASSERT_EQ(0, memcmp(a, zero, sizeof(zero)));
	munmap(pages, 2 * PAGE);
}

TEST_HARNESS_MAIN

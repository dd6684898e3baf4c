// SPDX-License-Identifier: GPL-2.0
/*
 * Real DMA through the no-IOMMU cdev + IOMMUFD path: the only addresses
 * programmed into the devices are the ones IOMMU_IOAS_NOIOMMU_GET_PA
 * returned for IOMMUFD-mapped (and so pinned) memory.
 *
 * - edu: RAM -> device -> RAM round trips, for one page and for a buffer
 *   whose pages are physically scattered, each page at its own address;
 *   two edu devices attached to one IOAS.
 * - a READABLE-only mapping of never-written memory: the device's write
 *   lands in a page of the process's own, never in the shared zero page.
 * - GET_PA over a 1 GiB contiguous run at a misaligned IOVA.
 * - NVMe: a minimal admin queue pair and IDENTIFY CONTROLLER, which must
 *   return the serial number QEMU was given.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "kselftest_harness.h"
#include "lab_guest.h"

#define PAGE 4096UL
#define LAB_NVME_SERIAL "LABNVME0001"

struct noiommu_dev {
	int fd;
	volatile void *bar;
	size_t bar_size;
};

static bool noiommu_cdev_built(void)
{
	return lab_noiommu_requested() && lab_kconfig("VFIO_NOIOMMU") == 'y' &&
	       lab_kconfig("VFIO_DEVICE_CDEV") == 'y';
}

/* Open, bind and attach the index-th vendor:device to ioas. */
static int open_attached(uint16_t vendor, uint16_t device, int index,
			 int iommufd, uint32_t ioas, struct noiommu_dev *d)
{
	struct vfio_device_bind_iommufd bind = {
		.argsz = sizeof(bind), .iommufd = iommufd,
	};
	struct vfio_device_attach_iommufd_pt attach = {
		.argsz = sizeof(attach), .pt_id = ioas,
	};
	char bdf[16], name[64], path[96];

	if (!lab_find_pci(vendor, device, index, bdf) ||
	    !lab_vfio_cdev_name(bdf, name, sizeof(name)))
		return -ENODEV;
	snprintf(path, sizeof(path), "/dev/vfio/devices/%s", name);
	d->fd = open(path, O_RDWR);
	if (d->fd < 0 || ioctl(d->fd, VFIO_DEVICE_BIND_IOMMUFD, &bind) ||
	    ioctl(d->fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach))
		return -errno;
	d->bar = lab_map_bar(d->fd, 0, &d->bar_size);
	if (!d->bar || lab_enable_bus_master(d->fd))
		return -EIO;
	return 0;
}

static void close_dev(struct noiommu_dev *d)
{
	if (d->bar)
		munmap((void *)d->bar, d->bar_size);
	if (d->fd >= 0)
		close(d->fd);
}

/* Physical address of iova and the contiguous bytes from there; 0 on error */
static uint64_t get_pa(int iommufd, uint32_t ioas, uint64_t iova,
		       uint64_t *len)
{
	uint64_t pa, l;

	if (lab_get_pa(iommufd, ioas, iova, &pa, &l))
		return 0;
	if (len)
		*len = l;
	return pa;
}

static void *alloc_buffer(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

FIXTURE(dma) {
	int iommufd;
	uint32_t ioas;
	struct noiommu_dev edu;
};

FIXTURE_SETUP(dma)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };

	self->iommufd = -1;
	self->edu.fd = -1;
	self->edu.bar = NULL;
	if (!noiommu_cdev_built())
		SKIP(return, "no no-IOMMU cdev in this kernel/boot");
	self->iommufd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, self->iommufd);
	ASSERT_EQ(0, ioctl(self->iommufd, IOMMU_IOAS_ALLOC, &alloc));
	self->ioas = alloc.out_ioas_id;
	ASSERT_EQ(0, open_attached(EDU_VENDOR, EDU_DEVICE, 0, self->iommufd,
				   self->ioas, &self->edu));
}

FIXTURE_TEARDOWN(dma)
{
	close_dev(&self->edu);
	if (self->iommufd >= 0)
		close(self->iommufd);
}

static void fill_pattern(uint8_t *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 13 + seed);
}

TEST_F(dma, edu_round_trip_one_page)
{
	uint8_t *buf = alloc_buffer(2 * PAGE);
	uint64_t src_pa, dst_pa;

	ASSERT_NE(NULL, buf);
	fill_pattern(buf, PAGE, 1);
	memset(buf + PAGE, 0, PAGE);
	ASSERT_EQ(0, lab_map_fixed(self->iommufd, self->ioas, buf, 2 * PAGE,
			       0x100000));
	src_pa = get_pa(self->iommufd, self->ioas, 0x100000, NULL);
	dst_pa = get_pa(self->iommufd, self->ioas, 0x100000 + PAGE, NULL);
	ASSERT_NE(0, src_pa);
	ASSERT_NE(0, dst_pa);
	TH_LOG("src PA 0x%llx, dst PA 0x%llx", (unsigned long long)src_pa,
	       (unsigned long long)dst_pa);
	ASSERT_EQ(0, edu_round_trip(self->edu.bar, src_pa, dst_pa, PAGE));
	ASSERT_EQ(0, memcmp(buf, buf + PAGE, PAGE));
}

/*
 * A buffer made of pages taken from all over memory: each page must be
 * DMAed at the address GET_PA gives for it, not at base + offset.
 */
TEST_F(dma, edu_scattered_pages)
{
	enum { NPAGES = 8 };
	uint8_t *src = alloc_buffer(NPAGES * PAGE);
	uint8_t *dst = alloc_buffer(NPAGES * PAGE);
	uint8_t *spacer[NPAGES];
	int i, runs = 0;
	uint64_t len;

	ASSERT_NE(NULL, src);
	ASSERT_NE(NULL, dst);
	/* Break physical contiguity: fault in each page between spacers */
	munmap(dst, NPAGES * PAGE);
	dst = mmap(NULL, NPAGES * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, dst);
	for (i = 0; i < NPAGES; i++) {
		spacer[i] = alloc_buffer(PAGE);
		dst[i * PAGE] = 0;
	}
	fill_pattern(src, NPAGES * PAGE, 7);
	memset(dst, 0, NPAGES * PAGE);
	ASSERT_EQ(0, lab_map_fixed(self->iommufd, self->ioas, src, NPAGES * PAGE,
			       0x200000));
	ASSERT_EQ(0, lab_map_fixed(self->iommufd, self->ioas, dst, NPAGES * PAGE,
			       0x400000));
	for (i = 0; i < NPAGES; i++) {
		uint64_t s = get_pa(self->iommufd, self->ioas,
				    0x200000 + i * PAGE, NULL);
		uint64_t d = get_pa(self->iommufd, self->ioas,
				    0x400000 + i * PAGE, &len);

		ASSERT_NE(0, s);
		ASSERT_NE(0, d);
		if (len == PAGE || i == NPAGES - 1)
			runs++;
		ASSERT_EQ(0, edu_round_trip(self->edu.bar, s, d, PAGE));
	}
	TH_LOG("destination buffer: %d physically separate run(s)", runs);
	ASSERT_LT(1, runs);
	ASSERT_EQ(0, memcmp(src, dst, NPAGES * PAGE));
	for (i = 0; i < NPAGES; i++)
		munmap(spacer[i], PAGE);
}

/* Two devices in one IOAS share its software page table */
TEST_F(dma, two_edus_one_ioas)
{
	struct noiommu_dev edu2 = { .fd = -1 };
	uint8_t *buf = alloc_buffer(2 * PAGE);
	uint64_t pa;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, open_attached(EDU_VENDOR, EDU_DEVICE, 1, self->iommufd,
				   self->ioas, &edu2))
		TH_LOG("a second edu device (lab/run --edu 2) is needed");
	fill_pattern(buf, PAGE, 3);
	memset(buf + PAGE, 0, PAGE);
	ASSERT_EQ(0, lab_map_fixed(self->iommufd, self->ioas, buf, 2 * PAGE,
			       0x100000));
	pa = get_pa(self->iommufd, self->ioas, 0x100000, NULL);
	ASSERT_NE(0, pa);
	/* Into device 1, out of it into the second page via device 2 */
	ASSERT_EQ(0, edu_dma(self->edu.bar, pa, 0, 2048, false));
	ASSERT_EQ(0, edu_dma(edu2.bar, pa + 2048, 0, 2048, false));
	ASSERT_EQ(0, edu_dma(self->edu.bar,
			     get_pa(self->iommufd, self->ioas, 0x100000 + PAGE,
				    NULL), 0, 2048, true));
	ASSERT_EQ(0, edu_dma(edu2.bar,
			     get_pa(self->iommufd, self->ioas,
				    0x100000 + PAGE + 2048, NULL), 0, 2048, true));
	ASSERT_EQ(0, memcmp(buf, buf + PAGE, PAGE));
	/* One device leaving keeps the table for the other */
	close_dev(&edu2);
	ASSERT_EQ(pa, get_pa(self->iommufd, self->ioas, 0x100000, NULL));
}

/* ---- NVMe: admin queue pair and IDENTIFY CONTROLLER -------------------- */

#define NVME_REG_CAP 0x00
#define NVME_REG_CC 0x14
#define NVME_REG_CSTS 0x1c
#define NVME_REG_AQA 0x24
#define NVME_REG_ASQ 0x28
#define NVME_REG_ACQ 0x30
#define NVME_CC_ENABLE 0x1
#define NVME_CC_IOSQES (6 << 16)	/* 64-byte submission entries */
#define NVME_CC_IOCQES (4 << 20)	/* 16-byte completion entries */
#define NVME_CSTS_RDY 0x1
#define NVME_ADMIN_IDENTIFY 0x06
#define NVME_QUEUE_DEPTH 4

/*
 * Without an IOMMU a READABLE-only mapping does not stop the device from
 * writing. Never-written anonymous memory reads as the shared zero page;
 * pinning it for the device must give it a page of its own, or a device
 * write would change what every process reads from untouched memory.
 */
TEST_F(dma, readable_only_map_never_hands_out_the_zero_page)
{
	uint8_t *src = alloc_buffer(PAGE);
	uint8_t *untouched = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct iommu_ioas_map map;
	uint8_t *fresh;
	uint64_t zero_pa, pa, src_pa;
	volatile uint8_t sink;
	size_t i;

	ASSERT_NE(NULL, src);
	ASSERT_NE(MAP_FAILED, untouched);
	sink = untouched[0];	/* a read fault maps the zero page */
	(void)sink;
	zero_pa = lab_pagemap_pa(untouched);
	ASSERT_NE(0, zero_pa) TH_LOG("pagemap shows no page after a read fault");

	map = lab_map_cmd(self->ioas, untouched, PAGE, 0x200000);
	map.flags &= ~IOMMU_IOAS_MAP_WRITEABLE;
	ASSERT_EQ(0, ioctl(self->iommufd, IOMMU_IOAS_MAP, &map));
	pa = get_pa(self->iommufd, self->ioas, 0x200000, NULL);
	ASSERT_NE(0, pa);
	TH_LOG("zero page PA 0x%llx, pinned page PA 0x%llx",
	       (unsigned long long)zero_pa, (unsigned long long)pa);
	ASSERT_NE(zero_pa, pa);
	/* The process now reads its own page, the one the device was given */
	ASSERT_EQ(pa, lab_pagemap_pa(untouched));

	/* The device writes into the READABLE-only mapping all the same */
	fill_pattern(src, PAGE, 7);
	ASSERT_EQ(0, lab_map_fixed(self->iommufd, self->ioas, src, PAGE,
				   0x300000));
	src_pa = get_pa(self->iommufd, self->ioas, 0x300000, NULL);
	ASSERT_NE(0, src_pa);
	ASSERT_EQ(0, edu_round_trip(self->edu.bar, src_pa, pa, PAGE));
	ASSERT_EQ(0, memcmp(src, untouched, PAGE));

	/* ... and the zero page every other reader sees is still zero */
	fresh = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, fresh);
	sink = fresh[0];
	ASSERT_EQ(zero_pa, lab_pagemap_pa(fresh));
	for (i = 0; i < PAGE; i++)
		ASSERT_EQ(0, fresh[i]) TH_LOG("zero page byte %zu changed", i);
	munmap(fresh, PAGE);
	munmap(untouched, PAGE);
	munmap(src, PAGE);
}

/*
 * The worst case for the GET_PA run walk: 1 GiB of physically contiguous
 * memory at an IOVA that is page but not 2 MiB aligned, so the page table
 * holds 262,144 single-page entries in 512 leaf tables and one call with
 * U64_MAX has to walk all of them. It must report the whole GiB, stop at
 * the end of the mapping, and (checked by the lab on the debug kernel) do
 * it without a soft lockup or an RCU stall. Needs a 1 GiB huge page
 * reserved at boot (lab/run --gigantic 1).
 */
#define GIB (1UL << 30)
#ifndef MAP_HUGE_1GB
#define MAP_HUGE_1GB (30 << MAP_HUGE_SHIFT)
#endif
#define MISALIGNED_IOVA (4 * GIB + PAGE)

TEST_F_TIMEOUT(dma, get_pa_walks_a_gib_at_a_misaligned_iova, 600)
{
	struct timespec t0, t1;
	uint64_t pa, len;
	void *gib;

	gib = mmap(NULL, GIB, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_HUGE_1GB |
		   MAP_POPULATE, -1, 0);
	if (gib == MAP_FAILED)
		SKIP(return, "no 1 GiB huge page (lab/run --gigantic 1)");
	ASSERT_EQ(0, lab_map_fixed(self->iommufd, self->ioas, gib, GIB,
				   MISALIGNED_IOVA));

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ASSERT_EQ(0, lab_get_pa(self->iommufd, self->ioas, MISALIGNED_IOVA,
				&pa, &len));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ASSERT_EQ(lab_pagemap_pa(gib), pa);
	ASSERT_EQ(GIB, len);
	TH_LOG("one GET_PA over 262144 entries: %.1f ms (TCG)",
	       (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);

	/* From the middle, with a sub-page offset: to the end of the GiB */
	ASSERT_EQ(0, lab_get_pa(self->iommufd, self->ioas,
				MISALIGNED_IOVA + GIB / 2 + 0x123, &pa, &len));
	ASSERT_EQ(lab_pagemap_pa(gib) + GIB / 2 + 0x123, pa);
	ASSERT_EQ(GIB / 2 - 0x123, len);

	ASSERT_EQ(0, lab_unmap(self->iommufd, self->ioas, MISALIGNED_IOVA, GIB));
	munmap(gib, GIB);
}

static uint32_t rd32(volatile void *bar, unsigned int off)
{
	return *(volatile uint32_t *)((volatile char *)bar + off);
}

static void wr32(volatile void *bar, unsigned int off, uint32_t v)
{
	*(volatile uint32_t *)((volatile char *)bar + off) = v;
}

static void wr64(volatile void *bar, unsigned int off, uint64_t v)
{
	wr32(bar, off, (uint32_t)v);
	wr32(bar, off + 4, (uint32_t)(v >> 32));
}

static bool wait_ready(volatile void *bar, bool ready)
{
	struct timespec nap = { 0, 1000000 };
	int i;

	for (i = 0; i < 5000; i++) {
		if (!!(rd32(bar, NVME_REG_CSTS) & NVME_CSTS_RDY) == ready)
			return true;
		nanosleep(&nap, NULL);
	}
	return false;
}

TEST(nvme_identify_controller)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct noiommu_dev nvme = { .fd = -1 };
	struct timespec nap = { 0, 1000000 };
	uint64_t sq_pa, cq_pa, id_pa, cap;
	volatile uint32_t *cqe;
	uint32_t *sqe;
	uint8_t *mem;
	unsigned int stride;
	char serial[21];
	int iommufd, i;

	if (!noiommu_cdev_built())
		SKIP(return, "no no-IOMMU cdev in this kernel/boot");
	iommufd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, iommufd);
	ASSERT_EQ(0, ioctl(iommufd, IOMMU_IOAS_ALLOC, &alloc));
	ASSERT_EQ(0, open_attached(QEMU_NVME_VENDOR, QEMU_NVME_DEVICE, 0, iommufd,
				   alloc.out_ioas_id, &nvme));

	/* Submission queue, completion queue, identify data: a page each */
	mem = alloc_buffer(3 * PAGE);
	ASSERT_NE(NULL, mem);
	memset(mem, 0, 3 * PAGE);
	ASSERT_EQ(0, lab_map_fixed(iommufd, alloc.out_ioas_id, mem, 3 * PAGE,
			       0x10000));
	sq_pa = get_pa(iommufd, alloc.out_ioas_id, 0x10000, NULL);
	cq_pa = get_pa(iommufd, alloc.out_ioas_id, 0x10000 + PAGE, NULL);
	id_pa = get_pa(iommufd, alloc.out_ioas_id, 0x10000 + 2 * PAGE, NULL);
	ASSERT_NE(0, sq_pa);
	ASSERT_NE(0, cq_pa);
	ASSERT_NE(0, id_pa);

	cap = rd32(nvme.bar, NVME_REG_CAP) |
	      (uint64_t)rd32(nvme.bar, NVME_REG_CAP + 4) << 32;
	stride = 4 << ((cap >> 32) & 0xf);
	wr32(nvme.bar, NVME_REG_CC, 0);
	ASSERT_TRUE(wait_ready(nvme.bar, false));
	wr32(nvme.bar, NVME_REG_AQA,
	     (NVME_QUEUE_DEPTH - 1) << 16 | (NVME_QUEUE_DEPTH - 1));
	wr64(nvme.bar, NVME_REG_ASQ, sq_pa);
	wr64(nvme.bar, NVME_REG_ACQ, cq_pa);
	wr32(nvme.bar, NVME_REG_CC,
	     NVME_CC_ENABLE | NVME_CC_IOSQES | NVME_CC_IOCQES);
	ASSERT_TRUE(wait_ready(nvme.bar, true));

	sqe = (uint32_t *)mem;
	sqe[0] = NVME_ADMIN_IDENTIFY | (0x42 << 16);	/* opcode, command id */
	sqe[6] = (uint32_t)id_pa;			/* PRP1 */
	sqe[7] = (uint32_t)(id_pa >> 32);
	sqe[10] = 1;					/* CNS: controller */
	__sync_synchronize();
	wr32(nvme.bar, 0x1000, 1);			/* admin SQ tail */

	cqe = (volatile uint32_t *)(mem + PAGE);
	for (i = 0; i < 5000 && !(cqe[3] & (1 << 16)); i++)
		nanosleep(&nap, NULL);
	ASSERT_TRUE(cqe[3] & (1 << 16)) TH_LOG("no completion");
	ASSERT_EQ(0x42, cqe[3] & 0xffff);		/* command id */
	ASSERT_EQ(0, (cqe[3] >> 17) & 0x7fff);		/* status */
	wr32(nvme.bar, 0x1000 + stride, 1);		/* admin CQ head */

	memcpy(serial, mem + 2 * PAGE + 4, 20);
	serial[20] = '\0';
	for (i = 19; i >= 0 && serial[i] == ' '; i--)
		serial[i] = '\0';
	TH_LOG("IDENTIFY: serial '%s', model '%.40s'", serial,
	       (char *)mem + 2 * PAGE + 24);
	ASSERT_STREQ(LAB_NVME_SERIAL, serial);

	wr32(nvme.bar, NVME_REG_CC, 0);
	ASSERT_TRUE(wait_ready(nvme.bar, false));
	close_dev(&nvme);
	close(iommufd);
}

TEST_HARNESS_MAIN

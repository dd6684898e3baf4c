// SPDX-License-Identifier: GPL-2.0
/*
 * legacy-edu-dma: the way userspace drivers do DMA without an IOMMU on
 * stock Linux 6.12, shown step by step with nothing but the kernel's UAPI:
 * a VFIO no-IOMMU group + container, a locked buffer whose physical
 * address comes from /proc/self/pagemap, and QEMU's edu device copying the
 * buffer RAM -> device -> RAM.
 *
 * There is no pinning guarantee here: mlock keeps the pages resident but
 * the kernel may still migrate them. That is what the no-IOMMU cdev with
 * IOMMUFD fixes (see edu-dma.c, on libnoiommu).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

#define PAGE 4096

/* QEMU's edu device (docs/specs/edu.rst in QEMU) */
#define EDU_VENDOR	0x1234
#define EDU_DEVICE	0x11e8
#define EDU_REG_ID	0x00
#define EDU_REG_DMA_SRC	0x80
#define EDU_REG_DMA_DST	0x88
#define EDU_REG_DMA_CNT	0x90
#define EDU_REG_DMA_CMD	0x98
#define EDU_DMA_START	0x1
#define EDU_DMA_TO_RAM	0x2
#define EDU_BUFFER	0x40000	/* the device's 4 KiB DMA buffer */
#define EDU_CHUNK	2048	/* stays clear of the buffer's last byte */

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

static unsigned long sysfs_hex(const char *bdf, const char *attr)
{
	char path[PATH_MAX], buf[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", bdf, attr);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return strtoul(buf, NULL, 16);
}

/* The first edu device's PCI address, from sysfs */
static bool find_edu(char *bdf, size_t len)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *e;
	bool found = false;

	if (!d)
		return false;
	while (!found && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		found = sysfs_hex(e->d_name, "vendor") == EDU_VENDOR &&
			sysfs_hex(e->d_name, "device") == EDU_DEVICE;
		if (found)
			snprintf(bdf, len, "%.63s", e->d_name);
	}
	closedir(d);
	return found;
}

/* The device's IOMMU group number: the iommu_group link's last part */
static int iommu_group(const char *bdf)
{
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -1;
	target[n] = '\0';
	return atoi(strrchr(target, '/') + 1);
}

static int open_device(const char *bdf, int *container, int *group)
{
	char path[64];
	int device;

	snprintf(path, sizeof(path), "/dev/vfio/noiommu-%d", iommu_group(bdf));
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

static volatile void *map_bar0(int device, size_t *size)
{
	struct vfio_region_info info = {
		.argsz = sizeof(info), .index = VFIO_PCI_BAR0_REGION_INDEX,
	};
	void *p;

	if (ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &info))
		return NULL;
	p = mmap(NULL, info.size, PROT_READ | PROT_WRITE, MAP_SHARED, device,
		 (off_t)info.offset);
	if (p == MAP_FAILED)
		return NULL;
	*size = info.size;
	return p;
}

/* Memory decoding and bus mastering on, through VFIO's config region */
static int enable_bus_master(int device)
{
	struct vfio_region_info info = {
		.argsz = sizeof(info), .index = VFIO_PCI_CONFIG_REGION_INDEX,
	};
	uint16_t cmd;
	off_t at;

	if (ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &info))
		return -1;
	at = (off_t)info.offset + PCI_COMMAND;
	if (pread(device, &cmd, sizeof(cmd), at) != sizeof(cmd))
		return -1;
	cmd |= PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY;
	return pwrite(device, &cmd, sizeof(cmd), at) == sizeof(cmd) ? 0 : -1;
}

/* Physical address of a resident page, 0 when hidden (no CAP_SYS_ADMIN) */
static uint64_t pagemap_pa(const void *addr)
{
	uint64_t entry = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);
	off_t at = (off_t)((uintptr_t)addr / PAGE * sizeof(entry));

	if (fd < 0)
		return 0;
	if (pread(fd, &entry, sizeof(entry), at) != sizeof(entry))
		entry = 0;
	close(fd);
	if (!(entry & (1ULL << 63)))	/* not present */
		return 0;
	return (entry & ((1ULL << 55) - 1)) * PAGE + (uintptr_t)addr % PAGE;
}

static uint32_t read32(volatile void *bar, unsigned int reg)
{
	return *(volatile uint32_t *)((volatile char *)bar + reg);
}

static uint64_t read64(volatile void *bar, unsigned int reg)
{
	return *(volatile uint64_t *)((volatile char *)bar + reg);
}

static void write64(volatile void *bar, unsigned int reg, uint64_t val)
{
	*(volatile uint64_t *)((volatile char *)bar + reg) = val;
}

/* One edu transfer between RAM at pa and the device's buffer; waits for it */
static int edu_dma(volatile void *bar, uint64_t pa, size_t len, bool to_ram)
{
	struct timespec nap = { 0, 1000000 };
	int ms;

	write64(bar, EDU_REG_DMA_SRC, to_ram ? EDU_BUFFER : pa);
	write64(bar, EDU_REG_DMA_DST, to_ram ? pa : EDU_BUFFER);
	write64(bar, EDU_REG_DMA_CNT, len);
	write64(bar, EDU_REG_DMA_CMD,
		EDU_DMA_START | (to_ram ? EDU_DMA_TO_RAM : 0));
	/* Emulated without KVM a transfer can take 100 ms: allow 10 s */
	for (ms = 0; read64(bar, EDU_REG_DMA_CMD) & EDU_DMA_START; ms++) {
		if (ms == 10000)
			return -1;
		nanosleep(&nap, NULL);
	}
	return 0;
}

/* RAM at src -> device -> RAM at dst, a chunk at a time */
static int edu_copy(volatile void *bar, uint64_t src, uint64_t dst,
		    size_t len)
{
	size_t done, n;

	for (done = 0; done < len; done += n) {
		n = len - done < EDU_CHUNK ? len - done : EDU_CHUNK;
		if (edu_dma(bar, src + done, n, false) ||
		    edu_dma(bar, dst + done, n, true))
			return -1;
	}
	return 0;
}

int main(void)
{
	int container = -1, group = -1, device;
	uint64_t src_pa, dst_pa;
	volatile void *bar;
	uint8_t *src, *dst;
	size_t bar_size;
	char bdf[64];
	int i;

	printf("legacy-edu-dma: no-IOMMU DMA the stock 6.12 way\n");
	if (!find_edu(bdf, sizeof(bdf))) {
		fprintf(stderr, "legacy-edu-dma: no edu device (1234:11e8)\n");
		return 1;
	}
	printf("  edu device   %s\n", bdf);
	device = open_device(bdf, &container, &group);
	if (device < 0)
		return 1;
	bar = map_bar0(device, &bar_size);
	if (!bar || enable_bus_master(device))
		die("BAR0 mmap / bus mastering");
	printf("  BAR0         %zu KiB mapped, id register 0x%08x\n",
	       bar_size >> 10, read32(bar, EDU_REG_ID));

	src = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (src == MAP_FAILED || mlock(src, 2 * PAGE))
		die("locked buffer");
	dst = src + PAGE;
	for (i = 0; i < PAGE; i++)
		src[i] = (uint8_t)(i * 31 + 7);
	memset(dst, 0, PAGE);
	src_pa = pagemap_pa(src);
	dst_pa = pagemap_pa(dst);
	if (!src_pa || !dst_pa)
		die("/proc/self/pagemap (needs CAP_SYS_ADMIN)");
	printf("  source       VA %p -> PA 0x%llx (pagemap)\n", (void *)src,
	       (unsigned long long)src_pa);
	printf("  destination  VA %p -> PA 0x%llx (pagemap)\n", (void *)dst,
	       (unsigned long long)dst_pa);
	if (edu_copy(bar, src_pa, dst_pa, PAGE))
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

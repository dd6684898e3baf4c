// SPDX-License-Identifier: GPL-2.0
/*
 * pt-memory: kernel memory of the no-IOMMU software page table per mapped
 * GiB, for 4 KiB pages and for 2 MiB huge pages (benchmark P4).
 *
 * One GiB of IOVA space is filled by mapping the same buffer at
 * consecutive IOVAs (IOMMUFD allows mapping memory more than once), so the
 * guest needs far less than 1 GiB of RAM. The page tables are counted by
 * the kernel as nr_iommu_pages in /proc/vmstat; the difference before and
 * after is the cost. Run as root in the lab: pt-memory [CDEV]
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>

#define GIB (1UL << 30)
#define HUGE (2UL << 20)

static long iommu_pages(void)
{
	char key[64];
	long v = -1, n;
	FILE *f;
	int fd = open("/proc/sys/vm/stat_refresh", O_WRONLY);

	if (fd >= 0) {
		if (write(fd, "1", 1) != 1)
			perror("stat_refresh");
		close(fd);
	}
	f = fopen("/proc/vmstat", "r");
	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", key, &n) == 2)
		if (!strcmp(key, "nr_iommu_pages"))
			v = n;
	fclose(f);
	return v;
}

static int open_cdev(const char *name)
{
	char path[300];
	struct dirent *e;
	DIR *d;

	if (name)
		return open(name, O_RDWR);
	d = opendir("/dev/vfio/devices");
	while (d && (e = readdir(d))) {
		if (strncmp(e->d_name, "noiommu-vfio", 12))
			continue;
		snprintf(path, sizeof(path), "/dev/vfio/devices/%s", e->d_name);
		closedir(d);
		return open(path, O_RDWR);
	}
	if (d)
		closedir(d);
	errno = ENODEV;
	return -1;
}

/* Map buf (len bytes) again and again until one GiB of IOVA is mapped;
 * returns the page-table pages that took, or -1. */
static long tables_for_one_gib(int iommufd, uint32_t ioas, void *buf,
			       size_t len, uint64_t base)
{
	long before = iommu_pages();
	uint64_t off;

	for (off = 0; off < GIB; off += len) {
		struct iommu_ioas_map map = {
			.size = sizeof(map),
			.flags = IOMMU_IOAS_MAP_FIXED_IOVA |
				 IOMMU_IOAS_MAP_READABLE |
				 IOMMU_IOAS_MAP_WRITEABLE,
			.ioas_id = ioas,
			.user_va = (uintptr_t)buf,
			.length = len,
			.iova = base + off,
		};

		if (ioctl(iommufd, IOMMU_IOAS_MAP, &map)) {
			perror("IOMMU_IOAS_MAP");
			return -1;
		}
	}
	return iommu_pages() - before;
}

int main(int argc, char **argv)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct vfio_device_attach_iommufd_pt attach = { .argsz = sizeof(attach) };
	size_t small_len = 64UL << 20, huge_len = 16 * HUGE;
	long small, huge, page = sysconf(_SC_PAGESIZE);
	int cdev, iommufd;
	void *small_buf, *huge_buf;

	cdev = open_cdev(argc > 1 ? argv[1] : NULL);
	iommufd = open("/dev/iommu", O_RDWR);
	if (cdev < 0 || iommufd < 0) {
		perror("open no-IOMMU cdev or /dev/iommu");
		return 1;
	}
	bind.iommufd = iommufd;
	if (ioctl(cdev, VFIO_DEVICE_BIND_IOMMUFD, &bind) ||
	    ioctl(iommufd, IOMMU_IOAS_ALLOC, &alloc)) {
		perror("bind / IOAS");
		return 1;
	}
	attach.pt_id = alloc.out_ioas_id;
	if (ioctl(cdev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach)) {
		perror("attach");
		return 1;
	}

	small_buf = mmap(NULL, small_len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	huge_buf = mmap(NULL, huge_len, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (small_buf == MAP_FAILED || huge_buf == MAP_FAILED) {
		perror("mmap (hugepages reserved?)");
		return 1;
	}
	/* 4 KiB pages: keep THP from merging them into 2 MiB pages */
	madvise(small_buf, small_len, MADV_NOHUGEPAGE);
	memset(small_buf, 1, small_len);
	memset(huge_buf, 1, huge_len);

	/* Start each measurement at a fresh 512 GiB-aligned IOVA, so the
	 * figures include every level of the table they need. */
	small = tables_for_one_gib(iommufd, alloc.out_ioas_id, small_buf,
				   small_len, 1UL << 39);
	huge = tables_for_one_gib(iommufd, alloc.out_ioas_id, huge_buf,
				  huge_len, 2UL << 39);
	if (small < 0 || huge < 0)
		return 1;
	printf("pt-memory: software page table per mapped GiB\n");
	printf("  4 KiB pages: %ld table pages = %.3f MiB (target <= 2.1 MiB)\n",
	       small, small * page / 1048576.0);
	printf("  2 MiB pages: %ld table pages = %ld KiB (target <= 16 KiB)\n",
	       huge, huge * page / 1024);
	printf("RESULT pt_bytes_per_gib_4k=%ld pt_bytes_per_gib_2m=%ld\n",
	       small * page, huge * page);
	return 0;
}

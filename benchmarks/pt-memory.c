// SPDX-License-Identifier: GPL-2.0
/*
 * pt-memory: kernel memory of the no-IOMMU software page table per mapped
 * GiB, for 4 KiB pages and for 2 MiB huge pages, at IOVAs below 2^48 where
 * the table has four levels, and for 4 KiB pages near 2^63, where its root
 * has grown to six (benchmark P4).
 *
 * One GiB of IOVA space is filled by mapping the same buffer at
 * consecutive IOVAs (IOMMUFD allows mapping memory more than once), so the
 * guest needs far less than 1 GiB of RAM. The kernel counts the tables as
 * nr_iommu_pages in /proc/vmstat; the difference before and after is the
 * cost. Tables are allocated deterministically, so one measurement per
 * page size is exact; it is repeated anyway, in fresh IOVA space, to show
 * that it is. Run as root in the lab.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "lab_guest.h"

#define REPS 3

/* Map buf (len bytes) again and again until one GiB of IOVA is mapped;
 * returns the page-table pages that took. */
static long tables_for_one_gib(int iommufd, uint32_t ioas, void *buf,
			       size_t len, uint64_t base)
{
	long before = lab_vmstat("nr_iommu_pages");
	uint64_t off;

	if (before < 0)
		bench_die("nr_iommu_pages in /proc/vmstat");
	for (off = 0; off < GIB; off += len)
		bench_map(iommufd, ioas, buf, len, base + off);
	return lab_vmstat("nr_iommu_pages") - before;
}

/* high: IOVAs from 2^63 on instead of 512 GiB on */
static void measure(int iommufd, uint32_t ioas, int huge, int high,
		    unsigned int reps)
{
	size_t len = huge ? 16 * HUGE_2M : 64 * MIB;
	long page = sysconf(_SC_PAGESIZE), pages;
	void *buf = bench_mmap(len, huge);
	double bytes[REPS];
	struct bench_stats s;
	unsigned int r;

	bench_touch(buf, len, huge ? HUGE_2M : 4096);
	for (r = 0; r < reps; r++) {
		/* A fresh 512 GiB-aligned IOVA each time: the figure
		 * includes every level of the table the GiB needs. */
		uint64_t base = (uint64_t)(2 * r + huge + 1) << 39;

		if (high)
			base += 1ULL << 63;
		pages = tables_for_one_gib(iommufd, ioas, buf, len, base);
		bytes[r] = (double)pages * page;
		printf("pt-memory: %s pages at 0x%llx: %ld table pages for 1 GiB\n",
		       huge ? "2 MiB" : "4 KiB", (unsigned long long)base,
		       pages);
	}
	bench_stats(bytes, reps, &s);
	bench_emit_stats("P4", &s, "case=pt_bytes_per_gib page=%s iova=%s unit=bytes target=%lu",
			 huge ? "2M" : "4K", high ? "2^63" : "low",
			 huge ? 16 * KIB : (unsigned long)(2.1 * MIB));
}

int main(void)
{
	int iommufd = bench_iommufd();
	struct bench_dev dev;

	bench_dev_open(&dev, iommufd, 0);
	measure(iommufd, dev.ioas, 0, 0, REPS);
	measure(iommufd, dev.ioas, 1, 0, REPS);
	measure(iommufd, dev.ioas, 0, 1, REPS);
	return 0;
}

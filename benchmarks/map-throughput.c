// SPDX-License-Identifier: GPL-2.0
/*
 * map-throughput: IOMMU_IOAS_MAP + IOMMU_IOAS_UNMAP throughput on an IOAS
 * with a no-IOMMU device attached, in GiB pinned per second, for buffers
 * of 1 MiB to 1 GiB backed by 4 KiB or by 2 MiB pages (benchmark P6).
 *
 * The buffer is faulted in once beforehand: this measures pinning and the
 * software page table, not page faults and zeroing (benchmark P3 has
 * those). Map and unmap are timed separately; a size is repeated until
 * about 2 GiB went through it, at least MIN_REPS times.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "bench.h"

#define MAX_SIZE GIB
#define MIN_REPS 5
#define MAX_REPS 256
#define IOVA (1UL << 32)

static void measure(int iommufd, uint32_t ioas, void *buf, size_t size,
		    const char *page, unsigned int reps)
{
	static double map_s[MAX_REPS], unmap_s[MAX_REPS], both[MAX_REPS];
	double gib = (double)size / GIB, t0, t1, t2;
	struct bench_stats st;
	unsigned int r;

	for (r = 0; r < reps; r++) {
		t0 = bench_now_ns();
		bench_map(iommufd, ioas, buf, size, IOVA);
		t1 = bench_now_ns();
		bench_unmap(iommufd, ioas, IOVA, size);
		t2 = bench_now_ns();
		map_s[r] = gib / ((t1 - t0) / 1e9);
		unmap_s[r] = gib / ((t2 - t1) / 1e9);
		both[r] = gib / ((t2 - t0) / 1e9);
	}
	bench_stats(both, reps, &st);
	bench_emit_stats("P6", &st, "case=map_unmap page=%s bytes=%zu unit=GiB/s",
			 page, size);
	bench_stats(map_s, reps, &st);
	bench_emit_stats("P6", &st, "case=map page=%s bytes=%zu unit=GiB/s",
			 page, size);
	bench_stats(unmap_s, reps, &st);
	bench_emit_stats("P6", &st, "case=unmap page=%s bytes=%zu unit=GiB/s",
			 page, size);
}

static unsigned int reps_for(size_t size)
{
	unsigned long n = 2 * GIB / size;

	n = n < MIN_REPS ? MIN_REPS : n > MAX_REPS ? MAX_REPS : n;
	return bench_reps((unsigned int)n, 2);
}

static void sweep(int iommufd, uint32_t ioas, int huge, size_t max)
{
	void *buf = bench_mmap(max, huge);
	size_t size;

	bench_touch(buf, max, huge ? HUGE_2M : 4096);
	for (size = MIB; size <= max; size *= 2)
		measure(iommufd, ioas, buf, size, huge ? "2M" : "4K",
			reps_for(size));
	munmap(buf, max);
}

int main(int argc, char **argv)
{
	size_t max = argc > 1 ? strtoul(argv[1], NULL, 0) * MIB : MAX_SIZE;
	int iommufd = bench_iommufd();
	struct bench_dev dev;

	bench_dev_open(&dev, iommufd, 0);
	printf("map-throughput: 1 MiB to %zu MiB, 4 KiB and 2 MiB pages\n",
	       max / MIB);
	sweep(iommufd, dev.ioas, 0, max);
	sweep(iommufd, dev.ioas, 1, max);
	return 0;
}

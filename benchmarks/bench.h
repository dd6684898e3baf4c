/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the benchmark programs: clocks, statistics, the result line
 * format the host's report generator reads, and a no-IOMMU device bound to
 * an IOAS of its own.
 *
 * Every result is one line on stdout:
 *   @@BENCH id=<P1..P6> key=value ...
 * with n, median, p10, p90, min and max for a measured distribution. The
 * host never computes a ratio across guest runs: ratios are measured here,
 * per round, and reported as distributions too.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stddef.h>
#include <stdint.h>

#define KIB (1UL << 10)
#define MIB (1UL << 20)
#define GIB (1UL << 30)
#define HUGE_2M (2UL << 20)

/* Monotonic time in nanoseconds. */
double bench_now_ns(void);

struct bench_stats {
	unsigned int n;
	double median, p10, p90, min, max;
};

/* Statistics of v[0..n) (v is sorted in place). */
void bench_stats(double *v, unsigned int n, struct bench_stats *s);

/*
 * Print "@@BENCH id=<id> <fields> n=.. median=.. p10=.. p90=.. min=..
 * max=.." where fields is a printf format of further key=value pairs.
 */
void bench_emit_stats(const char *id, const struct bench_stats *s,
		      const char *fields, ...)
	__attribute__((format(printf, 3, 4)));
/* Print "@@BENCH id=<id> <fields>". */
void bench_emit(const char *id, const char *fields, ...)
	__attribute__((format(printf, 2, 3)));

/* Exit with a message naming what failed and errno's text. */
void bench_die(const char *what) __attribute__((noreturn));

/* A no-IOMMU device cdev bound to iommufd and attached to its own IOAS. */
struct bench_dev {
	char bdf[16];
	int dev_fd;
	uint32_t ioas;
};

/*
 * Bind the index-th edu device (vfio-pci, no-IOMMU) to iommufd and attach
 * it to a new IOAS; exits on failure.
 */
void bench_dev_open(struct bench_dev *d, int iommufd, int index);
/* Number of edu devices bound to vfio-pci with a no-IOMMU cdev. */
int bench_dev_count(void);
/* Open /dev/iommu or exit. */
int bench_iommufd(void);

/* mmap len bytes of anonymous memory: 4 KiB pages (THP off) or, with
 * huge, 2 MiB hugetlb pages; not faulted in. Exits on failure. */
void *bench_mmap(size_t len, int huge);
/* Write every page so the range is populated. */
void bench_touch(void *buf, size_t len, size_t page);

/* IOMMU_IOAS_MAP at a fixed IOVA, or exit. */
void bench_map(int iommufd, uint32_t ioas, const void *va, uint64_t len,
	       uint64_t iova);
/* IOMMU_IOAS_UNMAP, or exit. */
void bench_unmap(int iommufd, uint32_t ioas, uint64_t iova, uint64_t len);

/* Repetition count from $BENCH_SCALE (percent, default 100): the quick
 * smoke run in make check sets it low. Never below min. */
unsigned int bench_reps(unsigned int full, unsigned int min);

#endif

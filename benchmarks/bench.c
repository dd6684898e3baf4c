// SPDX-License-Identifier: GPL-2.0
/* Shared by the benchmark programs; see bench.h. */
#define _GNU_SOURCE
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "lab_guest.h"

double bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Linear interpolation between closest ranks, q in [0, 1]. */
static double quantile(const double *sorted, unsigned int n, double q)
{
	double pos = q * (n - 1);
	unsigned int i = (unsigned int)pos;

	if (i + 1 >= n)
		return sorted[n - 1];
	return sorted[i] + (pos - i) * (sorted[i + 1] - sorted[i]);
}

void bench_stats(double *v, unsigned int n, struct bench_stats *s)
{
	qsort(v, n, sizeof(*v), cmp_double);
	s->n = n;
	s->median = quantile(v, n, 0.5);
	s->p10 = quantile(v, n, 0.1);
	s->p90 = quantile(v, n, 0.9);
	s->min = v[0];
	s->max = v[n - 1];
}

static void emit_fields(const char *id, const char *fields, va_list ap)
{
	printf("@@BENCH id=%s ", id);
	vprintf(fields, ap);
}

void bench_emit_stats(const char *id, const struct bench_stats *s,
		      const char *fields, ...)
{
	va_list ap;

	va_start(ap, fields);
	emit_fields(id, fields, ap);
	va_end(ap);
	printf(" n=%u median=%.6g p10=%.6g p90=%.6g min=%.6g max=%.6g\n",
	       s->n, s->median, s->p10, s->p90, s->min, s->max);
	fflush(stdout);
}

void bench_emit(const char *id, const char *fields, ...)
{
	va_list ap;

	va_start(ap, fields);
	emit_fields(id, fields, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

void bench_die(const char *what)
{
	fprintf(stderr, "bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

int bench_dev_count(void)
{
	char bdf[16], name[64];
	int i, n = 0;

	for (i = 0; lab_find_pci(EDU_VENDOR, EDU_DEVICE, i, bdf); i++)
		n += lab_vfio_cdev_name(bdf, name, sizeof(name)) &&
		     !strncmp(name, "noiommu-", 8);
	return n;
}

void bench_dev_open(struct bench_dev *d, int iommufd, int index)
{
	if (!lab_find_pci(EDU_VENDOR, EDU_DEVICE, index, d->bdf)) {
		errno = ENODEV;
		bench_die("edu device (lab/run --edu N)");
	}
	d->dev_fd = lab_open_noiommu_cdev(d->bdf);
	if (d->dev_fd < 0)
		bench_die("open the edu device's no-IOMMU cdev");
	if (lab_bind_iommufd(d->dev_fd, iommufd, NULL))
		bench_die("VFIO_DEVICE_BIND_IOMMUFD");
	if (lab_ioas_alloc(iommufd, &d->ioas))
		bench_die("IOMMU_IOAS_ALLOC");
	if (lab_attach_pt(d->dev_fd, d->ioas, NULL))
		bench_die("VFIO_DEVICE_ATTACH_IOMMUFD_PT");
}

int bench_iommufd(void)
{
	int fd = open("/dev/iommu", O_RDWR);

	if (fd < 0)
		bench_die("open /dev/iommu");
	return fd;
}

#define THP_ENABLED "/sys/kernel/mm/transparent_hugepage/enabled"

/* False when THP is off or not built (the kernels here lack madvise()). */
static bool thp_may_back_anon(void)
{
	char mode[128] = "";
	FILE *f = fopen(THP_ENABLED, "r");

	if (!f)
		return false;
	if (!fgets(mode, sizeof(mode), f))
		mode[0] = '\0';
	fclose(f);
	return !strstr(mode, "[never]");
}

void *bench_mmap(size_t len, int huge)
{
	void *buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | (huge ? MAP_HUGETLB : 0),
			 -1, 0);

	if (buf == MAP_FAILED)
		bench_die(huge ? "mmap hugetlb (lab/run --hugepages N)" :
				 "mmap");
	/* 4 KiB means 4 KiB: keep THP from backing it with 2 MiB pages. */
	if (!huge && madvise(buf, len, MADV_NOHUGEPAGE) &&
	    (errno != ENOSYS || thp_may_back_anon())) {
		fprintf(stderr, "bench: cannot keep THP off 4 KiB buffers: no madvise(); write never to %s\n",
			THP_ENABLED);
		exit(1);
	}
	return buf;
}

void bench_touch(void *buf, size_t len, size_t page)
{
	size_t off;

	for (off = 0; off < len; off += page)
		((volatile char *)buf)[off] = 1;
}

void bench_map(int iommufd, uint32_t ioas, const void *va, uint64_t len,
	       uint64_t iova)
{
	if (lab_map_fixed(iommufd, ioas, va, len, iova))
		bench_die("IOMMU_IOAS_MAP");
}

void bench_unmap(int iommufd, uint32_t ioas, uint64_t iova, uint64_t len)
{
	if (lab_unmap(iommufd, ioas, iova, len))
		bench_die("IOMMU_IOAS_UNMAP");
}

unsigned int bench_reps(unsigned int full, unsigned int min)
{
	const char *scale = getenv("BENCH_SCALE");
	unsigned long pct = scale ? strtoul(scale, NULL, 10) : 100;
	unsigned long n = full * pct / 100;

	return n < min ? min : (unsigned int)n;
}

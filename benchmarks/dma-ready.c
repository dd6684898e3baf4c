// SPDX-License-Identifier: GPL-2.0
/*
 * dma-ready: time to make 256 MiB DMA-ready, i.e. pinned, with every
 * device address known (benchmark P3). Starting each time from fresh,
 * untouched memory:
 *
 *   cdev    IOMMU_IOAS_MAP (pins and faults in), then GET_PA runs until
 *           the whole buffer is described
 *   lib     libnoiommu's nio_dma_map() on the same path (adds its
 *           bookkeeping and segment list)
 *   legacy  what a legacy no-IOMMU driver does: fault in (mlock for
 *           4 KiB pages, a write per 2 MiB hugetlb page) and read the
 *           physical addresses from /proc/self/pagemap
 *
 * for 4 KiB and 2 MiB pages. Each repetition runs all three in a rotated
 * order; cdev/legacy is taken per repetition. Every method must end with
 * the same description: contiguous (address, length) runs, merged the same
 * way; the first repetition checks the cdev's runs against pagemap.
 * Needs 2 edu devices (lab/run --edu 2) and 128 huge pages.
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
#include <linux/iommufd.h>

#include "bench.h"
#include "lab_guest.h"
#include "noiommu.h"

#define SIZE (256 * MIB)
#define REPS 9
#define IOVA (1UL << 32)
#define PFN_MASK ((1ULL << 55) - 1)
#define PM_PRESENT (1ULL << 63)

struct run {
	uint64_t pa, len;
};

struct runs {
	struct run *r;
	size_t n;
};

static void runs_add(struct runs *rs, uint64_t pa, uint64_t len)
{
	struct run *last = rs->n ? &rs->r[rs->n - 1] : NULL;

	if (last && last->pa + last->len == pa)
		last->len += len;
	else
		rs->r[rs->n++] = (struct run){ pa, len };
}

/* GET_PA of iova, describing at most limit bytes. */
static void get_pa_run(int iommufd, uint32_t ioas, uint64_t iova,
		       uint64_t limit, uint64_t *pa, uint64_t *len)
{
	struct iommu_ioas_noiommu_get_pa gp = {
		.size = sizeof(gp), .ioas_id = ioas, .iova = iova,
		.length = limit,
	};

	if (ioctl(iommufd, IOMMU_IOAS_NOIOMMU_GET_PA, &gp))
		bench_die("IOMMU_IOAS_NOIOMMU_GET_PA");
	*pa = gp.out_phys;
	*len = gp.length;
}

static void cdev_ready(int iommufd, uint32_t ioas, void *buf, struct runs *rs)
{
	uint64_t off, pa, len;

	bench_map(iommufd, ioas, buf, SIZE, IOVA);
	for (off = 0; off < SIZE; off += len) {
		/* The limit keeps the run from reaching past the buffer. */
		get_pa_run(iommufd, ioas, IOVA + off, SIZE - off, &pa, &len);
		runs_add(rs, pa, len);
	}
}

static void cdev_release(int iommufd, uint32_t ioas)
{
	bench_unmap(iommufd, ioas, IOVA, SIZE);
}

/* Physical runs of buf from pagemap; the pages must be present. */
static void pagemap_runs(int pagemap, void *buf, struct runs *rs)
{
	static uint64_t ent[SIZE / 4096];
	off_t at = (off_t)((uintptr_t)buf / 4096 * 8);
	size_t i;

	if (pread(pagemap, ent, sizeof(ent), at) != sizeof(ent))
		bench_die("read /proc/self/pagemap");
	for (i = 0; i < SIZE / 4096; i++) {
		if (!(ent[i] & PM_PRESENT) || !(ent[i] & PFN_MASK)) {
			errno = EFAULT;
			bench_die("pagemap: page not present or PFN hidden");
		}
		runs_add(rs, (ent[i] & PFN_MASK) * 4096, 4096);
	}
}

static void legacy_ready(int pagemap, void *buf, int huge, struct runs *rs)
{
	if (huge)
		bench_touch(buf, SIZE, HUGE_2M);
	else if (mlock(buf, SIZE))
		bench_die("mlock (RLIMIT_MEMLOCK?)");
	pagemap_runs(pagemap, buf, rs);
}

static void lib_ready(struct nio_ctx *ctx, void *buf, int huge,
		      struct nio_dma **dma, struct runs *rs)
{
	size_t i;

	if (nio_dma_map(ctx, buf, SIZE, huge ? NIO_DMA_HUGE : NIO_DMA_SMALL,
			dma)) {
		fprintf(stderr, "dma-ready: nio_dma_map: %s\n", nio_errmsg());
		exit(1);
	}
	for (i = 0; i < (*dma)->nsegs; i++)
		runs_add(rs, (*dma)->segs[i].addr, (*dma)->segs[i].len);
}

static int same_runs(const struct runs *a, const struct runs *b)
{
	return a->n == b->n && !memcmp(a->r, b->r, a->n * sizeof(*a->r));
}

enum method { CDEV, LIB, LEGACY, METHODS };
static const char *const method_name[METHODS] = { "cdev", "lib", "legacy" };

struct setup {
	int iommufd, pagemap;
	struct bench_dev dev;
	struct nio_ctx *ctx;
	struct runs rs, check;
};

/* One timed run of method m on fresh memory; returns milliseconds. */
static double time_method(struct setup *s, enum method m, int huge,
			  int verify)
{
	void *buf = bench_mmap(SIZE, huge);
	struct nio_dma *dma = NULL;
	double t0;

	s->rs.n = 0;
	t0 = bench_now_ns();
	if (m == CDEV)
		cdev_ready(s->iommufd, s->dev.ioas, buf, &s->rs);
	else if (m == LIB)
		lib_ready(s->ctx, buf, huge, &dma, &s->rs);
	else
		legacy_ready(s->pagemap, buf, huge, &s->rs);
	t0 = bench_now_ns() - t0;

	if (verify && m != LEGACY) {
		s->check.n = 0;
		pagemap_runs(s->pagemap, buf, &s->check);
		if (!same_runs(&s->rs, &s->check)) {
			fprintf(stderr, "dma-ready: %s: %zu runs differ from pagemap's %zu\n",
				method_name[m], s->rs.n, s->check.n);
			exit(1);
		}
	}
	if (m == CDEV)
		cdev_release(s->iommufd, s->dev.ioas);
	else if (m == LIB && nio_dma_free(s->ctx, dma))
		bench_die("nio_dma_free");
	if (munmap(buf, SIZE))
		bench_die("munmap");
	return t0 / 1e6;
}

static void measure(struct setup *s, int huge, unsigned int reps)
{
	static double ms[METHODS][REPS * 4], ratio[2][REPS * 4];
	const char *page = huge ? "2M" : "4K";
	size_t runs[METHODS] = { 0 };
	struct bench_stats st;
	unsigned int r, i, m;

	for (r = 0; r < reps; r++) {
		for (i = 0; i < METHODS; i++) {
			m = (r + i) % METHODS;
			ms[m][r] = time_method(s, (enum method)m, huge, !r);
			runs[m] = s->rs.n;
		}
		ratio[0][r] = ms[CDEV][r] / ms[LEGACY][r];
		ratio[1][r] = ms[LIB][r] / ms[LEGACY][r];
	}
	for (m = 0; m < METHODS; m++) {
		bench_stats(ms[m], reps, &st);
		bench_emit_stats("P3", &st,
				 "case=%s page=%s unit=ms bytes=%lu runs=%zu",
				 method_name[m], page, SIZE, runs[m]);
	}
	bench_stats(ratio[0], reps, &st);
	bench_emit_stats("P3", &st,
			 "case=cdev_over_legacy page=%s unit=x target=%.1f",
			 page, huge ? 1.0 : 2.0);
	bench_stats(ratio[1], reps, &st);
	bench_emit_stats("P3", &st, "case=lib_over_legacy page=%s unit=x",
			 page);
}

static void open_lib(struct setup *s, int index)
{
	struct nio_open_opts opts = { .size = sizeof(opts), .paths = NIO_PATH_BIT(NIO_PATH_NOIOMMU_CDEV) };
	struct nio_device *dev;
	char bdf[16];

	if (!lab_find_pci(EDU_VENDOR, EDU_DEVICE, index, bdf) ||
	    nio_ctx_new(&s->ctx) || nio_device_open(s->ctx, bdf, &opts, &dev)) {
		fprintf(stderr, "dma-ready: libnoiommu on edu %d: %s\n", index,
			nio_errmsg());
		exit(1);
	}
}

int main(void)
{
	unsigned int reps = bench_reps(REPS, 3);
	struct setup s = { 0 };

	if (reps > REPS)
		reps = REPS;
	s.rs.r = calloc(SIZE / 4096, sizeof(*s.rs.r));
	s.check.r = calloc(SIZE / 4096, sizeof(*s.check.r));
	if (!s.rs.r || !s.check.r)
		bench_die("calloc");
	s.iommufd = bench_iommufd();
	s.pagemap = open("/proc/self/pagemap", O_RDONLY);
	if (s.pagemap < 0)
		bench_die("open /proc/self/pagemap");
	bench_dev_open(&s.dev, s.iommufd, 1);
	open_lib(&s, 0);
	printf("dma-ready: %lu MiB, %u repetitions per method and page size\n",
	       SIZE / MIB, reps);
	measure(&s, 0, reps);
	measure(&s, 1, reps);
	nio_ctx_free(s.ctx);
	return 0;
}

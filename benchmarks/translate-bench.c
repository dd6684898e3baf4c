// SPDX-License-Identifier: GPL-2.0
/*
 * translate-bench: nanoseconds per address lookup, on the build host.
 *
 * nio_vtophys() (pointer -> device address) and nio_ptr_from_addr()
 * (device address -> pointer) against nio_dma_addr() (buffer + offset ->
 * device address, no lock, one binary search), each over the same random
 * bytes of the same buffers, back to back in one run: with 1 and 4,096
 * buffers of 16 KiB, and with one 16 MiB buffer of many segments.
 *
 * It runs on the host, not in the lab guest: the lookups make no system
 * call, so the kernel plays no part in them, and the host's CPU gives
 * numbers that TCG would only distort. The device is opened on the
 * no-IOMMU cdev path through the fake IOMMUFD of the host unit tests
 * (tests/host/unit/fake_iommufd.c), which only decides where the buffers
 * are physically: runs of three contiguous pages, so a 16 KiB buffer has
 * two or three segments. Every lookup is checked once before the clock
 * runs.
 *
 *   make -C benchmarks host OUT=dir && dir/host/translate-bench [runs]
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fake_iommufd.h"
#include "fake_root.h"
#include "noiommu.h"

#define LOOKUPS		65536	/* per timed run */
#define DEFAULT_RUNS	15

struct config {
	const char *name;
	size_t nbufs, size;
};

/* One lookup, precomputed: the same byte three ways. */
struct query {
	const struct nio_dma *dma;
	size_t off;
	const void *ptr;
	uint64_t addr;
};

struct setup {
	struct nio_ctx *ctx;
	struct nio_dma **bufs;
	size_t nbufs, nsegs;
	struct query *q;
};

static volatile uint64_t sink;	/* keeps the lookups from being dropped */

static void die(const char *what)
{
	fprintf(stderr, "translate-bench: %s: %s\n", what, nio_errmsg());
	exit(1);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void set_up(struct setup *s, const struct config *c,
		   struct nio_ctx *ctx)
{
	unsigned int seed = 1;
	size_t i;

	s->ctx = ctx;
	s->nbufs = c->nbufs;
	s->nsegs = 0;
	s->bufs = calloc(c->nbufs, sizeof(*s->bufs));
	s->q = calloc(LOOKUPS, sizeof(*s->q));
	if (!s->bufs || !s->q)
		die("out of memory");
	for (i = 0; i < c->nbufs; i++) {
		if (nio_dma_alloc(ctx, c->size, NIO_DMA_SMALL, &s->bufs[i]))
			die("nio_dma_alloc");
		s->nsegs += s->bufs[i]->nsegs;
	}
	for (i = 0; i < LOOKUPS; i++) {
		struct query *q = &s->q[i];

		q->dma = s->bufs[(size_t)rand_r(&seed) % c->nbufs];
		q->off = ((size_t)rand_r(&seed) << 16 ^ (size_t)rand_r(&seed)) %
			 q->dma->size;
		q->ptr = (const char *)q->dma->vaddr + q->off;
		q->addr = nio_dma_addr(q->dma, q->off, NULL);
	}
}

static void check(const struct setup *s)
{
	size_t i, c1, c2;

	for (i = 0; i < LOOKUPS; i++) {
		const struct query *q = &s->q[i];

		if (q->addr != fake_pa((uintptr_t)q->ptr) ||
		    nio_vtophys(s->ctx, q->ptr, &c1) != q->addr ||
		    nio_ptr_from_addr(s->ctx, q->addr, &c2) != q->ptr ||
		    c1 != c2) {
			fprintf(stderr, "translate-bench: lookup %zu is wrong\n",
				i);
			exit(1);
		}
	}
}

static void tear_down(struct setup *s)
{
	size_t i;

	for (i = 0; i < s->nbufs; i++)
		nio_dma_free(s->ctx, s->bufs[i]);
	free(s->bufs);
	free(s->q);
}

/* ---- the timed loops: LOOKUPS lookups each, ns per lookup ---- */

static double time_dma_addr(const struct setup *s)
{
	double t = now_ns();
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i < LOOKUPS; i++)
		sum += nio_dma_addr(s->q[i].dma, s->q[i].off, NULL);
	t = now_ns() - t;
	sink = sum;
	return t / LOOKUPS;
}

static double time_vtophys(const struct setup *s)
{
	double t = now_ns();
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i < LOOKUPS; i++)
		sum += nio_vtophys(s->ctx, s->q[i].ptr, NULL);
	t = now_ns() - t;
	sink = sum;
	return t / LOOKUPS;
}

static double time_ptr_from_addr(const struct setup *s)
{
	double t = now_ns();
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i < LOOKUPS; i++)
		sum += (uintptr_t)nio_ptr_from_addr(s->ctx, s->q[i].addr, NULL);
	t = now_ns() - t;
	sink = sum;
	return t / LOOKUPS;
}

/* What the read lock alone costs, uncontended: part of both lookups */
static double time_rwlock(const struct setup *s)
{
	pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;
	double t = now_ns();
	size_t i;

	(void)s;
	for (i = 0; i < LOOKUPS; i++) {
		pthread_rwlock_rdlock(&lock);
		pthread_rwlock_unlock(&lock);
	}
	t = now_ns() - t;
	return t / LOOKUPS;
}

enum { DMA_ADDR, VTOPHYS, PTR_FROM_ADDR, RWLOCK, NR_KINDS };

static double (*const timers[NR_KINDS])(const struct setup *) = {
	time_dma_addr, time_vtophys, time_ptr_from_addr, time_rwlock,
};

static void run_config(struct nio_ctx *ctx, const struct config *c,
		       unsigned int runs)
{
	double *v[NR_KINDS], med[NR_KINDS];
	struct setup s;
	unsigned int r, k;

	set_up(&s, c, ctx);
	check(&s);
	for (k = 0; k < NR_KINDS; k++) {
		v[k] = calloc(runs, sizeof(double));
		if (!v[k])
			die("out of memory");
	}
	/* Interleaved, so that a slow moment of the host hits every kind */
	for (r = 0; r < runs; r++)
		for (k = 0; k < NR_KINDS; k++)
			v[k][r] = timers[k](&s);
	for (k = 0; k < NR_KINDS; k++) {
		med[k] = median(v[k], runs);
		free(v[k]);
	}
	printf("| %s | %zu | %.1f | %.1f | %.2f× | %.1f | %.2f× | %.1f |\n",
	       c->name, s.nsegs, med[DMA_ADDR], med[VTOPHYS],
	       med[VTOPHYS] / med[DMA_ADDR], med[PTR_FROM_ADDR],
	       med[PTR_FROM_ADDR] / med[DMA_ADDR], med[RWLOCK]);
	tear_down(&s);
}

int main(int argc, char **argv)
{
	static const struct config configs[] = {
		{ "1 × 16 KiB", 1, 16 << 10 },
		{ "4,096 × 16 KiB", 4096, 16 << 10 },
		{ "1 × 16 MiB", 1, 16 << 20 },
	};
	unsigned int runs = argc > 1 ? (unsigned int)atoi(argv[1]) :
				       DEFAULT_RUNS;
	struct nio_device *dev;
	struct nio_ctx *ctx;
	const char *root;
	size_t i;

	if (!runs)
		runs = DEFAULT_RUNS;
	fake_iommufd_reset(MAINLINE);
	root = fake_root_create(true, true);
	nio_set_root(root);
	if (nio_ctx_new(&ctx) || nio_device_open(ctx, "01:00.0", NULL, &dev))
		die("opening the fake device");
	printf("translate-bench: median ns per lookup over %u runs of %d random lookups; no-IOMMU cdev path, fake IOMMUFD\n\n",
	       runs, LOOKUPS);
	printf("| buffers | segments | nio_dma_addr | nio_vtophys | ratio | nio_ptr_from_addr | ratio | rdlock+unlock |\n");
	printf("|---|---|---|---|---|---|---|---|\n");
	for (i = 0; i < sizeof(configs) / sizeof(*configs); i++)
		run_config(ctx, &configs[i], runs);
	nio_ctx_free(ctx);
	nio_set_root(NULL);
	fake_root_remove(root);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * getpa-latency: IOMMU_IOAS_NOIOMMU_GET_PA latency (benchmarks P1, P2).
 *
 * P1 times GET_PA of one mapped 4 KiB page against the cheapest IOMMUFD
 * ioctls on the same fd (the floor: system call plus iommufd's dispatch).
 * P2 times GET_PA in IOASes holding 1, 256, 4096 and 65536 live mappings,
 * one edu device attached to each (lab/run --edu 4); each call looks up a
 * different, randomly chosen mapping so the walk is not always cache hot.
 *
 * Every round times each variant for CALLS calls, in a rotated order, and
 * the ratios are taken per round: drift of a noisy host hits both sides of
 * a ratio alike. Results are @@BENCH lines (bench.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/iommufd.h>

#include "bench.h"

#define CALLS 20000
#define ROUNDS 31
#define P2_SIZES 4
#define P2_STRIDE (64 * KIB)
#define IOVA_BASE (1UL << 32)

static const unsigned int p2_mappings[P2_SIZES] = { 1, 256, 4096, 65536 };

struct variant {
	const char *name;
	int iommufd;
	unsigned long op;
	void *arg;
	uint64_t *iova;		/* GET_PA: the IOVAs to cycle through */
	unsigned int niova;
	double *ns;		/* per round, ns per call */
	int err;		/* the errno the call must fail with, or 0 */
};

static void time_round(struct variant *v, unsigned int calls,
		       unsigned int round)
{
	struct iommu_ioas_noiommu_get_pa *gp = v->arg;
	double t0 = bench_now_ns();
	unsigned int i;

	for (i = 0; i < calls; i++) {
		if (v->iova)
			gp->iova = v->iova[i % v->niova];
		if (ioctl(v->iommufd, v->op, v->arg) ? errno != v->err :
							     v->err != 0)
			bench_die(v->name);
	}
	v->ns[round] = (bench_now_ns() - t0) / calls;
}

/* Time every variant once per round, starting at a different one. */
static void run_rounds(struct variant *v, unsigned int nv,
		       unsigned int rounds, unsigned int calls)
{
	unsigned int r, i;

	for (r = 0; r < rounds; r++)
		for (i = 0; i < nv; i++)
			time_round(&v[(r + i) % nv], calls, r);
}

static void emit_variant(const char *id, struct variant *v,
			 unsigned int rounds, const char *extra)
{
	double copy[ROUNDS];
	struct bench_stats s;

	memcpy(copy, v->ns, rounds * sizeof(*copy));
	bench_stats(copy, rounds, &s);
	bench_emit_stats(id, &s, "case=%s unit=ns %s", v->name, extra);
}

static void emit_ratio(const char *id, const char *name,
		       const struct variant *num, const struct variant *den,
		       unsigned int rounds, double target)
{
	double ratio[ROUNDS];
	struct bench_stats s;
	unsigned int r;

	for (r = 0; r < rounds; r++)
		ratio[r] = num->ns[r] / den->ns[r];
	bench_stats(ratio, rounds, &s);
	bench_emit_stats(id, &s, "case=%s unit=x num=%s den=%s target=%.2f",
			 name, num->name, den->name, target);
}

static double median_of(const struct variant *v, unsigned int rounds)
{
	double copy[ROUNDS];
	struct bench_stats s;

	memcpy(copy, v->ns, rounds * sizeof(*copy));
	bench_stats(copy, rounds, &s);
	return s.median;
}

/*
 * GET_PA calls that stop early, so the median differences show where a
 * full call spends its time: after the copy-in and flags check, after the
 * capability check and IOAS lookup, after a table walk that finds nothing.
 */
static void p1_breakdown_args(const struct bench_dev *d,
			      struct iommu_ioas_noiommu_get_pa gp[3])
{
	struct iommu_ioas_noiommu_get_pa base = {
		.size = sizeof(base), .ioas_id = d->ioas, .iova = IOVA_BASE,
		.length = 4096,
	};

	gp[0] = base;
	gp[0].flags = 1;		/* EOPNOTSUPP before any work */
	gp[1] = base;
	gp[1].ioas_id = d->ioas + 1000;	/* ENOENT from the object lookup */
	gp[2] = base;
	gp[2].iova = IOVA_BASE + 4096;	/* ENOENT from the table walk */
}

static void p1(int iommufd, const struct bench_dev *d, unsigned int rounds,
	       unsigned int calls)
{
	static double ns[7][ROUNDS];
	static struct iommu_iova_range ranges[8];
	struct iommu_option rlimit = {
		.size = sizeof(rlimit), .option_id = IOMMU_OPTION_RLIMIT_MODE,
		.op = IOMMU_OPTION_OP_GET,
	};
	struct iommu_option huge = {
		.size = sizeof(huge), .option_id = IOMMU_OPTION_HUGE_PAGES,
		.op = IOMMU_OPTION_OP_GET, .object_id = d->ioas,
	};
	struct iommu_ioas_iova_ranges iova_ranges = {
		.size = sizeof(iova_ranges), .ioas_id = d->ioas,
		.num_iovas = 8, .allowed_iovas = (uintptr_t)ranges,
	};
	struct iommu_ioas_noiommu_get_pa gp = {
		.size = sizeof(gp), .ioas_id = d->ioas, .iova = IOVA_BASE,
		.length = 4096,
	}, early[3];
	struct variant v[] = {
		{ "option_get_rlimit_mode", iommufd, IOMMU_OPTION, &rlimit,
		  NULL, 0, ns[0], 0 },
		{ "option_get_huge_pages", iommufd, IOMMU_OPTION, &huge,
		  NULL, 0, ns[1], 0 },
		{ "ioas_iova_ranges", iommufd, IOMMU_IOAS_IOVA_RANGES,
		  &iova_ranges, NULL, 0, ns[2], 0 },
		{ "get_pa", iommufd, IOMMU_IOAS_NOIOMMU_GET_PA, &gp, NULL, 0,
		  ns[3], 0 },
		{ "get_pa_stop_at_flags", iommufd, IOMMU_IOAS_NOIOMMU_GET_PA,
		  &early[0], NULL, 0, ns[4], EOPNOTSUPP },
		{ "get_pa_stop_at_ioas_lookup", iommufd,
		  IOMMU_IOAS_NOIOMMU_GET_PA, &early[1], NULL, 0, ns[5],
		  ENOENT },
		{ "get_pa_stop_at_walk", iommufd, IOMMU_IOAS_NOIOMMU_GET_PA,
		  &early[2], NULL, 0, ns[6], ENOENT },
	};
	unsigned int i, floor = 0;

	p1_breakdown_args(d, early);
	run_rounds(v, 7, rounds, calls);
	/* The floor is the variant with the lowest median, found after
	 * the fact so no variant is favoured by its place in a round. */
	for (i = 0; i < 3; i++) {
		emit_variant("P1", &v[i], rounds, "role=floor-candidate");
		if (median_of(&v[i], rounds) < median_of(&v[floor], rounds))
			floor = i;
	}
	emit_variant("P1", &v[3], rounds, "role=measured");
	for (i = 4; i < 7; i++)
		emit_variant("P1", &v[i], rounds, "role=breakdown");
	emit_ratio("P1", "get_pa_over_floor", &v[3], &v[floor], rounds, 1.5);
}

/* IOVAs of n mappings of the same page, stride apart, in random order. */
static uint64_t *mapping_iovas(unsigned int n, uint64_t stride,
			       unsigned int calls)
{
	uint64_t *iova = malloc(calls * sizeof(*iova));
	unsigned int i;

	if (!iova)
		bench_die("malloc");
	for (i = 0; i < calls; i++)
		iova[i] = IOVA_BASE + (uint64_t)(random() % n) * stride;
	return iova;
}

/* Replace whatever the IOAS maps with n mappings of page, stride apart. */
static void map_many(int iommufd, const struct bench_dev *d, void *page,
		     unsigned int n, uint64_t stride)
{
	double t0 = bench_now_ns();
	unsigned int i;

	bench_unmap(iommufd, d->ioas, 0, UINT64_MAX);
	for (i = 0; i < n; i++)
		bench_map(iommufd, d->ioas, page, 4096,
			  IOVA_BASE + (uint64_t)i * stride);
	bench_emit("P2", "case=setup mappings=%u stride=%lu seconds=%.2f", n,
		   (unsigned long)stride, (bench_now_ns() - t0) / 1e9);
}

/*
 * stride 4 KiB: the mappings sit next to each other, as IOMMUFD's own
 * IOVA allocator places them. stride 64 KiB: spread over 16 times the
 * page-table memory, so that more of each lookup misses the caches.
 */
static void p2(int iommufd, const struct bench_dev *dev, void *page,
	       uint64_t stride, unsigned int rounds, unsigned int calls)
{
	static double ns[P2_SIZES][ROUNDS];
	struct iommu_ioas_noiommu_get_pa gp[P2_SIZES];
	struct variant v[P2_SIZES];
	char name[P2_SIZES][32], extra[48];
	const char *layout = stride == 4096 ? "dense" : "sparse";
	unsigned int k;

	for (k = 0; k < P2_SIZES; k++) {
		map_many(iommufd, &dev[k], page, p2_mappings[k], stride);
		snprintf(name[k], sizeof(name[k]), "get_pa_%u_%s",
			 p2_mappings[k], layout);
		gp[k] = (struct iommu_ioas_noiommu_get_pa){
			.size = sizeof(gp[k]), .ioas_id = dev[k].ioas,
			.length = 4096,
		};
		v[k] = (struct variant){ name[k], iommufd,
			IOMMU_IOAS_NOIOMMU_GET_PA, &gp[k],
			mapping_iovas(p2_mappings[k], stride, calls), calls,
			ns[k], 0 };
	}
	run_rounds(v, P2_SIZES, rounds, calls);
	for (k = 0; k < P2_SIZES; k++) {
		snprintf(extra, sizeof(extra), "mappings=%u stride=%lu layout=%s",
			 p2_mappings[k], (unsigned long)stride, layout);
		emit_variant("P2", &v[k], rounds, extra);
		free(v[k].iova);
	}
	snprintf(extra, sizeof(extra), "65536_over_1_%s", layout);
	emit_ratio("P2", extra, &v[P2_SIZES - 1], &v[0], rounds, 1.2);
}

int main(void)
{
	unsigned int rounds = bench_reps(ROUNDS, 5), k;
	unsigned int calls = bench_reps(CALLS, 200);
	struct bench_dev dev[P2_SIZES];
	int iommufd = bench_iommufd();
	void *page = bench_mmap(4096, 0);

	if (rounds > ROUNDS)
		rounds = ROUNDS;
	if (bench_dev_count() < P2_SIZES) {
		fprintf(stderr, "getpa-latency: needs %d edu devices bound to vfio-pci (lab/run --edu %d)\n",
			P2_SIZES, P2_SIZES);
		return 1;
	}
	for (k = 0; k < P2_SIZES; k++)
		bench_dev_open(&dev[k], iommufd, (int)k);
	srandom(1);
	bench_touch(page, 4096, 4096);
	bench_map(iommufd, dev[0].ioas, page, 4096, IOVA_BASE);
	printf("getpa-latency: %u rounds of %u calls per variant\n", rounds,
	       calls);
	p1(iommufd, &dev[0], rounds, calls);
	p2(iommufd, dev, page, 4096, rounds, calls);
	p2(iommufd, dev, page, P2_STRIDE, rounds, calls);
	return 0;
}

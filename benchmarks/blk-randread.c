// SPDX-License-Identifier: GPL-2.0
/*
 * blk-randread: 4 KiB random reads through the kernel's block layer and
 * NVMe driver, the counterpart of `nvme-example randread` (benchmark P5).
 *
 *   blk-randread [--qd N] [--seconds S] [--seed S] DEVICE
 *
 * These kernels have neither io_uring nor Linux AIO, so queue depth N is N
 * threads each with one O_DIRECT pread() in flight. Like nvme-example,
 * every read is checked against the lab disk's pattern (lab/make-disk:
 * each 512-byte sector starts "LAB-NVME LBA <n>" and is padded with n &
 * 0xff). Prints "iops=<n> qd=<n> seconds=<f> ios=<n>"; exits 1 on a read
 * error or a pattern mismatch.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/fs.h>

#include "bench.h"

#define IO_SIZE 4096
#define SECTOR 512
#define MAX_QD 64

struct shared {
	int fd;
	uint64_t npos;		/* 4 KiB positions on the device */
	double end_ns;
	atomic_bool failed;
};

struct worker {
	pthread_t thread;
	struct shared *sh;
	uint64_t rng, ios;
};

static uint64_t rng_next(uint64_t *s)
{
	/* xorshift64*: cheap, and every thread has its own sequence */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

static int sector_ok(const uint8_t *got, uint64_t sector)
{
	char head[32];
	size_t i;

	snprintf(head, sizeof(head), "LAB-NVME LBA %016" PRIu64, sector);
	if (memcmp(got, head, 29))
		return 0;
	for (i = 29; i < SECTOR; i++)
		if (got[i] != (uint8_t)sector)
			return 0;
	return 1;
}

static int read_ok(const uint8_t *buf, uint64_t pos)
{
	unsigned int i;

	for (i = 0; i < IO_SIZE / SECTOR; i++)
		if (!sector_ok(buf + i * SECTOR, pos * (IO_SIZE / SECTOR) + i))
			return 0;
	return 1;
}

static void *reader(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	uint8_t *buf;
	uint64_t pos;

	if (posix_memalign((void **)&buf, IO_SIZE, IO_SIZE))
		return NULL;
	while (!atomic_load(&sh->failed) && bench_now_ns() < sh->end_ns) {
		pos = rng_next(&w->rng) % sh->npos;
		if (pread(sh->fd, buf, IO_SIZE, (off_t)(pos * IO_SIZE)) !=
		    IO_SIZE) {
			perror("blk-randread: pread");
			atomic_store(&sh->failed, true);
		} else if (!read_ok(buf, pos)) {
			fprintf(stderr, "blk-randread: block at %" PRIu64 " does not hold the disk pattern\n",
				pos * IO_SIZE);
			atomic_store(&sh->failed, true);
		} else {
			w->ios++;
		}
	}
	free(buf);
	return NULL;
}

static int usage(void)
{
	fprintf(stderr, "usage: blk-randread [--qd N] [--seconds S] [--seed S] DEVICE\n");
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "qd", required_argument, NULL, 'd' },
		{ "seconds", required_argument, NULL, 's' },
		{ "seed", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	static struct worker w[MAX_QD];
	struct shared sh = { .failed = false };
	unsigned int qd = 1, i;
	double seconds = 5, t0;
	uint64_t seed = 1, bytes, ios = 0;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'd')
			qd = (unsigned int)strtoul(optarg, NULL, 0);
		else if (c == 's')
			seconds = strtod(optarg, NULL);
		else if (c == 'r')
			seed = strtoull(optarg, NULL, 0);
		else
			return usage();
	}
	if (optind != argc - 1 || qd < 1 || qd > MAX_QD || seconds <= 0)
		return usage();
	sh.fd = open(argv[optind], O_RDONLY | O_DIRECT);
	if (sh.fd < 0 || ioctl(sh.fd, BLKGETSIZE64, &bytes))
		bench_die(argv[optind]);
	sh.npos = bytes / IO_SIZE;
	t0 = bench_now_ns();
	sh.end_ns = t0 + seconds * 1e9;
	for (i = 0; i < qd; i++) {
		w[i] = (struct worker){ .sh = &sh, .rng = seed + i + 1 };
		if (pthread_create(&w[i].thread, NULL, reader, &w[i]))
			bench_die("pthread_create");
	}
	for (i = 0; i < qd; i++) {
		pthread_join(w[i].thread, NULL);
		ios += w[i].ios;
	}
	t0 = (bench_now_ns() - t0) / 1e9;
	printf("iops=%.0f qd=%u seconds=%.2f ios=%" PRIu64 "\n", ios / t0, qd,
	       t0, ios);
	return atomic_load(&sh.failed) ? 1 : 0;
}

// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * edu-dma: copy a buffer RAM -> device -> RAM through QEMU's edu device
 * and verify it, using only libnoiommu. The same code runs on every DMA
 * path the library offers; it prints which one it got and every device
 * address it programs.
 *
 * edu facts that shape this code (see docs/): one 4 KiB DMA window at
 * 0x40000 whose last byte must not be touched (QEMU aborts), so data
 * moves in 2 KiB pieces; a transfer takes ~100 ms under TCG; completion is
 * signalled by an MSI (default) or seen by polling the command register.
 *
 * Registers go through libnoiommu's ordered MMIO accessors: the write that
 * starts a transfer reaches edu only after the source buffer's contents
 * are in memory, and the read that sees a polled transfer finished comes
 * before the CPU reads the destination.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "noiommu.h"

#define EDU_VENDOR 0x1234
#define EDU_DEVICE 0x11e8
#define EDU_REG_ID 0x00
#define EDU_REG_LIVENESS 0x04
#define EDU_REG_IRQ_STATUS 0x24
#define EDU_REG_IRQ_ACK 0x64
#define EDU_REG_DMA_SRC 0x80
#define EDU_REG_DMA_DST 0x88
#define EDU_REG_DMA_COUNT 0x90
#define EDU_REG_DMA_CMD 0x98
#define EDU_DMA_START 0x1
#define EDU_DMA_TO_RAM 0x2
#define EDU_DMA_IRQ 0x4
#define EDU_WINDOW 0x40000
#define EDU_PIECE 2048		/* keeps clear of the window's last byte */
#define EDU_TIMEOUT_MS 10000

struct edu {
	struct nio_device *dev;
	volatile void *bar;
	int irq_fd;		/* MSI eventfd, -1 when polling */
	bool verbose;
	unsigned int transfers;
};

static int usage(FILE *f, int status)
{
	fprintf(f,
		"usage: edu-dma [--bdf BDF] [--size BYTES] [--poll] [--path 1|2|3] [--quiet]\n"
		"\n"
		"Copy a buffer to QEMU's edu device and back by DMA, then verify it.\n"
		"  --bdf BDF     the edu device (default: the first 1234:11e8)\n"
		"  --size BYTES  buffer size, rounded up to 4 KiB (default 8192)\n"
		"  --poll        poll for completion instead of waiting for MSI\n"
		"  --path N      allow only DMA path N (1 no-IOMMU cdev, 2 IOMMU cdev,\n"
		"                3 legacy group); default: the best available\n"
		"  --quiet       print only the result line\n"
		"Exit status: 0 verified, 1 mismatch, 2 usage, 3 device/library error.\n");
	return status;
}

static int fail(const char *what)
{
	fprintf(stderr, "edu-dma: %s: %s\n", what, nio_errmsg());
	return 3;
}

static long elapsed_ms(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000 +
	       (now.tv_nsec - start->tv_nsec) / 1000000;
}

static int wait_done(struct edu *e)
{
	struct timespec start, nap = { 0, 1000000 };
	uint32_t status;
	int n;

	if (e->irq_fd >= 0) {
		n = nio_irq_wait(e->irq_fd, EDU_TIMEOUT_MS);
		if (n < 0)
			return n;
		/* Acknowledge, or edu keeps the interrupt raised */
		status = nio_mmio_read32(e->bar, EDU_REG_IRQ_STATUS);
		nio_mmio_write32(e->bar, EDU_REG_IRQ_ACK, status);
		return 0;
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (nio_mmio_read64(e->bar, EDU_REG_DMA_CMD) & EDU_DMA_START) {
		if (elapsed_ms(&start) > EDU_TIMEOUT_MS)
			return -ETIMEDOUT;
		nanosleep(&nap, NULL);
	}
	return 0;
}

/* One transfer between device address addr and the window. */
static int edu_transfer(struct edu *e, uint64_t addr, size_t len, bool to_ram)
{
	uint64_t cmd = EDU_DMA_START | (to_ram ? EDU_DMA_TO_RAM : 0) |
		       (e->irq_fd >= 0 ? EDU_DMA_IRQ : 0);

	nio_mmio_write64(e->bar, EDU_REG_DMA_SRC, to_ram ? EDU_WINDOW : addr);
	nio_mmio_write64(e->bar, EDU_REG_DMA_DST, to_ram ? addr : EDU_WINDOW);
	nio_mmio_write64(e->bar, EDU_REG_DMA_COUNT, len);
	nio_mmio_write64(e->bar, EDU_REG_DMA_CMD, cmd);
	e->transfers++;
	return wait_done(e);
}

/*
 * Move src to dst through the window, piece by piece. A piece never
 * crosses a run boundary of either buffer: each side's device address
 * comes from its own segment list.
 */
static int copy_through_device(struct edu *e, const struct nio_dma *src,
			       const struct nio_dma *dst, size_t len)
{
	size_t off = 0;

	while (off < len) {
		size_t src_run, dst_run, n = EDU_PIECE;
		uint64_t s = nio_dma_addr(src, off, &src_run);
		uint64_t d = nio_dma_addr(dst, off, &dst_run);

		n = n < src_run ? n : src_run;
		n = n < dst_run ? n : dst_run;
		n = n < len - off ? n : len - off;
		if (e->verbose && off % 4096 == 0)
			printf("  page %3zu      0x%llx -> edu window -> 0x%llx\n",
			       off / 4096, (unsigned long long)s,
			       (unsigned long long)d);
		if (edu_transfer(e, s, n, false) || edu_transfer(e, d, n, true))
			return -ETIMEDOUT;
		off += n;
	}
	return 0;
}

static void print_segments(const char *name, const struct nio_dma *dma)
{
	size_t i;

	printf("  %-12s %zu KiB at VA %p, %zu physically contiguous run(s):\n",
	       name, dma->size >> 10, dma->vaddr, dma->nsegs);
	for (i = 0; i < dma->nsegs && i < 4; i++)
		printf("                 +0x%05zx  0x%llx  %llu bytes\n",
		       dma->segs[i].offset,
		       (unsigned long long)dma->segs[i].addr,
		       (unsigned long long)dma->segs[i].len);
	if (dma->nsegs > 4)
		printf("                 ... %zu more\n", dma->nsegs - 4);
}

static int setup_device(struct edu *e, bool poll)
{
	uint32_t probe = 0x12345678;
	unsigned int count = 0;
	int ret;

	ret = nio_bar_map(e->dev, 0, &e->bar, NULL);
	if (!ret)
		ret = nio_bus_master(e->dev, true);
	if (ret)
		return ret;
	nio_mmio_write32(e->bar, EDU_REG_LIVENESS, probe);
	if (e->verbose) {
		uint32_t id = nio_mmio_read32(e->bar, EDU_REG_ID);
		bool live = nio_mmio_read32(e->bar, EDU_REG_LIVENESS) == ~probe;

		printf("  BAR0         id 0x%08x, liveness %s\n", id,
		       live ? "ok" : "WRONG");
	}
	e->irq_fd = -1;
	if (poll || nio_irq_count(e->dev, NIO_IRQ_MSI, &count) || !count)
		return 0;
	ret = nio_irq_enable(e->dev, NIO_IRQ_MSI, 1, &e->irq_fd);
	if (ret)
		e->irq_fd = -1;
	return ret;
}

struct options {
	const char *bdf;
	size_t size;
	bool poll;
	bool quiet;
	unsigned int paths;
};

static int parse(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "bdf", required_argument, NULL, 'b' },
		{ "size", required_argument, NULL, 's' },
		{ "poll", no_argument, NULL, 'p' },
		{ "path", required_argument, NULL, 'P' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c, p;

	*o = (struct options){ .size = 8192 };
	while ((c = getopt_long(argc, argv, "b:s:pP:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'b': o->bdf = optarg; break;
		case 's': o->size = strtoul(optarg, NULL, 0); break;
		case 'p': o->poll = true; break;
		case 'q': o->quiet = true; break;
		case 'P':
			p = atoi(optarg);
			if (p < 1 || p > 3)
				return usage(stderr, 2);
			o->paths = NIO_PATH_BIT(p);
			break;
		case 'h': exit(usage(stdout, 0));
		default: return usage(stderr, 2);
		}
	}
	if (optind != argc || o->size == 0 || o->size > (64u << 20))
		return usage(stderr, 2);
	return 0;
}

static int run(struct nio_ctx *ctx, struct edu *e, const struct options *o)
{
	struct nio_dma *src, *dst;
	size_t i, len;
	uint8_t *s, *d;

	if (nio_dma_alloc(ctx, o->size, NIO_DMA_SMALL, &src) ||
	    nio_dma_alloc(ctx, o->size, NIO_DMA_SMALL, &dst))
		return fail("allocating DMA memory");
	len = src->size;
	s = src->vaddr;
	d = dst->vaddr;
	for (i = 0; i < len; i++)
		s[i] = (uint8_t)(i * 31 + 7 + i / 4096);
	memset(d, 0, len);
	if (e->verbose) {
		print_segments("source", src);
		print_segments("destination", dst);
	}
	if (copy_through_device(e, src, dst, len)) {
		fprintf(stderr, "edu-dma: DMA did not complete within %d ms%s\n",
			EDU_TIMEOUT_MS, e->irq_fd >= 0 ? " (no MSI?)" : "");
		return 3;
	}
	for (i = 0; i < len && s[i] == d[i]; i++)
		;
	if (i < len) {
		printf("edu-dma: MISMATCH at byte %zu: wrote 0x%02x, read back 0x%02x\n",
		       i, s[i], d[i]);
		return 1;
	}
	printf("edu-dma: %zu bytes RAM -> edu -> RAM verified (%u transfers, %s, completion by %s)\n",
	       len, e->transfers, nio_path_name(nio_device_path(e->dev)),
	       e->irq_fd >= 0 ? "MSI" : "polling");
	return 0;
}

int main(int argc, char **argv)
{
	struct nio_open_opts opts = NIO_SIZED_INIT(opts);
	char bdf[NIO_BDF_LEN];
	struct edu e = { .irq_fd = -1 };
	struct options o;
	struct nio_ctx *ctx;
	int ret;

	ret = parse(argc, argv, &o);
	if (ret)
		return ret;
	e.verbose = !o.quiet;
	opts.paths = o.paths;
	if (o.bdf)
		snprintf(bdf, sizeof(bdf), "%s", o.bdf);
	else if (nio_pci_find(EDU_VENDOR, EDU_DEVICE, 0, bdf))
		return fail("finding an edu device (1234:11e8)");
	if (nio_ctx_new(&ctx))
		return fail("creating a context");
	if (nio_device_open(ctx, bdf, &opts, &e.dev)) {
		ret = fail(bdf);
		goto out;
	}
	if (e.verbose) {
		printf("edu-dma: %s\n", bdf);
		printf("  path         %s\n", nio_device_why(e.dev));
	}
	if (setup_device(&e, o.poll)) {
		ret = fail("setting up the device");
		goto out;
	}
	ret = run(ctx, &e, &o);
out:
	/* Closes the device and frees (unpins) every DMA buffer */
	nio_ctx_free(ctx);
	return ret;
}

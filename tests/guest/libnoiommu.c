// SPDX-License-Identifier: GPL-2.0
/*
 * libnoiommu in the guest: the path it picks on this kernel, DMA through
 * the addresses it returns (checked against pagemap and by real edu DMA),
 * the device API, and every documented error provoked once with its errno
 * and message.
 *
 * Expected path per Kconfig case: 3 and 5 -> noiommu-cdev (path 1),
 * 1 -> legacy-group (path 3).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>

#include "kselftest_harness.h"
#include "lab_guest.h"
#include "noiommu.h"

#define PAGE 4096UL

static bool noiommu_on(void)
{
	return lab_noiommu_requested() && lab_kconfig("VFIO_NOIOMMU") == 'y';
}

/* Devices the library can open: no-IOMMU ones, or behind a vIOMMU */
static bool devices_usable(void)
{
	return noiommu_on() || lab_viommu();
}

static enum nio_path expected_path(void)
{
	if (lab_viommu())
		return NIO_PATH_IOMMU_CDEV;
	if (lab_kconfig("VFIO_DEVICE_CDEV") == 'y')
		return NIO_PATH_NOIOMMU_CDEV;
	return NIO_PATH_LEGACY_GROUP;
}

static void edu_bdf(int index, char *bdf)
{
	if (!lab_find_pci(EDU_VENDOR, EDU_DEVICE, index, bdf))
		bdf[0] = '\0';
}

/*
 * Every page's device address must be the page's physical address; behind
 * an IOMMU, the buffer is one IOVA range the library mapped instead.
 */
static int check_device_addresses(const struct nio_dma *dma)
{
	bool iova = expected_path() == NIO_PATH_IOMMU_CDEV;
	uint64_t base = nio_dma_addr(dma, 0, NULL);
	size_t off, contig;

	for (off = 0; off < dma->size; off += PAGE) {
		uint64_t addr = nio_dma_addr(dma, off, &contig);
		uint64_t want = iova ? base + off :
			lab_pagemap_pa((char *)dma->vaddr + off);

		if (addr != want || contig == 0 || contig > dma->size - off ||
		    (iova && contig != dma->size - off))
			return -1;
	}
	return 0;
}

/* Physically contiguous runs of the buffer according to pagemap. */
static size_t pagemap_runs(const struct nio_dma *dma)
{
	uint64_t prev = 0;
	size_t off, runs = 0;

	for (off = 0; off < dma->size; off += PAGE) {
		uint64_t pa = lab_pagemap_pa((char *)dma->vaddr + off);

		if (off == 0 || pa != prev + PAGE)
			runs++;
		prev = pa;
	}
	return runs;
}

FIXTURE(lib) {
	struct nio_ctx *ctx;
	struct nio_device *edu;
	volatile void *bar;
	char bdf[NIO_BDF_LEN];
};

FIXTURE_SETUP(lib)
{
	self->ctx = NULL;
	if (!devices_usable())
		SKIP(return, "no-IOMMU mode is off in this kernel/boot");
	edu_bdf(0, self->bdf);
	ASSERT_NE(0, self->bdf[0]);
	ASSERT_EQ(0, nio_ctx_new(&self->ctx));
	ASSERT_EQ(0, nio_device_open(self->ctx, self->bdf, NULL, &self->edu))
		TH_LOG("%s", nio_errmsg());
	ASSERT_EQ(0, nio_bar_map(self->edu, 0, &self->bar, NULL));
	ASSERT_EQ(0, nio_bus_master(self->edu, true));
}

FIXTURE_TEARDOWN(lib)
{
	nio_ctx_free(self->ctx);
}

TEST_F(lib, picks_the_best_path_for_this_kernel)
{
	enum nio_path want = expected_path();

	TH_LOG("%s", nio_device_why(self->edu));
	ASSERT_EQ(want, nio_device_path(self->edu));
	ASSERT_EQ(want, nio_ctx_path(self->ctx));
	ASSERT_NE(NULL, strstr(nio_device_why(self->edu),
			       nio_device_node(self->edu)));
	if (want == NIO_PATH_LEGACY_GROUP)
		ASSERT_NE(NULL, strstr(nio_device_why(self->edu),
				       "not noiommu-cdev: CONFIG_VFIO_DEVICE_CDEV is off"));
	ASSERT_EQ(EDU_ID_VALUE, edu_read32(self->bar, EDU_REG_ID));
}

TEST_F(lib, segments_are_the_physical_runs)
{
	struct nio_dma *dma;
	size_t i, covered = 0;

	ASSERT_EQ(0, nio_dma_alloc(self->ctx, 64 * PAGE, NIO_DMA_SMALL, &dma));
	ASSERT_EQ(64 * PAGE, dma->size);
	ASSERT_EQ(PAGE, dma->page_size);
	ASSERT_EQ(0, check_device_addresses(dma));
	/* One segment per run: GET_PA runs merge exactly like pagemap; one
	 * IOVA range behind an IOMMU */
	ASSERT_EQ(expected_path() == NIO_PATH_IOMMU_CDEV ? 1 : pagemap_runs(dma),
		  dma->nsegs);
	for (i = 0; i < dma->nsegs; i++) {
		ASSERT_EQ(covered, dma->segs[i].offset);
		covered += dma->segs[i].len;
	}
	ASSERT_EQ(dma->size, covered);
	ASSERT_EQ(NIO_BAD_ADDR, nio_dma_addr(dma, dma->size, NULL));
	ASSERT_EQ(dma->segs[0].addr + 123, nio_dma_addr(dma, 123, NULL));
	ASSERT_EQ(0, nio_dma_free(self->ctx, dma));
}

TEST_F(lib, huge_pages_when_available)
{
	struct nio_dma *dma;

	/* The lab boots with hugepages=16 */
	ASSERT_EQ(0, nio_dma_alloc(self->ctx, 4 << 20, 0, &dma)) TH_LOG("%s", nio_errmsg());
	ASSERT_EQ(2UL << 20, dma->page_size);
	ASSERT_GE(2, dma->nsegs);
	ASSERT_EQ(0, dma->segs[0].len % (2UL << 20));
	ASSERT_EQ(0, dma->segs[0].addr % (2UL << 20));
	ASSERT_EQ(0, check_device_addresses(dma));
	ASSERT_EQ(0, nio_dma_free(self->ctx, dma));
}

TEST_F(lib, contiguous_buffers_on_request)
{
	struct nio_dma *dma;
	int ret;

	ASSERT_EQ(0, nio_dma_alloc(self->ctx, 64 * PAGE, NIO_DMA_CONTIG, &dma))
		TH_LOG("%s", nio_errmsg());
	ASSERT_EQ(1, dma->nsegs);
	ASSERT_EQ(0, check_device_addresses(dma));
	ASSERT_EQ(0, nio_dma_free(self->ctx, dma));
	/*
	 * 4 MiB of 4 KiB pages: too big for a huge page, so one run only if
	 * the page allocator happened to hand out contiguous pages, as it
	 * may in a guest with much free memory. Either way never several
	 * runs: a buffer of one run, or ENOMEM that says why.
	 */
	ret = nio_dma_alloc(self->ctx, 4 << 20, NIO_DMA_CONTIG | NIO_DMA_SMALL,
			    &dma);
	if (ret == 0) {
		TH_LOG("4 MiB of 4 KiB pages are one run (an IOVA range, or pages that happened to be contiguous)");
		ASSERT_EQ(1, dma->nsegs);
		ASSERT_EQ(0, check_device_addresses(dma));
		ASSERT_EQ(0, nio_dma_free(self->ctx, dma));
		return;
	}
	ASSERT_EQ(-ENOMEM, ret);
	ASSERT_NE(NULL, strstr(nio_errmsg(), "contiguous for the device"));
}

TEST_F(lib, edu_round_trip_at_library_addresses)
{
	struct nio_dma *src, *dst;
	uint8_t *s, *d;
	size_t i;

	ASSERT_EQ(0, nio_dma_alloc(self->ctx, 2 * PAGE, NIO_DMA_SMALL, &src));
	ASSERT_EQ(0, nio_dma_alloc(self->ctx, 2 * PAGE, NIO_DMA_SMALL, &dst));
	s = src->vaddr;
	d = dst->vaddr;
	for (i = 0; i < 2 * PAGE; i++)
		s[i] = (uint8_t)(i * 13 + 5);
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, edu_round_trip(self->bar,
					    nio_dma_addr(src, i * PAGE, NULL),
					    nio_dma_addr(dst, i * PAGE, NULL),
					    PAGE));
	ASSERT_EQ(0, memcmp(s, d, 2 * PAGE));
}

TEST_F(lib, map_caller_memory)
{
	uint8_t *buf = mmap(NULL, 8 * PAGE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct nio_dma *dma;

	ASSERT_NE(MAP_FAILED, buf);
	memset(buf, 0x5a, 8 * PAGE);
	ASSERT_EQ(0, nio_dma_map(self->ctx, buf, 8 * PAGE, 0, &dma));
	ASSERT_EQ(buf, dma->vaddr);
	ASSERT_EQ(0, check_device_addresses(dma));
	/* The device writes into caller memory at the library's address */
	ASSERT_EQ(0, edu_dma(self->bar, nio_dma_addr(dma, 0, NULL), 0, 2048, false));
	ASSERT_EQ(0, edu_dma(self->bar, nio_dma_addr(dma, 5 * PAGE, NULL), 0, 2048, true));
	ASSERT_EQ(0x5a, buf[5 * PAGE + 100]);
	ASSERT_EQ(0, nio_dma_free(self->ctx, dma));
	/* Unmapping leaves the caller's memory alone */
	buf[0] = 1;
	ASSERT_EQ(0, munmap(buf, 8 * PAGE));
}

TEST_F(lib, two_devices_one_context)
{
	struct nio_device *edu2;
	volatile void *bar2;
	struct nio_dma *dma;
	char bdf[NIO_BDF_LEN];
	uint8_t *p;

	edu_bdf(1, bdf);
	if (!bdf[0])
		SKIP(return, "one edu device only");
	ASSERT_EQ(0, nio_device_open(self->ctx, bdf, NULL, &edu2)) TH_LOG("%s", nio_errmsg());
	ASSERT_EQ(0, nio_bar_map(edu2, 0, &bar2, NULL));
	ASSERT_EQ(0, nio_bus_master(edu2, true));
	ASSERT_EQ(0, nio_dma_alloc(self->ctx, 2 * PAGE, NIO_DMA_SMALL, &dma));
	p = dma->vaddr;
	memset(p, 0x11, PAGE);
	/* Device 1 reads page 0, device 2 writes what it got to page 1 */
	ASSERT_EQ(0, edu_dma(self->bar, nio_dma_addr(dma, 0, NULL), 0, 2048, false));
	ASSERT_EQ(0, edu_dma(bar2, nio_dma_addr(dma, 0, NULL), 0, 2048, false));
	ASSERT_EQ(0, edu_dma(bar2, nio_dma_addr(dma, PAGE, NULL), 0, 2048, true));
	ASSERT_EQ(0x11, p[PAGE + 2047]);
	nio_device_close(edu2);
}

/*
 * When the last device of a legacy context closes, the kernel drops the
 * container's IOMMU driver: the context must set it again for the next
 * device (it used to fail). Every path must allow this.
 */
TEST_F(lib, reopen_after_the_last_device_closes)
{
	struct nio_dma *src, *dst;

	nio_device_close(self->edu);
	self->edu = NULL;
	ASSERT_EQ(0, nio_device_open(self->ctx, self->bdf, NULL, &self->edu))
		TH_LOG("%s", nio_errmsg());
	ASSERT_EQ(0, nio_bar_map(self->edu, 0, &self->bar, NULL));
	ASSERT_EQ(0, nio_bus_master(self->edu, true));
	ASSERT_EQ(0, nio_dma_alloc(self->ctx, PAGE, NIO_DMA_SMALL, &src));
	ASSERT_EQ(0, nio_dma_alloc(self->ctx, PAGE, NIO_DMA_SMALL, &dst));
	memset(src->vaddr, 0x3c, PAGE);
	ASSERT_EQ(0, edu_round_trip(self->bar, nio_dma_addr(src, 0, NULL),
				    nio_dma_addr(dst, 0, NULL), 2048));
	ASSERT_EQ(0x3c, ((uint8_t *)dst->vaddr)[2047]);
}

/*
 * fork() a child that lives until release_child(), as the shell of a
 * system() call running in another thread does: while it lives, the
 * parent's private pages are shared with it copy-on-write.
 */
static pid_t fork_waiting_child(int *release_fd)
{
	int fds[2];
	pid_t pid;
	char c;

	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(fds[1]);
		while (read(fds[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(fds[0]);
	*release_fd = fds[1];
	return pid;
}

static void release_child(pid_t pid, int release_fd)
{
	close(release_fd);
	waitpid(pid, NULL, 0);
}

/*
 * With a child alive, the parent's first write to a private page used to
 * move it to a new page on the legacy path (copy-on-write) while the
 * device kept the old one. The device must see what the parent writes
 * after a fork, at the addresses the library gave before it.
 */
static void dma_after_fork(struct __test_metadata *_metadata,
			   FIXTURE_DATA(lib) *self, struct nio_dma *dma)
{
	uint8_t *p = dma->vaddr;
	int release_fd;
	pid_t child;

	memset(p, 0x21, 2 * PAGE);
	child = fork_waiting_child(&release_fd);
	ASSERT_LT(0, child);
	memset(p, 0x77, PAGE);		/* written while the child lives */
	EXPECT_EQ(0, check_device_addresses(dma));
	EXPECT_EQ(0, edu_dma(self->bar, nio_dma_addr(dma, 0, NULL), 0, 2048, false));
	EXPECT_EQ(0, edu_dma(self->bar, nio_dma_addr(dma, PAGE, NULL), 0, 2048, true));
	release_child(child, release_fd);
	ASSERT_EQ(0x77, p[PAGE + 2047]);
	ASSERT_EQ(0x21, p[PAGE + 2048]);
}

TEST_F(lib, fork_keeps_allocated_buffers_in_place)
{
	struct nio_dma *dma;

	ASSERT_EQ(0, nio_dma_alloc(self->ctx, 2 * PAGE, NIO_DMA_SMALL, &dma));
	dma_after_fork(_metadata, self, dma);
	ASSERT_EQ(0, nio_dma_free(self->ctx, dma));
}

TEST_F(lib, fork_keeps_mapped_caller_memory_in_place)
{
	uint8_t *buf = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct nio_dma *dma;

	ASSERT_NE(MAP_FAILED, buf);
	memset(buf, 0, 2 * PAGE);
	ASSERT_EQ(0, nio_dma_map(self->ctx, buf, 2 * PAGE, 0, &dma))
		TH_LOG("%s", nio_errmsg());
	if (nio_ctx_path(self->ctx) == NIO_PATH_LEGACY_GROUP &&
	    madvise(buf, PAGE, MADV_NORMAL) && errno == ENOSYS) {
		nio_dma_free(self->ctx, dma);
		SKIP(return, "no madvise() (CONFIG_ADVISE_SYSCALLS off): caller memory cannot be kept from fork() on the legacy path");
	}
	dma_after_fork(_metadata, self, dma);
	ASSERT_EQ(0, nio_dma_free(self->ctx, dma));
	ASSERT_EQ(0, munmap(buf, 2 * PAGE));
}

/* nio_dma_map() with NIO_DMA_CONTIG takes one run only */
TEST_F(lib, map_contig_refuses_several_runs)
{
	uint8_t *buf = mmap(NULL, 64 * PAGE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	struct nio_dma *dma;
	size_t runs;
	int ret;

	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_EQ(0, nio_dma_map(self->ctx, buf, 64 * PAGE, 0, &dma));
	runs = dma->nsegs;
	ASSERT_EQ(0, nio_dma_free(self->ctx, dma));
	ret = nio_dma_map(self->ctx, buf, 64 * PAGE, NIO_DMA_CONTIG, &dma);
	if (runs > 1) {
		ASSERT_EQ(-EINVAL, ret);
		ASSERT_NE(NULL, strstr(nio_errmsg(), "separate runs"));
	} else {
		ASSERT_EQ(0, ret);
		ASSERT_EQ(1, dma->nsegs);
		ASSERT_EQ(0, nio_dma_free(self->ctx, dma));
	}
	/* One page is always one run */
	ASSERT_EQ(0, nio_dma_map(self->ctx, buf, PAGE, NIO_DMA_CONTIG, &dma));
	ASSERT_EQ(1, dma->nsegs);
	ASSERT_EQ(0, nio_dma_free(self->ctx, dma));
	ASSERT_EQ(0, munmap(buf, 64 * PAGE));
}

/*
 * Behind an IOMMU, a buffer the library unmapped is out of the device's
 * reach: edu's write to its old address faults in the IOMMU and the
 * memory keeps what the process wrote. (Without an IOMMU nothing stops a
 * device: that is what no-IOMMU mode means.)
 */
TEST_F(lib, iommu_stops_dma_after_unmap)
{
	uint8_t *buf = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct nio_dma *dma;
	uint64_t addr;

	ASSERT_NE(MAP_FAILED, buf);
	if (expected_path() != NIO_PATH_IOMMU_CDEV)
		SKIP(munmap(buf, PAGE); return, "no IOMMU: nothing stops the device");
	memset(buf, 0x5a, PAGE);
	ASSERT_EQ(0, nio_dma_map(self->ctx, buf, PAGE, 0, &dma));
	addr = nio_dma_addr(dma, 0, NULL);
	/* Mapped, the device reaches it: 0x5a into edu, back over zeros */
	ASSERT_EQ(0, edu_dma(self->bar, addr, 0, 2048, false));
	memset(buf, 0, PAGE);
	ASSERT_EQ(0, edu_dma(self->bar, addr, 0, 2048, true));
	ASSERT_EQ(0x5a, buf[2047]);
	/* Unmapped, it does not */
	memset(buf, 0, PAGE);
	ASSERT_EQ(0, nio_dma_free(self->ctx, dma));
	ASSERT_EQ(0, edu_dma(self->bar, addr, 0, 2048, true));
	ASSERT_EQ(0, buf[0]);
	ASSERT_EQ(0, buf[2047]);
	ASSERT_TRUE(lab_kmsg_contains("DMAR: [DMA Write"));
	ASSERT_EQ(0, munmap(buf, PAGE));
}

struct hammer {
	struct nio_device *dev;
	volatile void *bar;
	int failures;
};

static void quiet_log(enum nio_log_level level, const char *msg, void *arg)
{
	(void)level;
	(void)msg;
	(void)arg;
}

/* BAR mapping, MSI set-up and tear-down and the log from many threads */
static void *hammer_device(void *arg)
{
	struct hammer *h = arg;
	volatile void *bar;
	int i, efd;

	for (i = 0; i < 200; i++) {
		if (nio_bar_map(h->dev, 0, &bar, NULL) || bar != h->bar)
			h->failures++;
		if (nio_irq_enable(h->dev, NIO_IRQ_MSI, 1, &efd) ||
		    nio_irq_disable(h->dev, NIO_IRQ_MSI))
			h->failures++;
		nio_set_log(i & 1 ? quiet_log : NULL, NULL);
	}
	return NULL;
}

TEST_F(lib, bar_map_and_irqs_from_many_threads)
{
	struct hammer h[4];
	pthread_t t[4];
	int i;

	for (i = 0; i < 4; i++) {
		h[i] = (struct hammer){ self->edu, self->bar, 0 };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, hammer_device, &h[i]));
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		EXPECT_EQ(0, h[i].failures) TH_LOG("thread %d", i);
	}
	nio_set_log(NULL, NULL);
	ASSERT_EQ(EDU_ID_VALUE, edu_read32(self->bar, EDU_REG_ID));
}

TEST_F(lib, msi_and_intx_on_eventfds)
{
	unsigned int count;
	int efd;

	ASSERT_EQ(0, nio_irq_count(self->edu, NIO_IRQ_MSI, &count));
	ASSERT_LE(1, count);
	ASSERT_EQ(0, nio_irq_enable(self->edu, NIO_IRQ_MSI, 1, &efd));
	edu_write32(self->bar, EDU_REG_IRQ_RAISE, 0x1);
	ASSERT_LE(1, nio_irq_wait(efd, 5000)) TH_LOG("%s", nio_errmsg());
	edu_write32(self->bar, EDU_REG_IRQ_ACK, 0x1);
	ASSERT_EQ(-ETIMEDOUT, nio_irq_wait(efd, 50));
	ASSERT_EQ(0, nio_irq_disable(self->edu, NIO_IRQ_MSI));

	ASSERT_EQ(0, nio_irq_enable(self->edu, NIO_IRQ_INTX, 1, &efd));
	edu_write32(self->bar, EDU_REG_IRQ_RAISE, 0x2);
	ASSERT_LE(1, nio_irq_wait(efd, 5000)) TH_LOG("%s", nio_errmsg());
	edu_write32(self->bar, EDU_REG_IRQ_ACK, 0x2);
	ASSERT_EQ(0, nio_irq_unmask_intx(self->edu));
	ASSERT_EQ(-EINVAL, nio_irq_enable(self->edu, NIO_IRQ_INTX, 2, &efd));
	ASSERT_NE(NULL, strstr(nio_errmsg(), "offers 1 INTx"));
}

TEST_F(lib, config_space_and_reset)
{
	uint16_t ids[2];

	ASSERT_EQ(0, nio_config_read(self->edu, 0, ids, sizeof(ids)));
	ASSERT_EQ(EDU_VENDOR, ids[0]);
	ASSERT_EQ(EDU_DEVICE, ids[1]);
	ASSERT_EQ(-EINVAL, nio_config_read(self->edu, 0x1000000, ids, 4));
	edu_write32(self->bar, EDU_REG_LIVENESS, 0x1234);
	ASSERT_EQ(0, nio_reset(self->edu)) TH_LOG("%s", nio_errmsg());
	ASSERT_EQ(EDU_ID_VALUE, edu_read32(self->bar, EDU_REG_ID));
}

/* ---- errors: errno and message ---------------------------------------- */

TEST_F(lib, error_without_cap_sys_rawio)
{
	struct nio_device *dev;
	struct nio_ctx *ctx;
	char bdf[NIO_BDF_LEN];

	nio_ctx_free(self->ctx);	/* release the device first */
	self->ctx = NULL;
	ASSERT_EQ(0, lab_drop_capability(CAP_SYS_RAWIO));
	edu_bdf(0, bdf);
	ASSERT_EQ(0, nio_ctx_new(&ctx));
	if (expected_path() == NIO_PATH_IOMMU_CDEV) {
		/* The IOMMU confines the device: no capability needed */
		ASSERT_EQ(0, nio_device_open(ctx, bdf, NULL, &dev))
			TH_LOG("%s", nio_errmsg());
		nio_ctx_free(ctx);
		return;
	}
	ASSERT_EQ(-EPERM, nio_device_open(ctx, bdf, NULL, &dev));
	TH_LOG("%s", nio_errmsg());
	ASSERT_NE(NULL, strstr(nio_errmsg(), "CAP_SYS_RAWIO (run as root)"));
	nio_ctx_free(ctx);
}

TEST_F(lib, error_memlock_limit)
{
	struct rlimit rl = { 64 << 10, 64 << 10 };
	struct nio_dma *dma;

	ASSERT_EQ(0, lab_drop_capability(CAP_IPC_LOCK));
	ASSERT_EQ(0, setrlimit(RLIMIT_MEMLOCK, &rl));
	ASSERT_EQ(-ENOMEM, nio_dma_alloc(self->ctx, 1 << 20, NIO_DMA_SMALL, &dma));
	TH_LOG("%s", nio_errmsg());
	ASSERT_NE(NULL, strstr(nio_errmsg(), "RLIMIT_MEMLOCK is 64 KiB"));
	/* Within the limit it works */
	ASSERT_EQ(0, nio_dma_alloc(self->ctx, 16 << 10, NIO_DMA_SMALL, &dma));
	ASSERT_EQ(0, nio_dma_free(self->ctx, dma));
}

TEST_F(lib, error_feature_missing)
{
	/* Ask only for a path this kernel lacks for a no-IOMMU device */
	enum nio_path missing = expected_path() == NIO_PATH_NOIOMMU_CDEV ?
				NIO_PATH_IOMMU_CDEV : NIO_PATH_NOIOMMU_CDEV;
	struct nio_open_opts opts = { .size = sizeof(opts), .paths = NIO_PATH_BIT(missing) };
	struct nio_device *dev;
	struct nio_ctx *ctx;
	char bdf[NIO_BDF_LEN];

	edu_bdf(1, bdf);
	if (!bdf[0])
		SKIP(return, "one edu device only");
	ASSERT_EQ(0, nio_ctx_new(&ctx));
	ASSERT_EQ(-EOPNOTSUPP, nio_device_open(ctx, bdf, &opts, &dev));
	TH_LOG("%s", nio_errmsg());
	ASSERT_NE(NULL, strstr(nio_errmsg(), missing == NIO_PATH_IOMMU_CDEV ?
			       "the device has no IOMMU" : lab_viommu() ?
			       "the device is behind an IOMMU" :
			       "CONFIG_VFIO_DEVICE_CDEV is off"));
	nio_ctx_free(ctx);
}

TEST_F(lib, error_legacy_pagemap_needs_cap_sys_admin)
{
	struct nio_dma *dma;

	if (nio_device_path(self->edu) != NIO_PATH_LEGACY_GROUP)
		SKIP(return, "an IOMMUFD path: no pagemap involved");
	ASSERT_EQ(0, lab_drop_capability(CAP_SYS_ADMIN));
	ASSERT_EQ(-EPERM, nio_dma_alloc(self->ctx, PAGE, 0, &dma));
	ASSERT_NE(NULL, strstr(nio_errmsg(), "CAP_SYS_ADMIN"));
}

TEST_F(lib, error_bad_arguments)
{
	struct nio_device *dev;
	struct nio_ctx *empty;
	struct nio_dma *dma;
	char buf[2 * PAGE] __attribute__((aligned(4096)));

	ASSERT_EQ(-EINVAL, nio_dma_map(self->ctx, buf + 1, PAGE, 0, &dma));
	ASSERT_NE(NULL, strstr(nio_errmsg(), "multiples of 4 KiB"));
	ASSERT_EQ(-EINVAL, nio_dma_map(self->ctx, buf, 100, 0, &dma));
	ASSERT_EQ(-EINVAL, nio_dma_map(self->ctx, buf, 0, 0, &dma));
	ASSERT_EQ(-EINVAL, nio_dma_map(self->ctx, buf, PAGE, NIO_DMA_HUGE, &dma));
	ASSERT_NE(NULL, strstr(nio_errmsg(), "multiples of 2 MiB"));
	ASSERT_EQ(-EINVAL, nio_dma_alloc(self->ctx, 0, 0, &dma));
	ASSERT_EQ(-EINVAL, nio_dma_alloc(self->ctx, PAGE, NIO_DMA_HUGE | NIO_DMA_SMALL, &dma));
	ASSERT_EQ(-EINVAL, nio_dma_alloc(self->ctx, PAGE, 0x100, &dma));
	ASSERT_NE(NULL, strstr(nio_errmsg(), "unknown DMA flags 0x100"));
	ASSERT_EQ(-EINVAL, nio_device_open(self->ctx, "zz:1", NULL, &dev));
	ASSERT_NE(NULL, strstr(nio_errmsg(), "is not a PCI address"));
	ASSERT_EQ(-ENOENT, nio_device_open(self->ctx, "7f:1f.7", NULL, &dev));
	ASSERT_NE(NULL, strstr(nio_errmsg(), "no PCI device 0000:7f:1f.7"));
	ASSERT_EQ(-ENOENT, nio_bar_map(self->edu, 5, &self->bar, NULL));
	ASSERT_EQ(0, nio_ctx_new(&empty));
	ASSERT_EQ(-EINVAL, nio_dma_alloc(empty, PAGE, 0, &dma));
	ASSERT_NE(NULL, strstr(nio_errmsg(), "open a device in the context first"));
	nio_ctx_free(empty);
}

/* Unbind the second edu, provoke the errors, bind it back. */
TEST_F(lib, error_not_bound_and_mode_off)
{
	const char *param = "/sys/module/vfio/parameters/enable_unsafe_noiommu_mode";
	struct nio_device *dev;
	char bdf[NIO_BDF_LEN], prev[64];
	int fd;

	edu_bdf(1, bdf);
	if (!bdf[0])
		SKIP(return, "one edu device only");
	ASSERT_EQ(0, nio_pci_unbind_vfio(bdf, NULL)) TH_LOG("%s", nio_errmsg());
	ASSERT_EQ(-ENXIO, nio_device_open(self->ctx, bdf, NULL, &dev));
	TH_LOG("%s", nio_errmsg());
	ASSERT_NE(NULL, strstr(nio_errmsg(), "run 'noiommu bind"));

	/* Mode off: vfio-pci refuses the device, the error says why */
	fd = open(param, O_WRONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(1, write(fd, "0", 1));
	if (lab_viommu()) {
		/* ... unless an IOMMU confines it: the mode does not matter */
		ASSERT_EQ(0, nio_pci_bind_vfio(bdf, prev, sizeof(prev)))
			TH_LOG("%s", nio_errmsg());
		ASSERT_EQ(0, nio_device_open(self->ctx, bdf, NULL, &dev))
			TH_LOG("%s", nio_errmsg());
		nio_device_close(dev);
		ASSERT_EQ(1, pwrite(fd, "1", 1, 0));
		close(fd);
		return;
	}
	ASSERT_EQ(-ENODEV, nio_pci_bind_vfio(bdf, prev, sizeof(prev)));
	TH_LOG("%s", nio_errmsg());
	ASSERT_NE(NULL, strstr(nio_errmsg(), "no-IOMMU mode is off"));
	ASSERT_EQ(-ENODEV, nio_device_open(self->ctx, bdf, NULL, &dev));
	ASSERT_NE(NULL, strstr(nio_errmsg(), "no-IOMMU mode is off: echo 1 >"));
	ASSERT_EQ(1, pwrite(fd, "1", 1, 0));
	close(fd);

	ASSERT_EQ(0, nio_pci_bind_vfio(bdf, prev, sizeof(prev))) TH_LOG("%s", nio_errmsg());
	ASSERT_STREQ("", prev);
	ASSERT_EQ(0, nio_device_open(self->ctx, bdf, NULL, &dev)) TH_LOG("%s", nio_errmsg());
	nio_device_close(dev);
}

/* The boot with no-IOMMU mode off: nothing opens, the message says why. */
/* ---- fds handed over (nio_device_open_fd(), nio_ctx_new_iommufd()) ---- */

/*
 * Take fds from the broker process with pidfd_getfd(2), as an agent takes
 * them from a container runtime. (The lab's kernels have no AF_UNIX, so
 * no SCM_RIGHTS; the file the receiver gets is the same either way.)
 */
static int take_fds(pid_t broker, const int *theirs, int *ours, unsigned int n)
{
	int pidfd = (int)syscall(SYS_pidfd_open, broker, 0);
	unsigned int i;

	if (pidfd < 0)
		return -1;
	for (i = 0; i < n; i++) {
		ours[i] = (int)syscall(SYS_pidfd_getfd, pidfd, theirs[i], 0);
		if (ours[i] < 0)
			break;
	}
	close(pidfd);
	return i == n ? 0 : -1;
}

/*
 * The receiving side: take the fds, let the broker close its own, then a
 * context on the handed-over iommufd (cdev) or a new one (legacy group),
 * the device from the handed-over node, and edu DMA at the library's
 * addresses. Returns 0, or the number of the failed step.
 */
static int use_handed_fds(pid_t broker, const int *theirs, int done_fd,
			  bool cdev, const char *bdf)
{
	int fds[2] = { -1, -1 };
	struct nio_dma *src, *dst;
	struct nio_device *dev;
	volatile void *bar;
	struct nio_ctx *ctx;
	uint8_t *s;
	size_t i;

	if (take_fds(broker, theirs, fds, cdev ? 2 : 1))
		return 1;
	/* The broker closes its fds now: ours must be enough */
	if (write(done_fd, "x", 1) != 1)
		return 1;
	close(done_fd);
	if (cdev ? nio_ctx_new_iommufd(fds[1], &ctx) : nio_ctx_new(&ctx))
		return 2;
	if (nio_device_open_fd(ctx, fds[0], NULL, &dev))
		return 3;
	/* The library keeps its own: ours may go too */
	close(fds[0]);
	if (cdev)
		close(fds[1]);
	if (nio_device_path(dev) != expected_path() ||
	    strcmp(nio_device_bdf(dev), bdf))
		return 4;
	if (nio_bar_map(dev, 0, &bar, NULL) || nio_bus_master(dev, true))
		return 5;
	if (nio_dma_alloc(ctx, PAGE, NIO_DMA_SMALL, &src) ||
	    nio_dma_alloc(ctx, PAGE, NIO_DMA_SMALL, &dst))
		return 6;
	s = src->vaddr;
	for (i = 0; i < PAGE; i++)
		s[i] = (uint8_t)(i * 7 + 3);
	if (edu_round_trip(bar, nio_dma_addr(src, 0, NULL),
			   nio_dma_addr(dst, 0, NULL), PAGE))
		return 7;
	if (memcmp(src->vaddr, dst->vaddr, PAGE))
		return 8;
	nio_ctx_free(ctx);
	return 0;
}

/*
 * A broker (this process) opens the device's node and, for the cdev, an
 * iommufd; another process takes them, the broker closes its own, and the
 * receiver drives the device with the library. In the guest the nodes are
 * character devices: the library finds the device by the node's device
 * number in /sys/dev/char.
 */
TEST(open_fd_handed_over_by_a_broker)
{
	bool cdev = expected_path() != NIO_PATH_LEGACY_GROUP;
	struct nio_pci_info info = NIO_SIZED_INIT(info);
	int fds[2], done[2], status;
	char bdf[16], byte;
	pid_t pid;

	if (!devices_usable())
		SKIP(return, "no-IOMMU mode is off in this kernel/boot");
	edu_bdf(1, bdf);
	ASSERT_NE(0, bdf[0]);
	ASSERT_EQ(0, nio_pci_info(bdf, &info));
	fds[0] = open(cdev ? info.cdev_node : info.group_node, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fds[0]) TH_LOG("%s: %s", cdev ? info.cdev_node :
				    info.group_node, strerror(errno));
	fds[1] = cdev ? open("/dev/iommu", O_RDWR | O_CLOEXEC) : -1;
	ASSERT_TRUE(!cdev || fds[1] >= 0);
	ASSERT_EQ(0, pipe(done));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* Not inherited: taken from the broker, as a pod would */
		close(fds[0]);
		if (cdev)
			close(fds[1]);
		close(done[0]);
		status = use_handed_fds(getppid(), fds, done[1], cdev, bdf);
		if (status)
			fprintf(stderr, "# receiver, step %d: %s\n", status,
				nio_errmsg());
		_exit(status);
	}
	close(done[1]);
	/* The receiver has its own: close ours (EOF if it failed first) */
	ASSERT_LE(0, read(done[0], &byte, 1));
	close(done[0]);
	close(fds[0]);
	if (cdev)
		close(fds[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("the receiver failed at step %d (1 take fds, 2 context, 3 open, 4 path or BDF, 5 BAR, 6 DMA alloc, 7 edu DMA, 8 data)",
		       WEXITSTATUS(status));
}

/* fds that are no VFIO node, or no iommufd, are refused */
TEST(open_fd_refuses_what_is_no_vfio_node)
{
	int null = open("/dev/null", O_RDWR);
	struct nio_device *dev = NULL;
	struct nio_ctx *ctx;

	ASSERT_LE(0, null);
	EXPECT_EQ(-EINVAL, nio_ctx_new_iommufd(null, &ctx));
	EXPECT_NE(NULL, strstr(nio_errmsg(), "not an iommufd")) TH_LOG("%s", nio_errmsg());
	ASSERT_EQ(0, nio_ctx_new(&ctx));
	EXPECT_EQ(-EINVAL, nio_device_open_fd(ctx, null, NULL, &dev));
	EXPECT_NE(NULL, strstr(nio_errmsg(), "not a VFIO device cdev")) TH_LOG("%s", nio_errmsg());
	EXPECT_EQ(NULL, dev);
	nio_ctx_free(ctx);
	close(null);
}

TEST(error_mode_off_at_boot)
{
	struct nio_device *dev;
	struct nio_ctx *ctx;
	char bdf[NIO_BDF_LEN];

	if (noiommu_on() || lab_kconfig("VFIO_NOIOMMU") != 'y')
		SKIP(return, "no-IOMMU mode is on in this boot");
	edu_bdf(0, bdf);
	ASSERT_EQ(0, nio_ctx_new(&ctx));
	ASSERT_EQ(-ENODEV, nio_device_open(ctx, bdf, NULL, &dev));
	TH_LOG("%s", nio_errmsg());
	ASSERT_NE(NULL, strstr(nio_errmsg(), "no-IOMMU mode is off"));
	nio_ctx_free(ctx);
}

TEST_HARNESS_MAIN

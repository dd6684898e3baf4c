// SPDX-License-Identifier: GPL-2.0
/*
 * nvme-example: a small userspace NVMe driver on libnoiommu.
 *
 * It takes an NVMe controller bound to vfio-pci, brings it up by hand (one
 * admin and one I/O queue pair, polled, no interrupts) and moves data with
 * PRPs built from the segment lists libnoiommu gives for DMA buffers. The
 * same code runs on every DMA path the library offers: only the addresses
 * differ (physical on the no-IOMMU paths, IOVAs behind an IOMMU).
 *
 *   nvme-example [--bdf BDF] [--quiet] COMMAND [ARGS]    (--help for more)
 *
 * Register and command layouts follow the NVMe base specification 1.4.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "noiommu.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "NVMe structures are little endian and this example does not swap"
#endif

#define NVME_CLASS		0x010802	/* mass storage, NVM, NVMe */
#define NVME_PAGE		4096u		/* CC.MPS = 0 */
#define PRPS_PER_PAGE		(NVME_PAGE / 8)
#define MAX_DEPTH		64
#define MAX_IO_BYTES		(PRPS_PER_PAGE * NVME_PAGE) /* one PRP list */
#define IO_TIMEOUT_MS		5000		/* TCG is slow */
#define SECTOR			512		/* unit of the disk pattern */
#define SCATTER_PAGES		16

enum { EXIT_MISMATCH = 1, EXIT_USAGE = 2, EXIT_DEVICE = 3 };

/* Controller registers in BAR0 */
#define REG_CAP			0x00
#define REG_VS			0x08
#define REG_CC			0x14
#define REG_CSTS		0x1c
#define REG_AQA			0x24
#define REG_ASQ			0x28
#define REG_ACQ			0x30
#define REG_DOORBELLS		0x1000

#define CAP_MQES(cap)		((unsigned int)((cap) & 0xffff))
#define CAP_TO(cap)		((unsigned int)(((cap) >> 24) & 0xff))
#define CAP_DSTRD(cap)		((unsigned int)(((cap) >> 32) & 0xf))
#define CAP_CSS_NVM(cap)	(((cap) >> 37) & 1)
#define CAP_MPSMIN(cap)		((unsigned int)(((cap) >> 48) & 0xf))

#define CC_EN			(1u << 0)
#define CC_SHN_NORMAL		(1u << 14)
#define CC_IOSQES		(6u << 16)	/* 64-byte SQ entries */
#define CC_IOCQES		(4u << 20)	/* 16-byte CQ entries */
#define CSTS_RDY		(1u << 0)
#define CSTS_CFS		(1u << 1)
#define CSTS_SHST_MASK		(3u << 2)
#define CSTS_SHST_DONE		(2u << 2)

enum {
	ADMIN_DELETE_SQ = 0x00, ADMIN_CREATE_SQ = 0x01,
	ADMIN_DELETE_CQ = 0x04, ADMIN_CREATE_CQ = 0x05,
	ADMIN_IDENTIFY = 0x06, ADMIN_SET_FEATURES = 0x09,
	NVM_WRITE = 0x01, NVM_READ = 0x02,
};
#define FEAT_NUM_QUEUES		0x07
#define QUEUE_PHYS_CONTIG	(1u << 0)

struct nvme_sqe {
	uint8_t opcode;
	uint8_t flags;
	uint16_t cid;
	uint32_t nsid;
	uint64_t rsvd;
	uint64_t mptr;
	uint64_t prp1;
	uint64_t prp2;
	uint32_t cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
};

struct nvme_cqe {
	uint32_t result;
	uint32_t rsvd;
	uint16_t sq_head;
	uint16_t sq_id;
	uint16_t cid;
	uint16_t status;	/* bit 0: phase tag, then SC, SCT, CRD, M, DNR */
};

_Static_assert(sizeof(struct nvme_sqe) == 64, "SQ entry is 64 bytes");
_Static_assert(sizeof(struct nvme_cqe) == 16, "CQ entry is 16 bytes");

/* A submission queue and the completion queue it posts to. */
struct nvme_queue {
	uint16_t qid, depth;
	uint16_t sq_tail, cq_head;
	uint16_t phase;		/* phase tag of entries not yet consumed */
	struct nio_dma *sq_mem, *cq_mem;
	uint64_t sq_addr, cq_addr;
	struct nvme_sqe *sq;
	volatile struct nvme_cqe *cq;
	volatile uint32_t *sq_db, *cq_db;
};

struct nvme_ctrl {
	bool quiet;
	struct nio_ctx *ctx;
	struct nio_device *dev;
	volatile uint8_t *bar;
	size_t bar_size;
	uint64_t cap;
	unsigned int ready_ms;		/* CAP.TO: how long RDY may take */
	bool enabled, io_queues;
	struct nvme_queue admin, io;
	struct nio_dma *prp_lists;	/* one page per I/O command slot */
	struct nio_dma *ident;		/* IDENTIFY data */
	uint16_t admin_cid;
	char serial[21], model[41], firmware[9];
	unsigned int mdts, queues_granted;
	uint64_t ns_blocks;
	uint32_t block_size;
	size_t max_io;			/* bytes per command */
};

/* What the disk should hold: lab/make-disk's pattern or our own. */
struct pattern {
	bool written;
	uint32_t seed;
};

struct mismatch {
	uint64_t lba;
	size_t offset;
	uint8_t expected, found;
};

/* ---- messages ---------------------------------------------------------- */

static void info(const struct nvme_ctrl *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void info(const struct nvme_ctrl *c, const char *fmt, ...)
{
	va_list ap;

	if (c->quiet)
		return;
	va_start(ap, fmt);
	fputs("nvme: ", stdout);
	vprintf(fmt, ap);
	putchar('\n');
	va_end(ap);
}

static void errmsg(const char *tail, const char *fmt, va_list ap)
{
	fflush(stdout);
	fputs("nvme-example: ", stderr);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "%s\n", tail);
}

/* A libnoiommu call failed: say what we were doing and the library's why. */
static int lib_fail(int ret, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int lib_fail(int ret, const char *fmt, ...)
{
	const char *why = nio_errmsg();
	char tail[1024];
	va_list ap;

	snprintf(tail, sizeof(tail), ": %s", *why ? why : strerror(-ret));
	va_start(ap, fmt);
	errmsg(tail, fmt, ap);
	va_end(ap);
	return ret;
}

/* The driver itself failed (timeout, NVMe status, bad layout): -err. */
static int drv_fail(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int drv_fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	errmsg("", fmt, ap);
	va_end(ap);
	return -err;
}

static const char *human(uint64_t bytes, char buf[32])
{
	if (bytes >= 1 << 20)
		snprintf(buf, 32, "%.1f MiB", bytes / 1048576.0);
	else if (bytes >= 1 << 10)
		snprintf(buf, 32, "%.1f KiB", bytes / 1024.0);
	else
		snprintf(buf, 32, "%" PRIu64 " bytes", bytes);
	return buf;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* xorshift64*: reproducible from --seed, and cheap under TCG. */
static uint64_t rng_next(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* ---- registers ----------------------------------------------------------- */

static uint32_t reg_read32(const struct nvme_ctrl *c, unsigned int off)
{
	return *(volatile uint32_t *)(c->bar + off);
}

static void reg_write32(const struct nvme_ctrl *c, unsigned int off,
			uint32_t val)
{
	*(volatile uint32_t *)(c->bar + off) = val;
}

/* 64-bit registers as two dwords, low first, which every controller takes. */
static uint64_t reg_read64(const struct nvme_ctrl *c, unsigned int off)
{
	return reg_read32(c, off) | (uint64_t)reg_read32(c, off + 4) << 32;
}

static void reg_write64(const struct nvme_ctrl *c, unsigned int off,
			uint64_t val)
{
	reg_write32(c, off, (uint32_t)val);
	reg_write32(c, off + 4, (uint32_t)(val >> 32));
}

/* Wait until (CSTS & mask) == want; a fatal status ends the wait early. */
static int wait_csts(const struct nvme_ctrl *c, uint32_t mask, uint32_t want,
		     unsigned int timeout_ms, const char *what)
{
	double deadline = now_s() + timeout_ms / 1000.0;
	uint32_t csts;

	for (;;) {
		csts = reg_read32(c, REG_CSTS);
		if (csts == UINT32_MAX)
			return drv_fail(ENODEV, "%s: CSTS reads all ones, the controller is gone",
					what);
		if ((csts & mask) == want)
			return 0;
		if (csts & CSTS_CFS && !(mask & CSTS_CFS))
			return drv_fail(EIO, "%s: controller fatal status (CSTS 0x%x)",
					what, csts);
		if (now_s() > deadline)
			return drv_fail(ETIMEDOUT, "%s: no change after %u ms (CSTS 0x%x)",
					what, timeout_ms, csts);
		sleep_ms(1);
	}
}

static int ctrl_disable(struct nvme_ctrl *c)
{
	uint32_t cc = reg_read32(c, REG_CC);

	/* Clearing EN while the controller is still becoming ready is
	 * undefined: let it finish first (whatever the outcome). */
	if (cc & CC_EN && !(reg_read32(c, REG_CSTS) & CSTS_RDY))
		wait_csts(c, CSTS_RDY | CSTS_CFS, CSTS_RDY, c->ready_ms,
			  "waiting for a pending enable");
	reg_write32(c, REG_CC, cc & ~CC_EN);
	c->enabled = false;
	return wait_csts(c, CSTS_RDY | CSTS_CFS, 0, c->ready_ms,
			 "disabling the controller (CSTS.RDY -> 0)");
}

static int ctrl_enable(struct nvme_ctrl *c)
{
	uint32_t cc = CC_IOSQES | CC_IOCQES;	/* NVM set, MPS 4 KiB, RR */
	int ret;

	reg_write32(c, REG_AQA, (uint32_t)(c->admin.depth - 1) << 16 |
				(uint32_t)(c->admin.depth - 1));
	reg_write64(c, REG_ASQ, c->admin.sq_addr);
	reg_write64(c, REG_ACQ, c->admin.cq_addr);
	reg_write32(c, REG_CC, cc);
	reg_write32(c, REG_CC, cc | CC_EN);
	ret = wait_csts(c, CSTS_RDY, CSTS_RDY, c->ready_ms,
			"enabling the controller (CSTS.RDY -> 1)");
	c->enabled = !ret;
	return ret;
}

/* Normal shutdown lets the controller flush its state before we leave. */
static int ctrl_shutdown(struct nvme_ctrl *c)
{
	unsigned int timeout = c->ready_ms > 5000 ? c->ready_ms : 5000;

	reg_write32(c, REG_CC, reg_read32(c, REG_CC) | CC_SHN_NORMAL);
	return wait_csts(c, CSTS_SHST_MASK, CSTS_SHST_DONE, timeout,
			 "shutting down (CSTS.SHST -> complete)");
}

/* ---- queues and commands ------------------------------------------------- */

/*
 * The controller walks a queue by address arithmetic, so it must be one
 * contiguous range for the device: the segment list says whether it is.
 */
static int contiguous_addr(const struct nio_dma *dma, size_t bytes,
			   const char *what, uint64_t *addr)
{
	size_t contig = 0;

	*addr = nio_dma_addr(dma, 0, &contig);
	if (*addr == NIO_BAD_ADDR || contig < bytes || *addr % NVME_PAGE)
		return drv_fail(EINVAL, "%s is not one aligned run for the device (%zu of %zu bytes contiguous)",
				what, contig, bytes);
	return 0;
}

static int dma_alloc(struct nvme_ctrl *c, size_t size, unsigned int flags,
		     const char *what, struct nio_dma **dma)
{
	int ret = nio_dma_alloc(c->ctx, size, flags, dma);

	return ret ? lib_fail(ret, "allocating %s (%zu bytes)", what, size) : 0;
}

static int queue_alloc(struct nvme_ctrl *c, struct nvme_queue *q,
		       uint16_t qid, uint16_t depth)
{
	unsigned int stride = 4u << CAP_DSTRD(c->cap);
	size_t db = REG_DOORBELLS + (2u * qid + 1) * stride;
	int ret;

	if (db + 4 > c->bar_size)
		return drv_fail(EINVAL, "BAR0 (%zu bytes) has no doorbell for queue %u",
				c->bar_size, qid);
	q->qid = qid;
	q->depth = depth;
	q->phase = 1;	/* the controller posts phase 1 on its first pass */
	ret = dma_alloc(c, depth * sizeof(struct nvme_sqe), NIO_DMA_SMALL,
			"a submission queue", &q->sq_mem);
	if (!ret)
		ret = dma_alloc(c, depth * sizeof(struct nvme_cqe),
				NIO_DMA_SMALL, "a completion queue",
				&q->cq_mem);
	if (!ret)
		ret = contiguous_addr(q->sq_mem, depth * sizeof(struct nvme_sqe),
				      "submission queue", &q->sq_addr);
	if (!ret)
		ret = contiguous_addr(q->cq_mem, depth * sizeof(struct nvme_cqe),
				      "completion queue", &q->cq_addr);
	if (ret)
		return ret;
	q->sq = q->sq_mem->vaddr;
	q->cq = q->cq_mem->vaddr;
	q->sq_db = (volatile uint32_t *)(c->bar + db - stride);
	q->cq_db = (volatile uint32_t *)(c->bar + db);
	return 0;
}

static void queue_submit(struct nvme_queue *q, const struct nvme_sqe *cmd)
{
	q->sq[q->sq_tail] = *cmd;
	if (++q->sq_tail == q->depth)
		q->sq_tail = 0;
	/* The entry (and its PRP list) must be in memory before the
	 * controller hears about it. */
	__sync_synchronize();
	*q->sq_db = q->sq_tail;
}

/* Take the next completion if the controller has posted it. */
static bool queue_poll(struct nvme_queue *q, struct nvme_cqe *out)
{
	volatile struct nvme_cqe *e = &q->cq[q->cq_head];

	if ((e->status & 1) != q->phase)
		return false;
	/* Read the entry, and later the data, only after the phase tag. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	*out = *e;
	if (++q->cq_head == q->depth) {
		q->cq_head = 0;
		q->phase ^= 1;	/* the controller flips it on each wrap */
	}
	*q->cq_db = q->cq_head;
	return true;
}

static int queue_wait(const struct nvme_ctrl *c, struct nvme_queue *q,
		      struct nvme_cqe *out, const char *what)
{
	double deadline = now_s() + IO_TIMEOUT_MS / 1000.0;
	unsigned long spins;

	for (spins = 1;; spins++) {
		if (queue_poll(q, out))
			return 0;
		if (spins % 1024 == 0 && now_s() > deadline)
			break;
	}
	return drv_fail(ETIMEDOUT, "%s: no completion on queue %u within %d ms (CSTS 0x%x)",
			what, q->qid, IO_TIMEOUT_MS, reg_read32(c, REG_CSTS));
}

static const char *status_name(unsigned int sct, unsigned int sc)
{
	static const char *const generic[] = {
		[0x00] = "success", [0x01] = "invalid opcode",
		[0x02] = "invalid field", [0x03] = "command ID conflict",
		[0x04] = "data transfer error", [0x06] = "internal error",
		[0x07] = "abort requested", [0x08] = "aborted: SQ deleted",
		[0x0b] = "invalid namespace or format",
		[0x0c] = "command sequence error",
		[0x13] = "invalid PRP offset",
	};
	static const char *const specific[] = {
		[0x00] = "invalid completion queue",
		[0x01] = "invalid queue identifier",
		[0x02] = "invalid queue size", [0x08] = "invalid interrupt vector",
		[0x0c] = "invalid queue deletion",
	};

	if (sct == 0 && sc < sizeof(generic) / sizeof(*generic) && generic[sc])
		return generic[sc];
	if (sct == 0 && sc == 0x80)
		return "LBA out of range";
	if (sct == 0 && sc == 0x81)
		return "capacity exceeded";
	if (sct == 1 && sc < sizeof(specific) / sizeof(*specific) &&
	    specific[sc])
		return specific[sc];
	if (sct == 2)
		return "media or data integrity error";
	return "see the NVMe specification";
}

static int check_status(const struct nvme_cqe *e, const char *what)
{
	unsigned int sc = (e->status >> 1) & 0xff, sct = (e->status >> 9) & 7;
	static const char *const sct_names[] = {
		"generic", "command specific", "media error", "path related",
		"reserved", "reserved", "reserved", "vendor specific",
	};

	if (!sc && !sct)
		return 0;
	return drv_fail(EIO, "%s failed: status SCT %u (%s) SC 0x%02x (%s)%s",
			what, sct, sct_names[sct], sc, status_name(sct, sc),
			e->status & (1u << 15) ? ", do not retry" : "");
}

/* One admin command at a time: submit, wait, check. */
static int admin_cmd(struct nvme_ctrl *c, struct nvme_sqe *cmd,
		     const char *what, uint32_t *result)
{
	struct nvme_cqe e;
	int ret;

	cmd->cid = c->admin_cid++;
	queue_submit(&c->admin, cmd);
	ret = queue_wait(c, &c->admin, &e, what);
	if (ret)
		return ret;
	if (e.cid != cmd->cid)
		return drv_fail(EIO, "%s: completion for command %u, expected %u",
				what, e.cid, cmd->cid);
	if (result)
		*result = e.result;
	return check_status(&e, what);
}

/* ---- PRPs ------------------------------------------------------------ */

/*
 * Describe len bytes at offset off of buf with PRPs: PRP1 is the first
 * byte, PRP2 the second page or a PRP list in the command slot's page.
 * Every page address comes from the segment list: a buffer is only
 * contiguous for the device where nio_dma_addr() says so.
 */
static int build_prps(const struct nvme_ctrl *c, uint16_t slot,
		      const struct nio_dma *buf, size_t off, size_t len,
		      struct nvme_sqe *cmd)
{
	uint64_t *list = (uint64_t *)((char *)c->prp_lists->vaddr +
				      (size_t)slot * NVME_PAGE);
	uint64_t first = nio_dma_addr(buf, off, NULL), addr;
	size_t pos, n = 0;

	if (first == NIO_BAD_ADDR || len > buf->size - off || first % 4)
		return drv_fail(EINVAL, "bad transfer: %zu bytes at offset %zu of a %zu-byte buffer",
				len, off, buf->size);
	cmd->prp1 = first;
	pos = off + NVME_PAGE - first % NVME_PAGE;	/* next device page */
	for (; pos < off + len; pos += NVME_PAGE) {
		addr = nio_dma_addr(buf, pos, NULL);
		if (addr == NIO_BAD_ADDR || addr % NVME_PAGE)
			return drv_fail(EINVAL, "buffer offset %zu is not at a page boundary for the device",
					pos);
		if (n == PRPS_PER_PAGE)
			return drv_fail(E2BIG, "%zu bytes need more than one PRP list page",
					len);
		list[n++] = addr;
	}
	if (n == 1)
		cmd->prp2 = list[0];
	else if (n > 1)
		cmd->prp2 = nio_dma_addr(c->prp_lists,
					 (size_t)slot * NVME_PAGE, NULL);
	return 0;
}

/* Queue a READ or WRITE of namespace 1; slot is its command ID. */
static int submit_rw(struct nvme_ctrl *c, uint8_t opcode, uint16_t slot,
		     const struct nio_dma *buf, size_t off, uint64_t lba,
		     uint32_t nblocks)
{
	struct nvme_sqe cmd = {
		.opcode = opcode, .cid = slot, .nsid = 1,
		.cdw10 = (uint32_t)lba, .cdw11 = (uint32_t)(lba >> 32),
		.cdw12 = nblocks - 1,			/* 0's based */
	};
	size_t len = (size_t)nblocks * c->block_size;
	int ret;

	if (!nblocks || len > c->max_io || slot >= c->io.depth)
		return drv_fail(EINVAL, "bad I/O: %u blocks in slot %u",
				nblocks, slot);
	ret = build_prps(c, slot, buf, off, len, &cmd);
	if (!ret)
		queue_submit(&c->io, &cmd);
	return ret;
}

/* Wait for the next I/O completion and return its slot. */
static int reap_io(struct nvme_ctrl *c, unsigned int *slot)
{
	struct nvme_cqe e;
	char what[64];
	int ret = queue_wait(c, &c->io, &e, "I/O");

	if (ret)
		return ret;
	if (e.cid >= c->io.depth)
		return drv_fail(EIO, "completion for unknown command %u", e.cid);
	*slot = e.cid;
	snprintf(what, sizeof(what), "I/O in slot %u", e.cid);
	return check_status(&e, what);
}

/* Transfer nblocks one command at a time, split at the I/O size limit. */
static int rw_sync(struct nvme_ctrl *c, uint8_t opcode,
		   const struct nio_dma *buf, uint64_t lba, uint64_t nblocks)
{
	uint64_t per_io = c->max_io / c->block_size, n;
	size_t off = 0;
	unsigned int slot;
	int ret;

	for (; nblocks; nblocks -= n, lba += n) {
		n = nblocks < per_io ? nblocks : per_io;
		ret = submit_rw(c, opcode, 0, buf, off, lba, (uint32_t)n);
		if (!ret)
			ret = reap_io(c, &slot);
		if (ret)
			return ret;
		off += n * c->block_size;
	}
	return 0;
}

/* ---- bring-up ------------------------------------------------------------ */

static int check_cap(struct nvme_ctrl *c)
{
	c->cap = reg_read64(c, REG_CAP);
	if (c->cap == UINT64_MAX)
		return drv_fail(ENODEV, "CAP reads all ones: BAR0 is not responding");
	if (CAP_MPSMIN(c->cap) != 0)
		return drv_fail(EOPNOTSUPP, "the controller does not do 4 KiB pages (CAP.MPSMIN %u)",
				CAP_MPSMIN(c->cap));
	if (!CAP_CSS_NVM(c->cap))
		return drv_fail(EOPNOTSUPP, "the controller lacks the NVM command set");
	/* CAP.TO is in 500 ms units; keep a floor for slow emulators. */
	c->ready_ms = CAP_TO(c->cap) * 500;
	if (c->ready_ms < 2000)
		c->ready_ms = 2000;
	return 0;
}

static void copy_trimmed(char *dst, const uint8_t *src, size_t len)
{
	memcpy(dst, src, len);
	dst[len] = '\0';
	while (len && dst[len - 1] == ' ')
		dst[--len] = '\0';
}

static int identify(struct nvme_ctrl *c, uint32_t cns, uint32_t nsid,
		    const char *what)
{
	struct nvme_sqe cmd = {
		.opcode = ADMIN_IDENTIFY, .nsid = nsid, .cdw10 = cns,
		.prp1 = nio_dma_addr(c->ident, 0, NULL),	/* one page */
	};

	memset(c->ident->vaddr, 0, NVME_PAGE);
	return admin_cmd(c, &cmd, what, NULL);
}

static int identify_all(struct nvme_ctrl *c)
{
	const uint8_t *id = c->ident->vaddr;
	unsigned int lbaf, lbads, ms;
	uint64_t limit;
	int ret;

	ret = identify(c, 1, 0, "IDENTIFY controller");
	if (ret)
		return ret;
	copy_trimmed(c->serial, id + 4, 20);
	copy_trimmed(c->model, id + 24, 40);
	copy_trimmed(c->firmware, id + 64, 8);
	c->mdts = id[77];
	if (*(const uint32_t *)(id + 516) < 1)
		return drv_fail(ENODEV, "the controller has no namespaces");

	ret = identify(c, 0, 1, "IDENTIFY namespace 1");
	if (ret)
		return ret;
	c->ns_blocks = *(const uint64_t *)id;			/* NSZE */
	lbaf = (id[26] & 0xf) | (id[26] >> 5 & 3) << 4;		/* FLBAS */
	lbads = id[128 + 4 * lbaf + 2];
	ms = *(const uint16_t *)(id + 128 + 4 * lbaf);
	if (!c->ns_blocks)
		return drv_fail(ENODEV, "namespace 1 is not active");
	if (lbads < 9 || lbads > 12 || ms)
		return drv_fail(EOPNOTSUPP, "namespace 1 uses LBA format %u (2^%u-byte blocks, %u metadata bytes); this driver needs 512..4096 without metadata",
				lbaf, lbads, ms);
	c->block_size = 1u << lbads;

	/* MDTS is a power of two of the minimum page size; 0: no limit. */
	limit = c->mdts ? (uint64_t)NVME_PAGE << c->mdts : UINT64_MAX;
	c->max_io = limit < MAX_IO_BYTES ? (size_t)limit : MAX_IO_BYTES;
	return 0;
}

static int create_io_queues(struct nvme_ctrl *c)
{
	struct nvme_queue *q = &c->io;
	struct nvme_sqe feat = {
		.opcode = ADMIN_SET_FEATURES, .cdw10 = FEAT_NUM_QUEUES,
		.cdw11 = 0,	/* one SQ and one CQ (0's based) */
	};
	struct nvme_sqe cq = {
		.opcode = ADMIN_CREATE_CQ, .prp1 = q->cq_addr,
		.cdw10 = (uint32_t)(q->depth - 1) << 16 | q->qid,
		.cdw11 = QUEUE_PHYS_CONTIG,	/* IEN = 0: we poll */
	};
	struct nvme_sqe sq = {
		.opcode = ADMIN_CREATE_SQ, .prp1 = q->sq_addr,
		.cdw10 = (uint32_t)(q->depth - 1) << 16 | q->qid,
		.cdw11 = (uint32_t)q->qid << 16 | QUEUE_PHYS_CONTIG,
	};
	uint32_t granted;
	int ret;

	ret = admin_cmd(c, &feat, "SET FEATURES number of queues", &granted);
	if (ret)
		return ret;
	c->queues_granted = ((granted & 0xffff) < (granted >> 16) ?
			     (granted & 0xffff) : (granted >> 16)) + 1;
	ret = admin_cmd(c, &cq, "CREATE I/O COMPLETION QUEUE", NULL);
	if (ret)
		return ret;
	ret = admin_cmd(c, &sq, "CREATE I/O SUBMISSION QUEUE", NULL);
	if (ret) {
		struct nvme_sqe del = { .opcode = ADMIN_DELETE_CQ,
					.cdw10 = q->qid };

		admin_cmd(c, &del, "DELETE I/O COMPLETION QUEUE", NULL);
		return ret;
	}
	c->io_queues = true;
	return 0;
}

static int ctrl_start(struct nvme_ctrl *c)
{
	volatile void *bar;
	uint16_t depth;
	int ret;

	ret = nio_bar_map(c->dev, 0, &bar, &c->bar_size);
	if (ret)
		return lib_fail(ret, "mapping BAR0");
	c->bar = bar;
	ret = nio_bus_master(c->dev, true);
	if (ret)
		return lib_fail(ret, "enabling bus mastering");
	ret = check_cap(c);
	if (!ret)
		ret = ctrl_disable(c);
	if (ret)
		return ret;

	depth = CAP_MQES(c->cap) + 1 < MAX_DEPTH ? CAP_MQES(c->cap) + 1 :
						   MAX_DEPTH;
	ret = queue_alloc(c, &c->admin, 0, depth);
	if (!ret)
		ret = queue_alloc(c, &c->io, 1, depth);
	if (!ret)
		ret = dma_alloc(c, (size_t)depth * NVME_PAGE, NIO_DMA_SMALL,
				"PRP lists", &c->prp_lists);
	if (!ret)
		ret = dma_alloc(c, NVME_PAGE, NIO_DMA_SMALL, "IDENTIFY data",
				&c->ident);
	if (!ret)
		ret = ctrl_enable(c);
	if (!ret)
		ret = identify_all(c);
	if (!ret)
		ret = create_io_queues(c);
	return ret;
}

static int ctrl_open(struct nvme_ctrl *c, const char *bdf)
{
	struct nio_pci_info pci;
	int ret;

	ret = nio_pci_info(bdf, &pci);
	if (ret)
		return lib_fail(ret, "reading PCI device %s", bdf);
	info(c, "controller %s [%04x:%04x] class 0x%06x, driver %s", pci.bdf,
	     pci.vendor, pci.device, pci.class_code,
	     pci.driver[0] ? pci.driver : "none");
	ret = nio_ctx_new(&c->ctx);
	if (ret)
		return lib_fail(ret, "creating a libnoiommu context");
	ret = nio_device_open(c->ctx, pci.bdf, NULL, &c->dev);
	if (ret)
		return lib_fail(ret, "opening %s", pci.bdf);
	info(c, "opened %s through %s (path %s)", pci.bdf,
	     nio_device_node(c->dev), nio_path_name(nio_device_path(c->dev)));
	return 0;
}

/* Stop the controller before any memory it could write goes away. */
static int ctrl_close(struct nvme_ctrl *c)
{
	struct nvme_sqe del_sq = { .opcode = ADMIN_DELETE_SQ, .cdw10 = 1 };
	struct nvme_sqe del_cq = { .opcode = ADMIN_DELETE_CQ, .cdw10 = 1 };
	struct nio_dma *bufs[] = { c->admin.sq_mem, c->admin.cq_mem,
				   c->io.sq_mem, c->io.cq_mem, c->prp_lists,
				   c->ident };
	int ret = 0;
	size_t i;

	if (c->enabled && c->io_queues &&
	    (admin_cmd(c, &del_sq, "DELETE I/O SUBMISSION QUEUE", NULL) ||
	     admin_cmd(c, &del_cq, "DELETE I/O COMPLETION QUEUE", NULL)))
		ret = -EIO;
	if (c->enabled && ctrl_shutdown(c))
		ret = -EIO;
	else if (c->enabled)
		info(c, "controller shut down cleanly");
	if (c->bar && c->ready_ms && ctrl_disable(c))
		ret = -EIO;
	/* No more DMA from here on, even from a controller that hung. */
	if (c->dev)
		nio_bus_master(c->dev, false);
	for (i = 0; i < sizeof(bufs) / sizeof(*bufs); i++)
		if (bufs[i] && nio_dma_free(c->ctx, bufs[i]))
			ret = lib_fail(-EIO, "freeing a DMA buffer");
	nio_device_close(c->dev);
	nio_ctx_free(c->ctx);
	return ret;
}

/* ---- data patterns ------------------------------------------------------- */

/* 512-byte unit `sector` of the disk (lab/make-disk) or of our pattern. */
static void pattern_sector(const struct pattern *p, uint64_t sector,
			   uint8_t out[SECTOR])
{
	uint64_t v = sector;
	size_t i;
	int n;

	if (p->written) {
		n = snprintf((char *)out, SECTOR,
			     "nvme-example LBA %016" PRIu64 " seed %08" PRIx32 " ",
			     sector, p->seed);
		for (i = (size_t)n; i < SECTOR; i++)
			out[i] = (uint8_t)(p->seed + sector * 7 + i);
		return;
	}
	/* "LAB-NVME LBA %016d" by hand: this runs for every block read. */
	memcpy(out, "LAB-NVME LBA ", 13);
	for (i = 28; i >= 13; i--, v /= 10)
		out[i] = (uint8_t)('0' + v % 10);
	memset(out + 29, (int)(sector & 0xff), SECTOR - 29);
}

static void fill_pattern(const struct nvme_ctrl *c, const struct pattern *p,
			 uint8_t *data, uint64_t lba, uint64_t nblocks)
{
	uint64_t spb = c->block_size / SECTOR, i;

	for (i = 0; i < nblocks * spb; i++)
		pattern_sector(p, lba * spb + i, data + i * SECTOR);
}

/* True when all nblocks hold the pattern; else the first bad byte. */
static bool check_blocks(const struct nvme_ctrl *c, const struct pattern *p,
			 const uint8_t *data, uint64_t lba, uint64_t nblocks,
			 struct mismatch *m)
{
	uint64_t spb = c->block_size / SECTOR, i;
	uint8_t want[SECTOR];
	const uint8_t *got;
	size_t j;

	for (i = 0; i < nblocks * spb; i++) {
		got = data + i * SECTOR;
		pattern_sector(p, lba * spb + i, want);
		if (!memcmp(got, want, SECTOR))
			continue;
		for (j = 0; got[j] == want[j]; j++)
			;
		m->lba = lba + i / spb;
		m->offset = (size_t)(i % spb) * SECTOR + j;
		m->expected = want[j];
		m->found = got[j];
		return false;
	}
	return true;
}

static void report_mismatch(const struct mismatch *m, const char *pattern)
{
	fflush(stdout);
	fprintf(stderr, "nvme-example: data mismatch against %s at LBA %" PRIu64 " offset %zu: expected 0x%02x, found 0x%02x\n",
		pattern, m->lba, m->offset, m->expected, m->found);
}

static void hexdump(const uint8_t *p, size_t len)
{
	size_t off, i;

	for (off = 0; off < len; off += 16) {
		printf("  %04zx ", off);
		for (i = 0; i < 16; i++)
			printf("%s%02x", i == 8 ? "  " : " ", p[off + i]);
		printf("  |");
		for (i = 0; i < 16; i++)
			putchar(isprint(p[off + i]) ? p[off + i] : '.');
		printf("|\n");
	}
}

/* ---- commands -------------------------------------------------------- */

struct options {
	char bdf[NIO_BDF_LEN];
	bool quiet, random;
	unsigned int given;		/* OPT_* seen on the command line */
	uint64_t lba, blocks;		/* read, write-read */
	uint64_t lbas, io_size, seed;
	unsigned int qd;
	double seconds;
};

enum {
	OPT_LBAS = 1 << 0, OPT_IO_SIZE = 1 << 1, OPT_RANDOM = 1 << 2,
	OPT_SEED = 1 << 3, OPT_QD = 1 << 4, OPT_SECONDS = 1 << 5,
	OPT_LBA = 1 << 6, OPT_BLOCKS = 1 << 7,
};

static int cmd_identify(struct nvme_ctrl *c, const struct options *o)
{
	const char *kind = nio_device_path(c->dev) == NIO_PATH_IOMMU_CDEV ?
			   "IOVA" : "physical";
	uint32_t vs = reg_read32(c, REG_VS);
	char size[32];

	(void)o;
	printf("nvme: path %s (%s)\n", nio_path_name(nio_device_path(c->dev)),
	       nio_device_why(c->dev));
	printf("nvme: serial %s, model %s, firmware %s, NVMe %u.%u\n",
	       c->serial, c->model, c->firmware, vs >> 16, (vs >> 8) & 0xff);
	printf("nvme: namespace 1: %" PRIu64 " blocks of %u bytes (%s)\n",
	       c->ns_blocks, c->block_size,
	       human(c->ns_blocks * c->block_size, size));
	printf("nvme: MDTS %u (%s), so at most %s per command here (one PRP list page)\n",
	       c->mdts, c->mdts ? "2^n pages" : "no limit",
	       human(c->max_io, size));
	printf("nvme: admin SQ at 0x%" PRIx64 " (%s), %u entries of 64 bytes\n",
	       c->admin.sq_addr, kind, c->admin.depth);
	printf("nvme: admin CQ at 0x%" PRIx64 " (%s), %u entries of 16 bytes\n",
	       c->admin.cq_addr, kind, c->admin.depth);
	info(c, "I/O SQ 1 at 0x%" PRIx64 ", CQ 1 at 0x%" PRIx64 " (polled, no interrupts)",
	     c->io.sq_addr, c->io.cq_addr);
	info(c, "CAP 0x%016" PRIx64 ": MQES %u, doorbell stride %u bytes, ready timeout %u ms; %u I/O queue pair(s) granted",
	     c->cap, CAP_MQES(c->cap) + 1, 4u << CAP_DSTRD(c->cap),
	     CAP_TO(c->cap) * 500, c->queues_granted);
	return 0;
}

static int cmd_read(struct nvme_ctrl *c, const struct options *o)
{
	struct pattern disk = { .written = false };
	struct nio_dma *buf = NULL;
	uint64_t i, same = 0;
	struct mismatch m;
	const uint8_t *blk;
	char size[32];
	int ret;

	if (o->lba >= c->ns_blocks || o->blocks > c->ns_blocks - o->lba ||
	    !o->blocks) {
		fprintf(stderr, "nvme-example: read: LBA %" PRIu64 " + %" PRIu64 " blocks is outside namespace 1 (%" PRIu64 " blocks)\n",
			o->lba, o->blocks, c->ns_blocks);
		return EXIT_USAGE;
	}
	if (dma_alloc(c, o->blocks * c->block_size, 0, "the read buffer", &buf))
		return EXIT_DEVICE;
	ret = rw_sync(c, NVM_READ, buf, o->lba, o->blocks);
	for (i = 0; !ret && i < o->blocks; i++) {
		blk = (const uint8_t *)buf->vaddr + i * c->block_size;
		same += check_blocks(c, &disk, blk, o->lba + i, 1, &m);
		if (o->quiet)
			continue;
		printf("LBA %" PRIu64 ":\n", o->lba + i);
		hexdump(blk, c->block_size < 64 ? c->block_size : 64);
	}
	if (!ret)
		printf("nvme: read %" PRIu64 " blocks (%s) at LBA %" PRIu64 ": %" PRIu64 " hold the disk pattern\n",
		       o->blocks, human(o->blocks * c->block_size, size), o->lba,
		       same);
	nio_dma_free(c->ctx, buf);
	return ret ? EXIT_DEVICE : 0;
}

/* Reads verified against the disk pattern, qd at a time, in any order. */
struct stream {
	struct nvme_ctrl *c;
	struct nio_dma *buf;		/* qd slots of slot_bytes */
	size_t slot_bytes;
	unsigned int qd, inflight;
	uint64_t lba[MAX_DEPTH];
	uint32_t nblocks[MAX_DEPTH];
};

static int stream_open(struct stream *s, struct nvme_ctrl *c, unsigned int qd,
		       uint64_t io_size)
{
	*s = (struct stream){ .c = c, .qd = qd };
	s->slot_bytes = (io_size + NVME_PAGE - 1) / NVME_PAGE * NVME_PAGE;
	return dma_alloc(c, qd * s->slot_bytes, 0, "the I/O buffers", &s->buf);
}

static int stream_submit(struct stream *s, unsigned int slot, uint64_t lba,
			 uint32_t nblocks)
{
	int ret = submit_rw(s->c, NVM_READ, (uint16_t)slot, s->buf,
			    slot * s->slot_bytes, lba, nblocks);

	if (!ret) {
		s->lba[slot] = lba;
		s->nblocks[slot] = nblocks;
		s->inflight++;
	}
	return ret;
}

/* Wait for one read; false in *ok when its data is not the pattern. */
static int stream_reap(struct stream *s, unsigned int *slot, bool *ok,
		       struct mismatch *m)
{
	struct pattern disk = { .written = false };
	int ret = reap_io(s->c, slot);

	s->inflight--;
	if (ret)
		return ret;
	*ok = check_blocks(s->c, &disk,
			   (uint8_t *)s->buf->vaddr + *slot * s->slot_bytes,
			   s->lba[*slot], s->nblocks[*slot], m);
	return 0;
}

/*
 * Let outstanding reads finish before their buffer goes away. If the
 * controller hung, keep the buffer: nio_ctx_free() releases it once the
 * controller is stopped.
 */
static void stream_close(struct stream *s)
{
	unsigned int slot;

	while (s->inflight) {
		s->inflight--;
		if (reap_io(s->c, &slot) == -ETIMEDOUT)
			return;
	}
	nio_dma_free(s->c->ctx, s->buf);
}

/* Read chunk number `chunk` of [0, nlbas), the last one maybe shorter. */
static int submit_chunk(struct stream *s, unsigned int slot, uint64_t chunk,
			uint64_t per_io, uint64_t nlbas)
{
	uint64_t lba = chunk * per_io;

	return stream_submit(s, slot, lba, (uint32_t)(nlbas - lba < per_io ?
						      nlbas - lba : per_io));
}

static int check_io_size(const struct nvme_ctrl *c, uint64_t io_size)
{
	if (io_size && io_size % c->block_size == 0 && io_size <= c->max_io)
		return 0;
	fprintf(stderr, "nvme-example: --io-size %" PRIu64 " must be a multiple of the %u-byte block size, at most %zu bytes\n",
		io_size, c->block_size, c->max_io);
	return EXIT_USAGE;
}

static int cmd_verify(struct nvme_ctrl *c, const struct options *o)
{
	uint64_t nlbas = o->given & OPT_LBAS ? o->lbas : c->ns_blocks;
	uint64_t per_io = o->io_size / c->block_size, nios, next, i, done = 0;
	uint64_t rng = o->seed, *order = NULL;
	unsigned int slot, qd = o->qd < c->io.depth - 1u ? o->qd :
						       c->io.depth - 1u;
	struct stream s;
	struct mismatch m;
	double start;
	char size[32];
	bool ok = true;
	int ret;

	ret = check_io_size(c, o->io_size);
	if (ret)
		return ret;
	if (!nlbas || nlbas > c->ns_blocks) {
		fprintf(stderr, "nvme-example: --lbas must be 1..%" PRIu64 "\n",
			c->ns_blocks);
		return EXIT_USAGE;
	}
	nios = (nlbas + per_io - 1) / per_io;
	order = malloc(nios * sizeof(*order));
	if (!order) {
		drv_fail(ENOMEM, "out of memory");
		return EXIT_DEVICE;
	}
	for (i = 0; i < nios; i++)
		order[i] = i;
	for (i = nios - 1; o->random && i > 0; i--) {	/* Fisher-Yates */
		uint64_t j = rng_next(&rng) % (i + 1), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	if (stream_open(&s, c, qd, o->io_size)) {
		free(order);
		return EXIT_DEVICE;
	}
	info(c, "verifying %" PRIu64 " blocks in %" PRIu64 " reads of up to %s, %s order, queue depth %u",
	     nlbas, nios, human(o->io_size, size),
	     o->random ? "random" : "sequential", qd);
	start = now_s();
	for (next = 0; !ret && next < qd && next < nios; next++)
		ret = submit_chunk(&s, (unsigned int)next, order[next], per_io,
				   nlbas);
	while (!ret && s.inflight) {
		ret = stream_reap(&s, &slot, &ok, &m);
		if (ret || !ok)
			break;
		done += s.nblocks[slot];
		if (next < nios)
			ret = submit_chunk(&s, slot, order[next++], per_io,
					   nlbas);
	}
	stream_close(&s);
	free(order);
	if (ret)
		return EXIT_DEVICE;
	if (!ok) {
		report_mismatch(&m, "the disk pattern");
		printf("nvme: %" PRIu64 " blocks verified before the mismatch\n",
		       done);
		return EXIT_MISMATCH;
	}
	printf("nvme: verified %" PRIu64 " blocks (%s) against the disk pattern in %.2f s\n",
	       done, human(done * c->block_size, size), now_s() - start);
	return 0;
}

static int cmd_randread(struct nvme_ctrl *c, const struct options *o)
{
	uint64_t per_io = o->io_size / c->block_size, rng = o->seed;
	uint64_t align = c->block_size < NVME_PAGE ? NVME_PAGE / c->block_size
						   : 1;
	uint64_t npos, ios = 0, bad = 0;
	unsigned int slot, qd = o->qd;
	double start, end, elapsed;
	struct mismatch m;
	struct stream s;
	int ret = 0;
	bool ok;

	ret = check_io_size(c, o->io_size);
	if (ret)
		return ret;
	if (qd > c->io.depth - 1u) {
		qd = c->io.depth - 1u;	/* one SQ slot always stays empty */
		info(c, "queue depth capped at %u by the queue size", qd);
	}
	if (per_io > c->ns_blocks) {
		fprintf(stderr, "nvme-example: --io-size is larger than namespace 1\n");
		return EXIT_USAGE;
	}
	npos = (c->ns_blocks - per_io) / align + 1;
	if (stream_open(&s, c, qd, o->io_size))
		return EXIT_DEVICE;
	info(c, "random %s reads at queue depth %u for %.1f s",
	     human(o->io_size, (char[32]){ 0 }), qd, o->seconds);
	start = now_s();
	end = start + o->seconds;
	for (slot = 0; !ret && slot < qd; slot++)
		ret = stream_submit(&s, slot, rng_next(&rng) % npos * align,
				    (uint32_t)per_io);
	while (!ret && s.inflight) {
		ret = stream_reap(&s, &slot, &ok, &m);
		if (ret)
			break;
		ios++;
		if (!ok && bad++ < 5)
			report_mismatch(&m, "the disk pattern");
		if (now_s() < end)
			ret = stream_submit(&s, slot,
					    rng_next(&rng) % npos * align,
					    (uint32_t)per_io);
	}
	elapsed = now_s() - start;
	stream_close(&s);
	if (ret)
		return EXIT_DEVICE;
	printf("iops=%.0f qd=%u seconds=%.2f ios=%" PRIu64 "\n",
	       ios / elapsed, qd, elapsed, ios);
	if (bad) {
		fprintf(stderr, "nvme-example: %" PRIu64 " of %" PRIu64 " reads did not hold the disk pattern\n",
			bad, ios);
		return EXIT_MISMATCH;
	}
	info(c, "all %" PRIu64 " reads held the disk pattern", ios);
	return 0;
}

/* Write the pattern from wbuf, read it back into rbuf and compare. */
static int write_read_back(struct nvme_ctrl *c, const struct pattern *p,
			   const struct nio_dma *wbuf,
			   const struct nio_dma *rbuf, uint64_t lba,
			   uint64_t nblocks)
{
	struct mismatch m;
	int ret;

	fill_pattern(c, p, wbuf->vaddr, lba, nblocks);
	ret = rw_sync(c, NVM_WRITE, wbuf, lba, nblocks);
	if (ret)
		return EXIT_DEVICE;
	memset(rbuf->vaddr, 0, nblocks * c->block_size);
	ret = rw_sync(c, NVM_READ, rbuf, lba, nblocks);
	if (ret)
		return EXIT_DEVICE;
	if (!check_blocks(c, p, rbuf->vaddr, lba, nblocks, &m)) {
		report_mismatch(&m, "the pattern just written");
		return EXIT_MISMATCH;
	}
	return 0;
}

/*
 * Caller memory whose pages are physically scattered: each page is
 * faulted in with a fresh spacer page faulted between it and the next, so
 * the page allocator cannot hand out neighbours in order.
 */
static uint8_t *scattered_alloc(void *spacers[SCATTER_PAGES])
{
	size_t len = SCATTER_PAGES * NVME_PAGE, i;
	uint8_t *mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (mem == MAP_FAILED)
		return NULL;
	for (i = 0; i < SCATTER_PAGES; i++) {
		mem[i * NVME_PAGE] = 1;
		spacers[i] = mmap(NULL, NVME_PAGE, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
				  -1, 0);
	}
	return mem;
}

static int scattered_round_trip(struct nvme_ctrl *c, const struct pattern *p,
				uint64_t lba)
{
	uint64_t nblocks = SCATTER_PAGES * NVME_PAGE / c->block_size;
	void *spacers[SCATTER_PAGES] = { NULL };
	struct nio_dma *dma = NULL;
	uint8_t *mem;
	size_t i;
	int ret;

	mem = scattered_alloc(spacers);
	if (!mem) {
		drv_fail(ENOMEM, "mmap of the scattered buffer failed");
		return EXIT_DEVICE;
	}
	ret = nio_dma_map(c->ctx, mem, SCATTER_PAGES * NVME_PAGE, 0, &dma);
	if (ret) {
		lib_fail(ret, "mapping the scattered buffer");
		ret = EXIT_DEVICE;
		goto out;
	}
	printf("nvme: scattered buffer: %u KiB of caller memory in %zu segment(s) for the device\n",
	       SCATTER_PAGES * NVME_PAGE / 1024, dma->nsegs);
	for (i = 0; i < dma->nsegs && !c->quiet; i++)
		printf("nvme:   segment %zu: offset 0x%05zx -> 0x%" PRIx64 ", %" PRIu64 " bytes\n",
		       i, dma->segs[i].offset, dma->segs[i].addr,
		       dma->segs[i].len);
	if (dma->nsegs < 2)
		info(c, "(contiguous after all: the PRP list still names every page)");
	/* The same buffer is the source of the write and the target of the
	 * read, so both directions go through the scattered PRP list. */
	ret = write_read_back(c, p, dma, dma, lba, nblocks);
	if (!ret)
		printf("nvme: wrote and read back %" PRIu64 " blocks at LBA %" PRIu64 " through it (PRP1 + a list of %u entries)\n",
		       nblocks, lba, SCATTER_PAGES - 1);
	if (nio_dma_free(c->ctx, dma) && !ret) {
		lib_fail(-EIO, "unmapping the scattered buffer");
		ret = EXIT_DEVICE;
	}
out:
	for (i = 0; i < SCATTER_PAGES; i++)
		if (spacers[i] && spacers[i] != MAP_FAILED)
			munmap(spacers[i], NVME_PAGE);
	munmap(mem, SCATTER_PAGES * NVME_PAGE);
	return ret;
}

static int cmd_write_read(struct nvme_ctrl *c, const struct options *o)
{
	struct pattern p = { .written = true };
	uint64_t scatter_blocks = SCATTER_PAGES * NVME_PAGE / c->block_size;
	struct nio_dma *wbuf = NULL, *rbuf = NULL;
	size_t bytes = o->blocks * c->block_size;
	char size[32];
	int ret;

	p.seed = o->given & OPT_SEED ? (uint32_t)o->seed :
		 (uint32_t)(time(NULL) ^ getpid() << 16);
	if (!o->blocks || o->lba >= c->ns_blocks ||
	    c->ns_blocks - o->lba < o->blocks + scatter_blocks) {
		fprintf(stderr, "nvme-example: write-read: LBA %" PRIu64 " + %" PRIu64 " blocks + %" PRIu64 " for the scattered test is outside namespace 1 (%" PRIu64 " blocks)\n",
			o->lba, o->blocks, scatter_blocks, c->ns_blocks);
		return EXIT_USAGE;
	}
	if (dma_alloc(c, bytes, 0, "the write buffer", &wbuf) ||
	    dma_alloc(c, bytes, 0, "the read buffer", &rbuf)) {
		ret = EXIT_DEVICE;
		goto out;
	}
	info(c, "writing %" PRIu64 " blocks at LBA %" PRIu64 " with seed 0x%08x, reading them back into another buffer",
	     o->blocks, o->lba, p.seed);
	ret = write_read_back(c, &p, wbuf, rbuf, o->lba, o->blocks);
	if (ret)
		goto out;
	printf("nvme: wrote and read back %" PRIu64 " blocks (%s) at LBA %" PRIu64 ": identical (seed 0x%08x)\n",
	       o->blocks, human(bytes, size), o->lba, p.seed);
	ret = scattered_round_trip(c, &p, o->lba + o->blocks);
out:
	nio_dma_free(c->ctx, rbuf);
	nio_dma_free(c->ctx, wbuf);
	return ret;
}

/* ---- command line ---------------------------------------------------- */

struct command {
	const char *name;
	int nargs;
	unsigned int opts;		/* OPT_* the command takes */
	int (*run)(struct nvme_ctrl *c, const struct options *o);
	unsigned int qd;		/* defaults */
	uint64_t io_size;
};

static const struct command commands[] = {
	{ "identify", 0, 0, cmd_identify },
	{ "read", 2, 0, cmd_read },
	{ "verify", 0, OPT_LBAS | OPT_IO_SIZE | OPT_RANDOM | OPT_SEED | OPT_QD,
	  cmd_verify, 4, 4096 },
	{ "write-read", 0, OPT_LBA | OPT_BLOCKS | OPT_SEED, cmd_write_read },
	{ "randread", 0, OPT_QD | OPT_SECONDS | OPT_IO_SIZE | OPT_SEED,
	  cmd_randread, 1, 4096 },
};

static void usage(FILE *f)
{
	fputs("Usage: nvme-example [--bdf BDF] [--quiet] COMMAND [ARGS]\n"
	      "\n"
	      "A small userspace NVMe driver on libnoiommu: one admin and one I/O queue\n"
	      "pair, polled, with PRPs built from the library's DMA segment lists.\n"
	      "\n"
	      "Commands:\n"
	      "  identify            DMA path and why, controller, namespace 1, MDTS,\n"
	      "                      admin queue addresses\n"
	      "  read LBA COUNT      read COUNT blocks at LBA, hexdump 64 bytes of each\n"
	      "  verify [--lbas N] [--io-size BYTES] [--qd N] [--random] [--seed S]\n"
	      "                      read N blocks (default: all) from LBA 0 and check\n"
	      "                      lab/make-disk's pattern (io-size 4K, qd 4)\n"
	      "  write-read [--lba L] [--blocks N] [--seed S]\n"
	      "                      write a new pattern at L (default 1024, 64 blocks),\n"
	      "                      read it back and compare; then the same through\n"
	      "                      64 KiB of physically scattered caller memory\n"
	      "  randread [--qd N] [--seconds S] [--io-size BYTES] [--seed S]\n"
	      "                      random 4 KiB-aligned reads (default qd 1, 5 s,\n"
	      "                      4 KiB), each checked against the disk pattern;\n"
	      "                      prints iops=<n> qd=<n> seconds=<f> ios=<n>\n"
	      "\n"
	      "Options:\n"
	      "  --bdf BDF           controller to use (default: the first PCI device\n"
	      "                      of class 0x010802); it must be bound to vfio-pci\n"
	      "  --quiet             print only the essential lines\n"
	      "  -h, --help          this help\n"
	      "Sizes take K and M suffixes (KiB, MiB). Queue depth is 1..64, capped\n"
	      "by the queue size; I/O size by MDTS and one PRP list page.\n"
	      "\n"
	      "Exit status: 0 success, 1 data mismatch, 2 usage error, 3 device or\n"
	      "library error.\n", f);
}

static bool parse_u64(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *s == '-')
		return false;
	if (*end == 'k' || *end == 'K')
		v <<= 10, end++;
	else if (*end == 'm' || *end == 'M')
		v <<= 20, end++;
	if (*end || v >> 50)
		return false;
	*out = v;
	return true;
}

static int bad_value(const char *opt, const char *val)
{
	fprintf(stderr, "nvme-example: bad value '%s' for %s (--help for usage)\n",
		val, opt);
	return EXIT_USAGE;
}

static int parse_option(int opt, const char *name, const char *arg,
			struct options *o)
{
	uint64_t v = 0;
	char *end;
	int ret;

	switch (opt) {
	case 'b':
		ret = nio_bdf_normalize(arg, o->bdf);
		if (ret)
			lib_fail(ret, "--bdf %s", arg);
		return ret ? EXIT_USAGE : 0;
	case 'q':
		o->quiet = true;
		return 0;
	case 'r':
		o->random = true;
		return 0;
	case 'S':
		o->seconds = strtod(arg, &end);
		return *end || !(o->seconds > 0) ? bad_value(name, arg) : 0;
	}
	if (!parse_u64(arg, &v))
		return bad_value(name, arg);
	switch (opt) {
	case 'n':
		o->lbas = v;
		break;
	case 'i':
		o->io_size = v;
		break;
	case 's':
		o->seed = v;
		break;
	case 'd':
		if (v < 1 || v > MAX_DEPTH)
			return bad_value(name, arg);
		o->qd = (unsigned int)v;
		break;
	case 'l':
		o->lba = v;
		break;
	case 'c':
		o->blocks = v;
		break;
	}
	return 0;
}

/* Fill o and return the command; *status is non-zero when we must stop. */
static const struct command *parse_args(int argc, char **argv,
					struct options *o, int *status)
{
	static const struct option longopts[] = {
		{ "bdf", required_argument, NULL, 'b' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "lbas", required_argument, NULL, 'n' },
		{ "io-size", required_argument, NULL, 'i' },
		{ "random", no_argument, NULL, 'r' },
		{ "seed", required_argument, NULL, 's' },
		{ "qd", required_argument, NULL, 'd' },
		{ "seconds", required_argument, NULL, 'S' },
		{ "lba", required_argument, NULL, 'l' },
		{ "blocks", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	static const char bits[] = "nirsdSlc";	/* order of OPT_* */
	const struct command *cmd = NULL;
	int opt, idx, nargs;
	size_t i;

	while ((opt = getopt_long(argc, argv, "h", longopts, &idx)) != -1) {
		if (opt == 'h') {
			usage(stdout);
			*status = -1;
			return NULL;
		}
		if (opt == '?') {
			*status = EXIT_USAGE;
			return NULL;
		}
		if (strchr(bits, opt))
			o->given |= 1u << (strchr(bits, opt) - bits);
		*status = parse_option(opt, longopts[idx].name, optarg, o);
		if (*status)
			return NULL;
	}
	for (i = 0; optind < argc && i < sizeof(commands) / sizeof(*commands);
	     i++)
		if (!strcmp(argv[optind], commands[i].name))
			cmd = &commands[i];
	if (cmd && !(o->given & OPT_QD))
		o->qd = cmd->qd;
	if (cmd && !(o->given & OPT_IO_SIZE))
		o->io_size = cmd->io_size;
	*status = EXIT_USAGE;
	if (!cmd) {
		fprintf(stderr, "nvme-example: %s (--help for usage)\n",
			optind < argc ? "unknown command" : "no command given");
		return NULL;
	}
	nargs = argc - optind - 1;
	if (nargs != cmd->nargs) {
		fprintf(stderr, "nvme-example: %s takes %d argument(s)\n",
			cmd->name, cmd->nargs);
		return NULL;
	}
	if (o->given & ~cmd->opts) {
		fprintf(stderr, "nvme-example: an option given does not apply to %s\n",
			cmd->name);
		return NULL;
	}
	if (cmd->nargs && (!parse_u64(argv[optind + 1], &o->lba) ||
			   !parse_u64(argv[optind + 2], &o->blocks))) {
		fprintf(stderr, "nvme-example: read LBA COUNT: bad number\n");
		return NULL;
	}
	*status = 0;
	return cmd;
}

static int find_nvme(char bdf[NIO_BDF_LEN])
{
	struct nio_pci_info *list;
	size_t n, i;
	int ret = nio_pci_list(&list, &n);

	if (ret)
		return lib_fail(ret, "listing PCI devices");
	for (i = 0; i < n && list[i].class_code != NVME_CLASS; i++)
		;
	if (i < n)
		memcpy(bdf, list[i].bdf, NIO_BDF_LEN);
	free(list);
	return i < n ? 0 : drv_fail(ENODEV, "no NVMe controller (PCI class 0x%06x) found; use --bdf",
				    NVME_CLASS);
}

int main(int argc, char **argv)
{
	struct options o = {
		.lba = 1024, .blocks = 64, .seed = 1, .seconds = 5,
	};
	const struct command *cmd;
	struct nvme_ctrl c = { 0 };
	int status;

	cmd = parse_args(argc, argv, &o, &status);
	if (!cmd)
		return status < 0 ? 0 : status;
	c.quiet = o.quiet;
	status = EXIT_DEVICE;
	if ((o.bdf[0] || !find_nvme(o.bdf)) && !ctrl_open(&c, o.bdf) &&
	    !ctrl_start(&c))
		status = cmd->run(&c, &o);
	if (ctrl_close(&c) && !status)
		status = EXIT_DEVICE;
	return status;
}

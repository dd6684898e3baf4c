// SPDX-License-Identifier: GPL-2.0
/*
 * nvme-example: a small userspace NVMe driver on libnoiommu.
 *
 * It takes an NVMe controller bound to vfio-pci, brings it up by hand (one
 * admin and one I/O queue pair, polled, no interrupts) and moves data with
 * PRPs built from the device addresses libnoiommu gives for any pointer
 * into a DMA buffer (nio_vtophys()). Queues, PRP lists and the IDENTIFY
 * page are objects of the library's DMA pool; registers and doorbells go
 * through its MMIO accessors, which order them after the memory the
 * controller will read. The same code runs on every DMA path the library
 * offers: only the addresses differ (physical on the no-IOMMU paths, IOVAs
 * behind an IOMMU).
 *
 * Register and command layouts: NVMe base specification 1.4. Run with
 * --help for the commands.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "noiommu.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "NVMe structures are little endian and this example does not swap"
#endif

#define NVME_CLASS	0x010802	/* mass storage, NVM, NVMe */
#define NVME_PAGE	4096u		/* CC.MPS = 0 */
#define PRPS_PER_PAGE	(NVME_PAGE / 8)
#define MAX_IO_BYTES	(PRPS_PER_PAGE * NVME_PAGE)	/* one PRP list */
#define MAX_DEPTH	64
#define TIMEOUT_MS	5000		/* per command; TCG is slow */
#define SECTOR		512		/* unit of the disk pattern */
#define SCATTER_PAGES	16
#define PRINTF(a, b)	__attribute__((format(printf, a, b)))

enum { EXIT_MISMATCH = 1, EXIT_USAGE = 2, EXIT_DEVICE = 3 };

/* Controller registers in BAR0 */
#define REG_CAP		0x00
#define REG_VS		0x08
#define REG_CC		0x14
#define REG_CSTS	0x1c
#define REG_AQA		0x24
#define REG_ASQ		0x28
#define REG_ACQ		0x30
#define REG_DOORBELLS	0x1000

#define CAP_MQES(cap)	((unsigned int)((cap) & 0xffff))
#define CAP_TO(cap)	((unsigned int)((cap) >> 24 & 0xff))
#define CAP_DSTRD(cap)	((unsigned int)((cap) >> 32 & 0xf))
#define CAP_CSS_NVM(cap) ((unsigned int)((cap) >> 37 & 1))
#define CAP_MPSMIN(cap)	((unsigned int)((cap) >> 48 & 0xf))

#define CC_EN		(1u << 0)
#define CC_SHN_NORMAL	(1u << 14)
#define CC_IOSQES	(6u << 16)	/* 64-byte SQ entries */
#define CC_IOCQES	(4u << 20)	/* 16-byte CQ entries */
#define CSTS_RDY	(1u << 0)
#define CSTS_CFS	(1u << 1)
#define CSTS_SHST_MASK	(3u << 2)
#define CSTS_SHST_DONE	(2u << 2)

enum {
	ADMIN_DELETE_SQ = 0x00, ADMIN_CREATE_SQ = 0x01,
	ADMIN_DELETE_CQ = 0x04, ADMIN_CREATE_CQ = 0x05,
	ADMIN_IDENTIFY = 0x06, ADMIN_SET_FEATURES = 0x09,
	NVM_WRITE = 0x01, NVM_READ = 0x02,
};
#define FEAT_NUM_QUEUES	0x07
#define QUEUE_CONTIG	(1u << 0)	/* CREATE xQ: physically contiguous */

struct nvme_sqe {
	uint8_t opcode, flags;
	uint16_t cid;
	uint32_t nsid;
	uint64_t rsvd, mptr, prp1, prp2;
	uint32_t cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
};

struct nvme_cqe {
	uint32_t result, rsvd;
	uint16_t sq_head, sq_id, cid;
	uint16_t status;	/* bit 0 phase tag, SC, SCT, CRD, M, DNR */
};

_Static_assert(sizeof(struct nvme_sqe) == 64, "SQ entry is 64 bytes");
_Static_assert(sizeof(struct nvme_cqe) == 16, "CQ entry is 16 bytes");

/* What the fast path did (randread --stats); counted always, cheaply. */
struct queue_stats {
	uint64_t cmds, sq_doorbells, cq_doorbells, polls, empty_polls;
	uint64_t prp_lists, idles;
	bool sample_cpu;	/* sched_getcpu() every 1024 polls */
	int last_cpu;
	uint64_t cpu_samples, cpu_migrations, cpus_seen;	/* CPU < 64 */
};

/* A submission queue and the completion queue it posts to. */
struct nvme_queue {
	uint16_t qid, depth, sq_tail, cq_head;
	uint16_t phase;		/* phase tag of entries not yet consumed */
	bool batch;		/* the caller rings the doorbells (not --no-batch) */
	unsigned int idle_us;	/* sleep when waiting (--idle-us) */
	struct queue_stats st;
	void *sq_mem, *cq_mem;	/* DMA pool objects, one page each */
	uint64_t sq_addr, cq_addr;
	struct nvme_sqe *sq;
	volatile struct nvme_cqe *cq;
	volatile void *bar;
	size_t sq_db, cq_db;	/* doorbell offsets in the BAR */
};

struct nvme_ctrl {
	bool quiet, enabled, io_queues;
	struct nio_ctx *ctx;
	struct nio_device *dev;
	volatile void *bar;
	size_t bar_size;
	uint64_t cap;
	unsigned int ready_ms;		/* CAP.TO: how long RDY may take */
	struct nvme_queue admin, io;
	void *prp_list[MAX_DEPTH];	/* a pool page per I/O command slot */
	uint64_t prp_list_addr[MAX_DEPTH];
	void *ident;			/* IDENTIFY data: a pool page */
	uint64_t ident_addr;
	uint16_t admin_cid;
	char serial[21], model[41], firmware[9];
	unsigned int mdts;
	uint64_t ns_blocks;
	uint32_t block_size;
	size_t max_io;			/* bytes per command */
};

/* ---- messages and small helpers ---------------------------------------- */

static PRINTF(2, 3) void info(const struct nvme_ctrl *c, const char *fmt, ...)
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

static void vfail(const char *why, const char *fmt, va_list ap)
{
	fflush(stdout);
	fputs("nvme-example: ", stderr);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "%s%s\n", why ? ": " : "", why ? why : "");
}

/* A libnoiommu call failed: what we were doing, then the library's why. */
static PRINTF(2, 3) int lib_fail(int ret, const char *fmt, ...)
{
	const char *why = nio_errmsg();
	va_list ap;

	va_start(ap, fmt);
	vfail(*why ? why : strerror(-ret), fmt, ap);
	va_end(ap);
	return ret;
}

/* The driver itself failed (timeout, NVMe status, bad layout). */
static PRINTF(2, 3) int drv_fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(NULL, fmt, ap);
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

/* xorshift64*: reproducible from --seed and cheap under TCG. */
static uint64_t rng_next(uint64_t *state)
{
	uint64_t x = *state ? *state : 0x9e3779b97f4a7c15ULL;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* ---- registers and controller state ---------------------------------- */

/* 64-bit registers as two dwords, low first: every controller takes it. */
static void reg_write64(const struct nvme_ctrl *c, unsigned int off,
			uint64_t val)
{
	nio_mmio_write32(c->bar, off, (uint32_t)val);
	nio_mmio_write32(c->bar, off + 4, (uint32_t)(val >> 32));
}

/* Wait until (CSTS & mask) == want; a fatal status ends the wait early. */
static int wait_csts(const struct nvme_ctrl *c, uint32_t mask, uint32_t want,
		     unsigned int timeout_ms, const char *what)
{
	struct timespec ms = { 0, 1000000 };
	double deadline = now_s() + timeout_ms / 1000.0;
	uint32_t csts;

	for (;;) {
		csts = nio_mmio_read32(c->bar, REG_CSTS);
		if (csts == UINT32_MAX)
			return drv_fail(ENODEV, "%s: CSTS reads all ones, the controller is gone",
					what);
		if ((csts & mask) == want)
			return 0;
		if (csts & CSTS_CFS)
			return drv_fail(EIO, "%s: controller fatal status (CSTS 0x%x)",
					what, csts);
		if (now_s() > deadline)
			return drv_fail(ETIMEDOUT, "%s: still CSTS 0x%x after %u ms",
					what, csts, timeout_ms);
		nanosleep(&ms, NULL);
	}
}

static int ctrl_disable(struct nvme_ctrl *c)
{
	uint32_t cc = nio_mmio_read32(c->bar, REG_CC);

	/*
	 * Clearing EN while the controller is still becoming ready is
	 * undefined: let it finish first, whatever the outcome.
	 */
	if (cc & CC_EN && !(nio_mmio_read32(c->bar, REG_CSTS) & CSTS_RDY))
		wait_csts(c, CSTS_RDY, CSTS_RDY, c->ready_ms,
			  "waiting for a pending enable");
	nio_mmio_write32(c->bar, REG_CC, cc & ~CC_EN);
	c->enabled = false;
	return wait_csts(c, CSTS_RDY, 0, c->ready_ms,
			 "disabling the controller (CSTS.RDY -> 0)");
}

static int ctrl_enable(struct nvme_ctrl *c)
{
	uint32_t cc = CC_IOSQES | CC_IOCQES;	/* NVM set, 4 KiB pages */
	int ret;

	nio_mmio_write32(c->bar, REG_AQA, (c->admin.depth - 1u) << 16 |
					  (c->admin.depth - 1u));
	reg_write64(c, REG_ASQ, c->admin.sq_addr);
	reg_write64(c, REG_ACQ, c->admin.cq_addr);
	nio_mmio_write32(c->bar, REG_CC, cc);
	nio_mmio_write32(c->bar, REG_CC, cc | CC_EN);
	ret = wait_csts(c, CSTS_RDY, CSTS_RDY, c->ready_ms,
			"enabling the controller (CSTS.RDY -> 1)");
	c->enabled = !ret;
	return ret;
}

/* A normal shutdown lets the controller flush its state before we go. */
static int ctrl_shutdown(struct nvme_ctrl *c)
{
	uint32_t cc = nio_mmio_read32(c->bar, REG_CC);

	nio_mmio_write32(c->bar, REG_CC, cc | CC_SHN_NORMAL);
	return wait_csts(c, CSTS_SHST_MASK, CSTS_SHST_DONE,
			 c->ready_ms > 5000 ? c->ready_ms : 5000,
			 "shutting down (CSTS.SHST -> complete)");
}

/* ---- queues and commands ------------------------------------------------ */

static int dma_alloc(struct nvme_ctrl *c, size_t size, unsigned int flags,
		     const char *what, struct nio_dma **dma)
{
	int ret = nio_dma_alloc(c->ctx, size, flags, dma);

	return ret ? lib_fail(ret, "allocating %s (%zu bytes)", what, size) : 0;
}

/*
 * A page-aligned page of the DMA pool, zeroed. The controller walks a
 * queue by address arithmetic, and a pool object is one run for the
 * device; MAX_DEPTH keeps every queue within a page.
 */
static int pool_page(struct nvme_ctrl *c, size_t bytes, const char *what,
		     void **mem, uint64_t *addr)
{
	int ret = nio_pool_alloc(c->ctx, bytes, NVME_PAGE, mem, addr);

	return ret ? lib_fail(ret, "allocating %s (%zu bytes)", what, bytes) :
		     0;
}

static int queue_alloc(struct nvme_ctrl *c, struct nvme_queue *q,
		       uint16_t qid, uint16_t depth)
{
	unsigned int stride = 4u << CAP_DSTRD(c->cap);
	size_t sq_db = REG_DOORBELLS + 2u * qid * stride;
	int ret;

	if (sq_db + stride + 4 > c->bar_size)
		return drv_fail(EINVAL, "BAR0 (%zu bytes) has no doorbells for queue %u",
				c->bar_size, qid);
	q->qid = qid;
	q->depth = depth;
	q->phase = 1;	/* the controller posts phase 1 on its first pass */
	ret = pool_page(c, depth * sizeof(*q->sq), "a submission queue",
			&q->sq_mem, &q->sq_addr);
	if (!ret)
		ret = pool_page(c, depth * sizeof(*q->cq), "a completion queue",
				&q->cq_mem, &q->cq_addr);
	if (ret)
		return ret;
	q->sq = q->sq_mem;
	q->cq = q->cq_mem;
	q->bar = c->bar;
	q->sq_db = sq_db;
	q->cq_db = sq_db + stride;
	return 0;
}

static void queue_ring_sq(struct nvme_queue *q)
{
	/*
	 * An ordered MMIO write: the entries and their PRP lists reach
	 * memory before the controller hears of them.
	 */
	q->st.sq_doorbells++;
	nio_mmio_write32(q->bar, q->sq_db, q->sq_tail);
}

/* Ordered after the reads of the entries the controller may now reuse */
static void queue_ring_cq(struct nvme_queue *q)
{
	q->st.cq_doorbells++;
	nio_mmio_write32(q->bar, q->cq_db, q->cq_head);
}

/* In batch mode the caller rings the doorbell once for all it queued. */
static void queue_submit(struct nvme_queue *q, const struct nvme_sqe *cmd)
{
	q->sq[q->sq_tail] = *cmd;
	if (++q->sq_tail == q->depth)
		q->sq_tail = 0;
	q->st.cmds++;
	if (!q->batch)
		queue_ring_sq(q);
}

/* Which CPUs the poller ran on, seen every 1024 polls (--stats). */
static void stats_sample_cpu(struct queue_stats *st)
{
	int cpu = sched_getcpu();

	if (cpu < 0)
		return;
	if (st->cpu_samples++ && cpu != st->last_cpu)
		st->cpu_migrations++;
	st->last_cpu = cpu;
	if (cpu < 64)
		st->cpus_seen |= 1ULL << cpu;
}

/* Take the next completion if the controller has posted it. */
static bool queue_poll(struct nvme_queue *q, struct nvme_cqe *out)
{
	volatile struct nvme_cqe *e = &q->cq[q->cq_head];

	if (++q->st.polls % 1024 == 0 && q->st.sample_cpu)
		stats_sample_cpu(&q->st);
	if ((e->status & 1) != q->phase) {
		q->st.empty_polls++;
		return false;
	}
	/* Read the entry, and later the data, only after the phase tag. */
	nio_dma_rmb();
	*out = *e;
	if (++q->cq_head == q->depth) {
		q->cq_head = 0;
		q->phase ^= 1;	/* the controller flips it on each wrap */
	}
	if (!q->batch)
		queue_ring_cq(q);
	return true;
}

/*
 * --idle-us: after 64 empty polls in a row, sleep. On an emulator the
 * spinning vCPU competes for the host CPUs with the thread that emulates
 * the controller; a sleeping one leaves them to it.
 */
static void queue_idle(struct nvme_queue *q)
{
	struct timespec ts = { 0, q->idle_us * 1000L };

	q->st.idles++;
	nanosleep(&ts, NULL);
}

/* Busy-poll (unless --idle-us): a sleep would cost more than the I/O. */
static int queue_wait(const struct nvme_ctrl *c, struct nvme_queue *q,
		      struct nvme_cqe *out, const char *what)
{
	double deadline = now_s() + TIMEOUT_MS / 1000.0;
	unsigned long spins;

	for (spins = 1; !queue_poll(q, out); spins++) {
		if (q->idle_us && spins % 64 == 0)
			queue_idle(q);
		if (spins % 1024 == 0 && now_s() > deadline)
			return drv_fail(ETIMEDOUT, "%s: no completion on queue %u within %u ms (CSTS 0x%x)",
					what, q->qid, TIMEOUT_MS,
					nio_mmio_read32(c->bar, REG_CSTS));
	}
	return 0;
}

static const char *status_name(unsigned int sct, unsigned int sc)
{
	static const struct {
		uint16_t code;		/* SCT << 8 | SC */
		const char *name;
	} names[] = {
		{ 0x001, "invalid opcode" }, { 0x002, "invalid field" },
		{ 0x003, "command ID conflict" },
		{ 0x004, "data transfer error" }, { 0x006, "internal error" },
		{ 0x008, "aborted: SQ deleted" },
		{ 0x00b, "invalid namespace or format" },
		{ 0x00c, "command sequence error" },
		{ 0x013, "invalid PRP offset" }, { 0x080, "LBA out of range" },
		{ 0x101, "invalid queue identifier" },
		{ 0x102, "invalid queue size" },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (names[i].code == (sct << 8 | sc))
			return names[i].name;
	return sct == 2 ? "media or data integrity error" : "see the spec";
}

static int check_status(const struct nvme_cqe *e, const char *what)
{
	unsigned int sc = e->status >> 1 & 0xff, sct = e->status >> 9 & 7;

	if (!sc && !sct)
		return 0;
	return drv_fail(EIO, "%s failed: status SCT %u SC 0x%02x (%s)%s",
			what, sct, sc, status_name(sct, sc),
			e->status & 0x8000 ? ", do not retry" : "");
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

/*
 * PRPs for len bytes at data, anywhere in the context's DMA memory: PRP1
 * is the first byte, PRP2 the second page or a PRP list in the command
 * slot's page. A buffer is only contiguous for the device where the
 * library says so: nio_vtophys() gives each physically contiguous run,
 * and a run gives one entry per page of it.
 */
static int build_prps(struct nvme_ctrl *c, uint16_t slot,
		      const uint8_t *data, size_t len, struct nvme_sqe *cmd)
{
	uint64_t *list = c->prp_list[slot];
	uint64_t addr = nio_vtophys(c->ctx, data, NULL);
	size_t pos, run, n = 0;

	if (addr == NIO_BAD_ADDR || addr % 4 ||
	    nio_vtophys(c->ctx, data + len - 1, NULL) == NIO_BAD_ADDR)
		return drv_fail(EINVAL, "bad transfer: %zu bytes at %p are not all DMA memory",
				len, (const void *)data);
	cmd->prp1 = addr;
	/* The next entries start where the device's next page does. */
	for (pos = NVME_PAGE - addr % NVME_PAGE; pos < len;) {
		addr = nio_vtophys(c->ctx, data + pos, &run);
		if (addr == NIO_BAD_ADDR || addr % NVME_PAGE)
			return drv_fail(EINVAL, "%p is not a page boundary for the device",
					(const void *)(data + pos));
		for (; run && pos < len; pos += NVME_PAGE, addr += NVME_PAGE) {
			if (n == PRPS_PER_PAGE)
				return drv_fail(E2BIG, "%zu bytes need a second PRP list page",
						len);
			list[n++] = addr;
			run -= run < NVME_PAGE ? run : NVME_PAGE;
		}
	}
	if (n == 1)
		cmd->prp2 = list[0];
	else if (n > 1) {
		cmd->prp2 = c->prp_list_addr[slot];
		c->io.st.prp_lists++;
	}
	return 0;
}

/* Queue a READ or WRITE of namespace 1; the slot is its command ID. */
static int submit_rw(struct nvme_ctrl *c, uint8_t opcode, uint16_t slot,
		     void *data, uint64_t lba, uint32_t nblocks)
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
	ret = build_prps(c, slot, data, len, &cmd);
	if (!ret)
		queue_submit(&c->io, &cmd);
	return ret;
}

/* An I/O completion taken: *slot is set even when it failed. */
static int io_status(const struct nvme_ctrl *c, const struct nvme_cqe *e,
		     unsigned int *slot)
{
	char what[48];

	*slot = e->cid;
	if (e->cid >= c->io.depth)
		return drv_fail(EIO, "completion for unknown command %u", e->cid);
	if (!(e->status & 0xfffe))	/* the common case: no snprintf() */
		return 0;
	snprintf(what, sizeof(what), "I/O in slot %u", e->cid);
	return check_status(e, what);
}

/* Wait for the next I/O completion; *slot is set even when it failed. */
static int reap_io(struct nvme_ctrl *c, unsigned int *slot)
{
	struct nvme_cqe e;
	int ret = queue_wait(c, &c->io, &e, "I/O");

	return ret ? ret : io_status(c, &e, slot);
}

/*
 * Wait for an I/O completion, then take up to max in all of those already
 * posted, into slots[0..*n). In batch mode one CQ doorbell says so.
 */
static int reap_ios(struct nvme_ctrl *c, unsigned int *slots,
		    unsigned int max, unsigned int *n)
{
	struct nvme_queue *q = &c->io;
	struct nvme_cqe e;
	int ret = queue_wait(c, q, &e, "I/O"), err;

	*n = 0;
	if (ret)
		return ret;
	do {
		err = io_status(c, &e, &slots[(*n)++]);
		ret = ret ? ret : err;
	} while (*n < max && queue_poll(q, &e));
	if (q->batch)
		queue_ring_cq(q);
	return ret;
}

/* Transfer nblocks one command at a time, split at the I/O size limit. */
static int rw_sync(struct nvme_ctrl *c, uint8_t opcode, void *data,
		   uint64_t lba, uint64_t nblocks)
{
	uint64_t per_io = c->max_io / c->block_size, n;
	uint8_t *p = data;
	unsigned int slot;
	int ret;

	for (; nblocks; nblocks -= n, lba += n, p += n * c->block_size) {
		n = nblocks < per_io ? nblocks : per_io;
		ret = submit_rw(c, opcode, 0, p, lba, (uint32_t)n);
		if (!ret)
			ret = reap_io(c, &slot);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- bring-up and teardown --------------------------------------------- */

static int check_cap(struct nvme_ctrl *c)
{
	c->cap = nio_mmio_read32(c->bar, REG_CAP) |
		 (uint64_t)nio_mmio_read32(c->bar, REG_CAP + 4) << 32;
	if (c->cap == UINT64_MAX)
		return drv_fail(ENODEV, "CAP reads all ones: BAR0 does not respond");
	if (CAP_MPSMIN(c->cap) || !CAP_CSS_NVM(c->cap))
		return drv_fail(EOPNOTSUPP, "the controller lacks 4 KiB pages or the NVM command set (CAP 0x%" PRIx64 ")",
				c->cap);
	/* CAP.TO is in 500 ms units; keep a floor for slow emulators. */
	c->ready_ms = CAP_TO(c->cap) * 500 < 2000 ? 2000 :
		      CAP_TO(c->cap) * 500;
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
		.prp1 = c->ident_addr,		/* one page */
	};

	memset(c->ident, 0, NVME_PAGE);
	return admin_cmd(c, &cmd, what, NULL);
}

static int identify_all(struct nvme_ctrl *c)
{
	const uint8_t *id = c->ident;
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
	ret = identify(c, 0, 1, "IDENTIFY namespace 1");
	if (ret)
		return ret;
	memcpy(&c->ns_blocks, id, 8);				/* NSZE */
	lbaf = (id[26] & 0xf) | (id[26] >> 5 & 3) << 4;		/* FLBAS */
	lbads = id[128 + 4 * lbaf + 2];
	ms = id[128 + 4 * lbaf] | id[128 + 4 * lbaf + 1] << 8;
	if (!c->ns_blocks)
		return drv_fail(ENODEV, "namespace 1 is not active");
	if (lbads < 9 || lbads > 12 || ms)
		return drv_fail(EOPNOTSUPP, "namespace 1 has 2^%u-byte blocks with %u metadata bytes; this driver needs 512..4096 without",
				lbads, ms);
	c->block_size = 1u << lbads;
	/* MDTS: a power of two of the minimum page size; 0: no limit. */
	limit = c->mdts ? (uint64_t)NVME_PAGE << c->mdts : UINT64_MAX;
	c->max_io = limit < MAX_IO_BYTES ? (size_t)limit : MAX_IO_BYTES;
	return 0;
}

static int create_io_queues(struct nvme_ctrl *c)
{
	struct nvme_queue *q = &c->io;
	struct nvme_sqe feat = {	/* one I/O SQ and CQ, 0's based */
		.opcode = ADMIN_SET_FEATURES, .cdw10 = FEAT_NUM_QUEUES,
	};
	struct nvme_sqe cq = {		/* IEN = 0: we poll */
		.opcode = ADMIN_CREATE_CQ, .prp1 = q->cq_addr,
		.cdw10 = (q->depth - 1u) << 16 | q->qid, .cdw11 = QUEUE_CONTIG,
	};
	struct nvme_sqe sq = {
		.opcode = ADMIN_CREATE_SQ, .prp1 = q->sq_addr,
		.cdw10 = (q->depth - 1u) << 16 | q->qid,
		.cdw11 = (uint32_t)q->qid << 16 | QUEUE_CONTIG,
	};
	struct nvme_sqe del_cq = { .opcode = ADMIN_DELETE_CQ, .cdw10 = q->qid };
	int ret;

	ret = admin_cmd(c, &feat, "SET FEATURES number of queues", NULL);
	if (!ret)
		ret = admin_cmd(c, &cq, "CREATE I/O COMPLETION QUEUE", NULL);
	if (ret)
		return ret;
	ret = admin_cmd(c, &sq, "CREATE I/O SUBMISSION QUEUE", NULL);
	if (ret)
		admin_cmd(c, &del_cq, "DELETE I/O COMPLETION QUEUE", NULL);
	c->io_queues = !ret;
	return ret;
}

static int ctrl_open(struct nvme_ctrl *c, const char *bdf)
{
	struct nio_pci_info pci = NIO_SIZED_INIT(pci);
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
	info(c, "path %s", nio_device_why(c->dev));
	return 0;
}

static int ctrl_start(struct nvme_ctrl *c)
{
	volatile void *bar;
	uint16_t depth, i;
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
	for (i = 0; !ret && i < depth; i++)
		ret = pool_page(c, NVME_PAGE, "a PRP list", &c->prp_list[i],
				&c->prp_list_addr[i]);
	if (!ret)
		ret = pool_page(c, NVME_PAGE, "IDENTIFY data", &c->ident,
				&c->ident_addr);
	if (!ret)
		ret = ctrl_enable(c);
	if (!ret)
		ret = identify_all(c);
	if (!ret)
		ret = create_io_queues(c);
	return ret;
}

/* Stop the controller before any memory it could write goes away. */
static int ctrl_close(struct nvme_ctrl *c)
{
	struct nvme_sqe del_sq = { .opcode = ADMIN_DELETE_SQ, .cdw10 = 1 };
	struct nvme_sqe del_cq = { .opcode = ADMIN_DELETE_CQ, .cdw10 = 1 };
	void *objs[] = { c->admin.sq_mem, c->admin.cq_mem, c->io.sq_mem,
			 c->io.cq_mem, c->ident };
	int ret = 0;
	size_t i;

	if (c->enabled && !(nio_mmio_read32(c->bar, REG_CSTS) & CSTS_CFS)) {
		if (c->io_queues &&
		    (admin_cmd(c, &del_sq, "DELETE I/O SUBMISSION QUEUE", NULL) ||
		     admin_cmd(c, &del_cq, "DELETE I/O COMPLETION QUEUE", NULL)))
			ret = -EIO;
		if (ctrl_shutdown(c))
			ret = -EIO;
		else
			info(c, "controller shut down cleanly");
	}
	if (c->bar && c->ready_ms && ctrl_disable(c))
		ret = -EIO;
	/* No more DMA from here on, even from a controller that hung. */
	if (c->dev)
		nio_bus_master(c->dev, false);
	for (i = 0; i < sizeof(objs) / sizeof(*objs); i++)
		if (nio_pool_free(c->ctx, objs[i]))	/* NULL: nothing */
			ret = lib_fail(-EIO, "freeing a DMA pool object");
	for (i = 0; i < MAX_DEPTH; i++)
		if (nio_pool_free(c->ctx, c->prp_list[i]))
			ret = lib_fail(-EIO, "freeing a PRP list");
	nio_device_close(c->dev);
	nio_ctx_free(c->ctx);
	return ret;
}

/* ---- data patterns -------------------------------------------------------- */

/* What the disk should hold: lab/make-disk's pattern or ours (seed). */
struct pattern {
	bool written;
	uint32_t seed;
};

struct mismatch {
	uint64_t lba;
	size_t offset;
	uint8_t expected, found;
};

/* The 512-byte unit number `sector` of the disk pattern or of ours. */
static void pattern_sector(const struct pattern *p, uint64_t sector,
			   uint8_t out[SECTOR])
{
	uint64_t v = sector;
	size_t i;

	if (p->written) {
		i = (size_t)snprintf((char *)out, SECTOR,
				     "nvme-example LBA %016" PRIu64 " seed %08" PRIx32 " ",
				     sector, p->seed);
		for (; i < SECTOR; i++)
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

/* True when all nblocks hold the pattern; else *m has the first bad byte. */
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
		*m = (struct mismatch){ lba + i / spb, i % spb * SECTOR + j,
					want[j], got[j] };
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

/* ---- commands ------------------------------------------------------------- */

struct options {
	char bdf[NIO_BDF_LEN];
	bool quiet, random;
	bool stats, batch;		/* randread */
	unsigned int idle_us;
	uint64_t lba, blocks;		/* read, write-read */
	uint64_t lbas, io_size, seed;	/* lbas 0: the whole namespace */
	unsigned int qd;
	double seconds;
};

static int cmd_identify(struct nvme_ctrl *c, const struct options *o)
{
	const char *kind = nio_device_path(c->dev) == NIO_PATH_IOMMU_CDEV ?
			   "IOVA" : "physical address";
	uint32_t vs = nio_mmio_read32(c->bar, REG_VS);
	char size[32];

	if (o->quiet)	/* else ctrl_open() said it */
		printf("nvme: path %s\n", nio_device_why(c->dev));
	printf("nvme: serial %s, model %s, firmware %s, NVMe %u.%u\n",
	       c->serial, c->model, c->firmware, vs >> 16, vs >> 8 & 0xff);
	printf("nvme: namespace 1: %" PRIu64 " blocks of %u bytes (%s)\n",
	       c->ns_blocks, c->block_size,
	       human(c->ns_blocks * c->block_size, size));
	printf("nvme: MDTS %u: at most %s per command here (MDTS and one PRP list page)\n",
	       c->mdts, human(c->max_io, size));
	printf("nvme: admin SQ at 0x%" PRIx64 " (%s), %u entries of 64 bytes\n",
	       c->admin.sq_addr, kind, c->admin.depth);
	printf("nvme: admin CQ at 0x%" PRIx64 " (%s), %u entries of 16 bytes\n",
	       c->admin.cq_addr, kind, c->admin.depth);
	info(c, "I/O SQ 1 at 0x%" PRIx64 ", I/O CQ 1 at 0x%" PRIx64 ", polled (no interrupts)",
	     c->io.sq_addr, c->io.cq_addr);
	info(c, "CAP 0x%016" PRIx64 ": queues of up to %u entries, doorbell stride %u bytes, ready within %u ms",
	     c->cap, CAP_MQES(c->cap) + 1, 4u << CAP_DSTRD(c->cap),
	     CAP_TO(c->cap) * 500);
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

	if (!o->blocks || o->lba >= c->ns_blocks ||
	    o->blocks > c->ns_blocks - o->lba) {
		fprintf(stderr, "nvme-example: read: LBA %" PRIu64 " + %" PRIu64 " blocks is outside namespace 1 (%" PRIu64 " blocks)\n",
			o->lba, o->blocks, c->ns_blocks);
		return EXIT_USAGE;
	}
	if (dma_alloc(c, o->blocks * c->block_size, 0, "the read buffer", &buf))
		return EXIT_DEVICE;
	ret = rw_sync(c, NVM_READ, buf->vaddr, o->lba, o->blocks);
	for (i = 0; !ret && i < o->blocks; i++) {
		blk = (const uint8_t *)buf->vaddr + i * c->block_size;
		same += check_blocks(c, &disk, blk, o->lba + i, 1, &m);
		if (o->quiet)
			continue;
		printf("LBA %" PRIu64 ":\n", o->lba + i);
		hexdump(blk, c->block_size < 64 ? c->block_size : 64);
	}
	if (ret)
		return EXIT_DEVICE;	/* buf: see cmd_write_read() */
	printf("nvme: read %" PRIu64 " blocks (%s) at LBA %" PRIu64 ", %" PRIu64 " of them hold the disk pattern\n",
	       o->blocks, human(o->blocks * c->block_size, size), o->lba,
	       same);
	nio_dma_free(c->ctx, buf);
	return 0;
}

/*
 * Reads kept qd deep, each checked against the disk pattern when it
 * completes; next() picks the LBA of the next read, false when done.
 */
struct reader {
	struct nvme_ctrl *c;
	unsigned int qd;
	uint64_t per_io, nlbas;		/* blocks per read, area read */
	bool (*next)(struct reader *r, uint64_t *lba);
	uint64_t *order, pos, nreads;	/* verify */
	uint64_t rng, npos, align;	/* randread */
	double end;
	struct nio_dma *buf;		/* qd slots of slot_bytes */
	size_t slot_bytes;
	uint64_t lba[MAX_DEPTH];
	uint64_t ios, blocks, bad;	/* results */
	struct mismatch first;
	bool batch, stats;		/* randread: not --no-batch, --stats */
	uint64_t timed;			/* --stats: every 64th read timed */
	double check_s, submit_s;
};

static bool next_in_order(struct reader *r, uint64_t *lba)
{
	if (r->pos == r->nreads)
		return false;
	*lba = (r->order ? r->order[r->pos] : r->pos) * r->per_io;
	r->pos++;
	return true;
}

static bool next_random_until_end(struct reader *r, uint64_t *lba)
{
	*lba = rng_next(&r->rng) % r->npos * r->align;
	return now_s() < r->end;
}

static uint32_t blocks_at(const struct reader *r, uint64_t lba)
{
	return (uint32_t)(r->nlbas - lba < r->per_io ? r->nlbas - lba :
						       r->per_io);
}

/* 1: a read is queued in slot, 0: nothing left to read, < 0: error. */
static int reader_submit(struct reader *r, unsigned int slot)
{
	int ret;

	if (!r->next(r, &r->lba[slot]))
		return 0;
	ret = submit_rw(r->c, NVM_READ, (uint16_t)slot,
			(uint8_t *)r->buf->vaddr + slot * r->slot_bytes,
			r->lba[slot], blocks_at(r, r->lba[slot]));
	return ret ? ret : 1;
}

/* Check the read that landed in slot against the disk pattern. */
static void check_read(struct reader *r, unsigned int slot)
{
	struct pattern disk = { .written = false };
	uint32_t n = blocks_at(r, r->lba[slot]);
	struct mismatch m;

	r->ios++;
	if (check_blocks(r->c, &disk, (uint8_t *)r->buf->vaddr +
			 slot * r->slot_bytes, r->lba[slot], n, &m))
		r->blocks += n;
	else if (!r->bad++)
		r->first = m;
}

/*
 * Check the reads that completed in slots[0..n) and queue the next ones
 * there: one SQ doorbell for all of them in batch mode. With --stats every
 * 64th check and submit is timed. 1: stop at a mismatch, < 0: error.
 */
static int refill(struct reader *r, const unsigned int *slots,
		  unsigned int n, unsigned int *inflight, bool stop_on_mismatch)
{
	struct nvme_queue *q = &r->c->io;
	uint64_t cmds = q->st.cmds;
	double t0 = 0, t1 = 0;
	unsigned int i;
	bool timed;
	int ret = 0;

	for (i = 0; ret >= 0 && i < n; i++) {
		timed = r->stats && ++r->timed % 64 == 0;
		if (timed)
			t0 = now_s();
		check_read(r, slots[i]);
		if (r->bad && stop_on_mismatch)
			break;
		if (timed)
			t1 = now_s();
		ret = reader_submit(r, slots[i]);
		*inflight += ret > 0;
		if (timed) {
			r->check_s += t1 - t0;
			r->submit_s += now_s() - t1;
		}
	}
	if (q->batch && q->st.cmds != cmds)
		queue_ring_sq(q);
	if (ret < 0)
		return ret;
	return r->bad && stop_on_mismatch;
}

static int run_reads(struct reader *r, bool stop_on_mismatch)
{
	unsigned int slot, inflight = 0, slots[MAX_DEPTH], n;
	bool hung;
	int ret;

	r->slot_bytes = (r->per_io * r->c->block_size + NVME_PAGE - 1) /
			NVME_PAGE * NVME_PAGE;
	ret = dma_alloc(r->c, r->qd * r->slot_bytes, 0, "the read buffers",
			&r->buf);
	r->c->io.batch = r->batch;
	for (slot = 0; !ret && slot < r->qd; slot++) {
		ret = reader_submit(r, slot);
		inflight += ret > 0;
		ret = ret > 0 ? 0 : ret;
	}
	if (r->batch && inflight)
		queue_ring_sq(&r->c->io);
	while (ret >= 0 && inflight) {
		ret = reap_ios(r->c, slots, r->batch ? inflight : 1, &n);
		inflight -= n;
		if (ret)
			break;
		ret = refill(r, slots, n, &inflight, stop_on_mismatch);
		if (ret > 0)
			break;
	}
	if (r->batch) {		/* the drain below rings per completion */
		r->c->io.batch = false;
		queue_ring_cq(&r->c->io);
	}
	/*
	 * Let the reads in flight land before their buffer goes away. If
	 * the controller hung, keep the buffer: nio_ctx_free() frees it
	 * after ctrl_close() has stopped the controller.
	 */
	for (hung = ret == -ETIMEDOUT; inflight && !hung; inflight--)
		hung = reap_io(r->c, &slot) == -ETIMEDOUT;
	if (!hung && r->buf)
		nio_dma_free(r->c->ctx, r->buf);
	return ret < 0 ? ret : 0;
}

static int check_io_size(const struct nvme_ctrl *c, uint64_t io_size)
{
	if (io_size && io_size % c->block_size == 0 && io_size <= c->max_io &&
	    io_size / c->block_size <= c->ns_blocks)
		return 0;
	fprintf(stderr, "nvme-example: --io-size %" PRIu64 ": must be a multiple of the %u-byte block size, at most %zu bytes\n",
		io_size, c->block_size, c->max_io);
	return EXIT_USAGE;
}

static unsigned int cap_qd(const struct nvme_ctrl *c, unsigned int qd)
{
	if (qd < c->io.depth)
		return qd;
	info(c, "queue depth capped at %u: one slot of the %u-entry queue stays empty",
	     c->io.depth - 1, c->io.depth);
	return c->io.depth - 1u;
}

static int cmd_verify(struct nvme_ctrl *c, const struct options *o)
{
	struct reader r = { .c = c, .next = next_in_order, .rng = o->seed };
	uint64_t i, j, t;
	char size[32];
	double start;
	int ret;

	ret = check_io_size(c, o->io_size);
	if (ret)
		return ret;
	r.nlbas = o->lbas ? o->lbas : c->ns_blocks;
	if (r.nlbas > c->ns_blocks) {
		fprintf(stderr, "nvme-example: --lbas: namespace 1 has only %" PRIu64 " blocks\n",
			c->ns_blocks);
		return EXIT_USAGE;
	}
	r.qd = cap_qd(c, o->qd);
	r.per_io = o->io_size / c->block_size;
	r.nreads = (r.nlbas + r.per_io - 1) / r.per_io;
	if (o->random) {	/* every read once, in a shuffled order */
		r.order = malloc(r.nreads * sizeof(*r.order));
		if (!r.order) {
			drv_fail(ENOMEM, "out of memory");
			return EXIT_DEVICE;
		}
		for (i = 0; i < r.nreads; i++)
			r.order[i] = i;
		for (i = r.nreads - 1; i > 0; i--) {
			j = rng_next(&r.rng) % (i + 1);
			t = r.order[i];
			r.order[i] = r.order[j];
			r.order[j] = t;
		}
	}
	info(c, "verifying %" PRIu64 " blocks in %" PRIu64 " reads of up to %s, %s order, queue depth %u",
	     r.nlbas, r.nreads, human(o->io_size, size),
	     o->random ? "random" : "sequential", r.qd);
	start = now_s();
	ret = run_reads(&r, true);
	free(r.order);
	if (ret)
		return EXIT_DEVICE;
	if (r.bad) {
		report_mismatch(&r.first, "the disk pattern");
		printf("nvme: %" PRIu64 " blocks verified before the mismatch\n",
		       r.blocks);
		return EXIT_MISMATCH;
	}
	printf("nvme: verified %" PRIu64 " blocks (%s) against the disk pattern in %.2f s\n",
	       r.blocks, human(r.blocks * c->block_size, size), now_s() - start);
	return 0;
}

static double tv_s(const struct timeval *tv)
{
	return tv->tv_sec + tv->tv_usec / 1e6;
}

/* The CPUs in a mask as a list: "0,1". */
static const char *cpu_list(uint64_t mask, char buf[192])
{
	size_t len = 0;
	int cpu;

	buf[0] = '\0';
	for (cpu = 0; cpu < 64; cpu++)
		if (mask >> cpu & 1)
			len += snprintf(buf + len, 192 - len, "%s%d",
					len ? "," : "", cpu);
	return len ? buf : "none";
}

/*
 * randread --stats: what the fast path did and where it ran. The timed
 * checks and submits are every 64th; nvcsw/nivcsw are the voluntary and
 * involuntary context switches during the run.
 */
static void print_stats(const struct reader *r, double seconds,
			const struct rusage *ru0)
{
	const struct queue_stats *st = &r->c->io.st;
	uint64_t cqes = st->polls - st->empty_polls;
	double cmds = st->cmds ? st->cmds : 1, timed = r->timed / 64;
	struct rusage ru;
	char cpus[192];

	getrusage(RUSAGE_SELF, &ru);
	timed = timed ? timed : 1;
	printf("stats: cmds=%" PRIu64 " sq_doorbells=%" PRIu64 " cq_doorbells=%" PRIu64 " polls=%" PRIu64 " empty_polls=%" PRIu64 " cqes_per_cq_doorbell=%.2f prp_lists=%" PRIu64 " cpu_migrations=%" PRIu64 " cpus=%s",
	       st->cmds, st->sq_doorbells, st->cq_doorbells, st->polls,
	       st->empty_polls,
	       st->cq_doorbells ? (double)cqes / st->cq_doorbells : 0.0,
	       st->prp_lists, st->cpu_migrations,
	       cpu_list(st->cpus_seen, cpus));
	printf(" cpu_samples=%" PRIu64 " batch=%d idle_us=%u idles=%" PRIu64 " doorbells_per_cmd=%.2f polls_per_cmd=%.1f us_per_io=%.1f check_us=%.1f submit_us=%.1f utime=%.2f stime=%.2f nvcsw=%ld nivcsw=%ld\n",
	       st->cpu_samples, r->batch, r->c->io.idle_us, st->idles,
	       (st->sq_doorbells + st->cq_doorbells) / cmds, st->polls / cmds,
	       r->ios ? seconds * 1e6 / r->ios : 0.0, r->check_s * 1e6 / timed,
	       r->submit_s * 1e6 / timed,
	       tv_s(&ru.ru_utime) - tv_s(&ru0->ru_utime),
	       tv_s(&ru.ru_stime) - tv_s(&ru0->ru_stime),
	       ru.ru_nvcsw - ru0->ru_nvcsw, ru.ru_nivcsw - ru0->ru_nivcsw);
}

static int cmd_randread(struct nvme_ctrl *c, const struct options *o)
{
	struct reader r = { .c = c, .next = next_random_until_end,
			    .rng = o->seed, .nlbas = c->ns_blocks };
	struct rusage ru;
	char size[32];
	double start;
	int ret;

	ret = check_io_size(c, o->io_size);
	if (ret)
		return ret;
	r.qd = cap_qd(c, o->qd);
	r.per_io = o->io_size / c->block_size;
	/* Reads start on 4 KiB boundaries and stay inside the namespace. */
	r.align = c->block_size < NVME_PAGE ? NVME_PAGE / c->block_size : 1;
	r.npos = (c->ns_blocks - r.per_io) / r.align + 1;
	r.batch = o->batch;
	c->io.idle_us = o->idle_us;
	r.stats = c->io.st.sample_cpu = o->stats;
	info(c, "random %s reads at queue depth %u for %.1f s, each checked",
	     human(o->io_size, size), r.qd, o->seconds);
	getrusage(RUSAGE_SELF, &ru);
	start = now_s();
	r.end = start + o->seconds;
	ret = run_reads(&r, false);
	if (ret)
		return EXIT_DEVICE;
	start = now_s() - start;
	printf("iops=%.0f qd=%u seconds=%.2f ios=%" PRIu64 "\n",
	       r.ios / start, r.qd, start, r.ios);
	if (r.stats)
		print_stats(&r, start, &ru);
	if (r.bad) {
		report_mismatch(&r.first, "the disk pattern");
		fprintf(stderr, "nvme-example: %" PRIu64 " of %" PRIu64 " reads did not hold the disk pattern\n",
			r.bad, r.ios);
		return EXIT_MISMATCH;
	}
	info(c, "all %" PRIu64 " reads held the disk pattern", r.ios);
	return 0;
}

/* Write our pattern from wbuf, read it back into rbuf and compare. */
static int write_read_back(struct nvme_ctrl *c, const struct pattern *p,
			   const struct nio_dma *wbuf,
			   const struct nio_dma *rbuf, uint64_t lba,
			   uint64_t nblocks)
{
	struct mismatch m;

	fill_pattern(c, p, wbuf->vaddr, lba, nblocks);
	if (rw_sync(c, NVM_WRITE, wbuf->vaddr, lba, nblocks))
		return EXIT_DEVICE;
	memset(rbuf->vaddr, 0, nblocks * c->block_size);
	if (rw_sync(c, NVM_READ, rbuf->vaddr, lba, nblocks))
		return EXIT_DEVICE;
	if (!check_blocks(c, p, rbuf->vaddr, lba, nblocks, &m)) {
		report_mismatch(&m, "the pattern just written");
		return EXIT_MISMATCH;
	}
	return 0;
}

/*
 * Caller memory whose pages are physically scattered: each page is faulted
 * in with a fresh spacer page faulted after it, so the page allocator
 * cannot hand out neighbours in order. The spacers are freed at once.
 */
static uint8_t *scattered_alloc(size_t len)
{
	uint8_t *mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	void *spacers[SCATTER_PAGES];
	size_t i;

	if (mem == MAP_FAILED)
		return NULL;
	for (i = 0; i < len / NVME_PAGE; i++) {
		mem[i * NVME_PAGE] = 1;
		spacers[i] = mmap(NULL, NVME_PAGE, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
				  -1, 0);
	}
	while (i--)
		if (spacers[i] != MAP_FAILED)
			munmap(spacers[i], NVME_PAGE);
	return mem;
}

static int scattered_round_trip(struct nvme_ctrl *c, const struct pattern *p,
				uint64_t lba)
{
	size_t len = SCATTER_PAGES * NVME_PAGE, i;
	struct nio_dma *dma;
	uint8_t *mem;
	int ret;

	mem = scattered_alloc(len);
	if (!mem) {
		drv_fail(ENOMEM, "mmap of %zu bytes failed", len);
		return EXIT_DEVICE;
	}
	ret = nio_dma_map(c->ctx, mem, len, 0, &dma);
	if (ret) {
		lib_fail(ret, "mapping the scattered buffer");
		munmap(mem, len);
		return EXIT_DEVICE;
	}
	printf("nvme: scattered buffer: %zu KiB of caller memory, %zu segment(s) for the device\n",
	       len >> 10, dma->nsegs);
	for (i = 0; i < dma->nsegs && !c->quiet; i++)	/* 3 per line */
		printf("%s0x%05zx -> 0x%-9" PRIx64 "%3" PRIu64 "K%s",
		       i % 3 ? "   " : "nvme:   ", dma->segs[i].offset,
		       dma->segs[i].addr, dma->segs[i].len >> 10,
		       i % 3 == 2 || i + 1 == dma->nsegs ? "\n" : "");
	/*
	 * The write's source and the read's target: both directions go
	 * through a PRP list of non-adjacent pages.
	 */
	ret = write_read_back(c, p, dma, dma, lba, len / c->block_size);
	if (!ret)
		printf("nvme: wrote and read back %zu blocks at LBA %" PRIu64 " through it in one command (PRP1 + a list of %zu entries)\n",
		       len / c->block_size, lba, len / NVME_PAGE - 1);
	if (ret == EXIT_DEVICE)		/* see cmd_write_read() */
		return ret;
	if (nio_dma_free(c->ctx, dma)) {
		lib_fail(-EIO, "unmapping the scattered buffer");
		ret = EXIT_DEVICE;
	}
	munmap(mem, len);
	return ret;
}

static int cmd_write_read(struct nvme_ctrl *c, const struct options *o)
{
	struct pattern p = { .written = true, .seed = (uint32_t)o->seed };
	struct pattern disk = { .written = false };
	uint64_t scatter = SCATTER_PAGES * NVME_PAGE / c->block_size;
	size_t bytes = (o->blocks + scatter) * c->block_size;
	struct nio_dma *wbuf = NULL, *rbuf = NULL;
	char size[32];
	int ret;

	if (!o->blocks || o->lba >= c->ns_blocks ||
	    c->ns_blocks - o->lba < o->blocks + scatter) {
		fprintf(stderr, "nvme-example: write-read: LBA %" PRIu64 " + %" PRIu64 " blocks + %" PRIu64 " for the scattered buffer is outside namespace 1 (%" PRIu64 " blocks)\n",
			o->lba, o->blocks, scatter, c->ns_blocks);
		return EXIT_USAGE;
	}
	ret = EXIT_DEVICE;
	if (dma_alloc(c, bytes, 0, "the write buffer", &wbuf) ||
	    dma_alloc(c, bytes, 0, "the read buffer", &rbuf))
		goto out;
	info(c, "writing %" PRIu64 " blocks at LBA %" PRIu64 " with seed 0x%08x, reading them back into another buffer",
	     o->blocks, o->lba, p.seed);
	ret = write_read_back(c, &p, wbuf, rbuf, o->lba, o->blocks);
	if (ret)
		goto out;
	printf("nvme: wrote and read back %" PRIu64 " blocks (%s) at LBA %" PRIu64 ": identical (seed 0x%08x)\n",
	       o->blocks, human(o->blocks * c->block_size, size), o->lba,
	       p.seed);
	ret = scattered_round_trip(c, &p, o->lba + o->blocks);
	/* Put lab/make-disk's pattern back: verify passes again this boot. */
	if (!ret)
		ret = write_read_back(c, &disk, wbuf, rbuf, o->lba,
				      o->blocks + scatter);
	if (!ret)
		info(c, "restored the disk pattern on LBA %" PRIu64 "..%" PRIu64,
		     o->lba, o->lba + o->blocks + scatter - 1);
out:
	/*
	 * After a device error the controller may still write to the
	 * buffers: nio_ctx_free() frees them once ctrl_close() stopped it.
	 */
	if (ret != EXIT_DEVICE) {
		nio_dma_free(c->ctx, rbuf);
		nio_dma_free(c->ctx, wbuf);
	}
	return ret;
}

/* ---- command line --------------------------------------------------------- */

struct command {
	const char *name;
	int nargs;
	const char *opts;	/* short codes of the options it takes */
	int (*run)(struct nvme_ctrl *c, const struct options *o);
	unsigned int qd;	/* defaults */
	uint64_t io_size;
};

static const struct command commands[] = {
	{ "identify", 0, "", cmd_identify, 0, 0 },
	{ "read", 2, "", cmd_read, 0, 0 },
	{ "verify", 0, "nirsd", cmd_verify, 4, 4096 },
	{ "write-read", 0, "lcs", cmd_write_read, 0, 0 },
	{ "randread", 0, "dSisTBI", cmd_randread, 1, 4096 },
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
	      "                      read N blocks from LBA 0 (default: all; 4 KiB reads,\n"
	      "                      qd 4) and check the pattern of lab/make-disk\n"
	      "  write-read [--lba L] [--blocks N] [--seed S]\n"
	      "                      write a new pattern at L (default 1024, 64 blocks),\n"
	      "                      read it back and compare; then the same through\n"
	      "                      64 KiB of physically scattered caller memory;\n"
	      "                      then put the disk pattern back\n"
	      "  randread [--qd N] [--seconds S] [--io-size BYTES] [--seed S]\n"
	      "                      random 4 KiB-aligned reads (default qd 1, 5 s,\n"
	      "                      4 KiB), each checked against the disk pattern;\n"
	      "                      prints iops=<n> qd=<n> seconds=<f> ios=<n>\n"
	      "                      [--stats] then a stats: line (doorbells, polls,\n"
	      "                      CPUs the poller ran on, sampled timings)\n"
	      "                      [--no-batch] one SQ and one CQ doorbell per read\n"
	      "                      (default: one SQ doorbell per poll pass for all\n"
	      "                      reads queued, one CQ doorbell per batch reaped)\n"
	      "                      [--idle-us N] sleep N us after 64 empty polls\n"
	      "\n"
	      "Options:\n"
	      "  --bdf BDF           controller (default: the first PCI device of class\n"
	      "                      0x010802); it must be bound to vfio-pci\n"
	      "  --quiet             print only the essential lines\n"
	      "  -h, --help          this help\n"
	      "Sizes take K and M suffixes. The queue depth is 1..64, capped by the\n"
	      "queue size; the I/O size by MDTS and one PRP list page. The default\n"
	      "seed is 1, except for write-read, which picks a new one each run.\n"
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
	if (*end && strchr("kKmM", *end))
		v <<= tolower(*end++) == 'k' ? 10 : 20;
	if (*end || v >> 50)
		return false;
	*out = v;
	return true;
}

static int usage_error(const char *fmt, const char *what)
{
	fputs("nvme-example: ", stderr);
	fprintf(stderr, fmt, what);
	fputs(" (--help for usage)\n", stderr);
	return EXIT_USAGE;
}

static int parse_args(int argc, char **argv, struct options *o,
		      const struct command **cmd)
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
		{ "stats", no_argument, NULL, 'T' },
		{ "no-batch", no_argument, NULL, 'B' },
		{ "idle-us", required_argument, NULL, 'I' },
		{ NULL, 0, NULL, 0 },
	};
	char seen[32] = "", *end;
	uint64_t v = 0;
	size_t i;
	int opt;

	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (opt == 'h') {
			usage(stdout);
			exit(0);
		}
		if (opt == '?')
			return EXIT_USAGE;
		if (!strchr(seen, opt) && strlen(seen) < sizeof(seen) - 1)
			seen[strlen(seen)] = (char)opt;
		if (strchr("nisdlcI", opt) && !parse_u64(optarg, &v))
			return usage_error("bad number '%s'", optarg);
		switch (opt) {
		case 'b':
			if (nio_bdf_normalize(optarg, o->bdf))
				return usage_error("--bdf: %s", nio_errmsg());
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'r':
			o->random = true;
			break;
		case 'n':
			o->lbas = v;
			break;
		case 'i':
			o->io_size = v;
			break;
		case 's':
			o->seed = v;
			break;
		case 'l':
			o->lba = v;
			break;
		case 'c':
			o->blocks = v;
			break;
		case 'T':
			o->stats = true;
			break;
		case 'B':
			o->batch = false;
			break;
		case 'I':
			if (v > 999999)
				return usage_error("--idle-us %s: not in 0..999999",
						   optarg);
			o->idle_us = (unsigned int)v;
			break;
		case 'd':
			if (v < 1 || v > MAX_DEPTH)
				return usage_error("--qd %s: not in 1..64", optarg);
			o->qd = (unsigned int)v;
			break;
		case 'S':
			o->seconds = strtod(optarg, &end);
			if (*end || !(o->seconds > 0))
				return usage_error("--seconds %s: not a positive number",
						   optarg);
			break;
		}
	}
	for (i = 0; optind < argc && i < sizeof(commands) / sizeof(*commands);
	     i++)
		if (!strcmp(argv[optind], commands[i].name))
			*cmd = &commands[i];
	if (!*cmd)
		return usage_error("%s", optind < argc ? "unknown command" :
							  "no command given");
	if (argc - optind - 1 != (*cmd)->nargs)
		return usage_error("wrong number of arguments for %s",
				   (*cmd)->name);
	for (i = 0; seen[i]; i++)
		if (!strchr("bqh", seen[i]) && !strchr((*cmd)->opts, seen[i]))
			return usage_error("an option given does not apply to %s",
					   (*cmd)->name);
	if ((*cmd)->nargs && (!parse_u64(argv[optind + 1], &o->lba) ||
			      !parse_u64(argv[optind + 2], &o->blocks)))
		return usage_error("%s: LBA and COUNT must be numbers", "read");
	if (!strchr(seen, 'd'))
		o->qd = (*cmd)->qd;
	if (!strchr(seen, 'i'))
		o->io_size = (*cmd)->io_size;
	if (!strchr(seen, 's') && (*cmd)->run == cmd_write_read)
		o->seed = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 16;
	return 0;
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
	struct options o = { .lba = 1024, .blocks = 64, .seed = 1, .batch = true,
			     .seconds = 5 };
	const struct command *cmd = NULL;
	struct nvme_ctrl c = { 0 };
	int status;

	status = parse_args(argc, argv, &o, &cmd);
	if (status)
		return status;
	c.quiet = o.quiet;
	status = EXIT_DEVICE;
	if ((o.bdf[0] || !find_nvme(o.bdf)) && !ctrl_open(&c, o.bdf) &&
	    !ctrl_start(&c))
		status = cmd->run(&c, &o);
	if (ctrl_close(&c) && !status)
		status = EXIT_DEVICE;
	return status;
}

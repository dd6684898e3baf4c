// SPDX-License-Identifier: GPL-2.0
/*
 * Concurrency stress and PCI hot-unplug of no-IOMMU VFIO device cdevs bound
 * to IOMMUFD.
 *
 * stress.random_ops: worker threads run random IOAS map (4 KiB pages and
 * 2 MiB hugetlb, fixed or kernel-chosen IOVA), unmap (exact, by range, all),
 * copy, IOMMU_IOAS_NOIOMMU_GET_PA, device attach/detach and IOAS alloc/
 * destroy on two iommufds shared by all threads, each with three shared
 * IOASes, and the edu (and NVMe) devices. A closer thread meanwhile closes
 * and reopens the device fds (rebinding the devices, to either iommufd) and
 * the iommufds themselves. Every op has a set of errnos it may return; any
 * other, a kernel splat or a thread without progress for 20 s fails. Every
 * physical address GET_PA reports must be one of the pages the test maps,
 * and each thread's private page, mapped in IOAS 0 for the whole run, must
 * always read back at the address /proc/self/pagemap gives. Afterwards pins
 * and IOMMU page tables are back to their baseline and every device still
 * opens, binds, attaches and does real DMA.
 *
 * fd numbers: an ioctl on a closed fd number that another thread reused is a
 * test bug, so only the closer ever closes the shared ("original") fds, and
 * a worker never uses them: each worker dup()s them under a read lock into
 * its own fd table entries and closes its copy when the slot's generation
 * changes. The closer swaps a slot under the write lock and closes the
 * original afterwards, so its close() and the workers' own close() race
 * with ioctls on the other entries that refer to the same file, and the
 * final release of a device or iommufd file runs in whichever thread drops
 * the last reference, possibly at the end of another thread's ioctl.
 *
 * unplug.*: remove an edu that a user has bound, attached and mapped through
 * /sys/bus/pci/devices/<bdf>/remove. vfio-pci's remove waits for the user
 * and asks it to let go through the VFIO_PCI_REQ_IRQ_INDEX eventfd; the user
 * releases the device at once, only after a re-sent request, or is killed.
 * Then the device is re-plugged (rescan), rebound to vfio-pci and must work.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/param.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "kselftest_harness.h"
#include "lab_guest.h"

#define PAGE 4096UL
#define HUGE (2UL << 20)
#define NSEC_PER_SEC 1000000000ULL

static bool noiommu_cdev_built(void)
{
	return lab_noiommu_requested() && lab_kconfig("VFIO_NOIOMMU") == 'y' &&
	       lab_kconfig("VFIO_DEVICE_CDEV") == 'y';
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* ioctl() returning 0 or the errno, which reads better in errno sets */
static int xioctl(int fd, unsigned long request, void *arg)
{
	return ioctl(fd, request, arg) ? errno : 0;
}

/* 0 when a lab_ wrapper succeeded, else its errno */
static int err_of(int rc)
{
	return rc ? errno : 0;
}

static int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;
	int err;

	if (fd < 0)
		return errno;
	n = write(fd, text, strlen(text));
	err = n == (ssize_t)strlen(text) ? 0 : n < 0 ? errno : EIO;
	close(fd);
	return err;
}

static bool path_exists(const char *fmt, const char *arg)
{
	char path[256];

	snprintf(path, sizeof(path), fmt, arg);
	return access(path, F_OK) == 0;
}

/* Map len bytes at va; at *iova when fixed, else where the kernel likes. */
static int map_va(int iommufd, uint32_t ioas, const void *va, uint64_t len,
		  uint64_t *iova, bool fixed)
{
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE |
			 (fixed ? IOMMU_IOAS_MAP_FIXED_IOVA : 0),
		.ioas_id = ioas,
		.user_va = (uintptr_t)va,
		.length = len,
		.iova = fixed ? *iova : 0,
	};
	int err = xioctl(iommufd, IOMMU_IOAS_MAP, &map);

	if (!err)
		*iova = map.iova;
	return err;
}

/* Unmap [iova, iova + *len); *len returns what was unmapped. */
static int unmap_iova(int iommufd, uint32_t ioas, uint64_t iova,
		      uint64_t *len)
{
	struct iommu_ioas_unmap unmap = {
		.size = sizeof(unmap), .ioas_id = ioas,
		.iova = iova, .length = *len,
	};
	int err = xioctl(iommufd, IOMMU_IOAS_UNMAP, &unmap);

	*len = err ? 0 : unmap.length;
	return err;
}

static int get_pa(int iommufd, uint32_t ioas, uint64_t iova, uint64_t max_len,
		  uint64_t *pa, uint64_t *len)
{
	struct iommu_ioas_noiommu_get_pa cmd = {
		.size = sizeof(cmd), .ioas_id = ioas,
		.iova = iova, .length = max_len,
	};
	int err = xioctl(iommufd, IOMMU_IOAS_NOIOMMU_GET_PA, &cmd);

	*pa = err ? 0 : cmd.out_phys;
	*len = err ? 0 : cmd.length;
	return err;
}

static int set_req_eventfd(int dev_fd, int efd)
{
	struct {
		struct vfio_irq_set set;
		int fd;
	} req = {
		.set = {
			.argsz = sizeof(req),
			.flags = VFIO_IRQ_SET_DATA_EVENTFD |
				 VFIO_IRQ_SET_ACTION_TRIGGER,
			.index = VFIO_PCI_REQ_IRQ_INDEX,
			.count = 1,
		},
		.fd = efd,
	};

	return xioctl(dev_fd, VFIO_DEVICE_SET_IRQS, &req);
}

static int count_open_fds(void)
{
	return lab_count_prefix("/proc/self/fd", "");
}

static void fill_pattern(uint8_t *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 13 + seed);
}

/*
 * The proof that a device is fully usable: open its cdev, bind it to a new
 * iommufd, attach it to an IOAS and map two pages whose GET_PA addresses
 * match pagemap; an edu then copies one page to the other through its DMA
 * engine using those addresses.
 */
static void prove_device_works(struct __test_metadata *_metadata,
			       const char *bdf, bool edu)
{
	uint8_t *buf = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	uint64_t iova = 0x100000, pa[2], len;
	volatile void *bar;
	size_t bar_size;
	int fd, iommufd, i;
	uint32_t ioas, pt;

	ASSERT_NE(MAP_FAILED, buf);
	fd = lab_open_noiommu_cdev(bdf);
	ASSERT_LE(0, fd) TH_LOG("%s: open: %s", bdf, strerror(errno));
	iommufd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, iommufd);
	ASSERT_EQ(0, err_of(lab_bind_iommufd(fd, iommufd, NULL)))
		TH_LOG("%s: bind", bdf);
	ASSERT_EQ(0, err_of(lab_ioas_alloc(iommufd, &ioas)));
	pt = ioas;
	ASSERT_EQ(0, err_of(lab_attach_pt(fd, pt, &pt)))
		TH_LOG("%s: attach", bdf);
	ASSERT_EQ(0, map_va(iommufd, ioas, buf, 2 * PAGE, &iova, true));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, get_pa(iommufd, ioas, iova + i * PAGE, PAGE,
				    &pa[i], &len));
		ASSERT_EQ(lab_pagemap_pa(buf + i * PAGE), pa[i]);
		ASSERT_EQ(PAGE, len);
	}
	if (edu) {
		bar = lab_map_bar(fd, 0, &bar_size);
		ASSERT_NE(NULL, bar);
		ASSERT_EQ(0, lab_enable_bus_master(fd));
		ASSERT_EQ(EDU_ID_VALUE, edu_read32(bar, EDU_REG_ID));
		fill_pattern(buf, PAGE, (unsigned int)now_ns());
		memset(buf + PAGE, 0, PAGE);
		ASSERT_EQ(0, edu_round_trip(bar, pa[0], pa[1], PAGE));
		ASSERT_EQ(0, memcmp(buf, buf + PAGE, PAGE))
			TH_LOG("%s: DMA round trip corrupted the data", bdf);
		munmap((void *)bar, bar_size);
	}
	close(fd);
	close(iommufd);
	munmap(buf, 2 * PAGE);
}

/* ---- Concurrency stress ------------------------------------------------- */

#define NR_CTX 2		/* iommufds */
#define NR_SHARED 3		/* long-lived IOASes per iommufd */
#define MAX_EXTRA 6		/* extra IOASes the workers alloc and destroy */
#define MAX_DEVS 3		/* 2 edu + NVMe */
#define MAX_WORKERS 32
#define POOL_PAGES 256
#define MAX_HUGE 4
#define RING 24			/* a worker's own mappings it remembers */
#define PRIV_IOVA 0x100000ULL	/* + worker * PAGE, in IOAS 0 of each ctx */
#define WINDOW_IOVA 0x40000000ULL	/* where random fixed maps go */
#define WINDOW_LEN (64ULL << 20)
#define STALL_NS (20 * NSEC_PER_SEC)
#define MAX_OPS_PER_THREAD 50000000ULL

enum op {
	OP_MAP_4K, OP_MAP_AUTO, OP_MAP_2M, OP_UNMAP_MINE, OP_UNMAP_RANGE,
	OP_UNMAP_ALL, OP_GET_PA_PRIVATE, OP_GET_PA_RANDOM, OP_ATTACH,
	OP_DETACH, OP_COPY, OP_IOAS_ALLOC, OP_IOAS_DESTROY,
	/* the closer's */
	OP_REOPEN_DEVICE, OP_BIND_RETRY, OP_REOPEN_IOMMUFD, OP_IDLE,
	NR_OPS
};

static const struct {
	const char *name;
	int weight;		/* for the workers' random choice */
} op_info[NR_OPS] = {
	[OP_MAP_4K] = { "IOAS_MAP 4K fixed", 14 },
	[OP_MAP_AUTO] = { "IOAS_MAP 4K auto-IOVA", 6 },
	[OP_MAP_2M] = { "IOAS_MAP 2M hugetlb", 6 },
	[OP_UNMAP_MINE] = { "IOAS_UNMAP exact", 10 },
	[OP_UNMAP_RANGE] = { "IOAS_UNMAP range", 4 },
	[OP_UNMAP_ALL] = { "IOAS_UNMAP all", 2 },
	[OP_GET_PA_PRIVATE] = { "GET_PA private", 12 },
	[OP_GET_PA_RANDOM] = { "GET_PA random", 14 },
	[OP_ATTACH] = { "DEVICE_ATTACH", 8 },
	[OP_DETACH] = { "DEVICE_DETACH", 3 },
	[OP_COPY] = { "IOAS_COPY", 8 },
	[OP_IOAS_ALLOC] = { "IOAS_ALLOC", 4 },
	[OP_IOAS_DESTROY] = { "DESTROY ioas", 4 },
	[OP_REOPEN_DEVICE] = { "close+reopen+bind device", 0 },
	[OP_BIND_RETRY] = { "BIND while old fd in use", 0 },
	[OP_REOPEN_IOMMUFD] = { "close+reopen iommufd", 0 },
	[OP_IDLE] = { "idle", 0 },
};

enum res {
	RES_OK, RES_ENOENT, RES_EEXIST, RES_EBUSY, RES_EOPNOTSUPP, RES_EINVAL,
	RES_OTHER, NR_RES
};
static const int res_errno[NR_RES] = {
	0, ENOENT, EEXIST, EBUSY, EOPNOTSUPP, EINVAL, -1
};
static const char *const res_name[NR_RES] = {
	"ok", "ENOENT", "EEXIST", "EBUSY", "EOPNOTSUPP", "EINVAL", "other"
};
#define ALLOW(r) (1u << (r))

/* An iommufd every thread uses; the closer replaces it now and then. */
struct ctx_slot {
	pthread_rwlock_t lock;	/* fd, gen, ioas: written by the closer */
	int fd;
	unsigned int gen;
	uint32_t ioas[NR_SHARED];
	pthread_mutex_t extra_lock;
	uint32_t extra[MAX_EXTRA];
	int nr_extra;
};

/* A device cdev; the closer closes and reopens it now and then. */
struct dev_slot {
	pthread_rwlock_t lock;	/* all but bdf/edu: written by the closer */
	char bdf[16];
	bool edu;
	int fd;			/* -1 while the closer reopens the device */
	unsigned int gen;
	int ctx;		/* the iommufd slot it was bound through */
	unsigned int ctx_gen;	/* and that iommufd's generation */
	uint32_t ioas[NR_SHARED];	/* shared IOASes of that iommufd */
};

struct record {			/* a mapping a worker made */
	int ctx;
	uint32_t ioas;
	uint64_t iova;
	uint64_t len;
};

struct worker {
	int id;
	pthread_t thread;
	uint64_t rng;
	/* This thread's view: its own dup()s of the slots' fds. */
	int ctx_fd[NR_CTX];
	unsigned int ctx_gen[NR_CTX];
	uint32_t ctx_ioas[NR_CTX][NR_SHARED];
	int dev_fd[MAX_DEVS];
	unsigned int dev_gen[MAX_DEVS];
	int dev_ctx[MAX_DEVS];
	unsigned int dev_ctx_gen[MAX_DEVS];
	uint32_t dev_ioas[MAX_DEVS][NR_SHARED];
	struct record ring[RING];
	int nr_ring;
	uint64_t count[NR_OPS][NR_RES];
	uint64_t ops;
	/* Watchdog: time of the last completed op, and the op under way */
	uint64_t progress_ns;
	int cur_op;
};

static struct {
	int nr_workers;
	int nr_devs;
	bool stop;
	struct ctx_slot ctx[NR_CTX];
	struct dev_slot dev[MAX_DEVS];
	struct worker *workers;	/* nr_workers, then the closer */
	/* Memory the test maps: never freed, mlocked, no THP */
	uint8_t *pool;
	uint64_t pool_pa[POOL_PAGES];
	uint8_t *priv;		/* one page per worker */
	uint64_t priv_pa[MAX_WORKERS];
	uint8_t *huge;
	int nr_huge;
	uint64_t huge_pa[MAX_HUGE];
	uint64_t *known;	/* sorted PAs of pool and private pages */
	int nr_known;
	int pagemap_fd;
	pthread_mutex_t fail_lock;
	int nr_fail;
	char fail_msg[8][320];
} st;

static bool stopped(void)
{
	return __atomic_load_n(&st.stop, __ATOMIC_ACQUIRE);
}

static uint64_t rnd(struct worker *w)
{
	/* xorshift64* */
	w->rng ^= w->rng >> 12;
	w->rng ^= w->rng << 25;
	w->rng ^= w->rng >> 27;
	return w->rng * 0x2545f4914f6cdd1dULL;
}

static uint64_t rnd_below(struct worker *w, uint64_t n)
{
	return n ? rnd(w) % n : 0;
}

static void fail(struct worker *w, const char *fmt, ...)
{
	char msg[320];
	va_list ap;
	int n;

	n = snprintf(msg, sizeof(msg), "thread %d: ", w->id);
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - n, fmt, ap);
	va_end(ap);
	/* Right away too: a hang that follows must not hide it */
	fprintf(stderr, "# FAIL %s\n", msg);
	pthread_mutex_lock(&st.fail_lock);
	if (st.nr_fail < (int)ARRAY_SIZE(st.fail_msg))
		snprintf(st.fail_msg[st.nr_fail], sizeof(st.fail_msg[0]),
			 "%s", msg);
	st.nr_fail++;
	pthread_mutex_unlock(&st.fail_lock);
}

static enum res res_of(int err)
{
	int r;

	for (r = 0; r < RES_OTHER; r++)
		if (res_errno[r] == err)
			return r;
	return RES_OTHER;
}

/* Count the result of op; false (and a failure) when it is not allowed. */
static bool check(struct worker *w, enum op op, int err, unsigned int allowed,
		  const char *fmt, ...)
{
	enum res r = res_of(err);
	char what[200];
	va_list ap;

	w->count[op][r]++;
	if (allowed & ALLOW(r))
		return true;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	fail(w, "%s: errno %d (%s) is not allowed [%s]", op_info[op].name, err,
	     strerror(err), what);
	return false;
}

static uint64_t pagemap_pa(const void *addr)
{
	uint64_t entry = 0;

	if (pread(st.pagemap_fd, &entry, sizeof(entry),
		  (uintptr_t)addr / PAGE * sizeof(entry)) != sizeof(entry))
		return 0;
	if (!(entry & (1ULL << 63)))
		return 0;
	return (entry & ((1ULL << 55) - 1)) * PAGE;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Is pa inside memory this test maps? Nothing else may ever show up. */
static bool pa_known(uint64_t pa)
{
	uint64_t page = pa & ~(PAGE - 1);
	int i;

	for (i = 0; i < st.nr_huge; i++)
		if (pa >= st.huge_pa[i] && pa < st.huge_pa[i] + HUGE)
			return true;
	return bsearch(&page, st.known, st.nr_known, sizeof(page),
		       cmp_u64) != NULL;
}

/* ---- the workers' view of the shared fds ------------------------------ */

static void drop_records(struct worker *w, int c)
{
	int i, n = 0;

	for (i = 0; i < w->nr_ring; i++)
		if (w->ring[i].ctx != c)
			w->ring[n++] = w->ring[i];
	w->nr_ring = n;
}

static void refresh_ctx(struct worker *w, int c)
{
	struct ctx_slot *s = &st.ctx[c];
	int old;

	if (__atomic_load_n(&s->gen, __ATOMIC_ACQUIRE) == w->ctx_gen[c])
		return;
	pthread_rwlock_rdlock(&s->lock);
	old = w->ctx_fd[c];
	w->ctx_fd[c] = dup(s->fd);
	w->ctx_gen[c] = s->gen;
	memcpy(w->ctx_ioas[c], s->ioas, sizeof(s->ioas));
	pthread_rwlock_unlock(&s->lock);
	if (w->ctx_fd[c] < 0)
		fail(w, "dup of iommufd %d: %s", c, strerror(errno));
	/* Maybe the last reference: the iommufd is released right here */
	if (old >= 0)
		close(old);
	drop_records(w, c);
}

static void refresh_dev(struct worker *w, int d)
{
	struct dev_slot *s = &st.dev[d];
	int old;

	if (__atomic_load_n(&s->gen, __ATOMIC_ACQUIRE) == w->dev_gen[d])
		return;
	pthread_rwlock_rdlock(&s->lock);
	old = w->dev_fd[d];
	w->dev_fd[d] = s->fd >= 0 ? dup(s->fd) : -1;
	if (s->fd >= 0 && w->dev_fd[d] < 0)
		fail(w, "dup of device %s: %s", s->bdf, strerror(errno));
	w->dev_gen[d] = s->gen;
	w->dev_ctx[d] = s->ctx;
	w->dev_ctx_gen[d] = s->ctx_gen;
	memcpy(w->dev_ioas[d], s->ioas, sizeof(s->ioas));
	pthread_rwlock_unlock(&s->lock);
	if (old >= 0)
		close(old);
}

static void refresh_view(struct worker *w)
{
	int i;

	for (i = 0; i < NR_CTX; i++)
		refresh_ctx(w, i);
	for (i = 0; i < st.nr_devs; i++)
		refresh_dev(w, i);
}

static void close_view(struct worker *w)
{
	int i;

	for (i = 0; i < NR_CTX; i++)
		if (w->ctx_fd[i] >= 0)
			close(w->ctx_fd[i]);
	for (i = 0; i < st.nr_devs; i++)
		if (w->dev_fd[i] >= 0)
			close(w->dev_fd[i]);
}

/*
 * An IOAS of iommufd c as this thread sees it: mostly a shared one (from
 * index first on), sometimes an extra one, which may vanish any time.
 */
static uint32_t pick_ioas(struct worker *w, int c, int first, bool *extra)
{
	struct ctx_slot *s = &st.ctx[c];
	uint32_t id = 0;

	*extra = false;
	if (rnd_below(w, 4) == 0) {
		pthread_mutex_lock(&s->extra_lock);
		if (s->gen == w->ctx_gen[c] && s->nr_extra) {
			id = s->extra[rnd_below(w, s->nr_extra)];
			*extra = true;
		}
		pthread_mutex_unlock(&s->extra_lock);
	}
	if (!*extra)
		id = w->ctx_ioas[c][first + rnd_below(w, NR_SHARED - first)];
	return id;
}

static int pick_ctx(struct worker *w)
{
	return rnd_below(w, NR_CTX);
}

/* ---- worker ops -------------------------------------------------------- */

static int pick_dev(struct worker *w)
{
	int d = rnd_below(w, st.nr_devs);

	return w->dev_fd[d] >= 0 ? d : -1;
}

static void unmap_record(struct worker *w, int i)
{
	struct record r = w->ring[i];
	uint64_t len = r.len;
	int err;

	w->ring[i] = w->ring[--w->nr_ring];
	err = unmap_iova(w->ctx_fd[r.ctx], r.ioas, r.iova, &len);
	/* Others may have unmapped it (ENOENT) or be mapping there (EBUSY) */
	if (!check(w, OP_UNMAP_MINE, err,
		   ALLOW(RES_OK) | ALLOW(RES_ENOENT) | ALLOW(RES_EBUSY),
		   "ioas %u iova 0x%llx len 0x%llx", r.ioas,
		   (unsigned long long)r.iova, (unsigned long long)r.len))
		return;
	if (!err && (!len || len > r.len))
		fail(w, "UNMAP of 0x%llx bytes at 0x%llx unmapped 0x%llx",
		     (unsigned long long)r.len, (unsigned long long)r.iova,
		     (unsigned long long)len);
}

static void add_record(struct worker *w, int c, uint32_t ioas, uint64_t iova,
		       uint64_t len)
{
	/* Keep what stays mapped bounded: let go of the oldest one */
	if (w->nr_ring == RING)
		unmap_record(w, rnd_below(w, RING));
	w->ring[w->nr_ring++] = (struct record){ c, ioas, iova, len };
}

static uint64_t window_iova(struct worker *w, uint64_t len, uint64_t align)
{
	return WINDOW_IOVA + rnd_below(w, (WINDOW_LEN - len) / align + 1) * align;
}

static void op_map(struct worker *w, enum op op)
{
	int c = pick_ctx(w);
	uint64_t len, iova = 0;
	unsigned int allowed;
	bool extra, fixed;
	uint32_t ioas;
	void *va;
	int err;

	ioas = pick_ioas(w, c, 0, &extra);
	if (op == OP_MAP_2M) {
		va = st.huge + rnd_below(w, st.nr_huge) * HUGE;
		len = HUGE;
		fixed = rnd_below(w, 4) != 0;
		/* Mostly at a 2 MiB IOVA (one block entry), else 4 KiB */
		if (fixed)
			iova = window_iova(w, len, rnd_below(w, 3) ? HUGE : PAGE);
	} else {
		len = (1 + rnd_below(w, 8)) * PAGE;
		va = st.pool + rnd_below(w, POOL_PAGES - len / PAGE + 1) * PAGE;
		fixed = op == OP_MAP_4K;
		if (fixed)
			iova = window_iova(w, len, PAGE);
	}
	err = map_va(w->ctx_fd[c], ioas, va, len, &iova, fixed);
	/* Fixed IOVAs collide (EEXIST); an extra IOAS may be gone (ENOENT) */
	allowed = ALLOW(RES_OK) | (fixed ? ALLOW(RES_EEXIST) : 0) |
		  (extra ? ALLOW(RES_ENOENT) : 0);
	if (check(w, op, err, allowed, "ctx %d ioas %u iova 0x%llx len 0x%llx",
		  c, ioas, (unsigned long long)iova,
		  (unsigned long long)len) && !err)
		add_record(w, c, ioas, iova, len);
}

static void op_unmap_mine(struct worker *w)
{
	if (!w->nr_ring) {
		op_map(w, OP_MAP_4K);
		return;
	}
	unmap_record(w, rnd_below(w, w->nr_ring));
}

static void op_unmap_range(struct worker *w)
{
	uint64_t len = (1 + rnd_below(w, 4)) * HUGE, done = len;
	uint64_t iova = window_iova(w, len, HUGE);
	int c = pick_ctx(w);
	bool extra;
	uint32_t ioas = pick_ioas(w, c, 0, &extra);
	int err;

	err = unmap_iova(w->ctx_fd[c], ioas, iova, &done);
	/* ENOENT: nothing there, or a mapping sticks out of the range */
	if (check(w, OP_UNMAP_RANGE, err,
		  ALLOW(RES_OK) | ALLOW(RES_ENOENT) | ALLOW(RES_EBUSY),
		  "ioas %u iova 0x%llx len 0x%llx", ioas,
		  (unsigned long long)iova, (unsigned long long)len) &&
	    !err && (!done || done > len))
		fail(w, "UNMAP range 0x%llx+0x%llx unmapped 0x%llx",
		     (unsigned long long)iova, (unsigned long long)len,
		     (unsigned long long)done);
}

static void op_unmap_all(struct worker *w)
{
	uint64_t len = UINT64_MAX;
	int c = pick_ctx(w);
	bool extra;
	/* Never IOAS 0: the private pages stay mapped there */
	uint32_t ioas = pick_ioas(w, c, 1, &extra);
	int err = unmap_iova(w->ctx_fd[c], ioas, 0, &len);

	/*
	 * Unmap-all drops iova_rwsem after each area, so a concurrent map
	 * can land on space it already freed and reach past where it goes
	 * on: iopt_unmap_iova_range() then finds an area starting below its
	 * cursor and fails with ENOENT, or EBUSY on one still being mapped.
	 * Racing map and unmap on one IOAS is the user's doing (IOMMUFD says
	 * so), these threads do it on purpose.
	 */
	check(w, OP_UNMAP_ALL, err,
	      ALLOW(RES_OK) | ALLOW(RES_EBUSY) | ALLOW(RES_ENOENT),
	      "ioas %u", ioas);
}

/* What GET_PA says of a successful lookup, whatever the mapping */
static void check_pa_shape(struct worker *w, enum op op, uint64_t iova,
			   uint64_t max_len, uint64_t pa, uint64_t len)
{
	if (!pa || !len || (pa & (PAGE - 1)) != (iova & (PAGE - 1)) ||
	    len > max_len ||
	    (max_len == UINT64_MAX && (pa + len) % PAGE))
		fail(w, "%s: iova 0x%llx max 0x%llx gave pa 0x%llx len 0x%llx",
		     op_info[op].name, (unsigned long long)iova,
		     (unsigned long long)max_len, (unsigned long long)pa,
		     (unsigned long long)len);
	else if (!pa_known(pa))
		fail(w, "%s: iova 0x%llx gave pa 0x%llx, which is no page "
		     "this test ever mapped", op_info[op].name,
		     (unsigned long long)iova, (unsigned long long)pa);
}

/* Half the lookups ask for the whole run; the others for 1..3 pages */
static uint64_t pick_max_len(struct worker *w)
{
	return rnd_below(w, 2) ? UINT64_MAX : 1 + rnd_below(w, 3 * PAGE);
}

/*
 * The worker's private page stays mapped in IOAS 0 for the whole run and
 * nobody else touches that IOVA: while a device is attached it must read
 * back at exactly the page's physical address; while none is, no no-IOMMU
 * page table stores it (EOPNOTSUPP).
 */
static void op_get_pa_private(struct worker *w)
{
	uint64_t off = rnd_below(w, PAGE), max_len = pick_max_len(w);
	uint64_t iova = PRIV_IOVA + w->id * PAGE + off, pa, len;
	uint64_t want = st.priv_pa[w->id] + off;
	int c = pick_ctx(w), d = pick_dev(w), err;
	uint32_t ioas;

	/* Often the iommufd a device is bound to: more lookups find a PA */
	if (d >= 0 && rnd_below(w, 2) &&
	    w->dev_ctx_gen[d] == w->ctx_gen[w->dev_ctx[d]])
		c = w->dev_ctx[d];
	ioas = w->ctx_ioas[c][0];
	err = get_pa(w->ctx_fd[c], ioas, iova, max_len, &pa, &len);

	if (!check(w, OP_GET_PA_PRIVATE, err, ALLOW(RES_OK) | ALLOW(RES_EOPNOTSUPP),
		   "ctx %d ioas %u iova 0x%llx", c, ioas,
		   (unsigned long long)iova) || err)
		return;
	if (pa != want)
		fail(w, "GET_PA of the private page: pa 0x%llx, pagemap had "
		     "0x%llx (now 0x%llx)", (unsigned long long)pa,
		     (unsigned long long)want,
		     (unsigned long long)(pagemap_pa(st.priv + w->id * PAGE) +
					  off));
	if (len < MIN(max_len, PAGE - off))
		fail(w, "GET_PA of the private page: len 0x%llx at offset "
		     "0x%llx, max 0x%llx", (unsigned long long)len,
		     (unsigned long long)off, (unsigned long long)max_len);
	check_pa_shape(w, OP_GET_PA_PRIVATE, iova, max_len, pa, len);
	/* Now and then, confirm the page did not move meanwhile */
	if (!rnd_below(w, 16) && pagemap_pa(st.priv + w->id * PAGE) !=
				 st.priv_pa[w->id])
		fail(w, "private page moved: pagemap 0x%llx, was 0x%llx",
		     (unsigned long long)pagemap_pa(st.priv + w->id * PAGE),
		     (unsigned long long)st.priv_pa[w->id]);
}

static void op_get_pa_random(struct worker *w)
{
	uint64_t max_len = pick_max_len(w), pa, len, iova;
	int c = pick_ctx(w), err;
	bool extra;
	uint32_t ioas = pick_ioas(w, c, 0, &extra);

	/*
	 * Inside one of this thread's mappings (which others may have
	 * unmapped meanwhile), anywhere in the window, or at low IOVAs where
	 * the kernel-chosen maps and the private pages are.
	 */
	if (w->nr_ring && rnd_below(w, 2)) {
		struct record *r = &w->ring[rnd_below(w, w->nr_ring)];

		c = r->ctx;
		ioas = r->ioas;
		iova = r->iova + rnd_below(w, r->len);
	} else if (rnd_below(w, 3)) {
		iova = WINDOW_IOVA + rnd_below(w, WINDOW_LEN);
	} else {
		iova = rnd_below(w, 16ULL << 20);
	}
	err = get_pa(w->ctx_fd[c], ioas, iova, max_len, &pa, &len);
	if (check(w, OP_GET_PA_RANDOM, err,
		  ALLOW(RES_OK) | ALLOW(RES_ENOENT) | ALLOW(RES_EOPNOTSUPP),
		  "ctx %d ioas %u iova 0x%llx", c, ioas,
		  (unsigned long long)iova) && !err)
		check_pa_shape(w, OP_GET_PA_RANDOM, iova, max_len, pa, len);
}

static void op_attach(struct worker *w)
{
	int d = pick_dev(w), c, err;
	struct ctx_slot *s;
	uint32_t id = 0, pt;
	bool extra = false;

	if (d < 0)
		return;
	c = w->dev_ctx[d];
	s = &st.ctx[c];
	if (rnd_below(w, 5) == 0) {
		pthread_mutex_lock(&s->extra_lock);
		if (s->gen == w->dev_ctx_gen[d] && s->nr_extra) {
			id = s->extra[rnd_below(w, s->nr_extra)];
			extra = true;
		}
		pthread_mutex_unlock(&s->extra_lock);
	}
	/* IOAS 0 half of the time: the private pages' PAs get checked */
	if (!extra)
		id = w->dev_ioas[d][rnd_below(w, 2) ? 0 :
				    rnd_below(w, NR_SHARED)];
	pt = id;
	err = err_of(lab_attach_pt(w->dev_fd[d], pt, &pt));
	/*
	 * A shared IOAS always takes the device. An extra IOAS may be gone
	 * (ENOENT) and its ID reused by a device object (EINVAL) or a HWPT.
	 */
	if (check(w, OP_ATTACH, err,
		  ALLOW(RES_OK) |
		  (extra ? ALLOW(RES_ENOENT) | ALLOW(RES_EINVAL) : 0),
		  "%s ctx %d pt %u", st.dev[d].bdf, c, id) &&
	    !err && !extra && pt == id)
		fail(w, "ATTACH %s to IOAS %u returned the IOAS, not its HWPT",
		     st.dev[d].bdf, id);
}

static void op_detach(struct worker *w)
{
	int d = pick_dev(w);

	if (d >= 0)
		check(w, OP_DETACH, err_of(lab_detach_pt(w->dev_fd[d])),
		      ALLOW(RES_OK), "%s", st.dev[d].bdf);
}

static void op_copy(struct worker *w)
{
	struct iommu_ioas_copy copy = {
		.size = sizeof(copy),
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
	};
	struct record r;
	bool extra;
	int err;

	if (!w->nr_ring) {
		op_map(w, OP_MAP_4K);
		return;
	}
	r = w->ring[rnd_below(w, w->nr_ring)];
	copy.src_ioas_id = r.ioas;
	copy.src_iova = r.iova;
	copy.length = r.len;
	copy.dst_ioas_id = pick_ioas(w, r.ctx, 0, &extra);
	if (rnd_below(w, 2)) {
		copy.flags |= IOMMU_IOAS_MAP_FIXED_IOVA;
		copy.dst_iova = window_iova(w, r.len, PAGE);
	}
	err = xioctl(w->ctx_fd[r.ctx], IOMMU_IOAS_COPY, &copy);
	/* The source may be gone (ENOENT), the target taken (EEXIST) */
	if (check(w, OP_COPY, err,
		  ALLOW(RES_OK) | ALLOW(RES_ENOENT) | ALLOW(RES_EEXIST),
		  "ioas %u 0x%llx+0x%llx -> ioas %u 0x%llx", r.ioas,
		  (unsigned long long)r.iova, (unsigned long long)r.len,
		  copy.dst_ioas_id, (unsigned long long)copy.dst_iova) && !err)
		add_record(w, r.ctx, copy.dst_ioas_id, copy.dst_iova, r.len);
}

static void op_ioas_alloc(struct worker *w)
{
	int c = pick_ctx(w);
	struct ctx_slot *s = &st.ctx[c];
	bool kept = false;
	uint32_t id;

	if (!check(w, OP_IOAS_ALLOC, err_of(lab_ioas_alloc(w->ctx_fd[c], &id)),
		   ALLOW(RES_OK), "ctx %d", c))
		return;
	pthread_mutex_lock(&s->extra_lock);
	if (s->gen == w->ctx_gen[c] && s->nr_extra < MAX_EXTRA) {
		s->extra[s->nr_extra++] = id;
		kept = true;
	}
	pthread_mutex_unlock(&s->extra_lock);
	/*
	 * EBUSY: the fresh IOAS may reuse the ID of a destroyed extra one
	 * that another thread, holding the old ID, just attached a device
	 * to. It is then left for the iommufd's close to free.
	 */
	if (!kept)
		check(w, OP_IOAS_DESTROY, err_of(lab_destroy(w->ctx_fd[c], id)),
		      ALLOW(RES_OK) | ALLOW(RES_EBUSY), "fresh ioas %u", id);
}

static void op_ioas_destroy(struct worker *w)
{
	int c = pick_ctx(w), i, err;
	struct ctx_slot *s = &st.ctx[c];
	uint32_t id = 0;

	pthread_mutex_lock(&s->extra_lock);
	if (s->gen == w->ctx_gen[c] && s->nr_extra) {
		i = rnd_below(w, s->nr_extra);
		id = s->extra[i];
		s->extra[i] = s->extra[--s->nr_extra];
	}
	pthread_mutex_unlock(&s->extra_lock);
	if (!id) {
		op_ioas_alloc(w);
		return;
	}
	err = err_of(lab_destroy(w->ctx_fd[c], id));
	/* EBUSY: a device is attached to it (through its HWPT) */
	if (!check(w, OP_IOAS_DESTROY, err, ALLOW(RES_OK) | ALLOW(RES_EBUSY),
		   "ctx %d ioas %u", c, id) || !err)
		return;
	pthread_mutex_lock(&s->extra_lock);
	if (s->gen == w->ctx_gen[c] && s->nr_extra < MAX_EXTRA)
		s->extra[s->nr_extra++] = id;
	pthread_mutex_unlock(&s->extra_lock);
}

static enum op pick_op(struct worker *w)
{
	int total = 0, x, op;

	for (op = 0; op < NR_OPS; op++)
		if (op != OP_MAP_2M || st.nr_huge)
			total += op_info[op].weight;
	x = rnd_below(w, total);
	for (op = 0; op < NR_OPS; op++) {
		if (op == OP_MAP_2M && !st.nr_huge)
			continue;
		if (x < op_info[op].weight)
			break;
		x -= op_info[op].weight;
	}
	return op;
}

static void run_op(struct worker *w, enum op op)
{
	switch (op) {
	case OP_MAP_4K:
	case OP_MAP_AUTO:
	case OP_MAP_2M:
		op_map(w, op);
		break;
	case OP_UNMAP_MINE:
		op_unmap_mine(w);
		break;
	case OP_UNMAP_RANGE:
		op_unmap_range(w);
		break;
	case OP_UNMAP_ALL:
		op_unmap_all(w);
		break;
	case OP_GET_PA_PRIVATE:
		op_get_pa_private(w);
		break;
	case OP_GET_PA_RANDOM:
		op_get_pa_random(w);
		break;
	case OP_ATTACH:
		op_attach(w);
		break;
	case OP_DETACH:
		op_detach(w);
		break;
	case OP_COPY:
		op_copy(w);
		break;
	case OP_IOAS_ALLOC:
		op_ioas_alloc(w);
		break;
	case OP_IOAS_DESTROY:
		op_ioas_destroy(w);
		break;
	default:
		break;
	}
}

static void made_progress(struct worker *w)
{
	__atomic_store_n(&w->progress_ns, now_ns(), __ATOMIC_RELEASE);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	int i;

	for (i = 0; i < NR_CTX; i++)
		w->ctx_fd[i] = -1;
	for (i = 0; i < MAX_DEVS; i++)
		w->dev_fd[i] = -1;
	while (!stopped() && w->ops < MAX_OPS_PER_THREAD) {
		enum op op;

		refresh_view(w);
		op = pick_op(w);
		__atomic_store_n(&w->cur_op, op, __ATOMIC_RELAXED);
		run_op(w, op);
		w->ops++;
		made_progress(w);
	}
	close_view(w);
	return NULL;
}

/* ---- the closer -------------------------------------------------------- */

/* A new iommufd with its shared IOASes and every worker's private page. */
static int new_ctx(struct worker *w, uint32_t ioas[NR_SHARED])
{
	int fd = open("/dev/iommu", O_RDWR), i, err = 0;
	uint64_t iova;

	if (fd < 0) {
		fail(w, "open /dev/iommu: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < NR_SHARED && !err; i++)
		err = err_of(lab_ioas_alloc(fd, &ioas[i]));
	for (i = 0; i < st.nr_workers && !err; i++) {
		iova = PRIV_IOVA + i * PAGE;
		err = map_va(fd, ioas[0], st.priv + i * PAGE, PAGE, &iova,
			     true);
	}
	if (err) {
		fail(w, "setting up a new iommufd: %s", strerror(err));
		close(fd);
		return -1;
	}
	return fd;
}

static void reopen_ctx(struct worker *w, int c)
{
	struct ctx_slot *s = &st.ctx[c];
	uint32_t ioas[NR_SHARED];
	int fd = new_ctx(w, ioas), old;

	if (fd < 0)
		return;
	pthread_rwlock_wrlock(&s->lock);
	pthread_mutex_lock(&s->extra_lock);
	old = s->fd;
	s->fd = fd;
	memcpy(s->ioas, ioas, sizeof(ioas));
	s->nr_extra = 0;
	__atomic_store_n(&s->gen, s->gen + 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&s->extra_lock);
	pthread_rwlock_unlock(&s->lock);
	/* Workers may be in ioctls on their dups of it right now */
	close(old);
	w->count[OP_REOPEN_IOMMUFD][RES_OK]++;
}

/*
 * Bind fd to iommufd slot c. Until every thread has dropped its dup of the
 * previous fd, the device is still open through it and the cdev refuses a
 * second bind with EINVAL: retry for up to 10 s.
 */
static int bind_when_released(struct worker *w, int fd, int c,
			      const char *bdf)
{
	uint64_t start = now_ns();
	int err;

	for (;;) {
		err = err_of(lab_bind_iommufd(fd, st.ctx[c].fd, NULL));
		if (err != EINVAL || now_ns() - start > 10 * NSEC_PER_SEC)
			break;
		w->count[OP_BIND_RETRY][RES_EINVAL]++;
		made_progress(w);
		sleep_ms(1);
	}
	if (err)
		fail(w, "BIND %s: %s%s", bdf, strerror(err),
		     err == EINVAL ? " for 10 s: old fd never released" : "");
	return err;
}

static void reopen_dev(struct worker *w, int d)
{
	struct dev_slot *s = &st.dev[d];
	int c = pick_ctx(w), fd, old, err;
	uint32_t pt;

	pthread_rwlock_wrlock(&s->lock);
	old = s->fd;
	s->fd = -1;
	__atomic_store_n(&s->gen, s->gen + 1, __ATOMIC_RELEASE);
	pthread_rwlock_unlock(&s->lock);
	if (old >= 0)
		close(old);

	fd = lab_open_noiommu_cdev(s->bdf);
	if (fd < 0) {
		fail(w, "reopen %s: %s", s->bdf, strerror(errno));
		return;
	}
	if (bind_when_released(w, fd, c, s->bdf)) {
		close(fd);
		return;
	}
	/* Mostly attached to a shared IOAS, sometimes left unattached */
	if (rnd_below(w, 5)) {
		pt = st.ctx[c].ioas[rnd_below(w, NR_SHARED)];
		err = err_of(lab_attach_pt(fd, pt, &pt));
		if (err)
			fail(w, "ATTACH %s after rebind: %s", s->bdf,
			     strerror(err));
	}
	pthread_rwlock_wrlock(&s->lock);
	s->fd = fd;
	s->ctx = c;
	s->ctx_gen = st.ctx[c].gen;
	memcpy(s->ioas, st.ctx[c].ioas, sizeof(s->ioas));
	__atomic_store_n(&s->gen, s->gen + 1, __ATOMIC_RELEASE);
	pthread_rwlock_unlock(&s->lock);
	w->count[OP_REOPEN_DEVICE][RES_OK]++;
}

static void *closer_main(void *arg)
{
	struct worker *w = arg;

	while (!stopped()) {
		__atomic_store_n(&w->cur_op, OP_IDLE, __ATOMIC_RELAXED);
		sleep_ms(20 + rnd_below(w, 130));
		if (stopped())
			break;
		if (rnd_below(w, 2)) {
			__atomic_store_n(&w->cur_op, OP_REOPEN_DEVICE,
					 __ATOMIC_RELAXED);
			reopen_dev(w, rnd_below(w, st.nr_devs));
		} else {
			__atomic_store_n(&w->cur_op, OP_REOPEN_IOMMUFD,
					 __ATOMIC_RELAXED);
			reopen_ctx(w, pick_ctx(w));
		}
		w->ops++;
		made_progress(w);
	}
	return NULL;
}

/* ---- setup, watchdog, report ------------------------------------------- */

static long env_long(const char *name, long def, long min, long max)
{
	const char *v = getenv(name);
	long n = v ? strtol(v, NULL, 0) : def;

	return n < min ? min : n > max ? max : n;
}

static void *map_locked(size_t len, int extra_flags)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE | extra_flags,
		       -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	/*
	 * The PAs are recorded once and must not change: no THP collapse,
	 * and mlock, which (with compact_unevictable_allowed=0) keeps
	 * compaction from moving the pages while nothing pins them.
	 */
	if (!(extra_flags & MAP_HUGETLB))
		madvise(p, len, MADV_NOHUGEPAGE);
	mlock(p, len);
	memset(p, 0x5a, len);
	return p;
}

static void setup_memory(struct __test_metadata *_metadata)
{
	int i, n = 0;

	st.pagemap_fd = open("/proc/self/pagemap", O_RDONLY);
	ASSERT_LE(0, st.pagemap_fd);
	st.pool = map_locked(POOL_PAGES * PAGE, 0);
	st.priv = map_locked(st.nr_workers * PAGE, 0);
	ASSERT_NE(NULL, st.pool);
	ASSERT_NE(NULL, st.priv);
	for (st.nr_huge = MAX_HUGE; st.nr_huge > 0; st.nr_huge--) {
		st.huge = map_locked(st.nr_huge * HUGE, MAP_HUGETLB);
		if (st.huge)
			break;
	}
	st.known = calloc(POOL_PAGES + st.nr_workers, sizeof(*st.known));
	ASSERT_NE(NULL, st.known);
	for (i = 0; i < POOL_PAGES; i++) {
		st.pool_pa[i] = pagemap_pa(st.pool + i * PAGE);
		ASSERT_NE(0, st.pool_pa[i]);
		st.known[n++] = st.pool_pa[i];
	}
	for (i = 0; i < st.nr_workers; i++) {
		st.priv_pa[i] = pagemap_pa(st.priv + i * PAGE);
		ASSERT_NE(0, st.priv_pa[i]);
		st.known[n++] = st.priv_pa[i];
	}
	for (i = 0; i < st.nr_huge; i++) {
		st.huge_pa[i] = pagemap_pa(st.huge + i * HUGE);
		ASSERT_NE(0, st.huge_pa[i]);
	}
	qsort(st.known, n, sizeof(*st.known), cmp_u64);
	st.nr_known = n;
}

/* Pages whose physical address changed since setup (should be none) */
static int pages_moved(void)
{
	int i, moved = 0;

	for (i = 0; i < POOL_PAGES; i++)
		moved += pagemap_pa(st.pool + i * PAGE) != st.pool_pa[i];
	for (i = 0; i < st.nr_workers; i++)
		moved += pagemap_pa(st.priv + i * PAGE) != st.priv_pa[i];
	for (i = 0; i < st.nr_huge; i++)
		moved += pagemap_pa(st.huge + i * HUGE) != st.huge_pa[i];
	return moved;
}

static void setup_slots(struct __test_metadata *_metadata,
			struct worker *closer)
{
	char bdf[16];
	int i, c;

	for (i = 0; i < NR_CTX; i++) {
		pthread_rwlock_init(&st.ctx[i].lock, NULL);
		pthread_mutex_init(&st.ctx[i].extra_lock, NULL);
		st.ctx[i].fd = new_ctx(closer, st.ctx[i].ioas);
		ASSERT_LE(0, st.ctx[i].fd);
		st.ctx[i].gen = 1;
	}
	for (i = 0; i < 2 && lab_find_pci(EDU_VENDOR, EDU_DEVICE, i, bdf); i++) {
		snprintf(st.dev[st.nr_devs].bdf, sizeof(bdf), "%s", bdf);
		st.dev[st.nr_devs++].edu = true;
	}
	ASSERT_LT(0, st.nr_devs) TH_LOG("no edu device");
	if (lab_find_pci(QEMU_NVME_VENDOR, QEMU_NVME_DEVICE, 0, bdf) &&
	    env_long("NOIOMMU_STRESS_NVME", 1, 0, 1))
		snprintf(st.dev[st.nr_devs++].bdf, sizeof(bdf), "%s", bdf);
	for (i = 0; i < st.nr_devs; i++) {
		struct dev_slot *s = &st.dev[i];
		uint32_t pt;

		c = i % NR_CTX;
		pthread_rwlock_init(&s->lock, NULL);
		s->fd = lab_open_noiommu_cdev(s->bdf);
		ASSERT_LE(0, s->fd) TH_LOG("%s: %s", s->bdf, strerror(errno));
		ASSERT_EQ(0, err_of(lab_bind_iommufd(s->fd, st.ctx[c].fd, NULL)));
		pt = st.ctx[c].ioas[0];
		ASSERT_EQ(0, err_of(lab_attach_pt(s->fd, pt, &pt)));
		s->ctx = c;
		s->ctx_gen = st.ctx[c].gen;
		memcpy(s->ioas, st.ctx[c].ioas, sizeof(s->ioas));
		s->gen = 1;
	}
}

/*
 * Wait until the deadline while every thread keeps making progress. Returns
 * false when one stalled for STALL_NS.
 */
static bool watch(struct __test_metadata *_metadata, uint64_t deadline)
{
	int i, n = st.nr_workers + 1;

	while (now_ns() < deadline) {
		uint64_t now;

		sleep_ms(200);
		now = now_ns();
		for (i = 0; i < n; i++) {
			struct worker *w = &st.workers[i];
			uint64_t last = __atomic_load_n(&w->progress_ns,
							__ATOMIC_ACQUIRE);

			/* A thread may have moved on after "now" was read */
			if (last >= now || now - last < STALL_NS)
				continue;
			fail(w, "no progress for %llu s, in %s",
			     (unsigned long long)((now - last) / NSEC_PER_SEC),
			     op_info[__atomic_load_n(&w->cur_op,
						     __ATOMIC_RELAXED)].name);
			return false;
		}
	}
	return true;
}

static bool join_all(void)
{
	struct timespec limit;
	bool ok = true;
	int i;

	clock_gettime(CLOCK_REALTIME, &limit);
	limit.tv_sec += 30;
	for (i = 0; i <= st.nr_workers; i++)
		if (pthread_timedjoin_np(st.workers[i].thread, NULL, &limit)) {
			fail(&st.workers[i], "did not stop within 30 s, in %s",
			     op_info[st.workers[i].cur_op].name);
			ok = false;
		}
	return ok;
}

static void report(double seconds)
{
	uint64_t total[NR_OPS][NR_RES] = { 0 }, all = 0, sum;
	char line[256];
	int i, op, r, n;

	for (i = 0; i <= st.nr_workers; i++)
		for (op = 0; op < NR_OPS; op++)
			for (r = 0; r < NR_RES; r++)
				total[op][r] += st.workers[i].count[op][r];
	ksft_print_msg("%d workers + 1 closer, %d devices, %d huge pages, "
		       "%.1f s\n", st.nr_workers, st.nr_devs, st.nr_huge,
		       seconds);
	for (op = 0; op < NR_OPS; op++) {
		for (sum = 0, r = 0; r < NR_RES; r++)
			sum += total[op][r];
		if (!sum)
			continue;
		all += sum;
		n = snprintf(line, sizeof(line), "%-26s %8llu (%7.1f/s)",
			     op_info[op].name, (unsigned long long)sum,
			     sum / seconds);
		for (r = 0; r < NR_RES; r++)
			if (total[op][r])
				n += snprintf(line + n, sizeof(line) - n,
					      " %s %llu", res_name[r],
					      (unsigned long long)total[op][r]);
		ksft_print_msg("%s\n", line);
	}
	ksft_print_msg("all ops %llu (%.1f/s)\n", (unsigned long long)all,
		       all / seconds);
}

FIXTURE(stress) {
	char compact_saved[16];
};

FIXTURE_SETUP(stress)
{
	int fd;
	ssize_t n;

	self->compact_saved[0] = '\0';
	if (!noiommu_cdev_built())
		SKIP(return, "no no-IOMMU cdev in this kernel/boot");
	/* Keep compaction away from mlocked pages: their PAs are checked */
	fd = open("/proc/sys/vm/compact_unevictable_allowed", O_RDONLY);
	if (fd >= 0) {
		n = read(fd, self->compact_saved,
			 sizeof(self->compact_saved) - 1);
		self->compact_saved[n > 0 ? n : 0] = '\0';
		close(fd);
		write_text("/proc/sys/vm/compact_unevictable_allowed", "0");
	}
}

FIXTURE_TEARDOWN(stress)
{
	if (self->compact_saved[0])
		write_text("/proc/sys/vm/compact_unevictable_allowed",
			   self->compact_saved);
}

/* NOIOMMU_STRESS_SECONDS is capped at 600, the harness's limit is above */
TEST_F_TIMEOUT(stress, random_ops, 900)
{
	long seconds = env_long("NOIOMMU_STRESS_SECONDS", 10, 1, 600);
	uint64_t seed = env_long("NOIOMMU_STRESS_SEED", now_ns() % 1000000,
				 0, 1L << 30);
	long pins_base, tables_base, pins, tables;
	struct worker *closer;
	uint64_t start;
	int fds_base, i, moved;
	bool ok;

	st.nr_workers = env_long("NOIOMMU_STRESS_THREADS", 8, 1, MAX_WORKERS);
	st.workers = calloc(st.nr_workers + 1, sizeof(*st.workers));
	ASSERT_NE(NULL, st.workers);
	closer = &st.workers[st.nr_workers];
	pthread_mutex_init(&st.fail_lock, NULL);
	for (i = 0; i <= st.nr_workers; i++) {
		st.workers[i].id = i;
		st.workers[i].rng = (seed + 1) * 0x9e3779b97f4a7c15ULL + i;
	}
	ksft_print_msg("seed %llu (NOIOMMU_STRESS_SEED), %ld s "
		       "(NOIOMMU_STRESS_SECONDS)\n", (unsigned long long)seed,
		       seconds);

	fds_base = count_open_fds();
	pins_base = lab_foll_pins();
	tables_base = lab_vmstat("nr_iommu_pages");
	ASSERT_LE(0, pins_base);
	ASSERT_LE(0, tables_base);
	setup_memory(_metadata);
	setup_slots(_metadata, closer);
	ASSERT_EQ(0, st.nr_fail);

	start = now_ns();
	for (i = 0; i <= st.nr_workers; i++) {
		st.workers[i].progress_ns = start;
		ASSERT_EQ(0, pthread_create(&st.workers[i].thread, NULL,
					    i < st.nr_workers ? worker_main :
					    closer_main, &st.workers[i]));
	}
	ok = watch(_metadata, start + seconds * NSEC_PER_SEC);
	__atomic_store_n(&st.stop, true, __ATOMIC_RELEASE);
	ok = join_all() && ok;
	report((now_ns() - start) / (double)NSEC_PER_SEC);
	for (i = 0; i < st.nr_fail && i < (int)ARRAY_SIZE(st.fail_msg); i++)
		ksft_print_msg("failure: %s\n", st.fail_msg[i]);
	ASSERT_TRUE(ok) TH_LOG("a thread hung; the state is not inspectable");
	EXPECT_EQ(0, st.nr_fail);

	/* Everything closed: back to the baseline */
	for (i = 0; i < st.nr_devs; i++)
		if (st.dev[i].fd >= 0)
			close(st.dev[i].fd);
	for (i = 0; i < NR_CTX; i++)
		close(st.ctx[i].fd);
	moved = pages_moved();
	close(st.pagemap_fd);
	EXPECT_EQ(0, moved) TH_LOG("pages moved: PA checks may be unsound");
	EXPECT_EQ(fds_base, count_open_fds());
	pins = lab_foll_pins();
	tables = lab_vmstat("nr_iommu_pages");
	ksft_print_msg("pinned pages %ld (baseline %ld), IOMMU table pages "
		       "%ld (baseline %ld)\n", pins, pins_base, tables,
		       tables_base);
	EXPECT_EQ(pins_base, pins);
	EXPECT_EQ(tables_base, tables);

	/* And every device is fully usable */
	for (i = 0; i < st.nr_devs; i++)
		prove_device_works(_metadata, st.dev[i].bdf, st.dev[i].edu);
}

/* ---- Hot-unplug while bound, attached and mapped ------------------------ */

#define UNPLUG_IOVA 0x100000ULL

/* Writes 1 to the device's sysfs remove, which blocks until it is free. */
struct remover {
	char bdf[16];
	pthread_t thread;
	bool started;
	int err;
	uint64_t done_ns;	/* 0 until the write returned */
};

static void *remove_device(void *arg)
{
	struct remover *rm = arg;
	char path[96];
	int err;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/remove", rm->bdf);
	err = write_text(path, "1");
	rm->err = err;
	__atomic_store_n(&rm->done_ns, now_ns(), __ATOMIC_RELEASE);
	return NULL;
}

static bool remove_done(struct remover *rm)
{
	return __atomic_load_n(&rm->done_ns, __ATOMIC_ACQUIRE) != 0;
}

/* Wait up to ms for the remove to return. */
static bool wait_remove(struct remover *rm, unsigned int ms)
{
	uint64_t end = now_ns() + ms * 1000000ULL;

	while (!remove_done(rm) && now_ns() < end)
		sleep_ms(10);
	if (!remove_done(rm))
		return false;
	pthread_join(rm->thread, NULL);
	rm->started = false;
	return true;
}

static int start_remove(struct remover *rm, const char *bdf)
{
	snprintf(rm->bdf, sizeof(rm->bdf), "%s", bdf);
	rm->done_ns = 0;
	rm->err = -1;
	rm->started = !pthread_create(&rm->thread, NULL, remove_device, rm);
	return rm->started ? 0 : -1;
}

static bool wait_for(bool (*cond)(const char *), const char *bdf,
		     unsigned int ms)
{
	uint64_t end = now_ns() + ms * 1000000ULL;

	while (!cond(bdf) && now_ns() < end)
		sleep_ms(20);
	return cond(bdf);
}

static bool pci_present(const char *bdf)
{
	return path_exists("/sys/bus/pci/devices/%s", bdf);
}

static bool has_cdev(const char *bdf)
{
	char name[64];

	return lab_vfio_cdev_name(bdf, name, sizeof(name));
}

static bool on_vfio_pci(const char *bdf)
{
	char driver[64];

	lab_pci_driver(bdf, driver, sizeof(driver));
	return !strcmp(driver, "vfio-pci");
}

/* Bring a removed device back: rescan and rebind it to vfio-pci. */
static int replug(const char *bdf)
{
	if (!pci_present(bdf) && write_text("/sys/bus/pci/rescan", "1"))
		return -1;
	if (!wait_for(pci_present, bdf, 5000))
		return -1;
	if (!on_vfio_pci(bdf) && lab_bind_vfio_pci(bdf))
		return -1;
	return wait_for(has_cdev, bdf, 5000) ? 0 : -1;
}

FIXTURE(unplug) {
	char bdf[16];
	char cdev[64];
	int iommufd;
	uint32_t ioas;
	int dev_fd;
	int req_fd;
	volatile void *bar;
	size_t bar_size;
	uint8_t *buf;
	long pins_base;
	struct remover rm;
};

FIXTURE_SETUP(unplug)
{
	int i;

	self->iommufd = self->dev_fd = self->req_fd = -1;
	self->bar = NULL;
	self->rm.started = false;
	if (!noiommu_cdev_built())
		SKIP(return, "no no-IOMMU cdev in this kernel/boot");
	/* The last edu: with two, the first stays for other tests */
	for (i = 0; lab_find_pci(EDU_VENDOR, EDU_DEVICE, i, self->bdf); i++)
		;
	ASSERT_LT(0, i) TH_LOG("no edu device");
	ASSERT_TRUE(lab_find_pci(EDU_VENDOR, EDU_DEVICE, i - 1, self->bdf));
	ASSERT_TRUE(lab_vfio_cdev_name(self->bdf, self->cdev,
				       sizeof(self->cdev)));
	self->buf = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	self->pins_base = lab_foll_pins();
	ASSERT_LE(0, self->pins_base);
}

FIXTURE_TEARDOWN(unplug)
{
	if (self->bar)
		munmap((void *)self->bar, self->bar_size);
	if (self->dev_fd >= 0)
		close(self->dev_fd);
	if (self->req_fd >= 0)
		close(self->req_fd);
	if (self->iommufd >= 0)
		close(self->iommufd);
	/* A failed test must not leave the device missing for the next one */
	if (self->rm.started && !wait_remove(&self->rm, 30000))
		TH_LOG("remove of %s still blocked", self->bdf);
	if (self->bdf[0] && replug(self->bdf))
		TH_LOG("could not bring %s back", self->bdf);
}

/*
 * What a user of the device holds when the remove starts: the cdev bound to
 * an iommufd, attached to an IOAS that maps two pages, the request eventfd
 * and BAR 0 mapped. Returns 0 or the errno/-1 of the first failure; fds go
 * to the caller's variables so that whoever calls it can release them.
 */
static int take_device(const char *bdf, uint8_t *buf, int *iommufd,
		       uint32_t *ioas, int *dev_fd, int *req_fd,
		       volatile void **bar, size_t *bar_size)
{
	uint64_t iova = UNPLUG_IOVA, pa, len;
	uint32_t pt;
	int err;

	*iommufd = open("/dev/iommu", O_RDWR);
	*dev_fd = lab_open_noiommu_cdev(bdf);
	*req_fd = eventfd(0, EFD_CLOEXEC);
	if (*iommufd < 0 || *dev_fd < 0 || *req_fd < 0)
		return errno;
	err = err_of(lab_bind_iommufd(*dev_fd, *iommufd, NULL));
	if (!err)
		err = err_of(lab_ioas_alloc(*iommufd, ioas));
	pt = *ioas;
	if (!err)
		err = err_of(lab_attach_pt(*dev_fd, pt, &pt));
	if (!err)
		err = map_va(*iommufd, *ioas, buf, 2 * PAGE, &iova, true);
	if (!err)
		err = get_pa(*iommufd, *ioas, UNPLUG_IOVA, UINT64_MAX, &pa, &len);
	if (!err && pa != lab_pagemap_pa(buf))
		err = -1;
	if (!err)
		err = set_req_eventfd(*dev_fd, *req_fd);
	if (err)
		return err;
	*bar = lab_map_bar(*dev_fd, 0, bar_size);
	return *bar ? 0 : -1;
}

static void take_device_self(struct __test_metadata *_metadata,
			     FIXTURE_DATA(unplug) *self)
{
	struct vfio_irq_info irq = {
		.argsz = sizeof(irq), .index = VFIO_PCI_REQ_IRQ_INDEX,
	};

	ASSERT_EQ(0, take_device(self->bdf, self->buf, &self->iommufd,
				 &self->ioas, &self->dev_fd, &self->req_fd,
				 &self->bar, &self->bar_size));
	/* vfio-pci offers one request interrupt, through an eventfd */
	ASSERT_EQ(0, xioctl(self->dev_fd, VFIO_DEVICE_GET_IRQ_INFO, &irq));
	ASSERT_EQ(1, irq.count);
	ASSERT_TRUE(irq.flags & VFIO_IRQ_INFO_EVENTFD);
	/* Attached and mapped: both pages are pinned */
	ASSERT_EQ(self->pins_base + 2, lab_foll_pins());
}

/* Let go of the device as a driver does: unmap its BAR, close its fd. */
static void release_device(FIXTURE_DATA(unplug) *self)
{
	munmap((void *)self->bar, self->bar_size);
	self->bar = NULL;
	close(self->dev_fd);
	self->dev_fd = -1;
}

/* The device is gone for good: sysfs and the cdev node are */
static void check_removed(struct __test_metadata *_metadata,
			  FIXTURE_DATA(unplug) *self)
{
	ASSERT_EQ(0, self->rm.err) TH_LOG("remove: %s", strerror(self->rm.err));
	ASSERT_FALSE(pci_present(self->bdf));
	ASSERT_FALSE(path_exists("/dev/vfio/devices/%s", self->cdev));
	ASSERT_EQ(self->pins_base, lab_foll_pins());
}

/* The iommufd outlives the device: no PA, but unmap works. */
static void check_iommufd_after(struct __test_metadata *_metadata,
				FIXTURE_DATA(unplug) *self)
{
	uint64_t pa, len, iova;

	ASSERT_EQ(EOPNOTSUPP, get_pa(self->iommufd, self->ioas, UNPLUG_IOVA,
				     UINT64_MAX, &pa, &len));
	len = 2 * PAGE;
	ASSERT_EQ(0, unmap_iova(self->iommufd, self->ioas, UNPLUG_IOVA, &len));
	ASSERT_EQ(2 * PAGE, len);
	/* Mapping again works, and without a device pins nothing */
	ASSERT_EQ(0, map_va(self->iommufd, self->ioas, self->buf, 2 * PAGE,
			    &iova, false));
	ASSERT_EQ(self->pins_base, lab_foll_pins());
	ASSERT_EQ(EOPNOTSUPP, get_pa(self->iommufd, self->ioas, iova,
				     UINT64_MAX, &pa, &len));
}

static void replug_and_prove(struct __test_metadata *_metadata,
			     const char *bdf)
{
	uint64_t start = now_ns();

	ASSERT_EQ(0, replug(bdf)) TH_LOG("re-plug of %s", bdf);
	ASSERT_TRUE(on_vfio_pci(bdf));
	TH_LOG("%s back on vfio-pci after %.2f s", bdf,
	       (now_ns() - start) / 1e9);
	prove_device_works(_metadata, bdf, true);
}

/* The user answers the first request by releasing the device. */
TEST_F_TIMEOUT(unplug, release_on_request, 120)
{
	uint64_t requested, released;

	take_device_self(_metadata, self);
	ASSERT_EQ(0, start_remove(&self->rm, self->bdf));
	ASSERT_LT(0, lab_wait_eventfd(self->req_fd, 15000))
		TH_LOG("no device request within 15 s");
	requested = now_ns();
	/* The remove waits for us, and the device still works meanwhile */
	sleep_ms(500);
	ASSERT_FALSE(remove_done(&self->rm));
	ASSERT_EQ(EDU_ID_VALUE, edu_read32(self->bar, EDU_REG_ID));
	release_device(self);
	released = now_ns();
	ASSERT_TRUE(wait_remove(&self->rm, 10000))
		TH_LOG("remove still blocked 10 s after the release");
	TH_LOG("remove done %.3f s after the release (%.3f s after the "
	       "request)",
	       (self->rm.done_ns - released) / 1e9,
	       (self->rm.done_ns - requested) / 1e9);
	check_removed(_metadata, self);
	check_iommufd_after(_metadata, self);
	replug_and_prove(_metadata, self->bdf);
}

/*
 * The user ignores the request: the kernel keeps waiting and asks again
 * (every 10 s); the user only lets go after the second request.
 */
TEST_F_TIMEOUT(unplug, release_after_repeated_request, 120)
{
	uint64_t first, second;

	take_device_self(_metadata, self);
	ASSERT_EQ(0, start_remove(&self->rm, self->bdf));
	ASSERT_LT(0, lab_wait_eventfd(self->req_fd, 15000));
	first = now_ns();
	ASSERT_LT(0, lab_wait_eventfd(self->req_fd, 20000))
		TH_LOG("the request was not re-sent within 20 s");
	second = now_ns();
	TH_LOG("request re-sent after %.2f s", (second - first) / 1e9);
	ASSERT_LE(8 * NSEC_PER_SEC, second - first);
	ASSERT_FALSE(remove_done(&self->rm));
	ASSERT_EQ(EDU_ID_VALUE, edu_read32(self->bar, EDU_REG_ID));
	release_device(self);
	ASSERT_TRUE(wait_remove(&self->rm, 10000));
	check_removed(_metadata, self);
	check_iommufd_after(_metadata, self);
	replug_and_prove(_metadata, self->bdf);
}

/* A holder process that never answers: exits with 'q' written once asked */
static void hold_device_child(const char *bdf, uint8_t *buf, int pipe_fd)
{
	int iommufd, dev_fd, req_fd;
	volatile void *bar;
	size_t bar_size;
	uint32_t ioas;

	if (take_device(bdf, buf, &iommufd, &ioas, &dev_fd, &req_fd, &bar,
			&bar_size)) {
		_exit(write(pipe_fd, "f", 1) == 1 ? 10 : 11);
	}
	if (write(pipe_fd, "r", 1) != 1)
		_exit(12);
	if (!lab_wait_eventfd(req_fd, 20000))
		_exit(write(pipe_fd, "t", 1) == 1 ? 13 : 14);
	if (write(pipe_fd, "q", 1) != 1)
		_exit(15);
	for (;;)
		pause();
}

static char read_byte(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c = 0;

	if (poll(&p, 1, timeout_ms) != 1 || read(fd, &c, 1) != 1)
		return 0;
	return c;
}

/* The holder is killed while the remove waits for it. */
TEST_F_TIMEOUT(unplug, holder_killed, 120)
{
	uint64_t killed;
	int pipe_fds[2], status;
	pid_t pid;

	ASSERT_EQ(0, pipe(pipe_fds));
	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(pipe_fds[0]);
		hold_device_child(self->bdf, self->buf, pipe_fds[1]);
	}
	close(pipe_fds[1]);
	ASSERT_EQ('r', read_byte(pipe_fds[0], 30000))
		TH_LOG("the holder could not take the device");
	ASSERT_EQ(self->pins_base + 2, lab_foll_pins());
	ASSERT_EQ(0, start_remove(&self->rm, self->bdf));
	ASSERT_EQ('q', read_byte(pipe_fds[0], 20000))
		TH_LOG("the holder got no device request");
	sleep_ms(500);
	ASSERT_FALSE(remove_done(&self->rm));
	ASSERT_EQ(0, kill(pid, SIGKILL));
	killed = now_ns();
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	ASSERT_TRUE(wait_remove(&self->rm, 10000))
		TH_LOG("remove still blocked 10 s after the holder died");
	TH_LOG("remove done %.3f s after SIGKILL",
	       (self->rm.done_ns - killed) / 1e9);
	close(pipe_fds[0]);
	check_removed(_metadata, self);
	replug_and_prove(_metadata, self->bdf);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection over the no-IOMMU cdev sequence, in the manner of the
 * kernel's tools/testing/selftests/iommu/iommufd_fail_nth.c. The sequence
 *
 *   open noiommu-vfioX -> VFIO_DEVICE_BIND_IOMMUFD -> IOMMU_IOAS_ALLOC ->
 *   VFIO_DEVICE_ATTACH_IOMMUFD_PT -> IOMMU_IOAS_MAP (4 KiB pages, then a
 *   2 MiB hugetlb page) -> IOMMU_IOAS_NOIOMMU_GET_PA (both) ->
 *   IOMMU_IOAS_UNMAP -> VFIO_DEVICE_DETACH_IOMMUFD_PT -> close the device
 *   (unbind) -> close the iommufd
 *
 * is run with its Nth fault point failed, for N = 1, 2, ... until it runs
 * untouched. Every run the fault hit must end in a plain errno from some
 * step (or, where the kernel tolerates the failure, complete with correct
 * results), and leave nothing behind: see check_back_to_baseline().
 *
 * How faults are armed, for this task only:
 *
 * - failslab pass: /proc/self/task/<tid>/fail-nth, as iommufd_fail_nth does.
 *   In 6.12 this is a single countdown per task (task_struct.fail_nth)
 *   that every fault point of every kind the task reaches decrements
 *   (lib/fault-inject.c: should_fail_ex()), regardless of probability,
 *   interval, times and task-filter. It cannot be limited to slab
 *   allocations (that would take the stack trace filter, not built), so
 *   this pass fails the Nth slab allocation, user copy or IOMMUFD_TEST
 *   fault point (fail_iommufd), whichever comes Nth; which kind fired is
 *   read back from the attributes' "times" counters, the only state a
 *   firing changes (they are set high enough never to run out), and where
 *   from the backtrace fail_dump() logs (verbose 2). Slab allocations fail
 *   from every cache but ACPICA's and kmemleak's (cache-filter, see
 *   cache_left_out()).
 *   failslab's ignore-gfp-wait is Y by default and then exempts every
 *   allocation that may sleep (__GFP_DIRECT_RECLAIM, so all GFP_KERNEL
 *   ones): like iommufd_fail_nth, set it to N, or next to nothing in these
 *   paths could fail. ignore-gfp-highmem only exists for fail_page_alloc;
 *   both of its knobs are set to N as iommufd_fail_nth does when the kernel
 *   has it (the lab's debug kernel has no FAIL_PAGE_ALLOC, so page table
 *   pages from iommu_alloc_page() are never failed here).
 *
 * - usercopy pass: fail-nth cannot single out user copies, so this one uses
 *   fail_usercopy's own countdown: probability 100, times 1 and space N (a
 *   user copy weighs 1 against space, so exactly the Nth one fails), with
 *   task-filter Y so that only a task with make-it-fail set can fail, and
 *   make-it-fail set on this task only around the sequence.
 *
 * Each pass sweeps the sequence phase by phase (see struct phase), the
 * steps outside the phase running disarmed.
 *
 * Either way the sequence makes no system call it does not need while armed
 * (nothing is printed until the fault is disarmed) and, as in
 * iommufd_fail_nth, disarming copes with the disarming write itself being
 * the Nth fault point. The debugfs knobs are put back in the teardown.
 *
 * Debugging: FI_VERBOSE=1 prints a line per failure (where, what failed),
 * FI_PHASE=<name> sweeps one phase, FI_ONLY=N runs just its Nth point,
 * FI_COUNT=1 only counts fault points, FI_ACPI=1 lets ACPICA's caches
 * fail (see cache_left_out()).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "kselftest_harness.h"
#include "lab_guest.h"

#define DEBUGFS "/sys/kernel/debug"
#define SZ_4K 4096UL
#define SZ_2M (2UL << 20)
#define SMALL_PAGES 4
#define SMALL_LEN (SMALL_PAGES * SZ_4K)
#define IOVA_SMALL 0x100000UL
/* 2 MiB aligned, so the huge page is one block entry of the table */
#define IOVA_HUGE 0x200000UL
/* What one run pins; RLIMIT_MEMLOCK is set to exactly this */
#define PINNED_PAGES (SMALL_PAGES + SZ_2M / SZ_4K)
/* Runaway guard on N (iommufd_fail_nth stops at 400) */
#define MAX_NTH 5000
/* fault_attr.times while sweeping: never runs out, still counts firings */
#define TIMES_PLENTY "1000000"
#define MAX_KNOBS 64
#define MAX_ATTRS 16
#define SWEEP_TIMEOUT 900

/* ---- small file helpers -------------------------------------------- */

static int read_text(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* ---- debugfs knobs, put back as found -------------------------------- */

struct knob {
	char path[160];
	char saved[32];
};

struct knobs {
	struct knob k[MAX_KNOBS];
	int n;
};

/* Set a knob, remembering the value it had the first time it was set. */
static int knob_set(struct knobs *ks, const char *path, const char *val)
{
	struct knob *k;
	int i;

	for (i = 0; i < ks->n; i++)
		if (!strcmp(ks->k[i].path, path))
			return lab_write_file(path, val);
	if (ks->n == MAX_KNOBS)
		return -1;
	k = &ks->k[ks->n];
	snprintf(k->path, sizeof(k->path), "%s", path);
	if (read_text(path, k->saved, sizeof(k->saved)))
		return -1;
	ks->n++;
	return lab_write_file(path, val);
}

static int knob_setf(struct knobs *ks, const char *dir, const char *file,
		     const char *val)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/%s/%s", DEBUGFS, dir, file);
	return knob_set(ks, path, val);
}

static bool is_probability(const struct knob *k)
{
	const char *p = strrchr(k->path, '/');

	return p && !strcmp(p, "/probability");
}

/*
 * Probabilities first: while they are not back to 0 (as found), putting
 * back times or task-filter could let another task's fault points fail.
 */
static void knobs_restore(struct knobs *ks)
{
	int i;

	for (i = ks->n - 1; i >= 0; i--)
		if (is_probability(&ks->k[i]))
			lab_write_file(ks->k[i].path, ks->k[i].saved);
	for (i = ks->n - 1; i >= 0; i--)
		if (!is_probability(&ks->k[i]))
			lab_write_file(ks->k[i].path, ks->k[i].saved);
	ks->n = 0;
}

/* ---- which slab caches failslab may fail -------------------------------- */

#define SLAB_SYSFS "/sys/kernel/slab"

/* The caches this test flagged SLAB_FAILSLAB, to unflag them afterwards */
struct slab_marks {
	char (*name)[64];
	int n, max;
};

/*
 * ACPICA's own caches (Acpi-State, Acpi-Operand, ...) are left out:
 * binding a vfio-pci device enables it, which evaluates the _PRT method
 * in the ACPI interpreter, and a failed Acpi-State allocation in
 * acpi_ut_update_object_reference() silently loses a reference count
 * update (acpi_ut_add_reference() returns void), so a namespace object is
 * freed while still attached: slab-use-after-free on the next _PRT
 * evaluation (found at failslab N=79 of this sequence, not in code of the
 * series). Once that happened the namespace is corrupt for good, so the
 * sweep would end there. FI_ACPI=1 puts them back in, to see it.
 * kmemleak's caches are left out too: it allocates metadata for every
 * object allocated, which doubles the fault points, each absorbed.
 */
static bool cache_left_out(const char *name)
{
	/* kmemleak's own metadata: a failure falls back to its pool */
	if (!strncmp(name, "kmemleak_", 9))
		return true;
	return !strncmp(name, "Acpi-", 5) && !getenv("FI_ACPI");
}

/*
 * Flag every cache but those left out with SLAB_FAILSLAB, for failslab's
 * cache-filter. Aliases of merged caches are symlinks, skipped: their
 * cache is flagged under its own name.
 */
static int mark_failslab_caches(struct slab_marks *m)
{
	char path[320], val[8];
	struct dirent *e;
	DIR *d = opendir(SLAB_SYSFS);

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		if (e->d_type != DT_DIR || e->d_name[0] == '.' ||
		    cache_left_out(e->d_name) ||
		    strlen(e->d_name) >= sizeof(m->name[0]))
			continue;
		snprintf(path, sizeof(path), "%s/%s/failslab", SLAB_SYSFS,
			 e->d_name);
		if (read_text(path, val, sizeof(val)) || val[0] != '0')
			continue;
		if (m->n == m->max) {
			m->max = m->max ? 2 * m->max : 256;
			m->name = realloc(m->name, m->max * sizeof(*m->name));
			if (!m->name)
				break;
		}
		if (lab_write_file(path, "1"))
			continue;	/* shared by merged caches: EINVAL */
		snprintf(m->name[m->n++], sizeof(m->name[0]), "%s", e->d_name);
	}
	closedir(d);
	return m->name ? 0 : -1;
}

static void unmark_failslab_caches(struct slab_marks *m)
{
	char path[320];

	while (m->n > 0) {
		m->n--;
		snprintf(path, sizeof(path), "%s/%s/failslab", SLAB_SYSFS,
			 m->name[m->n]);
		lab_write_file(path, "0");
	}
	free(m->name);
	m->name = NULL;
	m->max = 0;
}

/* ---- the fault attributes (debugfs fail* directories) ---------------- */

struct fault_attr_dir {
	char name[40];
	long times;	/* at the last snapshot */
};

static long attr_times(const struct fault_attr_dir *a)
{
	char path[160], buf[32];

	snprintf(path, sizeof(path), "%s/%s/times", DEBUGFS, a->name);
	if (read_text(path, buf, sizeof(buf)))
		return -1;
	return strtol(buf, NULL, 10);
}

/*
 * Every fault attribute the kernel has: quiet (verbose 0, unless
 * set per test), no random failures (probability 0) and times high enough to
 * count firings by. Returns how many there are, -1 on error.
 */
static int setup_fault_attrs(struct knobs *ks, struct fault_attr_dir *attrs)
{
	const char *verbose = "0";
	struct dirent *e;
	char path[160];
	int n = 0;
	DIR *d = opendir(DEBUGFS);

	if (!d)
		return -1;
	while ((e = readdir(d)) && n < MAX_ATTRS) {
		if (strncmp(e->d_name, "fail", 4) ||
		    strlen(e->d_name) >= sizeof(attrs[n].name))
			continue;
		snprintf(attrs[n].name, sizeof(attrs[n].name), "%.39s",
			 e->d_name);
		snprintf(path, sizeof(path), "%s/%s/times", DEBUGFS,
			 attrs[n].name);
		if (!exists(path))
			continue;
		if (knob_setf(ks, attrs[n].name, "probability", "0") ||
		    knob_setf(ks, attrs[n].name, "verbose", verbose) ||
		    knob_setf(ks, attrs[n].name, "times", TIMES_PLENTY)) {
			closedir(d);
			return -1;
		}
		n++;
	}
	closedir(d);
	return n;
}

static void snapshot_times(struct fault_attr_dir *attrs, int n)
{
	int i;

	for (i = 0; i < n; i++)
		attrs[i].times = attr_times(&attrs[i]);
}

/*
 * Have every injected failure logged with its backtrace (fail_dump(),
 * verbose 2; the log is where the sweep learns where a failure was), at
 * most 1000 every 5 s. The backtrace comes at the default message level:
 * make that 5 (notice, like the "FAULT_INJECTION: forcing a failure"
 * line), so that the lab, which replays warnings to the console after the
 * test, does not print hundreds of bare call traces.
 */
static int log_backtraces(struct knobs *ks, struct fault_attr_dir *attrs,
			  int n)
{
	int con, def, min, boot, i;
	char val[32];

	for (i = 0; i < n; i++)
		if (knob_setf(ks, attrs[i].name, "verbose", "2") ||
		    knob_setf(ks, attrs[i].name, "verbose_ratelimit_burst",
			      "1000"))
			return -1;
	if (read_text("/proc/sys/kernel/printk", val, sizeof(val)) ||
	    sscanf(val, "%d %d %d %d", &con, &def, &min, &boot) != 4)
		return -1;
	snprintf(val, sizeof(val), "%d 5 %d %d", con, min, boot);
	return knob_set(ks, "/proc/sys/kernel/printk", val);
}

/* The attribute whose times dropped since the snapshot, or -1. */
static int attr_that_fired(struct fault_attr_dir *attrs, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (attr_times(&attrs[i]) < attrs[i].times)
			return i;
	return -1;
}

/* ---- what must come back to its value after every run ----------------- */

/* ---- the sequence ------------------------------------------------------ */

enum seq_step {
	STEP_OPEN_CDEV,
	STEP_BIND,
	STEP_IOAS_ALLOC,
	STEP_ATTACH,
	STEP_MAP_SMALL,
	STEP_MAP_HUGE,
	STEP_GET_PA_SMALL,
	STEP_GET_PA_HUGE,
	STEP_UNMAP,
	STEP_DETACH,
	STEP_CLOSE_DEVICE,
	STEP_RELEASE,
	STEP_DONE,
};

static const char *const step_name[] = {
	[STEP_OPEN_CDEV] = "open cdev",
	[STEP_BIND] = "BIND_IOMMUFD",
	[STEP_IOAS_ALLOC] = "IOAS_ALLOC",
	[STEP_ATTACH] = "ATTACH_IOMMUFD_PT",
	[STEP_MAP_SMALL] = "IOAS_MAP 4K",
	[STEP_MAP_HUGE] = "IOAS_MAP 2M",
	[STEP_GET_PA_SMALL] = "GET_PA 4K",
	[STEP_GET_PA_HUGE] = "GET_PA 2M",
	[STEP_UNMAP] = "IOAS_UNMAP",
	[STEP_DETACH] = "DETACH_IOMMUFD_PT",
	[STEP_CLOSE_DEVICE] = "close device",
	[STEP_RELEASE] = "close iommufd",
	[STEP_DONE] = "none",
};

struct seq_result {
	enum seq_step failed;	/* first step that failed, STEP_DONE if none */
	int err;		/* its errno */
	uint32_t devid, ioas_id, hwpt_id;
	uint64_t pa_small, len_small, pa_huge, len_huge, unmapped;
};

struct seq_buffers {
	uint8_t *small;	/* SMALL_PAGES 4 KiB pages */
	uint8_t *huge;	/* one 2 MiB hugetlb page */
};

/*
 * One run of the sequence. On the probe iommufd (keep_iommufd) its last
 * step destroys the IOAS instead of closing the iommufd.
 */
struct seq {
	const char *cdev;
	const struct seq_buffers *b;
	int iommufd;
	bool keep_iommufd;
	int dev;
	bool have_ioas;
	struct seq_result r;
};

static void seq_init(struct seq *s, const char *cdev, int iommufd,
		     bool keep_iommufd, const struct seq_buffers *b)
{
	memset(s, 0, sizeof(*s));
	s->cdev = cdev;
	s->b = b;
	s->iommufd = iommufd;
	s->keep_iommufd = keep_iommufd;
	s->dev = -1;
	s->r.failed = STEP_DONE;
}

static int close_fd(int *fd)
{
	int ret = close(*fd);

	*fd = -1;
	return ret;
}

/*
 * Do one step; -1 with errno when it fails. It may run with a fault armed,
 * so it makes no system call but the step's (no printing, no /proc) and
 * touches only memory earlier runs have faulted in: a fault point hit by a
 * page fault would not be the sequence's.
 */
static int seq_step(struct seq *s, enum seq_step step)
{
	struct vfio_device_bind_iommufd bind = {
		.argsz = sizeof(bind), .iommufd = s->iommufd,
	};
	struct vfio_device_attach_iommufd_pt attach = {
		.argsz = sizeof(attach), .pt_id = s->r.ioas_id,
	};
	struct vfio_device_detach_iommufd_pt detach = { .argsz = sizeof(detach) };
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct iommu_ioas_unmap unmap = {
		.size = sizeof(unmap), .ioas_id = s->r.ioas_id,
		.iova = 0, .length = UINT64_MAX,
	};
	struct seq_result *r = &s->r;
	int ret = -1;

	switch (step) {
	case STEP_OPEN_CDEV:
		s->dev = open(s->cdev, O_RDWR);
		return s->dev < 0 ? -1 : 0;
	case STEP_BIND:
		ret = ioctl(s->dev, VFIO_DEVICE_BIND_IOMMUFD, &bind);
		r->devid = bind.out_devid;
		return ret;
	case STEP_IOAS_ALLOC:
		ret = ioctl(s->iommufd, IOMMU_IOAS_ALLOC, &alloc);
		s->have_ioas = !ret;
		r->ioas_id = alloc.out_ioas_id;
		return ret;
	case STEP_ATTACH:
		ret = ioctl(s->dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach);
		r->hwpt_id = attach.pt_id;
		return ret;
	case STEP_MAP_SMALL:
		return lab_map_fixed(s->iommufd, r->ioas_id, s->b->small, SMALL_LEN,
				 IOVA_SMALL);
	case STEP_MAP_HUGE:
		return lab_map_fixed(s->iommufd, r->ioas_id, s->b->huge, SZ_2M,
				 IOVA_HUGE);
	case STEP_GET_PA_SMALL:
		return lab_get_pa(s->iommufd, r->ioas_id, IOVA_SMALL, &r->pa_small,
			      &r->len_small);
	case STEP_GET_PA_HUGE:
		return lab_get_pa(s->iommufd, r->ioas_id, IOVA_HUGE, &r->pa_huge,
			      &r->len_huge);
	case STEP_UNMAP:
		ret = ioctl(s->iommufd, IOMMU_IOAS_UNMAP, &unmap);
		r->unmapped = unmap.length;
		return ret;
	case STEP_DETACH:
		return ioctl(s->dev, VFIO_DEVICE_DETACH_IOMMUFD_PT, &detach);
	case STEP_CLOSE_DEVICE:
		/* Releasing the device file unbinds it from the iommufd */
		return close_fd(&s->dev);
	case STEP_RELEASE:
		if (s->keep_iommufd) {
			s->have_ioas = false;
			return lab_destroy(s->iommufd, r->ioas_id);
		}
		/* Releasing the iommufd destroys the IOAS */
		return close_fd(&s->iommufd);
	case STEP_DONE:
		break;
	}
	errno = EINVAL;
	return -1;
}

/*
 * Steps first..last (inclusive) of the sequence; stops at the first that
 * fails, recording it. Returns false then.
 */
static bool seq_steps(struct seq *s, enum seq_step first, enum seq_step last)
{
	enum seq_step step;

	for (step = first; step <= last; step++) {
		if (seq_step(s, step)) {
			s->r.failed = step;
			s->r.err = errno;
			return false;
		}
	}
	return true;
}

/* Undo what a failed run left open: close the device, then the iommufd. */
static void seq_cleanup(struct seq *s)
{
	if (s->dev >= 0)
		close_fd(&s->dev);
	if (s->keep_iommufd && s->have_ioas)
		lab_destroy(s->iommufd, s->r.ioas_id);
	else if (!s->keep_iommufd && s->iommufd >= 0)
		close_fd(&s->iommufd);
}

/* The whole sequence, nothing armed */
static void run_sequence(const char *cdev, int iommufd, bool keep_iommufd,
			 const struct seq_buffers *b, struct seq_result *r)
{
	struct seq s;

	seq_init(&s, cdev, iommufd, keep_iommufd, b);
	seq_steps(&s, STEP_OPEN_CDEV, STEP_RELEASE);
	seq_cleanup(&s);
	*r = s.r;
}

/* Bytes of physically contiguous memory from the start of buf (< len) */
static uint64_t contiguous_bytes(const uint8_t *buf, size_t len)
{
	uint64_t pa = lab_pagemap_pa(buf);
	size_t off;

	for (off = SZ_4K; off < len; off += SZ_4K)
		if (lab_pagemap_pa(buf + off) != pa + off)
			break;
	return off;
}

/* A completed sequence reported what the page tables say. */
static void check_results(struct __test_metadata *_metadata,
			  const struct seq_buffers *b,
			  const struct seq_result *r, const char *what)
{
	ASSERT_EQ(STEP_DONE, r->failed)
		TH_LOG("%s: step %s failed: %s", what, step_name[r->failed],
		       strerror(r->err));
	ASSERT_EQ(lab_pagemap_pa(b->small), r->pa_small) TH_LOG("%s", what);
	ASSERT_EQ(contiguous_bytes(b->small, SMALL_LEN), r->len_small)
		TH_LOG("%s", what);
	ASSERT_EQ(lab_pagemap_pa(b->huge), r->pa_huge) TH_LOG("%s", what);
	ASSERT_EQ(SZ_2M, r->len_huge) TH_LOG("%s", what);
	ASSERT_EQ(SMALL_LEN + SZ_2M, r->unmapped) TH_LOG("%s", what);
}

/* ---- kernel log: splats, tied to the run that caused them -------------- */

static const char *const splat_markers[] = {
	"Kernel panic", "BUG:", "Oops", "WARNING:", "general protection fault",
	"KASAN:", "UBSAN:", "new suspected memory leak", "INFO: task",
	"INFO: rcu", "possible recursive locking", "possible circular locking",
	"inconsistent lock state", "suspicious RCU usage",
	"VM_FAULT_OOM leaked",
};

static bool is_splat(const char *msg)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(splat_markers); i++)
		if (strstr(msg, splat_markers[i]))
			return true;
	return false;
}

/* What the kernel logged since the last look */
struct kmsg_news {
	char splat[16384];	/* from the first splat on, "# " lines */
	bool have_splat;
	char stack[8192];	/* backtrace of the last injected failure */
	bool have_stack;
};

static void append_line(char *buf, size_t len, const char *line)
{
	size_t used = strlen(buf);

	if (used + strlen(line) + 4 < len)
		snprintf(buf + used, len - used, "# %s\n", line);
}

/*
 * Read the records logged since the last call from /dev/kmsg (opened
 * non-blocking): is one of them a splat, and where did an injected failure
 * happen (fail_dump() prints "FAULT_INJECTION: forcing a failure." and,
 * with verbose 2, a backtrace; not for __GFP_NOWARN allocations).
 */
static void read_kmsg(int fd, struct kmsg_news *news)
{
	bool in_stack = false;
	char rec[2048];
	ssize_t n;

	news->splat[0] = news->stack[0] = '\0';
	news->have_splat = news->have_stack = false;
	for (;;) {
		char *msg, *nl;

		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records: go on */
		if (n <= 0)
			break;
		rec[n] = '\0';
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		nl = strchr(msg, '\n');
		if (nl)
			*nl = '\0';
		if (!news->have_splat && is_splat(msg))
			news->have_splat = true;
		if (news->have_splat)
			append_line(news->splat, sizeof(news->splat), msg);
		if (strstr(msg, "FAULT_INJECTION: forcing a failure")) {
			news->stack[0] = '\0';
			news->have_stack = false;
			in_stack = true;
		}
		if (in_stack) {
			append_line(news->stack, sizeof(news->stack), msg);
			if (strstr(msg, "</TASK>")) {
				in_stack = false;
				news->have_stack = true;
			}
		}
	}
}

/* Frames of the failure's backtrace that only lead to the fault point */
static bool frame_is_plumbing(const char *frame)
{
	static const char *const plumbing[] = {
		"dump_stack", "should_fail", "should_failslab", "kmem_cache_",
		"kmalloc", "__kmalloc", "kzalloc", "kvmalloc", "__kvmalloc",
		"kasan", "__asan", "_copy_", "copy_from_user", "copy_to_user",
		"strncpy_from_user", "iommufd_should_fail", "slab_", "__slab",
		"alloc_", "__alloc", "kstrdup", "kvasprintf", "kmemdup",
		"xas_", "xa_", "__xa", "idr_", "? ", "<TASK>",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(plumbing); i++)
		if (!strncmp(frame, plumbing[i], strlen(plumbing[i])))
			return true;
	return false;
}

/* The first frame of the backtrace past the allocator (or copy) itself */
static void fault_site(const char *stack, char *site, size_t len)
{
	const char *p = strstr(stack, "Call Trace:");

	snprintf(site, len, "?");
	while (p && (p = strstr(p, "\n# "))) {
		const char *frame = p + 3;

		while (*frame == ' ')
			frame++;
		p++;
		if (!*frame || frame_is_plumbing(frame))
			continue;
		snprintf(site, len, "%.*s", (int)strcspn(frame, "\n"), frame);
		return;
	}
}

/* ---- fixture and fault injectors ------------------------------------ */

FIXTURE(fault_inject) {
	struct knobs knobs;
	struct slab_marks slab_marks;
	struct fault_attr_dir attr[MAX_ATTRS];
	int nattr;
	char cdev[96];
	/* The run's private mount and its device nodes */
	char run_dir[64];
	char run_cdev[96];
	dev_t iommu_rdev, cdev_rdev;
	struct seq_buffers buf;
	int fail_nth_fd;
	int make_it_fail_fd;
	int kmsg_fd;
	/* Long-lived iommufd: the baseline check's sequence runs on it */
	int probe_fd;
	struct seq_result probe_first;
	long vmpin_kb;
	long foll_pins;
	struct kmsg_news kmsg;
};

struct injector {
	const char *pass;
	const char *name;
	/* Get ready to fail the nth fault point (runs disarmed) */
	int (*prepare)(FIXTURE_DATA(fault_inject) *self, unsigned int nth);
	int (*arm)(FIXTURE_DATA(fault_inject) *self, unsigned int nth);
	/* 1: the fault hit the sequence, 0: it did not, -1: error */
	int (*disarm)(FIXTURE_DATA(fault_inject) *self);
	/* What a failure of this attribute is expected to turn into */
	bool (*errno_ok)(const char *attr, int err);
};

static int nothing_to_prepare(FIXTURE_DATA(fault_inject) *self,
			      unsigned int nth)
{
	return 0;
}

static int fail_nth_arm(FIXTURE_DATA(fault_inject) *self, unsigned int nth)
{
	char val[16];
	int len = snprintf(val, sizeof(val), "%u", nth);

	return pwrite(self->fail_nth_fd, val, len, 0) == len ? 0 : -1;
}

/*
 * Read what is left of the countdown, then clear it. Reading and clearing
 * are user copies, and so fault points themselves: a read that fails with
 * EFAULT, or a clearing write that does, was hit by the fault, which thus
 * did not hit the sequence (iommufd_fail_nth handles it the same way).
 */
static int fail_nth_disarm(FIXTURE_DATA(fault_inject) *self)
{
	bool pending;
	char buf[32];
	ssize_t n;

	n = pread(self->fail_nth_fd, buf, sizeof(buf) - 1, 0);
	if (n < 0 && errno == EFAULT) {
		pending = true;
	} else if (n <= 0) {
		return -1;
	} else {
		buf[n] = '\0';
		pending = strtoul(buf, NULL, 10) != 0;
	}
	if (pwrite(self->fail_nth_fd, "0", 1, 0) != 1) {
		if (errno != EFAULT || pwrite(self->fail_nth_fd, "0", 1, 0) != 1)
			return -1;
		pending = true;
	}
	return !pending;
}

static int usercopy_prepare(FIXTURE_DATA(fault_inject) *self,
			    unsigned int nth)
{
	char val[16];

	snprintf(val, sizeof(val), "%u", nth);
	if (knob_setf(&self->knobs, "fail_usercopy", "space", val))
		return -1;
	return knob_setf(&self->knobs, "fail_usercopy", "times", "1");
}

static int usercopy_arm(FIXTURE_DATA(fault_inject) *self, unsigned int nth)
{
	return pwrite(self->make_it_fail_fd, "1", 1, 0) == 1 ? 0 : -1;
}

/* The clearing write is a user copy too: see fail_nth_disarm(). */
static int usercopy_disarm(FIXTURE_DATA(fault_inject) *self)
{
	char path[160], buf[32];

	if (pwrite(self->make_it_fail_fd, "0", 1, 0) != 1) {
		if (errno != EFAULT ||
		    pwrite(self->make_it_fail_fd, "0", 1, 0) != 1)
			return -1;
		return 0;
	}
	snprintf(path, sizeof(path), "%s/fail_usercopy/times", DEBUGFS);
	if (read_text(path, buf, sizeof(buf)))
		return -1;
	return strtol(buf, NULL, 10) == 0;
}

/*
 * A failed allocation must come out as ENOMEM and a failed user copy as
 * EFAULT. IOMMUFD_TEST's own fault points (fail_iommufd) stand for other
 * failures and return what the code they replace would: ENOENT from object
 * lookup, EINVAL, EFAULT or ENOMEM from the pinning code.
 */
static bool errno_fits_attr(const char *attr, int err)
{
	if (!strcmp(attr, "failslab"))
		return err == ENOMEM;
	if (!strcmp(attr, "fail_usercopy"))
		return err == EFAULT;
	if (!strcmp(attr, "fail_iommufd"))
		return err == ENOMEM || err == EFAULT || err == EINVAL ||
		       err == ENOENT;
	return err != 0;
}

static const struct injector fail_nth_injector = {
	.pass = "failslab",
	.name = "fail-nth (failslab + every fault point)",
	.prepare = nothing_to_prepare,
	.arm = fail_nth_arm,
	.disarm = fail_nth_disarm,
	.errno_ok = errno_fits_attr,
};

static const struct injector usercopy_injector = {
	.pass = "usercopy",
	.name = "fail_usercopy (task-filter, space)",
	.prepare = usercopy_prepare,
	.arm = usercopy_arm,
	.disarm = usercopy_disarm,
	.errno_ok = errno_fits_attr,
};

/* ---- setup ------------------------------------------------------------- */

static bool noiommu_cdev_expected(void)
{
	return lab_noiommu_requested() && lab_kconfig("VFIO_NOIOMMU") == 'y' &&
	       lab_kconfig("VFIO_DEVICE_CDEV") == 'y';
}

/* NULL when the kernel has what the test needs, else what is missing */
static const char *missing_fault_injection(void)
{
	static char path[160];
	static const char *const files[] = {
		DEBUGFS "/failslab/ignore-gfp-wait",
		DEBUGFS "/failslab/cache-filter",
		DEBUGFS "/fail_usercopy/space",
		DEBUGFS "/fail_usercopy/task-filter",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(files); i++)
		if (!exists(files[i]))
			return files[i];
	snprintf(path, sizeof(path), "/proc/self/task/%d/fail-nth", gettid());
	if (!exists(path))
		return path;
	snprintf(path, sizeof(path), "/proc/self/task/%d/make-it-fail",
		 gettid());
	if (!exists(path))
		return path;
	return NULL;
}

static int open_task_file(const char *name)
{
	char path[96];

	snprintf(path, sizeof(path), "/proc/self/task/%d/%s", gettid(), name);
	return open(path, O_RDWR);
}

static int set_memlock_pages(unsigned long pages)
{
	struct rlimit rl = { pages * SZ_4K, pages * SZ_4K };

	return setrlimit(RLIMIT_MEMLOCK, &rl);
}

/*
 * The run opens its iommufd and device through nodes on a tmpfs mounted for
 * it alone: each open file pins the mount, so unmounting it after the run
 * succeeds only if no reference to either file survived the run. (The
 * lab's kernels have neither FILE_LOCKING nor INOTIFY_USER, which could
 * have told the same.)
 */
static int mount_run_nodes(const char *dir, dev_t iommu, dev_t cdev)
{
	char path[160];

	if (mount("fault_inject", dir, "tmpfs", 0, "size=16k,mode=0700"))
		return -1;
	snprintf(path, sizeof(path), "%s/iommu", dir);
	if (mknod(path, S_IFCHR | 0600, iommu))
		return -1;
	snprintf(path, sizeof(path), "%s/cdev", dir);
	return mknod(path, S_IFCHR | 0600, cdev);
}

/* A fresh iommufd for one run, on a fresh mount of the run's nodes */
static int open_run_iommufd(FIXTURE_DATA(fault_inject) *self)
{
	char path[160];

	if (mount_run_nodes(self->run_dir, self->iommu_rdev, self->cdev_rdev))
		return -1;
	snprintf(path, sizeof(path), "%s/iommu", self->run_dir);
	return open(path, O_RDWR);
}

FIXTURE_SETUP(fault_inject)
{
	const char *missing;
	struct seq_result r;
	char bdf[16], name[64];
	struct stat st;
	int iommufd;

	self->run_dir[0] = '\0';
	memset(&self->slab_marks, 0, sizeof(self->slab_marks));
	self->fail_nth_fd = self->make_it_fail_fd = -1;
	self->kmsg_fd = self->probe_fd = -1;
	self->buf.small = self->buf.huge = NULL;
	if (!noiommu_cdev_expected())
		SKIP(return, "no no-IOMMU cdev in this kernel/boot");
	missing = missing_fault_injection();
	if (missing)
		SKIP(return, "no fault injection (FAILSLAB, FAULT_INJECTION_USERCOPY, FAULT_INJECTION_DEBUG_FS): %s missing",
		     missing);
	self->buf.huge = mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (self->buf.huge == MAP_FAILED) {
		self->buf.huge = NULL;
		SKIP(return, "no 2 MiB huge page (boot with hugepages=N)");
	}
	self->buf.small = mmap(NULL, SMALL_LEN, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf.small);
	/* Fault everything in now: armed runs must not page fault */
	memset(self->buf.small, 0x5a, SMALL_LEN);
	memset(self->buf.huge, 0xa5, SZ_2M);

	ASSERT_TRUE(lab_find_pci(EDU_VENDOR, EDU_DEVICE, 0, bdf));
	ASSERT_TRUE(lab_vfio_cdev_name(bdf, name, sizeof(name)))
		TH_LOG("%s has no VFIO device", bdf);
	snprintf(self->cdev, sizeof(self->cdev), "/dev/vfio/devices/%s", name);
	ASSERT_EQ(0, stat(self->cdev, &st));
	self->cdev_rdev = st.st_rdev;
	ASSERT_EQ(0, stat("/dev/iommu", &st));
	self->iommu_rdev = st.st_rdev;
	snprintf(self->run_dir, sizeof(self->run_dir), "/tmp/fault_inject.%d",
		 getpid());
	ASSERT_EQ(0, mkdir(self->run_dir, 0700));
	snprintf(self->run_cdev, sizeof(self->run_cdev), "%s/cdev",
		 self->run_dir);

	self->fail_nth_fd = open_task_file("fail-nth");
	ASSERT_LE(0, self->fail_nth_fd);
	self->make_it_fail_fd = open_task_file("make-it-fail");
	ASSERT_LE(0, self->make_it_fail_fd);
	self->kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, self->kmsg_fd);
	ASSERT_LE(0, lseek(self->kmsg_fd, 0, SEEK_END));

	self->nattr = setup_fault_attrs(&self->knobs, self->attr);
	ASSERT_LT(0, self->nattr);

	/*
	 * Without CAP_IPC_LOCK iommufd charges pins to the user's locked_vm
	 * against RLIMIT_MEMLOCK (pages.c, IOPT_PAGES_ACCOUNT_USER), which
	 * has its own unwinding to get right. That counter cannot be read,
	 * but a limit of exactly what one run pins makes any leftover charge
	 * fail the next run's IOAS_MAP with ENOMEM.
	 */
	ASSERT_EQ(0, lab_drop_capability(CAP_IPC_LOCK));
	self->probe_fd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, self->probe_fd);
	self->vmpin_kb = lab_vmpin_kb();
	self->foll_pins = lab_foll_pins();
	ASSERT_LE(0, self->vmpin_kb);
	ASSERT_LE(0, self->foll_pins);

	/* One page short, the 2 MiB map must be refused: the limit bites */
	ASSERT_EQ(0, set_memlock_pages(PINNED_PAGES - 1));
	iommufd = open_run_iommufd(self);
	ASSERT_LE(0, iommufd);
	run_sequence(self->run_cdev, iommufd, false, &self->buf, &r);
	ASSERT_EQ(0, umount(self->run_dir));
	ASSERT_EQ(STEP_MAP_HUGE, r.failed)
		TH_LOG("step %s: %s (user locked_vm not 0 at start?)",
		       step_name[r.failed], strerror(r.err));
	ASSERT_EQ(ENOMEM, r.err);

	ASSERT_EQ(0, set_memlock_pages(PINNED_PAGES));
	iommufd = open_run_iommufd(self);
	ASSERT_LE(0, iommufd);
	run_sequence(self->run_cdev, iommufd, false, &self->buf, &r);
	ASSERT_EQ(0, umount(self->run_dir));
	check_results(_metadata, &self->buf, &r, "untouched run");

	run_sequence(self->cdev, self->probe_fd, true, &self->buf,
		     &self->probe_first);
	check_results(_metadata, &self->buf, &self->probe_first, "probe run");
	ASSERT_EQ(self->vmpin_kb, lab_vmpin_kb());
	ASSERT_EQ(self->foll_pins, lab_foll_pins());
}

FIXTURE_TEARDOWN(fault_inject)
{
	/* Disarmed already unless an assertion jumped out of a run */
	if (self->make_it_fail_fd >= 0) {
		if (pwrite(self->make_it_fail_fd, "0", 1, 0) != 1)
			TH_LOG("cannot clear make-it-fail");
		close(self->make_it_fail_fd);
	}
	if (self->fail_nth_fd >= 0) {
		if (pwrite(self->fail_nth_fd, "0", 1, 0) != 1)
			TH_LOG("cannot clear fail-nth");
		close(self->fail_nth_fd);
	}
	knobs_restore(&self->knobs);
	unmark_failslab_caches(&self->slab_marks);
	if (self->probe_fd >= 0)
		close(self->probe_fd);
	if (self->kmsg_fd >= 0)
		close(self->kmsg_fd);
	if (self->run_dir[0]) {
		umount(self->run_dir);
		rmdir(self->run_dir);
	}
	if (self->buf.small)
		munmap(self->buf.small, SMALL_LEN);
	if (self->buf.huge)
		munmap(self->buf.huge, SZ_2M);
}

/* ---- after each run ------------------------------------------------- */

static void check_no_splat(struct __test_metadata *_metadata,
			   FIXTURE_DATA(fault_inject) *self, const char *pass,
			   unsigned int nth)
{
	char site[160] = "";

	read_kmsg(self->kmsg_fd, &self->kmsg);
	if (!self->kmsg.have_splat)
		return;
	fprintf(stderr, "%s", self->kmsg.splat);
	if (self->kmsg.have_stack) {
		/* The backtrace of the failure injected just before */
		fprintf(stderr, "%s", self->kmsg.stack);
		fault_site(self->kmsg.stack, site, sizeof(site));
	}
	ASSERT_TRUE(false)
		TH_LOG("%s N=%u: kernel splat (log above)%s%s", pass, nth,
		       site[0] ? " after a failure in " : "", site);
}

static void check_pins(struct __test_metadata *_metadata,
		       FIXTURE_DATA(fault_inject) *self, const char *pass,
		       unsigned int nth)
{
	ASSERT_EQ(self->vmpin_kb, lab_vmpin_kb())
		TH_LOG("%s N=%u: VmPin (mm->pinned_vm) not back", pass, nth);
	ASSERT_EQ(self->foll_pins, lab_foll_pins())
		TH_LOG("%s N=%u: nr_foll_pin_acquired - released not back",
		       pass, nth);
}

/*
 * Nothing of the run is left:
 * - its iommufd and device files are gone (their mount unmounts): the
 *   device was unbound and iommufd_fops_release() ran, which destroys every
 *   object of the run or WARNs (caught by the log check) if it cannot;
 * - every pin was dropped, from the mm's pinned_vm and system wide;
 * - the device opens and binds again, on the probe iommufd, and the whole
 *   sequence runs there with RLIMIT_MEMLOCK at exactly its need (a locked_vm
 *   charge left behind fails its map), handing out the same object IDs as
 *   the first probe run (the probe's objects all went too);
 * - nothing was logged that looks like a kernel problem.
 */
static void check_back_to_baseline(struct __test_metadata *_metadata,
				   FIXTURE_DATA(fault_inject) *self,
				   const char *pass, unsigned int nth)
{
	struct seq_result r;
	char what[64];

	check_no_splat(_metadata, self, pass, nth);
	ASSERT_EQ(0, umount(self->run_dir))
		TH_LOG("%s N=%u: the run's iommufd or device file is still referenced (%s)",
		       pass, nth, strerror(errno));
	check_pins(_metadata, self, pass, nth);

	snprintf(what, sizeof(what), "%s N=%u: probe run", pass, nth);
	run_sequence(self->cdev, self->probe_fd, true, &self->buf, &r);
	check_results(_metadata, &self->buf, &r, what);
	ASSERT_EQ(self->probe_first.devid, r.devid) TH_LOG("%s", what);
	ASSERT_EQ(self->probe_first.ioas_id, r.ioas_id) TH_LOG("%s", what);
	ASSERT_EQ(self->probe_first.hwpt_id, r.hwpt_id) TH_LOG("%s", what);
	check_pins(_metadata, self, pass, nth);
	check_no_splat(_metadata, self, pass, nth);
}

/* ---- counting fault points -------------------------------------------- */

#define COUNT_FROM 1000000

/*
 * Fault points each step reaches in one untouched run, failing none:
 * fail-nth set far beyond reach counts down every point of every kind,
 * fail_usercopy's space (each user copy weighs 1, make-it-fail set on
 * this task only) the user copies alone. Reading fail-nth back formats the
 * count before its own user copy, which so is not in it; clearing
 * make-it-fail is a user copy made while it is set, taken off. A snapshot:
 * BIND reaches more points in a run that has to set up the device's
 * IRQ (GSI) mapping again, after an earlier failure.
 */
static void count_fault_points(struct __test_metadata *_metadata,
			       FIXTURE_DATA(fault_inject) *self,
			       unsigned int all[STEP_DONE],
			       unsigned int usercopy[STEP_DONE])
{
	char space[160], val[32];
	enum seq_step step;
	struct seq s;
	int iommufd;

	snprintf(space, sizeof(space), "%s/fail_usercopy/space", DEBUGFS);
	ASSERT_EQ(0, knob_setf(&self->knobs, "fail_usercopy", "task-filter",
			       "Y"));
	for (int pass = 0; pass < 2; pass++) {
		ASSERT_EQ(0, knob_setf(&self->knobs, "fail_usercopy",
				       "probability", pass ? "100" : "0"));
		iommufd = open_run_iommufd(self);
		ASSERT_LE(0, iommufd);
		seq_init(&s, self->run_cdev, iommufd, false, &self->buf);
		for (step = STEP_OPEN_CDEV; step < STEP_DONE; step++) {
			bool ok;

			if (pass == 0) {
				ASSERT_EQ(0, fail_nth_arm(self, COUNT_FROM));
				ok = !seq_step(&s, step);
				ASSERT_LT(0, pread(self->fail_nth_fd, val,
						   sizeof(val) - 1, 0));
				ASSERT_EQ(1, pwrite(self->fail_nth_fd, "0", 1,
						    0));
				val[sizeof(val) - 1] = '\0';
				all[step] = COUNT_FROM - strtoul(val, NULL, 10);
			} else {
				snprintf(val, sizeof(val), "%u", COUNT_FROM);
				ASSERT_EQ(0, knob_set(&self->knobs, space,
						      val));
				ASSERT_EQ(0, usercopy_arm(self, 0));
				ok = !seq_step(&s, step);
				ASSERT_EQ(1, pwrite(self->make_it_fail_fd, "0",
						    1, 0));
				ASSERT_EQ(0, read_text(space, val, sizeof(val)));
				usercopy[step] = COUNT_FROM - 1 -
						 strtoul(val, NULL, 10);
			}
			ASSERT_TRUE(ok) TH_LOG("step %s: %s", step_name[step],
					       strerror(errno));
		}
		ASSERT_EQ(0, umount(self->run_dir));
	}
	ASSERT_EQ(0, knob_setf(&self->knobs, "fail_usercopy", "probability",
			       "0"));
}

static void report_fault_points(struct __test_metadata *_metadata,
				FIXTURE_DATA(fault_inject) *self)
{
	unsigned int all[STEP_DONE], usercopy[STEP_DONE];
	unsigned int sum_all = 0, sum_usercopy = 0;
	char line[1024];
	int i, len;

	count_fault_points(_metadata, self, all, usercopy);

	len = snprintf(line, sizeof(line),
		       "fault points per step (all/user copies):");
	for (i = 0; i < STEP_DONE; i++) {
		len += snprintf(line + len, sizeof(line) - len, " [%s]=%u/%u",
				step_name[i], all[i], usercopy[i]);
		sum_all += all[i];
		sum_usercopy += usercopy[i];
	}
	ksft_print_msg("%s, total %u/%u\n", line, sum_all, sum_usercopy);
}

/* ---- the sweep ------------------------------------------------------ */

/*
 * The steps a sweep arms the fault around, the others running disarmed:
 * one sweep per phase, so that the report says where the fault points are
 * and a failure absorbed in a phase is seen to harm none of the later
 * steps.
 */
struct phase {
	const char *name;
	enum seq_step first, last;
};

static const struct phase phases[] = {
	{ "open", STEP_OPEN_CDEV, STEP_OPEN_CDEV },
	{ "bind", STEP_BIND, STEP_BIND },
	{ "ioas..detach", STEP_IOAS_ALLOC, STEP_DETACH },
	{ "unbind", STEP_CLOSE_DEVICE, STEP_CLOSE_DEVICE },
	{ "close iommufd", STEP_RELEASE, STEP_RELEASE },
};

struct sweep_stats {
	unsigned int runs;
	unsigned int injected;
	unsigned int tolerated;	/* hit, yet the sequence completed */
	unsigned int by_attr[MAX_ATTRS + 1];	/* last: none seen */
	unsigned int by_step[STEP_DONE + 1];
	unsigned int enomem, efault, enoent, einval, other_errno;
	double seconds;
};

static void count_errno(struct sweep_stats *st, int err)
{
	switch (err) {
	case ENOMEM:
		st->enomem++;
		break;
	case EFAULT:
		st->efault++;
		break;
	case ENOENT:
		st->enoent++;
		break;
	case EINVAL:
		st->einval++;
		break;
	default:
		st->other_errno++;
	}
}

static void add_stats(struct sweep_stats *sum, const struct sweep_stats *st)
{
	int i;

	sum->runs += st->runs;
	sum->injected += st->injected;
	sum->tolerated += st->tolerated;
	for (i = 0; i <= MAX_ATTRS; i++)
		sum->by_attr[i] += st->by_attr[i];
	for (i = 0; i <= STEP_DONE; i++)
		sum->by_step[i] += st->by_step[i];
	sum->enomem += st->enomem;
	sum->efault += st->efault;
	sum->enoent += st->enoent;
	sum->einval += st->einval;
	sum->other_errno += st->other_errno;
	sum->seconds += st->seconds;
}

static double elapsed(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) + (t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void report(FIXTURE_DATA(fault_inject) *self, const char *what,
		   const struct sweep_stats *st)
{
	char line[1024];
	int i, len;

	ksft_print_msg("%s: %u fault points failed, %u runs, %.1f s (%.0f ms per run incl. checks)\n",
		       what, st->injected, st->runs, st->seconds,
		       1000 * st->seconds / (st->runs ?: 1));
	len = snprintf(line, sizeof(line), "%s: by attribute:", what);
	for (i = 0; i < self->nattr; i++)
		if (st->by_attr[i])
			len += snprintf(line + len, sizeof(line) - len,
					" %s=%u", self->attr[i].name,
					st->by_attr[i]);
	if (st->by_attr[MAX_ATTRS])
		snprintf(line + len, sizeof(line) - len, " unknown=%u",
			 st->by_attr[MAX_ATTRS]);
	ksft_print_msg("%s\n", line);
	len = snprintf(line, sizeof(line), "%s: failing step:", what);
	for (i = 0; i <= STEP_DONE; i++)
		if (st->by_step[i])
			len += snprintf(line + len, sizeof(line) - len,
					" [%s]=%u",
					i == STEP_DONE ? "none, absorbed" :
							 step_name[i],
					st->by_step[i]);
	ksft_print_msg("%s\n", line);
	ksft_print_msg("%s: errno: ENOMEM=%u EFAULT=%u ENOENT=%u EINVAL=%u other=%u\n",
		       what, st->enomem, st->efault, st->enoent, st->einval,
		       st->other_errno);
}

/* Index of the named fault attribute in self->attr, else MAX_ATTRS */
static int attr_index(FIXTURE_DATA(fault_inject) *self, const char *name)
{
	int i;

	for (i = 0; i < self->nattr; i++)
		if (!strcmp(self->attr[i].name, name))
			return i;
	return MAX_ATTRS;
}

static unsigned int only_nth(void)
{
	const char *s = getenv("FI_ONLY");

	return s ? strtoul(s, NULL, 0) : 0;
}

/*
 * One run with the nth fault point of the phase's steps failed. The steps
 * before and after the phase run disarmed and must succeed: the former
 * have nothing to do with the fault, the latter must not suffer from a
 * failure the phase absorbed. Returns whether the fault hit the phase.
 */
static bool run_with_fault(struct __test_metadata *_metadata,
			   FIXTURE_DATA(fault_inject) *self,
			   const struct injector *inj, const struct phase *ph,
			   unsigned int nth, struct seq_result *r)
{
	struct seq s;
	bool ok = true;
	int iommufd, fired;

	iommufd = open_run_iommufd(self);
	ASSERT_LE(0, iommufd);
	seq_init(&s, self->run_cdev, iommufd, false, &self->buf);
	if (ph->first > STEP_OPEN_CDEV)
		ASSERT_TRUE(seq_steps(&s, STEP_OPEN_CDEV, ph->first - 1))
			TH_LOG("%s N=%u: disarmed step %s: %s", ph->name, nth,
			       step_name[s.r.failed], strerror(s.r.err));
	ASSERT_EQ(0, inj->prepare(self, nth));
	snapshot_times(self->attr, self->nattr);

	/* Armed: no system call but the steps' */
	ASSERT_EQ(0, inj->arm(self, nth));
	ok = seq_steps(&s, ph->first, ph->last);
	fired = inj->disarm(self);

	ASSERT_LE(0, fired) TH_LOG("%s N=%u: cannot disarm", ph->name, nth);
	if (ok && ph->last < STEP_RELEASE)
		ASSERT_TRUE(seq_steps(&s, ph->last + 1, STEP_RELEASE))
			TH_LOG("%s N=%u: step %s after the phase: %s", ph->name,
			       nth, step_name[s.r.failed], strerror(s.r.err));
	seq_cleanup(&s);
	*r = s.r;
	return fired;
}

/*
 * Run with the nth fault point of the phase failed and check what follows:
 * a clean errno (or correct results if the kernel absorbed the failure)
 * and nothing left behind. Returns false when the fault missed the phase.
 */
static bool fail_one(struct __test_metadata *_metadata,
		     FIXTURE_DATA(fault_inject) *self,
		     const struct injector *inj, const struct phase *ph,
		     unsigned int nth, struct sweep_stats *st)
{
	struct seq_result r;
	char what[96], site[160];
	int who;

	snprintf(what, sizeof(what), "%s %s", inj->pass, ph->name);
	st->runs++;
	if (!run_with_fault(_metadata, self, inj, ph, nth, &r)) {
		check_results(_metadata, &self->buf, &r, "run the fault missed");
		check_back_to_baseline(_metadata, self, what, nth);
		return false;
	}
	check_no_splat(_metadata, self, what, nth);
	if (self->kmsg.have_stack)
		fault_site(self->kmsg.stack, site, sizeof(site));
	else
		snprintf(site, sizeof(site), "? (no backtrace)");
	st->injected++;
	who = attr_that_fired(self->attr, self->nattr);
	st->by_attr[who < 0 ? MAX_ATTRS : who]++;
	st->by_step[r.failed]++;
	if (getenv("FI_VERBOSE"))
		ksft_print_msg("%s N=%u: %s in %s -> %s %s\n", what, nth,
			       who < 0 ? "?" : self->attr[who].name, site,
			       step_name[r.failed],
			       r.failed == STEP_DONE ? "" : strerror(r.err));
	if (r.failed == STEP_DONE) {
		/* A failure the kernel absorbed: the results are still right */
		st->tolerated++;
		check_results(_metadata, &self->buf, &r,
			      "run that absorbed the fault");
	} else {
		count_errno(st, r.err);
		ASSERT_TRUE(inj->errno_ok(who < 0 ? "?" : self->attr[who].name,
					  r.err))
			TH_LOG("%s N=%u: %s failure in %s made %s fail with %s",
			       what, nth,
			       who < 0 ? "unknown" : self->attr[who].name, site,
			       step_name[r.failed], strerror(r.err));
	}
	check_back_to_baseline(_metadata, self, what, nth);
	return true;
}

/*
 * Fail the fault points of the phase's steps one at a time, N = 1, 2, ...
 * until they run untouched. Returns false when FI_ONLY cut it short.
 */
static bool sweep_phase(struct __test_metadata *_metadata,
			FIXTURE_DATA(fault_inject) *self,
			const struct injector *inj, const struct phase *ph,
			struct sweep_stats *st)
{
	unsigned int nth, only = only_nth();
	struct timespec t0;
	char what[96];

	memset(st, 0, sizeof(*st));
	snprintf(what, sizeof(what), "%s %s", inj->pass, ph->name);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (only) {
		fail_one(_metadata, self, inj, ph, only, st);
		return false;
	}
	for (nth = 1; ; nth++) {
		ASSERT_GT(MAX_NTH, nth)
			TH_LOG("%s: still failing at N=%u, runaway", what, nth);
		if (!fail_one(_metadata, self, inj, ph, nth, st))
			break;
	}
	st->seconds = elapsed(&t0);
	report(self, what, st);
	return true;
}

/*
 * Sweep each phase in turn. Returns false when FI_ONLY cut it short.
 */
static bool sweep(struct __test_metadata *_metadata,
		  FIXTURE_DATA(fault_inject) *self, const struct injector *inj,
		  struct sweep_stats *total)
{
	const char *only_phase = getenv("FI_PHASE");
	struct sweep_stats st;
	char what[64];
	size_t i;

	memset(total, 0, sizeof(*total));
	ksft_print_msg("%s: %s, over %s\n", inj->pass, inj->name, self->cdev);
	for (i = 0; i < ARRAY_SIZE(phases); i++) {
		if (only_phase && strcmp(only_phase, phases[i].name))
			continue;
		if (!sweep_phase(_metadata, self, inj, &phases[i], &st))
			return false;
		add_stats(total, &st);
	}
	snprintf(what, sizeof(what), "%s total", inj->pass);
	report(self, what, total);
	return true;
}

/* ---- the device still does DMA afterwards --------------------------- */

static void fill_pattern(uint8_t *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 7 + seed);
}

/*
 * A last run with real DMA: edu copies the first 4 KiB page into the huge
 * page, 1 MiB + 12 KiB in, through the addresses GET_PA gives (the second
 * from the middle of a block entry).
 */
static void check_edu_dma(struct __test_metadata *_metadata,
			  FIXTURE_DATA(fault_inject) *self)
{
	const uint64_t off = SZ_2M / 2 + 3 * SZ_4K;
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct vfio_device_attach_iommufd_pt attach = { .argsz = sizeof(attach) };
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	uint64_t src, dst, len;
	volatile void *bar;
	size_t bar_size;
	int iommufd, dev;

	iommufd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, iommufd);
	dev = open(self->cdev, O_RDWR);
	ASSERT_LE(0, dev);
	bind.iommufd = iommufd;
	ASSERT_EQ(0, ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, &bind));
	ASSERT_EQ(0, ioctl(iommufd, IOMMU_IOAS_ALLOC, &alloc));
	attach.pt_id = alloc.out_ioas_id;
	ASSERT_EQ(0, ioctl(dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach));
	ASSERT_EQ(0, lab_map_fixed(iommufd, alloc.out_ioas_id, self->buf.small,
			       SMALL_LEN, IOVA_SMALL));
	ASSERT_EQ(0, lab_map_fixed(iommufd, alloc.out_ioas_id, self->buf.huge,
			       SZ_2M, IOVA_HUGE));
	ASSERT_EQ(0, lab_get_pa(iommufd, alloc.out_ioas_id, IOVA_SMALL, &src,
			    &len));
	ASSERT_EQ(0, lab_get_pa(iommufd, alloc.out_ioas_id, IOVA_HUGE + off, &dst,
			    &len));
	ASSERT_EQ(lab_pagemap_pa(self->buf.huge + off), dst);
	ASSERT_EQ(SZ_2M - off, len);

	bar = lab_map_bar(dev, 0, &bar_size);
	ASSERT_NE(NULL, bar);
	ASSERT_EQ(0, lab_enable_bus_master(dev));
	ASSERT_EQ(EDU_ID_VALUE, edu_read32(bar, EDU_REG_ID) & 0xff0000ff);
	fill_pattern(self->buf.small, SZ_4K, 11);
	memset(self->buf.huge + off, 0, SZ_4K);
	ASSERT_EQ(0, edu_round_trip(bar, src, dst, SZ_4K));
	ASSERT_EQ(0, memcmp(self->buf.small, self->buf.huge + off, SZ_4K));
	ksft_print_msg("edu DMA through GET_PA addresses 0x%llx -> 0x%llx: ok\n",
		       (unsigned long long)src, (unsigned long long)dst);
	munmap((void *)bar, bar_size);
	close(dev);
	close(iommufd);
	check_pins(_metadata, self, "after edu DMA", 0);
	check_no_splat(_metadata, self, "after edu DMA", 0);
}

/* ---- the tests -------------------------------------------------------- */

TEST_F_TIMEOUT(fault_inject, failslab_every_nth, SWEEP_TIMEOUT)
{
	struct sweep_stats st;

	/* Let sleeping (GFP_KERNEL) allocations fail too */
	ASSERT_EQ(0, knob_setf(&self->knobs, "failslab", "ignore-gfp-wait",
			       "N"));
	/* From every cache but ACPICA's (see cache_left_out()) */
	ASSERT_EQ(0, mark_failslab_caches(&self->slab_marks));
	ksft_print_msg("failslab: %d caches may fail%s\n", self->slab_marks.n,
		       getenv("FI_ACPI") ? "" : " (all but ACPICA's Acpi-*)");
	ASSERT_EQ(0, knob_setf(&self->knobs, "failslab", "cache-filter", "Y"));
	if (exists(DEBUGFS "/fail_page_alloc")) {
		ASSERT_EQ(0, knob_setf(&self->knobs, "fail_page_alloc",
				       "ignore-gfp-wait", "N"));
		ASSERT_EQ(0, knob_setf(&self->knobs, "fail_page_alloc",
				       "ignore-gfp-highmem", "N"));
	}
	ASSERT_EQ(0, log_backtraces(&self->knobs, self->attr, self->nattr));
	report_fault_points(_metadata, self);
	if (getenv("FI_COUNT"))
		return;
	if (!sweep(_metadata, self, &fail_nth_injector, &st))
		return;
	/* Slab allocations were among what failed, or the pass meant nothing */
	ASSERT_LT(0, st.by_attr[attr_index(self, "failslab")]);
	check_edu_dma(_metadata, self);
}

TEST_F_TIMEOUT(fault_inject, usercopy_every_nth, SWEEP_TIMEOUT)
{
	struct sweep_stats st;

	ASSERT_EQ(0, knob_setf(&self->knobs, "fail_usercopy", "task-filter",
			       "Y"));
	ASSERT_EQ(0, knob_setf(&self->knobs, "fail_usercopy", "interval", "1"));
	ASSERT_EQ(0, knob_setf(&self->knobs, "fail_usercopy", "times", "0"));
	ASSERT_EQ(0, knob_setf(&self->knobs, "fail_usercopy", "probability",
			       "100"));
	ASSERT_EQ(0, log_backtraces(&self->knobs, self->attr, self->nattr));
	if (!sweep(_metadata, self, &usercopy_injector, &st))
		return;
	ASSERT_LT(0, st.efault);
	check_edu_dma(_metadata, self);
}

/* A fixture of its own so that it runs after fault_inject's tests */
FIXTURE(after_sweeps) {
};

FIXTURE_SETUP(after_sweeps)
{
}

FIXTURE_TEARDOWN(after_sweeps)
{
}

/*
 * Nothing the sweeps did leaked. kmemleak only reports objects older than
 * 5 s, found unreferenced by a scan that follows another one. Two scans of
 * a KASAN kernel under TCG take well over the harness's default 30 s when
 * the host is busy: allow minutes.
 */
TEST_F_TIMEOUT(after_sweeps, no_kmemleak_suspects, 300)
{
	static char report[65536];
	const char *kmemleak = DEBUGFS "/kmemleak";
	char *block, *next;
	int fd, ours = 0, others = 0;
	ssize_t n, used = 0;

	if (!noiommu_cdev_expected())
		SKIP(return, "no no-IOMMU cdev in this kernel/boot");
	if (missing_fault_injection())
		SKIP(return, "no fault injection, so no sweep to check after");
	if (access(kmemleak, W_OK))
		SKIP(return, "no kmemleak (CONFIG_DEBUG_KMEMLEAK) in this kernel");
	sleep(6);
	ASSERT_EQ(0, lab_write_file(kmemleak, "scan"));
	ASSERT_EQ(0, lab_write_file(kmemleak, "scan"));
	fd = open(kmemleak, O_RDONLY);
	ASSERT_LE(0, fd);
	while (used < (ssize_t)sizeof(report) - 1 &&
	       (n = read(fd, report + used, sizeof(report) - 1 - used)) > 0)
		used += n;
	close(fd);
	report[used] = '\0';

	/* One block per object, each starting "unreferenced object" */
	for (block = strstr(report, "unreferenced object"); block;
	     block = next) {
		next = strstr(block + 1, "unreferenced object");
		if (next)
			next[-1] = '\0';
		if (strstr(block, "iommufd") || strstr(block, "vfio") ||
		    strstr(block, "iopt")) {
			ours++;
			fprintf(stderr, "# %s\n", block);
		} else {
			others++;
		}
	}
	ksft_print_msg("kmemleak: %d suspect(s) from iommufd/vfio, %d other(s) (left to run-tests' check)\n",
		       ours, others);
	ASSERT_EQ(0, ours) TH_LOG("kmemleak suspects from iommufd/vfio above");
}

TEST_HARNESS_MAIN

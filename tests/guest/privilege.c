// SPDX-License-Identifier: GPL-2.0
/*
 * Who may use no-IOMMU devices: the privilege checks of the no-IOMMU cdev,
 * of IOMMU_IOAS_NOIOMMU_GET_PA and of the legacy group path, attacked with
 * every fd passing trick we could think of (docs/privilege.md has the
 * table).
 *
 * Each test does the privileged setup in the test process and the attempt
 * in a child that really gave its privilege up, in one of two flavours:
 *  - nobody: setresuid/setresgid to 65534, no supplementary groups, so no
 *    capability at all;
 *  - root without RAWIO: uid 0 with every capability but CAP_SYS_RAWIO,
 *    dropped from the bounding set too so that execve() cannot bring it
 *    back.
 * The child checks its own credentials and writes what every step
 * returned into a report the test process reads back through a pipe and
 * asserts on. After each child the test process repeats the operation
 * with its privilege, so a refusal is known to come from the missing
 * privilege and not from a broken setup.
 *
 * The same binary runs in every Kconfig case and boot: what a kernel or
 * boot does not offer is skipped.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "kselftest_harness.h"
#include "lab_guest.h"

#define PAGE 4096UL
#define NOBODY 65534
/* Where the test process maps its buffer, and the child its own. */
#define MAP_IOVA 0x100000UL
#define OWN_IOVA 0x400000UL
#define UNMAPPED_IOVA 0x800000UL
#define NO_SUCH_IOAS 0xfffffu
/* /proc/PID/pagemap: bit 63 present, bits 0-54 page frame number */
#define PAGEMAP_PRESENT (1ULL << 63)
#define PAGEMAP_PFN ((1ULL << 55) - 1)
#define CAP_BIT(cap) (1ULL << (cap))
#define PROBE_FLAG "--privilege-probe"
#define NOIOMMU_PARAM "/sys/module/vfio/parameters/enable_unsafe_noiommu_mode"

enum flavour {
	AS_NOBODY,
	AS_ROOT_WITHOUT_RAWIO,
};

/* What one system call returned: its value, and errno when it failed. */
struct res {
	long ret;
	int err;
};

#define RECORD(slot, expr)                                      \
	do {                                                    \
		errno = 0;                                      \
		(slot).ret = (expr);                            \
		(slot).err = (slot).ret < 0 ? errno : 0;        \
	} while (0)

/* ---- the report an unprivileged child sends back ----------------------- */

struct creds_seen {
	bool became;		/* giving up privilege worked */
	bool exec_ran;		/* the report comes from an execve()d probe */
	pid_t pid;
	uid_t ruid, euid, suid;
	uint64_t eff, prm;
	int rawio_in_bounding;
	/* Trying to take CAP_SYS_RAWIO back must fail. */
	struct res regain_capset, regain_ambient;
};

/* What a holder of the test process's iommufd and bound cdev fd gets. */
struct fd_probe {
	bool ran;
	struct res get_pa, get_pa_unmapped, get_pa_no_ioas;
	uint64_t phys_seen, len_seen;
	struct res ioas_alloc, ranges, map, attach_own, get_pa_own;
	struct res attach_back, unmap, destroy;
	struct res dev_info, bind;
};

struct report {
	struct creds_seen creds;
	struct fd_probe probe;
	/* node opens */
	struct res open_node, open_node_again;
	/* SCM_RIGHTS */
	struct res recv;
	/* pidfd_getfd() */
	struct res pidfd_open, getfd_iommufd, getfd_dev;
	/* reopening through /proc */
	struct res self_dev, self_iommufd, parent_dev, parent_iommufd;
	struct res new_ctx_ranges, new_ctx_get_pa;
	/* /dev/iommu of its own */
	struct res own_iommufd, own_ioas, own_map, own_get_pa;
	/* legacy group path */
	struct res get_device_fd, legacy_info, map_dma, container_get_pa;
	struct res reopen_group, reopen_legacy_dev;
	/* pagemap */
	uint64_t own_entry, inherited_entry;
	struct res open_pagemap, read_inherited;
	/* user namespace */
	struct res unshare, uid_map;
	uint64_t ns_eff;
	/* mode off */
	struct res write_param;
	/* execve() */
	struct res exec;
};

/* ---- giving privilege up ----------------------------------------------- */

static int become_unprivileged(enum flavour f)
{
	if (f == AS_ROOT_WITHOUT_RAWIO) {
		/* Without the bounding set drop, root gets CAP_SYS_RAWIO
		 * back at the next execve(). */
		if (prctl(PR_CAPBSET_DROP, CAP_SYS_RAWIO, 0, 0, 0))
			return -1;
		return lab_drop_capability(CAP_SYS_RAWIO);
	}
	if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY))
		return -1;
	/* setuid() made us non-dumpable, which a user's ordinary process is
	 * not; it would hide our own /proc/self files from us. */
	return prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
}

static int cap_get(struct __user_cap_data_struct data[2])
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};

	return syscall(SYS_capget, &hdr, data);
}

static uint64_t cap_set_of(const struct __user_cap_data_struct data[2],
			   bool effective)
{
	if (effective)
		return data[0].effective | (uint64_t)data[1].effective << 32;
	return data[0].permitted | (uint64_t)data[1].permitted << 32;
}

static void look_at_creds(struct creds_seen *c)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = {};

	c->pid = getpid();
	getresuid(&c->ruid, &c->euid, &c->suid);
	if (cap_get(data) == 0) {
		c->eff = cap_set_of(data, true);
		c->prm = cap_set_of(data, false);
	}
	c->rawio_in_bounding = prctl(PR_CAPBSET_READ, CAP_SYS_RAWIO, 0, 0, 0);
	data[0].effective |= CAP_BIT(CAP_SYS_RAWIO);
	data[0].permitted |= CAP_BIT(CAP_SYS_RAWIO);
	RECORD(c->regain_capset, syscall(SYS_capset, &hdr, data));
	RECORD(c->regain_ambient, prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE,
					CAP_SYS_RAWIO, 0, 0));
}

static void assert_unprivileged(struct __test_metadata *_metadata,
				enum flavour f, const struct creds_seen *c)
{
	ASSERT_TRUE(c->became) TH_LOG("the child could not drop privilege");
	ASSERT_EQ(0, c->eff & CAP_BIT(CAP_SYS_RAWIO));
	ASSERT_EQ(0, c->prm & CAP_BIT(CAP_SYS_RAWIO));
	if (f == AS_NOBODY) {
		ASSERT_EQ(NOBODY, c->ruid);
		ASSERT_EQ(NOBODY, c->euid);
		ASSERT_EQ(NOBODY, c->suid);
		ASSERT_EQ(0, c->eff);
		ASSERT_EQ(0, c->prm);
	} else {
		ASSERT_EQ(0, c->euid);
		ASSERT_EQ(0, c->rawio_in_bounding);
		/* ... and root in every other respect. */
		ASSERT_NE(0, c->eff & CAP_BIT(CAP_SYS_ADMIN));
		ASSERT_NE(0, c->eff & CAP_BIT(CAP_DAC_OVERRIDE));
		ASSERT_NE(0, c->eff & CAP_BIT(CAP_SYS_PTRACE));
	}
	ASSERT_EQ(-1, c->regain_capset.ret);
	ASSERT_EQ(EPERM, c->regain_capset.err);
	ASSERT_EQ(-1, c->regain_ambient.ret);
	ASSERT_EQ(EPERM, c->regain_ambient.err);
}

/* ---- running something in an unprivileged child ------------------------ */

typedef void (*child_fn)(void *arg, struct report *r);

/* In the child: where its report goes. */
static int child_report_fd = -1;

struct child {
	pid_t pid;
	int report_fd;
};

static int start_child(enum flavour f, child_fn fn, void *arg,
		       struct child *c)
{
	int p[2];

	if (pipe(p))
		return -1;
	c->pid = fork();
	if (c->pid < 0)
		return -1;
	if (c->pid == 0) {
		struct report r;

		memset(&r, 0, sizeof(r));
		close(p[0]);
		child_report_fd = p[1];
		r.creds.became = become_unprivileged(f) == 0;
		look_at_creds(&r.creds);
		if (r.creds.became)
			fn(arg, &r);
		_exit(write(p[1], &r, sizeof(r)) == sizeof(r) ? 0 : 1);
	}
	close(p[1]);
	c->report_fd = p[0];
	return 0;
}

/* Reads the child's report; 0 when it sent a whole one and exited 0. */
static int finish_child(struct child *c, struct report *r)
{
	size_t got = 0;
	ssize_t n;
	int status;

	memset(r, 0, sizeof(*r));
	while (got < sizeof(*r)) {
		n = read(c->report_fd, (char *)r + got, sizeof(*r) - got);
		if (n <= 0)
			break;
		got += n;
	}
	close(c->report_fd);
	if (waitpid(c->pid, &status, 0) != c->pid)
		return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) || got != sizeof(*r))
		return -1;
	return 0;
}

static int run_child(enum flavour f, child_fn fn, void *arg, struct report *r)
{
	struct child c;

	if (start_child(f, fn, arg, &c))
		return -1;
	return finish_child(&c, r);
}

/* Close every fd but stdio, the report pipe and keep, so the child holds
 * only what it is handed (fork() copied the test process's fds). */
static void close_fds_except(int keep)
{
	int fd;

	for (fd = 3; fd < 1024; fd++)
		if (fd != keep && fd != child_report_fd)
			close(fd);
}

/* ---- SCM_RIGHTS -------------------------------------------------------- */

static int send_fds(int sock, const int *fds, int n)
{
	char data = 'F', buf[CMSG_SPACE(4 * sizeof(int))] = {};
	struct iovec iov = { .iov_base = &data, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = buf,
		.msg_controllen = CMSG_SPACE(n * sizeof(int)),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(n * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, n * sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

/*
 * A unix socket pair, or SKIP when the kernel has none: the lab's kernels
 * are built without NET, where socketpair() is ENOSYS.
 */
#define UNIX_SOCKETS_OR_SKIP(sv)                                            \
	do {                                                                \
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) {              \
			ASSERT_TRUE(errno == ENOSYS || errno == EAFNOSUPPORT) \
				TH_LOG("socketpair: %s", strerror(errno));  \
			ASSERT_NE('y', lab_kconfig("UNIX"));                \
			SKIP(return, "kernel built without NET/UNIX: "      \
			     "no unix sockets, no SCM_RIGHTS");              \
		}                                                           \
	} while (0)

/* Returns the number of fds received, or -1. */
static int recv_fds(int sock, int *fds, int n)
{
	char data, buf[CMSG_SPACE(4 * sizeof(int))] = {};
	struct iovec iov = { .iov_base = &data, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = buf, .msg_controllen = sizeof(buf),
	};
	struct cmsghdr *cm;
	int got;

	if (recvmsg(sock, &msg, 0) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	got = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
	if (got > n)
		return -1;
	memcpy(fds, CMSG_DATA(cm), got * sizeof(int));
	return got;
}

/* ---- IOMMUFD and the cdev ---------------------------------------------- */

static bool cdev_noiommu_expected(void)
{
	return lab_noiommu_requested() && lab_kconfig("VFIO_NOIOMMU") == 'y' &&
	       lab_kconfig("VFIO_DEVICE_CDEV") == 'y';
}

static bool legacy_noiommu_expected(void)
{
	return lab_noiommu_requested() && lab_kconfig("VFIO_NOIOMMU") == 'y' &&
	       lab_kconfig("VFIO_GROUP") == 'y';
}

static int cdev_path(const char *bdf, char *path, size_t len)
{
	char name[64];

	if (!lab_vfio_cdev_name(bdf, name, sizeof(name)))
		return -1;
	snprintf(path, len, "/dev/vfio/devices/%s", name);
	return 0;
}

static int device_info(int device_fd)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };

	return ioctl(device_fd, VFIO_DEVICE_GET_INFO, &info);
}

static int iova_ranges(int iommufd, uint32_t ioas)
{
	struct iommu_iova_range ranges[8];
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd), .ioas_id = ioas, .num_iovas = 8,
		.allowed_iovas = (uintptr_t)ranges,
	};

	return ioctl(iommufd, IOMMU_IOAS_IOVA_RANGES, &cmd);
}

static void *page_of_memory(void)
{
	void *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* The test process's iommufd, IOAS and bound cdev, as handed to a child */
struct handed {
	int iommufd;
	int devfd;
	uint32_t ioas;
	uint64_t iova;
};

/*
 * Everything a holder of the fds could try for a physical address, and the
 * ordinary IOMMUFD and device operations for comparison. The child maps
 * its own page and even attaches the device to its own IOAS, then puts the
 * device back where it was.
 */
static void probe_handed_fds(const struct handed *h, struct fd_probe *p)
{
	uint32_t own = 0;
	void *buf;

	p->ran = true;
	RECORD(p->get_pa, lab_get_pa(h->iommufd, h->ioas, h->iova, &p->phys_seen,
				 &p->len_seen));
	RECORD(p->get_pa_unmapped,
	       lab_get_pa(h->iommufd, h->ioas, UNMAPPED_IOVA, NULL, NULL));
	RECORD(p->get_pa_no_ioas,
	       lab_get_pa(h->iommufd, NO_SUCH_IOAS, h->iova, NULL, NULL));
	RECORD(p->ranges, iova_ranges(h->iommufd, h->ioas));
	RECORD(p->ioas_alloc, lab_ioas_alloc(h->iommufd, &own));
	buf = page_of_memory();
	RECORD(p->map,
	       buf ? lab_map_fixed(h->iommufd, own, buf, PAGE, OWN_IOVA) : -1);
	RECORD(p->dev_info, device_info(h->devfd));
	RECORD(p->bind, lab_bind_iommufd(h->devfd, h->iommufd, NULL));
	RECORD(p->attach_own, lab_attach_pt(h->devfd, own, NULL));
	RECORD(p->get_pa_own, lab_get_pa(h->iommufd, own, OWN_IOVA, NULL, NULL));
	if (p->attach_own.ret == 0)
		RECORD(p->attach_back, lab_attach_pt(h->devfd, h->ioas, NULL));
	RECORD(p->unmap, lab_unmap(h->iommufd, own, OWN_IOVA, PAGE));
	RECORD(p->destroy, lab_destroy(h->iommufd, own));
}

static void assert_no_pa(struct __test_metadata *_metadata,
			 const struct fd_probe *p)
{
	ASSERT_TRUE(p->ran);
	ASSERT_EQ(-1, p->get_pa.ret);
	ASSERT_EQ(EPERM, p->get_pa.err);
	/* The kernel wrote nothing back: no address, the length as sent */
	ASSERT_EQ(0, p->phys_seen);
	ASSERT_EQ(UINT64_MAX, p->len_seen);
	/* Refused before any lookup: no hint whether an IOVA or IOAS exists */
	ASSERT_EQ(EPERM, p->get_pa_unmapped.err);
	ASSERT_EQ(EPERM, p->get_pa_no_ioas.err);
	ASSERT_EQ(-1, p->get_pa_own.ret);
	ASSERT_EQ(EPERM, p->get_pa_own.err);
	/* As in mainline, binding checks no capability: a bound fd is "already
	 * bound" (EINVAL) for anyone. */
	ASSERT_EQ(-1, p->bind.ret);
	ASSERT_EQ(EINVAL, p->bind.err);
}

/*
 * The rest is IOMMUFD's and VFIO's ordinary model: the fds are the
 * authority, so their holder may manage the IOAS, map its own memory
 * (pinned and charged to it) and use the device, only not learn physical
 * addresses.
 */
static void assert_ordinary_ops(struct __test_metadata *_metadata,
				const struct fd_probe *p)
{
	ASSERT_EQ(0, p->ranges.ret) TH_LOG("IOVA_RANGES: %s",
					   strerror(p->ranges.err));
	ASSERT_EQ(0, p->ioas_alloc.ret);
	ASSERT_EQ(0, p->map.ret) TH_LOG("MAP: %s", strerror(p->map.err));
	ASSERT_EQ(0, p->dev_info.ret);
	ASSERT_EQ(0, p->attach_own.ret) TH_LOG("ATTACH: %s",
					       strerror(p->attach_own.err));
	ASSERT_EQ(0, p->attach_back.ret);
	ASSERT_EQ(0, p->unmap.ret);
	ASSERT_EQ(0, p->destroy.ret);
}

/* The test process's no-IOMMU setup: cdev bound, attached, a page mapped
 * and its physical address known. */
FIXTURE(cdev) {
	char bdf[16];
	char path[96];
	int iommufd;
	int devfd;
	uint32_t ioas;
	void *buf;
	uint64_t pa;
};

FIXTURE_VARIANT(cdev) {
	enum flavour flavour;
};

FIXTURE_VARIANT_ADD(cdev, nobody) {
	.flavour = AS_NOBODY,
};

FIXTURE_VARIANT_ADD(cdev, root_without_rawio) {
	.flavour = AS_ROOT_WITHOUT_RAWIO,
};

FIXTURE_SETUP(cdev)
{
	uint64_t len;

	self->iommufd = self->devfd = -1;
	self->buf = NULL;
	if (!cdev_noiommu_expected())
		SKIP(return, "no no-IOMMU cdev in this kernel/boot");
	ASSERT_TRUE(lab_find_pci(EDU_VENDOR, EDU_DEVICE, 0, self->bdf));
	ASSERT_EQ(0, cdev_path(self->bdf, self->path, sizeof(self->path)));
	self->devfd = open(self->path, O_RDWR);
	ASSERT_LE(0, self->devfd) TH_LOG("open %s: %s", self->path,
					 strerror(errno));
	self->iommufd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, self->iommufd);
	ASSERT_EQ(0, lab_bind_iommufd(self->devfd, self->iommufd, NULL));
	ASSERT_EQ(0, lab_ioas_alloc(self->iommufd, &self->ioas));
	ASSERT_EQ(0, lab_attach_pt(self->devfd, self->ioas, NULL));
	self->buf = page_of_memory();
	ASSERT_NE(NULL, self->buf);
	ASSERT_EQ(0, lab_map_fixed(self->iommufd, self->ioas, self->buf, PAGE,
			       MAP_IOVA));
	ASSERT_EQ(0, lab_get_pa(self->iommufd, self->ioas, MAP_IOVA, &self->pa,
			    &len));
	ASSERT_NE(0, self->pa);
}

FIXTURE_TEARDOWN(cdev)
{
	if (self->devfd >= 0)
		close(self->devfd);
	if (self->iommufd >= 0)
		close(self->iommufd);
	if (self->buf)
		munmap(self->buf, PAGE);
}

static struct handed handed_of(FIXTURE_DATA(cdev) *self)
{
	struct handed h = {
		.iommufd = self->iommufd, .devfd = self->devfd,
		.ioas = self->ioas, .iova = MAP_IOVA,
	};

	return h;
}

/* After the child, the test process still gets the same address: the
 * mapping the child was refused was there all along. */
static void assert_parent_still_gets_pa(struct __test_metadata *_metadata,
					FIXTURE_DATA(cdev) *self)
{
	uint64_t pa = 0, len;

	ASSERT_EQ(0, lab_get_pa(self->iommufd, self->ioas, MAP_IOVA, &pa, &len));
	ASSERT_EQ(self->pa, pa);
}

/* ---- who may open the nodes -------------------------------------------- */

struct open_arg {
	const char *path;
};

static void child_open_node(void *arg, struct report *r)
{
	const struct open_arg *a = arg;

	RECORD(r->open_node, open(a->path, O_RDWR));
	if (r->open_node.ret >= 0)
		close(r->open_node.ret);
}

/* The same for the second attempt, so that the results stay apart. */
static void child_open_again(void *arg, struct report *r)
{
	const struct open_arg *a = arg;

	RECORD(r->open_node_again, open(a->path, O_RDWR));
	if (r->open_node_again.ret >= 0)
		close(r->open_node_again.ret);
}

/*
 * devtmpfs creates the cdev root-only (vfio_device_devnode() sets no
 * mode); even after a chmod 0666, vfio_device_fops_cdev_open() refuses a
 * caller without CAP_SYS_RAWIO.
 */
TEST_F(cdev, open_node_needs_rawio_even_when_world_writable)
{
	struct open_arg arg = { .path = self->path };
	struct report r1, r2;
	struct stat st;
	char msg[128];
	int rc1, rc2, fd2;

	ASSERT_EQ(0, stat(self->path, &st));
	TH_LOG("%s: mode %04o uid %u gid %u", self->path,
	       st.st_mode & 07777, st.st_uid, st.st_gid);
	ASSERT_EQ(0, st.st_uid);
	ASSERT_EQ(0, st.st_mode & 077);

	rc1 = run_child(variant->flavour, child_open_node, &arg, &r1);
	ASSERT_EQ(0, chmod(self->path, 0666));
	rc2 = run_child(variant->flavour, child_open_again, &arg, &r2);
	ASSERT_EQ(0, chmod(self->path, st.st_mode & 07777));

	ASSERT_EQ(0, rc1);
	ASSERT_EQ(0, rc2);
	assert_unprivileged(_metadata, variant->flavour, &r1.creds);
	ASSERT_EQ(-1, r1.open_node.ret);
	/* nobody is stopped by the file mode, root by the capability */
	ASSERT_EQ(variant->flavour == AS_NOBODY ? EACCES : EPERM,
		  r1.open_node.err);
	ASSERT_EQ(-1, r2.open_node_again.ret);
	ASSERT_EQ(EPERM, r2.open_node_again.err);
	/* As in mainline, the cdev logs no opener (the kernel was tainted
	 * when the cdev was registered), whoever tried. */
	snprintf(msg, sizeof(msg), "opened by user (%s:%d)",
		 program_invocation_short_name, r2.creds.pid);
	ASSERT_FALSE(lab_kmsg_contains(msg)) TH_LOG("'%s' logged", msg);
	snprintf(msg, sizeof(msg), "opened by user (%s:%d)",
		 program_invocation_short_name, getpid());
	ASSERT_FALSE(lab_kmsg_contains(msg)) TH_LOG("'%s' logged", msg);
	/* With privilege, the same node opens (a second open is allowed). */
	fd2 = open(self->path, O_RDWR);
	ASSERT_LE(0, fd2);
	close(fd2);
}

/* /dev/iommu is 0660 root:root; whoever can open it gets an iommufd of
 * their own, in which GET_PA is refused all the same. */
FIXTURE(iommu_node) {
	struct stat st;
	bool chmodded;
};

FIXTURE_VARIANT(iommu_node) {
	enum flavour flavour;
};

FIXTURE_VARIANT_ADD(iommu_node, nobody) {
	.flavour = AS_NOBODY,
};

FIXTURE_VARIANT_ADD(iommu_node, root_without_rawio) {
	.flavour = AS_ROOT_WITHOUT_RAWIO,
};

FIXTURE_SETUP(iommu_node)
{
	self->chmodded = false;
	if (!lab_kconfig_enabled("IOMMUFD"))
		SKIP(return, "kernel built without IOMMUFD");
	ASSERT_EQ(0, stat("/dev/iommu", &self->st));
}

FIXTURE_TEARDOWN(iommu_node)
{
	if (self->chmodded)
		chmod("/dev/iommu", self->st.st_mode & 07777);
}

static void child_own_iommufd(void *arg, struct report *r)
{
	uint32_t ioas = 0;
	void *buf = page_of_memory();
	int fd;

	RECORD(r->own_iommufd, open("/dev/iommu", O_RDWR));
	fd = r->own_iommufd.ret;
	if (fd < 0)
		return;
	RECORD(r->own_ioas, lab_ioas_alloc(fd, &ioas));
	RECORD(r->own_map, buf ? lab_map_fixed(fd, ioas, buf, PAGE, OWN_IOVA) : -1);
	RECORD(r->own_get_pa, lab_get_pa(fd, ioas, OWN_IOVA, NULL, NULL));
	close(fd);
}

TEST_F(iommu_node, own_iommufd_gives_no_pa)
{
	bool nobody = variant->flavour == AS_NOBODY;
	struct report r1, r2;
	int rc1, rc2 = 0;

	TH_LOG("/dev/iommu: mode %04o uid %u gid %u",
	       self->st.st_mode & 07777, self->st.st_uid, self->st.st_gid);
	ASSERT_EQ(0, self->st.st_uid);
	ASSERT_EQ(0, self->st.st_gid);
	ASSERT_EQ(0, self->st.st_mode & 07);

	rc1 = run_child(variant->flavour, child_own_iommufd, NULL, &r1);
	ASSERT_EQ(0, rc1);
	assert_unprivileged(_metadata, variant->flavour, &r1.creds);
	if (nobody) {
		ASSERT_EQ(-1, r1.own_iommufd.ret);
		ASSERT_EQ(EACCES, r1.own_iommufd.err);
		/* Let nobody in and see what IOMMUFD itself allows. */
		ASSERT_EQ(0, chmod("/dev/iommu", 0666));
		self->chmodded = true;
		rc2 = run_child(variant->flavour, child_own_iommufd, NULL, &r2);
		ASSERT_EQ(0, rc2);
		r1 = r2;
	}
	ASSERT_LE(0, r1.own_iommufd.ret);
	ASSERT_EQ(0, r1.own_ioas.ret);
	ASSERT_EQ(0, r1.own_map.ret)
		TH_LOG("MAP: %s", strerror(r1.own_map.err));
	ASSERT_EQ(-1, r1.own_get_pa.ret);
	/* No GET_PA at all without no-IOMMU cdev support */
	ASSERT_EQ(lab_kconfig("IOMMUFD_NOIOMMU") == 'y' ? EPERM : ENOTTY,
		  r1.own_get_pa.err);
}

/* Root, too, gets no address from an IOAS whose memory no no-IOMMU page
 * table holds: the IOVA is not a physical address of anything. */
TEST(get_pa_without_noiommu_page_table_is_eopnotsupp)
{
	uint64_t phys = 0, len = 0;
	uint32_t ioas;
	void *buf;
	int fd;

	if (!lab_kconfig_enabled("IOMMUFD"))
		SKIP(return, "kernel built without IOMMUFD");
	fd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, lab_ioas_alloc(fd, &ioas));
	buf = page_of_memory();
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, lab_map_fixed(fd, ioas, buf, PAGE, MAP_IOVA));
	ASSERT_EQ(-1, lab_get_pa(fd, ioas, MAP_IOVA, &phys, &len));
	/* (a kernel without no-IOMMU cdev support has no GET_PA at all) */
	ASSERT_EQ(lab_kconfig("IOMMUFD_NOIOMMU") == 'y' ? EOPNOTSUPP : ENOTTY,
		  errno);
	ASSERT_EQ(0, phys);
	close(fd);
	munmap(buf, PAGE);
}

/* ---- handing the fds over ---------------------------------------------- */

struct scm_arg {
	int sock;
	const void *payload;
};

static void child_receive_and_probe(void *arg, struct report *r)
{
	const struct scm_arg *a = arg;
	struct handed h = *(const struct handed *)a->payload;
	int fds[2];

	close_fds_except(a->sock);
	RECORD(r->recv, recv_fds(a->sock, fds, 2));
	if (r->recv.ret != 2)
		return;
	h.iommufd = fds[0];
	h.devfd = fds[1];
	probe_handed_fds(&h, &r->probe);
}

/*
 * The child gives its privilege up first, holding nothing; then the test
 * process sends it the iommufd and the bound, attached cdev fd over a unix
 * socket.
 */
TEST_F(cdev, scm_rights_fds_give_no_pa)
{
	struct handed h = handed_of(self);
	struct scm_arg arg = { .payload = &h };
	int sv[2], fds[2] = { self->iommufd, self->devfd };
	struct child c;
	struct report r;

	UNIX_SOCKETS_OR_SKIP(sv);
	arg.sock = sv[1];
	ASSERT_EQ(0, start_child(variant->flavour, child_receive_and_probe,
				 &arg, &c));
	close(sv[1]);
	ASSERT_EQ(0, send_fds(sv[0], fds, 2));
	ASSERT_EQ(0, finish_child(&c, &r));
	close(sv[0]);

	assert_unprivileged(_metadata, variant->flavour, &r.creds);
	ASSERT_EQ(2, r.recv.ret);
	assert_no_pa(_metadata, &r.probe);
	assert_ordinary_ops(_metadata, &r.probe);
	assert_parent_still_gets_pa(_metadata, self);
}

static void child_bind_received(void *arg, struct report *r)
{
	const struct scm_arg *a = arg;
	int fds[2];

	close_fds_except(a->sock);
	RECORD(r->recv, recv_fds(a->sock, fds, 2));
	if (r->recv.ret == 2)
		RECORD(r->probe.bind, lab_bind_iommufd(fds[1], fds[0], NULL));
}

/*
 * An unbound cdev fd sent to an unprivileged process binds there, as in
 * mainline (only opening the node needs CAP_SYS_RAWIO); what that process
 * still cannot do is learn physical addresses (the probes above).
 */
TEST(scm_rights_unbound_cdev_binds)
{
	enum flavour flavours[] = { AS_NOBODY, AS_ROOT_WITHOUT_RAWIO };
	char bdf[16], path[96];
	struct scm_arg arg;
	struct report r;
	struct child c;
	unsigned int i;
	int sv[2], fds[2];

	if (!cdev_noiommu_expected())
		SKIP(return, "no no-IOMMU cdev in this kernel/boot");
	ASSERT_TRUE(lab_find_pci(EDU_VENDOR, EDU_DEVICE, 0, bdf));
	ASSERT_EQ(0, cdev_path(bdf, path, sizeof(path)));
	UNIX_SOCKETS_OR_SKIP(sv);
	close(sv[0]);
	close(sv[1]);
	for (i = 0; i < 2; i++) {
		fds[0] = open("/dev/iommu", O_RDWR);
		fds[1] = open(path, O_RDWR);
		ASSERT_LE(0, fds[0]);
		ASSERT_LE(0, fds[1]);
		ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
		arg.sock = sv[1];
		ASSERT_EQ(0, start_child(flavours[i], child_bind_received, &arg,
					 &c));
		close(sv[1]);
		ASSERT_EQ(0, send_fds(sv[0], fds, 2));
		ASSERT_EQ(0, finish_child(&c, &r));
		close(sv[0]);
		assert_unprivileged(_metadata, flavours[i], &r.creds);
		ASSERT_EQ(2, r.recv.ret);
		ASSERT_EQ(0, r.probe.bind.ret);
		/* The fd is bound now, for everyone sharing it */
		ASSERT_EQ(-1, lab_bind_iommufd(fds[1], fds[0], NULL));
		ASSERT_EQ(EINVAL, errno);
		close(fds[1]);
		close(fds[0]);
	}
}

static void child_probe_inherited(void *arg, struct report *r)
{
	probe_handed_fds(arg, &r->probe);
}

/* fork(), then give privilege up in the child that inherited the fds */
TEST_F(cdev, inherited_fds_give_no_pa)
{
	struct handed h = handed_of(self);
	struct report r;

	ASSERT_EQ(0, run_child(variant->flavour, child_probe_inherited, &h,
			       &r));
	assert_unprivileged(_metadata, variant->flavour, &r.creds);
	assert_no_pa(_metadata, &r.probe);
	assert_ordinary_ops(_metadata, &r.probe);
	assert_parent_still_gets_pa(_metadata, self);
}

/* ---- execve() of an unprivileged program with the fds inherited -------- */

static void child_exec_probe(void *arg, struct report *r)
{
	const struct handed *h = arg;
	char fd1[16], fd2[16], ioas[16], iova[32], rep[16];
	char *argv[] = { "privilege", PROBE_FLAG, fd1, fd2, ioas, iova, rep,
			 NULL };

	snprintf(fd1, sizeof(fd1), "%d", h->iommufd);
	snprintf(fd2, sizeof(fd2), "%d", h->devfd);
	snprintf(ioas, sizeof(ioas), "%u", h->ioas);
	snprintf(iova, sizeof(iova), "%llu", (unsigned long long)h->iova);
	snprintf(rep, sizeof(rep), "%d", child_report_fd);
	fcntl(h->iommufd, F_SETFD, 0);
	fcntl(h->devfd, F_SETFD, 0);
	RECORD(r->exec, execv("/proc/self/exe", argv));
}

/*
 * The probe program: /proc/self/exe run with PROBE_FLAG by an unprivileged
 * child. It runs before the test harness's main() and never returns.
 */
__attribute__((constructor)) static void probe_main(int argc, char **argv)
{
	struct handed h;
	struct report r;
	int report_fd;

	if (argc != 7 || strcmp(argv[1], PROBE_FLAG))
		return;
	memset(&r, 0, sizeof(r));
	h.iommufd = atoi(argv[2]);
	h.devfd = atoi(argv[3]);
	h.ioas = strtoul(argv[4], NULL, 0);
	h.iova = strtoull(argv[5], NULL, 0);
	report_fd = atoi(argv[6]);
	/* Only a child that dropped its privilege execs us. */
	r.creds.became = true;
	r.creds.exec_ran = true;
	look_at_creds(&r.creds);
	probe_handed_fds(&h, &r.probe);
	_exit(write(report_fd, &r, sizeof(r)) == sizeof(r) ? 0 : 1);
}

TEST_F(cdev, execve_with_inherited_fds_gives_no_pa)
{
	struct handed h = handed_of(self);
	struct report r;

	ASSERT_EQ(0, run_child(variant->flavour, child_exec_probe, &h, &r));
	ASSERT_TRUE(r.creds.exec_ran)
		TH_LOG("execve: %s", strerror(r.exec.err));
	/* The credentials are the exec'd program's: nothing came back. */
	assert_unprivileged(_metadata, variant->flavour, &r.creds);
	assert_no_pa(_metadata, &r.probe);
	assert_ordinary_ops(_metadata, &r.probe);
	assert_parent_still_gets_pa(_metadata, self);
}

/* ---- reopening through /proc ------------------------------------------- */

/* A process holding the handed fds under the same numbers */
struct target_arg {
	pid_t pid;
	const struct handed *h;
};

static int reopen(pid_t pid, int fd)
{
	char path[64];

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fd);
	else
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return open(path, O_RDWR);
}

/* A reopened /dev/iommu is a new, empty iommufd: the handed IOAS is not
 * in it, and GET_PA is refused anyway. */
static void probe_new_context(int fd, uint32_t ioas, struct report *r)
{
	RECORD(r->new_ctx_ranges, iova_ranges(fd, ioas));
	RECORD(r->new_ctx_get_pa, lab_get_pa(fd, ioas, MAP_IOVA, NULL, NULL));
}

static void child_reopen(void *arg, struct report *r)
{
	const struct target_arg *a = arg;
	const struct handed *h = a->h;

	RECORD(r->self_dev, reopen(0, h->devfd));
	RECORD(r->self_iommufd, reopen(0, h->iommufd));
	RECORD(r->parent_dev, reopen(a->pid, h->devfd));
	RECORD(r->parent_iommufd, reopen(a->pid, h->iommufd));
	if (r->self_iommufd.ret >= 0)
		probe_new_context(r->self_iommufd.ret, h->ioas, r);
	else if (r->parent_iommufd.ret >= 0)
		probe_new_context(r->parent_iommufd.ret, h->ioas, r);
}

TEST_F(cdev, reopen_through_proc_gives_no_pa)
{
	struct handed h = handed_of(self);
	struct target_arg arg = { .pid = getpid(), .h = &h };
	bool nobody = variant->flavour == AS_NOBODY;
	struct report r;
	int fd;

	ASSERT_EQ(0, run_child(variant->flavour, child_reopen, &arg, &r));
	assert_unprivileged(_metadata, variant->flavour, &r.creds);
	/* The magic link leads to the device node, whose open is checked
	 * as any open: the file mode stops nobody, the capability root. */
	ASSERT_EQ(-1, r.self_dev.ret);
	ASSERT_EQ(nobody ? EACCES : EPERM, r.self_dev.err);
	/* Another process's fds: nobody may not even look (proc_fd
	 * permission); root may, and meets the same open check. */
	ASSERT_EQ(-1, r.parent_dev.ret);
	ASSERT_EQ(nobody ? EACCES : EPERM, r.parent_dev.err);
	if (nobody) {
		ASSERT_EQ(EACCES, r.self_iommufd.err);
		ASSERT_EQ(EACCES, r.parent_iommufd.err);
	} else {
		ASSERT_LE(0, r.self_iommufd.ret);
		ASSERT_LE(0, r.parent_iommufd.ret);
		ASSERT_EQ(-1, r.new_ctx_ranges.ret);
		ASSERT_EQ(ENOENT, r.new_ctx_ranges.err);
		ASSERT_EQ(-1, r.new_ctx_get_pa.ret);
		ASSERT_EQ(EPERM, r.new_ctx_get_pa.err);
	}
	/* Even with the capability, a reopened iommufd is a new context. */
	fd = reopen(0, self->iommufd);
	ASSERT_LE(0, fd);
	ASSERT_EQ(-1, lab_get_pa(fd, self->ioas, MAP_IOVA, NULL, NULL));
	ASSERT_EQ(ENOENT, errno);
	close(fd);
	assert_parent_still_gets_pa(_metadata, self);
}

/* ---- pidfd_getfd() ----------------------------------------------------- */

static void child_steal_fds(void *arg, struct report *r)
{
	const struct target_arg *a = arg;
	struct handed h = *a->h;
	int pidfd;

	close_fds_except(-1);
	RECORD(r->pidfd_open, syscall(SYS_pidfd_open, a->pid, 0));
	pidfd = r->pidfd_open.ret;
	if (pidfd < 0)
		return;
	RECORD(r->getfd_iommufd, syscall(SYS_pidfd_getfd, pidfd, h.iommufd, 0));
	RECORD(r->getfd_dev, syscall(SYS_pidfd_getfd, pidfd, h.devfd, 0));
	if (r->getfd_iommufd.ret < 0 || r->getfd_dev.ret < 0)
		return;
	h.iommufd = r->getfd_iommufd.ret;
	h.devfd = r->getfd_dev.ret;
	probe_handed_fds(&h, &r->probe);
}

/*
 * pidfd_getfd() needs PTRACE_MODE_ATTACH_REALCREDS over the target: nobody
 * has no such right over root. Root without RAWIO keeps CAP_SYS_PTRACE and
 * does get the fds; then GET_PA still checks the caller.
 */
TEST_F(cdev, pidfd_getfd_gives_no_pa)
{
	struct handed h = handed_of(self);
	struct target_arg arg = { .pid = getpid(), .h = &h };
	struct report r;

	ASSERT_EQ(0, run_child(variant->flavour, child_steal_fds, &arg, &r));
	assert_unprivileged(_metadata, variant->flavour, &r.creds);
	ASSERT_LE(0, r.pidfd_open.ret) TH_LOG("pidfd_open: %s",
					      strerror(r.pidfd_open.err));
	if (variant->flavour == AS_NOBODY) {
		ASSERT_EQ(-1, r.getfd_iommufd.ret);
		ASSERT_EQ(EPERM, r.getfd_iommufd.err);
		ASSERT_EQ(-1, r.getfd_dev.ret);
		ASSERT_EQ(EPERM, r.getfd_dev.err);
		ASSERT_FALSE(r.probe.ran);
	} else {
		ASSERT_LE(0, r.getfd_iommufd.ret);
		ASSERT_LE(0, r.getfd_dev.ret);
		assert_no_pa(_metadata, &r.probe);
		assert_ordinary_ops(_metadata, &r.probe);
	}
	assert_parent_still_gets_pa(_metadata, self);
}

struct holder_arg {
	int go;		/* read end: the holder waits until it is closed */
	int ready;	/* write end: a byte once the holder is unprivileged */
	const struct handed *h;
};

/* Keeps only the handed fds and waits: an unprivileged process holding
 * what a privileged one opened. */
static void child_hold_fds(void *arg, struct report *r)
{
	const struct holder_arg *a = arg;
	char c;
	int fd;

	for (fd = 3; fd < 1024; fd++)
		if (fd != a->go && fd != a->ready && fd != a->h->iommufd &&
		    fd != a->h->devfd && fd != child_report_fd)
			close(fd);
	c = 1;
	if (write(a->ready, &c, 1) != 1)
		return;
	close(a->ready);
	while (read(a->go, &c, 1) > 0)
		;
}

/*
 * fds handed at run time to a process that never had any privilege, the
 * SCM_RIGHTS situation, through the one channel the lab's kernels (no
 * NET) have: the test process's child inherits the fds and drops its
 * privilege, and a second unprivileged process, started empty-handed,
 * pulls them from it with pidfd_getfd() (same user, so allowed).
 */
TEST_F(cdev, fds_pulled_from_unprivileged_peer_give_no_pa)
{
	struct handed h = handed_of(self);
	struct holder_arg hold = { .h = &h };
	struct target_arg pull = { .h = &h };
	struct report holder_r, r;
	struct child holder;
	int go[2], ready[2], rc;
	char c;

	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(ready));
	hold.go = go[0];
	hold.ready = ready[1];
	ASSERT_EQ(0, start_child(variant->flavour, child_hold_fds, &hold,
				 &holder));
	close(go[0]);
	close(ready[1]);
	/* pidfd_getfd() needs the holder to have dropped privilege first
	 * (EOF instead of the byte: it failed to, which the report shows) */
	if (read(ready[0], &c, 1) < 0)
		TH_LOG("waiting for the holder: %s", strerror(errno));
	close(ready[0]);
	pull.pid = holder.pid;
	rc = run_child(variant->flavour, child_steal_fds, &pull, &r);
	close(go[1]);
	ASSERT_EQ(0, finish_child(&holder, &holder_r));
	ASSERT_EQ(0, rc);
	assert_unprivileged(_metadata, variant->flavour, &holder_r.creds);
	assert_unprivileged(_metadata, variant->flavour, &r.creds);
	ASSERT_LE(0, r.getfd_iommufd.ret) TH_LOG("pidfd_getfd: %s",
						 strerror(r.getfd_iommufd.err));
	ASSERT_LE(0, r.getfd_dev.ret);
	assert_no_pa(_metadata, &r.probe);
	assert_ordinary_ops(_metadata, &r.probe);
	assert_parent_still_gets_pa(_metadata, self);
}

/* ---- user namespaces --------------------------------------------------- */

struct userns_arg {
	const struct handed *h;
	const char *path;
	enum flavour flavour;
};

static int map_root_in_userns(uid_t outside)
{
	char map[32];

	snprintf(map, sizeof(map), "0 %u 1", outside);
	if (lab_write_file("/proc/self/setgroups", "deny") ||
	    lab_write_file("/proc/self/uid_map", map) ||
	    lab_write_file("/proc/self/gid_map", map))
		return -1;
	return 0;
}

static void child_in_userns(void *arg, struct report *r)
{
	const struct userns_arg *a = arg;
	struct __user_cap_data_struct data[2] = {};
	uid_t outside = geteuid();

	RECORD(r->unshare, unshare(CLONE_NEWUSER));
	if (r->unshare.ret)
		return;
	RECORD(r->uid_map, map_root_in_userns(outside));
	if (cap_get(data) == 0)
		r->ns_eff = cap_set_of(data, true);
	RECORD(r->open_node, open(a->path, O_RDWR));
	if (r->open_node.ret >= 0)
		close(r->open_node.ret);
	probe_handed_fds(a->h, &r->probe);
}

/*
 * In a user namespace of its own the child is root with every capability,
 * CAP_SYS_RAWIO included, but only over that namespace: capable() asks
 * about the initial one. The node is made 0666 so that the open reaches
 * the capability check (the namespace's root does not own it).
 */
TEST_F(cdev, user_namespace_caps_do_not_count)
{
	struct handed h = handed_of(self);
	struct userns_arg arg = {
		.h = &h, .path = self->path, .flavour = variant->flavour,
	};
	struct report r;
	struct stat st;
	int rc;

	ASSERT_EQ(0, stat(self->path, &st));
	ASSERT_EQ(0, chmod(self->path, 0666));
	rc = run_child(variant->flavour, child_in_userns, &arg, &r);
	ASSERT_EQ(0, chmod(self->path, st.st_mode & 07777));
	ASSERT_EQ(0, rc);
	assert_unprivileged(_metadata, variant->flavour, &r.creds);
	if (lab_kconfig("USER_NS") != 'y') {
		/* The trick does not exist here; make sure of it. Debian's
		 * unprivileged_userns_clone check refuses nobody first. */
		ASSERT_EQ(-1, r.unshare.ret);
		ASSERT_EQ(variant->flavour == AS_NOBODY ? EPERM : EINVAL,
			  r.unshare.err);
		SKIP(return, "kernel built without USER_NS");
	}
	ASSERT_EQ(0, r.unshare.ret) TH_LOG("unshare: %s",
					   strerror(r.unshare.err));
	ASSERT_EQ(0, r.uid_map.ret);
	ASSERT_NE(0, r.ns_eff & CAP_BIT(CAP_SYS_RAWIO));
	ASSERT_EQ(-1, r.open_node.ret);
	ASSERT_EQ(EPERM, r.open_node.err);
	assert_no_pa(_metadata, &r.probe);
	assert_parent_still_gets_pa(_metadata, self);
}

/* ---- io_uring ---------------------------------------------------------- */

/* io_uring's registered personalities would let a ring's holder act with
 * its creator's credentials; there is no io_uring in these kernels. */
TEST(io_uring_absent)
{
	char params[120] = {};

	if (lab_kconfig("IO_URING") == 'y')
		SKIP(return, "io_uring built in: not covered by this test");
	ASSERT_EQ(-1, syscall(SYS_io_uring_setup, 1, params));
	ASSERT_EQ(ENOSYS, errno);
	SKIP(return, "kernel built without IO_URING (io_uring_setup: ENOSYS)");
}

/* ---- the legacy group path --------------------------------------------- */

FIXTURE(legacy) {
	char bdf[16];
	char group_path[64];
	int container;
	int group;
	int device;
};

FIXTURE_VARIANT(legacy) {
	enum flavour flavour;
};

FIXTURE_VARIANT_ADD(legacy, nobody) {
	.flavour = AS_NOBODY,
};

FIXTURE_VARIANT_ADD(legacy, root_without_rawio) {
	.flavour = AS_ROOT_WITHOUT_RAWIO,
};

/* Container and group set up with the no-IOMMU driver; no device fd yet,
 * so that the child's GET_DEVICE_FD would be the device's first open. */
FIXTURE_SETUP(legacy)
{
	self->container = self->group = self->device = -1;
	if (!legacy_noiommu_expected())
		SKIP(return, "no no-IOMMU group in this kernel/boot");
	ASSERT_TRUE(lab_find_pci(EDU_VENDOR, EDU_DEVICE, 0, self->bdf));
	snprintf(self->group_path, sizeof(self->group_path),
		 "/dev/vfio/noiommu-%d", lab_iommu_group(self->bdf));
	self->container = open("/dev/vfio/vfio", O_RDWR);
	ASSERT_LE(0, self->container);
	self->group = open(self->group_path, O_RDWR);
	ASSERT_LE(0, self->group) TH_LOG("open %s: %s", self->group_path,
					 strerror(errno));
	ASSERT_EQ(0, ioctl(self->group, VFIO_GROUP_SET_CONTAINER,
			   &self->container));
	ASSERT_EQ(0, ioctl(self->container, VFIO_SET_IOMMU,
			   VFIO_NOIOMMU_IOMMU));
}

FIXTURE_TEARDOWN(legacy)
{
	if (self->device >= 0)
		close(self->device);
	if (self->group >= 0)
		close(self->group);
	if (self->container >= 0)
		close(self->container);
}

/* The VFIO container has no GET_PA (ENOTTY); IOMMUFD's emulated container
 * is an iommufd, where the caller's capability is checked (EPERM). */
static int container_get_pa_errno(bool privileged)
{
	if (lab_kconfig("VFIO_CONTAINER") == 'y')
		return ENOTTY;
	return privileged ? ENOENT : EPERM;
}

TEST_F(legacy, open_group_node_needs_rawio)
{
	struct open_arg arg = { .path = self->group_path };
	struct report r1, r2;
	struct stat st;
	int rc1, rc2;

	/* The group node can be open only once: free it for the child. */
	close(self->group);
	self->group = -1;
	ASSERT_EQ(0, stat(self->group_path, &st));
	TH_LOG("%s: mode %04o uid %u gid %u", self->group_path,
	       st.st_mode & 07777, st.st_uid, st.st_gid);
	ASSERT_EQ(0, st.st_uid);
	ASSERT_EQ(0, st.st_mode & 077);

	rc1 = run_child(variant->flavour, child_open_node, &arg, &r1);
	ASSERT_EQ(0, chmod(self->group_path, 0666));
	rc2 = run_child(variant->flavour, child_open_again, &arg, &r2);
	ASSERT_EQ(0, chmod(self->group_path, st.st_mode & 07777));

	ASSERT_EQ(0, rc1);
	ASSERT_EQ(0, rc2);
	assert_unprivileged(_metadata, variant->flavour, &r1.creds);
	ASSERT_EQ(-1, r1.open_node.ret);
	ASSERT_EQ(variant->flavour == AS_NOBODY ? EACCES : EPERM,
		  r1.open_node.err);
	ASSERT_EQ(-1, r2.open_node_again.ret);
	ASSERT_EQ(EPERM, r2.open_node_again.err);
	/* The node was free: with the capability it opens. */
	self->group = open(self->group_path, O_RDWR);
	ASSERT_LE(0, self->group);
}

struct legacy_arg {
	int container;
	int group;
	int device;
	const char *bdf;
};

static void probe_legacy(const struct legacy_arg *a, struct report *r)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.iova = MAP_IOVA, .size = PAGE,
	};
	void *buf = page_of_memory();

	RECORD(r->get_device_fd,
	       ioctl(a->group, VFIO_GROUP_GET_DEVICE_FD, a->bdf));
	if (r->get_device_fd.ret >= 0)
		close(r->get_device_fd.ret);
	map.vaddr = (uintptr_t)buf;
	RECORD(r->map_dma, ioctl(a->container, VFIO_IOMMU_MAP_DMA, &map));
	RECORD(r->container_get_pa,
	       lab_get_pa(a->container, 0, MAP_IOVA, NULL, NULL));
	if (a->device >= 0) {
		RECORD(r->legacy_info, device_info(a->device));
		RECORD(r->reopen_legacy_dev, reopen(0, a->device));
	}
	RECORD(r->reopen_group, reopen(0, a->group));
}

static void child_probe_legacy(void *arg, struct report *r)
{
	probe_legacy(arg, r);
}

/*
 * Container and group fds inherited by an unprivileged child: it cannot
 * get the device (vfio_group_use_container() on the VFIO container,
 * vfio_df_group_open() on IOMMUFD's), and the container has no PA.
 */
TEST_F(legacy, inherited_group_and_container_give_no_device)
{
	struct legacy_arg arg = {
		.container = self->container, .group = self->group,
		.device = -1, .bdf = self->bdf,
	};
	bool nobody = variant->flavour == AS_NOBODY;
	struct report r;

	ASSERT_EQ(0, run_child(variant->flavour, child_probe_legacy, &arg, &r));
	assert_unprivileged(_metadata, variant->flavour, &r.creds);
	ASSERT_EQ(-1, r.get_device_fd.ret);
	ASSERT_EQ(EPERM, r.get_device_fd.err);
	/* No DMA mapping through a no-IOMMU container, for anyone (see
	 * legacy_noiommu's container_dma_map_refused). */
	ASSERT_EQ(-1, r.map_dma.ret);
	ASSERT_EQ(-1, r.container_get_pa.ret);
	ASSERT_EQ(container_get_pa_errno(false), r.container_get_pa.err);
	/* The group node is busy; the file mode stops nobody first, the
	 * capability check root. */
	ASSERT_EQ(-1, r.reopen_group.ret);
	ASSERT_EQ(nobody ? EACCES : EPERM, r.reopen_group.err);

	/* With the capability, the same group gives the device. */
	self->device = ioctl(self->group, VFIO_GROUP_GET_DEVICE_FD, self->bdf);
	ASSERT_LE(0, self->device) TH_LOG("GET_DEVICE_FD: %s", strerror(errno));
	ASSERT_EQ(-1, lab_get_pa(self->container, 0, MAP_IOVA, NULL, NULL));
	ASSERT_EQ(container_get_pa_errno(true), errno);
}

/*
 * A device fd the privileged process got, inherited with the group and
 * container by an unprivileged child: the device fd is the authority
 * (upstream VFIO's model), but there is no address interface to reach.
 * VFIO checks the capability only when the device is first opened, so
 * while the privileged process holds it open, the inherited group fd gives
 * the child a device fd of its own: the group fd is as much the authority
 * as the device fd.
 */
TEST_F(legacy, inherited_device_fd_gives_no_pa)
{
	struct legacy_arg arg = {
		.container = self->container, .group = self->group,
		.bdf = self->bdf,
	};
	bool nobody = variant->flavour == AS_NOBODY;
	struct report r;

	self->device = ioctl(self->group, VFIO_GROUP_GET_DEVICE_FD, self->bdf);
	ASSERT_LE(0, self->device);
	arg.device = self->device;
	ASSERT_EQ(0, run_child(variant->flavour, child_probe_legacy, &arg, &r));

	assert_unprivileged(_metadata, variant->flavour, &r.creds);
	ASSERT_EQ(0, r.legacy_info.ret);
	ASSERT_LE(0, r.get_device_fd.ret) TH_LOG("GET_DEVICE_FD: %s",
						 strerror(r.get_device_fd.err));
	ASSERT_EQ(-1, r.container_get_pa.ret);
	ASSERT_EQ(container_get_pa_errno(false), r.container_get_pa.err);
	/* The device fd is an anonymous inode: nothing to reopen. */
	ASSERT_EQ(-1, r.reopen_legacy_dev.ret);
	ASSERT_EQ(nobody ? EACCES : ENXIO, r.reopen_legacy_dev.err);
}

/* ---- /proc/PID/pagemap ------------------------------------------------- */

struct pagemap_arg {
	int inherited_fd;
	const void *parent_page;
};

static int read_entry(int fd, const void *addr, uint64_t *entry)
{
	off_t off = (uintptr_t)addr / PAGE * sizeof(*entry);

	return pread(fd, entry, sizeof(*entry), off) == sizeof(*entry) ? 0 : -1;
}

static void child_read_pagemap(void *arg, struct report *r)
{
	const struct pagemap_arg *a = arg;
	void *own = page_of_memory();
	int fd;

	RECORD(r->open_pagemap, open("/proc/self/pagemap", O_RDONLY));
	fd = r->open_pagemap.ret;
	if (fd >= 0 && own) {
		memset(own, 1, PAGE);
		read_entry(fd, own, &r->own_entry);
		close(fd);
	}
	RECORD(r->read_inherited, read_entry(a->inherited_fd, a->parent_page,
					     &r->inherited_entry));
}

/*
 * The legacy path's only source of physical addresses is pagemap, which
 * shows page frame numbers to CAP_SYS_ADMIN only. The check is made with
 * the credentials of whoever opened the file (pagemap_read():
 * file_ns_capable(file, ...)), so a pagemap fd a privileged process opens
 * and hands over does show its frames: handing it over is the leak. GET_PA,
 * by contrast, checks the caller at every call.
 */
TEST(pagemap_hides_frames_from_nobody)
{
	struct pagemap_arg arg;
	uint64_t entry = 0;
	struct report r;
	void *page;
	int fd;

	if (lab_kconfig("PROC_PAGE_MONITOR") != 'y')
		SKIP(return, "kernel built without PROC_PAGE_MONITOR");
	page = page_of_memory();
	ASSERT_NE(NULL, page);
	ASSERT_EQ(0, mlock(page, PAGE));
	fd = open("/proc/self/pagemap", O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, read_entry(fd, page, &entry));
	ASSERT_TRUE(entry & PAGEMAP_PRESENT);
	ASSERT_NE(0, entry & PAGEMAP_PFN);
	arg.inherited_fd = fd;
	arg.parent_page = page;

	ASSERT_EQ(0, run_child(AS_NOBODY, child_read_pagemap, &arg, &r));
	assert_unprivileged(_metadata, AS_NOBODY, &r.creds);
	ASSERT_LE(0, r.open_pagemap.ret) TH_LOG("open: %s",
						strerror(r.open_pagemap.err));
	/* Present, but no frame number. */
	ASSERT_TRUE(r.own_entry & PAGEMAP_PRESENT);
	ASSERT_EQ(0, r.own_entry & PAGEMAP_PFN);
	/* The opener's credentials count: upstream semantics. */
	ASSERT_EQ(0, r.read_inherited.ret);
	ASSERT_EQ(entry & PAGEMAP_PFN, r.inherited_entry & PAGEMAP_PFN);
	close(fd);
	munmap(page, PAGE);
}

/* ---- mode off ---------------------------------------------------------- */

static void child_write_param(void *arg, struct report *r)
{
	RECORD(r->write_param, lab_write_file(NOIOMMU_PARAM, "1"));
}

static void assert_not_exposed(struct __test_metadata *_metadata,
			       const char *bdf)
{
	char driver[64], name[64];

	/* Ask vfio-pci once more: it refuses a device without an IOMMU. */
	ASSERT_EQ(0, lab_bind_vfio_pci(bdf));
	lab_pci_driver(bdf, driver, sizeof(driver));
	ASSERT_STRNE("vfio-pci", driver);
	ASSERT_EQ(-1, lab_iommu_group(bdf));
	ASSERT_FALSE(lab_vfio_cdev_name(bdf, name, sizeof(name)))
		TH_LOG("%s has VFIO device %s", bdf, name);
}

/*
 * vfio.enable_unsafe_noiommu_mode=0: nothing is exposed, not even on a
 * fresh probe by root, and only root could turn the mode on.
 */
TEST(mode_off_root_cannot_expose_either)
{
	char bdf[16], value[8] = "";
	struct report r;
	struct stat st;
	int fd;

	if (lab_noiommu_requested())
		SKIP(return, "no-IOMMU mode is on in this boot");
	ASSERT_TRUE(lab_find_pci(EDU_VENDOR, EDU_DEVICE, 0, bdf));
	assert_not_exposed(_metadata, bdf);
	ASSERT_TRUE(lab_find_pci(QEMU_NVME_VENDOR, QEMU_NVME_DEVICE, 0, bdf));
	assert_not_exposed(_metadata, bdf);
	ASSERT_EQ(0, lab_count_prefix("/dev/vfio", "noiommu-"));
	ASSERT_EQ(0, lab_count_prefix("/dev/vfio/devices", "noiommu-"));
	ASSERT_EQ(0, lab_count_prefix("/dev/vfio/devices", "vfio"));

	if (lab_kconfig("VFIO_NOIOMMU") != 'y')
		return;
	ASSERT_EQ(0, stat(NOIOMMU_PARAM, &st));
	ASSERT_EQ(0, st.st_mode & 022);
	fd = open(NOIOMMU_PARAM, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_LT(0, read(fd, value, sizeof(value) - 1));
	close(fd);
	ASSERT_EQ('N', value[0]);
	ASSERT_EQ(0, run_child(AS_NOBODY, child_write_param, NULL, &r));
	assert_unprivileged(_metadata, AS_NOBODY, &r.creds);
	ASSERT_EQ(-1, r.write_param.ret);
	ASSERT_EQ(EACCES, r.write_param.err);
	if (lab_kconfig("VFIO_CONTAINER") == 'y') {
		fd = open("/dev/vfio/vfio", O_RDWR);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, ioctl(fd, VFIO_CHECK_EXTENSION,
				   VFIO_NOIOMMU_IOMMU));
		close(fd);
	}
}

TEST_HARNESS_MAIN

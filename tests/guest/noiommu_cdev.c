// SPDX-License-Identifier: GPL-2.0
/*
 * The no-IOMMU VFIO device cdev (/dev/vfio/devices/noiommu-vfioX): which
 * nodes exist for which kernel configuration, who may open it, binding to
 * a real iommufd, the VFIO device UAPI on the bound fd (registers, config
 * space, reset, INTx/MSI on edu and MSI-X on NVMe through eventfds), bad
 * input, and the release paths.
 *
 * Expectations come from the running kernel's config (/proc/config.gz) and
 * command line, so the same binary runs on every Kconfig case.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/iommufd.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include "kselftest_harness.h"
#include "lab_guest.h"


static bool cdev_noiommu_expected(void)
{
	return lab_noiommu_requested() && lab_kconfig("VFIO_NOIOMMU") == 'y' &&
	       lab_kconfig("VFIO_DEVICE_CDEV") == 'y';
}

static int get_info(int device_fd)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };

	return ioctl(device_fd, VFIO_DEVICE_GET_INFO, &info);
}

static int set_irq_eventfds(int device_fd, unsigned int index, int *fds,
			    unsigned int count)
{
	size_t sz = sizeof(struct vfio_irq_set) + count * sizeof(int);
	struct vfio_irq_set *set = calloc(1, sz);
	int ret;

	set->argsz = sz;
	set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	set->index = index;
	set->count = count;
	memcpy(set->data, fds, count * sizeof(int));
	ret = ioctl(device_fd, VFIO_DEVICE_SET_IRQS, set);
	free(set);
	return ret;
}

static int disable_irqs(int device_fd, unsigned int index)
{
	struct vfio_irq_set set = {
		.argsz = sizeof(set),
		.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
		.index = index,
	};

	return ioctl(device_fd, VFIO_DEVICE_SET_IRQS, &set);
}

/* ---- which nodes exist ---------------------------------------------- */

/* sysfs names the VFIO device noiommu-vfioX when no-IOMMU mode exposes it
 * through the cdev (VFIO_DEVICE_CDEV, which selects IOMMUFD_NOIOMMU), and
 * vfioX, as 6.12 does, when only the group exposes it. */
TEST(cdev_node_matches_config)
{
	bool exposed = lab_noiommu_requested() &&
		       lab_kconfig("VFIO_NOIOMMU") == 'y';
	char bdf[16], name[64], path[96];

	ASSERT_TRUE(lab_find_pci(EDU_VENDOR, EDU_DEVICE, 0, bdf));
	if (!exposed) {
		ASSERT_FALSE(lab_vfio_cdev_name(bdf, name, sizeof(name)))
			TH_LOG("unexpected VFIO device %s", name);
		ASSERT_EQ(0, lab_count_prefix("/dev/vfio/devices", "noiommu-"));
		return;
	}
	ASSERT_TRUE(lab_vfio_cdev_name(bdf, name, sizeof(name)));
	snprintf(path, sizeof(path), "/dev/vfio/devices/%s", name);
	if (lab_kconfig("VFIO_DEVICE_CDEV") == 'y') {
		ASSERT_EQ('y', lab_kconfig("IOMMUFD_NOIOMMU"));
		ASSERT_EQ(0, strncmp(name, "noiommu-vfio", 12))
			TH_LOG("name %s", name);
		ASSERT_EQ(0, access(path, F_OK)) TH_LOG("%s missing", path);
	} else {
		ASSERT_EQ(0, strncmp(name, "vfio", 4)) TH_LOG("name %s", name);
		ASSERT_EQ(0, lab_count_prefix("/dev/vfio/devices", "noiommu-"));
	}
}

TEST(group_node_matches_config)
{
	bool groups = lab_noiommu_requested() &&
		      lab_kconfig("VFIO_NOIOMMU") == 'y' &&
		      lab_kconfig("VFIO_GROUP") == 'y';
	char bdf[16], path[64];

	ASSERT_TRUE(lab_find_pci(EDU_VENDOR, EDU_DEVICE, 0, bdf));
	if (!groups) {
		ASSERT_EQ(0, lab_count_prefix("/dev/vfio", "noiommu-"));
		return;
	}
	snprintf(path, sizeof(path), "/dev/vfio/noiommu-%d", lab_iommu_group(bdf));
	ASSERT_EQ(0, access(path, F_OK)) TH_LOG("%s missing", path);
}

/* ---- privilege -------------------------------------------------------- */

static int child_status(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/*
 * GET_PA exists exactly when the kernel has no-IOMMU cdev support
 * (CONFIG_IOMMUFD_NOIOMMU): elsewhere, an iommufd does not know the ioctl.
 */
TEST(get_pa_exists_with_iommufd_noiommu)
{
	struct iommu_ioas_noiommu_get_pa cmd = {
		.size = sizeof(cmd), .length = UINT64_MAX,
	};
	int fd, rc;

	if (!lab_kconfig_enabled("IOMMUFD"))
		SKIP(return, "kernel built without IOMMUFD");
	fd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, fd);
	/* IOAS 0 never exists: a kernel with the ioctl says ENOENT */
	rc = ioctl(fd, IOMMU_IOAS_NOIOMMU_GET_PA, &cmd);
	ASSERT_EQ(-1, rc);
	ASSERT_EQ(lab_kconfig("IOMMUFD_NOIOMMU") == 'y' ? ENOENT : ENOTTY,
		  errno);
	close(fd);
}

TEST(open_needs_cap_sys_rawio)
{
	char bdf[16];
	pid_t pid;

	if (!cdev_noiommu_expected())
		SKIP(return, "no no-IOMMU cdev in this kernel/boot");
	ASSERT_TRUE(lab_find_pci(EDU_VENDOR, EDU_DEVICE, 0, bdf));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (lab_drop_capability(CAP_SYS_RAWIO))
			_exit(10);
		if (lab_open_noiommu_cdev(bdf) >= 0)
			_exit(11);
		_exit(errno == EPERM ? 0 : 12);
	}
	ASSERT_EQ(0, child_status(pid));
}

/*
 * As in mainline, only opening needs the capability: an fd opened with it
 * and handed to a process without it binds there, and that process can use
 * the device, but GET_PA still answers only to a caller with the capability.
 */
TEST(bind_does_not_need_cap_sys_rawio)
{
	int fd, iommufd;
	uint32_t ioas;
	char bdf[16];
	void *page;
	pid_t pid;

	if (!cdev_noiommu_expected())
		SKIP(return, "no no-IOMMU cdev in this kernel/boot");
	ASSERT_TRUE(lab_find_pci(EDU_VENDOR, EDU_DEVICE, 0, bdf));
	fd = lab_open_noiommu_cdev(bdf);
	ASSERT_LE(0, fd);
	iommufd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, iommufd);
	ASSERT_EQ(0, lab_ioas_alloc(iommufd, &ioas));
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, page);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (lab_drop_capability(CAP_SYS_RAWIO))
			_exit(10);
		if (lab_bind_iommufd(fd, iommufd, NULL) ||
		    lab_attach_pt(fd, ioas, NULL) ||
		    lab_map_fixed(iommufd, ioas, page, 4096, 0x100000))
			_exit(11);
		if (!lab_get_pa(iommufd, ioas, 0x100000, NULL, NULL) ||
		    errno != EPERM)
			_exit(12);
		_exit(0);
	}
	ASSERT_EQ(0, child_status(pid));
	/* The parent, with the capability, gets the address */
	ASSERT_EQ(0, lab_get_pa(iommufd, ioas, 0x100000, NULL, NULL));
	close(fd);
	close(iommufd);
	munmap(page, 4096);
}

/*
 * The kernel taints itself when it registers the cdev, with mainline's
 * message; opening the cdev logs nothing more (the group keeps its own
 * per-open warning).
 */
TEST(registration_taints_open_is_quiet)
{
	char bdf[16], msg[128];
	int fd;

	if (!cdev_noiommu_expected())
		SKIP(return, "no no-IOMMU cdev in this kernel/boot");
	ASSERT_TRUE(lab_find_pci(EDU_VENDOR, EDU_DEVICE, 0, bdf));
	snprintf(msg, sizeof(msg), "vfio-pci %s: Adding kernel taint for vfio-noiommu cdev",
		 bdf);
	EXPECT_TRUE(lab_kmsg_contains(msg)) TH_LOG("no '%s' in the log", msg);
	EXPECT_TRUE(lab_taint() & (1UL << TAINT_USER_BIT));
	fd = lab_open_noiommu_cdev(bdf);
	ASSERT_LE(0, fd);
	snprintf(msg, sizeof(msg), "opened by user (%s:%d)",
		 program_invocation_short_name, getpid());
	EXPECT_FALSE(lab_kmsg_contains(msg)) TH_LOG("'%s' in the log", msg);
	close(fd);
}

/* ---- an open, unbound cdev: only BIND works ------------------------- */

FIXTURE(unbound) {
	char bdf[16];
	int fd;
	int iommufd;
};

FIXTURE_SETUP(unbound)
{
	self->fd = self->iommufd = -1;
	if (!cdev_noiommu_expected())
		SKIP(return, "no no-IOMMU cdev in this kernel/boot");
	ASSERT_TRUE(lab_find_pci(EDU_VENDOR, EDU_DEVICE, 0, self->bdf));
	self->fd = lab_open_noiommu_cdev(self->bdf);
	ASSERT_LE(0, self->fd) TH_LOG("open: %s", strerror(errno));
	self->iommufd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, self->iommufd);
}

FIXTURE_TEARDOWN(unbound)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->iommufd >= 0)
		close(self->iommufd);
}

TEST_F(unbound, ioctls_before_bind_fail)
{
	struct vfio_region_info reg = { .argsz = sizeof(reg) };
	char byte;

	ASSERT_EQ(-1, get_info(self->fd));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, ioctl(self->fd, VFIO_DEVICE_GET_REGION_INFO, &reg));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, pread(self->fd, &byte, 1, 0));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(MAP_FAILED, mmap(NULL, 4096, PROT_READ, MAP_SHARED, self->fd, 0));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, ioctl(self->fd, VFIO_DEVICE_RESET));
	ASSERT_EQ(EINVAL, errno);
	/* ... and the device still binds afterwards. */
	ASSERT_EQ(0, lab_bind_iommufd(self->fd, self->iommufd, NULL));
	ASSERT_EQ(0, get_info(self->fd));
}

TEST_F(unbound, bind_rejects_bad_input)
{
	struct vfio_device_bind_iommufd bind = {
		.argsz = sizeof(bind),
		.iommufd = self->iommufd,
	};
	int closed_fd, not_iommufd;

	closed_fd = dup(self->iommufd);
	ASSERT_LE(0, closed_fd);
	close(closed_fd);
	ASSERT_EQ(-1, lab_bind_iommufd(self->fd, closed_fd, NULL));
	ASSERT_EQ(EBADF, errno);

	not_iommufd = open("/dev/null", O_RDWR);
	ASSERT_LE(0, not_iommufd);
	ASSERT_EQ(-1, lab_bind_iommufd(self->fd, not_iommufd, NULL));
	ASSERT_EQ(EBADFD, errno);
	close(not_iommufd);

	/* The 6.6-era "iommufd = -1 means no-IOMMU" convention is not used. */
	ASSERT_EQ(-1, lab_bind_iommufd(self->fd, -1, NULL));
	ASSERT_EQ(EINVAL, errno);

	bind.flags = 1;
	ASSERT_EQ(-1, ioctl(self->fd, VFIO_DEVICE_BIND_IOMMUFD, &bind));
	ASSERT_EQ(EINVAL, errno);
	bind.flags = 0;
	bind.argsz = 8;
	ASSERT_EQ(-1, ioctl(self->fd, VFIO_DEVICE_BIND_IOMMUFD, &bind));
	ASSERT_EQ(EINVAL, errno);

	/* None of that left anything behind: a good bind works, once. */
	ASSERT_EQ(-1, get_info(self->fd));
	ASSERT_EQ(0, lab_bind_iommufd(self->fd, self->iommufd, NULL));
	ASSERT_EQ(-1, lab_bind_iommufd(self->fd, self->iommufd, NULL));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(0, get_info(self->fd));
}

/* The cdev path only allows one open of the device at a time. */
TEST_F(unbound, second_open_cannot_bind)
{
	int fd2 = lab_open_noiommu_cdev(self->bdf);

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, lab_bind_iommufd(self->fd, self->iommufd, NULL));
	ASSERT_EQ(-1, lab_bind_iommufd(fd2, self->iommufd, NULL));
	ASSERT_EQ(EINVAL, errno);
	close(fd2);
	ASSERT_EQ(0, get_info(self->fd));
}

/* While the cdev is bound, the group path cannot take the device. */
TEST_F(unbound, bound_cdev_blocks_group)
{
	char path[64];
	int group;

	if (lab_kconfig("VFIO_GROUP") != 'y')
		SKIP(return, "kernel built without VFIO_GROUP");
	ASSERT_EQ(0, lab_bind_iommufd(self->fd, self->iommufd, NULL));
	snprintf(path, sizeof(path), "/dev/vfio/noiommu-%d",
		 lab_iommu_group(self->bdf));
	group = open(path, O_RDWR);
	ASSERT_EQ(-1, group);
	ASSERT_EQ(EBUSY, errno);
}

/* Release paths: close the iommufd first, then the device; the device
 * works in between and binds again afterwards. */
TEST_F(unbound, close_iommufd_before_device)
{
	int fd2, iommufd2;

	ASSERT_EQ(0, lab_bind_iommufd(self->fd, self->iommufd, NULL));
	close(self->iommufd);
	self->iommufd = -1;
	ASSERT_EQ(0, get_info(self->fd));
	close(self->fd);
	self->fd = -1;

	fd2 = lab_open_noiommu_cdev(self->bdf);
	ASSERT_LE(0, fd2);
	iommufd2 = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, iommufd2);
	ASSERT_EQ(0, lab_bind_iommufd(fd2, iommufd2, NULL));
	close(fd2);
	close(iommufd2);
}

/* ---- the bound cdev: the VFIO device UAPI ----------------------------- */

FIXTURE(bound) {
	char bdf[16];
	int fd;
	int iommufd;
	volatile void *bar;
	size_t bar_size;
};

FIXTURE_SETUP(bound)
{
	self->fd = self->iommufd = -1;
	self->bar = NULL;
	if (!cdev_noiommu_expected())
		SKIP(return, "no no-IOMMU cdev in this kernel/boot");
	ASSERT_TRUE(lab_find_pci(EDU_VENDOR, EDU_DEVICE, 0, self->bdf));
	self->fd = lab_open_noiommu_cdev(self->bdf);
	ASSERT_LE(0, self->fd);
	self->iommufd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, self->iommufd);
	ASSERT_EQ(0, lab_bind_iommufd(self->fd, self->iommufd, NULL))
		TH_LOG("bind: %s", strerror(errno));
	self->bar = lab_map_bar(self->fd, 0, &self->bar_size);
	ASSERT_NE(NULL, self->bar);
}

FIXTURE_TEARDOWN(bound)
{
	if (self->bar)
		munmap((void *)self->bar, self->bar_size);
	if (self->fd >= 0)
		close(self->fd);
	if (self->iommufd >= 0)
		close(self->iommufd);
}

TEST_F(bound, device_info)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };

	ASSERT_EQ(0, ioctl(self->fd, VFIO_DEVICE_GET_INFO, &info));
	ASSERT_TRUE(info.flags & VFIO_DEVICE_FLAGS_PCI);
	ASSERT_TRUE(info.flags & VFIO_DEVICE_FLAGS_RESET);
	ASSERT_LE(VFIO_PCI_CONFIG_REGION_INDEX + 1, info.num_regions);
	ASSERT_LE(VFIO_PCI_MSIX_IRQ_INDEX + 1, info.num_irqs);
}

TEST_F(bound, bar0_registers)
{
	struct lab_region bar0;
	uint32_t id = 0;

	ASSERT_EQ(1 << 20, self->bar_size);
	ASSERT_EQ(EDU_ID_VALUE, edu_read32(self->bar, EDU_REG_ID));
	edu_write32(self->bar, EDU_REG_LIVENESS, 0x0badf00d);
	ASSERT_EQ(~0x0badf00du, edu_read32(self->bar, EDU_REG_LIVENESS));
	/* The same register through read() on the region. */
	ASSERT_EQ(0, lab_region(self->fd, VFIO_PCI_BAR0_REGION_INDEX, &bar0));
	ASSERT_EQ(sizeof(id), pread(self->fd, &id, sizeof(id), bar0.offset));
	ASSERT_EQ(EDU_ID_VALUE, id);
}

TEST_F(bound, config_space)
{
	uint16_t vendor = 0, device = 0, cmd = 0;

	ASSERT_EQ(0, lab_config_read(self->fd, PCI_VENDOR_ID, &vendor, 2));
	ASSERT_EQ(0, lab_config_read(self->fd, PCI_DEVICE_ID, &device, 2));
	ASSERT_EQ(EDU_VENDOR, vendor);
	ASSERT_EQ(EDU_DEVICE, device);
	ASSERT_EQ(0, lab_enable_bus_master(self->fd));
	ASSERT_EQ(0, lab_config_read(self->fd, PCI_COMMAND, &cmd, 2));
	ASSERT_TRUE(cmd & PCI_COMMAND_MASTER);
}

/* edu sits behind a root port, so VFIO can reset it with a bus reset. */
TEST_F(bound, reset)
{
	ASSERT_EQ(0, ioctl(self->fd, VFIO_DEVICE_RESET));
	/* The device and its BAR mapping are usable after the reset. */
	ASSERT_EQ(EDU_ID_VALUE, edu_read32(self->bar, EDU_REG_ID));
	edu_write32(self->bar, EDU_REG_LIVENESS, 0x600d);
	ASSERT_EQ(~0x600du, edu_read32(self->bar, EDU_REG_LIVENESS));
}

static void check_edu_interrupt(struct __test_metadata *_metadata,
				volatile void *bar, int efd)
{
	edu_write32(bar, EDU_REG_IRQ_RAISE, 0x10);
	ASSERT_LT(0, lab_wait_eventfd(efd, 5000));
	ASSERT_EQ(0x10, edu_read32(bar, EDU_REG_IRQ_STATUS));
	edu_write32(bar, EDU_REG_IRQ_ACK, 0x10);
	ASSERT_EQ(0, edu_read32(bar, EDU_REG_IRQ_STATUS));
}

TEST_F(bound, msi_eventfd)
{
	struct vfio_irq_info irq = {
		.argsz = sizeof(irq), .index = VFIO_PCI_MSI_IRQ_INDEX,
	};
	int efd = eventfd(0, EFD_CLOEXEC);

	ASSERT_LE(0, efd);
	ASSERT_EQ(0, ioctl(self->fd, VFIO_DEVICE_GET_IRQ_INFO, &irq));
	ASSERT_LE(1, irq.count);
	ASSERT_TRUE(irq.flags & VFIO_IRQ_INFO_EVENTFD);
	ASSERT_EQ(0, lab_enable_bus_master(self->fd));
	ASSERT_EQ(0, set_irq_eventfds(self->fd, VFIO_PCI_MSI_IRQ_INDEX, &efd, 1));
	check_edu_interrupt(_metadata, self->bar, efd);
	ASSERT_EQ(0, disable_irqs(self->fd, VFIO_PCI_MSI_IRQ_INDEX));
	close(efd);
}

TEST_F(bound, intx_eventfd)
{
	struct vfio_irq_set unmask = {
		.argsz = sizeof(unmask),
		.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK,
		.index = VFIO_PCI_INTX_IRQ_INDEX,
		.count = 1,
	};
	int efd = eventfd(0, EFD_CLOEXEC);

	ASSERT_LE(0, efd);
	ASSERT_EQ(0, set_irq_eventfds(self->fd, VFIO_PCI_INTX_IRQ_INDEX, &efd, 1));
	check_edu_interrupt(_metadata, self->bar, efd);
	/* INTx is masked after it fires: unmask and take a second one. */
	ASSERT_EQ(0, ioctl(self->fd, VFIO_DEVICE_SET_IRQS, &unmask));
	check_edu_interrupt(_metadata, self->bar, efd);
	ASSERT_EQ(0, disable_irqs(self->fd, VFIO_PCI_INTX_IRQ_INDEX));
	close(efd);
}

/* The bound device attaches to an IOAS and detaches again; the device
 * UAPI keeps working throughout (IOMMUFD details: iommufd_noiommu). */
TEST_F(bound, attach_and_detach_ioas)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct vfio_device_attach_iommufd_pt attach = {
		.argsz = sizeof(attach),
	};
	struct vfio_device_detach_iommufd_pt detach = { .argsz = sizeof(detach) };

	ASSERT_EQ(0, ioctl(self->iommufd, IOMMU_IOAS_ALLOC, &alloc));
	attach.pt_id = alloc.out_ioas_id;
	ASSERT_EQ(0, ioctl(self->fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach));
	/* pt_id now names the software page table the device uses */
	ASSERT_NE(alloc.out_ioas_id, attach.pt_id);
	ASSERT_EQ(EDU_ID_VALUE, edu_read32(self->bar, EDU_REG_ID));
	ASSERT_EQ(0, ioctl(self->fd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &detach));
	ASSERT_EQ(EDU_ID_VALUE, edu_read32(self->bar, EDU_REG_ID));
}

/* Unbinding the driver while the device is open waits for the user to
 * close it; afterwards the device binds back and gets a new cdev. */
TEST_F(bound, driver_unbind_while_open)
{
	char name[64];
	pid_t pid;
	int status;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd;

		/* Drop the references fork() copied, or the unbind would wait
		 * for this very process. */
		munmap((void *)self->bar, self->bar_size);
		close(self->fd);
		fd = open("/sys/bus/pci/drivers/vfio-pci/unbind", O_WRONLY);
		_exit(fd >= 0 && write(fd, self->bdf, strlen(self->bdf)) > 0 ? 0 : 1);
	}
	sleep(1);
	/* Still bound: the unbind waits for us. */
	ASSERT_EQ(0, waitpid(pid, &status, WNOHANG));
	ASSERT_EQ(EDU_ID_VALUE, edu_read32(self->bar, EDU_REG_ID));
	munmap((void *)self->bar, self->bar_size);
	self->bar = NULL;
	close(self->fd);
	self->fd = -1;
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ASSERT_FALSE(lab_vfio_cdev_name(self->bdf, name, sizeof(name)));

	ASSERT_EQ(0, lab_bind_vfio_pci(self->bdf));
	ASSERT_TRUE(lab_vfio_cdev_name(self->bdf, name, sizeof(name)));
	self->fd = lab_open_noiommu_cdev(self->bdf);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, lab_bind_iommufd(self->fd, self->iommufd, NULL));
	ASSERT_EQ(0, get_info(self->fd));
}

/* MSI-X on the NVMe controller: program two vectors with eventfds and
 * fire them through the loopback trigger (DATA_NONE). */
TEST(nvme_msix_eventfds)
{
	struct vfio_irq_info irq = {
		.argsz = sizeof(irq), .index = VFIO_PCI_MSIX_IRQ_INDEX,
	};
	struct vfio_irq_set fire = {
		.argsz = sizeof(fire),
		.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
		.index = VFIO_PCI_MSIX_IRQ_INDEX,
		.start = 1,
		.count = 1,
	};
	int fd, iommufd, efds[2];
	char bdf[16];

	if (!cdev_noiommu_expected())
		SKIP(return, "no no-IOMMU cdev in this kernel/boot");
	ASSERT_TRUE(lab_find_pci(QEMU_NVME_VENDOR, QEMU_NVME_DEVICE, 0, bdf));
	fd = lab_open_noiommu_cdev(bdf);
	ASSERT_LE(0, fd);
	iommufd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, iommufd);
	ASSERT_EQ(0, lab_bind_iommufd(fd, iommufd, NULL));
	ASSERT_EQ(0, ioctl(fd, VFIO_DEVICE_GET_IRQ_INFO, &irq));
	ASSERT_LE(2, irq.count);
	efds[0] = eventfd(0, EFD_CLOEXEC);
	efds[1] = eventfd(0, EFD_CLOEXEC);
	ASSERT_EQ(0, set_irq_eventfds(fd, VFIO_PCI_MSIX_IRQ_INDEX, efds, 2));
	ASSERT_EQ(0, ioctl(fd, VFIO_DEVICE_SET_IRQS, &fire));
	ASSERT_EQ(1, lab_wait_eventfd(efds[1], 1000));
	ASSERT_EQ(0, lab_wait_eventfd(efds[0], 100));
	ASSERT_EQ(0, disable_irqs(fd, VFIO_PCI_MSIX_IRQ_INDEX));
	close(efds[0]);
	close(efds[1]);
	close(fd);
	close(iommufd);
}

TEST_HARNESS_MAIN

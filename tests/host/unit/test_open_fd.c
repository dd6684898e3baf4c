// SPDX-License-Identifier: GPL-2.0
/*
 * nio_device_open_fd() and nio_ctx_new_iommufd(): opening from fds that
 * were handed over, against the fake tree of fake_root.c and the fake
 * IOMMUFD of fake_iommufd.c. The nodes of the fake /dev are plain files,
 * so the library finds them by what /proc/self/fd says they were opened
 * as; in the lab's guests (tests/guest/libnoiommu.c) they are character
 * devices, found by their device numbers in /sys/dev/char.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "fake_iommufd.h"
#include "fake_root.h"
#include "noiommu.h"

FIXTURE(handed) {
	const char *root;
	struct nio_ctx *ctx;
};

FIXTURE_SETUP(handed)
{
	fake_iommufd_reset(MAINLINE);
	self->root = fake_root_create(true, true);
	nio_set_root(self->root);
	self->ctx = NULL;
}

FIXTURE_TEARDOWN(handed)
{
	nio_ctx_free(self->ctx);
	nio_set_root(NULL);
	fake_root_remove(self->root);
}

static int open_fake(const char *root, const char *node)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s%s", root, node);
	return open(path, O_RDWR | O_CLOEXEC);
}

/* The no-IOMMU cdev: the device behind it, its path, and DMA that works
 * after the caller closed its own fd */
TEST_F(handed, noiommu_cdev_fd)
{
	int fd = open_fake(self->root, "/dev/vfio/devices/noiommu-vfio0");
	struct nio_device *dev;
	struct nio_dma *dma;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, nio_ctx_new(&self->ctx));
	ASSERT_EQ(0, nio_device_open_fd(self->ctx, fd, NULL, &dev))
		TH_LOG("%s", nio_errmsg());
	ASSERT_EQ(0, close(fd));
	EXPECT_EQ(NIO_PATH_NOIOMMU_CDEV, nio_device_path(dev));
	EXPECT_STREQ("0000:01:00.0", nio_device_bdf(dev));
	EXPECT_STREQ("/dev/vfio/devices/noiommu-vfio0", nio_device_node(dev));
	EXPECT_NE(NULL, strstr(nio_device_why(dev), "handed over as fd"))
		TH_LOG("%s", nio_device_why(dev));
	/* The library's own duplicate, not the caller's fd */
	EXPECT_NE(fd, nio_device_fd(dev));
	EXPECT_TRUE(fk.attached);
	ASSERT_EQ(0, nio_dma_alloc(self->ctx, 3 * FAKE_PAGE, NIO_DMA_SMALL, &dma))
		TH_LOG("%s", nio_errmsg());
	EXPECT_EQ(fake_pa((uintptr_t)dma->vaddr), nio_dma_addr(dma, 0, NULL));
	EXPECT_EQ(0, nio_dma_free(self->ctx, dma));
}

/* A device behind an IOMMU: path 2, whatever the caller's opts allow */
TEST_F(handed, iommu_cdev_fd)
{
	int fd = open_fake(self->root, "/dev/vfio/devices/vfio1");
	struct nio_open_opts only_noiommu = {
		.size = sizeof(only_noiommu),
		.paths = NIO_PATH_BIT(NIO_PATH_NOIOMMU_CDEV),
	};
	struct nio_device *dev;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, nio_ctx_new(&self->ctx));
	/* The node fixes the path: opts may only exclude it */
	EXPECT_EQ(-EOPNOTSUPP, nio_device_open_fd(self->ctx, fd, &only_noiommu,
						  &dev));
	EXPECT_NE(NULL, strstr(nio_errmsg(), "excluded")) TH_LOG("%s", nio_errmsg());
	ASSERT_EQ(0, nio_device_open_fd(self->ctx, fd, NULL, &dev))
		TH_LOG("%s", nio_errmsg());
	EXPECT_EQ(NIO_PATH_IOMMU_CDEV, nio_device_path(dev));
	EXPECT_STREQ("0000:03:00.0", nio_device_bdf(dev));
	close(fd);
}

/* A context on a handed-over iommufd opens cdevs, not legacy groups */
/*
 * EPERM from the bind says what each path lacks: behind an IOMMU, MSI
 * isolation (interrupt remapping), which no capability replaces; without
 * one, CAP_SYS_RAWIO.
 */
TEST_F(handed, bind_refusal_names_what_the_path_lacks)
{
	struct nio_device *dev;

	fk.bind_errno = EPERM;
	ASSERT_EQ(0, nio_ctx_new(&self->ctx));
	ASSERT_EQ(-EPERM, nio_device_open(self->ctx, "03:00.0", NULL, &dev));
	EXPECT_NE(NULL, strstr(nio_errmsg(), "does not isolate the device's MSIs"))
		TH_LOG("%s", nio_errmsg());
	EXPECT_NE(NULL, strstr(nio_errmsg(), "allow_unsafe_interrupts"));
	EXPECT_EQ(NULL, strstr(nio_errmsg(), "CAP_SYS_RAWIO"));
	nio_ctx_free(self->ctx);
	ASSERT_EQ(0, nio_ctx_new(&self->ctx));
	ASSERT_EQ(-EPERM, nio_device_open(self->ctx, "01:00.0", NULL, &dev));
	EXPECT_NE(NULL, strstr(nio_errmsg(), "need CAP_SYS_RAWIO"))
		TH_LOG("%s", nio_errmsg());
}

TEST_F(handed, ctx_from_iommufd)
{
	int iommufd = open_fake(self->root, "/dev/iommu");
	int cdev = open_fake(self->root, "/dev/vfio/devices/noiommu-vfio0");
	int group = open_fake(self->root, "/dev/vfio/noiommu-0");
	struct nio_device *dev;

	if (iommufd < 0) {
		fake_root_write(self->root, "dev/iommu", "");
		iommufd = open_fake(self->root, "/dev/iommu");
	}
	ASSERT_LE(0, iommufd);
	ASSERT_LE(0, cdev);
	ASSERT_LE(0, group);
	ASSERT_EQ(0, nio_ctx_new_iommufd(iommufd, &self->ctx))
		TH_LOG("%s", nio_errmsg());
	ASSERT_EQ(0, close(iommufd));
	EXPECT_EQ(-EXDEV, nio_device_open_fd(self->ctx, group, NULL, &dev));
	EXPECT_NE(NULL, strstr(nio_errmsg(), "made from an iommufd"))
		TH_LOG("%s", nio_errmsg());
	ASSERT_EQ(0, nio_device_open_fd(self->ctx, cdev, NULL, &dev))
		TH_LOG("%s", nio_errmsg());
	EXPECT_EQ(NIO_PATH_NOIOMMU_CDEV, nio_ctx_path(self->ctx));
	close(cdev);
	close(group);
}

/* What is not a VFIO node, or not open, is refused and says so */
TEST_F(handed, refuses_what_is_no_vfio_node)
{
	int other = open_fake(self->root, "/sys/bus/pci/devices/0000:01:00.0/vendor");
	struct nio_device *dev = NULL;
	int closed;

	ASSERT_LE(0, other);
	ASSERT_EQ(0, nio_ctx_new(&self->ctx));
	EXPECT_EQ(-EINVAL, nio_device_open_fd(self->ctx, other, NULL, &dev));
	EXPECT_NE(NULL, strstr(nio_errmsg(), "is not a VFIO device cdev"))
		TH_LOG("%s", nio_errmsg());
	closed = dup(other);
	close(closed);
	close(other);
	EXPECT_EQ(-EBADF, nio_device_open_fd(self->ctx, closed, NULL, &dev));
	EXPECT_EQ(-EBADF, nio_ctx_new_iommufd(closed, &self->ctx));
	EXPECT_EQ(NULL, dev);
	EXPECT_EQ(NIO_PATH_NONE, nio_ctx_path(self->ctx));
}

/* A cdev whose device is gone from sysfs */
TEST_F(handed, cdev_without_a_pci_device)
{
	int fd;
	struct nio_device *dev;

	fake_root_write(self->root, "dev/vfio/devices/noiommu-vfio9", "");
	fd = open_fake(self->root, "/dev/vfio/devices/noiommu-vfio9");
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, nio_ctx_new(&self->ctx));
	EXPECT_EQ(-ENODEV, nio_device_open_fd(self->ctx, fd, NULL, &dev));
	EXPECT_NE(NULL, strstr(nio_errmsg(), "noiommu-vfio9")) TH_LOG("%s", nio_errmsg());
	close(fd);
}

TEST_HARNESS_MAIN

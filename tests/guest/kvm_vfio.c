// SPDX-License-Identifier: GPL-2.0
/*
 * KVM's VFIO device with a no-IOMMU device cdev. kvm.ko reaches VFIO only
 * through symbol_get() (vfio_file_is_valid(), vfio_file_set_kvm(), ...),
 * never through symbol versions, so Debian's own kvm.ko must keep working
 * with the vfio.ko that vfio-noiommu-dkms rebuilds, even though struct
 * vfio_device changed size. Runs wherever the kernel has KVM (Debian's do;
 * the lab's own kernels do not, and skip).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "kselftest_harness.h"
#include "lab_guest.h"

FIXTURE(kvm) {
	int kvm, vm, dev;
	char bdf[16];
};

FIXTURE_SETUP(kvm)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_VFIO };

	self->kvm = self->vm = self->dev = -1;
	if (!lab_kconfig_enabled("KVM"))
		SKIP(return, "kernel built without KVM");
	/* With KVM in the kernel, the lab's CPU (TCG, -cpu max: SVM) has it */
	self->kvm = open("/dev/kvm", O_RDWR);
	ASSERT_LE(0, self->kvm) TH_LOG("/dev/kvm: %s (kvm_amd/kvm_intel not loaded?)",
				       strerror(errno));
	self->vm = ioctl(self->kvm, KVM_CREATE_VM, 0);
	ASSERT_LE(0, self->vm) TH_LOG("KVM_CREATE_VM: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(self->vm, KVM_CREATE_DEVICE, &cd))
		TH_LOG("KVM_CREATE_DEVICE(VFIO): %s", strerror(errno));
	self->dev = cd.fd;
	ASSERT_TRUE(lab_find_pci(EDU_VENDOR, EDU_DEVICE, 0, self->bdf));
}

FIXTURE_TEARDOWN(kvm)
{
	if (self->dev >= 0)
		close(self->dev);
	if (self->vm >= 0)
		close(self->vm);
	if (self->kvm >= 0)
		close(self->kvm);
}

static int vfio_file(int dev, uint64_t op, int fd)
{
	struct kvm_device_attr attr = {
		.group = KVM_DEV_VFIO_FILE,
		.attr = op,
		.addr = (uintptr_t)&fd,
	};

	return ioctl(dev, KVM_SET_DEVICE_ATTR, &attr);
}

/* vfio_file_is_valid() through symbol_get(): a cdev is, /dev/null is not */
TEST_F(kvm, vfio_device_takes_a_noiommu_cdev)
{
	int cdev = lab_open_noiommu_cdev(self->bdf);
	int null = open("/dev/null", O_RDWR);

	ASSERT_LE(0, cdev) TH_LOG("open the no-IOMMU cdev: %s", strerror(errno));
	ASSERT_EQ(0, vfio_file(self->dev, KVM_DEV_VFIO_FILE_ADD, cdev))
		TH_LOG("KVM_DEV_VFIO_FILE_ADD: %s", strerror(errno));
	/* The same file twice is refused */
	ASSERT_EQ(-1, vfio_file(self->dev, KVM_DEV_VFIO_FILE_ADD, cdev));
	ASSERT_EQ(EEXIST, errno);
	ASSERT_EQ(-1, vfio_file(self->dev, KVM_DEV_VFIO_FILE_ADD, null));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(0, vfio_file(self->dev, KVM_DEV_VFIO_FILE_DEL, cdev))
		TH_LOG("KVM_DEV_VFIO_FILE_DEL: %s", strerror(errno));
	/* Added again, then left for the VM's teardown to release */
	ASSERT_EQ(0, vfio_file(self->dev, KVM_DEV_VFIO_FILE_ADD, cdev));
	close(null);
	close(cdev);
}

TEST_HARNESS_MAIN

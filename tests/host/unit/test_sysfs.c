// SPDX-License-Identifier: GPL-2.0
/*
 * libnoiommu against a fake sysfs/dev/proc tree: PCI discovery, the
 * kernel status, and the path choice and errors of nio_device_open() that
 * are decided before any device node is opened.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "fake_root.h"
#include "internal.h"

TEST(bdf_forms)
{
	char out[NIO_BDF_LEN];

	ASSERT_EQ(0, nio_bdf_normalize("1:0.0", out));
	ASSERT_STREQ("0000:01:00.0", out);
	ASSERT_EQ(0, nio_bdf_normalize("0000:af:1f.7", out));
	ASSERT_STREQ("0000:af:1f.7", out);
	ASSERT_EQ(0, nio_bdf_normalize("1:2:3.4", out));
	ASSERT_STREQ("0001:02:03.4", out);
	ASSERT_EQ(-EINVAL, nio_bdf_normalize("01:00", out));
	ASSERT_EQ(-EINVAL, nio_bdf_normalize("01:00.0x", out));
	ASSERT_EQ(-EINVAL, nio_bdf_normalize("01:20.0", out));
	ASSERT_NE(NULL, strstr(nio_errmsg(), "out of range"));
	ASSERT_EQ(-EINVAL, nio_bdf_normalize("01:00.8", out));
	ASSERT_EQ(-EINVAL, nio_bdf_normalize(NULL, out));
	/* VMD's domains have five digits; seven fit in NIO_BDF_LEN */
	ASSERT_EQ(0, nio_bdf_normalize("10000:e1:00.0", out));
	ASSERT_STREQ("10000:e1:00.0", out);
	ASSERT_EQ(0, nio_bdf_normalize("fffffff:ff:1f.7", out));
	ASSERT_STREQ("fffffff:ff:1f.7", out);
	ASSERT_EQ(-EINVAL, nio_bdf_normalize("10000000:00:00.0", out));
}

/* A failure must never read as success, whatever errno was */
TEST(fail_with_errno_0_is_still_a_failure)
{
	errno = 0;
	ASSERT_EQ(-EIO, nioi_fail(errno, "something failed"));
	ASSERT_EQ(-EIO, nioi_fail(-5, "something failed"));
	ASSERT_STREQ("something failed", nio_errmsg());
}

FIXTURE(fake) {
	const char *root;
};

FIXTURE_SETUP(fake)
{
	self->root = fake_root_create(true, true);
	nio_set_root(self->root);
}

FIXTURE_TEARDOWN(fake)
{
	nio_set_root(NULL);
	fake_root_remove(self->root);
}

TEST_F(fake, pci_info_of_each_kind)
{
	struct nio_pci_info i = NIO_SIZED_INIT(i);

	ASSERT_EQ(0, nio_pci_info("01:00.0", &i));
	ASSERT_EQ(0x1234, i.vendor);
	ASSERT_EQ(0x11e8, i.device);
	ASSERT_EQ(0x00ff00, i.class_code);
	ASSERT_STREQ("vfio-pci", i.driver);
	ASSERT_STREQ("", i.driver_override);
	ASSERT_EQ(0, i.iommu_group);
	ASSERT_TRUE(i.noiommu);
	ASSERT_FALSE(i.has_iommu);
	ASSERT_STREQ("/dev/vfio/noiommu-0", i.group_node);
	ASSERT_STREQ("noiommu-vfio0", i.cdev_name);
	ASSERT_STREQ("/dev/vfio/devices/noiommu-vfio0", i.cdev_node);

	ASSERT_EQ(0, nio_pci_info("0000:03:00.0", &i));
	ASSERT_TRUE(i.has_iommu);
	ASSERT_FALSE(i.noiommu);
	ASSERT_EQ(7, i.iommu_group);
	ASSERT_STREQ("/dev/vfio/7", i.group_node);
	ASSERT_STREQ("/dev/vfio/devices/vfio1", i.cdev_node);

	ASSERT_EQ(0, nio_pci_info("02:00.0", &i));
	ASSERT_STREQ("", i.driver);
	ASSERT_EQ(-1, i.iommu_group);
	ASSERT_FALSE(i.noiommu || i.has_iommu);
	ASSERT_STREQ("", i.group_node);
	ASSERT_STREQ("", i.cdev_node);

	ASSERT_EQ(-ENOENT, nio_pci_info("04:00.0", &i));
	ASSERT_NE(NULL, strstr(nio_errmsg(), "no PCI device 0000:04:00.0"));
}

TEST_F(fake, list_is_sorted_and_find_counts)
{
	struct nio_pci_info *v;
	char bdf[NIO_BDF_LEN];
	size_t n;

	ASSERT_EQ(0, nio_pci_list(&v, &n));
	ASSERT_EQ(4, n);
	ASSERT_STREQ("0000:00:01.0", v[0].bdf);
	ASSERT_STREQ("0000:03:00.0", v[3].bdf);
	free(v);
	ASSERT_EQ(0, nio_pci_find(0x1b36, 0x0010, 0, bdf));
	ASSERT_STREQ("0000:02:00.0", bdf);
	ASSERT_EQ(-ENOENT, nio_pci_find(0x1b36, 0x0010, 1, bdf));
}

TEST_F(fake, cdev_node_missing_when_cdev_is_off)
{
	struct nio_pci_info i = NIO_SIZED_INIT(i);

	fake_root_remove(self->root);
	self->root = fake_root_create(true, false);
	nio_set_root(self->root);
	ASSERT_EQ(0, nio_pci_info("01:00.0", &i));
	ASSERT_STREQ("noiommu-vfio0", i.cdev_name);
	ASSERT_STREQ("", i.cdev_node);
	ASSERT_STREQ("/dev/vfio/noiommu-0", i.group_node);
}

TEST_F(fake, status_reads_param_config_nodes_taint)
{
	struct nio_status st = NIO_SIZED_INIT(st);

	ASSERT_EQ(0, nio_status_read(&st));
	ASSERT_EQ(1, st.noiommu_param);
	ASSERT_TRUE(st.config_known);
	ASSERT_STREQ("/proc/config.gz", st.config_source);
	ASSERT_EQ(3, st.config.matrix_case);
	ASSERT_EQ(1, st.noiommu_group_nodes);
	ASSERT_EQ(1, st.group_nodes);
	ASSERT_EQ(1, st.noiommu_cdev_nodes);
	ASSERT_EQ(1, st.cdev_nodes);
	ASSERT_TRUE(st.dev_iommu);
	ASSERT_TRUE(st.taint_user);
	/* /dev/iommu is a plain file here: the ioctl says ENOTTY */
	ASSERT_EQ(0, st.get_pa);
	ASSERT_EQ(NIO_PATH_LEGACY_GROUP, st.best_path);
	ASSERT_NE(NULL, strstr(st.why, "no IOMMU_IOAS_NOIOMMU_GET_PA"));
}

/*
 * A stock Debian kernel (no /proc/config.gz; /boot/config-RELEASE without
 * IOMMUFD) with vfio-noiommu-dkms's modules installed for it: the options
 * the package adds count, and the source says where they came from.
 */
TEST_F(fake, status_sees_the_dkms_modules)
{
	const char *stock = "CONFIG_VFIO=m\nCONFIG_VFIO_GROUP=y\n"
			    "CONFIG_VFIO_CONTAINER=y\nCONFIG_VFIO_PCI=m\n"
			    "# CONFIG_IOMMUFD is not set\n"
			    "# CONFIG_VFIO_NOIOMMU is not set\n";
	char rel[256], want[320];
	struct nio_status st = NIO_SIZED_INIT(st);
	struct utsname u;

	ASSERT_EQ(0, uname(&u));
	snprintf(rel, sizeof(rel), "%s/proc/config.gz", self->root);
	ASSERT_EQ(0, unlink(rel));
	snprintf(rel, sizeof(rel), "boot/config-%s", u.release);
	fake_root_write(self->root, rel, stock);

	/* Without the modules: the stock config, legacy group only */
	ASSERT_EQ(0, nio_status_read(&st));
	snprintf(want, sizeof(want), "/boot/config-%s", u.release);
	ASSERT_STREQ(want, st.config_source);
	ASSERT_EQ('n', st.config.iommufd);
	ASSERT_EQ('n', st.config.vfio_noiommu);
	ASSERT_FALSE(st.config.noiommu_cdev);

	/* The package is installed, but not yet built for this kernel */
	fake_root_write(self->root, "usr/share/vfio-noiommu-dkms/kconfig",
			"CONFIG_IOMMUFD=m\nCONFIG_IOMMUFD_NOIOMMU=y\n"
			"CONFIG_VFIO_DEVICE_CDEV=y\nCONFIG_VFIO_NOIOMMU=y\n");
	ASSERT_EQ(0, nio_status_read(&st));
	ASSERT_FALSE(st.config.noiommu_cdev);

	/* ... and its modules are installed for the running kernel */
	snprintf(rel, sizeof(rel), "var/lib/dkms/vfio-noiommu/kernel-%s-%s",
		 u.release, u.machine);
	fake_root_write(self->root, rel, "");
	ASSERT_EQ(0, nio_status_read(&st));
	snprintf(want, sizeof(want), "/boot/config-%s + vfio-noiommu-dkms",
		 u.release);
	ASSERT_STREQ(want, st.config_source);
	ASSERT_EQ('m', st.config.iommufd);
	ASSERT_EQ('y', st.config.iommufd_noiommu);
	ASSERT_EQ(3, st.config.matrix_case);
	ASSERT_TRUE(st.config.noiommu_cdev);
}

TEST_F(fake, status_with_mode_off)
{
	struct nio_status st = NIO_SIZED_INIT(st);

	fake_root_write(self->root, "sys/module/vfio/parameters/enable_unsafe_noiommu_mode", "N\n");
	ASSERT_EQ(0, nio_status_read(&st));
	ASSERT_EQ(0, st.noiommu_param);
	ASSERT_EQ(NIO_PATH_NONE, st.best_path);
	ASSERT_NE(NULL, strstr(st.why, "no-IOMMU mode is off"));
}

TEST_F(fake, open_refuses_unbound_device)
{
	struct nio_device *dev;
	struct nio_ctx *ctx;

	ASSERT_EQ(0, nio_ctx_new(&ctx));
	ASSERT_EQ(-ENXIO, nio_device_open(ctx, "02:00.0", NULL, &dev));
	ASSERT_NE(NULL, strstr(nio_errmsg(), "has no driver, it must be bound to vfio-pci: run 'noiommu bind 0000:02:00.0'"));
	ASSERT_EQ(-ENXIO, nio_device_open(ctx, "00:01.0", NULL, &dev));
	ASSERT_NE(NULL, strstr(nio_errmsg(), "bound to virtio-pci, not vfio-pci"));
	nio_ctx_free(ctx);
}

TEST_F(fake, open_says_mode_is_off)
{
	struct nio_device *dev;
	struct nio_ctx *ctx;

	fake_root_write(self->root, "sys/module/vfio/parameters/enable_unsafe_noiommu_mode", "N\n");
	ASSERT_EQ(0, nio_ctx_new(&ctx));
	ASSERT_EQ(-ENODEV, nio_device_open(ctx, "02:00.0", NULL, &dev));
	ASSERT_NE(NULL, strstr(nio_errmsg(), "VFIO's no-IOMMU mode is off: echo 1 >"));
	nio_ctx_free(ctx);
}

TEST_F(fake, open_explains_missing_paths)
{
	struct nio_open_opts only1 = { sizeof(only1), NIO_PATH_BIT(NIO_PATH_NOIOMMU_CDEV) };
	struct nio_open_opts only2 = { sizeof(only2), NIO_PATH_BIT(NIO_PATH_IOMMU_CDEV) };
	struct nio_device *dev;
	struct nio_ctx *ctx;

	fake_root_remove(self->root);
	self->root = fake_root_create(true, false);
	nio_set_root(self->root);
	ASSERT_EQ(0, nio_ctx_new(&ctx));
	ASSERT_EQ(-EOPNOTSUPP, nio_device_open(ctx, "01:00.0", &only1, &dev));
	ASSERT_NE(NULL, strstr(nio_errmsg(), "not noiommu-cdev: CONFIG_VFIO_DEVICE_CDEV is off"));
	ASSERT_EQ(-EOPNOTSUPP, nio_device_open(ctx, "01:00.0", &only2, &dev));
	ASSERT_NE(NULL, strstr(nio_errmsg(), "not iommu-cdev: the device has no IOMMU"));
	/* An IOMMU device without cdev: the legacy path here is no-IOMMU only */
	ASSERT_EQ(-EOPNOTSUPP, nio_device_open(ctx, "03:00.0", NULL, &dev));
	ASSERT_NE(NULL, strstr(nio_errmsg(), "not iommu-cdev: no VFIO device cdev"));
	nio_ctx_free(ctx);
}

TEST_F(fake, unbind_refuses_other_drivers)
{
	ASSERT_EQ(-EINVAL, nio_pci_unbind_vfio("00:01.0", NULL));
	ASSERT_NE(NULL, strstr(nio_errmsg(), "bound to virtio-pci, not vfio-pci"));
}

static void run(const char *fmt, const char *root)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), fmt, root);
	if (system(cmd))
		abort();
}

/* microVMs and containers can have no PCI device at all */
TEST_F(fake, list_with_no_devices)
{
	struct nio_pci_info *list = (void *)1;
	size_t n = 99;

	run("rm -rf %s/sys/bus/pci/devices/*", self->root);
	ASSERT_EQ(0, nio_pci_list(&list, &n));
	ASSERT_EQ(0, n);
	free(list);
}

TEST_F(fake, list_keeps_five_digit_domains)
{
	struct nio_pci_info *list, info = NIO_SIZED_INIT(info);
	size_t n;

	fake_root_write(self->root, "sys/bus/pci/devices/10000:e1:00.0/vendor", "0x144d\n");
	fake_root_write(self->root, "sys/bus/pci/devices/10000:e1:00.0/device", "0xa808\n");
	fake_root_write(self->root, "sys/bus/pci/devices/10000:e1:00.0/class", "0x010802\n");
	ASSERT_EQ(0, nio_pci_info("10000:e1:00.0", &info));
	ASSERT_EQ(0x144d, info.vendor);
	ASSERT_EQ(0, nio_pci_list(&list, &n));
	ASSERT_EQ(5, n);
	ASSERT_STREQ("10000:e1:00.0", list[4].bdf);
	free(list);
}

/* Stock Debian: vfio loaded, no enable_unsafe_noiommu_mode parameter */
TEST_F(fake, no_echo_advice_when_the_kernel_lacks_the_mode)
{
	struct nio_device *dev;
	struct nio_status st = NIO_SIZED_INIT(st);
	struct nio_ctx *ctx;

	run("rm %s/sys/module/vfio/parameters/enable_unsafe_noiommu_mode", self->root);
	ASSERT_EQ(0, nio_status_read(&st));
	ASSERT_EQ(-1, st.noiommu_param);
	ASSERT_NE(NULL, strstr(st.why, "built without CONFIG_VFIO_NOIOMMU")) TH_LOG("%s", st.why);
	ASSERT_NE(NULL, strstr(st.why, "vfio-noiommu-dkms"));
	ASSERT_EQ(NULL, strstr(st.why, "echo 1"));
	ASSERT_EQ(0, nio_ctx_new(&ctx));
	ASSERT_EQ(-ENODEV, nio_device_open(ctx, "02:00.0", NULL, &dev));
	ASSERT_NE(NULL, strstr(nio_errmsg(), "built without CONFIG_VFIO_NOIOMMU")) TH_LOG("%s", nio_errmsg());
	ASSERT_EQ(NULL, strstr(nio_errmsg(), "echo 1"));
	nio_ctx_free(ctx);
}

/* VFIO built as a module that is not loaded */
TEST_F(fake, modprobe_advice_when_vfio_is_not_loaded)
{
	struct nio_status st = NIO_SIZED_INIT(st);

	run("rm -r %s/sys/module/vfio", self->root);
	ASSERT_EQ(0, nio_status_read(&st));
	ASSERT_NE(NULL, strstr(st.why, "VFIO is not loaded: modprobe vfio-pci")) TH_LOG("%s", st.why);
	ASSERT_EQ(NULL, strstr(st.why, "echo 1"));
}

/*
 * A device without a driver has nothing to give back: unbind refuses and
 * leaves driver_override and the driver core (drivers_probe) alone.
 */
TEST_F(fake, unbind_refuses_a_device_without_driver)
{
	char buf[64];

	fake_root_write(self->root, "sys/bus/pci/drivers_probe", "");
	ASSERT_EQ(-EINVAL, nio_pci_unbind_vfio("02:00.0", NULL));
	ASSERT_NE(NULL, strstr(nio_errmsg(),
			       "0000:02:00.0 is not bound to vfio-pci (it has no driver)"))
		TH_LOG("%s", nio_errmsg());
	ASSERT_STREQ("(null)\n", fake_root_read(self->root,
			"sys/bus/pci/devices/0000:02:00.0/driver_override", buf,
			sizeof(buf)));
	ASSERT_STREQ("", fake_root_read(self->root, "sys/bus/pci/drivers_probe",
					buf, sizeof(buf)));
}

/* On vfio-pci: unbound from it, override cleared, the kernel re-probes. */
TEST_F(fake, unbind_from_vfio_pci)
{
	const char *override = "sys/bus/pci/devices/0000:01:00.0/driver_override";
	char buf[64];

	fake_root_write(self->root, "sys/bus/pci/drivers/vfio-pci/unbind", "");
	fake_root_write(self->root, "sys/bus/pci/drivers_probe", "");
	fake_root_write(self->root, override, "");
	ASSERT_EQ(0, nio_pci_unbind_vfio("01:00.0", NULL)) TH_LOG("%s", nio_errmsg());
	ASSERT_STREQ("0000:01:00.0", fake_root_read(self->root,
			"sys/bus/pci/drivers/vfio-pci/unbind", buf, sizeof(buf)));
	ASSERT_STREQ("\n", fake_root_read(self->root, override, buf, sizeof(buf)));
	ASSERT_STREQ("0000:01:00.0", fake_root_read(self->root,
			"sys/bus/pci/drivers_probe", buf, sizeof(buf)));
}

TEST_HARNESS_MAIN

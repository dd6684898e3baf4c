// SPDX-License-Identifier: GPL-2.0
/*
 * A program as it was built against libnoiommu 2.0 to 2.2, run on today's
 * shared library: its structs have no size, and the dynamic linker binds
 * it to the old versions of the functions that take them, which the
 * .symver lines below name as such a program's references do. Linked
 * against libnoiommu.so, not the static library.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "fake_root.h"

/* The layouts of 2.2's headers (sizes measured there on x86-64) */
struct nio_ctx;
struct nio_device;

struct old_open_opts {
	unsigned int paths;
};

struct old_pci_info {
	char bdf[16];
	uint16_t vendor;
	uint16_t device;
	uint32_t class_code;
	char driver[64];
	char driver_override[64];
	int iommu_group;
	bool has_iommu;
	bool noiommu;
	char group_node[64];
	char cdev_name[32];
	char cdev_node[80];
};

struct old_kconfig {
	char vfio, vfio_group, vfio_container, iommufd_vfio_container;
	char vfio_device_cdev, iommufd, vfio_noiommu, vfio_pci;
	char iommufd_noiommu;
	int matrix_case;
	bool noiommu_possible, noiommu_enabled, noiommu_cdev;
	char why[512];
};

struct old_status {
	int noiommu_param;
	bool config_known;
	char config_source[128];
	struct old_kconfig config;
	bool dev_iommu;
	int get_pa;
	unsigned int group_nodes, noiommu_group_nodes;
	unsigned int cdev_nodes, noiommu_cdev_nodes;
	unsigned long taint;
	bool taint_user;
	char kernel_release[65];
	int best_path;
	char why[512];
};

#ifdef __x86_64__
_Static_assert(sizeof(struct old_pci_info) == 336, "2.2's nio_pci_info");
_Static_assert(sizeof(struct old_status) == 1288, "2.2's nio_status");
#endif

/* 2.3's structs are 2.2's after a size: what a program built now gets */
struct new_pci_info {
	size_t size;
	struct old_pci_info body;
};

struct new_status {
	size_t size;
	struct old_status body;
};

int nio_pci_info(const char *bdf, struct new_pci_info *info);
int nio_status_read(struct new_status *st);
int old_pci_info(const char *bdf, struct old_pci_info *info);
int old_pci_list(struct old_pci_info **list, size_t *count);
int old_status_read(struct old_status *st);
int old_device_open(struct nio_ctx *ctx, const char *bdf,
		    const struct old_open_opts *opts, struct nio_device **dev);
int nio_ctx_new(struct nio_ctx **ctx);
void nio_ctx_free(struct nio_ctx *ctx);
void nio_set_root(const char *root);
const char *nio_errmsg(void);
__asm__(".symver old_pci_info, nio_pci_info@LIBNOIOMMU_2.0");
__asm__(".symver old_pci_list, nio_pci_list@LIBNOIOMMU_2.0");
__asm__(".symver old_status_read, nio_status_read@LIBNOIOMMU_2.0");
__asm__(".symver old_device_open, nio_device_open@LIBNOIOMMU_2.0");

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

TEST_F(fake, pci_info_in_the_old_layout)
{
	struct {
		struct old_pci_info info;
		unsigned char after[16];
	} buf;
	size_t i;

	memset(&buf, 0x55, sizeof(buf));
	ASSERT_EQ(0, old_pci_info("01:00.0", &buf.info));
	ASSERT_STREQ("0000:01:00.0", buf.info.bdf);
	ASSERT_EQ(0x1234, buf.info.vendor);
	ASSERT_EQ(0x11e8, buf.info.device);
	ASSERT_STREQ("vfio-pci", buf.info.driver);
	ASSERT_EQ(0, buf.info.iommu_group);
	ASSERT_TRUE(buf.info.noiommu);
	ASSERT_STREQ("/dev/vfio/devices/noiommu-vfio0", buf.info.cdev_node);
	for (i = 0; i < sizeof(buf.after); i++)
		ASSERT_EQ(0x55, buf.after[i]);
	ASSERT_EQ(-ENOENT, old_pci_info("04:00.0", &buf.info));
}

/* The old call gives, byte for byte, the fields of a program built now */
TEST_F(fake, old_and_new_pci_info_agree)
{
	struct new_pci_info now = { .size = sizeof(now) };
	struct old_pci_info old;
	const char *bdf[] = { "00:01.0", "01:00.0", "02:00.0", "03:00.0" };
	size_t i;

	for (i = 0; i < 4; i++) {
		memset(&old, 0xaa, sizeof(old));
		memset(&now.body, 0xbb, sizeof(now.body));
		ASSERT_EQ(0, old_pci_info(bdf[i], &old));
		ASSERT_EQ(0, nio_pci_info(bdf[i], &now));
		ASSERT_EQ(0, memcmp(&old, &now.body,
				    offsetof(struct old_pci_info, cdev_node) +
				    sizeof(old.cdev_node)));
	}
}

TEST_F(fake, pci_list_in_the_old_stride)
{
	struct old_pci_info *list;
	size_t n;

	ASSERT_EQ(0, old_pci_list(&list, &n));
	ASSERT_EQ(4, n);
	ASSERT_STREQ("0000:00:01.0", list[0].bdf);
	ASSERT_STREQ("0000:01:00.0", list[1].bdf);
	ASSERT_STREQ("noiommu-vfio0", list[1].cdev_name);
	ASSERT_STREQ("0000:03:00.0", list[3].bdf);
	ASSERT_EQ(7, list[3].iommu_group);
	ASSERT_STREQ("/dev/vfio/devices/vfio1", list[3].cdev_node);
	free(list);
}

TEST_F(fake, status_in_the_old_layout)
{
	struct {
		struct old_status st;
		unsigned char after[16];
	} buf;
	struct new_status now = { .size = sizeof(now) };
	size_t i;

	memset(&buf, 0x55, sizeof(buf));
	ASSERT_EQ(0, old_status_read(&buf.st));
	ASSERT_EQ(1, buf.st.noiommu_param);
	ASSERT_EQ(1, buf.st.noiommu_cdev_nodes);
	ASSERT_NE(0, strlen(buf.st.kernel_release));
	ASSERT_NE(0, strlen(buf.st.why));
	ASSERT_EQ(0, nio_status_read(&now));
	ASSERT_EQ(0, memcmp(&buf.st, &now.body,
			    offsetof(struct old_status, why) + sizeof(now.body.why)));
	for (i = 0; i < sizeof(buf.after); i++)
		ASSERT_EQ(0x55, buf.after[i]);
}

TEST_F(fake, device_open_reads_the_old_opts)
{
	struct old_open_opts only2 = { 1u << 2 };	/* NIO_PATH_IOMMU_CDEV */
	struct nio_device *dev;
	struct nio_ctx *ctx;

	ASSERT_EQ(0, nio_ctx_new(&ctx));
	ASSERT_EQ(-EOPNOTSUPP, old_device_open(ctx, "01:00.0", &only2, &dev));
	ASSERT_NE(NULL, strstr(nio_errmsg(), "not iommu-cdev: the device has no IOMMU"));
	ASSERT_EQ(-ENOENT, old_device_open(ctx, "04:00.0", NULL, &dev));
	nio_ctx_free(ctx);
}

TEST_HARNESS_MAIN

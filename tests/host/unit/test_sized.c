// SPDX-License-Identifier: GPL-2.0
/*
 * The structs callers allocate begin with their size (since 2.3): what the
 * library accepts and what it writes, for an unset size, an older
 * caller's struct and a newer caller's longer one.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "fake_root.h"
#include "internal.h"

FIXTURE(fake) {
	const char *root;
	struct nio_ctx *ctx;
};

FIXTURE_SETUP(fake)
{
	self->root = fake_root_create(true, true);
	nio_set_root(self->root);
	ASSERT_EQ(0, nio_ctx_new(&self->ctx));
}

FIXTURE_TEARDOWN(fake)
{
	nio_ctx_free(self->ctx);
	nio_set_root(NULL);
	fake_root_remove(self->root);
}

/* A program built for a later library: the struct has grown */
struct newer_opts {
	struct nio_open_opts opts;
	uint64_t later_field;
};

TEST_F(fake, open_opts_size_is_checked_before_anything_else)
{
	struct nio_open_opts opts = { .paths = NIO_PATH_BIT(NIO_PATH_IOMMU_CDEV) };
	struct newer_opts newer = { .opts.size = sizeof(newer) };
	struct nio_device *dev;

	/* unset: refused with the remedy, even for a device that exists */
	ASSERT_EQ(-EINVAL, nio_device_open(self->ctx, "01:00.0", &opts, &dev));
	ASSERT_NE(NULL, strstr(nio_errmsg(), "set .size = sizeof(struct nio_open_opts)"));
	opts.size = offsetof(struct nio_open_opts, paths);
	ASSERT_EQ(-EINVAL, nio_device_open(self->ctx, "01:00.0", &opts, &dev));
	opts.size = 1 << 20;
	ASSERT_EQ(-E2BIG, nio_device_open(self->ctx, "01:00.0", &opts, &dev));
	/* the right size: paths is read (the device has no IOMMU) */
	opts.size = sizeof(opts);
	ASSERT_EQ(-EOPNOTSUPP, nio_device_open(self->ctx, "01:00.0", &opts, &dev));
	ASSERT_NE(NULL, strstr(nio_errmsg(), "not iommu-cdev: the device has no IOMMU"));
	/* longer, the unknown field zero: accepted, paths 0 = all */
	ASSERT_EQ(-ENOENT, nio_device_open(self->ctx, "04:00.0", &newer.opts, &dev));
	/* the unknown field set: this library cannot honour it */
	newer.later_field = 1;
	ASSERT_EQ(-E2BIG, nio_device_open(self->ctx, "04:00.0", &newer.opts, &dev));
	ASSERT_NE(NULL, strstr(nio_errmsg(), "built for a newer library"));
	ASSERT_EQ(-E2BIG, nio_device_open_fd(self->ctx, 0, &newer.opts, &dev));
}

struct newer_status {
	struct nio_status st;
	unsigned char later[24];
};

TEST_F(fake, status_fills_what_it_knows_and_zeroes_the_rest)
{
	struct nio_status unset = { .noiommu_param = 7 };
	struct nio_status st = NIO_SIZED_INIT(st);
	struct newer_status newer;
	size_t i;

	ASSERT_EQ(-EINVAL, nio_status_read(&unset));
	ASSERT_EQ(7, unset.noiommu_param);	/* nothing written */
	ASSERT_EQ(0, nio_status_read(&st));
	ASSERT_EQ(sizeof(st), st.size);
	ASSERT_EQ(1, st.noiommu_param);

	memset(&newer, 0xaa, sizeof(newer));
	newer.st.size = sizeof(newer);
	ASSERT_EQ(0, nio_status_read(&newer.st));
	/* size says how much this library filled; the rest is zero */
	ASSERT_EQ(sizeof(struct nio_status), newer.st.size);
	for (i = 0; i < sizeof(newer.later); i++)
		ASSERT_EQ(0, newer.later[i]);
	ASSERT_EQ(1, newer.st.noiommu_param);
	ASSERT_STREQ(st.why, newer.st.why);
}

TEST_F(fake, pci_info_of_an_older_size_is_not_written_past)
{
	struct {
		struct nio_pci_info info;
		unsigned char after[16];
	} buf;
	size_t i;

	memset(&buf, 0x55, sizeof(buf));
	buf.info.size = NIOI_PCI_INFO_MIN;	/* 2.3's struct, no padding */
	ASSERT_EQ(0, nio_pci_info("01:00.0", &buf.info));
	ASSERT_EQ(NIOI_PCI_INFO_MIN, buf.info.size);
	ASSERT_STREQ("/dev/vfio/devices/noiommu-vfio0", buf.info.cdev_node);
	for (i = 0; i < sizeof(buf.after); i++)
		ASSERT_EQ(0x55, buf.after[i]);

	buf.info.size = 0;
	ASSERT_EQ(-EINVAL, nio_pci_info("01:00.0", &buf.info));
	ASSERT_NE(NULL, strstr(nio_errmsg(), "struct nio_pci_info has size 0"));
}

TEST_F(fake, pci_list_elements_carry_their_size)
{
	struct nio_pci_info *list;
	size_t n, i;

	ASSERT_EQ(0, nio_pci_list(&list, &n));
	ASSERT_EQ(4, n);
	for (i = 0; i < n; i++)
		ASSERT_EQ(sizeof(struct nio_pci_info), list[i].size);
	free(list);
}

TEST_HARNESS_MAIN

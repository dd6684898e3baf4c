// SPDX-License-Identifier: GPL-2.0
/* The Kconfig matrix verdicts of nio_kconfig_parse(), row by row. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kselftest_harness.h"
#include "internal.h"

struct row {
	const char *name;
	const char *config;
	int matrix_case;
	bool possible;
	bool cdev;
	const char *why;
};

#define BASE "CONFIG_VFIO=y\nCONFIG_IOMMUFD=y\nCONFIG_VFIO_PCI=y\n"

static const struct row rows[] = {
	{ "1", BASE "CONFIG_VFIO_GROUP=y\nCONFIG_VFIO_CONTAINER=y\nCONFIG_VFIO_NOIOMMU=y\n",
	  1, true, false, "legacy group only" },
	{ "1-iommufd", BASE "CONFIG_VFIO_GROUP=y\nCONFIG_IOMMUFD_VFIO_CONTAINER=y\nCONFIG_VFIO_NOIOMMU=y\n",
	  1, true, false, "legacy group only" },
	{ "2", BASE "CONFIG_VFIO_GROUP=y\n# CONFIG_VFIO_CONTAINER is not set\n",
	  2, false, false, "there is none" },
	{ "2-stock", BASE "CONFIG_VFIO_GROUP=y\nCONFIG_VFIO_NOIOMMU=y\n",
	  2, false, false, "lacks the no-IOMMU Kconfig fix" },
	{ "3", BASE "CONFIG_VFIO_GROUP=y\nCONFIG_VFIO_CONTAINER=y\nCONFIG_VFIO_DEVICE_CDEV=y\nCONFIG_VFIO_NOIOMMU=y\nCONFIG_IOMMUFD_NOIOMMU=y\n",
	  3, true, true, "(path 1) and the legacy group (path 3)" },
	/* Stock 6.12 has the cdev, IOMMUFD and VFIO_NOIOMMU, but no path 1 */
	{ "3-stock", BASE "CONFIG_VFIO_GROUP=y\nCONFIG_VFIO_CONTAINER=y\nCONFIG_VFIO_DEVICE_CDEV=y\nCONFIG_VFIO_NOIOMMU=y\n",
	  3, true, false, "lacks no-IOMMU cdev support (CONFIG_IOMMUFD_NOIOMMU" },
	{ "4", BASE "CONFIG_VFIO_GROUP=y\nCONFIG_VFIO_DEVICE_CDEV=y\n",
	  4, false, false, "turn VFIO_GROUP off" },
	{ "5", BASE "CONFIG_VFIO_DEVICE_CDEV=y\nCONFIG_VFIO_NOIOMMU=y\nCONFIG_IOMMUFD_NOIOMMU=y\n",
	  5, true, true, "device cdev and IOMMUFD (path 1)" },
	{ "6", BASE, 6, false, false, "no VFIO device node" },
	{ "3-mode-off", BASE "CONFIG_VFIO_GROUP=y\nCONFIG_VFIO_CONTAINER=y\nCONFIG_VFIO_DEVICE_CDEV=y\n",
	  3, true, false, "CONFIG_VFIO_NOIOMMU is off" },
	{ "no-vfio", "CONFIG_IOMMUFD=y\n# CONFIG_VFIO is not set\n",
	  0, false, false, "CONFIG_VFIO is off" },
};

TEST(every_matrix_row)
{
	struct nio_kconfig k;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		const struct row *r = &rows[i];

		ASSERT_EQ(0, nio_kconfig_parse(r->config, strlen(r->config), &k));
		EXPECT_EQ(r->matrix_case, k.matrix_case) TH_LOG("row %s", r->name);
		EXPECT_EQ(r->possible, k.noiommu_possible) TH_LOG("row %s", r->name);
		EXPECT_EQ(r->cdev, k.noiommu_cdev) TH_LOG("row %s", r->name);
		EXPECT_NE(NULL, strstr(k.why, r->why)) TH_LOG("row %s: %s", r->name, k.why);
	}
}

TEST(options_must_start_a_line)
{
	const char *text = "# CONFIG_VFIO_NOIOMMU=y is what we want\nCONFIG_VFIO=y\n"
			   "CONFIG_VFIO_NOIOMMU_EXTRA=y\n";
	struct nio_kconfig k;

	ASSERT_EQ(0, nio_kconfig_parse(text, strlen(text), &k));
	ASSERT_EQ('n', k.vfio_noiommu);
	ASSERT_EQ('y', k.vfio);
}

TEST(module_values)
{
	const char *text = "CONFIG_VFIO=m\nCONFIG_VFIO_PCI=m\nCONFIG_IOMMUFD=m\n"
			   "CONFIG_VFIO_DEVICE_CDEV=y\nCONFIG_VFIO_NOIOMMU=y\n"
			   "CONFIG_IOMMUFD_NOIOMMU=y\n";
	struct nio_kconfig k;

	ASSERT_EQ(0, nio_kconfig_parse(text, strlen(text), &k));
	ASSERT_EQ('m', k.vfio);
	ASSERT_EQ(5, k.matrix_case);
	ASSERT_TRUE(k.noiommu_cdev);
}

TEST(not_a_config)
{
	struct nio_kconfig k;
	char path[] = "/tmp/nio-kconfig-XXXXXX";
	int fd = mkstemp(path);

	ASSERT_LE(0, fd);
	ASSERT_EQ(6, write(fd, "hello\n", 6));
	close(fd);
	ASSERT_EQ(-EINVAL, nio_kconfig_read(path, &k));
	ASSERT_NE(NULL, strstr(nio_errmsg(), "is not a kernel config"));
	unlink(path);
	ASSERT_EQ(-ENOENT, nio_kconfig_read("/nonexistent/.config", &k));
	ASSERT_NE(NULL, strstr(nio_errmsg(), "cannot read /nonexistent/.config"));
}

TEST_HARNESS_MAIN

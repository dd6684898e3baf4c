// SPDX-License-Identifier: GPL-2.0
/* The Kconfig matrix verdicts of nio_kconfig_parse(), row by row. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* Only len bytes are read: under ASan, one byte more is an error */
TEST(parse_reads_only_len_bytes)
{
	static const char config[] = "CONFIG_VFIO=y\nCONFIG_VFIO_GROUP=y";
	size_t len = sizeof(config) - 1;
	char *text = malloc(len);	/* no NUL terminator */
	struct nio_kconfig k;

	ASSERT_NE(NULL, text);
	memcpy(text, config, len);
	ASSERT_EQ(0, nio_kconfig_parse(text, len, &k));
	ASSERT_EQ('y', k.vfio);
	ASSERT_EQ('y', k.vfio_group);
	/* A shorter len cuts the text there */
	ASSERT_EQ(0, nio_kconfig_parse(text, strlen("CONFIG_VFIO=y\n"), &k));
	ASSERT_EQ('n', k.vfio_group);
	ASSERT_EQ(-EINVAL, nio_kconfig_parse(text, 5, &k));
	free(text);
}

TEST(garbage_is_not_a_config)
{
	static const char *const bad[] = {
		"CONFIG_VFIO=y\nCONFIG_\x01\xff=y\n",
		"CONFIG_VFIO=y\n\x7f\x45\x4c\x46\n",
		"CONFIG_VFIO=y\nCONFIG_VFIO_PCI\n",
		"CONFIG_=y\n",
		"CONFIG_VFIO=y\nhello\n",
		"CONFIG_VFIO=\x80\n",
	};
	struct nio_kconfig k;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EINVAL, nio_kconfig_parse(bad[i], strlen(bad[i]), &k))
			TH_LOG("input %u accepted", i);
		EXPECT_NE(NULL, strstr(nio_errmsg(), "not a kernel config"));
	}
	/* A NUL inside the text is not a config either */
	EXPECT_EQ(-EINVAL, nio_kconfig_parse("CONFIG_VFIO=y\n\0\n", 16, &k));
}

TEST(real_config_lines_are_accepted)
{
	const char *text = "#\n# Automatically generated file; DO NOT EDIT.\r\n"
			   "#\n\nCONFIG_VFIO=m\r\n# CONFIG_VFIO_NOIOMMU is not set\n"
			   "CONFIG_CMDLINE=\"quiet\tsplash\"\nCONFIG_VFIO_PCI=m";
	struct nio_kconfig k;

	ASSERT_EQ(0, nio_kconfig_parse(text, strlen(text), &k));
	ASSERT_EQ('m', k.vfio);
	ASSERT_EQ('m', k.vfio_pci);
	ASSERT_EQ('n', k.vfio_noiommu);
}

/* The DKMS fragment goes in front: the first value of an option counts */
TEST(first_value_counts)
{
	const char *text = "CONFIG_VFIO_NOIOMMU=y\n# CONFIG_VFIO_NOIOMMU is not set\n"
			   "CONFIG_VFIO=m\nCONFIG_VFIO=n\n";
	struct nio_kconfig k;

	ASSERT_EQ(0, nio_kconfig_parse(text, strlen(text), &k));
	ASSERT_EQ('y', k.vfio_noiommu);
	ASSERT_EQ('m', k.vfio);
}

TEST(directories_devices_and_huge_files_are_refused)
{
	char path[] = "/tmp/nio-kconfig-big-XXXXXX";
	struct nio_kconfig k;
	int fd;

	ASSERT_EQ(-EISDIR, nio_kconfig_read("/tmp", &k));
	ASSERT_NE(NULL, strstr(nio_errmsg(), "cannot read /tmp: Is a directory"));
	/* Must return at once, not read until memory runs out */
	ASSERT_EQ(-EINVAL, nio_kconfig_read("/dev/zero", &k));
	ASSERT_NE(NULL, strstr(nio_errmsg(), "not a regular file"));
	fd = mkstemp(path);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, 17 << 20));
	close(fd);
	ASSERT_EQ(-EFBIG, nio_kconfig_read(path, &k));
	ASSERT_NE(NULL, strstr(nio_errmsg(), "too large"));
	unlink(path);
}

/* A stock Debian 6.12 config: everything path 1 lacks is named at once */
TEST(stock_debian_config_names_everything_path1_lacks)
{
	const char *text = "CONFIG_VFIO=m\nCONFIG_VFIO_GROUP=y\nCONFIG_VFIO_CONTAINER=y\n"
			   "# CONFIG_VFIO_NOIOMMU is not set\nCONFIG_VFIO_PCI=m\n"
			   "# CONFIG_IOMMUFD is not set\n";
	struct nio_kconfig k;

	ASSERT_EQ(0, nio_kconfig_parse(text, strlen(text), &k));
	ASSERT_EQ(1, k.matrix_case);
	ASSERT_FALSE(k.noiommu_cdev);
	ASSERT_NE(NULL, strstr(k.why, "CONFIG_VFIO_NOIOMMU is off")) TH_LOG("%s", k.why);
	ASSERT_NE(NULL, strstr(k.why, "path 1 (no-IOMMU cdev) also needs CONFIG_VFIO_NOIOMMU, CONFIG_IOMMUFD, CONFIG_VFIO_DEVICE_CDEV, CONFIG_IOMMUFD_NOIOMMU"))
		TH_LOG("%s", k.why);
}

TEST_HARNESS_MAIN

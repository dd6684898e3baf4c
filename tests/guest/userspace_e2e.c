// SPDX-License-Identifier: GPL-2.0
/*
 * The noiommu CLI and the example drivers, run end to end in the guest as
 * a user would run them, their output and exit status checked.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "lab_guest.h"

#define OUT_MAX 65536

/* Run cmd through the shell; stdout+stderr into out. Exit status or -1. */
static int run(char *out, const char *fmt, ...)
{
	char cmd[512];
	size_t n = 0;
	va_list ap;
	FILE *p;
	int status;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	p = popen(strcat(cmd, " 2>&1"), "r");
	if (!p)
		return -1;
	while (n < OUT_MAX - 1 && fgets(out + n, (int)(OUT_MAX - n), p))
		n += strlen(out + n);
	out[n] = '\0';
	status = pclose(p);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static bool noiommu_on(void)
{
	return lab_noiommu_requested() && lab_kconfig("VFIO_NOIOMMU") == 'y';
}

/* The test devices can be opened: no-IOMMU mode, or behind a vIOMMU */
static bool devices_usable(void)
{
	return noiommu_on() || lab_viommu();
}

/* The path the library takes for the test devices */
static const char *expected_path(void)
{
	if (lab_viommu())
		return "iommu-cdev";
	return lab_kconfig("VFIO_DEVICE_CDEV") == 'y' ? "noiommu-cdev" :
							"legacy-group";
}

static unsigned long long sum_json_lens(const char *json)
{
	unsigned long long sum = 0, v;
	const char *p = json;

	while ((p = strstr(p, "\"len\": "))) {
		if (sscanf(p, "\"len\": %llu", &v) == 1)
			sum += v;
		p++;
	}
	return sum;
}

FIXTURE(cli) {
	char *out;
	char edu[16];
	char nvme[16];
};

FIXTURE_SETUP(cli)
{
	self->out = malloc(OUT_MAX);
	ASSERT_NE(NULL, self->out);
	if (!lab_find_pci(EDU_VENDOR, EDU_DEVICE, 0, self->edu))
		self->edu[0] = '\0';
	if (!lab_find_pci(QEMU_NVME_VENDOR, QEMU_NVME_DEVICE, 0, self->nvme))
		self->nvme[0] = '\0';
}

FIXTURE_TEARDOWN(cli)
{
	free(self->out);
}

TEST_F(cli, help_on_every_command)
{
	static const char *const cmds[] = {
		"status", "list", "bind", "unbind", "pa", "kconfig-check",
	};
	unsigned int i;

	ASSERT_EQ(0, run(self->out, "noiommu --help"));
	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		ASSERT_NE(NULL, strstr(self->out, cmds[i]));
	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		ASSERT_EQ(0, run(self->out, "noiommu %s --help", cmds[i]));
		ASSERT_EQ(0, strncmp(self->out, "usage: noiommu", 14)) TH_LOG("%s", self->out);
	}
	ASSERT_EQ(2, run(self->out, "noiommu frobnicate"));
	ASSERT_EQ(2, run(self->out, "noiommu pa"));
	/* A usage error is a JSON error object with --json */
	ASSERT_EQ(2, run(self->out, "noiommu --json pa 00:00.0 010"));
	ASSERT_NE(NULL, strstr(self->out, "{\"error\": \"usage\", \"errno\": 0, \"message\": \"SIZE '010'"))
		TH_LOG("%s", self->out);
	ASSERT_EQ(0, run(self->out, "edu-dma --help"));
	ASSERT_EQ(0, run(self->out, "nvme-example --help"));
}

TEST_F(cli, status_reports_mode_config_and_best_path)
{
	char want[200];

	char source[160];

	ASSERT_EQ(0, run(self->out, "noiommu status"));
	TH_LOG("\n%s", self->out);
	snprintf(want, sizeof(want), "config          %s:",
		 lab_kconfig_source(source, sizeof(source)));
	ASSERT_NE(NULL, strstr(self->out, want)) TH_LOG("no '%s'", want);
	ASSERT_EQ(0, run(self->out, "noiommu --json status"));
	/* The series' GET_PA exists exactly with no-IOMMU cdev support */
	ASSERT_NE(NULL, strstr(self->out,
			       lab_kconfig("IOMMUFD_NOIOMMU") == 'y' ?
			       "\"get_pa\": 1" : "\"get_pa\": 0"));
	if (!noiommu_on()) {
		ASSERT_NE(NULL, strstr(self->out, "\"noiommu_param\": 0"));
		ASSERT_NE(NULL, strstr(self->out, "\"best_path\": \"none\""));
		return;
	}
	ASSERT_NE(NULL, strstr(self->out, "\"noiommu_param\": 1"));
	/* What a no-IOMMU device would get, even behind a vIOMMU */
	snprintf(want, sizeof(want), "\"best_path\": \"%s\"",
		 lab_kconfig("VFIO_DEVICE_CDEV") == 'y' ? "noiommu-cdev" :
							 "legacy-group");
	ASSERT_NE(NULL, strstr(self->out, want)) TH_LOG("%s", self->out);
}

TEST_F(cli, list_shows_vfio_nodes)
{
	char line[256];

	if (!devices_usable())
		SKIP(return, "no-IOMMU mode off");
	ASSERT_EQ(0, run(self->out, "noiommu list"));
	TH_LOG("\n%s", self->out);
	snprintf(line, sizeof(line), "%s  1234:11e8 00ff00 vfio-pci   %s ",
		 self->edu, lab_viommu() ? "iommu   " : "no-iommu");
	ASSERT_NE(NULL, strstr(self->out, line));
	ASSERT_EQ(0, run(self->out, "noiommu --json list"));
	ASSERT_NE(NULL, strstr(self->out, lab_viommu() ?
			       "\"cdev_node\": \"/dev/vfio/devices/vfio" :
			       lab_kconfig("VFIO_DEVICE_CDEV") == 'y' ?
			       "\"cdev_node\": \"/dev/vfio/devices/noiommu-vfio" :
			       "\"group_node\": \"/dev/vfio/noiommu-"));
}

TEST_F(cli, pa_prints_runs_covering_the_buffer)
{
	if (!devices_usable())
		SKIP(return, "no-IOMMU mode off");
	ASSERT_EQ(0, run(self->out, "noiommu --json pa --small %s 64K", self->edu))
		TH_LOG("%s", self->out);
	ASSERT_EQ(65536, sum_json_lens(self->out));
	ASSERT_EQ(0, run(self->out, "noiommu pa --huge %s 2M", self->edu))
		TH_LOG("%s", self->out);
	ASSERT_NE(NULL, strstr(self->out, "2048 KiB pages"));
	ASSERT_NE(NULL, strstr(self->out, "runs     1\n"));
	ASSERT_EQ(3, run(self->out, "noiommu pa 7f:00.0 4K"));
	ASSERT_NE(NULL, strstr(self->out, "no PCI device 0000:7f:00.0"));
	ASSERT_EQ(3, run(self->out, "noiommu --json pa 7f:00.0 4K"));
	ASSERT_NE(NULL, strstr(self->out, "{\"error\": \"ENOENT\", \"errno\": 2, \"message\": "))
		TH_LOG("%s", self->out);
}

/* nvme -> vfio-pci -> nvme -> vfio-pci: unbind restores the driver. */
TEST_F(cli, bind_and_unbind_restore_the_driver)
{
	char driver[64];

	if (!devices_usable() || !self->nvme[0])
		SKIP(return, "no-IOMMU mode off or no NVMe");
	if (lab_kconfig("BLK_DEV_NVME") != 'y')
		SKIP(return, "no kernel NVMe driver");
	/* The lab bound it to vfio-pci before noiommu knew a previous driver */
	ASSERT_EQ(0, run(self->out, "noiommu unbind %s", self->nvme)) TH_LOG("%s", self->out);
	lab_pci_driver(self->nvme, driver, sizeof(driver));
	ASSERT_STREQ("nvme", driver);
	ASSERT_EQ(0, run(self->out, "noiommu bind %s", self->nvme));
	ASSERT_NE(NULL, strstr(self->out, "bound to vfio-pci (was nvme)"));
	ASSERT_EQ(0, run(self->out, "noiommu --json bind %s", self->nvme));
	ASSERT_NE(NULL, strstr(self->out, "\"previous_driver\": \"vfio-pci\""));
	ASSERT_EQ(0, run(self->out, "noiommu --json unbind %s", self->nvme));
	ASSERT_NE(NULL, strstr(self->out, "\"restored\": \"nvme\""));
	lab_pci_driver(self->nvme, driver, sizeof(driver));
	ASSERT_STREQ("nvme", driver);
	ASSERT_EQ(0, run(self->out, "noiommu bind %s", self->nvme));
	lab_pci_driver(self->nvme, driver, sizeof(driver));
	ASSERT_STREQ("vfio-pci", driver);
}

TEST_F(cli, kconfig_check_on_the_running_kernel)
{
	char want[32];
	int c = lab_kconfig("VFIO_DEVICE_CDEV") != 'y' ? 1 :
		lab_kconfig("VFIO_GROUP") == 'y' ? 3 : 5;

	char source[160];

	/*
	 * Without a file: the running kernel's config, DKMS's modules counted.
	 * Exit 0 with path 1, 4 with the legacy group only (case 1).
	 */
	ASSERT_EQ(c == 1 ? 4 : 0, run(self->out, "noiommu kconfig-check"))
		TH_LOG("%s", self->out);
	snprintf(want, sizeof(want), "case %d:", c);
	ASSERT_NE(NULL, strstr(self->out, want)) TH_LOG("%s", self->out);
	ASSERT_NE(NULL, strstr(self->out, c == 1 ?
			       "no-IOMMU mode: available through the legacy group only" :
			       "no-IOMMU mode: available (path 1"));
	ASSERT_NE(NULL, strstr(self->out, lab_kconfig_source(source, sizeof(source))));
	ASSERT_EQ(3, run(self->out, "noiommu kconfig-check /nonexistent"));
	if (access("/proc/config.gz", R_OK)) {
		/*
		 * A Debian kernel with vfio-noiommu-dkms: its own config file
		 * has neither the cdev nor VFIO_NOIOMMU (case 1, not
		 * available); the modules bring both.
		 */
		ASSERT_EQ(1, run(self->out, "noiommu kconfig-check %s",
				 strtok(source, " ")))
			TH_LOG("%s", self->out);
		ASSERT_NE(NULL, strstr(self->out, "case 1:"));
		ASSERT_NE(NULL, strstr(self->out, "CONFIG_VFIO_NOIOMMU is off"));
	}
}

TEST_F(cli, example_edu_dma)
{
	if (!devices_usable())
		SKIP(return, "no-IOMMU mode off");
	ASSERT_EQ(0, run(self->out, "edu-dma")) TH_LOG("%s", self->out);
	TH_LOG("\n%s", self->out);
	ASSERT_NE(NULL, strstr(self->out, expected_path()));
	ASSERT_NE(NULL, strstr(self->out, "8192 bytes RAM -> edu -> RAM verified"));
	ASSERT_NE(NULL, strstr(self->out, "completion by MSI"));
	ASSERT_EQ(0, run(self->out, "edu-dma --quiet --poll --size 12288"));
	ASSERT_NE(NULL, strstr(self->out, "12288 bytes RAM -> edu -> RAM verified"));
}

TEST_F(cli, example_nvme)
{
	if (!devices_usable() || !self->nvme[0])
		SKIP(return, "no-IOMMU mode off or no NVMe");
	ASSERT_EQ(0, run(self->out, "nvme-example identify")) TH_LOG("%s", self->out);
	TH_LOG("\n%s", self->out);
	ASSERT_NE(NULL, strstr(self->out, "LABNVME0001"));
	ASSERT_NE(NULL, strstr(self->out, expected_path()));
	ASSERT_EQ(0, run(self->out, "nvme-example --quiet verify --lbas 8192 --io-size 65536"))
		TH_LOG("%s", self->out);
	ASSERT_NE(NULL, strstr(self->out, "verified 8192 blocks"));
	ASSERT_EQ(0, run(self->out, "nvme-example --quiet verify --lbas 512 --random"))
		TH_LOG("%s", self->out);
	ASSERT_EQ(0, run(self->out, "nvme-example write-read")) TH_LOG("%s", self->out);
}

TEST_HARNESS_MAIN

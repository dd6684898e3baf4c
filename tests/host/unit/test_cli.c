// SPDX-License-Identifier: GPL-2.0
/* The noiommu CLI ($NOIOMMU_CLI) against the fake tree: output and exit
 * status of every read-only command, text and JSON. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "fake_root.h"

#define OUT_MAX 16384

static int cli(char *out, const char *root, const char *args)
{
	char cmd[1024];
	size_t n = 0;
	FILE *p;
	int status;

	/* bind and unbind keep their state under the fake root */
	snprintf(cmd, sizeof(cmd), "NOIOMMU_STATE_DIR=%s/run/noiommu %s --root %s %s 2>&1",
		 root, getenv("NOIOMMU_CLI"), root, args);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (n < OUT_MAX - 1 && fgets(out + n, (int)(OUT_MAX - n), p))
		n += strlen(out + n);
	out[n] = '\0';
	status = pclose(p);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

FIXTURE(cli) {
	const char *root;
	char out[OUT_MAX];
};

FIXTURE_SETUP(cli)
{
	ASSERT_NE(NULL, getenv("NOIOMMU_CLI"));
	self->root = fake_root_create(true, true);
}

FIXTURE_TEARDOWN(cli)
{
	fake_root_remove(self->root);
}

TEST_F(cli, list_text)
{
	ASSERT_EQ(0, cli(self->out, self->root, "list"));
	ASSERT_NE(NULL, strstr(self->out,
		"0000:01:00.0  1234:11e8 00ff00 vfio-pci   no-iommu /dev/vfio/noiommu-0  /dev/vfio/devices/noiommu-vfio0\n"))
		TH_LOG("%s", self->out);
	ASSERT_NE(NULL, strstr(self->out,
		"0000:03:00.0  8086:1533 020000 vfio-pci   iommu    /dev/vfio/7          /dev/vfio/devices/vfio1\n"));
	ASSERT_NE(NULL, strstr(self->out,
		"0000:02:00.0  1b36:0010 010802 -          none     -                    -\n"));
}

TEST_F(cli, list_json)
{
	ASSERT_EQ(0, cli(self->out, self->root, "--json list"));
	ASSERT_EQ('[', self->out[0]);
	ASSERT_NE(NULL, strstr(self->out,
		"{\"bdf\": \"0000:01:00.0\", \"id\": \"1234:11e8\", \"class\": \"00ff00\", \"driver\": \"vfio-pci\", \"iommu\": \"no-iommu\", \"iommu_group\": 0, \"group_node\": \"/dev/vfio/noiommu-0\", \"cdev\": \"noiommu-vfio0\", \"cdev_node\": \"/dev/vfio/devices/noiommu-vfio0\"}"))
		TH_LOG("%s", self->out);
	/* The option works after the command too */
	ASSERT_EQ(0, cli(self->out, self->root, "list --json"));
	ASSERT_EQ('[', self->out[0]);
}

TEST_F(cli, status_text_and_json)
{
	ASSERT_EQ(0, cli(self->out, self->root, "status"));
	ASSERT_NE(NULL, strstr(self->out, "no-IOMMU mode   on (enable_unsafe_noiommu_mode=Y)"));
	ASSERT_NE(NULL, strstr(self->out, "config          /proc/config.gz: VFIO_NOIOMMU=y"));
	ASSERT_NE(NULL, strstr(self->out, "TAINT_USER set"));
	ASSERT_EQ(0, cli(self->out, self->root, "--json status"));
	ASSERT_NE(NULL, strstr(self->out, "\"noiommu_param\": 1"));
	ASSERT_NE(NULL, strstr(self->out, "\"matrix_case\": 3"));
	ASSERT_NE(NULL, strstr(self->out, "\"taint_user\": true"));
}

TEST_F(cli, kconfig_check_exit_status)
{
	char args[256];

	snprintf(args, sizeof(args), "kconfig-check %s/proc/config.gz", self->root);
	ASSERT_EQ(0, cli(self->out, self->root, args));
	ASSERT_NE(NULL, strstr(self->out, "no-IOMMU mode: available"));
	fake_root_write(self->root, "etc/case2.config", "CONFIG_VFIO=y\nCONFIG_VFIO_GROUP=y\n");
	snprintf(args, sizeof(args), "--json kconfig-check %s/etc/case2.config", self->root);
	ASSERT_EQ(1, cli(self->out, self->root, args));
	ASSERT_NE(NULL, strstr(self->out, "\"matrix_case\": 2"));
	ASSERT_NE(NULL, strstr(self->out, "\"usable\": false"));
	ASSERT_EQ(3, cli(self->out, self->root, "kconfig-check /nonexistent"));
	ASSERT_NE(NULL, strstr(self->out, "noiommu: kconfig-check: cannot read /nonexistent"));
}

TEST_F(cli, errors_in_json_and_usage)
{
	ASSERT_EQ(3, cli(self->out, self->root, "--json pa 02:00.0 4K"));
	ASSERT_NE(NULL, strstr(self->out, "\"message\": \"0000:02:00.0 has no driver"));
	ASSERT_EQ(2, cli(self->out, self->root, "pa 02:00.0 4X"));
	ASSERT_NE(NULL, strstr(self->out, "usage: noiommu [--json] pa"));
	ASSERT_EQ(2, cli(self->out, self->root, "bind"));
	ASSERT_EQ(2, cli(self->out, self->root, "--bogus"));
	ASSERT_EQ(0, cli(self->out, self->root, "--version"));
	ASSERT_NE(NULL, strstr(self->out, "noiommu 2.0.0"));
}

/* Nothing to give back: refused, driver_override and the probe untouched. */
TEST_F(cli, unbind_refuses_a_device_not_on_vfio_pci)
{
	const char *override = "sys/bus/pci/devices/0000:02:00.0/driver_override";
	char buf[64];

	fake_root_write(self->root, "sys/bus/pci/drivers_probe", "");
	ASSERT_EQ(3, cli(self->out, self->root, "unbind 02:00.0"));
	ASSERT_NE(NULL, strstr(self->out,
			       "noiommu: unbind: 0000:02:00.0 is not bound to vfio-pci"))
		TH_LOG("%s", self->out);
	ASSERT_EQ(NULL, strstr(self->out, "unbound from vfio-pci"));
	ASSERT_STREQ("(null)\n", fake_root_read(self->root, override, buf,
						 sizeof(buf)));
	ASSERT_STREQ("", fake_root_read(self->root, "sys/bus/pci/drivers_probe",
					buf, sizeof(buf)));
	ASSERT_EQ(3, cli(self->out, self->root, "unbind 00:01.0"));
	ASSERT_NE(NULL, strstr(self->out, "bound to virtio-pci, not vfio-pci"));
}

TEST_HARNESS_MAIN

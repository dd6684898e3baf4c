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
#include "noiommu.h"

#define OUT_MAX 16384

/* Run the CLI on the fake tree: its stdout (and stderr) into out. */
static int run_cli(char *out, const char *root, const char *args,
		   const char *stderr_to)
{
	char cmd[1024];
	size_t n = 0;
	FILE *p;
	int status;

	/* bind and unbind keep their state under the fake root */
	snprintf(cmd, sizeof(cmd), "NOIOMMU_STATE_DIR=%s/run/noiommu %s --root %s %s %s",
		 root, getenv("NOIOMMU_CLI"), root, args, stderr_to);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (n < OUT_MAX - 1 && fgets(out + n, (int)(OUT_MAX - n), p))
		n += strlen(out + n);
	out[n] = '\0';
	status = pclose(p);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int cli(char *out, const char *root, const char *args)
{
	return run_cli(out, root, args, "2>&1");
}

/* stdout only: what a program reading --json output gets */
static int cli_stdout(char *out, const char *root, const char *args)
{
	return run_cli(out, root, args, "2>/dev/null");
}

/*
 * Whether out is exactly one JSON value, as python3's json module reads
 * it, for which the Python expression test holds. In test, v is the
 * value and no_placeholders(v) says that no number in it is -1 and no
 * string is "": absent values are null.
 */
static bool json_holds(const char *out, const char *test)
{
	FILE *p;
	int status;

	/* In the environment, test needs no quoting for the shell */
	setenv("JSON_TEST", test, 1);
	p = popen("python3 -c 'import json, os, sys\n"
		  "def no_placeholders(v):\n"
		  "    if isinstance(v, dict):\n"
		  "        return all(no_placeholders(x) for x in v.values())\n"
		  "    if isinstance(v, list):\n"
		  "        return all(no_placeholders(x) for x in v)\n"
		  "    return v is None or isinstance(v, bool) or (v != -1 and v != \"\")\n"
		  "v = json.load(sys.stdin)\n"
		  "sys.exit(0 if eval(os.environ[\"JSON_TEST\"]) else 1)\n'", "w");
	if (!p)
		return false;
	fputs(out, p);
	status = pclose(p);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
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
	/* The legacy group only: its own status, 4 */
	fake_root_write(self->root, "etc/case1.config",
			"CONFIG_VFIO=y\nCONFIG_VFIO_GROUP=y\nCONFIG_VFIO_CONTAINER=y\n"
			"CONFIG_VFIO_NOIOMMU=y\n");
	snprintf(args, sizeof(args), "kconfig-check %s/etc/case1.config", self->root);
	ASSERT_EQ(4, cli(self->out, self->root, args));
	ASSERT_NE(NULL, strstr(self->out, "no-IOMMU mode: available through the legacy group only (path 3)"))
		TH_LOG("%s", self->out);
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
	ASSERT_NE(NULL, strstr(self->out, "noiommu " NIO_VERSION));
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

/*
 * SIZE is decimal bytes with an optional K, M or G (KiB, MiB, GiB); any
 * other form is a usage error (2) that names the argument and what is
 * wrong with it, before the device is looked at.
 */
TEST_F(cli, pa_size_is_parsed_strictly)
{
	static const struct {
		const char *arg, *shown, *why;
	} bad[] = {
		{ "17179869185G", "17179869185G", "too large" },
		{ "18446744073709551616", "18446744073709551616", "too large" },
		{ "010", "010", "leading zero" },
		{ "0x1000", "0x1000", "not a decimal number" },
		{ "-1", "-1", "not a decimal number" },
		{ "+1", "+1", "not a decimal number" },
		{ "' 1'", " 1", "not a decimal number" },
		{ "1.5M", "1.5M", "not a decimal number" },
		{ "4X", "4X", "not a decimal number" },
		{ "K", "K", "not a decimal number" },
		{ "4KB", "4KB", "not a decimal number" },
		{ "''", "", "empty" },
		{ "0", "0", "zero" },
		{ "0K", "0K", "zero" },
	};
	static const char *const good[] = {
		"1", "4096", "64K", "64k", "64KiB", "2M", "1G",
		"17179869183G",
	};
	char args[128], want[128];
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(args, sizeof(args), "pa 02:00.0 %s", bad[i].arg);
		ASSERT_EQ(2, cli(self->out, self->root, args))
			TH_LOG("%s: %s", args, self->out);
		snprintf(want, sizeof(want), "noiommu: pa: SIZE '%s' ",
			 bad[i].shown);
		ASSERT_NE(NULL, strstr(self->out, want)) TH_LOG("%s", self->out);
		ASSERT_NE(NULL, strstr(self->out, bad[i].why)) TH_LOG("%s", self->out);
		ASSERT_NE(NULL, strstr(self->out, "usage: noiommu [--json] pa"));
	}
	/* A good SIZE gets as far as the device, which has no driver */
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(args, sizeof(args), "pa 02:00.0 %s", good[i]);
		ASSERT_EQ(3, cli(self->out, self->root, args))
			TH_LOG("%s: %s", args, self->out);
		ASSERT_NE(NULL, strstr(self->out, "has no driver"));
	}
}

/* 2: the command line is wrong, nothing was done; 3: the system said no. */
TEST_F(cli, one_exit_status_per_class_of_error)
{
	static const struct {
		const char *args, *says;
	} usage[] = {
		{ "pa 02:00.0 -1", "SIZE '-1'" },
		{ "pa 02:00 4K", "'02:00' is not a PCI address" },
		{ "pa 1:2:3:4.0 4K", "'1:2:3:4.0' is not a PCI address" },
		{ "bind zz", "'zz' is not a PCI address" },
		{ "unbind 01:20.0", "out of range" },
		{ "pa --path 4 02:00.0 4K", "--path takes 1, 2 or 3, not '4'" },
		{ "pa --path=x 02:00.0 4K", "--path takes 1, 2 or 3, not 'x'" },
		{ "pa 02:00.0 4K --path", "--path needs a value" },
		{ "pa --huge --small 02:00.0 4K", "--huge and --small" },
		{ "pa --bogus 02:00.0 4K", "unknown option '--bogus'" },
		{ "pa 02:00.0", "missing SIZE" },
		{ "pa", "missing BDF" },
		{ "pa 02:00.0 4K extra", "unexpected argument 'extra'" },
		{ "bind", "missing BDF" },
		{ "status extra", "unexpected argument 'extra'" },
		{ "kconfig-check a b", "unexpected argument 'b'" },
		{ "frobnicate", "unknown command 'frobnicate'" },
		{ "--bogus status", "unknown option '--bogus'" },
	};
	static const struct {
		const char *args, *says;
	} failed[] = {
		{ "pa 04:00.0 4K", "no PCI device 0000:04:00.0" },
		{ "bind 04:00.0", "no PCI device 0000:04:00.0" },
		{ "unbind 00:01.0", "bound to virtio-pci, not vfio-pci" },
		{ "kconfig-check /nonexistent", "cannot read /nonexistent" },
	};
	unsigned int i;

	for (i = 0; i < sizeof(usage) / sizeof(usage[0]); i++) {
		ASSERT_EQ(2, cli(self->out, self->root, usage[i].args))
			TH_LOG("%s: %s", usage[i].args, self->out);
		ASSERT_NE(NULL, strstr(self->out, usage[i].says))
			TH_LOG("%s: %s", usage[i].args, self->out);
		ASSERT_NE(NULL, strstr(self->out, "usage: noiommu"));
	}
	for (i = 0; i < sizeof(failed) / sizeof(failed[0]); i++) {
		ASSERT_EQ(3, cli(self->out, self->root, failed[i].args))
			TH_LOG("%s: %s", failed[i].args, self->out);
		ASSERT_NE(NULL, strstr(self->out, failed[i].says))
			TH_LOG("%s: %s", failed[i].args, self->out);
		ASSERT_EQ(NULL, strstr(self->out, "usage:"));
	}
}

/* --root needs its DIR; the help lists the exit status of each class. */
TEST_F(cli, global_options_and_help)
{
	char cmd[512];
	FILE *p;
	size_t n;
	int status;

	snprintf(cmd, sizeof(cmd), "%s --root 2>&1", getenv("NOIOMMU_CLI"));
	p = popen(cmd, "r");
	ASSERT_NE(NULL, p);
	n = fread(self->out, 1, OUT_MAX - 1, p);
	self->out[n] = '\0';
	status = pclose(p);
	ASSERT_EQ(2, WEXITSTATUS(status));
	ASSERT_NE(NULL, strstr(self->out, "noiommu: --root needs a directory"))
		TH_LOG("%s", self->out);
	ASSERT_EQ(0, cli(self->out, self->root, "--help"));
	ASSERT_NE(NULL, strstr(self->out, "2  usage error"));
	ASSERT_NE(NULL, strstr(self->out, "3  the operation failed"));
}

/* --json: a usage error is a JSON error object on stdout too. */
TEST_F(cli, json_usage_errors_are_json)
{
	static const struct {
		const char *args, *names;
	} usage[] = {
		{ "--json pa 02:00.0 010", "SIZE '010'" },
		{ "pa 02:00.0 -1 --json", "SIZE '-1'" },
		{ "--json bind zz", "'zz' is not a PCI address" },
		{ "--json bind", "missing BDF" },
		{ "--json frobnicate", "unknown command 'frobnicate'" },
		{ "--bogus --json", "unknown option '--bogus'" },
		{ "--json", "missing COMMAND" },
	};
	char test[256];
	unsigned int i;

	for (i = 0; i < sizeof(usage) / sizeof(usage[0]); i++) {
		ASSERT_EQ(2, cli_stdout(self->out, self->root, usage[i].args));
		snprintf(test, sizeof(test),
			 "set(v) == {\"error\", \"errno\", \"message\"} and "
			 "v[\"error\"] == \"usage\" and v[\"errno\"] == 0 and "
			 "\"%s\" in v[\"message\"]", usage[i].names);
		ASSERT_TRUE(json_holds(self->out, test))
			TH_LOG("%s: %s", usage[i].args, self->out);
	}
}

/* --json: a failed operation names its errno. */
TEST_F(cli, json_errors_carry_errno)
{
	ASSERT_EQ(3, cli_stdout(self->out, self->root, "--json pa 02:00.0 4K"));
	ASSERT_TRUE(json_holds(self->out,
		"v == {\"error\": \"ENXIO\", \"errno\": 6, \"message\": v[\"message\"]} and "
		"v[\"message\"].startswith(\"0000:02:00.0 has no driver\")"))
		TH_LOG("%s", self->out);
	ASSERT_EQ(3, cli_stdout(self->out, self->root, "--json unbind 02:00.0"));
	ASSERT_TRUE(json_holds(self->out,
		"v[\"error\"] == \"EINVAL\" and v[\"errno\"] == 22 and "
		"\"not bound to vfio-pci\" in v[\"message\"]"))
		TH_LOG("%s", self->out);
	ASSERT_EQ(3, cli_stdout(self->out, self->root, "--json kconfig-check /nonexistent"));
	ASSERT_TRUE(json_holds(self->out,
		"v[\"error\"] == \"ENOENT\" and v[\"errno\"] == 2"))
		TH_LOG("%s", self->out);
}

/* --json: what a device or the kernel does not have is null, not -1 or "". */
TEST_F(cli, json_absent_values_are_null)
{
	char args[256];

	ASSERT_EQ(0, cli_stdout(self->out, self->root, "--json list"));
	ASSERT_TRUE(json_holds(self->out,
		"no_placeholders(v) and "
		"[d for d in v if d[\"bdf\"] == \"0000:02:00.0\"] == [{"
		"\"bdf\": \"0000:02:00.0\", \"id\": \"1b36:0010\", "
		"\"class\": \"010802\", \"driver\": None, \"iommu\": \"none\", "
		"\"iommu_group\": None, \"group_node\": None, \"cdev\": None, "
		"\"cdev_node\": None}] and "
		"[d[\"iommu_group\"] for d in v] == [None, 0, None, 7]"))
		TH_LOG("%s", self->out);
	ASSERT_EQ(0, cli_stdout(self->out, self->root, "--json status"));
	ASSERT_TRUE(json_holds(self->out, "no_placeholders(v)")) TH_LOG("%s", self->out);

	/* Unbound with no driver recorded by bind: nothing was restored */
	fake_root_write(self->root, "sys/bus/pci/drivers/vfio-pci/unbind", "");
	fake_root_write(self->root, "sys/bus/pci/drivers_probe", "");
	ASSERT_EQ(0, cli_stdout(self->out, self->root, "--json unbind 01:00.0"));
	ASSERT_TRUE(json_holds(self->out,
		"set(v) == {\"bdf\", \"driver\", \"restored\"} and "
		"v[\"bdf\"] == \"0000:01:00.0\" and v[\"restored\"] is None"))
		TH_LOG("%s", self->out);

	/* No vfio module, no /dev/iommu: parameter and GET_PA unknown */
	fake_root_remove(self->root);
	self->root = fake_root_create(true, false);
	snprintf(args, sizeof(args), "%s/sys/module/vfio/parameters/enable_unsafe_noiommu_mode",
		 self->root);
	ASSERT_EQ(0, unlink(args));
	ASSERT_EQ(0, cli_stdout(self->out, self->root, "--json status"));
	ASSERT_TRUE(json_holds(self->out,
		"no_placeholders(v) and v[\"noiommu_param\"] is None and "
		"v[\"get_pa\"] is None and v[\"config\"][\"matrix_case\"] == 3"))
		TH_LOG("%s", self->out);

	/* A config without VFIO is in no case of the matrix */
	fake_root_write(self->root, "etc/novfio.config", "CONFIG_PCI=y\n");
	snprintf(args, sizeof(args), "--json kconfig-check %s/etc/novfio.config",
		 self->root);
	ASSERT_EQ(1, cli_stdout(self->out, self->root, args));
	ASSERT_TRUE(json_holds(self->out,
		"no_placeholders(v) and v[\"matrix_case\"] is None and "
		"v[\"usable\"] is False"))
		TH_LOG("%s", self->out);
	ASSERT_EQ(0, cli_stdout(self->out, self->root, "--json --version"));
	ASSERT_TRUE(json_holds(self->out, "v == {\"version\": \"" NIO_VERSION "\"}"))
		TH_LOG("%s", self->out);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * noiommu: inspect and prepare a machine for userspace DMA with or without
 * an IOMMU, on top of libnoiommu. See noiommu.1 / `noiommu --help`.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "noiommu.h"
#include "json.h"

/*
 * One exit status per class of outcome (noiommu.1, EXIT STATUS):
 *   0 success; 1 the answer is no (kconfig-check: no-IOMMU mode not
 *   available); 2 the command line is wrong, nothing was done; 3 the
 *   operation failed: the system or the kernel refused or could not do it;
 *   4 the answer is "only the legacy way" (kconfig-check: no-IOMMU mode
 *   through the group and pagemap, no path 1).
 */
#define EXIT_NO 1
#define EXIT_USAGE 2
#define EXIT_FAILED 3
#define EXIT_LEGACY_ONLY 4

static bool json;

struct command {
	const char *name;
	const char *args;
	const char *summary;
	const char *help;
	int (*run)(int argc, char **argv);
};

/* The command being run, for the usage line of a usage error */
static const struct command *current;

static void print_usage_line(FILE *f);

/*
 * The command line cannot be used: say which argument is wrong and why
 * ("noiommu: COMMAND: ..."), then how the command is used. Returns
 * EXIT_USAGE.
 */
static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (json)
		json_error("usage", 0, msg);
	if (current)
		fprintf(stderr, "noiommu: %s: %s\n", current->name, msg);
	else
		fprintf(stderr, "noiommu: %s\n", msg);
	print_usage_line(stderr);
	return EXIT_USAGE;
}

/* The symbolic name of the errnos libnoiommu returns, for --json */
static const char *errno_name(int err)
{
	static const struct {
		int err;
		const char *name;
	} names[] = {
		{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { EINTR, "EINTR" },
		{ EIO, "EIO" }, { ENXIO, "ENXIO" }, { E2BIG, "E2BIG" },
		{ EBADF, "EBADF" }, { EAGAIN, "EAGAIN" }, { ENOMEM, "ENOMEM" },
		{ EACCES, "EACCES" }, { EFAULT, "EFAULT" }, { EBUSY, "EBUSY" },
		{ EEXIST, "EEXIST" }, { EXDEV, "EXDEV" }, { ENODEV, "ENODEV" },
		{ ENOTDIR, "ENOTDIR" }, { EISDIR, "EISDIR" },
		{ EINVAL, "EINVAL" }, { ENFILE, "ENFILE" }, { EMFILE, "EMFILE" },
		{ ENOTTY, "ENOTTY" }, { ENOSPC, "ENOSPC" }, { EROFS, "EROFS" },
		{ ERANGE, "ERANGE" }, { ENAMETOOLONG, "ENAMETOOLONG" },
		{ ENOSYS, "ENOSYS" }, { ELOOP, "ELOOP" },
		{ EOPNOTSUPP, "EOPNOTSUPP" }, { ETIMEDOUT, "ETIMEDOUT" },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].err == err)
			return names[i].name;
	return "failed";
}

/*
 * The system or the kernel refused or failed: ret is the library's
 * -errno and nio_errmsg() says why. Returns EXIT_FAILED.
 */
static int error(int ret, const char *what)
{
	if (json)
		json_error(errno_name(-ret), -ret, nio_errmsg());
	fprintf(stderr, "noiommu: %s: %s\n", what, nio_errmsg());
	return EXIT_FAILED;
}

static const char *opt_char(char c)
{
	return c == 'y' ? "y" : c == 'm' ? "m" : "n";
}

/* ---- help ---- */

static const struct command *commands(void);

static void print_usage(FILE *f)
{
	const struct command *c;

	fprintf(f,
		"usage: noiommu [--json] [--root DIR] COMMAND [ARGS]\n"
		"\n"
		"Userspace DMA with or without an IOMMU: what this kernel offers,\n"
		"which devices can be used, and their physical addresses.\n"
		"\n"
		"Commands:\n");
	for (c = commands(); c->name; c++)
		fprintf(f, "  %-14s %-16s %s\n", c->name, c->args, c->summary);
	fprintf(f,
		"\n"
		"Options:\n"
		"  --json        one JSON value on stdout, errors included; absent values\n"
		"                are null, errors {\"error\", \"errno\", \"message\"}\n"
		"  --root DIR    read /sys, /dev and /proc under DIR (tests)\n"
		"  --help        this text; 'noiommu COMMAND --help' for a command\n"
		"  --version     print the version\n"
		"\n"
		"Exit status:\n"
		"  0  success\n"
		"  1  the answer is no: kconfig-check found no-IOMMU mode not available\n"
		"  2  usage error: unknown command or option, missing or extra argument,\n"
		"     malformed BDF, SIZE or N; nothing was done\n"
		"  3  the operation failed: the system or the kernel refused or could\n"
		"     not do it (no such device, not bound to vfio-pci, no permission,\n"
		"     unreadable file, ...)\n"
		"  4  kconfig-check: no-IOMMU mode through the legacy group only (no\n"
		"     path 1: no-IOMMU cdev, IOMMUFD and GET_PA)\n"
		"Messages go to stderr and name the argument or the cause. See noiommu(1).\n");
}

/* The usage of the current command, or of noiommu itself. */
static void print_usage_line(FILE *f)
{
	if (!current) {
		fprintf(f, "usage: noiommu [--json] [--root DIR] COMMAND [ARGS] (see 'noiommu --help')\n");
		return;
	}
	fprintf(f, "usage: noiommu [--json] %s%s%s (see 'noiommu %s --help')\n",
		current->name, current->args[0] ? " " : "", current->args,
		current->name);
}

/*
 * Commands that take positional arguments only: between min and max of
 * them after argv[0], the command; missing names what the first one is.
 */
static int check_arg_count(int argc, char **argv, int min, int max,
			   const char *missing)
{
	if (argc - 1 < min)
		return usage_error("missing %s", missing);
	if (argc - 1 > max)
		return usage_error("unexpected argument '%s'", argv[max + 1]);
	return 0;
}

/* A BDF given on the command line; a malformed one is a usage error. */
static int parse_bdf(const char *arg, char bdf[NIO_BDF_LEN])
{
	if (nio_bdf_normalize(arg, bdf))
		return usage_error("%s", nio_errmsg());
	return 0;
}

static bool wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return true;
	return false;
}

static int command_help(const struct command *c)
{
	printf("usage: noiommu [--json] %s%s%s\n\n%s\n", c->name,
	       c->args[0] ? " " : "", c->args, c->help);
	return 0;
}

/* ---- status ---- */

static void status_text(const struct nio_status *st)
{
	const struct nio_kconfig *k = &st->config;

	printf("kernel          %s\n", st->kernel_release);
	printf("no-IOMMU mode   %s\n", st->noiommu_param < 0 ? "not available (no vfio parameter)" :
	       st->noiommu_param ? "on (enable_unsafe_noiommu_mode=Y)" : "off (enable_unsafe_noiommu_mode=N)");
	if (st->config_known) {
		printf("config          %s: VFIO_NOIOMMU=%s VFIO_GROUP=%s VFIO_CONTAINER=%s IOMMUFD_VFIO_CONTAINER=%s VFIO_DEVICE_CDEV=%s IOMMUFD=%s IOMMUFD_NOIOMMU=%s\n",
		       st->config_source, opt_char(k->vfio_noiommu),
		       opt_char(k->vfio_group), opt_char(k->vfio_container),
		       opt_char(k->iommufd_vfio_container),
		       opt_char(k->vfio_device_cdev), opt_char(k->iommufd),
		       opt_char(k->iommufd_noiommu));
		printf("                %s\n", k->why);
	} else {
		printf("config          not readable (no /proc/config.gz or /boot/config-%s)\n",
		       st->kernel_release);
	}
	printf("nodes           %u no-IOMMU group(s) /dev/vfio/noiommu-N, %u IOMMU group(s), %u no-IOMMU cdev(s) /dev/vfio/devices/noiommu-vfioN, %u IOMMU cdev(s), /dev/iommu %s\n",
	       st->noiommu_group_nodes, st->group_nodes,
	       st->noiommu_cdev_nodes, st->cdev_nodes,
	       st->dev_iommu ? "present" : "absent");
	printf("GET_PA ioctl    %s\n", st->get_pa == 1 ? "supported" :
	       st->get_pa == 0 ? "not supported by this kernel" :
	       "unknown (cannot open /dev/iommu)");
	printf("taint           0x%lx%s\n", st->taint,
	       st->taint_user ? " (TAINT_USER set: no-IOMMU mode has exposed a device)" : "");
	printf("best path       %s: %s\n", nio_path_name(st->best_path), st->why);
}

static void status_json(const struct nio_status *st)
{
	const struct nio_kconfig *k = &st->config;

	printf("{");
	json_kv_str(true, "kernel", st->kernel_release);
	json_kv_int_or_null(false, "noiommu_param", st->noiommu_param,
			    st->noiommu_param >= 0);
	printf(", \"config\": ");
	if (st->config_known) {
		printf("{");
		json_kv_str(true, "source", st->config_source);
		json_kv_str(false, "VFIO_NOIOMMU", opt_char(k->vfio_noiommu));
		json_kv_str(false, "VFIO_GROUP", opt_char(k->vfio_group));
		json_kv_str(false, "VFIO_CONTAINER", opt_char(k->vfio_container));
		json_kv_str(false, "IOMMUFD_VFIO_CONTAINER", opt_char(k->iommufd_vfio_container));
		json_kv_str(false, "VFIO_DEVICE_CDEV", opt_char(k->vfio_device_cdev));
		json_kv_str(false, "IOMMUFD", opt_char(k->iommufd));
		json_kv_str(false, "IOMMUFD_NOIOMMU", opt_char(k->iommufd_noiommu));
		json_kv_int_or_null(false, "matrix_case", k->matrix_case,
				    k->matrix_case > 0);
		printf("}");
	} else {
		printf("null");
	}
	json_kv_num(false, "noiommu_group_nodes", st->noiommu_group_nodes);
	json_kv_num(false, "group_nodes", st->group_nodes);
	json_kv_num(false, "noiommu_cdev_nodes", st->noiommu_cdev_nodes);
	json_kv_num(false, "cdev_nodes", st->cdev_nodes);
	json_kv_bool(false, "dev_iommu", st->dev_iommu);
	json_kv_int_or_null(false, "get_pa", st->get_pa, st->get_pa >= 0);
	json_kv_num(false, "taint", st->taint);
	json_kv_bool(false, "taint_user", st->taint_user);
	json_kv_str(false, "best_path", nio_path_name(st->best_path));
	json_kv_int_or_null(false, "best_path_number", st->best_path,
			    st->best_path != NIO_PATH_NONE);
	json_kv_str(false, "why", st->why);
	printf("}\n");
}

static int cmd_status(int argc, char **argv)
{
	struct nio_status st = NIO_SIZED_INIT(st);
	int ret = check_arg_count(argc, argv, 0, 0, "");

	if (ret)
		return ret;
	ret = nio_status_read(&st);
	if (ret)
		return error(ret, "reading the kernel's state");
	if (json)
		status_json(&st);
	else
		status_text(&st);
	return 0;
}

/* ---- list ---- */

static const char *iommu_kind(const struct nio_pci_info *d)
{
	return d->has_iommu ? "iommu" : d->noiommu ? "no-iommu" : "none";
}

static void list_json(const struct nio_pci_info *v, size_t n)
{
	size_t i;

	printf("[");
	for (i = 0; i < n; i++) {
		printf("%s{", i ? ", " : "");
		json_kv_str(true, "bdf", v[i].bdf);
		printf(", \"id\": \"%04x:%04x\", \"class\": \"%06x\"",
		       v[i].vendor, v[i].device, v[i].class_code);
		json_kv_str_or_null(false, "driver", v[i].driver);
		json_kv_str(false, "iommu", iommu_kind(&v[i]));
		json_kv_int_or_null(false, "iommu_group", v[i].iommu_group,
				    v[i].iommu_group >= 0);
		json_kv_str_or_null(false, "group_node", v[i].group_node);
		json_kv_str_or_null(false, "cdev", v[i].cdev_name);
		json_kv_str_or_null(false, "cdev_node", v[i].cdev_node);
		printf("}");
	}
	printf("]\n");
}

static void list_text(const struct nio_pci_info *v, size_t n)
{
	size_t i;

	printf("%-13s %-9s %-6s %-10s %-8s %-20s %s\n", "BDF", "ID", "CLASS",
	       "DRIVER", "IOMMU", "GROUP NODE", "CDEV NODE");
	for (i = 0; i < n; i++)
		printf("%-13s %04x:%04x %06x %-10s %-8s %-20s %s\n", v[i].bdf,
		       v[i].vendor, v[i].device, v[i].class_code,
		       v[i].driver[0] ? v[i].driver : "-", iommu_kind(&v[i]),
		       v[i].group_node[0] ? v[i].group_node : "-",
		       v[i].cdev_node[0] ? v[i].cdev_node :
		       v[i].cdev_name[0] ? "(no node: VFIO_DEVICE_CDEV off)" : "-");
}

static int cmd_list(int argc, char **argv)
{
	struct nio_pci_info *v;
	size_t n;
	int ret = check_arg_count(argc, argv, 0, 0, "");

	if (ret)
		return ret;
	ret = nio_pci_list(&v, &n);
	if (ret)
		return error(ret, "listing PCI devices");
	if (json)
		list_json(v, n);
	else
		list_text(v, n);
	free(v);
	return 0;
}

/* ---- bind / unbind: the previous driver is remembered in a state file ---- */

/* mkdir -p */
static void make_dirs(char *path)
{
	char *p;

	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	mkdir(path, 0755);
}

static const char *state_file(const char *bdf, char *buf, size_t len)
{
	const char *dir = getenv("NOIOMMU_STATE_DIR");

	snprintf(buf, len, "%s", dir ? dir : "/run/noiommu");
	make_dirs(buf);
	snprintf(buf, len, "%s/%s.driver", dir ? dir : "/run/noiommu", bdf);
	return buf;
}

/* The one argument of bind and unbind: a BDF */
static int parse_only_bdf(int argc, char **argv, char bdf[NIO_BDF_LEN])
{
	int ret = check_arg_count(argc, argv, 1, 1, "BDF");

	return ret ? ret : parse_bdf(argv[1], bdf);
}

static int cmd_bind(int argc, char **argv)
{
	char bdf[NIO_BDF_LEN], prev[64], path[PATH_MAX];
	FILE *f;
	int ret;

	ret = parse_only_bdf(argc, argv, bdf);
	if (ret)
		return ret;
	ret = nio_pci_bind_vfio(bdf, prev, sizeof(prev));
	if (ret)
		return error(ret, "bind");
	/* Remember the first driver only: a second bind must not make
	 * unbind "restore" vfio-pci. */
	state_file(bdf, path, sizeof(path));
	if (strcmp(prev, "vfio-pci")) {
		f = fopen(path, "w");
		if (!f || fprintf(f, "%s\n", prev) < 0)
			fprintf(stderr, "noiommu: warning: cannot record the previous driver in %s: 'unbind' will let the kernel pick one\n",
				path);
		if (f)
			fclose(f);
	}
	if (json) {
		printf("{");
		json_kv_str(true, "bdf", bdf);
		json_kv_str(false, "driver", "vfio-pci");
		json_kv_str_or_null(false, "previous_driver", prev);
		printf("}\n");
	} else if (!strcmp(prev, "vfio-pci")) {
		printf("%s: already bound to vfio-pci\n", bdf);
	} else {
		printf("%s: bound to vfio-pci (was %s)\n", bdf,
		       prev[0] ? prev : "unbound");
	}
	return 0;
}

static int cmd_unbind(int argc, char **argv)
{
	char bdf[NIO_BDF_LEN], prev[64] = "", path[PATH_MAX];
	struct nio_pci_info info = NIO_SIZED_INIT(info);
	FILE *f;
	int ret;

	ret = parse_only_bdf(argc, argv, bdf);
	if (ret)
		return ret;
	state_file(bdf, path, sizeof(path));
	f = fopen(path, "r");
	if (f) {
		if (!fgets(prev, sizeof(prev), f))
			prev[0] = '\0';
		prev[strcspn(prev, "\n")] = '\0';
		fclose(f);
	}
	ret = nio_pci_unbind_vfio(bdf, prev);
	if (ret)
		return error(ret, "unbind");
	unlink(path);
	ret = nio_pci_info(bdf, &info);
	if (ret)
		return error(ret, "unbind");
	if (json) {
		printf("{");
		json_kv_str(true, "bdf", bdf);
		json_kv_str_or_null(false, "driver", info.driver);
		json_kv_str_or_null(false, "restored", prev);
		printf("}\n");
	} else {
		printf("%s: unbound from vfio-pci, now %s%s\n", bdf,
		       info.driver[0] ? "bound to " : "without a driver",
		       info.driver);
	}
	return 0;
}

/* ---- pa ---- */

/*
 * SIZE: a decimal number of bytes, optionally followed by K, M or G
 * (KiB, MiB, GiB: 1024, 1024^2, 1024^3; case does not matter, "iB" may
 * follow). No leading zero (is 010 eight or ten?), no sign, no spaces,
 * no hex; zero and sizes that do not fit in a size_t are refused.
 */
static int parse_size(const char *arg, size_t *out)
{
	static const char units[] = "kmg";
	const char *p = arg, *unit;
	size_t v = 0;
	int shift = 0;

	if (!*arg)
		return usage_error("SIZE '' is empty: give a number of bytes, e.g. 4096, 64K or 2M");
	if (arg[0] == '0' && isdigit((unsigned char)arg[1]))
		return usage_error("SIZE '%s' has a leading zero: write it in decimal without one",
				   arg);
	for (; isdigit((unsigned char)*p); p++) {
		if (v > (SIZE_MAX - (size_t)(*p - '0')) / 10)
			goto too_large;
		v = v * 10 + (size_t)(*p - '0');
	}
	unit = *p ? strchr(units, tolower((unsigned char)*p)) : NULL;
	if (unit) {
		shift = 10 * (int)(unit - units + 1);
		p++;
		if (!strcmp(p, "iB"))
			p += 2;
	}
	if (p == arg || (unit && p == arg + 1) || *p)
		return usage_error("SIZE '%s' is not a decimal number of bytes with an optional K, M or G suffix (e.g. 4096, 64K, 2M)",
				   arg);
	if (v == 0)
		return usage_error("SIZE '%s' is zero: give at least one byte",
				   arg);
	if (v > SIZE_MAX >> shift)
		goto too_large;
	*out = v << shift;
	return 0;
too_large:
	return usage_error("SIZE '%s' is too large: at most %zu bytes",
			   arg, (size_t)SIZE_MAX);
}

/* --path N: 1 noiommu-cdev, 2 iommu-cdev, 3 legacy-group */
static int parse_path(const char *arg, unsigned int *paths)
{
	if (strlen(arg) != 1 || arg[0] < '1' || arg[0] > '3')
		return usage_error("--path takes 1, 2 or 3, not '%s' (1 noiommu-cdev, 2 iommu-cdev, 3 legacy-group)",
				   arg);
	*paths = NIO_PATH_BIT(arg[0] - '0');
	return 0;
}

struct pa_args {
	unsigned int flags;		/* NIO_DMA_* */
	struct nio_open_opts opts;
	char bdf[NIO_BDF_LEN];
	size_t size;
};

/* "-1" is a (bad) SIZE, not an option: options never start with a digit. */
static bool is_option(const char *arg)
{
	return arg[0] == '-' && arg[1] && !isdigit((unsigned char)arg[1]);
}

/*
 * pa [--huge|--small] [--path N] BDF SIZE, options anywhere until "--".
 * Parsed by hand rather than with getopt, which takes "-1" for an option.
 */
static int pa_parse(int argc, char **argv, struct pa_args *a)
{
	const char *pos[2] = { NULL, NULL };
	bool options_end = false;
	int i, n = 0, ret = 0;

	for (i = 1; i < argc && !ret; i++) {
		const char *arg = argv[i];

		if (options_end || !is_option(arg)) {
			if (n == 2)
				return usage_error("unexpected argument '%s'", arg);
			pos[n++] = arg;
		} else if (!strcmp(arg, "--")) {
			options_end = true;
		} else if (!strcmp(arg, "--huge") || !strcmp(arg, "-H")) {
			a->flags |= NIO_DMA_HUGE;
		} else if (!strcmp(arg, "--small") || !strcmp(arg, "-s")) {
			a->flags |= NIO_DMA_SMALL;
		} else if (!strncmp(arg, "--path=", 7)) {
			ret = parse_path(arg + 7, &a->opts.paths);
		} else if (!strcmp(arg, "--path") || !strcmp(arg, "-p")) {
			if (++i == argc)
				return usage_error("%s needs a value: 1, 2 or 3", arg);
			ret = parse_path(argv[i], &a->opts.paths);
		} else {
			return usage_error("unknown option '%s'", arg);
		}
	}
	if (ret)
		return ret;
	if ((a->flags & NIO_DMA_HUGE) && (a->flags & NIO_DMA_SMALL))
		return usage_error("--huge and --small exclude each other");
	if (n < 2)
		return usage_error("missing %s", n ? "SIZE" : "BDF and SIZE");
	ret = parse_bdf(pos[0], a->bdf);
	return ret ? ret : parse_size(pos[1], &a->size);
}

static void pa_print(const struct nio_device *dev, const struct nio_dma *dma)
{
	size_t i;

	if (json) {
		printf("{");
		json_kv_str(true, "bdf", nio_device_bdf(dev));
		json_kv_str(false, "path", nio_path_name(nio_device_path(dev)));
		json_kv_str(false, "why", nio_device_why(dev));
		json_kv_num(false, "size", dma->size);
		json_kv_num(false, "page_size", dma->page_size);
		/* Not a device address: segments[].addr are. The legacy
		 * path has no IOAS, so no key. */
		if (nio_device_path(dev) == NIO_PATH_LEGACY_GROUP)
			json_kv_null(false, "lookup_key");
		else
			json_kv_num(false, "lookup_key", dma->lookup_key);
		printf(", \"segments\": [");
		for (i = 0; i < dma->nsegs; i++)
			printf("%s{\"offset\": %zu, \"addr\": %llu, \"len\": %llu}",
			       i ? ", " : "", dma->segs[i].offset,
			       (unsigned long long)dma->segs[i].addr,
			       (unsigned long long)dma->segs[i].len);
		printf("]}\n");
		return;
	}
	printf("device   %s\npath     %s\n", nio_device_bdf(dev),
	       nio_device_why(dev));
	printf("buffer   %zu bytes at VA %p, %zu KiB pages\n", dma->size,
	       dma->vaddr, dma->page_size >> 10);
	if (nio_device_path(dev) == NIO_PATH_NOIOMMU_CDEV)
		printf("key      0x%llx (IOAS IOVA: only a lookup key, never a device address; the device gets the addresses below)\n",
		       (unsigned long long)dma->lookup_key);
	printf("runs     %zu\n", dma->nsegs);
	printf("%-12s %-18s %s\n", "OFFSET", "DEVICE ADDRESS", "LENGTH");
	for (i = 0; i < dma->nsegs; i++)
		printf("0x%-10zx 0x%-16llx %llu\n", dma->segs[i].offset,
		       (unsigned long long)dma->segs[i].addr,
		       (unsigned long long)dma->segs[i].len);
}

static int cmd_pa(int argc, char **argv)
{
	struct pa_args a = { .opts = NIO_SIZED_INIT(a.opts) };
	struct nio_device *dev;
	struct nio_dma *dma;
	struct nio_ctx *ctx;
	int ret;

	ret = pa_parse(argc, argv, &a);
	if (ret)
		return ret;
	ret = nio_ctx_new(&ctx);
	if (ret)
		return error(ret, "pa");
	ret = nio_device_open(ctx, a.bdf, &a.opts, &dev);
	if (ret) {
		ret = error(ret, "opening the device");
		goto out;
	}
	ret = nio_dma_alloc(ctx, a.size, a.flags, &dma);
	if (ret) {
		ret = error(ret, "allocating DMA memory");
		goto out;
	}
	pa_print(dev, dma);
out:
	nio_ctx_free(ctx);
	return ret;
}

/* ---- kconfig-check ---- */

/*
 * Without a file: the running kernel's config, counting what the modules of
 * vfio-noiommu-dkms add when they are installed for it.
 */
static int cmd_kconfig_check(int argc, char **argv)
{
	char source[256];
	struct nio_kconfig k;
	bool usable;
	int ret = check_arg_count(argc, argv, 0, 1, "");

	if (ret)
		return ret;
	if (argc == 2) {
		snprintf(source, sizeof(source), "%s", argv[1]);
		ret = nio_kconfig_read(argv[1], &k);
	} else {
		ret = nio_kconfig_running(&k, source, sizeof(source));
	}
	if (ret)
		return error(ret, "kconfig-check");
	usable = k.noiommu_possible && k.noiommu_enabled;
	if (json) {
		printf("{");
		json_kv_str(true, "file", source);
		json_kv_int_or_null(false, "matrix_case", k.matrix_case,
				    k.matrix_case > 0);
		json_kv_str(false, "VFIO", opt_char(k.vfio));
		json_kv_str(false, "VFIO_GROUP", opt_char(k.vfio_group));
		json_kv_str(false, "VFIO_CONTAINER", opt_char(k.vfio_container));
		json_kv_str(false, "IOMMUFD_VFIO_CONTAINER", opt_char(k.iommufd_vfio_container));
		json_kv_str(false, "VFIO_DEVICE_CDEV", opt_char(k.vfio_device_cdev));
		json_kv_str(false, "IOMMUFD", opt_char(k.iommufd));
		json_kv_str(false, "IOMMUFD_NOIOMMU", opt_char(k.iommufd_noiommu));
		json_kv_str(false, "VFIO_NOIOMMU", opt_char(k.vfio_noiommu));
		json_kv_bool(false, "noiommu_possible", k.noiommu_possible);
		json_kv_bool(false, "noiommu_enabled", k.noiommu_enabled);
		json_kv_bool(false, "noiommu_cdev", k.noiommu_cdev);
		json_kv_bool(false, "usable", usable);
		json_kv_str(false, "why", k.why);
		printf("}\n");
	} else {
		printf("%s: %s\n", source, k.why);
		printf("no-IOMMU mode: %s\n", !usable ? "NOT available" :
		       k.noiommu_cdev ? "available (path 1: no-IOMMU cdev + IOMMUFD)" :
		       "available through the legacy group only (path 3)");
	}
	if (!usable)
		return EXIT_NO;
	return k.noiommu_cdev ? 0 : EXIT_LEGACY_ONLY;
}

/* ---- dispatch ---- */

static const struct command command_table[] = {
	{ "status", "", "what this kernel offers for no-IOMMU DMA",
	  "Show the no-IOMMU module parameter, the kernel config (from\n"
	  "/proc/config.gz or /boot/config-RELEASE when readable), the VFIO and\n"
	  "IOMMUFD nodes present, whether IOMMU_IOAS_NOIOMMU_GET_PA exists, the\n"
	  "kernel's taint and the best DMA path a no-IOMMU device would get.",
	  cmd_status },
	{ "list", "", "PCI devices and how VFIO sees them",
	  "List every PCI device: address, vendor:device, class, driver, whether\n"
	  "it is behind an IOMMU, has a VFIO no-IOMMU group or neither, and its\n"
	  "VFIO group node and device cdev node when they exist.",
	  cmd_list },
	{ "bind", "BDF", "hand a device to vfio-pci",
	  "Unbind BDF from its driver and bind it to vfio-pci (driver_override).\n"
	  "The previous driver is remembered in /run/noiommu (NOIOMMU_STATE_DIR)\n"
	  "for 'unbind'. A device without an IOMMU binds only when no-IOMMU mode\n"
	  "is on; the error says how to turn it on.",
	  cmd_bind },
	{ "unbind", "BDF", "give a device back to its driver",
	  "Unbind BDF from vfio-pci, clear driver_override and bind it to the\n"
	  "driver it had before 'noiommu bind' (or let the kernel pick one).\n"
	  "A device not bound to vfio-pci is refused and left as it is.",
	  cmd_unbind },
	{ "pa", "[--huge|--small] [--path N] BDF SIZE",
	  "allocate DMA memory, print its device addresses",
	  "Open BDF through the best DMA path (or path N: 1 no-IOMMU cdev,\n"
	  "2 IOMMU cdev, 3 legacy group), allocate SIZE bytes of DMA memory and\n"
	  "print its physically contiguous runs: offset, device address, length.\n"
	  "SIZE is a decimal number without leading zeros, optionally followed by\n"
	  "K, M or G (KiB, MiB, GiB: 1024, 1024^2, 1024^3 bytes), e.g. 4096, 64K,\n"
	  "2M. --huge requires 2 MiB pages, --small uses 4 KiB pages; by default\n"
	  "buffers of 2 MiB or more use huge pages when available. The memory is\n"
	  "released when the command exits.",
	  cmd_pa },
	{ "kconfig-check", "[CONFIG_FILE]", "which matrix case a .config is",
	  "Read a kernel .config (plain or gzip, e.g. /proc/config.gz), say which\n"
	  "case of the VFIO Kconfig matrix it is, whether no-IOMMU mode is\n"
	  "available and why not. Without CONFIG_FILE: the running kernel's\n"
	  "config (/proc/config.gz or /boot/config-RELEASE), with what the\n"
	  "modules of vfio-noiommu-dkms add when they are installed for it.\n"
	  "Exit status 0 when path 1 (the no-IOMMU cdev) is available, 4 when\n"
	  "only the legacy group is, 1 when no-IOMMU mode is not available.",
	  cmd_kconfig_check },
	{ 0 }
};

static const struct command *commands(void)
{
	return command_table;
}

static void print_version(void)
{
	if (json) {
		printf("{");
		json_kv_str(true, "version", NIO_VERSION);
		printf("}\n");
	} else {
		printf("noiommu %s\n", NIO_VERSION);
	}
}

/*
 * The options before the command. Returns the index of the command, or
 * minus the exit status when there is no command to run (--help, errors).
 */
static int global_options(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--root")) {
			if (++i == argc)
				return -usage_error("--root needs a directory");
			nio_set_root(argv[i]);
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			print_usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--version")) {
			print_version();
			return 0;
		} else {
			return -usage_error("unknown option '%s'", argv[i]);
		}
	}
	if (i == argc)
		return -usage_error("missing COMMAND");
	return i;
}

/*
 * --json anywhere: "noiommu status --json" works as well as "noiommu
 * --json status", and an error in the options before it is JSON too.
 */
static int take_json_option(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json"))
			continue;
		json = true;
		memmove(&argv[i], &argv[i + 1], (size_t)(argc - i) * sizeof(*argv));
		argc--;
		i--;
	}
	return argc;
}

int main(int argc, char **argv)
{
	const struct command *c;
	int i;

	argc = take_json_option(argc, argv);
	i = global_options(argc, argv);
	if (i <= 0)
		return -i;
	for (c = commands(); c->name; c++) {
		if (strcmp(c->name, argv[i]))
			continue;
		current = c;
		if (wants_help(argc - i, argv + i))
			return command_help(c);
		return c->run(argc - i, argv + i);
	}
	return usage_error("unknown command '%s'", argv[i]);
}

// SPDX-License-Identifier: GPL-2.0
/* Helpers shared by the lab's guest tests; see lab_guest.h. */
#define _GNU_SOURCE
#include "lab_guest.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/iommufd.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

static unsigned long read_hex_file(const char *path)
{
	unsigned long v = 0;
	FILE *f = fopen(path, "r");

	if (f) {
		if (fscanf(f, "%lx", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

bool lab_find_pci(uint16_t vendor, uint16_t device, int index, char *bdf)
{
	struct dirent **names;
	char path[PATH_MAX];
	bool found = false;
	int n, i;

	n = scandir("/sys/bus/pci/devices", &names, NULL, alphasort);
	for (i = 0; i < n; i++) {
		const char *d = names[i]->d_name;

		if (d[0] == '.' || found)
			goto next;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor", d);
		if (read_hex_file(path) != vendor)
			goto next;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device", d);
		if (read_hex_file(path) != device)
			goto next;
		if (index-- == 0) {
			snprintf(bdf, 16, "%.15s", d);
			found = true;
		}
next:
		free(names[i]);
	}
	if (n >= 0)
		free(names);
	return found;
}

void lab_pci_driver(const char *bdf, char *driver, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0) {
		snprintf(driver, len, "%s", "");
		return;
	}
	target[n] = '\0';
	snprintf(driver, len, "%s", strrchr(target, '/') + 1);
}

int lab_iommu_group(const char *bdf)
{
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -1;
	target[n] = '\0';
	return atoi(strrchr(target, '/') + 1);
}

bool lab_vfio_cdev_name(const char *bdf, char *name, size_t len)
{
	char path[PATH_MAX];
	struct dirent *e;
	bool found = false;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vfio-dev", bdf);
	d = opendir(path);
	if (!d)
		return false;
	while (!found && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(name, len, "%s", e->d_name);
		found = true;
	}
	closedir(d);
	return found;
}

int lab_write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

int lab_bind_vfio_pci(const char *bdf)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override",
		 bdf);
	if (lab_write_file(path, "vfio-pci"))
		return -1;
	return lab_write_file("/sys/bus/pci/drivers_probe", bdf);
}

int lab_drop_capability(int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];
	int word = cap / 32;
	uint32_t bit = 1u << (cap % 32);

	if (syscall(SYS_capget, &hdr, data))
		return -1;
	data[word].effective &= ~bit;
	data[word].permitted &= ~bit;
	data[word].inheritable &= ~bit;
	return syscall(SYS_capset, &hdr, data);
}

/*
 * The running kernel's config: /proc/config.gz (the lab's kernels), else
 * /boot/config-RELEASE (Debian's), with what vfio-noiommu-dkms adds in front
 * when its modules are installed for this kernel. The first value counts.
 */
#define KCONFIG_SOURCES \
	"r=$(uname -r); m=$(uname -m); " \
	"[ -e /var/lib/dkms/vfio-noiommu/kernel-$r-$m ] && " \
	"cat /usr/share/vfio-noiommu-dkms/kconfig; " \
	"zcat /proc/config.gz 2>/dev/null || cat /boot/config-$r 2>/dev/null"

int lab_kconfig(const char *name)
{
	char line[512], want[256];
	int result = -1;
	FILE *f;

	f = popen(KCONFIG_SOURCES, "r");
	if (!f)
		return -1;
	snprintf(want, sizeof(want), "CONFIG_%s=", name);
	while (fgets(line, sizeof(line), f)) {
		if (result < 0)
			result = 'n';
		if (result == 'n' && !strncmp(line, want, strlen(want)))
			result = line[strlen(want)];
	}
	pclose(f);
	return result;
}

bool lab_kconfig_enabled(const char *name)
{
	int v = lab_kconfig(name);

	return v == 'y' || v == 'm';
}

const char *lab_kconfig_source(char *buf, size_t len)
{
	char marker[256];
	struct utsname u;

	if (!access("/proc/config.gz", R_OK))
		return snprintf(buf, len, "/proc/config.gz"), buf;
	if (uname(&u))
		return NULL;
	snprintf(marker, sizeof(marker), "/var/lib/dkms/vfio-noiommu/kernel-%s-%s",
		 u.release, u.machine);
	snprintf(buf, len, "/boot/config-%s%s", u.release,
		 access(marker, F_OK) ? "" : " + vfio-noiommu-dkms");
	return buf;
}

const char *lab_cmdline_value(const char *key, char *buf, size_t len)
{
	char line[4096], *tok, *save;
	size_t klen = strlen(key);
	FILE *f = fopen("/proc/cmdline", "r");

	if (!f)
		return NULL;
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	for (tok = strtok_r(line, " \n", &save); tok;
	     tok = strtok_r(NULL, " \n", &save)) {
		if (!strncmp(tok, key, klen) && tok[klen] == '=') {
			snprintf(buf, len, "%s", tok + klen + 1);
			return buf;
		}
	}
	return NULL;
}

bool lab_noiommu_requested(void)
{
	char v[16];

	return lab_cmdline_value("vfio.enable_unsafe_noiommu_mode", v, sizeof(v)) &&
	       (v[0] == '1' || v[0] == 'Y' || v[0] == 'y');
}

bool lab_viommu(void)
{
	char v[16];

	return lab_cmdline_value("intel_iommu", v, sizeof(v)) &&
	       !strcmp(v, "on");
}

unsigned long lab_taint(void)
{
	unsigned long t = 0;
	FILE *f = fopen("/proc/sys/kernel/tainted", "r");

	if (f) {
		if (fscanf(f, "%lu", &t) != 1)
			t = 0;
		fclose(f);
	}
	return t;
}

/* syslog(2) actions; glibc's <sys/klog.h> does not name them. */
#define SYSLOG_ACTION_READ_ALL 3
#define SYSLOG_ACTION_SIZE_BUFFER 10

bool lab_kmsg_contains(const char *text)
{
	int len = klogctl(SYSLOG_ACTION_SIZE_BUFFER, NULL, 0);
	bool found = false;
	char *buf;

	if (len <= 0)
		return false;
	buf = calloc(1, len + 1);
	if (!buf)
		return false;
	len = klogctl(SYSLOG_ACTION_READ_ALL, buf, len);
	if (len > 0)
		found = strstr(buf, text) != NULL;
	free(buf);
	return found;
}

int lab_count_prefix(const char *dir, const char *prefix)
{
	struct dirent *e;
	int count = 0;
	DIR *d = opendir(dir);

	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, prefix, strlen(prefix)))
			count++;
	closedir(d);
	return count;
}

uint64_t lab_pagemap_pa(const void *addr)
{
	long page = sysconf(_SC_PAGESIZE);
	uint64_t entry = 0;
	off_t off = (uintptr_t)addr / page * sizeof(entry);
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &entry, sizeof(entry), off) != sizeof(entry))
		entry = 0;
	close(fd);
	/* Bit 63: present; bits 0-54: page frame number. */
	if (!(entry & (1ULL << 63)))
		return 0;
	return (entry & ((1ULL << 55) - 1)) * page;
}

int lab_region(int device_fd, unsigned int index, struct lab_region *r)
{
	struct vfio_region_info info = { .argsz = sizeof(info), .index = index };

	if (ioctl(device_fd, VFIO_DEVICE_GET_REGION_INFO, &info))
		return -1;
	r->offset = info.offset;
	r->size = info.size;
	return 0;
}

static int config_io(int device_fd, unsigned int off, void *buf, size_t len,
		     bool write)
{
	struct lab_region cfg;
	ssize_t n;

	if (lab_region(device_fd, VFIO_PCI_CONFIG_REGION_INDEX, &cfg))
		return -1;
	if (write)
		n = pwrite(device_fd, buf, len, cfg.offset + off);
	else
		n = pread(device_fd, buf, len, cfg.offset + off);
	return n == (ssize_t)len ? 0 : -1;
}

int lab_config_read(int device_fd, unsigned int off, void *buf, size_t len)
{
	return config_io(device_fd, off, buf, len, false);
}

int lab_config_write(int device_fd, unsigned int off, const void *buf,
		     size_t len)
{
	return config_io(device_fd, off, (void *)buf, len, true);
}

int lab_enable_bus_master(int device_fd)
{
	uint16_t cmd;

	if (lab_config_read(device_fd, PCI_COMMAND, &cmd, sizeof(cmd)))
		return -1;
	cmd |= PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY;
	return lab_config_write(device_fd, PCI_COMMAND, &cmd, sizeof(cmd));
}

volatile void *lab_map_bar(int device_fd, unsigned int bar, size_t *size)
{
	struct lab_region r;
	void *p;

	if (lab_region(device_fd, VFIO_PCI_BAR0_REGION_INDEX + bar, &r))
		return NULL;
	p = mmap(NULL, r.size, PROT_READ | PROT_WRITE, MAP_SHARED, device_fd,
		 r.offset);
	if (p == MAP_FAILED)
		return NULL;
	*size = r.size;
	return p;
}

uint32_t edu_read32(volatile void *bar, unsigned int reg)
{
	return *(volatile uint32_t *)((volatile char *)bar + reg);
}

void edu_write32(volatile void *bar, unsigned int reg, uint32_t val)
{
	*(volatile uint32_t *)((volatile char *)bar + reg) = val;
}

static void edu_write64(volatile void *bar, unsigned int reg, uint64_t val)
{
	*(volatile uint64_t *)((volatile char *)bar + reg) = val;
}

static uint64_t edu_read64(volatile void *bar, unsigned int reg)
{
	return *(volatile uint64_t *)((volatile char *)bar + reg);
}

int edu_dma(volatile void *bar, uint64_t pa, uint32_t dev_off, uint64_t len,
	    bool to_ram)
{
	struct timespec start, now, nap = { 0, 1000000 };
	uint64_t window = EDU_WINDOW + dev_off;

	if (dev_off + len > EDU_WINDOW_USABLE)
		return -1;	/* edu's range check would abort QEMU */
	edu_write64(bar, EDU_REG_DMA_SRC, to_ram ? window : pa);
	edu_write64(bar, EDU_REG_DMA_DST, to_ram ? pa : window);
	edu_write64(bar, EDU_REG_DMA_COUNT, len);
	edu_write64(bar, EDU_REG_DMA_CMD,
		    EDU_DMA_START | (to_ram ? EDU_DMA_TO_RAM : 0));
	clock_gettime(CLOCK_MONOTONIC, &start);
	/* Under TCG a transfer takes about 100 ms; give it 10 s. */
	while (edu_read64(bar, EDU_REG_DMA_CMD) & EDU_DMA_START) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec > 10)
			return -1;
		nanosleep(&nap, NULL);
	}
	return 0;
}

int edu_round_trip(volatile void *bar, uint64_t src_pa, uint64_t dst_pa,
		   size_t len)
{
	/* Half a page at a time keeps clear of the window's last byte. */
	const size_t chunk = 2048;
	size_t done;

	for (done = 0; done < len; done += chunk) {
		size_t n = len - done < chunk ? len - done : chunk;

		if (edu_dma(bar, src_pa + done, 0, n, false) ||
		    edu_dma(bar, dst_pa + done, 0, n, true))
			return -1;
	}
	return 0;
}

/* /proc/vmstat counter a minus counter b (none when NULL), or LONG_MIN */
static long vmstat_delta(const char *a, const char *b)
{
	long va = -1, vb = b ? -1 : 0, n;
	char key[64];
	FILE *f;

	/* Fold the per-CPU deltas into the global counters first */
	if (lab_write_file("/proc/sys/vm/stat_refresh", "1"))
		return LONG_MIN;
	f = fopen("/proc/vmstat", "r");
	if (!f)
		return LONG_MIN;
	while (fscanf(f, "%63s %ld", key, &n) == 2) {
		if (!strcmp(key, a))
			va = n;
		else if (b && !strcmp(key, b))
			vb = n;
	}
	fclose(f);
	return va < 0 || vb < 0 ? LONG_MIN : va - vb;
}

long lab_vmstat(const char *key)
{
	long v = vmstat_delta(key, NULL);

	return v == LONG_MIN ? -1 : v;
}

long lab_foll_pins(void)
{
	return vmstat_delta("nr_foll_pin_acquired", "nr_foll_pin_released");
}

long lab_vmpin_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmPin: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

int lab_open_noiommu_cdev(const char *bdf)
{
	char name[64], path[96];

	if (!lab_vfio_cdev_name(bdf, name, sizeof(name))) {
		errno = ENODEV;
		return -1;
	}
	snprintf(path, sizeof(path), "/dev/vfio/devices/%s", name);
	return open(path, O_RDWR);
}

int lab_bind_iommufd(int dev_fd, int iommufd, uint32_t *devid)
{
	struct vfio_device_bind_iommufd bind = {
		.argsz = sizeof(bind),
		.iommufd = iommufd,
	};
	int rc = ioctl(dev_fd, VFIO_DEVICE_BIND_IOMMUFD, &bind);

	if (!rc && devid)
		*devid = bind.out_devid;
	return rc;
}

int lab_attach_pt(int dev_fd, uint32_t pt_id, uint32_t *out_pt)
{
	struct vfio_device_attach_iommufd_pt attach = {
		.argsz = sizeof(attach),
		.pt_id = pt_id,
	};
	int rc = ioctl(dev_fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach);

	if (!rc && out_pt)
		*out_pt = attach.pt_id;
	return rc;
}

int lab_detach_pt(int dev_fd)
{
	struct vfio_device_detach_iommufd_pt detach = {
		.argsz = sizeof(detach),
	};

	return ioctl(dev_fd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &detach);
}

int lab_ioas_alloc(int iommufd, uint32_t *id)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	int rc = ioctl(iommufd, IOMMU_IOAS_ALLOC, &alloc);

	*id = alloc.out_ioas_id;
	return rc;
}

int lab_destroy(int iommufd, uint32_t id)
{
	struct iommu_destroy d = { .size = sizeof(d), .id = id };

	return ioctl(iommufd, IOMMU_DESTROY, &d);
}

struct iommu_ioas_map lab_map_cmd(uint32_t ioas, const void *va, uint64_t len,
				  uint64_t iova)
{
	return (struct iommu_ioas_map){
		.size = sizeof(struct iommu_ioas_map),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = ioas,
		.user_va = (uintptr_t)va,
		.length = len,
		.iova = iova,
	};
}

int lab_map_fixed(int iommufd, uint32_t ioas, const void *va, uint64_t len,
		  uint64_t iova)
{
	struct iommu_ioas_map map = lab_map_cmd(ioas, va, len, iova);

	return ioctl(iommufd, IOMMU_IOAS_MAP, &map);
}

int lab_unmap(int iommufd, uint32_t ioas, uint64_t iova, uint64_t len)
{
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.iova = iova,
		.length = len,
	};

	return ioctl(iommufd, IOMMU_IOAS_UNMAP, &cmd);
}

#ifdef IOMMU_IOAS_NOIOMMU_GET_PA
int lab_get_pa(int iommufd, uint32_t ioas, uint64_t iova, uint64_t *pa,
	       uint64_t *len)
{
	struct iommu_ioas_noiommu_get_pa cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.iova = iova,
		.length = UINT64_MAX,	/* the whole run; 0 is refused */
	};
	int ret = ioctl(iommufd, IOMMU_IOAS_NOIOMMU_GET_PA, &cmd);

	if (pa)
		*pa = cmd.out_phys;
	if (len)
		*len = cmd.length;
	return ret;
}
#endif

/* Wait up to timeout_ms for an eventfd to fire; returns its count or 0. */
uint64_t lab_wait_eventfd(int efd, int timeout_ms)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	uint64_t count = 0;

	if (poll(&p, 1, timeout_ms) != 1)
		return 0;
	if (read(efd, &count, sizeof(count)) != sizeof(count))
		return 0;
	return count;
}

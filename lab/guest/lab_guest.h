/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the lab's guest tests: finding the emulated devices,
 * reading the running kernel's config, VFIO region access and the edu
 * device's DMA engine. Kept independent of libnoiommu on purpose: these
 * tests prove the kernel, not the library.
 */
#ifndef LAB_GUEST_H
#define LAB_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/iommufd.h>

/*
 * The harness gives each test 30 s. Under TCG, on the debug kernel (KASAN,
 * lockdep, kmemleak) and with other guests sharing the host's two CPUs,
 * an ordinary test can take longer than that: allow 120 s, so that a
 * timeout means a hang, not a busy machine. The tests include this file
 * after kselftest_harness.h, and TEST() and TEST_F() read the default
 * where they are used.
 */
#ifdef TEST_TIMEOUT_DEFAULT
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 120
#endif

/* QEMU's NVMe controller (-device nvme) */
#define QEMU_NVME_VENDOR 0x1b36
#define QEMU_NVME_DEVICE 0x0010

#define EDU_VENDOR 0x1234
#define EDU_DEVICE 0x11e8
#define EDU_REG_ID 0x00
#define EDU_REG_LIVENESS 0x04
#define EDU_REG_IRQ_STATUS 0x24
#define EDU_REG_IRQ_RAISE 0x60
#define EDU_REG_IRQ_ACK 0x64
#define EDU_REG_DMA_SRC 0x80
#define EDU_REG_DMA_DST 0x88
#define EDU_REG_DMA_COUNT 0x90
#define EDU_REG_DMA_CMD 0x98
#define EDU_DMA_START 0x1
#define EDU_DMA_TO_RAM 0x2
#define EDU_DMA_IRQ 0x4
#define EDU_ID_VALUE 0x010000ed
/* The device's DMA window; its last byte is unusable (see the spec). */
#define EDU_WINDOW 0x40000
#define EDU_WINDOW_USABLE 0xfff

#define TAINT_USER_BIT 6

/* Fill bdf (at least 16 bytes) with the index-th PCI device matching
 * vendor:device; returns false when there is no such device. */
bool lab_find_pci(uint16_t vendor, uint16_t device, int index, char *bdf);
/* Name of the driver bound to bdf ("" when none). */
void lab_pci_driver(const char *bdf, char *driver, size_t len);
/* IOMMU group number of bdf, or -1. */
int lab_iommu_group(const char *bdf);
/* Name of bdf's VFIO device cdev (e.g. "noiommu-vfio0") from sysfs
 * vfio-dev/; false when it has none. */
bool lab_vfio_cdev_name(const char *bdf, char *name, size_t len);
/* Rebind bdf to vfio-pci (driver_override + drivers_probe). */
int lab_bind_vfio_pci(const char *bdf);
/* Remove cap from this process's effective, permitted and inheritable
 * sets (the process stays uid 0, so only the capability is missing). */
int lab_drop_capability(int cap);

/* 'y', 'm' or 'n' for CONFIG_<name> of the running kernel (from
 * /proc/config.gz); -1 when the config cannot be read. */
int lab_kconfig(const char *name);
/* CONFIG_<name> is y or m */
bool lab_kconfig_enabled(const char *name);
/* Where lab_kconfig() reads the config, as libnoiommu names it:
 * "/proc/config.gz" (the lab's kernels), "/boot/config-RELEASE", with
 * " + vfio-noiommu-dkms" when that package's modules are installed. */
const char *lab_kconfig_source(char *buf, size_t len);
/* Value of a key=value token on the kernel command line, or NULL. */
const char *lab_cmdline_value(const char *key, char *buf, size_t len);
/* True when the kernel command line turned no-IOMMU mode on. */
bool lab_noiommu_requested(void);
/* True when QEMU emulates an IOMMU (lab/run --viommu): the test devices
 * are behind it, and the library takes the IOMMU cdev path. */
bool lab_viommu(void);
unsigned long lab_taint(void);
/* True when the kernel log holds a line containing text. */
bool lab_kmsg_contains(const char *text);
/* Number of entries in dir whose names start with prefix. */
int lab_count_prefix(const char *dir, const char *prefix);

/* Physical address of the page holding addr (needs CAP_SYS_ADMIN), or 0. */
uint64_t lab_pagemap_pa(const void *addr);

/* VFIO device fd helpers (group or cdev device fds alike). */
struct lab_region {
	uint64_t offset;
	uint64_t size;
};
int lab_region(int device_fd, unsigned int index, struct lab_region *r);
int lab_config_read(int device_fd, unsigned int off, void *buf, size_t len);
int lab_config_write(int device_fd, unsigned int off, const void *buf,
		     size_t len);
int lab_enable_bus_master(int device_fd);
volatile void *lab_map_bar(int device_fd, unsigned int bar, size_t *size);

/* Write text to path in one write(); 0, or -1 on failure. */
int lab_write_file(const char *path, const char *text);

/* /proc/vmstat counter key after folding the per-CPU deltas in
 * (stat_refresh); -1 when it cannot be read. */
long lab_vmstat(const char *key);
/* Pages pinned with FOLL_PIN system wide right now; LONG_MIN when the
 * counters cannot be read. */
long lab_foll_pins(void);
/* VmPin of this process in kB (pages charged to its mm), or -1. */
long lab_vmpin_kb(void);

/*
 * Thin IOMMUFD and VFIO cdev wrappers; like ioctl() they return 0, or -1
 * with errno set.
 */
/* Open bdf's VFIO device cdev read-write (ENODEV when it has none). */
int lab_open_noiommu_cdev(const char *bdf);
/* VFIO_DEVICE_BIND_IOMMUFD; *devid (if given) gets out_devid on success. */
int lab_bind_iommufd(int dev_fd, int iommufd, uint32_t *devid);
/* VFIO_DEVICE_ATTACH_IOMMUFD_PT; *out_pt (if given) gets the returned
 * pt_id on success. */
int lab_attach_pt(int dev_fd, uint32_t pt_id, uint32_t *out_pt);
/* VFIO_DEVICE_DETACH_IOMMUFD_PT. */
int lab_detach_pt(int dev_fd);
/* IOMMU_IOAS_ALLOC; *id gets out_ioas_id (0 when the call failed). */
int lab_ioas_alloc(int iommufd, uint32_t *id);
/* IOMMU_DESTROY of object id. */
int lab_destroy(int iommufd, uint32_t id);
/* The IOMMU_IOAS_MAP command lab_map_fixed() issues, for callers that
 * change a field before issuing it. */
struct iommu_ioas_map lab_map_cmd(uint32_t ioas, const void *va, uint64_t len,
				  uint64_t iova);
/* IOMMU_IOAS_MAP of len bytes at va to the fixed iova, readable and
 * writeable. */
int lab_map_fixed(int iommufd, uint32_t ioas, const void *va, uint64_t len,
		  uint64_t iova);
/* IOMMU_IOAS_UNMAP of [iova, iova + len). */
int lab_unmap(int iommufd, uint32_t ioas, uint64_t iova, uint64_t len);
/* IOMMU_IOAS_NOIOMMU_GET_PA of iova for the whole run (length UINT64_MAX);
 * *pa and *len (each optional) get what the kernel left in out_phys and
 * length: 0 and UINT64_MAX unless it answered. */
int lab_get_pa(int iommufd, uint32_t ioas, uint64_t iova, uint64_t *pa,
	       uint64_t *len);

/* edu: move len bytes between RAM at pa and the device window at dev_off,
 * waiting for completion. Returns 0, or -1 on timeout. */
uint32_t edu_read32(volatile void *bar, unsigned int reg);
void edu_write32(volatile void *bar, unsigned int reg, uint32_t val);
int edu_dma(volatile void *bar, uint64_t pa, uint32_t dev_off, uint64_t len,
	    bool to_ram);
/* Copy src to the device window and back into dst through RAM addresses
 * src_pa and dst_pa, in chunks that respect the window's quirk. */
int edu_round_trip(volatile void *bar, uint64_t src_pa, uint64_t dst_pa,
		   size_t len);

/* Wait up to timeout_ms for an eventfd to fire; returns its count or 0. */
uint64_t lab_wait_eventfd(int efd, int timeout_ms);

#endif

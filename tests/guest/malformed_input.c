// SPDX-License-Identifier: GPL-2.0
/*
 * Malformed input, table-driven, over every ioctl the no-IOMMU series adds
 * or changes: IOMMU_IOAS_NOIOMMU_GET_PA, IOMMU_IOAS_MAP/UNMAP/COPY and
 * IOMMU_IOAS_IOVA_RANGES/ALLOW_IOVAS on an IOAS with a no-IOMMU device
 * attached, IOMMU_HWPT_ALLOC and IOMMU_GET_HW_INFO for a no-IOMMU device,
 * IOMMU_DESTROY, and VFIO_DEVICE_BIND_IOMMUFD / ATTACH_IOMMUFD_PT /
 * DETACH_IOMMUFD_PT on the noiommu-vfioX cdev.
 *
 * Each row of MALFORMED_TABLE names a starting state, one call (or one call
 * per bit for the flag and reserved-field rows) and the exact errno the
 * kernel code gives for it (OK: must succeed). Every row is its own fixture
 * variant, so its own "ok N malformed.<row>.result" line. After the call a
 * row that failed must have changed nothing (the state's invariants still
 * hold), and once the fds are closed the pinned pages (VmPin, and the
 * system-wide nr_foll_pin_acquired - nr_foll_pin_released) and the
 * software page tables (nr_iommu_pages) must be back where the row started.
 * The after_table tests check the same against the start of the whole run
 * and that the device still opens, binds and translates.
 *
 * docs/malformed-input.md is generated from this table: run the binary
 * (on any machine, it touches no device) with MALFORMED_INPUT_MARKDOWN=1.
 *
 * Rows marked F_MOCK use IOMMUFD_TEST's mock IOMMU to check that a no-IOMMU
 * device and a device behind an IOMMU never share a domain; they skip on
 * kernels without CONFIG_IOMMUFD_TEST.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "kselftest_harness.h"
#include "lab_guest.h"
/* The mock IOMMU's test ioctl (from the kernel tree under test). */
#include "../../../drivers/iommu/iommufd/iommufd_test.h"

#define PAGE 4096UL
#define BUF_PAGES 16
/* The mapping every "attached" row starts with: buf[0..1] at MAP_IOVA. */
#define MAP_IOVA 0x100000UL
#define MAPPED (2 * PAGE)
/* An IOVA nothing is mapped at, well inside the table */
#define FREE_IOVA 0x40000000UL
/*
 * Past what a four level table reaches: the no-IOMMU table spans the whole
 * 64-bit IOVA space (mainline), growing its root for IOVAs up here.
 */
#define HIGH_IOVA (1UL << 48)
#define UNKNOWN_ID 0xfffffu
/* iommufd's IOCTL numbers the series leaves unassigned (0x8f-0x94) and
 * the first one past IOMMU_IOAS_NOIOMMU_GET_PA */
#define GAP_FIRST 0x8f
#define GAP_LAST 0x94
#define OK 0

#ifndef offsetofend
#define offsetofend(T, m) (offsetof(T, m) + sizeof(((T *)0)->m))
#endif

enum state {
	/* cdev and iommufd open, an IOAS allocated; nothing bound */
	ST_UNBOUND,
	/* + VFIO_DEVICE_BIND_IOMMUFD */
	ST_BOUND,
	/* + attached to the IOAS, buf[0..1] mapped at MAP_IOVA (pinned) */
	ST_ATTACHED,
	/* + detached again: the mapping stays in the IOAS, unpinned */
	ST_DETACHED,
};

static const char *const state_names[] = {
	[ST_UNBOUND] = "unbound",
	[ST_BOUND] = "bound",
	[ST_ATTACHED] = "attached",
	[ST_DETACHED] = "detached",
};

/* The row leaves a different state behind on purpose (and checks it) */
#define F_CHANGES 0x1
/* Needs CONFIG_IOMMUFD_TEST's mock IOMMU */
#define F_MOCK 0x2
/* Needs CONFIG_VFIO_GROUP (the device's noiommu-N group node) */
#define F_GROUP 0x4

/*
 * The table. One line per row:
 *   X(name, ioctl, starting state, errno (OK: success), flags,
 *     "input", "why: the code path or convention that gives the errno")
 * row_<name>() below makes the call(s). Source files are relative to the
 * kernel tree; "convention" is include/uapi/linux/iommufd.h's ioctl errno
 * paragraph.
 */
#define MALFORMED_TABLE(X)						\
	/* ---- IOMMU_IOAS_NOIOMMU_GET_PA (new) ---- */			\
	X(get_pa_size_zero, IOMMU_IOAS_NOIOMMU_GET_PA, ATTACHED, EINVAL, 0, \
	  "size = 0",							\
	  "main.c iommufd_fops_ioctl(): user_size < min_size")		\
	X(get_pa_size_below_min, IOMMU_IOAS_NOIOMMU_GET_PA, ATTACHED, EINVAL, 0, \
	  "size = 39: every byte up to out_phys (40) is required",	\
	  "main.c: min_size = offsetofend(out_phys) = sizeof")		\
	X(get_pa_tail_nonzero, IOMMU_IOAS_NOIOMMU_GET_PA, ATTACHED, E2BIG, 0, \
	  "size = 48, byte 47 = 1",					\
	  "copy_struct_from_user(): nonzero bytes past the known struct (convention: E2BIG)") \
	X(get_pa_tail_zero, IOMMU_IOAS_NOIOMMU_GET_PA, ATTACHED, OK, 0, \
	  "size = 48, bytes 40-47 zero",				\
	  "copy_struct_from_user() accepts a zero tail; returns buf's pagemap address, the tail untouched") \
	X(get_pa_size_past_readable, IOMMU_IOAS_NOIOMMU_GET_PA, ATTACHED, EFAULT, 0, \
	  "size = 8192, the struct at the end of a page followed by a PROT_NONE page", \
	  "copy_struct_from_user(): check_zeroed_user() faults on the tail") \
	X(get_pa_flags_each_bit, IOMMU_IOAS_NOIOMMU_GET_PA, ATTACHED, EOPNOTSUPP, 0, \
	  "flags = 1 << n for each n in 0..31 (none defined)",		\
	  "noiommu.c iommufd_ioas_noiommu_get_pa(): cmd->flags (mainline's check 2)") \
	X(get_pa_reserved_each_bit, IOMMU_IOAS_NOIOMMU_GET_PA, ATTACHED, EOPNOTSUPP, 0, \
	  "__reserved = 1 << n for each n in 0..31",			\
	  "iommufd_ioas_noiommu_get_pa(): cmd->__reserved, checked with flags (mainline's check 2)") \
	X(get_pa_length_zero, IOMMU_IOAS_NOIOMMU_GET_PA, ATTACHED, EINVAL, 0, \
	  "length = 0 (a lookup that asks for nothing)",		\
	  "iommufd_ioas_noiommu_get_pa(): !cmd->length (mainline's check 3)") \
	X(get_pa_flags_before_length, IOMMU_IOAS_NOIOMMU_GET_PA, ATTACHED, EOPNOTSUPP, 0, \
	  "flags = 1 and length = 0",					\
	  "check 2 comes before check 3")				\
	X(get_pa_length_before_iova, IOMMU_IOAS_NOIOMMU_GET_PA, ATTACHED, EINVAL, 0, \
	  "length = 0 and iova = UINT64_MAX",				\
	  "check 3 comes before check 4")				\
	X(get_pa_iova_before_ioas, IOMMU_IOAS_NOIOMMU_GET_PA, ATTACHED, EOVERFLOW, 0, \
	  "iova = UINT64_MAX and ioas_id = 0xfffff",			\
	  "check 4 (iova >= ULONG_MAX) comes before the IOAS lookup")	\
	X(get_pa_wrong_encoding, IOMMU_IOAS_NOIOMMU_GET_PA, ATTACHED, ENOTTY, 0, \
	  "nr 0x95 encoded as _IOWR(';', 0x95, struct) instead of _IO", \
	  "main.c: op->ioctl_num != cmd gives ENOIOCTLCMD (convention: ENOTTY)") \
	X(cmd_gap_numbers, IOMMU_IOAS_NOIOMMU_GET_PA, ATTACHED, ENOTTY, 0, \
	  "_IO(';', nr) for nr 0x8f..0x94 (the hole before GET_PA) and 0x96", \
	  "main.c: empty iommufd_ioctl_ops[] slots and numbers past the table give ENOIOCTLCMD") \
	X(get_pa_ioas_id_zero, IOMMU_IOAS_NOIOMMU_GET_PA, ATTACHED, ENOENT, 0, \
	  "ioas_id = 0 (IDs start at 1)",				\
	  "iommufd_get_ioas(): no object 0 (XA_FLAGS_ALLOC1)") \
	X(get_pa_ioas_unknown, IOMMU_IOAS_NOIOMMU_GET_PA, ATTACHED, ENOENT, 0, \
	  "ioas_id = 0xfffff",						\
	  "iommufd_get_ioas(): no such object")		\
	X(get_pa_ioas_is_device, IOMMU_IOAS_NOIOMMU_GET_PA, ATTACHED, ENOENT, 0, \
	  "ioas_id = the device ID",					\
	  "iommufd_get_ioas(): type != IOMMUFD_OBJ_IOAS")	\
	X(get_pa_ioas_is_hwpt, IOMMU_IOAS_NOIOMMU_GET_PA, ATTACHED, ENOENT, 0, \
	  "ioas_id = the attached (auto) HWPT ID",			\
	  "iommufd_get_ioas(): type != IOMMUFD_OBJ_IOAS")	\
	X(get_pa_ioas_destroyed, IOMMU_IOAS_NOIOMMU_GET_PA, ATTACHED, ENOENT, 0, \
	  "ioas_id of an IOAS allocated and destroyed",			\
	  "iommufd_get_ioas(): the ID is gone")		\
	X(get_pa_ioas_of_other_iommufd, IOMMU_IOAS_NOIOMMU_GET_PA, ATTACHED, ENOENT, 0, \
	  "the IOAS ID, asked of a second, empty iommufd",		\
	  "object IDs are per iommufd_ctx")				\
	X(get_pa_iova_unmapped, IOMMU_IOAS_NOIOMMU_GET_PA, ATTACHED, ENOENT, 0, \
	  "iova = 0, nothing mapped there",				\
	  "noiommu.c iommufd_ioas_noiommu_get_pa(): iopt_area_iter_first() finds no area") \
	X(get_pa_iova_before_mapping, IOMMU_IOAS_NOIOMMU_GET_PA, ATTACHED, ENOENT, 0, \
	  "iova = MAP_IOVA - 1",					\
	  "no area holds it")						\
	X(get_pa_iova_after_mapping, IOMMU_IOAS_NOIOMMU_GET_PA, ATTACHED, ENOENT, 0, \
	  "iova = MAP_IOVA + 2 pages (one past the mapping)",		\
	  "no area holds it")						\
	X(get_pa_iova_high, IOMMU_IOAS_NOIOMMU_GET_PA, ATTACHED, ENOENT, 0, \
	  "iova = 1 << 48, nothing mapped there",			\
	  "no area holds it (the table itself would reach it)")	\
	X(get_pa_iova_max, IOMMU_IOAS_NOIOMMU_GET_PA, ATTACHED, EOVERFLOW, 0, \
	  "iova = UINT64_MAX",						\
	  "iommufd_ioas_noiommu_get_pa(): cmd->iova >= ULONG_MAX (mainline's check 4)") \
	X(get_pa_iova_max_minus_one, IOMMU_IOAS_NOIOMMU_GET_PA, ATTACHED, ENOENT, 0, \
	  "iova = UINT64_MAX - 1, nothing mapped there",		\
	  "below ULONG_MAX: looked up, no area holds it")		\
	X(get_pa_after_unmap, IOMMU_IOAS_NOIOMMU_GET_PA, ATTACHED, ENOENT, F_CHANGES, \
	  "MAP_IOVA after IOMMU_IOAS_UNMAP of the mapping",		\
	  "unmap removed the area")					\
	X(get_pa_no_device_ever, IOMMU_IOAS_NOIOMMU_GET_PA, BOUND, EOPNOTSUPP, 0, \
	  "an IOAS with a mapping that no device was ever attached to",	\
	  "the area has no storage domain (mainline's check 7)")	\
	X(get_pa_unmapped_before_storage, IOMMU_IOAS_NOIOMMU_GET_PA, BOUND, ENOENT, 0, \
	  "the same device-less IOAS, at an IOVA nothing is mapped at",	\
	  "check 6 (no area) comes before check 7 (no storage)")	\
	X(get_pa_unbound, IOMMU_IOAS_NOIOMMU_GET_PA, UNBOUND, EOPNOTSUPP, 0, \
	  "a mapped IOAS while the device is not even bound",		\
	  "no storage domain")						\
	X(get_pa_after_detach, IOMMU_IOAS_NOIOMMU_GET_PA, DETACHED, EOPNOTSUPP, 0, \
	  "MAP_IOVA after VFIO_DEVICE_DETACH_IOMMUFD_PT",		\
	  "detach destroyed the auto HWPT and its domain: no storage domain") \
	X(get_pa_map_after_detach, IOMMU_IOAS_NOIOMMU_GET_PA, DETACHED, EOPNOTSUPP, 0, \
	  "IOMMU_IOAS_MAP of a new range after the detach, then GET_PA on it", \
	  "the map works (no domain, nothing pinned); no storage domain") \
	X(get_pa_other_ioas, IOMMU_IOAS_NOIOMMU_GET_PA, ATTACHED, EOPNOTSUPP, 0, \
	  "a second IOAS with its own mapping, the device attached to the first", \
	  "the second IOAS has no domain at all")			\
	X(get_pa_copy_dst_without_device, IOMMU_IOAS_NOIOMMU_GET_PA, ATTACHED, EOPNOTSUPP, 0, \
	  "IOMMU_IOAS_COPY of the mapping into a device-less IOAS, GET_PA there", \
	  "the copy works; the destination's area has no storage domain") \
	X(get_pa_after_device_closed, IOMMU_IOAS_NOIOMMU_GET_PA, ATTACHED, EOPNOTSUPP, F_CHANGES, \
	  "MAP_IOVA after the cdev is closed (unbind detaches)",	\
	  "vfio_iommufd_physical_unbind() detached: domain gone")	\
	X(get_pa_manual_hwpt_without_device, IOMMU_IOAS_NOIOMMU_GET_PA, BOUND, OK, F_CHANGES, \
	  "IOMMU_HWPT_ALLOC for the device on a second IOAS, never attached; map, GET_PA there, close the cdev, GET_PA again", \
	  "the HWPT's no-IOMMU page table stores the mapping (and pins the page) with or without a device: GET_PA answers") \
	X(get_pa_without_cap_sys_rawio, IOMMU_IOAS_NOIOMMU_GET_PA, ATTACHED, EPERM, 0, \
	  "a valid lookup from a child that dropped CAP_SYS_RAWIO",	\
	  "iommufd_ioas_noiommu_get_pa(): !capable(CAP_SYS_RAWIO) (mainline's check 1)") \
	X(get_pa_perm_before_everything, IOMMU_IOAS_NOIOMMU_GET_PA, ATTACHED, EPERM, 0, \
	  "from a child without CAP_SYS_RAWIO: flags = 1, length = 0, iova = UINT64_MAX, ioas_id = 0xfffff", \
	  "check 1 comes before every other")				\
	/* ---- IOMMU_IOAS_MAP on an IOAS with the device attached ---- */ \
	X(map_size_below_min, IOMMU_IOAS_MAP, ATTACHED, EINVAL, 0,	\
	  "size = 39",							\
	  "main.c: min_size = offsetofend(iova) = 40")			\
	X(map_tail_nonzero, IOMMU_IOAS_MAP, ATTACHED, E2BIG, 0,	\
	  "size = 48, byte 47 = 1",					\
	  "copy_struct_from_user() (convention: E2BIG)")		\
	X(map_tail_zero, IOMMU_IOAS_MAP, ATTACHED, OK, F_CHANGES,	\
	  "size = 48, zero tail, a valid FIXED_IOVA map",		\
	  "copy_struct_from_user() accepts it; GET_PA then finds the page") \
	X(map_flags_each_undefined_bit, IOMMU_IOAS_MAP, ATTACHED, EOPNOTSUPP, 0, \
	  "flags = READ, WRITE, FIXED_IOVA plus 1 << n for each n in 3..31", \
	  "ioas.c iommufd_ioas_map(): flags outside the three defined")	\
	X(map_reserved_each_bit, IOMMU_IOAS_MAP, ATTACHED, EOPNOTSUPP, 0, \
	  "__reserved = 1 << n for each n in 0..31",			\
	  "iommufd_ioas_map(): cmd->__reserved")			\
	X(map_no_read_no_write, IOMMU_IOAS_MAP, ATTACHED, EINVAL, 0,	\
	  "flags = FIXED_IOVA only",					\
	  "iommufd_ioas_map(): neither READABLE nor WRITEABLE")		\
	X(map_zero_length, IOMMU_IOAS_MAP, ATTACHED, EINVAL, 0,	\
	  "length = 0",							\
	  "pages.c iopt_alloc_pages(): length == 0")			\
	X(map_unaligned_iova, IOMMU_IOAS_MAP, ATTACHED, EINVAL, 0,	\
	  "FIXED_IOVA iova = FREE_IOVA + 1, length one page",		\
	  "io_pagetable.c iopt_check_iova(): the no-IOMMU domain sets iova_alignment = PAGE_SIZE") \
	X(map_unaligned_length, IOMMU_IOAS_MAP, ATTACHED, EINVAL, 0,	\
	  "FIXED_IOVA length = PAGE_SIZE + 1",				\
	  "iopt_alloc_area_pages(): length & (iova_alignment - 1)")	\
	X(map_unaligned_user_va, IOMMU_IOAS_MAP, ATTACHED, EINVAL, 0,	\
	  "user_va = buf + 1, iova and length aligned",			\
	  "iopt_insert_area(): page_offset & (iova_alignment - 1)")	\
	X(map_kernel_iova_unaligned_length, IOMMU_IOAS_MAP, ATTACHED, EINVAL, 0, \
	  "no FIXED_IOVA, length = PAGE_SIZE + 1",			\
	  "iopt_alloc_area_pages(): length & (iova_alignment - 1)")	\
	X(map_kernel_iova_no_room, IOMMU_IOAS_MAP, ATTACHED, ENOSPC, 0, \
	  "no FIXED_IOVA, 2 pages, allowed IOVAs only [FREE_IOVA, FREE_IOVA + PAGE_SIZE - 1]", \
	  "iopt_alloc_iova(): no allowed hole that long")		\
	X(map_iova_length_overflow, IOMMU_IOAS_MAP, ATTACHED, EOVERFLOW, 0, \
	  "iova = 2^64 - PAGE_SIZE, length = 2 pages",			\
	  "iopt_check_iova(): check_add_overflow(iova, length - 1)")	\
	X(map_iova_ulong_max, IOMMU_IOAS_MAP, ATTACHED, EOVERFLOW, 0,	\
	  "iova = ULONG_MAX",						\
	  "iommufd_ioas_map(): cmd->iova >= ULONG_MAX")			\
	X(map_length_ulong_max, IOMMU_IOAS_MAP, ATTACHED, EOVERFLOW, 0, \
	  "length = ULONG_MAX",						\
	  "iommufd_ioas_map(): cmd->length >= ULONG_MAX")		\
	X(map_user_va_length_overflow, IOMMU_IOAS_MAP, ATTACHED, EOVERFLOW, 0, \
	  "user_va = 2^64 - PAGE_SIZE, length = 2 pages",		\
	  "iopt_alloc_pages(): check_add_overflow(uptr, length)")	\
	X(map_high_iova, IOMMU_IOAS_MAP, ATTACHED, OK, F_CHANGES,	\
	  "FIXED_IOVA iova = 1 << 48 (past a four level table)",	\
	  "the no-IOMMU aperture is [0, ULONG_MAX]: maps, the root grows; GET_PA finds the page") \
	X(map_top_of_space, IOMMU_IOAS_MAP, ATTACHED, OK, F_CHANGES,	\
	  "FIXED_IOVA iova = 2^64 - PAGE_SIZE, one page (its last byte is ULONG_MAX)", \
	  "maps; GET_PA answers below ULONG_MAX and gives EOVERFLOW at it") \
	X(map_over_existing, IOMMU_IOAS_MAP, ATTACHED, EEXIST, 0,	\
	  "FIXED_IOVA at MAP_IOVA + PAGE_SIZE (inside the mapping)",	\
	  "iopt_check_iova(): an area intersects")			\
	X(map_ioas_unknown, IOMMU_IOAS_MAP, ATTACHED, ENOENT, 0,	\
	  "ioas_id = 0xfffff",						\
	  "iommufd_get_ioas(): no such object")				\
	X(map_ioas_is_device, IOMMU_IOAS_MAP, ATTACHED, ENOENT, 0,	\
	  "ioas_id = the device ID",					\
	  "iommufd_get_ioas(): wrong type (convention: ENOENT)")	\
	X(map_ioas_is_hwpt, IOMMU_IOAS_MAP, ATTACHED, ENOENT, 0,	\
	  "ioas_id = the auto HWPT ID",					\
	  "iommufd_get_ioas(): wrong type")				\
	X(map_ioas_destroyed, IOMMU_IOAS_MAP, ATTACHED, ENOENT, 0,	\
	  "ioas_id of a destroyed IOAS",				\
	  "iommufd_get_ioas(): gone")					\
	X(map_user_memory_absent, IOMMU_IOAS_MAP, ATTACHED, EFAULT, 0,	\
	  "user_va = a PROT_NONE page",					\
	  "pages.c pfn_reader_user_pin(): pin_user_pages_fast() fails")	\
	X(map_second_page_absent, IOMMU_IOAS_MAP, ATTACHED, EFAULT, 0,	\
	  "two pages, the first readable, the second PROT_NONE",	\
	  "the first page pins, the second fails; the first is unpinned again") \
	X(map_read_only_memory_writeable, IOMMU_IOAS_MAP, ATTACHED, EFAULT, 0, \
	  "READ | WRITE map of a PROT_READ mapping",			\
	  "pin_user_pages_fast(FOLL_WRITE) on a read-only VMA")		\
	X(map_over_rlimit, IOMMU_IOAS_MAP, ATTACHED, ENOMEM, 0,	\
	  "RLIMIT_MEMLOCK = 8 pages, map 16 more (mm accounting, no CAP_IPC_LOCK)", \
	  "pages.c incr_user_locked_vm()/update_mm_locked_vm(): over the limit") \
	/* ---- IOMMU_IOAS_UNMAP ---- */					\
	X(unmap_size_below_min, IOMMU_IOAS_UNMAP, ATTACHED, EINVAL, 0,	\
	  "size = 23",							\
	  "main.c: min_size = offsetofend(length) = 24")		\
	X(unmap_tail_nonzero, IOMMU_IOAS_UNMAP, ATTACHED, E2BIG, 0,	\
	  "size = 32, byte 31 = 1",					\
	  "copy_struct_from_user() (convention: E2BIG)")		\
	X(unmap_tail_zero, IOMMU_IOAS_UNMAP, ATTACHED, OK, F_CHANGES,	\
	  "size = 32, zero tail, the whole mapping",			\
	  "accepted; length returns 2 pages, GET_PA then gives ENOENT")	\
	X(unmap_zero_length, IOMMU_IOAS_UNMAP, ATTACHED, EINVAL, 0,	\
	  "iova = MAP_IOVA, length = 0",				\
	  "io_pagetable.c iopt_unmap_iova(): !length")			\
	X(unmap_unaligned_iova, IOMMU_IOAS_UNMAP, ATTACHED, ENOENT, 0,	\
	  "iova = MAP_IOVA + 1, length = PAGE_SIZE",			\
	  "iopt_unmap_iova_range(): area starts before the range (no splitting)") \
	X(unmap_unaligned_length_short, IOMMU_IOAS_UNMAP, ATTACHED, ENOENT, 0, \
	  "iova = MAP_IOVA, length = PAGE_SIZE + 1 (mapping is 2 pages)", \
	  "iopt_unmap_iova_range(): area ends after the range")		\
	X(unmap_unaligned_length_covering, IOMMU_IOAS_UNMAP, ATTACHED, OK, F_CHANGES, \
	  "iova = MAP_IOVA, length = 2 pages + 1",			\
	  "the range is a superset of the area: unmapped, length returns 2 pages") \
	X(unmap_half_mapping, IOMMU_IOAS_UNMAP, ATTACHED, ENOENT, 0,	\
	  "iova = MAP_IOVA, length = PAGE_SIZE",			\
	  "iopt_unmap_iova_range(): splitting an area is not allowed")	\
	X(unmap_nothing_mapped, IOMMU_IOAS_UNMAP, ATTACHED, ENOENT, 0,	\
	  "iova = FREE_IOVA, length = PAGE_SIZE",			\
	  "iommufd_ioas_unmap(): nothing unmapped")			\
	X(unmap_iova_length_overflow, IOMMU_IOAS_UNMAP, ATTACHED, EOVERFLOW, 0, \
	  "iova = MAP_IOVA, length = ULONG_MAX - 1",			\
	  "iopt_unmap_iova(): check_add_overflow(iova, length - 1)")	\
	X(unmap_iova_ulong_max, IOMMU_IOAS_UNMAP, ATTACHED, EOVERFLOW, 0, \
	  "iova = ULONG_MAX, length = PAGE_SIZE",			\
	  "iommufd_ioas_unmap(): cmd->iova >= ULONG_MAX")		\
	X(unmap_all, IOMMU_IOAS_UNMAP, ATTACHED, OK, F_CHANGES,	\
	  "iova = 0, length = UINT64_MAX",				\
	  "iopt_unmap_all(): everything goes, length returns 2 pages")	\
	X(unmap_ioas_is_device, IOMMU_IOAS_UNMAP, ATTACHED, ENOENT, 0,	\
	  "ioas_id = the device ID",					\
	  "iommufd_get_ioas(): wrong type")				\
	X(unmap_ioas_is_hwpt, IOMMU_IOAS_UNMAP, ATTACHED, ENOENT, 0,	\
	  "ioas_id = the auto HWPT ID",					\
	  "iommufd_get_ioas(): wrong type")				\
	X(unmap_ioas_destroyed, IOMMU_IOAS_UNMAP, ATTACHED, ENOENT, 0,	\
	  "ioas_id of a destroyed IOAS",				\
	  "iommufd_get_ioas(): gone")					\
	/* ---- IOMMU_IOAS_COPY ---- */					\
	X(copy_size_below_min, IOMMU_IOAS_COPY, ATTACHED, EINVAL, 0,	\
	  "size = 39",							\
	  "main.c: min_size = offsetofend(src_iova) = 40")		\
	X(copy_tail_nonzero, IOMMU_IOAS_COPY, ATTACHED, E2BIG, 0,	\
	  "size = 48, byte 47 = 1",					\
	  "copy_struct_from_user() (convention: E2BIG)")		\
	X(copy_tail_zero, IOMMU_IOAS_COPY, ATTACHED, OK, F_CHANGES,	\
	  "size = 48, zero tail, the mapping to FREE_IOVA of the same IOAS", \
	  "accepted; GET_PA at FREE_IOVA gives buf's address")		\
	X(copy_flags_each_undefined_bit, IOMMU_IOAS_COPY, ATTACHED, EOPNOTSUPP, 0, \
	  "flags = READ, WRITE, FIXED_IOVA plus 1 << n for each n in 3..31 (not 16 on IOMMUFD_TEST kernels)", \
	  "ioas.c iommufd_ioas_copy(): undefined flags; IOMMUFD_TEST consumes bit 16 (MOCK_FLAGS_ACCESS_SYZ) first") \
	X(copy_no_read_no_write, IOMMU_IOAS_COPY, ATTACHED, EINVAL, 0,	\
	  "flags = FIXED_IOVA only",					\
	  "iommufd_ioas_copy(): neither READABLE nor WRITEABLE")	\
	X(copy_zero_length, IOMMU_IOAS_COPY, ATTACHED, EINVAL, 0,	\
	  "length = 0",							\
	  "io_pagetable.c iopt_get_pages(): !length")			\
	X(copy_src_unmapped, IOMMU_IOAS_COPY, ATTACHED, ENOENT, 0,	\
	  "src_iova = FREE_IOVA (nothing there)",			\
	  "iopt_get_pages(): no contiguous areas (convention: IOVA does not exist)") \
	X(copy_src_partly_mapped, IOMMU_IOAS_COPY, ATTACHED, ENOENT, 0,	\
	  "src_iova = MAP_IOVA, length = 3 pages (mapping is 2)",	\
	  "iopt_get_pages(): !iopt_area_contig_done()")			\
	X(copy_src_iova_length_overflow, IOMMU_IOAS_COPY, ATTACHED, EOVERFLOW, 0, \
	  "src_iova = MAP_IOVA, length = ULONG_MAX - 1",		\
	  "iopt_get_pages(): check_add_overflow(iova, length - 1)")	\
	X(copy_dst_iova_ulong_max, IOMMU_IOAS_COPY, ATTACHED, EOVERFLOW, 0, \
	  "dst_iova = ULONG_MAX",					\
	  "iommufd_ioas_copy(): cmd->dst_iova >= ULONG_MAX")		\
	X(copy_dst_unaligned, IOMMU_IOAS_COPY, ATTACHED, EINVAL, 0,	\
	  "FIXED_IOVA dst_iova = FREE_IOVA + 1",			\
	  "iopt_check_iova(): alignment is PAGE_SIZE with the device attached") \
	X(copy_length_unaligned, IOMMU_IOAS_COPY, ATTACHED, EINVAL, 0,	\
	  "length = PAGE_SIZE + 1 (inside the 2-page source)",		\
	  "iopt_alloc_area_pages(): length & (iova_alignment - 1)")	\
	X(copy_dst_high, IOMMU_IOAS_COPY, ATTACHED, OK, F_CHANGES,	\
	  "FIXED_IOVA dst_iova = 1 << 48, same IOAS",			\
	  "nothing is reserved past a four level table: copied; GET_PA there gives buf's address") \
	X(copy_dst_over_existing, IOMMU_IOAS_COPY, ATTACHED, EEXIST, 0,	\
	  "FIXED_IOVA dst_iova = MAP_IOVA + PAGE_SIZE",			\
	  "iopt_check_iova(): an area intersects")			\
	X(copy_dst_is_device, IOMMU_IOAS_COPY, ATTACHED, ENOENT, 0,	\
	  "dst_ioas_id = the device ID",				\
	  "iommufd_get_ioas(): wrong type")				\
	X(copy_src_is_hwpt, IOMMU_IOAS_COPY, ATTACHED, ENOENT, 0,	\
	  "src_ioas_id = the auto HWPT ID",				\
	  "iommufd_get_ioas(): wrong type")				\
	X(copy_dst_destroyed, IOMMU_IOAS_COPY, ATTACHED, ENOENT, 0,	\
	  "dst_ioas_id of a destroyed IOAS",				\
	  "iommufd_get_ioas(): gone")					\
	/* ---- IOMMU_IOAS_IOVA_RANGES ---- */				\
	X(iova_ranges_size_below_min, IOMMU_IOAS_IOVA_RANGES, ATTACHED, EINVAL, 0, \
	  "size = 31",							\
	  "main.c: min_size = offsetofend(out_iova_alignment) = 32")	\
	X(iova_ranges_tail_nonzero, IOMMU_IOAS_IOVA_RANGES, ATTACHED, E2BIG, 0, \
	  "size = 40, byte 39 = 1",					\
	  "copy_struct_from_user() (convention: E2BIG)")		\
	X(iova_ranges_tail_zero, IOMMU_IOAS_IOVA_RANGES, ATTACHED, OK, 0, \
	  "size = 40, zero tail, room for 4 ranges",			\
	  "one range [0, 2^64 - 1], alignment PAGE_SIZE: the no-IOMMU aperture") \
	X(iova_ranges_reserved_each_bit, IOMMU_IOAS_IOVA_RANGES, ATTACHED, EOPNOTSUPP, 0, \
	  "__reserved = 1 << n for each n in 0..31",			\
	  "ioas.c iommufd_ioas_iova_ranges(): cmd->__reserved")		\
	X(iova_ranges_no_room, IOMMU_IOAS_IOVA_RANGES, ATTACHED, EMSGSIZE, 0, \
	  "num_iovas = 0",						\
	  "iommufd_ioas_iova_ranges(): more ranges than room; num_iovas returns 1") \
	X(iova_ranges_bad_pointer, IOMMU_IOAS_IOVA_RANGES, ATTACHED, EFAULT, 0, \
	  "num_iovas = 1, allowed_iovas = a PROT_NONE page",		\
	  "iommufd_ioas_iova_ranges(): copy_to_user() fails")		\
	X(iova_ranges_ioas_is_device, IOMMU_IOAS_IOVA_RANGES, ATTACHED, ENOENT, 0, \
	  "ioas_id = the device ID",					\
	  "iommufd_get_ioas(): wrong type")				\
	/* ---- IOMMU_IOAS_ALLOW_IOVAS ---- */				\
	X(allow_iovas_size_below_min, IOMMU_IOAS_ALLOW_IOVAS, ATTACHED, EINVAL, 0, \
	  "size = 23",							\
	  "main.c: min_size = offsetofend(allowed_iovas) = 24")		\
	X(allow_iovas_tail_nonzero, IOMMU_IOAS_ALLOW_IOVAS, ATTACHED, E2BIG, 0, \
	  "size = 32, byte 31 = 1",					\
	  "copy_struct_from_user() (convention: E2BIG)")		\
	X(allow_iovas_tail_zero, IOMMU_IOAS_ALLOW_IOVAS, ATTACHED, OK, 0, \
	  "size = 32, zero tail, allow [0, 2^47 - 1]",			\
	  "inside the aperture: accepted")				\
	X(allow_iovas_reserved_each_bit, IOMMU_IOAS_ALLOW_IOVAS, ATTACHED, EOPNOTSUPP, 0, \
	  "__reserved = 1 << n for each n in 0..31",			\
	  "ioas.c iommufd_ioas_allow_iovas(): cmd->__reserved")		\
	X(allow_iovas_start_equals_last, IOMMU_IOAS_ALLOW_IOVAS, ATTACHED, EINVAL, 0, \
	  "one range with start = last",				\
	  "iommufd_ioas_load_iovas(): range.start >= range.last")	\
	X(allow_iovas_overlapping, IOMMU_IOAS_ALLOW_IOVAS, ATTACHED, EINVAL, 0, \
	  "two ranges that overlap",					\
	  "iommufd_ioas_load_iovas(): interval_tree_iter_first() hits")	\
	X(allow_iovas_high, IOMMU_IOAS_ALLOW_IOVAS, ATTACHED, OK, F_CHANGES, \
	  "allow [0, 2^47 - 1] and [2^48, 2^49 - 1] with the device attached", \
	  "nothing reserved up there: accepted; a map at 2^48 then works, at 2^47 + PAGE_SIZE not") \
	X(allow_iovas_bad_pointer, IOMMU_IOAS_ALLOW_IOVAS, ATTACHED, EFAULT, 0, \
	  "num_iovas = 1, allowed_iovas = a PROT_NONE page",		\
	  "iommufd_ioas_load_iovas(): copy_from_user() fails")		\
	X(allow_iovas_ioas_is_hwpt, IOMMU_IOAS_ALLOW_IOVAS, ATTACHED, ENOENT, 0, \
	  "ioas_id = the auto HWPT ID",					\
	  "iommufd_get_ioas(): wrong type")				\
	/* ---- IOMMU_HWPT_ALLOC for the no-IOMMU device ---- */	\
	X(hwpt_alloc_size_below_min, IOMMU_HWPT_ALLOC, BOUND, EINVAL, 0, \
	  "size = 23",							\
	  "main.c: min_size = offsetofend(__reserved) = 24")		\
	X(hwpt_alloc_size_min, IOMMU_HWPT_ALLOC, BOUND, OK, 0,		\
	  "size = 24 (no data_type, data_len, data_uptr, fault_id)",	\
	  "the missing fields read as zero; out_hwpt_id is written")	\
	X(hwpt_alloc_tail_nonzero, IOMMU_HWPT_ALLOC, BOUND, E2BIG, 0,	\
	  "size = 56, byte 55 = 1",					\
	  "copy_struct_from_user() (convention: E2BIG)")		\
	X(hwpt_alloc_tail_zero, IOMMU_HWPT_ALLOC, BOUND, OK, 0,	\
	  "size = 56, zero tail",					\
	  "accepted; the HWPT is destroyable")				\
	X(hwpt_alloc_reserved_each_bit, IOMMU_HWPT_ALLOC, BOUND, EOPNOTSUPP, 0, \
	  "__reserved = 1 << n for each n in 0..31",			\
	  "hw_pagetable.c iommufd_hwpt_alloc(): cmd->__reserved")	\
	X(hwpt_alloc_reserved2_nonzero, IOMMU_HWPT_ALLOC, BOUND, OK, 0, \
	  "__reserved2 = 1, then 0x80000000",				\
	  "nothing reads __reserved2 (documented \"Must be 0\"; upstream 6.12 gap, not the series')") \
	X(hwpt_alloc_flags_each_bit, IOMMU_HWPT_ALLOC, BOUND, EOPNOTSUPP, 0, \
	  "flags = 1 << n for each n in 0..31 (NEST_PARENT, DIRTY_TRACKING and FAULT_ID_VALID included)", \
	  "iommufd_hwpt_paging_alloc(): a no-IOMMU domain has no options") \
	X(hwpt_alloc_data_len_without_type, IOMMU_HWPT_ALLOC, BOUND, EINVAL, 0, \
	  "data_type = NONE, data_len = 8",				\
	  "iommufd_hwpt_alloc(): data_len without a type")		\
	X(hwpt_alloc_type_without_data, IOMMU_HWPT_ALLOC, BOUND, EINVAL, 0, \
	  "data_type = VTD_S1, data_len = 0",				\
	  "iommufd_hwpt_alloc(): a type without data")			\
	X(hwpt_alloc_user_data, IOMMU_HWPT_ALLOC, BOUND, EOPNOTSUPP, 0, \
	  "data_type = VTD_S1, 8 bytes of data, pt_id = the IOAS",	\
	  "iommufd_hwpt_paging_alloc(): no-IOMMU && user_data")		\
	X(hwpt_alloc_dev_is_ioas, IOMMU_HWPT_ALLOC, BOUND, ENOENT, 0,	\
	  "dev_id = the IOAS ID",					\
	  "iommufd_get_device(): wrong type")				\
	X(hwpt_alloc_dev_unknown, IOMMU_HWPT_ALLOC, BOUND, ENOENT, 0,	\
	  "dev_id = 0xfffff",						\
	  "iommufd_get_device(): no such object")			\
	X(hwpt_alloc_dev_unbound, IOMMU_HWPT_ALLOC, BOUND, ENOENT, F_CHANGES, \
	  "dev_id of the device after its cdev was closed",		\
	  "unbind destroyed the device object")				\
	X(hwpt_alloc_pt_unknown, IOMMU_HWPT_ALLOC, BOUND, EINVAL, 0,	\
	  "pt_id = 0xfffff",						\
	  "iommufd_hwpt_alloc(): any pt_id lookup failure is EINVAL (upstream, not ENOENT)") \
	X(hwpt_alloc_pt_is_device, IOMMU_HWPT_ALLOC, BOUND, EINVAL, 0,	\
	  "pt_id = the device ID",					\
	  "iommufd_hwpt_alloc(): neither IOAS nor HWPT_PAGING")		\
	X(hwpt_alloc_pt_destroyed, IOMMU_HWPT_ALLOC, BOUND, EINVAL, 0,	\
	  "pt_id of a destroyed IOAS",					\
	  "iommufd_hwpt_alloc(): lookup failure is EINVAL")		\
	X(hwpt_alloc_nested_on_noiommu_hwpt, IOMMU_HWPT_ALLOC, ATTACHED, EOPNOTSUPP, 0, \
	  "pt_id = the no-IOMMU HWPT, data_type = VTD_S1 with 8 bytes",	\
	  "iommufd_hwpt_nested_alloc(): no nesting for a no-IOMMU device") \
	X(hwpt_alloc_ioas_mapped_high, IOMMU_HWPT_ALLOC, BOUND, OK, F_CHANGES, \
	  "a device-less IOAS with a mapping at 2^48",			\
	  "nothing to reserve past the aperture: the HWPT stores the mapping, GET_PA answers without any attach") \
	X(hwpt_alloc_ioas_mapped_unaligned, IOMMU_HWPT_ALLOC, BOUND, EADDRINUSE, 0, \
	  "a device-less IOAS with a mapping at FREE_IOVA + 0x80",	\
	  "iopt_table_add_domain(): iopt_check_iova_alignment() for PAGE_SIZE") \
	/* ---- IOMMU_GET_HW_INFO for the no-IOMMU device ---- */	\
	X(hw_info_size_below_min, IOMMU_GET_HW_INFO, BOUND, EINVAL, 0,	\
	  "size = 23",							\
	  "main.c: min_size = offsetofend(__reserved) = 24")		\
	X(hw_info_size_min, IOMMU_GET_HW_INFO, BOUND, OK, 0,		\
	  "size = 24 (no out_capabilities)",				\
	  "accepted; out_data_type = IOMMU_HW_INFO_TYPE_NONE")		\
	X(hw_info_tail_nonzero, IOMMU_GET_HW_INFO, BOUND, E2BIG, 0,	\
	  "size = 40, byte 39 = 1",					\
	  "copy_struct_from_user() (convention: E2BIG)")		\
	X(hw_info_tail_zero, IOMMU_GET_HW_INFO, BOUND, OK, 0,		\
	  "size = 40, zero tail",					\
	  "type NONE, data_len 0, no capabilities, no PASID")		\
	X(hw_info_flags_each_bit, IOMMU_GET_HW_INFO, BOUND, EOPNOTSUPP, 0, \
	  "flags = 1 << n for each n in 0..31",				\
	  "device.c iommufd_get_hw_info(): cmd->flags")			\
	X(hw_info_reserved_each_bit, IOMMU_GET_HW_INFO, BOUND, EOPNOTSUPP, 0, \
	  "__reserved[i] = 1 << n for each i in 0..2, n in 0..7",	\
	  "iommufd_get_hw_info(): cmd->__reserved[0..2]")		\
	X(hw_info_dev_is_ioas, IOMMU_GET_HW_INFO, BOUND, ENOENT, 0,	\
	  "dev_id = the IOAS ID",					\
	  "iommufd_get_device(): wrong type")				\
	X(hw_info_dev_is_hwpt, IOMMU_GET_HW_INFO, ATTACHED, ENOENT, 0,	\
	  "dev_id = the auto HWPT ID",					\
	  "iommufd_get_device(): wrong type")				\
	X(hw_info_dev_unbound, IOMMU_GET_HW_INFO, BOUND, ENOENT, F_CHANGES, \
	  "dev_id of the device after its cdev was closed",		\
	  "unbind destroyed the device object")				\
	X(hw_info_data_bad_pointer, IOMMU_GET_HW_INFO, BOUND, EFAULT, 0, \
	  "data_len = 16, data_uptr = a PROT_NONE page",		\
	  "iommufd_get_hw_info(): clear_user() of the 16 bytes the kernel has no data for") \
	X(hw_info_data_zeroed, IOMMU_GET_HW_INFO, BOUND, OK, 0,	\
	  "data_len = 16, data_uptr = 16 bytes of 0xff",		\
	  "the buffer is zeroed, data_len returns 0")			\
	/* ---- IOMMU_DESTROY ---- */					\
	X(destroy_size_below_min, IOMMU_DESTROY, ATTACHED, EINVAL, 0,	\
	  "size = 7",							\
	  "main.c: min_size = offsetofend(id) = 8")			\
	X(destroy_tail_nonzero, IOMMU_DESTROY, ATTACHED, E2BIG, 0,	\
	  "size = 16, byte 15 = 1, id = a fresh IOAS",			\
	  "copy_struct_from_user() (convention: E2BIG); the IOAS survives") \
	X(destroy_tail_zero, IOMMU_DESTROY, ATTACHED, OK, 0,		\
	  "size = 16, zero tail, id = a fresh IOAS",			\
	  "destroyed: the ID is gone afterwards")			\
	X(destroy_id_zero, IOMMU_DESTROY, ATTACHED, ENOENT, 0,		\
	  "id = 0",							\
	  "iommufd_object_remove(): no object")				\
	X(destroy_twice, IOMMU_DESTROY, ATTACHED, ENOENT, 0,		\
	  "id of an IOAS already destroyed",				\
	  "iommufd_object_remove(): no object")				\
	X(destroy_device, IOMMU_DESTROY, ATTACHED, EBUSY, 0,		\
	  "id = the bound device",					\
	  "the VFIO driver holds a user reference until unbind")	\
	X(destroy_attached_ioas, IOMMU_DESTROY, ATTACHED, EBUSY, 0,	\
	  "id = the IOAS the device is attached to",			\
	  "the auto HWPT holds a reference on its IOAS")		\
	X(destroy_attached_auto_hwpt, IOMMU_DESTROY, ATTACHED, EBUSY, 0, \
	  "id = the auto HWPT the device is attached to",		\
	  "the attached device holds a reference")			\
	X(destroy_attached_manual_hwpt, IOMMU_DESTROY, BOUND, EBUSY, 0,	\
	  "id = an IOMMU_HWPT_ALLOC HWPT the device is attached to",	\
	  "the attached device holds a reference")			\
	X(destroy_auto_hwpt_after_detach, IOMMU_DESTROY, DETACHED, ENOENT, 0, \
	  "id = the auto HWPT of the attachment that was detached",	\
	  "the last detach destroyed the auto HWPT")			\
	X(destroy_device_after_unbind, IOMMU_DESTROY, BOUND, ENOENT, F_CHANGES, \
	  "id = the device ID after its cdev was closed",		\
	  "unbind destroyed the device object")				\
	X(destroy_ioas_after_detach, IOMMU_DESTROY, DETACHED, OK, F_CHANGES, \
	  "id = the IOAS, still holding its mapping, after the detach",	\
	  "nothing references it any more; GET_PA then gives ENOENT")	\
	/* ---- VFIO_DEVICE_BIND_IOMMUFD on the noiommu-vfio cdev ---- */ \
	X(bind_argsz_below_min, VFIO_DEVICE_BIND_IOMMUFD, UNBOUND, EINVAL, 0, \
	  "argsz = 15",							\
	  "device_cdev.c vfio_df_ioctl_bind_iommufd(): argsz < offsetofend(out_devid)") \
	X(bind_argsz_larger, VFIO_DEVICE_BIND_IOMMUFD, UNBOUND, OK, F_CHANGES, \
	  "argsz = 24, bytes 16-23 = 0xff",				\
	  "VFIO's argsz convention: bytes past minsz are not read; binds") \
	X(bind_flags_each_bit, VFIO_DEVICE_BIND_IOMMUFD, UNBOUND, EINVAL, 0, \
	  "flags = 1 << n for each n in 0..31",				\
	  "vfio_df_ioctl_bind_iommufd(): bind.flags")			\
	X(bind_iommufd_negative, VFIO_DEVICE_BIND_IOMMUFD, UNBOUND, EINVAL, 0, \
	  "iommufd = -1 (the 6.6-era no-IOMMU convention)",		\
	  "vfio_df_ioctl_bind_iommufd(): bind.iommufd < 0")		\
	X(bind_iommufd_closed, VFIO_DEVICE_BIND_IOMMUFD, UNBOUND, EBADF, 0, \
	  "iommufd = a closed fd number",				\
	  "main.c iommufd_ctx_from_fd(): fget() fails")			\
	X(bind_iommufd_not_iommufd, VFIO_DEVICE_BIND_IOMMUFD, UNBOUND, EBADFD, 0, \
	  "iommufd = an fd of /dev/null",				\
	  "iommufd_ctx_from_fd(): f_op != iommufd_fops")		\
	X(bind_twice, VFIO_DEVICE_BIND_IOMMUFD, BOUND, EINVAL, 0,	\
	  "a second bind of the bound fd, same iommufd",		\
	  "vfio_df_ioctl_bind_iommufd(): df->access_granted")		\
	X(bind_twice_other_iommufd, VFIO_DEVICE_BIND_IOMMUFD, BOUND, EINVAL, 0, \
	  "a second bind of the bound fd, another iommufd",		\
	  "vfio_df_ioctl_bind_iommufd(): df->access_granted")		\
	X(bind_second_open, VFIO_DEVICE_BIND_IOMMUFD, BOUND, EINVAL, 0,	\
	  "bind a second open of the cdev while the first is bound",	\
	  "vfio_main.c vfio_df_open(): open_count != 0 on the cdev path") \
	X(bind_without_cap_sys_rawio, VFIO_DEVICE_BIND_IOMMUFD, UNBOUND, OK, F_CHANGES, \
	  "a valid bind from a child that dropped CAP_SYS_RAWIO (the fd was opened with it)", \
	  "as in mainline, only opening the cdev needs the capability; the bound device answers GET_PA only to a caller with it") \
	X(bind_while_group_open, VFIO_DEVICE_BIND_IOMMUFD, UNBOUND, EBUSY, F_GROUP, \
	  "bind while /dev/vfio/noiommu-N is open",			\
	  "group.c vfio_device_block_group(): group->opened_file")	\
	/* ---- VFIO_DEVICE_ATTACH_IOMMUFD_PT ---- */			\
	X(attach_argsz_below_min, VFIO_DEVICE_ATTACH_IOMMUFD_PT, BOUND, EINVAL, 0, \
	  "argsz = 11",							\
	  "device_cdev.c vfio_df_ioctl_attach_pt(): argsz < offsetofend(pt_id)") \
	X(attach_argsz_larger, VFIO_DEVICE_ATTACH_IOMMUFD_PT, BOUND, OK, F_CHANGES, \
	  "argsz = 16, bytes 12-15 = 0xff",				\
	  "VFIO's argsz convention; attaches, pt_id returns the HWPT")	\
	X(attach_flags_each_bit, VFIO_DEVICE_ATTACH_IOMMUFD_PT, BOUND, EINVAL, 0, \
	  "flags = 1 << n for each n in 0..31",				\
	  "vfio_df_ioctl_attach_pt(): attach.flags")			\
	X(attach_before_bind, VFIO_DEVICE_ATTACH_IOMMUFD_PT, UNBOUND, EINVAL, 0, \
	  "attach the IOAS before any bind",				\
	  "vfio_main.c vfio_device_fops_unl_ioctl(): !df->access_granted") \
	X(attach_pt_id_zero, VFIO_DEVICE_ATTACH_IOMMUFD_PT, BOUND, ENOENT, 0, \
	  "pt_id = 0",							\
	  "device.c iommufd_device_change_pt(): no object")		\
	X(attach_pt_unknown, VFIO_DEVICE_ATTACH_IOMMUFD_PT, BOUND, ENOENT, 0, \
	  "pt_id = 0xfffff",						\
	  "iommufd_device_change_pt(): no object")			\
	X(attach_pt_is_device, VFIO_DEVICE_ATTACH_IOMMUFD_PT, BOUND, EINVAL, 0, \
	  "pt_id = the device's own ID",				\
	  "iommufd_device_change_pt(): neither IOAS nor HWPT")		\
	X(attach_pt_destroyed_ioas, VFIO_DEVICE_ATTACH_IOMMUFD_PT, BOUND, ENOENT, 0, \
	  "pt_id of a destroyed IOAS",					\
	  "iommufd_device_change_pt(): gone")				\
	X(attach_pt_freed_auto_hwpt, VFIO_DEVICE_ATTACH_IOMMUFD_PT, DETACHED, ENOENT, 0, \
	  "pt_id = the auto HWPT of the detached attachment",		\
	  "the detach destroyed it")					\
	X(attach_twice_same_ioas, VFIO_DEVICE_ATTACH_IOMMUFD_PT, ATTACHED, OK, 0, \
	  "attach again to the IOAS it is attached to",			\
	  "iommufd_device_do_replace(): same HWPT, nothing to do; pt_id returns it") \
	X(attach_replace_other_ioas, VFIO_DEVICE_ATTACH_IOMMUFD_PT, ATTACHED, OK, F_CHANGES, \
	  "attach to a second IOAS while attached to the first",	\
	  "replace: GET_PA moves to the new IOAS, the old gives EOPNOTSUPP") \
	X(attach_replace_onto_mapping_high, VFIO_DEVICE_ATTACH_IOMMUFD_PT, ATTACHED, OK, F_CHANGES, \
	  "replace onto an IOAS with a mapping at 2^48",		\
	  "nothing reserved past a four level table: replaced; GET_PA at 2^48 answers") \
	X(attach_ioas_allowed_high, VFIO_DEVICE_ATTACH_IOMMUFD_PT, BOUND, OK, F_CHANGES, \
	  "an IOAS whose allowed IOVAs include [2^48, 2^49 - 1]",	\
	  "nothing to reserve: attached")				\
	X(attach_ioas_mapped_unaligned, VFIO_DEVICE_ATTACH_IOMMUFD_PT, BOUND, EADDRINUSE, 0, \
	  "an IOAS with a mapping at FREE_IOVA + 0x80 (legal before)",	\
	  "iopt_check_iova_alignment(): the no-IOMMU domain needs PAGE_SIZE") \
	X(attach_mock_hwpt, VFIO_DEVICE_ATTACH_IOMMUFD_PT, BOUND, EINVAL, F_MOCK, \
	  "pt_id = a mock IOMMU's HWPT",				\
	  "device.c iommufd_hwpt_check_noiommu() in iommufd_hwpt_attach_device()") \
	X(attach_replace_onto_mock_hwpt, VFIO_DEVICE_ATTACH_IOMMUFD_PT, ATTACHED, EINVAL, F_MOCK, \
	  "replace onto a mock IOMMU's HWPT",				\
	  "iommufd_hwpt_check_noiommu() in iommufd_hwpt_replace_device()") \
	X(mock_device_onto_noiommu_hwpt, IOMMU_TEST_CMD, ATTACHED, EINVAL, F_MOCK, \
	  "IOMMU_TEST_OP_MOCK_DOMAIN: a device behind the mock IOMMU attaching to the no-IOMMU HWPT", \
	  "iommufd_hwpt_check_noiommu(): a real device never gets a software domain") \
	X(attach_ioas_shared_with_mock, VFIO_DEVICE_ATTACH_IOMMUFD_PT, BOUND, OK, F_MOCK | F_CHANGES, \
	  "attach to an IOAS that already holds a mock IOMMU domain",	\
	  "auto domain: the mock HWPT refuses (EINVAL), a no-IOMMU HWPT is added; GET_PA gives EOPNOTSUPP while the mock domain stores the pages, answers once it is gone") \
	/* ---- VFIO_DEVICE_DETACH_IOMMUFD_PT ---- */			\
	X(detach_argsz_below_min, VFIO_DEVICE_DETACH_IOMMUFD_PT, ATTACHED, EINVAL, 0, \
	  "argsz = 7",							\
	  "device_cdev.c vfio_df_ioctl_detach_pt(): argsz < offsetofend(flags)") \
	X(detach_argsz_larger, VFIO_DEVICE_DETACH_IOMMUFD_PT, ATTACHED, OK, F_CHANGES, \
	  "argsz = 16, bytes 8-15 = 0xff",				\
	  "VFIO's argsz convention; detaches, GET_PA then gives EOPNOTSUPP") \
	X(detach_flags_each_bit, VFIO_DEVICE_DETACH_IOMMUFD_PT, ATTACHED, EINVAL, 0, \
	  "flags = 1 << n for each n in 0..31",				\
	  "vfio_df_ioctl_detach_pt(): detach.flags")			\
	X(detach_before_bind, VFIO_DEVICE_DETACH_IOMMUFD_PT, UNBOUND, EINVAL, 0, \
	  "detach before any bind",					\
	  "vfio_device_fops_unl_ioctl(): !df->access_granted")		\
	X(detach_not_attached, VFIO_DEVICE_DETACH_IOMMUFD_PT, BOUND, OK, 0, \
	  "detach a bound device that was never attached",		\
	  "iommufd.c vfio_iommufd_physical_detach_ioas(): not attached, nothing to do") \
	X(detach_twice, VFIO_DEVICE_DETACH_IOMMUFD_PT, DETACHED, OK, 0,	\
	  "detach again after the detach",				\
	  "vfio_iommufd_physical_detach_ioas(): not attached, nothing to do")

/* ------------------------------------------------------------------------ */

FIXTURE(malformed) {
	const struct row *row;
	char bdf[16];
	int cdev;
	int iommufd;
	uint32_t devid;
	uint32_t ioas;
	/* the auto HWPT the attach returned (ATTACHED and DETACHED) */
	uint32_t hwpt;
	char *buf;
	/* a PROT_NONE page: memory the kernel cannot read or write */
	char *guard;
	long vmpin_base;
	long foll_pins_base;
	long iommu_pages_base;
	unsigned int checks;
};

#define ROW_ARGS struct __test_metadata *_metadata, FIXTURE_DATA(malformed) *self

struct row {
	const char *name;
	const char *ioctl;
	enum state state;
	int err;
	const char *err_name;
	unsigned int flags;
	const char *input;
	const char *why;
	void (*fn)(ROW_ARGS);
};

FIXTURE_VARIANT(malformed) {
	const struct row *row;
};

#define X_ENUM(n, ...) ROW_##n,
enum { MALFORMED_TABLE(X_ENUM) NR_ROWS };

#define X_PROTO(n, ...) static void row_##n(ROW_ARGS);
MALFORMED_TABLE(X_PROTO)

#define X_ROW(n, ioc, st, e, fl, in, why)				\
	[ROW_##n] = { #n, #ioc, ST_##st, e, #e, fl, in, why, row_##n },
static const struct row rows[NR_ROWS] = { MALFORMED_TABLE(X_ROW) };

#define X_VARIANT(n, ...)						\
	FIXTURE_VARIANT_ADD(malformed, n) { .row = &rows[ROW_##n] };
MALFORMED_TABLE(X_VARIANT)

/* ---- what the running kernel offers, probed once before any test ---- */

static struct {
	bool cdev;		/* a no-IOMMU cdev is expected */
	bool iommufd_test;	/* CONFIG_IOMMUFD_TEST: the mock IOMMU */
	bool vfio_group;	/* CONFIG_VFIO_GROUP */
	long foll_pins;		/* pins in the system before any row ran */
	long iommu_pages;	/* IOMMU page table pages before any row */
} kernel;

static void print_markdown(void);

static void __attribute__((constructor)) probe_kernel(void)
{
	const char *md = getenv("MALFORMED_INPUT_MARKDOWN");

	if (md && *md) {
		print_markdown();
		exit(0);
	}
	kernel.cdev = lab_noiommu_requested() &&
		      lab_kconfig("VFIO_NOIOMMU") == 'y' &&
		      lab_kconfig("VFIO_DEVICE_CDEV") == 'y';
	kernel.iommufd_test = lab_kconfig("IOMMUFD_TEST") == 'y';
	kernel.vfio_group = lab_kconfig("VFIO_GROUP") == 'y';
	kernel.foll_pins = lab_foll_pins();
	kernel.iommu_pages = lab_vmstat("nr_iommu_pages");
}

/* ---- the markdown table docs/malformed-input.md is made of ---- */

static void md_cell(const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			fputs("\\|", stdout);
		else
			putchar(*s);
	}
}

static void print_markdown(void)
{
	unsigned int i;

	printf("| # | row | ioctl | state | input | expected | why |\n");
	printf("|---|---|---|---|---|---|---|\n");
	for (i = 0; i < NR_ROWS; i++) {
		const struct row *r = &rows[i];

		printf("| %u | `%s` | %s | %s | ", i + 1, r->name, r->ioctl,
		       state_names[r->state]);
		md_cell(r->input);
		if (r->flags & F_MOCK)
			printf(" (IOMMUFD_TEST kernels only)");
		if (r->flags & F_GROUP)
			printf(" (VFIO_GROUP kernels only)");
		printf(" | %s | ", r->err ? r->err_name : "success");
		md_cell(r->why);
		printf(" |\n");
	}
}

/* ---- reporting a call's outcome against its row ---- */

static const char *errno_name(int err)
{
	static const struct { int err; const char *name; } names[] = {
		{ 0, "0" }, { EPERM, "EPERM" }, { ENOENT, "ENOENT" },
		{ EBADF, "EBADF" }, { ENOMEM, "ENOMEM" }, { EFAULT, "EFAULT" },
		{ EBUSY, "EBUSY" }, { EEXIST, "EEXIST" }, { ENODEV, "ENODEV" },
		{ EINVAL, "EINVAL" }, { ENOSPC, "ENOSPC" }, { ENOTTY, "ENOTTY" },
		{ E2BIG, "E2BIG" }, { EOVERFLOW, "EOVERFLOW" },
		{ EBADFD, "EBADFD" }, { EMSGSIZE, "EMSGSIZE" },
		{ EOPNOTSUPP, "EOPNOTSUPP" }, { EADDRINUSE, "EADDRINUSE" },
	};
	static char other[16];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].err == err)
			return names[i].name;
	snprintf(other, sizeof(other), "errno %d", err);
	return other;
}

/*
 * Compare one call with the row's expectation. A row with a loop (bit >= 0)
 * keeps going so that every bit that misbehaves is reported.
 */
static void check_call(ROW_ARGS, int rc, int err, const char *call, int bit)
{
	const struct row *row = self->row;
	bool ok = row->err ? rc == -1 && err == row->err : rc == 0;
	char where[24] = "";

	self->checks++;
	if (bit >= 0)
		snprintf(where, sizeof(where), " [bit %d]", bit);
	if (!ok)
		TH_LOG("row %s%s: %s: expected %s, got %s", row->name, where,
		       call, row->err ? row->err_name : "success",
		       rc ? errno_name(err) : "success");
	if (bit >= 0) {
		EXPECT_TRUE(ok);
	} else {
		ASSERT_TRUE(ok);
	}
}

#define CHECK_CALL(expr, text, bit)					\
	do {								\
		int rc_ = (expr);					\
		int err_ = errno;					\
		check_call(_metadata, self, rc_, err_, text, bit);	\
	} while (0)
/* The call under test */
#define CHECK(expr) CHECK_CALL(expr, #expr, -1)
/* One of a row's calls, one per bit */
#define CHECK_BIT(expr, bit) CHECK_CALL(expr, #expr, bit)

/* ---- plain ioctl wrappers: -1 and errno on failure (also lab_guest.h) ---- */

/* A kernel-chosen IOVA */
static int map_anywhere(int iommufd, uint32_t ioas, const void *va,
			uint64_t len)
{
	struct iommu_ioas_map map = lab_map_cmd(ioas, va, len, 0);

	map.flags &= ~IOMMU_IOAS_MAP_FIXED_IOVA;
	return ioctl(iommufd, IOMMU_IOAS_MAP, &map);
}

static struct iommu_ioas_unmap unmap_cmd(uint32_t ioas, uint64_t iova,
					 uint64_t len)
{
	return (struct iommu_ioas_unmap){
		.size = sizeof(struct iommu_ioas_unmap),
		.ioas_id = ioas,
		.iova = iova,
		.length = len,
	};
}

static struct iommu_ioas_copy copy_cmd(uint32_t dst, uint64_t dst_iova,
				       uint32_t src, uint64_t src_iova,
				       uint64_t len)
{
	return (struct iommu_ioas_copy){
		.size = sizeof(struct iommu_ioas_copy),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.dst_ioas_id = dst,
		.src_ioas_id = src,
		.length = len,
		.dst_iova = dst_iova,
		.src_iova = src_iova,
	};
}

static int copy(int iommufd, uint32_t dst, uint64_t dst_iova, uint32_t src,
		uint64_t src_iova, uint64_t len)
{
	struct iommu_ioas_copy cmd = copy_cmd(dst, dst_iova, src, src_iova, len);

	return ioctl(iommufd, IOMMU_IOAS_COPY, &cmd);
}

static struct iommu_ioas_noiommu_get_pa get_pa_cmd(uint32_t ioas,
						   uint64_t iova)
{
	return (struct iommu_ioas_noiommu_get_pa){
		.size = sizeof(struct iommu_ioas_noiommu_get_pa),
		.ioas_id = ioas,
		.iova = iova,
		.length = UINT64_MAX,
	};
}

/* lab_get_pa, with *pa 0 whenever the call failed */
static int get_pa(int iommufd, uint32_t ioas, uint64_t iova, uint64_t *pa)
{
	int rc = lab_get_pa(iommufd, ioas, iova, pa, NULL);

	if (rc && pa)
		*pa = 0;
	return rc;
}

static struct iommu_hwpt_alloc hwpt_cmd(uint32_t dev, uint32_t pt)
{
	return (struct iommu_hwpt_alloc){
		.size = sizeof(struct iommu_hwpt_alloc),
		.dev_id = dev,
		.pt_id = pt,
	};
}

static int hwpt_alloc(int iommufd, uint32_t dev, uint32_t pt, uint32_t *out)
{
	struct iommu_hwpt_alloc cmd = hwpt_cmd(dev, pt);
	int rc = ioctl(iommufd, IOMMU_HWPT_ALLOC, &cmd);

	if (!rc && out)
		*out = cmd.out_hwpt_id;
	return rc;
}

static struct iommu_hw_info hw_info_cmd(uint32_t dev)
{
	return (struct iommu_hw_info){
		.size = sizeof(struct iommu_hw_info),
		.dev_id = dev,
	};
}

static int hw_info(int iommufd, uint32_t dev)
{
	struct iommu_hw_info cmd = hw_info_cmd(dev);

	return ioctl(iommufd, IOMMU_GET_HW_INFO, &cmd);
}

static int iova_ranges(int iommufd, uint32_t ioas,
		       struct iommu_iova_range *ranges, uint32_t num)
{
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.num_iovas = num,
		.allowed_iovas = (uintptr_t)ranges,
	};

	return ioctl(iommufd, IOMMU_IOAS_IOVA_RANGES, &cmd);
}

static int allow_iovas(int iommufd, uint32_t ioas,
		       const struct iommu_iova_range *ranges, uint32_t num)
{
	struct iommu_ioas_allow_iovas cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.num_iovas = num,
		.allowed_iovas = (uintptr_t)ranges,
	};

	return ioctl(iommufd, IOMMU_IOAS_ALLOW_IOVAS, &cmd);
}

/* IOMMU_TEST_OP_MOCK_DOMAIN: a device behind the mock IOMMU attached to
 * pt_id; returns the mock HWPT's ID in *hwpt. */
/* A mock device attached to pt_id: its HWPT and, optionally, its own ID */
static int mock_device(int iommufd, uint32_t pt_id, uint32_t *hwpt,
		       uint32_t *stdev)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN,
		.id = pt_id,
	};
	int rc = ioctl(iommufd, IOMMU_TEST_CMD, &cmd);

	if (!rc && hwpt)
		*hwpt = cmd.mock_domain.out_hwpt_id;
	if (!rc && stdev)
		*stdev = cmd.mock_domain.out_stdev_id;
	return rc;
}

static int mock_domain(int iommufd, uint32_t pt_id, uint32_t *hwpt)
{
	return mock_device(iommufd, pt_id, hwpt, NULL);
}

/*
 * Issue an IOMMUFD ioctl whose header says usize bytes: cmd (ksize bytes)
 * followed by zeroes, except the last byte, which is tail. The kernel's
 * answer is copied back into cmd.
 */
static int ioctl_sized(int fd, unsigned long nr, void *cmd, size_t ksize,
		       uint32_t usize, uint8_t tail)
{
	uint8_t buf[128] = { 0 };
	int rc, err;

	memcpy(buf, cmd, ksize);
	memcpy(buf, &usize, sizeof(usize));
	if (usize > ksize)
		buf[usize - 1] = tail;
	rc = ioctl(fd, nr, buf);
	err = errno;
	memcpy(cmd, buf, ksize);
	/* a zero tail must come back untouched */
	if (usize > ksize && !tail && buf[usize - 1]) {
		rc = -1;
		err = EIO;
	}
	errno = err;
	return rc;
}

/* Run call(self) in a child that dropped CAP_SYS_RAWIO; its result */
static int without_rawio(int (*call)(FIXTURE_DATA(malformed) *),
			 FIXTURE_DATA(malformed) *self)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (lab_drop_capability(CAP_SYS_RAWIO))
			_exit(255);
		_exit(call(self) ? errno : 0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
		errno = ECHILD;
		return -1;
	}
	if (!WEXITSTATUS(status))
		return 0;
	errno = WEXITSTATUS(status);
	return -1;
}

/* ---- set-up steps rows share; they must work, or the row is broken ---- */

static uint32_t new_ioas(ROW_ARGS)
{
	uint32_t id = 0;

	ASSERT_EQ(0, lab_ioas_alloc(self->iommufd, &id));
	return id;
}

static uint32_t destroyed_ioas(ROW_ARGS)
{
	uint32_t id = new_ioas(_metadata, self);

	ASSERT_EQ(0, lab_destroy(self->iommufd, id));
	return id;
}

/* A device-less IOAS holding one mapping of len bytes from buf + off */
static uint32_t ioas_mapped_at(ROW_ARGS, uint64_t iova, size_t off,
			       uint64_t len)
{
	uint32_t id = new_ioas(_metadata, self);

	ASSERT_EQ(0, lab_map_fixed(self->iommufd, id, self->buf + off, len, iova))
		TH_LOG("map at %#llx: %s", (unsigned long long)iova,
		       strerror(errno));
	return id;
}

static uint32_t manual_hwpt(ROW_ARGS, uint32_t ioas)
{
	uint32_t id = 0;

	ASSERT_EQ(0, hwpt_alloc(self->iommufd, self->devid, ioas, &id))
		TH_LOG("HWPT_ALLOC: %s", strerror(errno));
	return id;
}

static void close_cdev(FIXTURE_DATA(malformed) *self)
{
	if (self->cdev >= 0)
		close(self->cdev);
	self->cdev = -1;
}

static void release_all(FIXTURE_DATA(malformed) *self)
{
	close_cdev(self);
	if (self->iommufd >= 0)
		close(self->iommufd);
	self->iommufd = -1;
}

/* GET_PA of iova gives the physical address of va */
static void expect_pa(ROW_ARGS, uint32_t ioas, uint64_t iova, const void *va)
{
	uint64_t pa = 0;

	ASSERT_EQ(0, get_pa(self->iommufd, ioas, iova, &pa))
		TH_LOG("row %s: GET_PA %#llx: %s", self->row->name,
		       (unsigned long long)iova, strerror(errno));
	ASSERT_EQ(lab_pagemap_pa(va), pa);
}

static void expect_no_pa(ROW_ARGS, uint32_t ioas, uint64_t iova, int err)
{
	ASSERT_EQ(-1, get_pa(self->iommufd, ioas, iova, NULL));
	ASSERT_EQ(err, errno) TH_LOG("row %s: GET_PA %#llx: %s",
				     self->row->name, (unsigned long long)iova,
				     strerror(errno));
}

/* ======================= IOMMU_IOAS_NOIOMMU_GET_PA ======================= */

static int get_pa_sized(FIXTURE_DATA(malformed) *self, uint32_t usize,
			uint8_t tail, uint64_t *pa)
{
	struct iommu_ioas_noiommu_get_pa cmd = get_pa_cmd(self->ioas, MAP_IOVA);
	int rc = ioctl_sized(self->iommufd, IOMMU_IOAS_NOIOMMU_GET_PA, &cmd,
			     sizeof(cmd), usize, tail);

	if (pa)
		*pa = cmd.out_phys;
	return rc;
}

static void row_get_pa_size_zero(ROW_ARGS)
{
	CHECK(get_pa_sized(self, 0, 0, NULL));
}

static void row_get_pa_size_below_min(ROW_ARGS)
{
	CHECK(get_pa_sized(self, sizeof(struct iommu_ioas_noiommu_get_pa) - 1,
			   0, NULL));
}

static void row_get_pa_tail_nonzero(ROW_ARGS)
{
	CHECK(get_pa_sized(self, sizeof(struct iommu_ioas_noiommu_get_pa) + 8,
			   1, NULL));
}

static void row_get_pa_tail_zero(ROW_ARGS)
{
	uint64_t pa = 0;

	CHECK(get_pa_sized(self, sizeof(struct iommu_ioas_noiommu_get_pa) + 8,
			   0, &pa));
	ASSERT_EQ(lab_pagemap_pa(self->buf), pa);
}

static void row_get_pa_size_past_readable(ROW_ARGS)
{
	struct iommu_ioas_noiommu_get_pa *cmd;
	char *two = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, two);
	ASSERT_EQ(0, mprotect(two + PAGE, PAGE, PROT_NONE));
	/* The struct ends where the readable memory does */
	cmd = (void *)(two + PAGE - sizeof(*cmd));
	*cmd = get_pa_cmd(self->ioas, MAP_IOVA);
	cmd->size = 2 * PAGE;
	CHECK(ioctl(self->iommufd, IOMMU_IOAS_NOIOMMU_GET_PA, cmd));
	munmap(two, 2 * PAGE);
}

static void row_get_pa_flags_each_bit(ROW_ARGS)
{
	int bit;

	for (bit = 0; bit < 32; bit++) {
		struct iommu_ioas_noiommu_get_pa cmd =
			get_pa_cmd(self->ioas, MAP_IOVA);

		cmd.flags = 1u << bit;
		CHECK_BIT(ioctl(self->iommufd, IOMMU_IOAS_NOIOMMU_GET_PA, &cmd),
			  bit);
	}
}

static void row_get_pa_reserved_each_bit(ROW_ARGS)
{
	int bit;

	for (bit = 0; bit < 32; bit++) {
		struct iommu_ioas_noiommu_get_pa cmd =
			get_pa_cmd(self->ioas, MAP_IOVA);

		cmd.__reserved = 1u << bit;
		CHECK_BIT(ioctl(self->iommufd, IOMMU_IOAS_NOIOMMU_GET_PA, &cmd),
			  bit);
	}
}

static void row_get_pa_length_zero(ROW_ARGS)
{
	struct iommu_ioas_noiommu_get_pa cmd = get_pa_cmd(self->ioas, MAP_IOVA);

	cmd.length = 0;
	CHECK(ioctl(self->iommufd, IOMMU_IOAS_NOIOMMU_GET_PA, &cmd));
}

static void row_get_pa_flags_before_length(ROW_ARGS)
{
	struct iommu_ioas_noiommu_get_pa cmd = get_pa_cmd(self->ioas, MAP_IOVA);

	cmd.flags = 1;
	cmd.length = 0;
	CHECK(ioctl(self->iommufd, IOMMU_IOAS_NOIOMMU_GET_PA, &cmd));
}

static void row_get_pa_length_before_iova(ROW_ARGS)
{
	struct iommu_ioas_noiommu_get_pa cmd = get_pa_cmd(self->ioas, UINT64_MAX);

	cmd.length = 0;
	CHECK(ioctl(self->iommufd, IOMMU_IOAS_NOIOMMU_GET_PA, &cmd));
}

static void row_get_pa_iova_before_ioas(ROW_ARGS)
{
	CHECK(get_pa(self->iommufd, UNKNOWN_ID, UINT64_MAX, NULL));
}

static void row_get_pa_wrong_encoding(ROW_ARGS)
{
	struct iommu_ioas_noiommu_get_pa cmd = get_pa_cmd(self->ioas, MAP_IOVA);

	CHECK(ioctl(self->iommufd,
		    _IOWR(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_NOIOMMU_GET_PA,
			  struct iommu_ioas_noiommu_get_pa), &cmd));
}

static void row_cmd_gap_numbers(ROW_ARGS)
{
	int nr;

	for (nr = GAP_FIRST; nr <= IOMMUFD_CMD_IOAS_NOIOMMU_GET_PA + 1; nr++) {
		struct iommu_ioas_noiommu_get_pa cmd =
			get_pa_cmd(self->ioas, MAP_IOVA);

		if (nr > GAP_LAST && nr <= IOMMUFD_CMD_IOAS_NOIOMMU_GET_PA)
			continue;
		CHECK_BIT(ioctl(self->iommufd, _IO(IOMMUFD_TYPE, nr), &cmd),
			  nr);
	}
}

static void row_get_pa_ioas_id_zero(ROW_ARGS)
{
	CHECK(get_pa(self->iommufd, 0, MAP_IOVA, NULL));
}

static void row_get_pa_ioas_unknown(ROW_ARGS)
{
	CHECK(get_pa(self->iommufd, UNKNOWN_ID, MAP_IOVA, NULL));
}

static void row_get_pa_ioas_is_device(ROW_ARGS)
{
	CHECK(get_pa(self->iommufd, self->devid, MAP_IOVA, NULL));
}

static void row_get_pa_ioas_is_hwpt(ROW_ARGS)
{
	CHECK(get_pa(self->iommufd, self->hwpt, MAP_IOVA, NULL));
}

static void row_get_pa_ioas_destroyed(ROW_ARGS)
{
	uint32_t gone = destroyed_ioas(_metadata, self);

	CHECK(get_pa(self->iommufd, gone, MAP_IOVA, NULL));
}

static void row_get_pa_ioas_of_other_iommufd(ROW_ARGS)
{
	int other = open("/dev/iommu", O_RDWR);

	ASSERT_LE(0, other);
	CHECK(get_pa(other, self->ioas, MAP_IOVA, NULL));
	close(other);
}

static void row_get_pa_iova_unmapped(ROW_ARGS)
{
	CHECK(get_pa(self->iommufd, self->ioas, 0, NULL));
}

static void row_get_pa_iova_before_mapping(ROW_ARGS)
{
	CHECK(get_pa(self->iommufd, self->ioas, MAP_IOVA - 1, NULL));
}

static void row_get_pa_iova_after_mapping(ROW_ARGS)
{
	CHECK(get_pa(self->iommufd, self->ioas, MAP_IOVA + MAPPED, NULL));
}

static void row_get_pa_iova_high(ROW_ARGS)
{
	CHECK(get_pa(self->iommufd, self->ioas, HIGH_IOVA, NULL));
}

static void row_get_pa_iova_max(ROW_ARGS)
{
	CHECK(get_pa(self->iommufd, self->ioas, UINT64_MAX, NULL));
}

static void row_get_pa_iova_max_minus_one(ROW_ARGS)
{
	CHECK(get_pa(self->iommufd, self->ioas, UINT64_MAX - 1, NULL));
}

static void row_get_pa_after_unmap(ROW_ARGS)
{
	ASSERT_EQ(0, lab_unmap(self->iommufd, self->ioas, MAP_IOVA, MAPPED));
	CHECK(get_pa(self->iommufd, self->ioas, MAP_IOVA, NULL));
	ASSERT_EQ(self->vmpin_base, lab_vmpin_kb());
}

static void row_get_pa_no_device_ever(ROW_ARGS)
{
	uint32_t ioas = ioas_mapped_at(_metadata, self, MAP_IOVA, 0, PAGE);

	CHECK(get_pa(self->iommufd, ioas, MAP_IOVA, NULL));
}

static void row_get_pa_unmapped_before_storage(ROW_ARGS)
{
	uint32_t ioas = ioas_mapped_at(_metadata, self, MAP_IOVA, 0, PAGE);

	CHECK(get_pa(self->iommufd, ioas, FREE_IOVA, NULL));
}

static void row_get_pa_unbound(ROW_ARGS)
{
	ASSERT_EQ(0, lab_map_fixed(self->iommufd, self->ioas, self->buf, PAGE,
			       MAP_IOVA));
	CHECK(get_pa(self->iommufd, self->ioas, MAP_IOVA, NULL));
}

static void row_get_pa_after_detach(ROW_ARGS)
{
	CHECK(get_pa(self->iommufd, self->ioas, MAP_IOVA, NULL));
}

static void row_get_pa_map_after_detach(ROW_ARGS)
{
	ASSERT_EQ(0, lab_map_fixed(self->iommufd, self->ioas, self->buf + MAPPED,
			       PAGE, FREE_IOVA));
	/* No domain: mapping pinned nothing */
	ASSERT_EQ(self->vmpin_base, lab_vmpin_kb());
	CHECK(get_pa(self->iommufd, self->ioas, FREE_IOVA, NULL));
}

static void row_get_pa_other_ioas(ROW_ARGS)
{
	uint32_t ioas = ioas_mapped_at(_metadata, self, MAP_IOVA, MAPPED, PAGE);

	CHECK(get_pa(self->iommufd, ioas, MAP_IOVA, NULL));
}

static void row_get_pa_copy_dst_without_device(ROW_ARGS)
{
	uint32_t dst = new_ioas(_metadata, self);

	ASSERT_EQ(0, copy(self->iommufd, dst, FREE_IOVA, self->ioas, MAP_IOVA,
			  MAPPED));
	CHECK(get_pa(self->iommufd, dst, FREE_IOVA, NULL));
}

static void row_get_pa_after_device_closed(ROW_ARGS)
{
	close_cdev(self);
	CHECK(get_pa(self->iommufd, self->ioas, MAP_IOVA, NULL));
	ASSERT_EQ(self->vmpin_base, lab_vmpin_kb());
}

static void row_get_pa_manual_hwpt_without_device(ROW_ARGS)
{
	uint32_t ioas = new_ioas(_metadata, self);
	uint64_t pa = 0;

	manual_hwpt(_metadata, self, ioas);
	ASSERT_EQ(0, lab_map_fixed(self->iommufd, ioas, self->buf, PAGE, MAP_IOVA));
	CHECK(get_pa(self->iommufd, ioas, MAP_IOVA, &pa));
	ASSERT_EQ(lab_pagemap_pa(self->buf), pa);
	/* The HWPT's domain pinned the page */
	ASSERT_EQ(self->vmpin_base + (long)(PAGE / 1024), lab_vmpin_kb());
	/* ... and keeps it pinned, and answers, with no device bound at all */
	close_cdev(self);
	pa = 0;
	CHECK(get_pa(self->iommufd, ioas, MAP_IOVA, &pa));
	ASSERT_EQ(lab_pagemap_pa(self->buf), pa);
	ASSERT_EQ(self->vmpin_base + (long)(PAGE / 1024), lab_vmpin_kb());
}

static int get_pa_at_map_iova(FIXTURE_DATA(malformed) *self)
{
	return get_pa(self->iommufd, self->ioas, MAP_IOVA, NULL);
}

static void row_get_pa_without_cap_sys_rawio(ROW_ARGS)
{
	CHECK(without_rawio(get_pa_at_map_iova, self));
}

/* Wrong in every other field too: flags, length, IOVA and IOAS */
static int get_pa_all_wrong(FIXTURE_DATA(malformed) *self)
{
	struct iommu_ioas_noiommu_get_pa cmd = get_pa_cmd(UNKNOWN_ID,
							   UINT64_MAX);

	cmd.flags = 1;
	cmd.length = 0;
	return ioctl(self->iommufd, IOMMU_IOAS_NOIOMMU_GET_PA, &cmd);
}

static void row_get_pa_perm_before_everything(ROW_ARGS)
{
	CHECK(without_rawio(get_pa_all_wrong, self));
}

/* ============================ IOMMU_IOAS_MAP ============================ */

static int map_sized(FIXTURE_DATA(malformed) *self, uint32_t usize,
		     uint8_t tail)
{
	struct iommu_ioas_map cmd = lab_map_cmd(self->ioas, self->buf + MAPPED,
					    PAGE, FREE_IOVA);

	return ioctl_sized(self->iommufd, IOMMU_IOAS_MAP, &cmd, sizeof(cmd),
			   usize, tail);
}

static void row_map_size_below_min(ROW_ARGS)
{
	CHECK(map_sized(self, offsetofend(struct iommu_ioas_map, iova) - 1, 0));
}

static void row_map_tail_nonzero(ROW_ARGS)
{
	CHECK(map_sized(self, sizeof(struct iommu_ioas_map) + 8, 1));
}

static void row_map_tail_zero(ROW_ARGS)
{
	CHECK(map_sized(self, sizeof(struct iommu_ioas_map) + 8, 0));
	expect_pa(_metadata, self, self->ioas, FREE_IOVA, self->buf + MAPPED);
}

static void row_map_flags_each_undefined_bit(ROW_ARGS)
{
	int bit;

	for (bit = 3; bit < 32; bit++) {
		struct iommu_ioas_map cmd = lab_map_cmd(self->ioas, self->buf + MAPPED,
						    PAGE, FREE_IOVA);

		cmd.flags |= 1u << bit;
		CHECK_BIT(ioctl(self->iommufd, IOMMU_IOAS_MAP, &cmd), bit);
	}
}

static void row_map_reserved_each_bit(ROW_ARGS)
{
	int bit;

	for (bit = 0; bit < 32; bit++) {
		struct iommu_ioas_map cmd = lab_map_cmd(self->ioas, self->buf + MAPPED,
						    PAGE, FREE_IOVA);

		cmd.__reserved = 1u << bit;
		CHECK_BIT(ioctl(self->iommufd, IOMMU_IOAS_MAP, &cmd), bit);
	}
}

static void row_map_no_read_no_write(ROW_ARGS)
{
	struct iommu_ioas_map cmd = lab_map_cmd(self->ioas, self->buf + MAPPED,
					    PAGE, FREE_IOVA);

	cmd.flags = IOMMU_IOAS_MAP_FIXED_IOVA;
	CHECK(ioctl(self->iommufd, IOMMU_IOAS_MAP, &cmd));
}

static void row_map_zero_length(ROW_ARGS)
{
	CHECK(lab_map_fixed(self->iommufd, self->ioas, self->buf + MAPPED, 0,
			FREE_IOVA));
}

static void row_map_unaligned_iova(ROW_ARGS)
{
	CHECK(lab_map_fixed(self->iommufd, self->ioas, self->buf + MAPPED, PAGE,
			FREE_IOVA + 1));
}

static void row_map_unaligned_length(ROW_ARGS)
{
	CHECK(lab_map_fixed(self->iommufd, self->ioas, self->buf + MAPPED, PAGE + 1,
			FREE_IOVA));
}

static void row_map_unaligned_user_va(ROW_ARGS)
{
	CHECK(lab_map_fixed(self->iommufd, self->ioas, self->buf + MAPPED + 1,
			PAGE, FREE_IOVA));
}

static void row_map_kernel_iova_unaligned_length(ROW_ARGS)
{
	CHECK(map_anywhere(self->iommufd, self->ioas, self->buf + MAPPED,
			   PAGE + 1));
}

static void row_map_kernel_iova_no_room(ROW_ARGS)
{
	const struct iommu_iova_range one_page = {
		FREE_IOVA, FREE_IOVA + PAGE - 1
	};
	uint32_t ioas = new_ioas(_metadata, self);

	ASSERT_EQ(0, allow_iovas(self->iommufd, ioas, &one_page, 1));
	CHECK(map_anywhere(self->iommufd, ioas, self->buf + MAPPED, 2 * PAGE));
}

static void row_map_iova_length_overflow(ROW_ARGS)
{
	CHECK(lab_map_fixed(self->iommufd, self->ioas, self->buf + MAPPED,
			2 * PAGE, -PAGE));
}

static void row_map_iova_ulong_max(ROW_ARGS)
{
	CHECK(lab_map_fixed(self->iommufd, self->ioas, self->buf + MAPPED, PAGE,
			ULONG_MAX));
}

static void row_map_length_ulong_max(ROW_ARGS)
{
	CHECK(lab_map_fixed(self->iommufd, self->ioas, self->buf + MAPPED,
			ULONG_MAX, FREE_IOVA));
}

static void row_map_user_va_length_overflow(ROW_ARGS)
{
	CHECK(lab_map_fixed(self->iommufd, self->ioas, (void *)-PAGE, 2 * PAGE,
			FREE_IOVA));
}

static void row_map_high_iova(ROW_ARGS)
{
	CHECK(lab_map_fixed(self->iommufd, self->ioas, self->buf + MAPPED, PAGE,
			HIGH_IOVA));
	expect_pa(_metadata, self, self->ioas, HIGH_IOVA, self->buf + MAPPED);
}

static void row_map_top_of_space(ROW_ARGS)
{
	uint64_t top = -PAGE, pa = 0;

	CHECK(lab_map_fixed(self->iommufd, self->ioas, self->buf + MAPPED, PAGE,
			top));
	expect_pa(_metadata, self, self->ioas, top, self->buf + MAPPED);
	ASSERT_EQ(0, get_pa(self->iommufd, self->ioas, UINT64_MAX - 1, &pa));
	ASSERT_EQ(lab_pagemap_pa(self->buf + MAPPED) + PAGE - 2, pa);
	expect_no_pa(_metadata, self, self->ioas, UINT64_MAX, EOVERFLOW);
}

static void row_map_over_existing(ROW_ARGS)
{
	CHECK(lab_map_fixed(self->iommufd, self->ioas, self->buf + MAPPED, PAGE,
			MAP_IOVA + PAGE));
}

static void row_map_ioas_unknown(ROW_ARGS)
{
	CHECK(lab_map_fixed(self->iommufd, UNKNOWN_ID, self->buf + MAPPED, PAGE,
			FREE_IOVA));
}

static void row_map_ioas_is_device(ROW_ARGS)
{
	CHECK(lab_map_fixed(self->iommufd, self->devid, self->buf + MAPPED, PAGE,
			FREE_IOVA));
}

static void row_map_ioas_is_hwpt(ROW_ARGS)
{
	CHECK(lab_map_fixed(self->iommufd, self->hwpt, self->buf + MAPPED, PAGE,
			FREE_IOVA));
}

static void row_map_ioas_destroyed(ROW_ARGS)
{
	uint32_t gone = destroyed_ioas(_metadata, self);

	CHECK(lab_map_fixed(self->iommufd, gone, self->buf + MAPPED, PAGE,
			FREE_IOVA));
}

static void row_map_user_memory_absent(ROW_ARGS)
{
	CHECK(lab_map_fixed(self->iommufd, self->ioas, self->guard, PAGE,
			FREE_IOVA));
}

static void row_map_second_page_absent(ROW_ARGS)
{
	char *two = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	ASSERT_NE(MAP_FAILED, two);
	ASSERT_EQ(0, mprotect(two + PAGE, PAGE, PROT_NONE));
	CHECK(lab_map_fixed(self->iommufd, self->ioas, two, 2 * PAGE, FREE_IOVA));
	munmap(two, 2 * PAGE);
}

static void row_map_read_only_memory_writeable(ROW_ARGS)
{
	char *ro = mmap(NULL, PAGE, PROT_READ,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	ASSERT_NE(MAP_FAILED, ro);
	CHECK(lab_map_fixed(self->iommufd, self->ioas, ro, PAGE, FREE_IOVA));
	munmap(ro, PAGE);
}

static void row_map_over_rlimit(ROW_ARGS)
{
	struct rlimit tiny = { 8 * PAGE, 8 * PAGE };

	ASSERT_EQ(0, setrlimit(RLIMIT_MEMLOCK, &tiny));
	CHECK(lab_map_fixed(self->iommufd, self->ioas, self->buf, BUF_PAGES * PAGE,
			FREE_IOVA));
}

/* =========================== IOMMU_IOAS_UNMAP =========================== */

static int unmap_sized(FIXTURE_DATA(malformed) *self, uint32_t usize,
		       uint8_t tail, uint64_t *len)
{
	struct iommu_ioas_unmap cmd = unmap_cmd(self->ioas, MAP_IOVA, MAPPED);
	int rc = ioctl_sized(self->iommufd, IOMMU_IOAS_UNMAP, &cmd,
			     sizeof(cmd), usize, tail);

	if (len)
		*len = cmd.length;
	return rc;
}

static void row_unmap_size_below_min(ROW_ARGS)
{
	CHECK(unmap_sized(self, sizeof(struct iommu_ioas_unmap) - 1, 0, NULL));
}

static void row_unmap_tail_nonzero(ROW_ARGS)
{
	CHECK(unmap_sized(self, sizeof(struct iommu_ioas_unmap) + 8, 1, NULL));
}

/* What a successful unmap of the whole mapping leaves */
static void expect_unmapped(ROW_ARGS, uint64_t len)
{
	ASSERT_EQ(MAPPED, len);
	expect_no_pa(_metadata, self, self->ioas, MAP_IOVA, ENOENT);
	ASSERT_EQ(self->vmpin_base, lab_vmpin_kb());
}

static void row_unmap_tail_zero(ROW_ARGS)
{
	uint64_t len = 0;

	CHECK(unmap_sized(self, sizeof(struct iommu_ioas_unmap) + 8, 0, &len));
	expect_unmapped(_metadata, self, len);
}

static void row_unmap_zero_length(ROW_ARGS)
{
	CHECK(lab_unmap(self->iommufd, self->ioas, MAP_IOVA, 0));
}

static void row_unmap_unaligned_iova(ROW_ARGS)
{
	CHECK(lab_unmap(self->iommufd, self->ioas, MAP_IOVA + 1, PAGE));
}

static void row_unmap_unaligned_length_short(ROW_ARGS)
{
	CHECK(lab_unmap(self->iommufd, self->ioas, MAP_IOVA, PAGE + 1));
}

static void row_unmap_unaligned_length_covering(ROW_ARGS)
{
	struct iommu_ioas_unmap cmd = unmap_cmd(self->ioas, MAP_IOVA,
						MAPPED + 1);

	CHECK(ioctl(self->iommufd, IOMMU_IOAS_UNMAP, &cmd));
	expect_unmapped(_metadata, self, cmd.length);
}

static void row_unmap_half_mapping(ROW_ARGS)
{
	CHECK(lab_unmap(self->iommufd, self->ioas, MAP_IOVA, PAGE));
}

static void row_unmap_nothing_mapped(ROW_ARGS)
{
	CHECK(lab_unmap(self->iommufd, self->ioas, FREE_IOVA, PAGE));
}

static void row_unmap_iova_length_overflow(ROW_ARGS)
{
	CHECK(lab_unmap(self->iommufd, self->ioas, MAP_IOVA, ULONG_MAX - 1));
}

static void row_unmap_iova_ulong_max(ROW_ARGS)
{
	CHECK(lab_unmap(self->iommufd, self->ioas, ULONG_MAX, PAGE));
}

static void row_unmap_all(ROW_ARGS)
{
	struct iommu_ioas_unmap cmd = unmap_cmd(self->ioas, 0, UINT64_MAX);

	CHECK(ioctl(self->iommufd, IOMMU_IOAS_UNMAP, &cmd));
	expect_unmapped(_metadata, self, cmd.length);
}

static void row_unmap_ioas_is_device(ROW_ARGS)
{
	CHECK(lab_unmap(self->iommufd, self->devid, MAP_IOVA, MAPPED));
}

static void row_unmap_ioas_is_hwpt(ROW_ARGS)
{
	CHECK(lab_unmap(self->iommufd, self->hwpt, MAP_IOVA, MAPPED));
}

static void row_unmap_ioas_destroyed(ROW_ARGS)
{
	uint32_t gone = destroyed_ioas(_metadata, self);

	CHECK(lab_unmap(self->iommufd, gone, MAP_IOVA, MAPPED));
}

/* ============================ IOMMU_IOAS_COPY ============================ */

/* The copy every COPY row varies: the mapping to FREE_IOVA, same IOAS */
static struct iommu_ioas_copy good_copy(FIXTURE_DATA(malformed) *self)
{
	return copy_cmd(self->ioas, FREE_IOVA, self->ioas, MAP_IOVA, MAPPED);
}

static int copy_sized(FIXTURE_DATA(malformed) *self, uint32_t usize,
		      uint8_t tail)
{
	struct iommu_ioas_copy cmd = good_copy(self);

	return ioctl_sized(self->iommufd, IOMMU_IOAS_COPY, &cmd, sizeof(cmd),
			   usize, tail);
}

static int copy_ioctl(FIXTURE_DATA(malformed) *self, struct iommu_ioas_copy *cmd)
{
	return ioctl(self->iommufd, IOMMU_IOAS_COPY, cmd);
}

static void row_copy_size_below_min(ROW_ARGS)
{
	CHECK(copy_sized(self, sizeof(struct iommu_ioas_copy) - 1, 0));
}

static void row_copy_tail_nonzero(ROW_ARGS)
{
	CHECK(copy_sized(self, sizeof(struct iommu_ioas_copy) + 8, 1));
}

static void row_copy_tail_zero(ROW_ARGS)
{
	CHECK(copy_sized(self, sizeof(struct iommu_ioas_copy) + 8, 0));
	expect_pa(_metadata, self, self->ioas, FREE_IOVA, self->buf);
	expect_pa(_metadata, self, self->ioas, MAP_IOVA, self->buf);
}

static void row_copy_flags_each_undefined_bit(ROW_ARGS)
{
	int bit;

	for (bit = 3; bit < 32; bit++) {
		struct iommu_ioas_copy cmd = good_copy(self);

		/* IOMMUFD_TEST kernels take bit 16 for syzkaller's IOVAs */
		if (kernel.iommufd_test && 1u << bit == MOCK_FLAGS_ACCESS_SYZ)
			continue;
		cmd.flags |= 1u << bit;
		CHECK_BIT(copy_ioctl(self, &cmd), bit);
	}
}

static void row_copy_no_read_no_write(ROW_ARGS)
{
	struct iommu_ioas_copy cmd = good_copy(self);

	cmd.flags = IOMMU_IOAS_MAP_FIXED_IOVA;
	CHECK(copy_ioctl(self, &cmd));
}

static void row_copy_zero_length(ROW_ARGS)
{
	struct iommu_ioas_copy cmd = good_copy(self);

	cmd.length = 0;
	CHECK(copy_ioctl(self, &cmd));
}

static void row_copy_src_unmapped(ROW_ARGS)
{
	struct iommu_ioas_copy cmd = good_copy(self);

	cmd.src_iova = FREE_IOVA;
	cmd.dst_iova = 2 * FREE_IOVA;
	CHECK(copy_ioctl(self, &cmd));
}

static void row_copy_src_partly_mapped(ROW_ARGS)
{
	struct iommu_ioas_copy cmd = good_copy(self);

	cmd.length = MAPPED + PAGE;
	CHECK(copy_ioctl(self, &cmd));
}

static void row_copy_src_iova_length_overflow(ROW_ARGS)
{
	struct iommu_ioas_copy cmd = good_copy(self);

	cmd.length = ULONG_MAX - 1;
	CHECK(copy_ioctl(self, &cmd));
}

static void row_copy_dst_iova_ulong_max(ROW_ARGS)
{
	struct iommu_ioas_copy cmd = good_copy(self);

	cmd.dst_iova = ULONG_MAX;
	CHECK(copy_ioctl(self, &cmd));
}

static void row_copy_dst_unaligned(ROW_ARGS)
{
	struct iommu_ioas_copy cmd = good_copy(self);

	cmd.dst_iova = FREE_IOVA + 1;
	CHECK(copy_ioctl(self, &cmd));
}

static void row_copy_length_unaligned(ROW_ARGS)
{
	struct iommu_ioas_copy cmd = good_copy(self);

	cmd.length = PAGE + 1;
	CHECK(copy_ioctl(self, &cmd));
}

static void row_copy_dst_high(ROW_ARGS)
{
	struct iommu_ioas_copy cmd = good_copy(self);

	cmd.dst_iova = HIGH_IOVA;
	CHECK(copy_ioctl(self, &cmd));
	expect_pa(_metadata, self, self->ioas, HIGH_IOVA, self->buf);
}

static void row_copy_dst_over_existing(ROW_ARGS)
{
	struct iommu_ioas_copy cmd = good_copy(self);

	cmd.dst_iova = MAP_IOVA + PAGE;
	CHECK(copy_ioctl(self, &cmd));
}

static void row_copy_dst_is_device(ROW_ARGS)
{
	struct iommu_ioas_copy cmd = good_copy(self);

	cmd.dst_ioas_id = self->devid;
	CHECK(copy_ioctl(self, &cmd));
}

static void row_copy_src_is_hwpt(ROW_ARGS)
{
	struct iommu_ioas_copy cmd = good_copy(self);

	cmd.src_ioas_id = self->hwpt;
	CHECK(copy_ioctl(self, &cmd));
}

static void row_copy_dst_destroyed(ROW_ARGS)
{
	struct iommu_ioas_copy cmd = good_copy(self);

	cmd.dst_ioas_id = destroyed_ioas(_metadata, self);
	CHECK(copy_ioctl(self, &cmd));
}

/* ======================== IOMMU_IOAS_IOVA_RANGES ======================== */

static struct iommu_ioas_iova_ranges ranges_cmd(uint32_t ioas,
						struct iommu_iova_range *r,
						uint32_t num)
{
	return (struct iommu_ioas_iova_ranges){
		.size = sizeof(struct iommu_ioas_iova_ranges),
		.ioas_id = ioas,
		.num_iovas = num,
		.allowed_iovas = (uintptr_t)r,
	};
}

static int ranges_sized(FIXTURE_DATA(malformed) *self, uint32_t usize,
			uint8_t tail, struct iommu_ioas_iova_ranges *cmd)
{
	return ioctl_sized(self->iommufd, IOMMU_IOAS_IOVA_RANGES, cmd,
			   sizeof(*cmd), usize, tail);
}

static void row_iova_ranges_size_below_min(ROW_ARGS)
{
	struct iommu_iova_range r[4];
	struct iommu_ioas_iova_ranges cmd = ranges_cmd(self->ioas, r, 4);

	CHECK(ranges_sized(self, sizeof(cmd) - 1, 0, &cmd));
}

static void row_iova_ranges_tail_nonzero(ROW_ARGS)
{
	struct iommu_iova_range r[4];
	struct iommu_ioas_iova_ranges cmd = ranges_cmd(self->ioas, r, 4);

	CHECK(ranges_sized(self, sizeof(cmd) + 8, 1, &cmd));
}

static void row_iova_ranges_tail_zero(ROW_ARGS)
{
	struct iommu_iova_range r[4] = { 0 };
	struct iommu_ioas_iova_ranges cmd = ranges_cmd(self->ioas, r, 4);

	CHECK(ranges_sized(self, sizeof(cmd) + 8, 0, &cmd));
	ASSERT_EQ(1, cmd.num_iovas);
	ASSERT_EQ(0, r[0].start);
	ASSERT_EQ(UINT64_MAX, r[0].last);
	ASSERT_EQ(PAGE, cmd.out_iova_alignment);
}

static void row_iova_ranges_reserved_each_bit(ROW_ARGS)
{
	struct iommu_iova_range r[4];
	int bit;

	for (bit = 0; bit < 32; bit++) {
		struct iommu_ioas_iova_ranges cmd = ranges_cmd(self->ioas, r, 4);

		cmd.__reserved = 1u << bit;
		CHECK_BIT(ioctl(self->iommufd, IOMMU_IOAS_IOVA_RANGES, &cmd),
			  bit);
	}
}

static void row_iova_ranges_no_room(ROW_ARGS)
{
	struct iommu_ioas_iova_ranges cmd = ranges_cmd(self->ioas, NULL, 0);

	CHECK(ioctl(self->iommufd, IOMMU_IOAS_IOVA_RANGES, &cmd));
	/* ... but tells how many there are */
	ASSERT_EQ(1, cmd.num_iovas);
	ASSERT_EQ(PAGE, cmd.out_iova_alignment);
}

static void row_iova_ranges_bad_pointer(ROW_ARGS)
{
	CHECK(iova_ranges(self->iommufd, self->ioas, (void *)self->guard, 1));
}

static void row_iova_ranges_ioas_is_device(ROW_ARGS)
{
	struct iommu_iova_range r[4];

	CHECK(iova_ranges(self->iommufd, self->devid, r, 4));
}

/* ======================== IOMMU_IOAS_ALLOW_IOVAS ======================== */

static struct iommu_ioas_allow_iovas allow_cmd(uint32_t ioas,
					       const struct iommu_iova_range *r,
					       uint32_t num)
{
	return (struct iommu_ioas_allow_iovas){
		.size = sizeof(struct iommu_ioas_allow_iovas),
		.ioas_id = ioas,
		.num_iovas = num,
		.allowed_iovas = (uintptr_t)r,
	};
}

static const struct iommu_iova_range low_half = { 0, (1UL << 47) - 1 };
static const struct iommu_iova_range high_range = {
	HIGH_IOVA, 2 * HIGH_IOVA - 1
};

static int allow_sized(FIXTURE_DATA(malformed) *self, uint32_t usize,
		       uint8_t tail)
{
	struct iommu_ioas_allow_iovas cmd = allow_cmd(self->ioas, &low_half, 1);

	return ioctl_sized(self->iommufd, IOMMU_IOAS_ALLOW_IOVAS, &cmd,
			   sizeof(cmd), usize, tail);
}

static void row_allow_iovas_size_below_min(ROW_ARGS)
{
	CHECK(allow_sized(self, sizeof(struct iommu_ioas_allow_iovas) - 1, 0));
}

static void row_allow_iovas_tail_nonzero(ROW_ARGS)
{
	CHECK(allow_sized(self, sizeof(struct iommu_ioas_allow_iovas) + 8, 1));
}

static void row_allow_iovas_tail_zero(ROW_ARGS)
{
	CHECK(allow_sized(self, sizeof(struct iommu_ioas_allow_iovas) + 8, 0));
}

static void row_allow_iovas_reserved_each_bit(ROW_ARGS)
{
	int bit;

	for (bit = 0; bit < 32; bit++) {
		struct iommu_ioas_allow_iovas cmd =
			allow_cmd(self->ioas, &low_half, 1);

		cmd.__reserved = 1u << bit;
		CHECK_BIT(ioctl(self->iommufd, IOMMU_IOAS_ALLOW_IOVAS, &cmd),
			  bit);
	}
}

static void row_allow_iovas_start_equals_last(ROW_ARGS)
{
	struct iommu_iova_range r = { FREE_IOVA, FREE_IOVA };

	CHECK(allow_iovas(self->iommufd, self->ioas, &r, 1));
}

static void row_allow_iovas_overlapping(ROW_ARGS)
{
	struct iommu_iova_range r[2] = {
		{ FREE_IOVA, FREE_IOVA + 2 * PAGE - 1 },
		{ FREE_IOVA + PAGE, FREE_IOVA + 3 * PAGE - 1 },
	};

	CHECK(allow_iovas(self->iommufd, self->ioas, r, 2));
}

static void row_allow_iovas_high(ROW_ARGS)
{
	const struct iommu_iova_range both[] = { low_half, high_range };

	CHECK(allow_iovas(self->iommufd, self->ioas, both, 2));
	ASSERT_EQ(0, lab_map_fixed(self->iommufd, self->ioas, self->buf + MAPPED,
			       PAGE, HIGH_IOVA));
	expect_pa(_metadata, self, self->ioas, HIGH_IOVA, self->buf + MAPPED);
}

static void row_allow_iovas_bad_pointer(ROW_ARGS)
{
	CHECK(allow_iovas(self->iommufd, self->ioas, (void *)self->guard, 1));
}

static void row_allow_iovas_ioas_is_hwpt(ROW_ARGS)
{
	CHECK(allow_iovas(self->iommufd, self->hwpt, &low_half, 1));
}

/* =========================== IOMMU_HWPT_ALLOC =========================== */

static int hwpt_ioctl(FIXTURE_DATA(malformed) *self,
		      struct iommu_hwpt_alloc *cmd)
{
	return ioctl(self->iommufd, IOMMU_HWPT_ALLOC, cmd);
}

static int hwpt_sized(FIXTURE_DATA(malformed) *self, uint32_t usize,
		      uint8_t tail, uint32_t *out)
{
	struct iommu_hwpt_alloc cmd = hwpt_cmd(self->devid, self->ioas);
	int rc = ioctl_sized(self->iommufd, IOMMU_HWPT_ALLOC, &cmd, sizeof(cmd),
			     usize, tail);

	*out = cmd.out_hwpt_id;
	return rc;
}

/* A HWPT_ALLOC that worked made a HWPT that can be destroyed */
static void expect_hwpt(ROW_ARGS, uint32_t id)
{
	ASSERT_NE(0, id);
	ASSERT_EQ(0, lab_destroy(self->iommufd, id))
		TH_LOG("destroy HWPT %u: %s", id, strerror(errno));
}

static void row_hwpt_alloc_size_below_min(ROW_ARGS)
{
	uint32_t id;

	CHECK(hwpt_sized(self, offsetofend(struct iommu_hwpt_alloc,
					   __reserved) - 1, 0, &id));
}

static void row_hwpt_alloc_size_min(ROW_ARGS)
{
	uint32_t id = 0;

	CHECK(hwpt_sized(self, offsetofend(struct iommu_hwpt_alloc, __reserved),
			 0, &id));
	expect_hwpt(_metadata, self, id);
}

static void row_hwpt_alloc_tail_nonzero(ROW_ARGS)
{
	uint32_t id;

	CHECK(hwpt_sized(self, sizeof(struct iommu_hwpt_alloc) + 8, 1, &id));
}

static void row_hwpt_alloc_tail_zero(ROW_ARGS)
{
	uint32_t id = 0;

	CHECK(hwpt_sized(self, sizeof(struct iommu_hwpt_alloc) + 8, 0, &id));
	expect_hwpt(_metadata, self, id);
}

static void row_hwpt_alloc_reserved_each_bit(ROW_ARGS)
{
	int bit;

	for (bit = 0; bit < 32; bit++) {
		struct iommu_hwpt_alloc cmd = hwpt_cmd(self->devid, self->ioas);

		cmd.__reserved = 1u << bit;
		CHECK_BIT(hwpt_ioctl(self, &cmd), bit);
	}
}

static void row_hwpt_alloc_reserved2_nonzero(ROW_ARGS)
{
	static const uint32_t values[] = { 1, 0x80000000u };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(values); i++) {
		struct iommu_hwpt_alloc cmd = hwpt_cmd(self->devid, self->ioas);

		cmd.__reserved2 = values[i];
		CHECK_BIT(hwpt_ioctl(self, &cmd), __builtin_ctz(values[i]));
		if (cmd.out_hwpt_id)
			expect_hwpt(_metadata, self, cmd.out_hwpt_id);
	}
}

static void row_hwpt_alloc_flags_each_bit(ROW_ARGS)
{
	int bit;

	for (bit = 0; bit < 32; bit++) {
		struct iommu_hwpt_alloc cmd = hwpt_cmd(self->devid, self->ioas);

		cmd.flags = 1u << bit;
		CHECK_BIT(hwpt_ioctl(self, &cmd), bit);
	}
}

static void row_hwpt_alloc_data_len_without_type(ROW_ARGS)
{
	uint64_t data = 0;
	struct iommu_hwpt_alloc cmd = hwpt_cmd(self->devid, self->ioas);

	cmd.data_len = sizeof(data);
	cmd.data_uptr = (uintptr_t)&data;
	CHECK(hwpt_ioctl(self, &cmd));
}

static void row_hwpt_alloc_type_without_data(ROW_ARGS)
{
	struct iommu_hwpt_alloc cmd = hwpt_cmd(self->devid, self->ioas);

	cmd.data_type = IOMMU_HWPT_DATA_VTD_S1;
	CHECK(hwpt_ioctl(self, &cmd));
}

static void row_hwpt_alloc_user_data(ROW_ARGS)
{
	uint64_t data = 0;
	struct iommu_hwpt_alloc cmd = hwpt_cmd(self->devid, self->ioas);

	cmd.data_type = IOMMU_HWPT_DATA_VTD_S1;
	cmd.data_len = sizeof(data);
	cmd.data_uptr = (uintptr_t)&data;
	CHECK(hwpt_ioctl(self, &cmd));
}

static void row_hwpt_alloc_dev_is_ioas(ROW_ARGS)
{
	CHECK(hwpt_alloc(self->iommufd, self->ioas, self->ioas, NULL));
}

static void row_hwpt_alloc_dev_unknown(ROW_ARGS)
{
	CHECK(hwpt_alloc(self->iommufd, UNKNOWN_ID, self->ioas, NULL));
}

static void row_hwpt_alloc_dev_unbound(ROW_ARGS)
{
	close_cdev(self);
	CHECK(hwpt_alloc(self->iommufd, self->devid, self->ioas, NULL));
}

static void row_hwpt_alloc_pt_unknown(ROW_ARGS)
{
	CHECK(hwpt_alloc(self->iommufd, self->devid, UNKNOWN_ID, NULL));
}

static void row_hwpt_alloc_pt_is_device(ROW_ARGS)
{
	CHECK(hwpt_alloc(self->iommufd, self->devid, self->devid, NULL));
}

static void row_hwpt_alloc_pt_destroyed(ROW_ARGS)
{
	uint32_t gone = destroyed_ioas(_metadata, self);

	CHECK(hwpt_alloc(self->iommufd, self->devid, gone, NULL));
}

static void row_hwpt_alloc_nested_on_noiommu_hwpt(ROW_ARGS)
{
	uint64_t data = 0;
	struct iommu_hwpt_alloc cmd = hwpt_cmd(self->devid, self->hwpt);

	cmd.data_type = IOMMU_HWPT_DATA_VTD_S1;
	cmd.data_len = sizeof(data);
	cmd.data_uptr = (uintptr_t)&data;
	CHECK(hwpt_ioctl(self, &cmd));
}

static void row_hwpt_alloc_ioas_mapped_high(ROW_ARGS)
{
	uint32_t ioas = ioas_mapped_at(_metadata, self, HIGH_IOVA, 0, PAGE);

	CHECK(hwpt_alloc(self->iommufd, self->devid, ioas, NULL));
	/* Stored by the HWPT's page table: answers with nothing attached */
	expect_pa(_metadata, self, ioas, HIGH_IOVA, self->buf);
}

/* Without a domain the IOVA alignment is 1: a sub-page mapping is legal */
static uint32_t ioas_mapped_unaligned(ROW_ARGS)
{
	return ioas_mapped_at(_metadata, self, FREE_IOVA + 0x80, 0x80,
			      PAGE - 0x80);
}

static void row_hwpt_alloc_ioas_mapped_unaligned(ROW_ARGS)
{
	uint32_t ioas = ioas_mapped_unaligned(_metadata, self);

	CHECK(hwpt_alloc(self->iommufd, self->devid, ioas, NULL));
}

/* =========================== IOMMU_GET_HW_INFO =========================== */

static int hw_info_sized(FIXTURE_DATA(malformed) *self, uint32_t usize,
			 uint8_t tail, struct iommu_hw_info *cmd)
{
	*cmd = hw_info_cmd(self->devid);
	/* outputs the kernel must overwrite */
	cmd->out_data_type = 0xdead;
	return ioctl_sized(self->iommufd, IOMMU_GET_HW_INFO, cmd, sizeof(*cmd),
			   usize, tail);
}

static int hw_info_ioctl(FIXTURE_DATA(malformed) *self,
			 struct iommu_hw_info *cmd)
{
	return ioctl(self->iommufd, IOMMU_GET_HW_INFO, cmd);
}

static void row_hw_info_size_below_min(ROW_ARGS)
{
	struct iommu_hw_info cmd;

	CHECK(hw_info_sized(self, offsetofend(struct iommu_hw_info,
					      __reserved) - 1, 0, &cmd));
}

static void row_hw_info_size_min(ROW_ARGS)
{
	struct iommu_hw_info cmd;

	CHECK(hw_info_sized(self, offsetofend(struct iommu_hw_info, __reserved),
			    0, &cmd));
	ASSERT_EQ(IOMMU_HW_INFO_TYPE_NONE, cmd.out_data_type);
}

static void row_hw_info_tail_nonzero(ROW_ARGS)
{
	struct iommu_hw_info cmd;

	CHECK(hw_info_sized(self, sizeof(cmd) + 8, 1, &cmd));
}

static void row_hw_info_tail_zero(ROW_ARGS)
{
	struct iommu_hw_info cmd;

	CHECK(hw_info_sized(self, sizeof(cmd) + 8, 0, &cmd));
	ASSERT_EQ(IOMMU_HW_INFO_TYPE_NONE, cmd.out_data_type);
	ASSERT_EQ(0, cmd.data_len);
	ASSERT_EQ(0, cmd.out_capabilities);
	ASSERT_EQ(0, cmd.out_max_pasid_log2);
}

static void row_hw_info_flags_each_bit(ROW_ARGS)
{
	int bit;

	for (bit = 0; bit < 32; bit++) {
		struct iommu_hw_info cmd = hw_info_cmd(self->devid);

		cmd.flags = 1u << bit;
		CHECK_BIT(hw_info_ioctl(self, &cmd), bit);
	}
}

static void row_hw_info_reserved_each_bit(ROW_ARGS)
{
	int bit;

	for (bit = 0; bit < 24; bit++) {
		struct iommu_hw_info cmd = hw_info_cmd(self->devid);

		cmd.__reserved[bit / 8] = 1u << (bit % 8);
		CHECK_BIT(hw_info_ioctl(self, &cmd), bit);
	}
}

static void row_hw_info_dev_is_ioas(ROW_ARGS)
{
	CHECK(hw_info(self->iommufd, self->ioas));
}

static void row_hw_info_dev_is_hwpt(ROW_ARGS)
{
	CHECK(hw_info(self->iommufd, self->hwpt));
}

static void row_hw_info_dev_unbound(ROW_ARGS)
{
	close_cdev(self);
	CHECK(hw_info(self->iommufd, self->devid));
}

static void row_hw_info_data_bad_pointer(ROW_ARGS)
{
	struct iommu_hw_info cmd = hw_info_cmd(self->devid);

	cmd.data_len = 16;
	cmd.data_uptr = (uintptr_t)self->guard;
	CHECK(hw_info_ioctl(self, &cmd));
}

static void row_hw_info_data_zeroed(ROW_ARGS)
{
	struct iommu_hw_info cmd = hw_info_cmd(self->devid);
	uint8_t data[16];
	unsigned int i;

	memset(data, 0xff, sizeof(data));
	cmd.data_len = sizeof(data);
	cmd.data_uptr = (uintptr_t)data;
	CHECK(hw_info_ioctl(self, &cmd));
	ASSERT_EQ(0, cmd.data_len);
	ASSERT_EQ(IOMMU_HW_INFO_TYPE_NONE, cmd.out_data_type);
	for (i = 0; i < sizeof(data); i++)
		ASSERT_EQ(0, data[i]) TH_LOG("byte %u", i);
}

/* ============================= IOMMU_DESTROY ============================= */

static int destroy_sized(FIXTURE_DATA(malformed) *self, uint32_t id,
			 uint32_t usize, uint8_t tail)
{
	struct iommu_destroy cmd = { .id = id };

	return ioctl_sized(self->iommufd, IOMMU_DESTROY, &cmd, sizeof(cmd),
			   usize, tail);
}

static void row_destroy_size_below_min(ROW_ARGS)
{
	uint32_t ioas = new_ioas(_metadata, self);

	CHECK(destroy_sized(self, ioas, sizeof(struct iommu_destroy) - 1, 0));
	/* still there */
	ASSERT_EQ(0, lab_destroy(self->iommufd, ioas));
}

static void row_destroy_tail_nonzero(ROW_ARGS)
{
	uint32_t ioas = new_ioas(_metadata, self);

	CHECK(destroy_sized(self, ioas, sizeof(struct iommu_destroy) + 8, 1));
	ASSERT_EQ(0, lab_destroy(self->iommufd, ioas));
}

static void row_destroy_tail_zero(ROW_ARGS)
{
	uint32_t ioas = new_ioas(_metadata, self);

	CHECK(destroy_sized(self, ioas, sizeof(struct iommu_destroy) + 8, 0));
	ASSERT_EQ(-1, lab_destroy(self->iommufd, ioas));
	ASSERT_EQ(ENOENT, errno);
}

static void row_destroy_id_zero(ROW_ARGS)
{
	CHECK(lab_destroy(self->iommufd, 0));
}

static void row_destroy_twice(ROW_ARGS)
{
	uint32_t gone = destroyed_ioas(_metadata, self);

	CHECK(lab_destroy(self->iommufd, gone));
}

static void row_destroy_device(ROW_ARGS)
{
	CHECK(lab_destroy(self->iommufd, self->devid));
}

static void row_destroy_attached_ioas(ROW_ARGS)
{
	CHECK(lab_destroy(self->iommufd, self->ioas));
}

static void row_destroy_attached_auto_hwpt(ROW_ARGS)
{
	CHECK(lab_destroy(self->iommufd, self->hwpt));
}

static void row_destroy_attached_manual_hwpt(ROW_ARGS)
{
	uint32_t hwpt = manual_hwpt(_metadata, self, self->ioas);

	ASSERT_EQ(0, lab_attach_pt(self->cdev, hwpt, NULL));
	CHECK(lab_destroy(self->iommufd, hwpt));
}

static void row_destroy_auto_hwpt_after_detach(ROW_ARGS)
{
	CHECK(lab_destroy(self->iommufd, self->hwpt));
}

static void row_destroy_device_after_unbind(ROW_ARGS)
{
	close_cdev(self);
	CHECK(lab_destroy(self->iommufd, self->devid));
}

static void row_destroy_ioas_after_detach(ROW_ARGS)
{
	CHECK(lab_destroy(self->iommufd, self->ioas));
	expect_no_pa(_metadata, self, self->ioas, MAP_IOVA, ENOENT);
	ASSERT_EQ(self->vmpin_base, lab_vmpin_kb());
}

/* ======================= VFIO_DEVICE_BIND_IOMMUFD ======================= */

static int bind_ioctl(FIXTURE_DATA(malformed) *self,
		      struct vfio_device_bind_iommufd *bind)
{
	return ioctl(self->cdev, VFIO_DEVICE_BIND_IOMMUFD, bind);
}

static struct vfio_device_bind_iommufd bind_cmd(int iommufd)
{
	return (struct vfio_device_bind_iommufd){
		.argsz = sizeof(struct vfio_device_bind_iommufd),
		.iommufd = iommufd,
	};
}

static void row_bind_argsz_below_min(ROW_ARGS)
{
	struct vfio_device_bind_iommufd bind = bind_cmd(self->iommufd);

	bind.argsz = offsetofend(struct vfio_device_bind_iommufd,
				 out_devid) - 1;
	CHECK(bind_ioctl(self, &bind));
}

static void row_bind_argsz_larger(ROW_ARGS)
{
	struct {
		struct vfio_device_bind_iommufd bind;
		uint64_t tail;
	} big = { bind_cmd(self->iommufd), ~0ULL };

	big.bind.argsz = sizeof(big);
	CHECK(ioctl(self->cdev, VFIO_DEVICE_BIND_IOMMUFD, &big));
	ASSERT_NE(0, big.bind.out_devid);
	ASSERT_EQ(0, hw_info(self->iommufd, big.bind.out_devid));
}

static void row_bind_flags_each_bit(ROW_ARGS)
{
	int bit;

	for (bit = 0; bit < 32; bit++) {
		struct vfio_device_bind_iommufd bind = bind_cmd(self->iommufd);

		bind.flags = 1u << bit;
		CHECK_BIT(bind_ioctl(self, &bind), bit);
	}
}

static void row_bind_iommufd_negative(ROW_ARGS)
{
	CHECK(lab_bind_iommufd(self->cdev, -1, NULL));
}

static void row_bind_iommufd_closed(ROW_ARGS)
{
	int closed = dup(self->iommufd);

	ASSERT_LE(0, closed);
	close(closed);
	CHECK(lab_bind_iommufd(self->cdev, closed, NULL));
}

static void row_bind_iommufd_not_iommufd(ROW_ARGS)
{
	int null = open("/dev/null", O_RDWR);

	ASSERT_LE(0, null);
	CHECK(lab_bind_iommufd(self->cdev, null, NULL));
	close(null);
}

static void row_bind_twice(ROW_ARGS)
{
	CHECK(lab_bind_iommufd(self->cdev, self->iommufd, NULL));
}

static void row_bind_twice_other_iommufd(ROW_ARGS)
{
	int other = open("/dev/iommu", O_RDWR);

	ASSERT_LE(0, other);
	CHECK(lab_bind_iommufd(self->cdev, other, NULL));
	close(other);
}

static void row_bind_second_open(ROW_ARGS)
{
	int second = lab_open_noiommu_cdev(self->bdf);
	int other = open("/dev/iommu", O_RDWR);

	ASSERT_LE(0, second);
	ASSERT_LE(0, other);
	CHECK(lab_bind_iommufd(second, other, NULL));
	close(second);
	close(other);
}

static int bind_self(FIXTURE_DATA(malformed) *self)
{
	return lab_bind_iommufd(self->cdev, self->iommufd, NULL);
}

static void row_bind_without_cap_sys_rawio(ROW_ARGS)
{
	CHECK(without_rawio(bind_self, self));
	/* The fd is bound: it attaches and its mappings answer GET_PA here */
	ASSERT_EQ(0, lab_attach_pt(self->cdev, self->ioas, NULL));
	ASSERT_EQ(0, lab_map_fixed(self->iommufd, self->ioas, self->buf, PAGE,
			       MAP_IOVA));
	expect_pa(_metadata, self, self->ioas, MAP_IOVA, self->buf);
	/* ... but not to a process without the capability */
	ASSERT_EQ(-1, without_rawio(get_pa_at_map_iova, self));
	ASSERT_EQ(EPERM, errno);
}

static void row_bind_while_group_open(ROW_ARGS)
{
	char path[64];
	int group;

	snprintf(path, sizeof(path), "/dev/vfio/noiommu-%d",
		 lab_iommu_group(self->bdf));
	group = open(path, O_RDWR);
	ASSERT_LE(0, group) TH_LOG("%s: %s", path, strerror(errno));
	CHECK(lab_bind_iommufd(self->cdev, self->iommufd, NULL));
	close(group);
}

/* ===================== VFIO_DEVICE_ATTACH_IOMMUFD_PT ===================== */

static struct vfio_device_attach_iommufd_pt attach_cmd(uint32_t pt)
{
	return (struct vfio_device_attach_iommufd_pt){
		.argsz = sizeof(struct vfio_device_attach_iommufd_pt),
		.pt_id = pt,
	};
}

static int attach_ioctl(FIXTURE_DATA(malformed) *self,
			struct vfio_device_attach_iommufd_pt *attach)
{
	return ioctl(self->cdev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, attach);
}

static void row_attach_argsz_below_min(ROW_ARGS)
{
	struct vfio_device_attach_iommufd_pt attach = attach_cmd(self->ioas);

	attach.argsz = offsetofend(struct vfio_device_attach_iommufd_pt,
				   pt_id) - 1;
	CHECK(attach_ioctl(self, &attach));
}

static void row_attach_argsz_larger(ROW_ARGS)
{
	struct {
		struct vfio_device_attach_iommufd_pt attach;
		uint32_t tail;
	} big = { attach_cmd(self->ioas), ~0u };

	big.attach.argsz = sizeof(big);
	CHECK(ioctl(self->cdev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &big));
	ASSERT_NE(self->ioas, big.attach.pt_id);
	ASSERT_EQ(0, lab_map_fixed(self->iommufd, self->ioas, self->buf, PAGE,
			       MAP_IOVA));
	expect_pa(_metadata, self, self->ioas, MAP_IOVA, self->buf);
}

static void row_attach_flags_each_bit(ROW_ARGS)
{
	int bit;

	for (bit = 0; bit < 32; bit++) {
		struct vfio_device_attach_iommufd_pt attach =
			attach_cmd(self->ioas);

		attach.flags = 1u << bit;
		CHECK_BIT(attach_ioctl(self, &attach), bit);
	}
}

static void row_attach_before_bind(ROW_ARGS)
{
	CHECK(lab_attach_pt(self->cdev, self->ioas, NULL));
}

static void row_attach_pt_id_zero(ROW_ARGS)
{
	CHECK(lab_attach_pt(self->cdev, 0, NULL));
}

static void row_attach_pt_unknown(ROW_ARGS)
{
	CHECK(lab_attach_pt(self->cdev, UNKNOWN_ID, NULL));
}

static void row_attach_pt_is_device(ROW_ARGS)
{
	CHECK(lab_attach_pt(self->cdev, self->devid, NULL));
}

static void row_attach_pt_destroyed_ioas(ROW_ARGS)
{
	uint32_t gone = destroyed_ioas(_metadata, self);

	CHECK(lab_attach_pt(self->cdev, gone, NULL));
}

static void row_attach_pt_freed_auto_hwpt(ROW_ARGS)
{
	CHECK(lab_attach_pt(self->cdev, self->hwpt, NULL));
}

static void row_attach_twice_same_ioas(ROW_ARGS)
{
	uint32_t pt = 0;

	CHECK(lab_attach_pt(self->cdev, self->ioas, &pt));
	ASSERT_EQ(self->hwpt, pt);
}

static void row_attach_replace_other_ioas(ROW_ARGS)
{
	uint32_t other = ioas_mapped_at(_metadata, self, FREE_IOVA, MAPPED,
					PAGE);
	uint32_t pt = 0;

	CHECK(lab_attach_pt(self->cdev, other, &pt));
	ASSERT_NE(self->hwpt, pt);
	expect_pa(_metadata, self, other, FREE_IOVA, self->buf + MAPPED);
	expect_no_pa(_metadata, self, self->ioas, MAP_IOVA, EOPNOTSUPP);
	/* Only the new IOAS's page is pinned now */
	ASSERT_EQ(self->vmpin_base + (long)(PAGE / 1024), lab_vmpin_kb());
}

static void row_attach_replace_onto_mapping_high(ROW_ARGS)
{
	uint32_t ioas = ioas_mapped_at(_metadata, self, HIGH_IOVA, MAPPED,
				       PAGE);

	CHECK(lab_attach_pt(self->cdev, ioas, NULL));
	expect_pa(_metadata, self, ioas, HIGH_IOVA, self->buf + MAPPED);
}

static void row_attach_ioas_allowed_high(ROW_ARGS)
{
	uint32_t ioas = new_ioas(_metadata, self);

	ASSERT_EQ(0, allow_iovas(self->iommufd, ioas, &high_range, 1));
	CHECK(lab_attach_pt(self->cdev, ioas, NULL));
}

static void row_attach_ioas_mapped_unaligned(ROW_ARGS)
{
	uint32_t ioas = ioas_mapped_unaligned(_metadata, self);

	CHECK(lab_attach_pt(self->cdev, ioas, NULL));
}

static uint32_t mock_hwpt_on_new_ioas(ROW_ARGS)
{
	uint32_t ioas = new_ioas(_metadata, self), hwpt = 0;

	ASSERT_EQ(0, mock_domain(self->iommufd, ioas, &hwpt))
		TH_LOG("IOMMU_TEST_OP_MOCK_DOMAIN: %s", strerror(errno));
	return hwpt;
}

/* From "bound" this is iommufd_device_attach() */
static void row_attach_mock_hwpt(ROW_ARGS)
{
	uint32_t hwpt = mock_hwpt_on_new_ioas(_metadata, self);

	CHECK(lab_attach_pt(self->cdev, hwpt, NULL));
}

/* The same call from "attached" is iommufd_device_replace() */
static void row_attach_replace_onto_mock_hwpt(ROW_ARGS)
{
	uint32_t hwpt = mock_hwpt_on_new_ioas(_metadata, self);

	CHECK(lab_attach_pt(self->cdev, hwpt, NULL));
}

static void row_mock_device_onto_noiommu_hwpt(ROW_ARGS)
{
	CHECK(mock_domain(self->iommufd, self->hwpt, NULL));
}

static void row_attach_ioas_shared_with_mock(ROW_ARGS)
{
	uint32_t mock = 0, stdev = 0, pt = 0;

	ASSERT_EQ(0, mock_device(self->iommufd, self->ioas, &mock, &stdev));
	CHECK(lab_attach_pt(self->cdev, self->ioas, &pt));
	ASSERT_NE(mock, pt);
	/* inside both domains' apertures: [2^24, 2^31) for the mock */
	ASSERT_EQ(0, lab_map_fixed(self->iommufd, self->ioas, self->buf, PAGE,
			       1UL << 24));
	/*
	 * The mock domain came first, so it stores the pages: as in mainline,
	 * a mapping held by a real IOMMU's page table has no physical
	 * address to give (EOPNOTSUPP). Once the mock device is gone, the
	 * no-IOMMU page table stores the mapping and answers.
	 */
	expect_no_pa(_metadata, self, self->ioas, 1UL << 24, EOPNOTSUPP);
	ASSERT_EQ(0, lab_destroy(self->iommufd, stdev));
	expect_pa(_metadata, self, self->ioas, 1UL << 24, self->buf);
}

/* ===================== VFIO_DEVICE_DETACH_IOMMUFD_PT ===================== */

static int detach_ioctl(FIXTURE_DATA(malformed) *self,
			struct vfio_device_detach_iommufd_pt *detach)
{
	return ioctl(self->cdev, VFIO_DEVICE_DETACH_IOMMUFD_PT, detach);
}

static void row_detach_argsz_below_min(ROW_ARGS)
{
	struct vfio_device_detach_iommufd_pt detach = {
		.argsz = offsetofend(struct vfio_device_detach_iommufd_pt,
				     flags) - 1,
	};

	CHECK(detach_ioctl(self, &detach));
}

static void row_detach_argsz_larger(ROW_ARGS)
{
	struct {
		struct vfio_device_detach_iommufd_pt detach;
		uint64_t tail;
	} big = { { .argsz = sizeof(big) }, ~0ULL };

	CHECK(ioctl(self->cdev, VFIO_DEVICE_DETACH_IOMMUFD_PT, &big));
	expect_no_pa(_metadata, self, self->ioas, MAP_IOVA, EOPNOTSUPP);
	ASSERT_EQ(self->vmpin_base, lab_vmpin_kb());
}

static void row_detach_flags_each_bit(ROW_ARGS)
{
	int bit;

	for (bit = 0; bit < 32; bit++) {
		struct vfio_device_detach_iommufd_pt detach = {
			.argsz = sizeof(detach),
			.flags = 1u << bit,
		};

		CHECK_BIT(detach_ioctl(self, &detach), bit);
	}
}

static void row_detach_before_bind(ROW_ARGS)
{
	CHECK(lab_detach_pt(self->cdev));
}

static void row_detach_not_attached(ROW_ARGS)
{
	CHECK(lab_detach_pt(self->cdev));
}

static void row_detach_twice(ROW_ARGS)
{
	CHECK(lab_detach_pt(self->cdev));
}

/* ============================ running a row ============================ */

static int set_mm_accounting(int iommufd)
{
	struct iommu_option opt = {
		.size = sizeof(opt),
		.option_id = IOMMU_OPTION_RLIMIT_MODE,
		.op = IOMMU_OPTION_OP_SET,
		.val64 = 1,
	};

	return ioctl(iommufd, IOMMU_OPTION, &opt);
}

FIXTURE_SETUP(malformed)
{
	const struct row *row = variant->row;
	struct rlimit memlock = { 64 << 20, 64 << 20 };

	self->row = row;
	self->cdev = self->iommufd = -1;
	self->buf = self->guard = NULL;
	if (!kernel.cdev)
		SKIP(return, "no no-IOMMU cdev in this kernel/boot");
	if ((row->flags & F_MOCK) && !kernel.iommufd_test)
		SKIP(return, "needs CONFIG_IOMMUFD_TEST's mock IOMMU");
	if ((row->flags & F_GROUP) && !kernel.vfio_group)
		SKIP(return, "needs CONFIG_VFIO_GROUP");
	ASSERT_TRUE(lab_find_pci(EDU_VENDOR, EDU_DEVICE, 0, self->bdf));

	self->buf = mmap(NULL, BUF_PAGES * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	self->guard = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			   -1, 0);
	ASSERT_NE(MAP_FAILED, self->guard);
	/*
	 * Account pins to this mm so VmPin shows them: mm accounting on the
	 * iommufd, and no CAP_IPC_LOCK, which would exempt them.
	 */
	ASSERT_EQ(0, setrlimit(RLIMIT_MEMLOCK, &memlock));
	ASSERT_EQ(0, lab_drop_capability(CAP_IPC_LOCK));
	self->vmpin_base = lab_vmpin_kb();
	self->foll_pins_base = lab_foll_pins();
	self->iommu_pages_base = lab_vmstat("nr_iommu_pages");
	ASSERT_LE(0, self->vmpin_base);
	ASSERT_NE(LONG_MIN, self->foll_pins_base);
	ASSERT_LE(0, self->iommu_pages_base);

	self->cdev = lab_open_noiommu_cdev(self->bdf);
	ASSERT_LE(0, self->cdev) TH_LOG("open cdev: %s", strerror(errno));
	self->iommufd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, self->iommufd);
	ASSERT_EQ(0, set_mm_accounting(self->iommufd));
	ASSERT_EQ(0, lab_ioas_alloc(self->iommufd, &self->ioas));
	if (row->state == ST_UNBOUND)
		return;
	ASSERT_EQ(0, lab_bind_iommufd(self->cdev, self->iommufd, &self->devid))
		TH_LOG("bind: %s", strerror(errno));
	if (row->state == ST_BOUND)
		return;
	ASSERT_NE(0, self->devid);
	ASSERT_EQ(0, lab_attach_pt(self->cdev, self->ioas, &self->hwpt));
	/* pt_id came back as the auto HWPT, an object of its own */
	ASSERT_NE(self->ioas, self->hwpt);
	ASSERT_NE(self->devid, self->hwpt);
	ASSERT_EQ(0, lab_map_fixed(self->iommufd, self->ioas, self->buf, MAPPED,
			       MAP_IOVA));
	ASSERT_EQ(self->vmpin_base + (long)(MAPPED / 1024), lab_vmpin_kb());
	if (row->state == ST_ATTACHED)
		return;
	ASSERT_EQ(0, lab_detach_pt(self->cdev));
	ASSERT_EQ(self->vmpin_base, lab_vmpin_kb());
}

FIXTURE_TEARDOWN(malformed)
{
	release_all(self);
	if (self->buf && self->buf != MAP_FAILED)
		munmap(self->buf, BUF_PAGES * PAGE);
	if (self->guard && self->guard != MAP_FAILED)
		munmap(self->guard, PAGE);
}

/*
 * A call that failed changed nothing: what defines the starting state still
 * holds, and the device can still go on from there.
 */
static void check_state_intact(ROW_ARGS)
{
	const char *name = self->row->name;
	uint32_t pt;

	switch (self->row->state) {
	case ST_UNBOUND:
		ASSERT_EQ(self->vmpin_base, lab_vmpin_kb());
		ASSERT_EQ(0, lab_bind_iommufd(self->cdev, self->iommufd, NULL))
			TH_LOG("row %s: no bind afterwards: %s", name,
			       strerror(errno));
		break;
	case ST_BOUND:
		ASSERT_EQ(self->vmpin_base, lab_vmpin_kb());
		ASSERT_EQ(0, lab_attach_pt(self->cdev, self->ioas, &pt))
			TH_LOG("row %s: no attach afterwards: %s", name,
			       strerror(errno));
		ASSERT_EQ(0, lab_detach_pt(self->cdev));
		break;
	case ST_ATTACHED:
		expect_pa(_metadata, self, self->ioas, MAP_IOVA, self->buf);
		expect_pa(_metadata, self, self->ioas, MAP_IOVA + PAGE,
			  self->buf + PAGE);
		ASSERT_EQ(self->vmpin_base + (long)(MAPPED / 1024), lab_vmpin_kb())
			TH_LOG("row %s: pins changed", name);
		break;
	case ST_DETACHED:
		expect_no_pa(_metadata, self, self->ioas, MAP_IOVA, EOPNOTSUPP);
		ASSERT_EQ(self->vmpin_base, lab_vmpin_kb());
		ASSERT_EQ(0, lab_attach_pt(self->cdev, self->ioas, &pt));
		expect_pa(_metadata, self, self->ioas, MAP_IOVA, self->buf);
		break;
	}
}

TEST_F(malformed, result)
{
	const struct row *row = variant->row;

	row->fn(_metadata, self);
	ASSERT_LT(0, self->checks) TH_LOG("row %s checked no call", row->name);
	if (!(row->flags & F_CHANGES))
		check_state_intact(_metadata, self);

	/* Closing everything gives every pin and page table back */
	release_all(self);
	ASSERT_EQ(self->vmpin_base, lab_vmpin_kb())
		TH_LOG("row %s: VmPin %ld kB after close, %ld before", row->name,
		       lab_vmpin_kb(), self->vmpin_base);
	ASSERT_EQ(self->foll_pins_base, lab_foll_pins())
		TH_LOG("row %s: pinned pages leaked", row->name);
	ASSERT_EQ(self->iommu_pages_base, lab_vmstat("nr_iommu_pages"))
		TH_LOG("row %s: page table pages leaked", row->name);
}

/* ================= after the whole table: nothing leaked ================= */

FIXTURE(after_table) {
	char bdf[16];
};

FIXTURE_SETUP(after_table)
{
	if (!kernel.cdev)
		SKIP(return, "no no-IOMMU cdev in this kernel/boot");
	ASSERT_TRUE(lab_find_pci(EDU_VENDOR, EDU_DEVICE, 0, self->bdf));
}

FIXTURE_TEARDOWN(after_table)
{
}

/* Every pin and software page table the rows made is gone */
TEST_F(after_table, pins_and_tables_back_to_start)
{
	ASSERT_NE(LONG_MIN, kernel.foll_pins);
	ASSERT_EQ(kernel.foll_pins, lab_foll_pins())
		TH_LOG("%ld pages pinned before the table, %ld now",
		       kernel.foll_pins, lab_foll_pins());
	ASSERT_LE(0, kernel.iommu_pages);
	ASSERT_EQ(kernel.iommu_pages, lab_vmstat("nr_iommu_pages"))
		TH_LOG("%ld IOMMU page table pages before the table, %ld now",
		       kernel.iommu_pages, lab_vmstat("nr_iommu_pages"));
	TH_LOG("%ld pages pinned and %ld IOMMU table pages, before and after",
	       kernel.foll_pins, kernel.iommu_pages);
}

/* The device is not wedged: it opens, binds, attaches and translates */
TEST_F(after_table, device_opens_and_binds_again)
{
	uint32_t devid = 0, ioas = 0;
	uint64_t pa = 0;
	int cdev, iommufd;
	char *page = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	ASSERT_NE(MAP_FAILED, page);
	cdev = lab_open_noiommu_cdev(self->bdf);
	ASSERT_LE(0, cdev) TH_LOG("open: %s", strerror(errno));
	iommufd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, iommufd);
	ASSERT_EQ(0, lab_bind_iommufd(cdev, iommufd, &devid));
	ASSERT_EQ(0, hw_info(iommufd, devid));
	ASSERT_EQ(0, lab_ioas_alloc(iommufd, &ioas));
	ASSERT_EQ(0, lab_attach_pt(cdev, ioas, NULL));
	ASSERT_EQ(0, lab_map_fixed(iommufd, ioas, page, PAGE, MAP_IOVA));
	ASSERT_EQ(0, get_pa(iommufd, ioas, MAP_IOVA, &pa));
	ASSERT_EQ(lab_pagemap_pa(page), pa);
	close(cdev);
	close(iommufd);
	ASSERT_EQ(kernel.foll_pins, lab_foll_pins());
	ASSERT_EQ(kernel.iommu_pages, lab_vmstat("nr_iommu_pages"));
	munmap(page, PAGE);
}

TEST_HARNESS_MAIN

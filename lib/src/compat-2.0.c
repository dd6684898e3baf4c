// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The entry points of programs built against libnoiommu 2.0 to 2.2, whose
 * caller-allocated structs had no size field. Their symbols keep the old
 * versions (nio_pci_info@LIBNOIOMMU_2.0 ...), so those programs run on
 * this library unchanged; programs built now link the @@LIBNOIOMMU_2.3
 * ones. Each old struct was today's without its leading size, every
 * other field in the same order, so an old layout is today's tail.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* A top-level .symver, as GCC's symver attribute is not in clang 14 */
#define OLD_VERSION(impl, name, node) \
	__asm__(".symver " #impl ", " #name "@" #node)

/* The tail of today's struct from its first field on: the old layout. */
#define TAIL_OFFSET(type, first) offsetof(type, first)
#define TAIL_LEN(type, first, last) \
	(nioi_offsetofend(type, last) - offsetof(type, first))

/*
 * The tail has the old layout only if the size before it is a multiple of
 * every field's alignment, and its length is the old one (x86-64 values
 * measured on 2.2).
 */
_Static_assert(TAIL_OFFSET(struct nio_pci_info, bdf) %
	       _Alignof(struct nio_pci_info) == 0, "pci_info tail shifts");
_Static_assert(TAIL_OFFSET(struct nio_status, noiommu_param) %
	       _Alignof(struct nio_status) == 0, "status tail shifts");
#ifdef __x86_64__
_Static_assert(TAIL_LEN(struct nio_pci_info, bdf, cdev_node) == 334,
	       "nio_pci_info of 2.2 had 334 bytes of fields");
_Static_assert(TAIL_LEN(struct nio_status, noiommu_param, why) == 1288,
	       "nio_status of 2.2 had 1288 bytes");
#endif

/* 2.2's struct nio_pci_info, for the stride of nio_pci_list()'s array */
struct nio_pci_info_2_0 {
	char bdf[NIO_BDF_LEN];
	uint16_t vendor;
	uint16_t device;
	uint32_t class_code;
	char driver[64];
	char driver_override[64];
	int iommu_group;
	bool has_iommu;
	bool noiommu;
	char group_node[64];
	char cdev_name[32];
	char cdev_node[80];
};
_Static_assert(sizeof(struct nio_pci_info_2_0) >=
	       TAIL_LEN(struct nio_pci_info, bdf, cdev_node) &&
	       offsetof(struct nio_pci_info_2_0, cdev_node) ==
	       offsetof(struct nio_pci_info, cdev_node) -
	       offsetof(struct nio_pci_info, bdf),
	       "nio_pci_info_2_0 is nio_pci_info without its size");

struct nio_open_opts_2_0 {
	unsigned int paths;
};

static void pci_info_to_2_0(struct nio_pci_info_2_0 *old,
			    const struct nio_pci_info *info)
{
	memcpy(old, &info->bdf, TAIL_LEN(struct nio_pci_info, bdf, cdev_node));
}

int nio_pci_info_2_0(const char *bdf, struct nio_pci_info_2_0 *old);
OLD_VERSION(nio_pci_info_2_0, nio_pci_info, LIBNOIOMMU_2.0);
int nio_pci_info_2_0(const char *bdf, struct nio_pci_info_2_0 *old)
{
	struct nio_pci_info info;
	int ret = nioi_pci_info(bdf, &info);

	memset(old, 0, sizeof(*old));
	pci_info_to_2_0(old, &info);
	return ret;
}

int nio_pci_list_2_0(struct nio_pci_info_2_0 **list, size_t *count);
OLD_VERSION(nio_pci_list_2_0, nio_pci_list, LIBNOIOMMU_2.0);
int nio_pci_list_2_0(struct nio_pci_info_2_0 **list, size_t *count)
{
	struct nio_pci_info_2_0 *old = NULL;
	struct nio_pci_info *info;
	size_t n, i;
	int ret = nio_pci_list(&info, &n);

	if (ret)
		return ret;
	if (n) {
		old = calloc(n, sizeof(*old));
		if (!old) {
			free(info);
			return nioi_fail(ENOMEM, "out of memory listing PCI devices");
		}
	}
	for (i = 0; i < n; i++)
		pci_info_to_2_0(&old[i], &info[i]);
	free(info);
	*list = old;
	*count = n;
	return 0;
}

int nio_status_read_2_0(void *old);
OLD_VERSION(nio_status_read_2_0, nio_status_read, LIBNOIOMMU_2.0);
int nio_status_read_2_0(void *old)
{
	struct nio_status st = NIO_SIZED_INIT(st);

	nio_status_read(&st);
	memcpy(old, &st.noiommu_param,
	       TAIL_LEN(struct nio_status, noiommu_param, why));
	return 0;
}

static const struct nio_open_opts *opts_from_2_0(struct nio_open_opts *opts,
						 const struct nio_open_opts_2_0 *old)
{
	if (!old)
		return NULL;
	opts->size = sizeof(*opts);
	opts->paths = old->paths;
	return opts;
}

int nio_device_open_2_0(struct nio_ctx *ctx, const char *bdf,
			const struct nio_open_opts_2_0 *old,
			struct nio_device **dev);
OLD_VERSION(nio_device_open_2_0, nio_device_open, LIBNOIOMMU_2.0);
int nio_device_open_2_0(struct nio_ctx *ctx, const char *bdf,
			const struct nio_open_opts_2_0 *old,
			struct nio_device **dev)
{
	struct nio_open_opts opts;

	return nio_device_open(ctx, bdf, opts_from_2_0(&opts, old), dev);
}

int nio_device_open_fd_2_2(struct nio_ctx *ctx, int fd,
			   const struct nio_open_opts_2_0 *old,
			   struct nio_device **dev);
OLD_VERSION(nio_device_open_fd_2_2, nio_device_open_fd, LIBNOIOMMU_2.2);
int nio_device_open_fd_2_2(struct nio_ctx *ctx, int fd,
			   const struct nio_open_opts_2_0 *old,
			   struct nio_device **dev)
{
	struct nio_open_opts opts;

	return nio_device_open_fd(ctx, fd, opts_from_2_0(&opts, old), dev);
}

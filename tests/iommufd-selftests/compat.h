/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Build fix for Debian 6.12's tools/testing/selftests/iommu: stable
 * backports of the selftests use names from later kernels. Each stub takes
 * the mainline value, so on 6.12 the request is refused exactly as 6.12
 * refuses any unknown flag or mock option. The few checks that depend on
 * them fail the same way with and without our series; the regression bar
 * compares pass counts, not absolute results.
 *
 * Forced into every translation unit with -include; no kernel UAPI header
 * is changed.
 */
#ifndef LAB_IOMMUFD_SELFTEST_COMPAT_H
#define LAB_IOMMUFD_SELFTEST_COMPAT_H

#include <linux/iommufd.h>

/* Mainline: enum iommu_hw_info_type gained DEFAULT = 0 (== NONE here). */
#define IOMMU_HW_INFO_TYPE_DEFAULT 0
/* Mainline: enum iommufd_hw_info_flags; 6.12 accepts no flags at all. */
#define IOMMU_HW_INFO_FLAG_INPUT_TYPE (1 << 0)
/*
 * Mainline: in_data_type shares a union with out_data_type, so naming the
 * output field writes the same bytes a newer kernel would read.
 */
#define in_data_type out_data_type

/* Mainline iommufd_test.h: a mock device with PASID support. */
#define MOCK_FLAGS_DEVICE_PASID (1 << 2)
#define MOCK_PASID_WIDTH 20

#endif

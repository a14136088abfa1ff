/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Build shim for the base tree's iommufd selftests
 * (tools/testing/selftests/iommu), forced in front of their sources by
 * harness/selftests.sh with -include.
 *
 * Debian's 6.12.117 ships test sources from a later stable update than its
 * own UAPI (include/uapi/linux/iommufd.h) and test interface
 * (drivers/iommu/iommufd/iommufd_test.h): five names the tests use are
 * missing there, so the sources do not compile as shipped.  This header
 * gives each a value, chosen as below.  It changes no test and no kernel;
 * the tests whose outcome depends on these names are listed, with the
 * reason, in tests/selftests/known-failures.
 */
#ifndef IG_IOMMUFD_COMPAT_H
#define IG_IOMMUFD_COMPAT_H

/*
 * IOMMU_GET_HW_INFO with a caller-chosen data type.  In later kernels the
 * caller puts the type it wants into the same 32 bits that return the type
 * (the field is named in_data_type on the way in), and says so with a flag.
 * 6.12 has only out_data_type, ignores it on input, and refuses any flag
 * with EOPNOTSUPP.  Naming the same field lets the tests compile; the calls
 * that set the flag then fail on every 6.12 kernel (the get_hw_info cases).
 */
#define in_data_type out_data_type
#define IOMMU_HW_INFO_FLAG_INPUT_TYPE (1U << 0)
/* "whatever the driver reports": zero, the value 6.12 calls TYPE_NONE */
#define IOMMU_HW_INFO_TYPE_DEFAULT 0

/*
 * A mock device with PASID support.  6.12's mock driver knows no such
 * device and rejects unknown creation flags, which would fail the setup of
 * every test of the iommufd_ioas.mock_domain variant.  With no flag the
 * variant gets a second plain mock device instead, so its 24 tests run;
 * the only assertion about the PASID width is in get_hw_info, which fails
 * before it for the reason above.  The width is later kernels' mock value.
 */
#define MOCK_FLAGS_DEVICE_PASID 0
#define MOCK_PASID_WIDTH 20

#endif

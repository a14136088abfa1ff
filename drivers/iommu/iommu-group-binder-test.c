// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for the binder: claiming a whole IOMMU group for one driver.
 *
 * Platform devices named "binder-test-a" match the driver of that name by
 * name; the driver "binder-test-b" matches only when a claim (through the
 * devices' driver_override) says so.  Driver B refuses devices whose id is
 * BINDER_TEST_REFUSED, to exercise the rollback of a claim that fails.
 */
#include <kunit/test.h>
#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/platform_device.h>

#include "iommu-group.h"

#define BINDER_TEST_REFUSED	7

static int binder_test_probe_a(struct platform_device *pdev)
{
	return 0;
}

static int binder_test_probe_b(struct platform_device *pdev)
{
	return pdev->id == BINDER_TEST_REFUSED ? -EIO : 0;
}

/*
 * The test groups have no default domain (no IOMMU driver made them), so
 * the drivers manage DMA themselves rather than defer their probe.
 */
static struct platform_driver binder_test_driver_a = {
	.probe = binder_test_probe_a,
	.driver = { .name = "binder-test-a" },
	.driver_managed_dma = true,
};

static struct platform_driver binder_test_driver_b = {
	.probe = binder_test_probe_b,
	.driver = { .name = "binder-test-b" },
	.driver_managed_dma = true,
};

KUNIT_DEFINE_ACTION_WRAPPER(unregister_driver_action, platform_driver_unregister,
			    struct platform_driver *);
KUNIT_DEFINE_ACTION_WRAPPER(unregister_device_action, platform_device_unregister,
			    struct platform_device *);

static void put_group_action(void *group)
{
	iommu_group_put(group);
}

static void release_claim_action(void *group)
{
	iommu_group_binder_store(group, "\n", 1);
}

static int binder_test_init(struct kunit *test)
{
	struct platform_driver *drv[] = { &binder_test_driver_a, &binder_test_driver_b };
	int i, ret;

	for (i = 0; i < ARRAY_SIZE(drv); i++) {
		ret = platform_driver_register(drv[i]);
		KUNIT_ASSERT_EQ(test, 0, ret);
		ret = kunit_add_action_or_reset(test, unregister_driver_action, drv[i]);
		KUNIT_ASSERT_EQ(test, 0, ret);
	}
	return 0;
}

/* Unregister @pdev when the test ends. */
static void binder_test_own(struct kunit *test, struct platform_device *pdev)
{
	int ret = kunit_add_action_or_reset(test, unregister_device_action, pdev);

	KUNIT_ASSERT_EQ(test, 0, ret);
}

static bool allowed(struct platform_device *pdev, struct platform_driver *drv)
{
	return iommu_group_driver_allowed(&pdev->dev, &drv->driver);
}

static struct iommu_group *binder_group(struct kunit *test)
{
	struct iommu_group *group = iommu_group_alloc();

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, group);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, put_group_action, group));
	/* Released once the devices are gone (actions run in reverse). */
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, release_claim_action, group));
	return group;
}

/* A "binder-test-a" platform device with @id in @group, bound to driver A. */
static struct platform_device *binder_member(struct kunit *test,
					     struct iommu_group *group, int id)
{
	struct platform_device *pdev;

	pdev = platform_device_alloc("binder-test-a", id);
	KUNIT_ASSERT_NOT_NULL(test, pdev);
	KUNIT_ASSERT_EQ(test, 0, platform_device_add(pdev));
	binder_test_own(test, pdev);
	/* Join the group first, as IOMMU probing does, then let drivers probe. */
	device_release_driver(&pdev->dev);
	KUNIT_ASSERT_EQ(test, 0, iommu_group_add_device(group, &pdev->dev));
	KUNIT_ASSERT_GE(test, device_attach(&pdev->dev), 0);
	return pdev;
}

/* The device's driver_override is @want (NULL: none is set). */
static bool override_is(struct platform_device *pdev, const char *want)
{
	struct device *dev = &pdev->dev;
	bool same;

	spin_lock(&dev->driver_override.lock);
	if (!want || !dev->driver_override.name)
		same = want == dev->driver_override.name;
	else
		same = !strcmp(want, dev->driver_override.name);
	spin_unlock(&dev->driver_override.lock);
	return same;
}

static const char *drv_of(struct platform_device *pdev)
{
	return pdev->dev.driver ? pdev->dev.driver->name : "-";
}

static ssize_t claim(struct iommu_group *group, const char *s)
{
	return iommu_group_binder_store(group, s, strlen(s));
}

static void claimed_as(struct kunit *test, struct iommu_group *group,
		       const char *want)
{
	char *buf = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_GT(test, iommu_group_binder_show(group, buf), 0);
	KUNIT_EXPECT_STREQ(test, buf, want);
}

static void binder_test_claim_binds_all(struct kunit *test)
{
	struct iommu_group *group = binder_group(test);
	struct platform_device *d0 = binder_member(test, group, 0);
	struct platform_device *d1 = binder_member(test, group, 1);

	KUNIT_EXPECT_STREQ(test, drv_of(d0), "binder-test-a");
	KUNIT_EXPECT_STREQ(test, drv_of(d1), "binder-test-a");
	claimed_as(test, group, "\n");

	KUNIT_EXPECT_EQ(test, claim(group, "binder-test-b\n"), strlen("binder-test-b\n"));
	claimed_as(test, group, "binder-test-b\n");
	KUNIT_EXPECT_STREQ(test, drv_of(d0), "binder-test-b");
	KUNIT_EXPECT_STREQ(test, drv_of(d1), "binder-test-b");
}

static void binder_test_other_drivers_blocked(struct kunit *test)
{
	struct iommu_group *group = binder_group(test);
	struct platform_device *d0 = binder_member(test, group, 0);

	KUNIT_ASSERT_GT(test, claim(group, "binder-test-b"), 0);
	KUNIT_EXPECT_TRUE(test, allowed(d0, &binder_test_driver_b));
	KUNIT_EXPECT_FALSE(test, allowed(d0, &binder_test_driver_a));
	/* Even unbound, the device is not offered to driver A... */
	device_release_driver(&d0->dev);
	KUNIT_EXPECT_EQ(test, driver_attach(&binder_test_driver_a.driver), 0);
	KUNIT_EXPECT_STREQ(test, drv_of(d0), "-");
	/* ...only to the claimed driver. */
	KUNIT_EXPECT_EQ(test, device_attach(&d0->dev), 1);
	KUNIT_EXPECT_STREQ(test, drv_of(d0), "binder-test-b");
}

static void binder_test_newcomer_inherits(struct kunit *test)
{
	struct iommu_group *group = binder_group(test);
	struct platform_device *d2;

	binder_member(test, group, 0);
	KUNIT_ASSERT_GT(test, claim(group, "binder-test-b"), 0);
	/* Joins after the claim: never offered to its own driver. */
	d2 = binder_member(test, group, 2);
	KUNIT_EXPECT_STREQ(test, drv_of(d2), "binder-test-b");
}

static void binder_test_release_restores(struct kunit *test)
{
	struct iommu_group *group = binder_group(test);
	struct platform_device *d0 = binder_member(test, group, 0);
	struct platform_device *d1 = binder_member(test, group, 1);

	KUNIT_ASSERT_EQ(test, 0, device_set_driver_override(&d1->dev, "binder-test-a"));
	KUNIT_ASSERT_GT(test, claim(group, "binder-test-b"), 0);
	KUNIT_EXPECT_EQ(test, claim(group, "\n"), 1);

	claimed_as(test, group, "\n");
	KUNIT_EXPECT_STREQ(test, drv_of(d0), "binder-test-a");
	KUNIT_EXPECT_STREQ(test, drv_of(d1), "binder-test-a");
	/* Overrides are as before the claim: none, and d1's own. */
	KUNIT_EXPECT_TRUE(test, override_is(d0, NULL));
	KUNIT_EXPECT_TRUE(test, override_is(d1, "binder-test-a"));
}

static void binder_test_failed_bind_rolls_back(struct kunit *test)
{
	struct iommu_group *group = binder_group(test);
	struct platform_device *d0 = binder_member(test, group, 0);
	struct platform_device *bad = binder_member(test, group, BINDER_TEST_REFUSED);

	/* Driver B refuses one member: nothing may stay claimed. */
	KUNIT_EXPECT_LT(test, claim(group, "binder-test-b"), 0);
	claimed_as(test, group, "\n");
	KUNIT_EXPECT_STREQ(test, drv_of(d0), "binder-test-a");
	KUNIT_EXPECT_STREQ(test, drv_of(bad), "binder-test-a");
	KUNIT_EXPECT_TRUE(test, override_is(d0, NULL));
	KUNIT_EXPECT_TRUE(test, override_is(bad, NULL));
}

static void binder_test_bad_input(struct kunit *test)
{
	static const char *const bad[] = {
		"binder test b", "binder-test-b\n\n", "binder-test-b\t",
		"\x01binder", "binder-test-b x",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	struct iommu_group *group = binder_group(test);
	struct platform_device *d0 = binder_member(test, group, 0);
	int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		KUNIT_EXPECT_EQ_MSG(test, claim(group, bad[i]), -EINVAL, "input %d", i);
	KUNIT_EXPECT_EQ(test, claim(group, "no-such-driver"), -ENODEV);
	claimed_as(test, group, "\n");
	KUNIT_EXPECT_STREQ(test, drv_of(d0), "binder-test-a");
	KUNIT_EXPECT_TRUE(test, override_is(d0, NULL));
}

static void binder_test_reclaim(struct kunit *test)
{
	struct iommu_group *group = binder_group(test);

	binder_member(test, group, 0);
	KUNIT_ASSERT_GT(test, claim(group, "binder-test-b"), 0);
	/* The same driver again is a no-op; another one must wait. */
	KUNIT_EXPECT_GT(test, claim(group, "binder-test-b\n"), 0);
	KUNIT_EXPECT_EQ(test, claim(group, "binder-test-a"), -EBUSY);
	claimed_as(test, group, "binder-test-b\n");
	/* Releasing an unclaimed group is fine too. */
	KUNIT_EXPECT_EQ(test, claim(group, "\n"), 1);
	KUNIT_EXPECT_EQ(test, claim(group, ""), 0);
}

static void binder_test_outside_group_unaffected(struct kunit *test)
{
	struct iommu_group *group = binder_group(test);
	struct platform_device *outside;

	binder_member(test, group, 0);
	outside = platform_device_register_simple("binder-test-a", 5, NULL, 0);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, outside);
	binder_test_own(test, outside);
	KUNIT_ASSERT_GT(test, claim(group, "binder-test-b"), 0);
	KUNIT_EXPECT_STREQ(test, drv_of(outside), "binder-test-a");
	KUNIT_EXPECT_TRUE(test, allowed(outside, &binder_test_driver_a));
}

static struct kunit_case binder_test_cases[] = {
	KUNIT_CASE(binder_test_claim_binds_all),
	KUNIT_CASE(binder_test_other_drivers_blocked),
	KUNIT_CASE(binder_test_newcomer_inherits),
	KUNIT_CASE(binder_test_release_restores),
	KUNIT_CASE(binder_test_failed_bind_rolls_back),
	KUNIT_CASE(binder_test_bad_input),
	KUNIT_CASE(binder_test_reclaim),
	KUNIT_CASE(binder_test_outside_group_unaffected),
	{}
};

static struct kunit_suite binder_test_suite = {
	.name = "iommu-group-binder",
	.init = binder_test_init,
	.test_cases = binder_test_cases,
};

kunit_test_suite(binder_test_suite);

MODULE_DESCRIPTION("KUnit tests for claiming IOMMU groups for one driver");
MODULE_LICENSE("GPL");

// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for the IOMMU group API.
 *
 * These cases pin down the contract that IOMMU drivers, VFIO and iommufd
 * rely on: reference counting, membership, id allocation and the sysfs
 * layout under /sys/kernel/iommu_groups.  They use only exported API and
 * devices on the KUnit bus, so they need no IOMMU hardware and hold for any
 * implementation of the group layer.
 *
 * sysfs is not mounted while built-in tests run, so entries are looked up
 * directly in kernfs.
 */

#include <kunit/device.h>
#include <kunit/test.h>
#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/kernfs.h>
#include <linux/kobject.h>
#include <linux/string.h>

#include "iommu-group.h"

/*
 * Return the kernfs node of /sys/kernel/iommu_groups/<id>/<path> (the group
 * directory itself for a NULL @path) with a reference held, or NULL.
 */
static struct kernfs_node *group_entry(int id, const char *path)
{
	char buf[96];

	snprintf(buf, sizeof(buf), "iommu_groups/%d%s%s", id,
		 path ? "/" : "", path ?: "");
	return kernfs_walk_and_get(kernel_kobj->sd, buf);
}

static bool group_has(int id, const char *entry)
{
	struct kernfs_node *kn = group_entry(id, entry);
	bool found = kn;

	kernfs_put(kn);
	return found;
}

/* Is there a link named after @dev in the group's devices/ directory? */
static bool group_has_dev(int id, struct device *dev)
{
	char path[80];

	snprintf(path, sizeof(path), "devices/%s", dev_name(dev));
	return group_has(id, path);
}

/* Does /sys/kernel/iommu_groups/<id>/devices/<link> point at @dev? */
static bool group_links_to(int id, const char *link, struct device *dev)
{
	struct kernfs_node *devices, *kn;
	bool ok = false;

	devices = group_entry(id, "devices");
	if (!devices)
		return false;
	kn = kernfs_find_and_get(devices, link);
	kernfs_put(devices);
	if (kn && kernfs_type(kn) == KERNFS_LINK)
		ok = kn->symlink.target_kn == dev->kobj.sd;
	kernfs_put(kn);
	return ok;
}

/* Does @dev's iommu_group link point at the directory of group @id? */
static bool dev_links_to_group(struct device *dev, int id)
{
	struct kernfs_node *link, *dir;
	bool ok = false;

	link = kernfs_find_and_get(dev->kobj.sd, "iommu_group");
	if (!link)
		return false;
	dir = group_entry(id, NULL);
	if (dir && kernfs_type(link) == KERNFS_LINK)
		ok = link->symlink.target_kn == dir;
	kernfs_put(dir);
	kernfs_put(link);
	return ok;
}

static bool dev_has_group_link(struct device *dev)
{
	struct kernfs_node *kn = kernfs_find_and_get(dev->kobj.sd, "iommu_group");
	bool found = kn;

	kernfs_put(kn);
	return found;
}

static void put_group_action(void *group)
{
	iommu_group_put(group);
}

/* Allocate a group that is put when the test ends. */
static struct iommu_group *test_group(struct kunit *test)
{
	struct iommu_group *group = iommu_group_alloc();

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, group);
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, put_group_action, group));
	return group;
}

static void remove_device_action(void *dev)
{
	iommu_group_remove_device(dev);
}

KUNIT_DEFINE_ACTION_WRAPPER(root_device_unregister_action,
			    root_device_unregister, struct device *);
KUNIT_DEFINE_ACTION_WRAPPER(device_unregister_action,
			    device_unregister, struct device *);

static void bare_device_release(struct device *dev)
{
	kfree(dev);
}

/*
 * A device named exactly @name (KUnit bus devices get the test name as a
 * prefix) below a new root device @parent, so that two of them can share
 * a name, as devices on different buses may.
 */
static struct device *bare_device(struct kunit *test, const char *parent,
				  const char *name)
{
	struct device *root, *dev;
	int ret;

	root = root_device_register(parent);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, root);
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, root_device_unregister_action, root));

	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, dev);
	device_initialize(dev);
	dev->parent = root;
	dev->release = bare_device_release;
	ret = dev_set_name(dev, "%s", name);
	if (!ret)
		ret = device_add(dev);
	if (ret) {
		put_device(dev);
		KUNIT_FAIL_AND_ABORT(test, "cannot add device %s: %d", name, ret);
	}
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, device_unregister_action, dev));
	return dev;
}

/*
 * Register a device on the KUnit bus and add it to @group.  The KUnit bus
 * has no IOMMU notifier, so the device leaves the group explicitly, before
 * it is unregistered (cleanup actions run in reverse order).
 */
static struct device *test_member(struct kunit *test, struct iommu_group *group,
				  const char *name)
{
	struct device *dev = kunit_device_register(test, name);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	KUNIT_ASSERT_EQ(test, 0, iommu_group_add_device(group, dev));
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, remove_device_action, dev));
	return dev;
}

/*
 * A new group with one member, @dev, on the KUnit bus.  The caller holds
 * the allocation reference and removes the member itself.
 */
static struct iommu_group *group_with_member(struct kunit *test,
					     struct device **dev, int *id)
{
	struct iommu_group *group = iommu_group_alloc();

	*dev = kunit_device_register(test, "iommu-group-test-dev");
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, group);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, *dev);
	*id = iommu_group_id(group);
	KUNIT_ASSERT_EQ(test, 0, iommu_group_add_device(group, *dev));
	return group;
}

static void iommu_group_test_alloc_layout(struct kunit *test)
{
	struct iommu_group *group = test_group(test);
	int id = iommu_group_id(group);

	KUNIT_EXPECT_GE(test, id, 0);
	KUNIT_EXPECT_TRUE(test, group_has(id, NULL));
	KUNIT_EXPECT_TRUE(test, group_has(id, "devices"));
	KUNIT_EXPECT_TRUE(test, group_has(id, "type"));
	KUNIT_EXPECT_TRUE(test, group_has(id, "reserved_regions"));
	/* "name" exists only once a name is set. */
	KUNIT_EXPECT_FALSE(test, group_has(id, "name"));
}

static void iommu_group_test_distinct_ids(struct kunit *test)
{
	struct iommu_group *a = test_group(test);
	struct iommu_group *b = test_group(test);

	KUNIT_EXPECT_PTR_NE(test, a, b);
	KUNIT_EXPECT_NE(test, iommu_group_id(a), iommu_group_id(b));
}

static void iommu_group_test_put_frees(struct kunit *test)
{
	struct iommu_group *group = iommu_group_alloc();
	int id;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, group);
	id = iommu_group_id(group);
	iommu_group_put(group);
	KUNIT_EXPECT_FALSE(test, group_has(id, NULL));
}

static void iommu_group_test_id_reuse_lowest(struct kunit *test)
{
	struct iommu_group *a = test_group(test);
	struct iommu_group *b = iommu_group_alloc();
	struct iommu_group *c = test_group(test);
	struct iommu_group *d;
	int freed;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, b);
	freed = iommu_group_id(b);
	KUNIT_EXPECT_LT(test, iommu_group_id(a), freed);
	KUNIT_EXPECT_GT(test, iommu_group_id(c), freed);
	iommu_group_put(b);

	/* The lowest free id is handed out again. */
	d = test_group(test);
	KUNIT_EXPECT_EQ(test, iommu_group_id(d), freed);
}

static void iommu_group_test_set_name(struct kunit *test)
{
	struct iommu_group *group = test_group(test);
	int id = iommu_group_id(group);

	KUNIT_EXPECT_EQ(test, 0, iommu_group_set_name(group, "domain0-pe1"));
	KUNIT_EXPECT_TRUE(test, group_has(id, "name"));
	/* Renaming replaces the attribute, it does not fail with -EEXIST. */
	KUNIT_EXPECT_EQ(test, 0, iommu_group_set_name(group, "domain0-pe2"));
	KUNIT_EXPECT_TRUE(test, group_has(id, "name"));
	/* A NULL name removes it again. */
	KUNIT_EXPECT_EQ(test, 0, iommu_group_set_name(group, NULL));
	KUNIT_EXPECT_FALSE(test, group_has(id, "name"));
}

static void iommu_group_test_add_device_links(struct kunit *test)
{
	struct iommu_group *group = test_group(test);
	int id = iommu_group_id(group);
	struct device *dev = test_member(test, group, "iommu-group-test-dev");

	KUNIT_EXPECT_TRUE(test, group_links_to(id, dev_name(dev), dev));
	KUNIT_EXPECT_TRUE(test, dev_links_to_group(dev, id));
}

static void iommu_group_test_get_takes_ref(struct kunit *test)
{
	struct iommu_group *group = test_group(test);
	struct device *dev = test_member(test, group, "iommu-group-test-dev");
	struct iommu_group *got = iommu_group_get(dev);

	KUNIT_ASSERT_PTR_EQ(test, got, group);
	iommu_group_put(got);
	KUNIT_EXPECT_TRUE(test, group_has(iommu_group_id(group), NULL));
}

static void iommu_group_test_get_no_group(struct kunit *test)
{
	struct device *dev = kunit_device_register(test, "iommu-group-test-dev");

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	KUNIT_EXPECT_NULL(test, iommu_group_get(dev));
	KUNIT_EXPECT_FALSE(test, dev_has_group_link(dev));
	/* Removing a device that has no group is a no-op. */
	iommu_group_remove_device(dev);
}

static void iommu_group_test_remove_device(struct kunit *test)
{
	struct iommu_group *group = test_group(test);
	int id = iommu_group_id(group);
	struct device *dev = kunit_device_register(test, "iommu-group-test-dev");

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	KUNIT_ASSERT_EQ(test, 0, iommu_group_add_device(group, dev));
	iommu_group_remove_device(dev);

	KUNIT_EXPECT_NULL(test, iommu_group_get(dev));
	KUNIT_EXPECT_FALSE(test, dev_has_group_link(dev));
	KUNIT_EXPECT_FALSE(test, group_has_dev(id, dev));
	KUNIT_EXPECT_TRUE(test, group_has(id, NULL));
}

/* A member holds a reference: the group lives until its last device leaves. */
static void iommu_group_test_member_holds_ref(struct kunit *test)
{
	struct iommu_group *group;
	struct device *dev;
	int id;

	group = group_with_member(test, &dev, &id);
	iommu_group_put(group);

	KUNIT_EXPECT_TRUE(test, group_has(id, NULL));
	KUNIT_EXPECT_PTR_EQ(test, dev->iommu_group, group);

	iommu_group_remove_device(dev);
	KUNIT_EXPECT_FALSE(test, group_has(id, NULL));
}

/* An outside reference keeps the group after its last member has gone. */
static void iommu_group_test_ref_outlives_members(struct kunit *test)
{
	struct iommu_group *group;
	struct device *dev;
	struct iommu_group *ref;
	int id;

	group = group_with_member(test, &dev, &id);
	ref = iommu_group_ref_get(group);
	KUNIT_EXPECT_PTR_EQ(test, ref, group);
	iommu_group_put(group);
	iommu_group_remove_device(dev);

	KUNIT_EXPECT_TRUE(test, group_has(id, NULL));
	KUNIT_EXPECT_FALSE(test, group_has_dev(id, dev));
	iommu_group_put(ref);
	KUNIT_EXPECT_FALSE(test, group_has(id, NULL));
}

/* Members whose device names collide get "name", "name.0", "name.1". */
static void iommu_group_test_name_collision(struct kunit *test)
{
	struct iommu_group *group = test_group(test);
	int id = iommu_group_id(group);
	struct device *devs[3];
	int i;

	devs[0] = bare_device(test, "iommu-group-test-p0", "iommu-group-test-dup");
	devs[1] = bare_device(test, "iommu-group-test-p1", "iommu-group-test-dup");
	devs[2] = bare_device(test, "iommu-group-test-p2", "iommu-group-test-dup");
	for (i = 0; i < 3; i++) {
		KUNIT_ASSERT_EQ(test, 0, iommu_group_add_device(group, devs[i]));
		KUNIT_ASSERT_EQ(test, 0,
				kunit_add_action_or_reset(test, remove_device_action, devs[i]));
	}

	KUNIT_EXPECT_TRUE(test, group_links_to(id, "iommu-group-test-dup", devs[0]));
	KUNIT_EXPECT_TRUE(test, group_links_to(id, "iommu-group-test-dup.0", devs[1]));
	KUNIT_EXPECT_TRUE(test, group_links_to(id, "iommu-group-test-dup.1", devs[2]));
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_TRUE(test, dev_links_to_group(devs[i], id));
}

struct for_each_ctx {
	struct device *seen[4];
	int calls;
	int stop_at;
};

static int record_dev(struct device *dev, void *data)
{
	struct for_each_ctx *ctx = data;

	ctx->seen[ctx->calls++] = dev;
	return ctx->calls == ctx->stop_at ? -EINTR : 0;
}

static void iommu_group_test_walk_order(struct kunit *test)
{
	struct iommu_group *group = test_group(test);
	struct device *devs[3];
	struct for_each_ctx ctx = { .stop_at = 0 };
	int i;

	devs[0] = test_member(test, group, "iommu-group-test-0");
	devs[1] = test_member(test, group, "iommu-group-test-1");
	devs[2] = test_member(test, group, "iommu-group-test-2");

	KUNIT_EXPECT_EQ(test, 0, iommu_group_for_each_dev(group, &ctx, record_dev));
	KUNIT_ASSERT_EQ(test, ctx.calls, 3);
	/* Members are visited in the order they were added. */
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_PTR_EQ(test, ctx.seen[i], devs[i]);
}

static void iommu_group_test_walk_stops(struct kunit *test)
{
	struct iommu_group *group = test_group(test);
	struct for_each_ctx ctx = { .stop_at = 2 };

	test_member(test, group, "iommu-group-test-0");
	test_member(test, group, "iommu-group-test-1");
	test_member(test, group, "iommu-group-test-2");

	/* The first non-zero return ends the walk and is passed back. */
	KUNIT_EXPECT_EQ(test, -EINTR,
			iommu_group_for_each_dev(group, &ctx, record_dev));
	KUNIT_EXPECT_EQ(test, ctx.calls, 2);
}

static void iommu_group_test_walk_empty(struct kunit *test)
{
	struct iommu_group *group = test_group(test);
	struct for_each_ctx ctx = { .stop_at = 1 };

	KUNIT_EXPECT_EQ(test, 0, iommu_group_for_each_dev(group, &ctx, record_dev));
	KUNIT_EXPECT_EQ(test, ctx.calls, 0);
}

static int release_calls;
static void *release_data;

static void count_release(void *data)
{
	release_calls++;
	release_data = data;
}

static void iommu_group_test_iommudata_release(struct kunit *test)
{
	struct iommu_group *group = iommu_group_alloc();
	struct iommu_group *ref;
	int cookie;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, group);
	release_calls = 0;
	release_data = NULL;
	KUNIT_EXPECT_NULL(test, iommu_group_get_iommudata(group));
	iommu_group_set_iommudata(group, &cookie, count_release);
	KUNIT_EXPECT_PTR_EQ(test, iommu_group_get_iommudata(group), &cookie);

	ref = iommu_group_ref_get(group);
	iommu_group_put(group);
	/* Not released while a reference remains. */
	KUNIT_EXPECT_EQ(test, release_calls, 0);
	iommu_group_put(ref);
	KUNIT_EXPECT_EQ(test, release_calls, 1);
	KUNIT_EXPECT_PTR_EQ(test, release_data, &cookie);
}

static void release_nothing(struct device *dev)
{
	/* The memory belongs to the test (kunit_kzalloc). */
}

static void put_device_action(void *dev)
{
	put_device(dev);
}

/* A device that was initialised but never added: it has no sysfs node. */
static struct device *unregistered_device(struct kunit *test)
{
	struct device *dev = kunit_kzalloc(test, sizeof(*dev), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, dev);
	device_initialize(dev);
	dev->release = release_nothing;
	KUNIT_ASSERT_EQ(test, 0, dev_set_name(dev, "iommu-group-test-ghost"));
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, put_device_action, dev));
	return dev;
}

/* Adding fails when the links cannot be made, and leaves nothing behind. */
static void iommu_group_test_add_unregistered_fails(struct kunit *test)
{
	struct iommu_group *group = iommu_group_alloc();
	struct device *dev = unregistered_device(test);
	int id;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, group);
	id = iommu_group_id(group);
	KUNIT_EXPECT_LT(test, iommu_group_add_device(group, dev), 0);
	KUNIT_EXPECT_NULL(test, dev->iommu_group);
	KUNIT_EXPECT_FALSE(test, group_has_dev(id, dev));
	/* No reference was leaked: the caller's put frees the group. */
	iommu_group_put(group);
	KUNIT_EXPECT_FALSE(test, group_has(id, NULL));
}

/* A device already in a group cannot join another; both stay as they were. */
static void iommu_group_test_add_twice_fails(struct kunit *test)
{
	struct iommu_group *a = test_group(test);
	struct iommu_group *b = iommu_group_alloc();
	struct device *dev = test_member(test, a, "iommu-group-test-dev");
	int id_b;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, b);
	id_b = iommu_group_id(b);
	KUNIT_EXPECT_EQ(test, iommu_group_add_device(b, dev), -EBUSY);
	KUNIT_EXPECT_PTR_EQ(test, dev->iommu_group, a);
	KUNIT_EXPECT_TRUE(test, dev_links_to_group(dev, iommu_group_id(a)));
	KUNIT_EXPECT_TRUE(test, group_links_to(iommu_group_id(a), dev_name(dev), dev));
	KUNIT_EXPECT_FALSE(test, group_has_dev(id_b, dev));
	iommu_group_put(b);
	KUNIT_EXPECT_FALSE(test, group_has(id_b, NULL));
}

/* Once the member holding a name leaves, the plain name is free again. */
static void iommu_group_test_collision_name_freed(struct kunit *test)
{
	struct iommu_group *group = test_group(test);
	int id = iommu_group_id(group);
	struct device *a = bare_device(test, "iommu-group-test-p0", "iommu-group-test-dup");
	struct device *b = bare_device(test, "iommu-group-test-p1", "iommu-group-test-dup");

	KUNIT_ASSERT_EQ(test, 0, iommu_group_add_device(group, a));
	KUNIT_ASSERT_EQ(test, 0, iommu_group_add_device(group, b));
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, remove_device_action, b));
	KUNIT_EXPECT_TRUE(test, group_links_to(id, "iommu-group-test-dup.0", b));

	iommu_group_remove_device(a);
	KUNIT_EXPECT_FALSE(test, group_has(id, "devices/iommu-group-test-dup"));
	KUNIT_EXPECT_TRUE(test, group_links_to(id, "iommu-group-test-dup.0", b));

	KUNIT_ASSERT_EQ(test, 0, iommu_group_add_device(group, a));
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, remove_device_action, a));
	KUNIT_EXPECT_TRUE(test, group_links_to(id, "iommu-group-test-dup", a));
}

/* A device that left one group can join another; its link follows. */
static void iommu_group_test_move_device(struct kunit *test)
{
	struct iommu_group *a = test_group(test);
	struct iommu_group *b = test_group(test);
	struct device *dev = kunit_device_register(test, "iommu-group-test-dev");

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	KUNIT_ASSERT_EQ(test, 0, iommu_group_add_device(a, dev));
	iommu_group_remove_device(dev);
	KUNIT_ASSERT_EQ(test, 0, iommu_group_add_device(b, dev));
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, remove_device_action, dev));

	KUNIT_EXPECT_PTR_EQ(test, dev->iommu_group, b);
	KUNIT_EXPECT_TRUE(test, dev_links_to_group(dev, iommu_group_id(b)));
	KUNIT_EXPECT_FALSE(test, group_has_dev(iommu_group_id(a), dev));
}

/* Removing a device twice drops the group's reference only once. */
static void iommu_group_test_remove_twice(struct kunit *test)
{
	struct iommu_group *group = test_group(test);
	struct device *dev = kunit_device_register(test, "iommu-group-test-dev");

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	KUNIT_ASSERT_EQ(test, 0, iommu_group_add_device(group, dev));
	iommu_group_remove_device(dev);
	iommu_group_remove_device(dev);
	/* The test's own reference is still good. */
	KUNIT_EXPECT_TRUE(test, group_has(iommu_group_id(group), NULL));
}

/* The group of a device that was the last member is freed with it. */
static void iommu_group_test_id_free_after_last_member(struct kunit *test)
{
	struct iommu_group *group;
	struct device *dev;
	struct iommu_group *again;
	int id;

	group = group_with_member(test, &dev, &id);
	iommu_group_put(group);
	iommu_group_remove_device(dev);

	again = test_group(test);
	KUNIT_EXPECT_EQ(test, iommu_group_id(again), id);
}

/* Many groups: distinct ids and directories, and the lowest id comes back. */
static void iommu_group_test_many_groups(struct kunit *test)
{
	struct iommu_group *groups[64];
	int i, j, first;

	for (i = 0; i < ARRAY_SIZE(groups); i++) {
		groups[i] = iommu_group_alloc();
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, groups[i]);
		KUNIT_EXPECT_TRUE(test, group_has(iommu_group_id(groups[i]), NULL));
		for (j = 0; j < i; j++)
			KUNIT_EXPECT_NE(test, iommu_group_id(groups[i]),
					iommu_group_id(groups[j]));
	}
	first = iommu_group_id(groups[0]);
	for (i = 0; i < ARRAY_SIZE(groups); i++) {
		int id = iommu_group_id(groups[i]);

		iommu_group_put(groups[i]);
		KUNIT_EXPECT_FALSE(test, group_has(id, NULL));
	}
	groups[0] = test_group(test);
	KUNIT_EXPECT_LE(test, iommu_group_id(groups[0]), first);
}

static void iommu_group_test_generic_device_group(struct kunit *test)
{
	struct device *dev = kunit_device_register(test, "iommu-group-test-dev");
	struct iommu_group *a, *b;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	a = generic_device_group(dev);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, a);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, put_group_action, a));
	b = generic_device_group(dev);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, b);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, put_group_action, b));
	/* One new group per call: the device is not added to either. */
	KUNIT_EXPECT_PTR_NE(test, a, b);
	KUNIT_EXPECT_NULL(test, dev->iommu_group);
}

/* The walk sees membership as it is now, in joining order. */
static void iommu_group_test_walk_after_remove(struct kunit *test)
{
	struct iommu_group *group = test_group(test);
	struct for_each_ctx ctx = { .stop_at = 0 };
	struct device *d0, *d2, *d1 = kunit_device_register(test, "iommu-group-test-1");

	d0 = test_member(test, group, "iommu-group-test-0");
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, d1);
	KUNIT_ASSERT_EQ(test, 0, iommu_group_add_device(group, d1));
	d2 = test_member(test, group, "iommu-group-test-2");
	iommu_group_remove_device(d1);

	KUNIT_EXPECT_EQ(test, 0, iommu_group_for_each_dev(group, &ctx, record_dev));
	KUNIT_ASSERT_EQ(test, ctx.calls, 2);
	KUNIT_EXPECT_PTR_EQ(test, ctx.seen[0], d0);
	KUNIT_EXPECT_PTR_EQ(test, ctx.seen[1], d2);
}

static void iommu_group_test_set_name_null_unnamed(struct kunit *test)
{
	struct iommu_group *group = test_group(test);

	KUNIT_EXPECT_EQ(test, 0, iommu_group_set_name(group, NULL));
	KUNIT_EXPECT_FALSE(test, group_has(iommu_group_id(group), "name"));
}

static void iommu_group_test_iommudata_no_release(struct kunit *test)
{
	struct iommu_group *group = iommu_group_alloc();
	int cookie;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, group);
	release_calls = 0;
	iommu_group_set_iommudata(group, &cookie, NULL);
	KUNIT_EXPECT_PTR_EQ(test, iommu_group_get_iommudata(group), &cookie);
	iommu_group_put(group);
	KUNIT_EXPECT_EQ(test, release_calls, 0);
}

/* Every group explains itself; the explanation is one bounded line. */
static void iommu_group_test_reason(struct kunit *test)
{
	struct iommu_group *group = test_group(test);
	char longer[IOMMU_GROUP_REASON_LEN + 20];

	KUNIT_EXPECT_TRUE(test, group_has(iommu_group_id(group), "reason"));
	KUNIT_EXPECT_STREQ(test, group->reason, "");
	iommu_group_set_reason(group, "multifunction 0000:00:1f without ACS");
	KUNIT_EXPECT_STREQ(test, group->reason, "multifunction 0000:00:1f without ACS");

	memset(longer, 'x', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = 0;
	iommu_group_set_reason(group, longer);
	KUNIT_EXPECT_EQ(test, strlen(group->reason), IOMMU_GROUP_REASON_LEN - 1);
}

static void iommu_group_test_put_null(struct kunit *test)
{
	/* iommu_group_put(NULL) is documented to be harmless. */
	iommu_group_put(NULL);
	KUNIT_SUCCEED(test);
}

static struct kunit_case iommu_group_test_cases[] = {
	KUNIT_CASE(iommu_group_test_alloc_layout),
	KUNIT_CASE(iommu_group_test_distinct_ids),
	KUNIT_CASE(iommu_group_test_put_frees),
	KUNIT_CASE(iommu_group_test_id_reuse_lowest),
	KUNIT_CASE(iommu_group_test_set_name),
	KUNIT_CASE(iommu_group_test_add_device_links),
	KUNIT_CASE(iommu_group_test_get_takes_ref),
	KUNIT_CASE(iommu_group_test_get_no_group),
	KUNIT_CASE(iommu_group_test_remove_device),
	KUNIT_CASE(iommu_group_test_member_holds_ref),
	KUNIT_CASE(iommu_group_test_ref_outlives_members),
	KUNIT_CASE(iommu_group_test_name_collision),
	KUNIT_CASE(iommu_group_test_walk_order),
	KUNIT_CASE(iommu_group_test_walk_stops),
	KUNIT_CASE(iommu_group_test_walk_empty),
	KUNIT_CASE(iommu_group_test_iommudata_release),
	KUNIT_CASE(iommu_group_test_put_null),
	KUNIT_CASE(iommu_group_test_reason),
	KUNIT_CASE(iommu_group_test_add_unregistered_fails),
	KUNIT_CASE(iommu_group_test_add_twice_fails),
	KUNIT_CASE(iommu_group_test_collision_name_freed),
	KUNIT_CASE(iommu_group_test_move_device),
	KUNIT_CASE(iommu_group_test_remove_twice),
	KUNIT_CASE(iommu_group_test_id_free_after_last_member),
	KUNIT_CASE(iommu_group_test_many_groups),
	KUNIT_CASE(iommu_group_test_generic_device_group),
	KUNIT_CASE(iommu_group_test_walk_after_remove),
	KUNIT_CASE(iommu_group_test_set_name_null_unnamed),
	KUNIT_CASE(iommu_group_test_iommudata_no_release),
	{}
};

static struct kunit_suite iommu_group_test_suite = {
	.name = "iommu-group",
	.test_cases = iommu_group_test_cases,
};

kunit_test_suite(iommu_group_test_suite);

MODULE_DESCRIPTION("KUnit tests for the IOMMU group API");
MODULE_LICENSE("GPL");

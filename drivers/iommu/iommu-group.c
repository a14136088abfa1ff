// SPDX-License-Identifier: GPL-2.0-only
/*
 * IOMMU groups: lifetime, ids and membership.
 *
 * The object and its locking rules are described in iommu-group.h.  This
 * file implements the exported group API on top of it; the sysfs side lives
 * in iommu-group-sysfs.c and everything about domains stays in iommu.c.
 */
#define pr_fmt(fmt) "iommu: " fmt

#include <linux/err.h>
#include <linux/export.h>
#include <linux/idr.h>
#include <linux/slab.h>
#include <trace/events/iommu.h>

#include "iommu-group.h"

/* Group ids; the lowest free id is handed out, as userspace has come to expect. */
static DEFINE_IDA(iommu_group_ida);

/**
 * iommu_group_alloc() - allocate a new, empty group
 *
 * Called by an IOMMU driver (usually from its device_group() callback) to
 * create the group a device will be added to.  The group gets the lowest
 * free id and appears in /sys/kernel/iommu_groups/<id>.
 *
 * Return: the group, with one reference held for the caller, or an ERR_PTR.
 * Drop the reference with iommu_group_put() once devices hold their own.
 */
struct iommu_group *iommu_group_alloc(void)
{
	struct iommu_group *group;
	int ret;

	group = kzalloc(sizeof(*group), GFP_KERNEL);
	if (!group)
		return ERR_PTR(-ENOMEM);

	kref_init(&group->ref);
	mutex_init(&group->mutex);
	INIT_LIST_HEAD(&group->devices);
	INIT_LIST_HEAD(&group->entry);
	INIT_HLIST_NODE(&group->anchor_node);
	xa_init(&group->pasid_array);

	ret = ida_alloc(&iommu_group_ida, GFP_KERNEL);
	if (ret < 0) {
		kfree(group);
		return ERR_PTR(ret);
	}
	group->id = ret;

	/* From here on the kobject owns the memory, even on failure. */
	ret = iommu_group_sysfs_add(group);
	if (ret) {
		ida_free(&iommu_group_ida, group->id);
		kobject_put(&group->kobj);
		return ERR_PTR(ret);
	}

	pr_debug("Allocated group %d\n", group->id);
	return group;
}
EXPORT_SYMBOL_GPL(iommu_group_alloc);

/* The last user is gone: take the group out of sight and free its id. */
static void iommu_group_release(struct kref *ref)
{
	struct iommu_group *group = container_of(ref, struct iommu_group, ref);

	pr_debug("Releasing group %d\n", group->id);

	gf_pci_forget(group);
	iommu_group_binder_forget(group);
	iommu_group_sysfs_del(group);
	if (group->iommu_data_release)
		group->iommu_data_release(group->iommu_data);

	/* Domains are freed with the last device, by iommu_deinit_device(). */
	WARN_ON(group->default_domain);
	WARN_ON(group->blocking_domain);

	ida_free(&iommu_group_ida, group->id);
	kobject_put(&group->kobj);
}

/*
 * kobject release of the group: nothing can reach the group any more, not
 * even through sysfs, so the memory can go.
 */
void iommu_group_kobj_release(struct kobject *kobj)
{
	struct iommu_group *group = container_of(kobj, struct iommu_group, kobj);

	xa_destroy(&group->pasid_array);
	mutex_destroy(&group->mutex);
	kfree(group->name);
	kfree(group);
}

/**
 * iommu_group_get() - get the group of a device, with a reference
 * @dev: the device
 *
 * Return: the group @dev belongs to with a new reference, or NULL when it
 * has none.  Drop the reference with iommu_group_put().
 */
struct iommu_group *iommu_group_get(struct device *dev)
{
	struct iommu_group *group = dev->iommu_group;

	if (group)
		kref_get(&group->ref);
	return group;
}
EXPORT_SYMBOL_GPL(iommu_group_get);

/**
 * iommu_group_ref_get() - take another reference on a group
 * @group: the group, which the caller already holds
 *
 * Return: @group, for convenience.
 */
struct iommu_group *iommu_group_ref_get(struct iommu_group *group)
{
	kref_get(&group->ref);
	return group;
}
EXPORT_SYMBOL_GPL(iommu_group_ref_get);

/**
 * iommu_group_put() - drop a reference on a group
 * @group: the group, or NULL
 *
 * Dropping the last reference removes the group from sysfs and frees its id.
 */
void iommu_group_put(struct iommu_group *group)
{
	if (group)
		kref_put(&group->ref, iommu_group_release);
}
EXPORT_SYMBOL_GPL(iommu_group_put);

/**
 * iommu_group_id() - the number of a group
 * @group: the group
 *
 * Return: the id, as in /sys/kernel/iommu_groups/<id> and /dev/vfio/<id>.
 */
int iommu_group_id(struct iommu_group *group)
{
	return group->id;
}
EXPORT_SYMBOL_GPL(iommu_group_id);

/**
 * iommu_group_get_iommudata() - the IOMMU driver's data of a group
 * @group: the group; the caller holds a reference
 *
 * Return: what iommu_group_set_iommudata() stored, or NULL.
 */
void *iommu_group_get_iommudata(struct iommu_group *group)
{
	return group->iommu_data;
}
EXPORT_SYMBOL_GPL(iommu_group_get_iommudata);

/**
 * iommu_group_set_iommudata() - attach IOMMU driver data to a group
 * @group: the group; the caller holds a reference
 * @iommu_data: the data
 * @release: called with @iommu_data when the group is released, or NULL
 *
 * Meant to be called by the driver that created the group, before the group
 * is shared; it is not serialised against iommu_group_get_iommudata().
 */
void iommu_group_set_iommudata(struct iommu_group *group, void *iommu_data,
			       void (*release)(void *iommu_data))
{
	group->iommu_data = iommu_data;
	group->iommu_data_release = release;
}
EXPORT_SYMBOL_GPL(iommu_group_set_iommudata);

/**
 * iommu_group_set_name() - name a group
 * @group: the group
 * @name: the name, or NULL to remove it
 *
 * A named group has a "name" attribute in sysfs; renaming replaces the
 * name, a NULL @name removes the attribute.
 *
 * Return: 0, or a negative errno; on error the name is as it was.
 */
int iommu_group_set_name(struct iommu_group *group, const char *name)
{
	char *new = NULL, *old;
	int ret = 0;

	if (name) {
		new = kstrdup(name, GFP_KERNEL);
		if (!new)
			return -ENOMEM;
	}

	mutex_lock(&group->mutex);
	old = group->name;
	group->name = new;
	mutex_unlock(&group->mutex);

	/*
	 * The attribute comes and goes only when its presence changes.  Only
	 * adding it can fail, and then there was no name before either.
	 */
	if (!old != !new)
		ret = iommu_group_sysfs_set_name(group, !!new);
	if (ret) {
		mutex_lock(&group->mutex);
		group->name = NULL;
		mutex_unlock(&group->mutex);
		kfree(new);
		return ret;
	}
	kfree(old);
	return 0;
}
EXPORT_SYMBOL_GPL(iommu_group_set_name);

/**
 * iommu_group_set_reason() - say why the members of a group share it
 * @group: the group
 * @reason: one line, shown in the group's "reason" attribute
 *
 * Group formation sets it for PCI groups; a driver that forms groups of
 * its own (by PE, by stream ID) may explain them the same way.  Longer
 * text is cut at IOMMU_GROUP_REASON_LEN - 1 characters.
 */
void iommu_group_set_reason(struct iommu_group *group, const char *reason)
{
	mutex_lock(&group->mutex);
	strscpy(group->reason, reason, sizeof(group->reason));
	mutex_unlock(&group->mutex);
}
EXPORT_SYMBOL_GPL(iommu_group_set_reason);

/*
 * Record @dev as a member of @group and create its sysfs links.  The caller
 * puts the result on group->devices under group->mutex; undone by
 * iommu_group_free_device().
 */
struct group_device *iommu_group_alloc_device(struct iommu_group *group,
					      struct device *dev)
{
	struct group_device *gdev;
	int ret;

	gdev = kzalloc(sizeof(*gdev), GFP_KERNEL);
	if (!gdev) {
		ret = -ENOMEM;
		goto err;
	}
	gdev->dev = dev;

	ret = iommu_group_sysfs_link(group, gdev);
	if (ret) {
		kfree(gdev);
		goto err;
	}
	/* In a group claimed for one driver, the newcomer is too. */
	iommu_group_binder_join(group, dev);

	trace_add_device_to_group(group->id, dev);
	dev_info(dev, "Adding to iommu group %d\n", group->id);
	return gdev;

err:
	dev_err(dev, "Failed to add to iommu group %d: %d\n", group->id, ret);
	return ERR_PTR(ret);
}

/* Undo iommu_group_alloc_device(); @gdev is already off group->devices. */
void iommu_group_free_device(struct iommu_group *group,
			     struct group_device *gdev)
{
	iommu_group_sysfs_unlink(group, gdev);
	trace_remove_device_from_group(group->id, gdev->dev);

	/*
	 * The last member is leaving: any DMA owner must have let go and the
	 * group must be back on its default domain (or none).
	 */
	if (list_empty(&group->devices))
		WARN_ON(group->owner_cnt || group->domain != group->default_domain);

	kfree(gdev->saved_override);
	kfree(gdev->name);
	kfree(gdev);
}

/**
 * iommu_group_add_device() - add a device to a group
 * @group: the group; the caller holds a reference
 * @dev: the device
 *
 * The device takes a reference on the group of its own, dropped when it
 * leaves with iommu_group_remove_device().
 *
 * Return: 0; -EBUSY when @dev is already in a group; another negative
 * errno when its links cannot be made.  Nothing changes on error.
 */
int iommu_group_add_device(struct iommu_group *group, struct device *dev)
{
	struct group_device *gdev;

	if (dev->iommu_group)
		return -EBUSY;

	gdev = iommu_group_alloc_device(group, dev);
	if (IS_ERR(gdev))
		return PTR_ERR(gdev);

	iommu_group_ref_get(group);
	dev->iommu_group = group;

	mutex_lock(&group->mutex);
	list_add_tail(&gdev->list, &group->devices);
	mutex_unlock(&group->mutex);
	return 0;
}
EXPORT_SYMBOL_GPL(iommu_group_add_device);

/*
 * Take @dev out of its group: membership, links and, for a device an IOMMU
 * driver probed, the driver's per-device state.  Drops the device's
 * reference on the group.
 */
void __iommu_group_remove_device(struct device *dev)
{
	struct iommu_group *group = dev->iommu_group;
	struct group_device *gdev;

	mutex_lock(&group->mutex);
	for_each_group_device(group, gdev) {
		if (gdev->dev != dev)
			continue;

		list_del(&gdev->list);
		iommu_group_free_device(group, gdev);
		if (dev_has_iommu(dev))
			iommu_deinit_device(dev);
		else
			dev->iommu_group = NULL;
		break;
	}
	mutex_unlock(&group->mutex);

	/* Pairs with iommu_group_add_device() or iommu_init_device(). */
	iommu_group_put(group);
}

/**
 * iommu_group_remove_device() - remove a device from its group
 * @dev: the device; nothing happens when it has no group
 *
 * Drops the reference the device held on the group: the group goes away
 * with its last member unless someone else still holds it.
 */
void iommu_group_remove_device(struct device *dev)
{
	struct iommu_group *group = dev->iommu_group;

	if (!group)
		return;

	dev_info(dev, "Removing from iommu group %d\n", group->id);
	__iommu_group_remove_device(dev);
}
EXPORT_SYMBOL_GPL(iommu_group_remove_device);

#if IS_ENABLED(CONFIG_LOCKDEP)
/**
 * iommu_group_mutex_assert() - assert that the group mutex of a device is held
 * @dev: a device that is in a group
 */
void iommu_group_mutex_assert(struct device *dev)
{
	lockdep_assert_held(&dev->iommu_group->mutex);
}
EXPORT_SYMBOL_GPL(iommu_group_mutex_assert);
#endif

/**
 * iommu_group_for_each_dev() - call a function for each member of a group
 * @group: the group; the caller holds a reference
 * @data: passed to @fn
 * @fn: called for each member, in the order they joined
 *
 * The group mutex is held across the calls, so members can neither join nor
 * leave meanwhile, and @fn must not call back into the group API.
 *
 * Return: 0, or the first non-zero value @fn returned, which ends the walk.
 */
int iommu_group_for_each_dev(struct iommu_group *group, void *data,
			     int (*fn)(struct device *, void *))
{
	struct group_device *gdev;
	int ret = 0;

	mutex_lock(&group->mutex);
	for_each_group_device(group, gdev) {
		ret = fn(gdev->dev, data);
		if (ret)
			break;
	}
	mutex_unlock(&group->mutex);
	return ret;
}
EXPORT_SYMBOL_GPL(iommu_group_for_each_dev);

/**
 * generic_device_group() - device_group() callback: one group per device
 * @dev: the device being probed
 *
 * Return: a new group, or an ERR_PTR.
 */
struct iommu_group *generic_device_group(struct device *dev)
{
	return iommu_group_alloc();
}
EXPORT_SYMBOL_GPL(generic_device_group);

/**
 * generic_single_device_group() - device_group() callback: one group per IOMMU
 * @dev: the device being probed
 *
 * Every device behind the same IOMMU instance shares a single group, for
 * IOMMUs that cannot tell devices apart at all.
 *
 * Return: the instance's group with a new reference, or an ERR_PTR.
 */
struct iommu_group *generic_single_device_group(struct device *dev)
{
	struct iommu_device *iommu = dev->iommu->iommu_dev;

	if (!iommu->singleton_group) {
		struct iommu_group *group = iommu_group_alloc();

		if (IS_ERR(group))
			return group;
		iommu->singleton_group = group;
	}
	return iommu_group_ref_get(iommu->singleton_group);
}
EXPORT_SYMBOL_GPL(generic_single_device_group);

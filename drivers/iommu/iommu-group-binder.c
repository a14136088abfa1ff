// SPDX-License-Identifier: GPL-2.0-only
/*
 * The binder: claim a whole IOMMU group for one driver.
 *
 *   echo vfio-pci > /sys/kernel/iommu_groups/N/driver_override   # claim
 *   echo > /sys/kernel/iommu_groups/N/driver_override            # release
 *
 * While a group is claimed, the driver core lets no other driver match any
 * of its members (iommu_group_driver_allowed(), consulted from
 * driver_match_device()), including devices that join the group later;
 * every member is bound to the claimed driver.  Bridges and ports stay with
 * their port driver, as VFIO's viability rule allows.  A claim either
 * succeeds for every member or changes nothing.  Releasing unbinds the
 * claimed driver and lets the host drivers probe again.
 *
 * The claim also sets each member's driver_override, since that is how
 * drivers such as vfio-pci match at all; the previous override is put
 * back on release.
 */
#define pr_fmt(fmt) "iommu: " fmt

#include <linux/ctype.h>
#include <linux/device.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "iommu-group.h"

/* Room for a claimed driver's name, NUL included. */
#define BINDER_NAME_MAX		64

/* Serialises claims and releases (and joins of new members) system-wide. */
static DEFINE_MUTEX(binder_lock);

/**
 * struct iommu_group_claim - a group claimed for one driver
 * @rcu: frees the claim after the match path stopped reading it
 * @driver: the driver's name
 */
struct iommu_group_claim {
	struct rcu_head rcu;
	char driver[];
};

static bool binder_skips(struct device *dev)
{
	/* Ports keep their port driver: VFIO allows them in a viable group. */
	return dev_is_pci(dev) && pci_is_bridge(to_pci_dev(dev));
}

/**
 * iommu_group_driver_allowed() - may @drv match @dev?
 * @dev: a device
 * @drv: a driver the driver core is about to match against it
 *
 * Called from driver_match_device().  Devices outside a claimed group are
 * not affected.
 *
 * Return: false when @dev is in a group claimed for another driver.
 */
bool iommu_group_driver_allowed(struct device *dev,
				const struct device_driver *drv)
{
	struct iommu_group *group = READ_ONCE(dev->iommu_group);
	struct iommu_group_claim *claim;
	bool allowed = true;

	if (!group || binder_skips(dev))
		return true;
	rcu_read_lock();
	claim = rcu_dereference(group->claim);
	if (claim)
		allowed = !strcmp(claim->driver, drv->name);
	rcu_read_unlock();
	return allowed;
}
EXPORT_SYMBOL_GPL(iommu_group_driver_allowed);

static int binder_set_override(struct device *dev, const char *name)
{
	return device_set_driver_override(dev, name ?: "");
}

/*
 * Move @saved (the member's override from before the claim) into the
 * member's record in @group, or take it back out when @saved is NULL.
 * Returns what was there before.
 */
static char *binder_stash(struct iommu_group *group, struct device *dev,
			  char *saved)
{
	struct group_device *gdev;
	char *old = NULL;

	mutex_lock(&group->mutex);
	for_each_group_device(group, gdev) {
		if (gdev->dev != dev)
			continue;
		old = gdev->saved_override;
		gdev->saved_override = saved;
		saved = NULL;
		break;
	}
	mutex_unlock(&group->mutex);
	kfree(saved);		/* the device has left the group */
	return old;
}

/* Save the member's override, point it at @name and bind it to @drv. */
static int binder_claim_one(struct iommu_group *group, struct device *dev,
			    const char *name, struct device_driver *drv)
{
	char *saved = NULL;
	bool had;
	int ret;

	spin_lock(&dev->driver_override.lock);
	had = dev->driver_override.name;
	if (had)
		saved = kstrdup(dev->driver_override.name, GFP_ATOMIC);
	spin_unlock(&dev->driver_override.lock);
	if (had && !saved)
		return -ENOMEM;
	kfree(binder_stash(group, dev, saved));

	ret = binder_set_override(dev, name);
	if (ret)
		return ret;
	if (dev->driver != drv) {
		device_release_driver(dev);
		ret = device_attach(dev);
		if (ret < 0)
			return ret;
		if (dev->driver != drv)
			return -EIO;
	}
	return 0;
}

/* Put a member's override back as it was and let its host driver probe. */
static void binder_restore_one(struct iommu_group *group, struct device *dev,
			       struct device_driver *drv)
{
	char *saved = binder_stash(group, dev, NULL);

	binder_set_override(dev, saved);
	kfree(saved);
	if (dev->driver == drv || !dev->driver) {
		device_release_driver(dev);
		if (device_attach(dev) < 0)
			dev_warn(dev, "no driver after the group was released\n");
	}
}

/* The members the binder acts on (not bridges), in one pass under the lock. */
struct binder_members {
	struct device **devs;	/* each with a reference */
	int nr;
};

static int binder_members(struct iommu_group *group, struct binder_members *m)
{
	struct group_device *gdev;
	int n = 0;

	m->nr = 0;
	mutex_lock(&group->mutex);
	for_each_group_device(group, gdev)
		n++;
	m->devs = kcalloc(n, sizeof(*m->devs), GFP_KERNEL);
	if (m->devs) {
		for_each_group_device(group, gdev)
			if (!binder_skips(gdev->dev))
				m->devs[m->nr++] = get_device(gdev->dev);
	}
	mutex_unlock(&group->mutex);
	return m->devs || !n ? 0 : -ENOMEM;
}

static void binder_put_members(struct binder_members *m)
{
	int i;

	for (i = 0; i < m->nr; i++)
		put_device(m->devs[i]);
	kfree(m->devs);
}

/* A driver called @name on the bus of every member, or NULL. */
static struct device_driver *binder_find_driver(struct binder_members *m,
						const char *name)
{
	struct device_driver *drv = NULL;
	int i;

	for (i = 0; i < m->nr; i++) {
		struct device_driver *d = driver_find(name, m->devs[i]->bus);

		if (!d || (drv && d != drv))
			return NULL;
		drv = d;
	}
	return drv;
}

static void binder_publish(struct iommu_group *group,
			   struct iommu_group_claim *claim)
{
	struct iommu_group_claim *old;

	old = rcu_replace_pointer(group->claim, claim,
				  lockdep_is_held(&binder_lock));
	if (old)
		kfree_rcu(old, rcu);
}

static int binder_claim(struct iommu_group *group, const char *name)
{
	struct iommu_group_claim *claim;
	struct device_driver *drv;
	struct binder_members m;
	int i, done = 0, ret;
	size_t len;

	ret = binder_members(group, &m);
	if (ret)
		goto out;
	drv = binder_find_driver(&m, name);
	if (!drv) {
		ret = -ENODEV;
		goto out;
	}
	len = strlen(name) + 1;
	claim = kzalloc(struct_size(claim, driver, len), GFP_KERNEL);
	if (!claim) {
		ret = -ENOMEM;
		goto out;
	}
	strscpy(claim->driver, name, len);
	/* From here on no other driver can match a member. */
	binder_publish(group, claim);

	for (i = 0; i < m.nr; i++, done++) {
		ret = binder_claim_one(group, m.devs[i], name, drv);
		if (ret) {
			dev_err(m.devs[i], "cannot bind to %s for group %d: %d\n",
				name, iommu_group_id(group), ret);
			done++;		/* undo this one too */
			break;
		}
	}
	if (ret) {
		binder_publish(group, NULL);
		for (i = 0; i < done; i++)
			binder_restore_one(group, m.devs[i], drv);
	}
out:
	binder_put_members(&m);
	return ret;
}

static int binder_release(struct iommu_group *group)
{
	struct iommu_group_claim *claim;
	struct device_driver *drv;
	struct binder_members m;
	int i, ret;

	claim = rcu_dereference_protected(group->claim, lockdep_is_held(&binder_lock));
	if (!claim)
		return 0;
	ret = binder_members(group, &m);
	if (ret)
		return ret;
	drv = binder_find_driver(&m, claim->driver);
	binder_publish(group, NULL);
	for (i = 0; i < m.nr; i++)
		binder_restore_one(group, m.devs[i], drv);
	binder_put_members(&m);
	return 0;
}

/*
 * Parse a driver name written to driver_override: printable, no blanks, one
 * optional trailing newline.  An empty line means "release".
 */
static int binder_parse(const char *buf, size_t count, char *name, size_t size)
{
	size_t len = count, i;

	if (len && buf[len - 1] == '\n')
		len--;
	if (len >= size)
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (!isgraph(buf[i]))
			return -EINVAL;
	memcpy(name, buf, len);
	name[len] = 0;
	return 0;
}

/*
 * Does a user (VFIO, iommufd) own the group's DMA?  Kernel drivers that use
 * the DMA API count in owner_cnt too, but only a user sets an owner.
 */
static bool binder_user_owned(struct iommu_group *group)
{
	bool owned;

	mutex_lock(&group->mutex);
	owned = group->owner;
	mutex_unlock(&group->mutex);
	return owned;
}

ssize_t iommu_group_binder_show(struct iommu_group *group, char *buf)
{
	struct iommu_group_claim *claim;
	ssize_t ret;

	rcu_read_lock();
	claim = rcu_dereference(group->claim);
	ret = sysfs_emit(buf, "%s\n", claim ? claim->driver : "");
	rcu_read_unlock();
	return ret;
}

ssize_t iommu_group_binder_store(struct iommu_group *group, const char *buf,
				 size_t count)
{
	struct iommu_group_claim *claim;
	char name[BINDER_NAME_MAX];
	int ret;

	ret = binder_parse(buf, count, name, sizeof(name));
	if (ret)
		return ret;

	mutex_lock(&binder_lock);
	claim = rcu_dereference_protected(group->claim, lockdep_is_held(&binder_lock));
	if (binder_user_owned(group))
		ret = -EBUSY;
	else if (!name[0])
		ret = binder_release(group);
	else if (claim)
		ret = strcmp(claim->driver, name) ? -EBUSY : 0;
	else
		ret = binder_claim(group, name);
	mutex_unlock(&binder_lock);
	return ret ?: count;
}

/*
 * A device joins @group (hot-plug, a new VF): if the group is claimed,
 * point the device's override at the claimed driver before any driver
 * probes it.  Called by the group core before the device is a member,
 * without the device lock held.
 */
void iommu_group_binder_join(struct iommu_group *group, struct device *dev)
{
	struct iommu_group_claim *claim;
	char name[BINDER_NAME_MAX] = "";

	/*
	 * A device an IOMMU driver sets up while a driver probes it (at
	 * dma_configure() time, as virtio-iommu does) is already matched.
	 */
	if (binder_skips(dev) || dev->driver)
		return;
	rcu_read_lock();
	claim = rcu_dereference(group->claim);
	if (claim)
		strscpy(name, claim->driver, sizeof(name));
	rcu_read_unlock();
	if (name[0] && binder_set_override(dev, name))
		dev_warn(dev, "cannot point driver_override at %s\n", name);
}

/* The group is released: drop its claim. */
void iommu_group_binder_forget(struct iommu_group *group)
{
	kfree(rcu_dereference_protected(group->claim, true));
}

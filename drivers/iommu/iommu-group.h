/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * IOMMU groups: the object shared by the group core (iommu-group.c,
 * iommu-group-sysfs.c) and the domain code in iommu.c.
 *
 * A group is the smallest set of devices the IOMMU can isolate from the rest
 * of the system.  The group core owns the object's lifetime, its id, its
 * membership and its sysfs directory; iommu.c owns everything about domains
 * and DMA ownership and reaches the group only through this header.
 */
#ifndef __DRIVERS_IOMMU_IOMMU_GROUP_H
#define __DRIVERS_IOMMU_IOMMU_GROUP_H

#include <linux/device.h>
#include <linux/hashtable.h>
#include <linux/iommu.h>
#include <linux/kobject.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/xarray.h>

struct iommu_group_claim;

/* Room for one line in the group's "reason" attribute. */
#define IOMMU_GROUP_REASON_LEN	96

/**
 * struct iommu_group - a set of devices the IOMMU cannot tell apart
 *
 * Lifetime
 *   @ref counts the group's users: the caller of iommu_group_alloc(), every
 *   member device and every iommu_group_get()/iommu_group_ref_get() holder.
 *   When it drops to zero the sysfs directory is removed and the id freed at
 *   once, so the id can be handed out again; the memory goes when the last
 *   kobject reference (sysfs may briefly hold one) is dropped.  A group
 *   therefore outlives its last member while anyone (VFIO) still holds it.
 *
 * Locking
 *   @mutex protects @devices, the domain pointers, @owner_cnt, @owner,
 *   @pasid_array and @entry.  It may be held across calls into the IOMMU
 *   driver (attach_dev and friends), which may sleep; it is never held
 *   while a sysfs file of the group is added or removed, because removal
 *   waits for readers and the readers take @mutex.
 *   @name and @reason are replaced under @mutex; callers of
 *   iommu_group_set_name() serialise among themselves (drivers name a
 *   group once, when they create it).
 *   @anchor, @anchor_node and @reason_rank belong to group formation
 *   (group-formation-pci.c) and are protected by its lock.
 *   @claim belongs to the binder (iommu-group-binder.c): written under
 *   its lock, read under RCU by the driver core's match path.
 *   @iommu_data and @iommu_data_release are set by the IOMMU driver before
 *   the group is shared and are not locked.
 *   @id, @kobj and @devices_kobj never change while @ref is held.
 *
 * Domains
 *   A group is attached to a domain as a whole: every member is switched,
 *   or, if the IOMMU driver refuses one, every member is put back.  The one
 *   way to do that is __iommu_group_set_domain_internal() in iommu.c (and
 *   its wrappers iommu_attach_group(), iommu_detach_group() and the DMA
 *   ownership calls), with @mutex held; it calls the driver's attach_dev()
 *   for each member in turn and may sleep.
 *
 * @kobj: /sys/kernel/iommu_groups/<id>
 * @devices_kobj: its devices/ directory, one link per member
 * @ref: users of the group, see above
 * @mutex: see above
 * @devices: members, struct group_device, in the order they were added
 * @pasid_array: PASID attachments (iommu.c)
 * @iommu_data: IOMMU driver's private data
 * @iommu_data_release: called with @iommu_data when the group is released
 * @name: optional name, shown in the "name" attribute when set
 * @id: the group number, lowest free one at allocation
 * @default_domain: domain used for the kernel's own DMA (iommu.c)
 * @blocking_domain: domain that blocks all DMA (iommu.c)
 * @domain: domain currently attached (iommu.c)
 * @entry: on a probe-time list of groups still needing a default domain
 * @owner_cnt: DMA ownership claims (iommu.c)
 * @owner: DMA owner cookie (iommu.c)
 * @reason: why the members share the group, one line; empty if not known
 * @reason_rank: how strong the rule behind @reason is (enum gf_rule)
 * @anchor: the function or bus group formation anchored the group at
 * @anchor_node: entry in group formation's table of anchors
 * @claim: the driver the whole group is claimed for, or NULL
 */
struct iommu_group {
	struct kobject kobj;
	struct kobject *devices_kobj;
	struct kref ref;
	struct mutex mutex;		/* see "Locking" above */
	struct list_head devices;
	struct xarray pasid_array;
	void *iommu_data;
	void (*iommu_data_release)(void *iommu_data);
	char *name;
	int id;
	struct iommu_domain *default_domain;
	struct iommu_domain *blocking_domain;
	struct iommu_domain *domain;
	struct list_head entry;
	unsigned int owner_cnt;
	void *owner;
	char reason[IOMMU_GROUP_REASON_LEN];
	int reason_rank;
	u64 anchor;
	struct hlist_node anchor_node;
	struct iommu_group_claim __rcu *claim;
};

/**
 * struct group_device - membership of one device in a group
 * @list: entry in iommu_group.devices
 * @dev: the member
 * @name: name of its link in devices/ (the device name, or "name.N" when
 *	  another member already uses it)
 * @saved_override: the binder's copy of the device's driver_override from
 *		    before the group was claimed (NULL: there was none)
 *
 * All fields are protected by the group's mutex.
 */
struct group_device {
	struct list_head list;
	struct device *dev;
	char *name;
	char *saved_override;
};

/* Iterate over each struct group_device in a group; hold group->mutex. */
#define for_each_group_device(group, pos) \
	list_for_each_entry(pos, &(group)->devices, list)

static inline struct device *iommu_group_first_dev(struct iommu_group *group)
{
	lockdep_assert_held(&group->mutex);
	return list_first_entry(&group->devices, struct group_device, list)->dev;
}

static inline bool dev_has_iommu(struct device *dev)
{
	return dev->iommu && dev->iommu->iommu_dev;
}

/* Group core (iommu-group.c) for iommu.c */
struct group_device *iommu_group_alloc_device(struct iommu_group *group,
					      struct device *dev);
void iommu_group_free_device(struct iommu_group *group,
			     struct group_device *gdev);
void __iommu_group_remove_device(struct device *dev);

/* sysfs (iommu-group-sysfs.c) for the group core */
int iommu_group_sysfs_add(struct iommu_group *group);
void iommu_group_sysfs_del(struct iommu_group *group);
int iommu_group_sysfs_set_name(struct iommu_group *group, bool present);
int iommu_group_sysfs_link(struct iommu_group *group,
			   struct group_device *gdev);
void iommu_group_sysfs_unlink(struct iommu_group *group,
			      struct group_device *gdev);
void iommu_group_kobj_release(struct kobject *kobj);

/* Group formation (group-formation-pci.c) for the group core */
#if IS_ENABLED(CONFIG_IOMMU_GROUP_FORMATION)
void gf_pci_forget(struct iommu_group *group);
#else
static inline void gf_pci_forget(struct iommu_group *group) { }
#endif

/* The binder (iommu-group-binder.c) for the group core */
#if IS_ENABLED(CONFIG_IOMMU_GROUP_BINDER)
ssize_t iommu_group_binder_show(struct iommu_group *group, char *buf);
ssize_t iommu_group_binder_store(struct iommu_group *group, const char *buf,
				 size_t count);
void iommu_group_binder_join(struct iommu_group *group, struct device *dev);
void iommu_group_binder_forget(struct iommu_group *group);
#else
static inline void iommu_group_binder_join(struct iommu_group *group,
					   struct device *dev) { }
static inline void iommu_group_binder_forget(struct iommu_group *group) { }
#endif

/* Domain code (iommu.c) for the group core */
void iommu_deinit_device(struct device *dev);
ssize_t iommu_group_store_type(struct iommu_group *group,
			       const char *buf, size_t count);

#endif /* __DRIVERS_IOMMU_IOMMU_GROUP_H */

// SPDX-License-Identifier: GPL-2.0-only
/*
 * IOMMU groups in sysfs:
 *
 *   /sys/kernel/iommu_groups/<id>/devices/<dev>  link to each member
 *   /sys/kernel/iommu_groups/<id>/name           only when a name is set
 *   /sys/kernel/iommu_groups/<id>/reserved_regions
 *   /sys/kernel/iommu_groups/<id>/type           default domain type
 *   /sys/kernel/iommu_groups/<id>/reason         why the members share it
 *   /sys/kernel/iommu_groups/<id>/driver_override  claim it for one driver
 *   /sys/devices/.../<dev>/iommu_group           link back to the group
 *
 * The layout is ABI (Documentation/ABI/testing/sysfs-kernel-iommu_groups)
 * and matches what Linux has always shown.
 */
#include <linux/kobject.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "iommu-group.h"

static struct kset *iommu_group_kset;

struct iommu_group_attribute {
	struct attribute attr;
	ssize_t (*show)(struct iommu_group *group, char *buf);
	ssize_t (*store)(struct iommu_group *group, const char *buf,
			 size_t count);
};

#define to_group_attr(_attr) container_of(_attr, struct iommu_group_attribute, attr)
#define to_group(_kobj) container_of(_kobj, struct iommu_group, kobj)

static ssize_t iommu_group_attr_show(struct kobject *kobj,
				     struct attribute *attr, char *buf)
{
	struct iommu_group_attribute *gattr = to_group_attr(attr);

	return gattr->show ? gattr->show(to_group(kobj), buf) : -EIO;
}

static ssize_t iommu_group_attr_store(struct kobject *kobj,
				      struct attribute *attr,
				      const char *buf, size_t count)
{
	struct iommu_group_attribute *gattr = to_group_attr(attr);

	return gattr->store ? gattr->store(to_group(kobj), buf, count) : -EIO;
}

static const struct sysfs_ops iommu_group_sysfs_ops = {
	.show = iommu_group_attr_show,
	.store = iommu_group_attr_store,
};

static ssize_t name_show(struct iommu_group *group, char *buf)
{
	ssize_t ret;

	mutex_lock(&group->mutex);
	ret = sysfs_emit(buf, "%s\n", group->name ?: "");
	mutex_unlock(&group->mutex);
	return ret;
}

static const char *const resv_type_names[] = {
	[IOMMU_RESV_DIRECT]		= "direct",
	[IOMMU_RESV_DIRECT_RELAXABLE]	= "direct-relaxable",
	[IOMMU_RESV_RESERVED]		= "reserved",
	[IOMMU_RESV_MSI]		= "msi",
	[IOMMU_RESV_SW_MSI]		= "msi",
};

/* One line per region: "start end type", merged across all members. */
static ssize_t reserved_regions_show(struct iommu_group *group, char *buf)
{
	struct iommu_resv_region *region, *next;
	LIST_HEAD(regions);
	int len = 0;

	iommu_get_group_resv_regions(group, &regions);
	list_for_each_entry_safe(region, next, &regions, list) {
		const char *type = region->type < ARRAY_SIZE(resv_type_names) ?
				   resv_type_names[region->type] : NULL;

		len += sysfs_emit_at(buf, len, "0x%016llx 0x%016llx %s\n",
				     (long long)region->start,
				     (long long)(region->start + region->length - 1),
				     type ?: "unknown");
		kfree(region);
	}
	return len;
}

static ssize_t type_show(struct iommu_group *group, char *buf)
{
	const char *type = "unknown";

	mutex_lock(&group->mutex);
	if (group->default_domain) {
		switch (group->default_domain->type) {
		case IOMMU_DOMAIN_BLOCKED:
			type = "blocked";
			break;
		case IOMMU_DOMAIN_IDENTITY:
			type = "identity";
			break;
		case IOMMU_DOMAIN_UNMANAGED:
			type = "unmanaged";
			break;
		case IOMMU_DOMAIN_DMA:
			type = "DMA";
			break;
		case IOMMU_DOMAIN_DMA_FQ:
			type = "DMA-FQ";
			break;
		}
	}
	mutex_unlock(&group->mutex);
	return sysfs_emit(buf, "%s\n", type);
}

/*
 * Why the members share the group.  Groups nobody explained are either
 * alone ("isolated") or were formed by their IOMMU driver; a group whose
 * members have all left (someone still holds it) is "empty".
 */
static ssize_t reason_show(struct iommu_group *group, char *buf)
{
	const char *reason = group->reason;
	ssize_t ret;

	mutex_lock(&group->mutex);
	if (list_empty(&group->devices))
		reason = "empty";
	else if (!reason[0])
		reason = list_is_singular(&group->devices) ? "isolated" :
			 "formed by the IOMMU driver";
	ret = sysfs_emit(buf, "%s\n", reason);
	mutex_unlock(&group->mutex);
	return ret;
}

static struct iommu_group_attribute iommu_group_attr_name =
	__ATTR(name, 0444, name_show, NULL);
#if IS_ENABLED(CONFIG_IOMMU_GROUP_BINDER)
/* Claim the whole group for one driver (iommu-group-binder.c). */
static struct iommu_group_attribute iommu_group_attr_driver_override =
	__ATTR(driver_override, 0644, iommu_group_binder_show,
	       iommu_group_binder_store);
#endif
static struct iommu_group_attribute iommu_group_attr_reason =
	__ATTR(reason, 0444, reason_show, NULL);
static struct iommu_group_attribute iommu_group_attr_reserved_regions =
	__ATTR(reserved_regions, 0444, reserved_regions_show, NULL);
/* Writing the type switches the default domain: that is iommu.c's job. */
static struct iommu_group_attribute iommu_group_attr_type =
	__ATTR(type, 0644, type_show, iommu_group_store_type);

static struct attribute *iommu_group_attrs[] = {
#if IS_ENABLED(CONFIG_IOMMU_GROUP_BINDER)
	&iommu_group_attr_driver_override.attr,
#endif
	&iommu_group_attr_reason.attr,
	&iommu_group_attr_reserved_regions.attr,
	&iommu_group_attr_type.attr,
	NULL
};
ATTRIBUTE_GROUPS(iommu_group);

static const struct kobj_type iommu_group_ktype = {
	.sysfs_ops = &iommu_group_sysfs_ops,
	.default_groups = iommu_group_groups,
	.release = iommu_group_kobj_release,
};

/*
 * Initialise the group's kobject and publish its directory with the
 * default attributes and devices/.  Whatever the outcome, the memory of the
 * group belongs to the kobject afterwards: the caller drops it with
 * kobject_put() on failure.
 */
int iommu_group_sysfs_add(struct iommu_group *group)
{
	int ret;

	group->kobj.kset = iommu_group_kset;
	kobject_init(&group->kobj, &iommu_group_ktype);
	if (!iommu_group_kset)
		return -ENODEV;

	ret = kobject_add(&group->kobj, NULL, "%d", group->id);
	if (ret)
		return ret;

	group->devices_kobj = kobject_create_and_add("devices", &group->kobj);
	if (!group->devices_kobj) {
		/*
		 * Take the directory away now: the caller frees the id at
		 * once, and a directory that outlives it (the kobject is
		 * released later) would collide with the id's next group.
		 */
		kobject_del(&group->kobj);
		return -ENOMEM;
	}
	return 0;
}

/* Remove the group's directory; the group has no members left. */
void iommu_group_sysfs_del(struct iommu_group *group)
{
	kobject_put(group->devices_kobj);
	group->devices_kobj = NULL;
	kobject_del(&group->kobj);
}

/* Add or remove the "name" attribute. */
int iommu_group_sysfs_set_name(struct iommu_group *group, bool present)
{
	if (present)
		return sysfs_create_file(&group->kobj, &iommu_group_attr_name.attr);
	sysfs_remove_file(&group->kobj, &iommu_group_attr_name.attr);
	return 0;
}

/*
 * Link a new member both ways: <dev>/iommu_group -> group and
 * group/devices/<name> -> dev.  Device names need not be unique across
 * buses, so a taken name gets a ".0", ".1", ... suffix; gdev->name records
 * the name used.
 */
int iommu_group_sysfs_link(struct iommu_group *group, struct group_device *gdev)
{
	struct kobject *kobj = &gdev->dev->kobj;
	const char *base = kobject_name(kobj);
	char *name;
	int ret, i;

	ret = sysfs_create_link(kobj, &group->kobj, "iommu_group");
	if (ret)
		return ret;

	name = kstrdup(base, GFP_KERNEL);
	for (i = 0; name; i++) {
		ret = sysfs_create_link_nowarn(group->devices_kobj, kobj, name);
		if (ret != -EEXIST || i == INT_MAX)
			break;
		kfree(name);
		name = kasprintf(GFP_KERNEL, "%s.%d", base, i);
	}
	if (!name)
		ret = -ENOMEM;
	if (ret) {
		kfree(name);
		sysfs_remove_link(kobj, "iommu_group");
		return ret;
	}
	gdev->name = name;
	return 0;
}

void iommu_group_sysfs_unlink(struct iommu_group *group, struct group_device *gdev)
{
	sysfs_remove_link(group->devices_kobj, gdev->name);
	sysfs_remove_link(&gdev->dev->kobj, "iommu_group");
}

static int __init iommu_group_sysfs_init(void)
{
	iommu_group_kset = kset_create_and_add("iommu_groups", NULL, kernel_kobj);
	return iommu_group_kset ? 0 : -ENOMEM;
}
core_initcall(iommu_group_sysfs_init);

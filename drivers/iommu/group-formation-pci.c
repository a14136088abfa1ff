// SPDX-License-Identifier: GPL-2.0-only
/*
 * PCI group formation on live devices.
 *
 * pci_device_group() describes the neighbourhood of a device for
 * gf_classify() (group-formation.c): every bus from the device to its root
 * bus and every function on those buses.  The anchor it gets back names a
 * function or a bus; a small table maps anchors to their groups, so the
 * device joins the group of its anchor if one exists and creates it
 * otherwise.  Nothing here searches all PCI devices, and the outcome does
 * not depend on the order devices are probed in.
 */
#define pr_fmt(fmt) "iommu: " fmt

#include <linux/export.h>
#include <linux/hashtable.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/slab.h>

/*
 * pci_bus_sem guards the bus device lists; it is PCI-private, and the view
 * is the only place outside drivers/pci that needs it.
 */
#include "../pci/pci.h"
#include "group-formation.h"
#include "iommu-group.h"

/*
 * To consider a PCI device isolated, ACS must enforce Source Validation,
 * Request Redirection, Completion Redirection and Upstream Forwarding:
 * the device cannot spoof its requester ID and its requests and
 * completions go upstream, even when the target is below the same bridge.
 */
#define GF_ACS_FLAGS	(PCI_ACS_SV | PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_UF)

/* Anchors with a live group.  gf_lock protects the table and the entries. */
static DEFINE_HASHTABLE(gf_anchors, 8);
static DEFINE_MUTEX(gf_lock);

/* The neighbourhood of one device, described for gf_classify(). */
struct gf_pci_view {
	struct gf_topology t;
	struct gf_bus *buses;
	struct gf_func *funcs;
	struct pci_dev **devs;		/* funcs[i] describes devs[i] */
	struct pci_bus **pci_buses;	/* buses[i] describes pci_buses[i] */
};

static enum gf_kind gf_pci_kind(struct pci_dev *pdev)
{
	if (!pci_is_pcie(pdev))
		return pdev->subordinate ? GF_PCI_BRIDGE : GF_PCI;

	switch (pci_pcie_type(pdev)) {
	case PCI_EXP_TYPE_ROOT_PORT:
		return GF_ROOT_PORT;
	case PCI_EXP_TYPE_DOWNSTREAM:
		return GF_DOWNSTREAM_PORT;
	case PCI_EXP_TYPE_UPSTREAM:
		return GF_UPSTREAM_PORT;
	case PCI_EXP_TYPE_PCI_BRIDGE:
		return GF_PCIE_TO_PCI;
	case PCI_EXP_TYPE_PCIE_BRIDGE:
		return GF_PCI_TO_PCIE;
	default:
		return GF_ENDPOINT;
	}
}

static int gf_pci_find(struct gf_pci_view *v, struct pci_dev *pdev)
{
	int i;

	for (i = 0; i < v->t.nr_funcs; i++)
		if (v->devs[i] == pdev)
			return i;
	return GF_NONE;
}

static void gf_pci_view_free(struct gf_pci_view *v)
{
	int i;

	for (i = 0; v->devs && i < v->t.nr_funcs; i++)
		pci_dev_put(v->devs[i]);
	kfree(v->buses);
	kfree(v->funcs);
	kfree(v->devs);
	kfree(v->pci_buses);
}

/*
 * Collect every bus from @pdev's to the root and every function on them,
 * with a reference on each function, under pci_bus_sem.
 */
static int gf_pci_view_collect(struct gf_pci_view *v, struct pci_dev *pdev)
{
	struct pci_bus *bus;
	struct pci_dev *dev;
	int nr_buses = 0, nr_funcs = 0, b = 0;

	lockdep_assert_held(&pci_bus_sem);
	for (bus = pdev->bus; bus; bus = bus->parent) {
		nr_buses++;
		list_for_each_entry(dev, &bus->devices, bus_list)
			nr_funcs++;
	}

	v->buses = kcalloc(nr_buses, sizeof(*v->buses), GFP_KERNEL);
	v->pci_buses = kcalloc(nr_buses, sizeof(*v->pci_buses), GFP_KERNEL);
	v->funcs = kcalloc(nr_funcs, sizeof(*v->funcs), GFP_KERNEL);
	v->devs = kcalloc(nr_funcs, sizeof(*v->devs), GFP_KERNEL);
	if (!v->buses || !v->pci_buses || !v->funcs || !v->devs)
		return -ENOMEM;

	for (bus = pdev->bus; bus; bus = bus->parent, b++) {
		v->pci_buses[b] = bus;
		list_for_each_entry(dev, &bus->devices, bus_list) {
			v->devs[v->t.nr_funcs] = pci_dev_get(dev);
			v->funcs[v->t.nr_funcs++].bus = b;
		}
	}
	v->t.nr_buses = b;
	return 0;
}

/*
 * Read ACS where the analysis looks at it: bridges on the path, downstream
 * ports on a switch's internal bus, and the functions of any device whose
 * slot can join the anchor's group (the device's own, the path bridges',
 * and those of DMA alias quirks).  ACS checks read config space and may
 * run quirks, so skipping the rest of a wide bus keeps the cost down.
 * Functions not read are marked as enforcing ACS; nothing consults them.
 */
static void gf_pci_view_acs(struct gf_pci_view *v, struct pci_dev *pdev)
{
	u32 *slots;	/* per bus: slots whose functions need ACS */
	int i, b, d;

	slots = kcalloc(v->t.nr_buses, sizeof(*slots), GFP_KERNEL);
	if (!slots) {
		for (i = 0; i < v->t.nr_funcs; i++)
			v->funcs[i].acs = pci_acs_enabled(v->devs[i], GF_ACS_FLAGS);
		return;
	}

	for (i = 0; i < v->t.nr_funcs; i++) {
		struct gf_func *f = &v->funcs[i];

		if (v->devs[i] == pdev)
			slots[f->bus] |= BIT(PCI_SLOT(f->devfn));
		if (f->dma_alias) {
			slots[f->bus] |= BIT(PCI_SLOT(f->devfn));
			for_each_set_bit(d, f->dma_alias, GF_MAX_DEVFN)
				slots[f->bus] |= BIT(PCI_SLOT(d));
		}
	}
	for (b = 0; b < v->t.nr_buses; b++) {
		int self = v->buses[b].self;

		if (self != GF_NONE)
			slots[v->funcs[self].bus] |= BIT(PCI_SLOT(v->funcs[self].devfn));
	}

	for (i = 0; i < v->t.nr_funcs; i++) {
		struct gf_func *f = &v->funcs[i];
		int self = v->buses[f->bus].self;
		bool switch_port = f->kind == GF_DOWNSTREAM_PORT && self != GF_NONE &&
				   v->funcs[self].kind == GF_UPSTREAM_PORT;

		if (switch_port || (slots[f->bus] & BIT(PCI_SLOT(f->devfn))))
			f->acs = pci_acs_enabled(v->devs[i], GF_ACS_FLAGS);
		else
			f->acs = true;
	}
	kfree(slots);
}

/* Describe the neighbourhood of @pdev (see gf_pci_view_collect()). */
static int gf_pci_view_build(struct gf_pci_view *v, struct pci_dev *pdev)
{
	int ret, b, i;

	memset(v, 0, sizeof(*v));
	down_read(&pci_bus_sem);
	ret = gf_pci_view_collect(v, pdev);
	up_read(&pci_bus_sem);
	if (ret)
		return ret;
	v->t.buses = v->buses;
	v->t.funcs = v->funcs;

	for (i = 0; i < v->t.nr_funcs; i++) {
		struct pci_dev *dev = v->devs[i];
		struct gf_func *f = &v->funcs[i];

		f->devfn = dev->devfn;
		f->kind = gf_pci_kind(dev);
		/*
		 * A function other than 0 belongs to a multifunction device
		 * even before the PCI core says so: on hot-add the IOMMU
		 * probes it from device_add(), before pci_scan_slot() sets
		 * ->multifunction, and it would land in a group of its own.
		 */
		f->multifunction = dev->multifunction || PCI_FUNC(dev->devfn);
		f->xlate_root = dev->dev_flags & PCI_DEV_FLAGS_BRIDGE_XLATE_ROOT;
		f->real_dma = GF_NONE;
		f->dma_alias = dev->dma_alias_mask;
	}

	/* Link each bus to the bridge above it, or a virtual bus to its parent. */
	for (b = 0; b < v->t.nr_buses; b++) {
		struct pci_bus *pbus = v->pci_buses[b];

		v->buses[b].number = pbus->number;
		v->buses[b].domain = pci_domain_nr(pbus);
		v->buses[b].self = pbus->self ? gf_pci_find(v, pbus->self) : GF_NONE;
		v->buses[b].parent = GF_NONE;
		if (v->buses[b].self == GF_NONE && pbus->parent)
			v->buses[b].parent = b + 1;
	}

	gf_pci_view_acs(v, pdev);
	return 0;
}

/* One line, for the group's "reason" attribute. */
static void gf_pci_reason(struct gf_pci_view *v, const struct gf_key *key,
			  char *buf, size_t size)
{
	struct pci_dev *subj = v->devs[key->subject];

	switch (key->rule) {
	case GF_RULE_ISOLATED:
		scnprintf(buf, size, "isolated");
		break;
	case GF_RULE_DMA_ALIAS:
		scnprintf(buf, size, "DMA alias of %s", pci_name(subj));
		break;
	case GF_RULE_MULTIFUNCTION:
		scnprintf(buf, size, "multifunction %04x:%02x:%02x without ACS",
			  pci_domain_nr(subj->bus), subj->bus->number,
			  PCI_SLOT(subj->devfn));
		break;
	case GF_RULE_PCI_BRIDGE:
		scnprintf(buf, size, "conventional PCI below %s", pci_name(subj));
		break;
	case GF_RULE_PORT_NO_ACS:
		scnprintf(buf, size, "below %s: %s port without ACS",
			  pci_name(subj),
			  pci_pcie_type(subj) == PCI_EXP_TYPE_ROOT_PORT ?
			  "root" : "downstream");
		break;
	case GF_RULE_SWITCH_NO_ACS:
		scnprintf(buf, size, "below %s: downstream port %s without ACS",
			  pci_name(v->pci_buses[key->index]->self), pci_name(subj));
		break;
	}
}

/* A number naming the anchor: a function or a bus, in its PCI domain. */
static u64 gf_pci_anchor(struct gf_pci_view *v, const struct gf_key *key)
{
	if (key->is_bus) {
		struct pci_bus *bus = v->pci_buses[key->index];

		return (u64)pci_domain_nr(bus) << 32 | bus->number << 16 | BIT(15);
	}
	return (u64)pci_domain_nr(v->devs[key->index]->bus) << 32 |
	       pci_dev_id(v->devs[key->index]);
}

static struct iommu_group *gf_lookup(u64 anchor)
{
	struct iommu_group *group;

	hash_for_each_possible(gf_anchors, group, anchor_node, anchor)
		if (group->anchor == anchor && kref_get_unless_zero(&group->ref))
			return group;
	return NULL;
}

/**
 * pci_device_group() - find or create the IOMMU group of a PCI device
 * @dev: a PCI device being probed by an IOMMU driver
 *
 * The device_group() callback of IOMMU drivers for PCI devices.  The group
 * follows from the topology alone (see group-formation.c); the group's
 * "reason" attribute says which rule joined its members.
 *
 * Return: the group with a reference for the caller, or an ERR_PTR.
 */
struct iommu_group *pci_device_group(struct device *dev)
{
	struct pci_dev *pdev, *rdev;
	struct iommu_group *group;
	struct gf_pci_view v;
	struct gf_key key;
	char reason[IOMMU_GROUP_REASON_LEN];
	u64 anchor;
	int ret;

	if (WARN_ON(!dev_is_pci(dev)))
		return ERR_PTR(-EINVAL);
	pdev = to_pci_dev(dev);
	/* Devices whose DMA carries another function's ID go with it. */
	rdev = pci_real_dma_dev(pdev);

	ret = gf_pci_view_build(&v, rdev);
	if (!ret)
		ret = gf_classify(&v.t, gf_pci_find(&v, rdev), &key);
	if (ret) {
		gf_pci_view_free(&v);
		return ERR_PTR(ret);
	}
	gf_pci_reason(&v, &key, reason, sizeof(reason));
	if (rdev != pdev && key.rule < GF_RULE_DMA_ALIAS) {
		key.rule = GF_RULE_DMA_ALIAS;
		scnprintf(reason, sizeof(reason), "DMA alias of %s", pci_name(rdev));
	}
	anchor = gf_pci_anchor(&v, &key);
	gf_pci_view_free(&v);

	mutex_lock(&gf_lock);
	group = gf_lookup(anchor);
	if (!group) {
		group = iommu_group_alloc();
		if (IS_ERR(group))
			goto out;
		group->anchor = anchor;
		hash_add(gf_anchors, &group->anchor_node, anchor);
	}
	/* A group is explained by the strongest rule of any member. */
	if (!group->reason[0] || key.rule > group->reason_rank) {
		group->reason_rank = key.rule;
		iommu_group_set_reason(group, reason);
	}
out:
	mutex_unlock(&gf_lock);
	return group;
}
EXPORT_SYMBOL_GPL(pci_device_group);

/* The group is being released: forget its anchor. */
void gf_pci_forget(struct iommu_group *group)
{
	mutex_lock(&gf_lock);
	if (!hlist_unhashed(&group->anchor_node))
		hash_del(&group->anchor_node);
	mutex_unlock(&gf_lock);
}

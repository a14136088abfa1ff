/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Group formation: which PCI functions must share an IOMMU group.
 *
 * The analysis works on a plain description of (part of) a PCI hierarchy,
 * so it runs without hardware: the KUnit suite feeds it synthetic
 * topologies, and group-formation-pci.c describes the neighbourhood of a
 * live pci_dev.  The rules are explained in
 * Documentation/driver-api/iommu-groups.rst.
 */
#ifndef __DRIVERS_IOMMU_GROUP_FORMATION_H
#define __DRIVERS_IOMMU_GROUP_FORMATION_H

#include <linux/types.h>

#define GF_NONE			(-1)
#define GF_MAX_DEVFN		256

/* What a function is, as far as isolation is concerned. */
enum gf_kind {
	GF_ENDPOINT,		/* PCIe endpoint, legacy endpoint, RCiEP */
	GF_ROOT_PORT,		/* PCIe root port */
	GF_DOWNSTREAM_PORT,	/* switch downstream port */
	GF_UPSTREAM_PORT,	/* switch upstream port */
	GF_PCIE_TO_PCI,		/* PCIe to PCI/PCI-X bridge */
	GF_PCI_TO_PCIE,		/* PCI/PCI-X to PCIe bridge */
	GF_PCI_BRIDGE,		/* conventional PCI-to-PCI bridge */
	GF_PCI,			/* conventional PCI function */
};

/**
 * struct gf_bus - a PCI bus
 * @self: index of the bridge above it, GF_NONE for a root or virtual bus
 * @parent: for a virtual bus (SR-IOV VFs beyond the PF's bus), the bus it
 *	    hangs off; GF_NONE otherwise.  A bus with neither is a root bus.
 * @number: bus number, for messages
 * @domain: PCI domain (segment), for messages
 */
struct gf_bus {
	int self;
	int parent;
	u8 number;
	u16 domain;
};

/**
 * struct gf_func - a PCI function
 * @bus: index of the bus it sits on
 * @devfn: device and function number
 * @kind: enum gf_kind
 * @multifunction: the device has more than one function
 * @acs: ACS enforces Source Validation, P2P Request and Completion
 *	 Redirect and Upstream Forwarding here, or is not applicable (as
 *	 pci_acs_enabled() answers)
 * @xlate_root: the IOMMU sits at this bridge: requester IDs are not
 *		rewritten above it
 * @real_dma: index of the function whose requester ID this one's DMA
 *	      carries (pci_real_dma_dev()), or GF_NONE
 * @dma_alias: bitmap of devfns on the same bus this function's DMA is also
 *	       tagged with (DMA alias quirks), or NULL
 */
struct gf_func {
	int bus;
	u8 devfn;
	u8 kind;
	bool multifunction;
	bool acs;
	bool xlate_root;
	int real_dma;
	const unsigned long *dma_alias;
};

/**
 * struct gf_topology - the part of a PCI hierarchy the analysis looks at
 * @buses: the buses
 * @funcs: the functions; those on one bus need not be adjacent
 * @nr_buses: number of @buses
 * @nr_funcs: number of @funcs
 *
 * For one function the analysis reads the buses from it to the root, the
 * functions on them that are downstream ports, and the functions on the
 * bus where its group is decided (for multifunction and alias rules).
 */
struct gf_topology {
	const struct gf_bus *buses;
	const struct gf_func *funcs;
	int nr_buses;
	int nr_funcs;
};

/*
 * Why functions share a group, weakest first: a group's reason is the
 * strongest rule any of its members was placed by.
 */
enum gf_rule {
	GF_RULE_ISOLATED,	/* nothing joins it to anything */
	GF_RULE_DMA_ALIAS,	/* DMA alias (quirk or pci_real_dma_dev()) */
	GF_RULE_MULTIFUNCTION,	/* functions of one device without ACS */
	GF_RULE_PCI_BRIDGE,	/* behind a bridge to conventional PCI */
	GF_RULE_PORT_NO_ACS,	/* root or downstream port without ACS */
	GF_RULE_SWITCH_NO_ACS,	/* switch bus with a port without ACS */
};

/**
 * struct gf_key - where a function's group is anchored
 * @is_bus: the anchor is a bus (@index into buses), else a function
 * @index: the anchor: functions with the same anchor share a group
 * @rule: the strongest rule that placed the function there
 * @subject: the function the rule names (a port, a bridge, a function of
 *	     the multifunction device, an alias)
 */
struct gf_key {
	bool is_bus;
	int index;
	enum gf_rule rule;
	int subject;
};

int gf_classify(const struct gf_topology *t, int fn, struct gf_key *key);
bool gf_key_equal(const struct gf_key *a, const struct gf_key *b);
const char *gf_rule_name(enum gf_rule rule);

#endif /* __DRIVERS_IOMMU_GROUP_FORMATION_H */

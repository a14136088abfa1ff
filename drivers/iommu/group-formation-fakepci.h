/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A PCI hierarchy in memory, scanned by the real PCI core.
 *
 * Test-only helpers shared by the group formation KUnit suite and the
 * group formation benchmark: a fake host bridge whose pci_ops read and
 * write config space kept in memory, so the PCI core enumerates the
 * functions, caches their PCIe type, applies quirks and reads ACS exactly
 * as it does for hardware.  BARs and the expansion ROM are not
 * implemented (writes are dropped), so no resources get assigned.
 *
 * Build a topology with fpci_root_port(), fpci_switch() and
 * fpci_endpoint(), then fpci_scan() it into a new PCI domain.  x86 only
 * (the host bridge's sysdata is struct pci_sysdata).
 */
#ifndef __DRIVERS_IOMMU_GROUP_FORMATION_FAKEPCI_H
#define __DRIVERS_IOMMU_GROUP_FORMATION_FAKEPCI_H

#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#define FPCI_VENDOR		0x1b36	/* as QEMU's own devices */
#define FPCI_CFG_SIZE		4096
#define FPCI_EXP_CAP		0x40
#define FPCI_ACS_CAP		0x100
#define FPCI_ALL_ACS		(PCI_ACS_SV | PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_UF)

struct fpci {
	u8 *cfg[256][256];		/* [bus][devfn], NULL: no function */
	struct resource busn;		/* bus numbers, kept by the host bridge */
	u8 next_bus;			/* next free bus number */
	int domain;
	struct pci_sysdata sysdata;
	struct pci_bus *root;
	int nr_funcs;
};

static inline struct fpci *fpci_of(struct pci_bus *bus)
{
	return container_of(bus->sysdata, struct fpci, sysdata);
}

static int fpci_read(struct pci_bus *bus, unsigned int devfn, int where,
		     int size, u32 *val)
{
	u8 *cfg = fpci_of(bus)->cfg[bus->number][devfn];

	if (!cfg || where + size > FPCI_CFG_SIZE) {
		*val = ~0;
		return PCIBIOS_DEVICE_NOT_FOUND;
	}
	*val = 0;
	memcpy(val, cfg + where, size);
	return PCIBIOS_SUCCESSFUL;
}

static bool fpci_dropped(u8 *cfg, int where)
{
	bool bridge = (cfg[PCI_HEADER_TYPE] & 0x7f) == PCI_HEADER_TYPE_BRIDGE;
	int bars_end = bridge ? PCI_BASE_ADDRESS_2 : PCI_CARDBUS_CIS;
	int rom = bridge ? PCI_ROM_ADDRESS1 : PCI_ROM_ADDRESS;

	return (where >= PCI_BASE_ADDRESS_0 && where < bars_end) ||
	       (where >= rom && where < rom + 4) ||
	       where < PCI_COMMAND;	/* IDs are read-only */
}

static int fpci_write(struct pci_bus *bus, unsigned int devfn, int where,
		      int size, u32 val)
{
	u8 *cfg = fpci_of(bus)->cfg[bus->number][devfn];

	if (!cfg || where + size > FPCI_CFG_SIZE)
		return PCIBIOS_DEVICE_NOT_FOUND;
	if (!fpci_dropped(cfg, where))
		memcpy(cfg + where, &val, size);
	return PCIBIOS_SUCCESSFUL;
}

static struct pci_ops fpci_ops = {
	.read = fpci_read,
	.write = fpci_write,
};

static inline struct fpci *fpci_new(int domain)
{
	struct fpci *f = vzalloc(sizeof(*f));

	if (f) {
		f->domain = domain;
		f->sysdata.domain = domain;
		f->sysdata.node = NUMA_NO_NODE;
		f->next_bus = 1;
	}
	return f;
}

/*
 * Add function @dev.@func on @bus: @pcie_type is a PCI_EXP_TYPE_* value, or
 * -1 for a conventional PCI function; @acs_ctrl the enabled ACS controls
 * (an ACS capability advertising SV, RR, CR and UF is present only when
 * @acs_ctrl is non-zero).
 * Returns the config space, or NULL when out of memory.
 */
static inline u8 *fpci_add(struct fpci *f, int bus, int dev, int func,
			   int pcie_type, bool bridge, bool multifunction,
			   u16 acs_ctrl)
{
	u8 *cfg = kzalloc(FPCI_CFG_SIZE, GFP_KERNEL);
	u16 class = bridge ? PCI_CLASS_BRIDGE_PCI : PCI_CLASS_NOT_DEFINED;

	if (!cfg)
		return NULL;
	*(u16 *)(cfg + PCI_VENDOR_ID) = FPCI_VENDOR;
	*(u16 *)(cfg + PCI_DEVICE_ID) = 0xff00 | (pcie_type & 0xff);
	*(u16 *)(cfg + PCI_CLASS_DEVICE) = class;
	cfg[PCI_HEADER_TYPE] = (bridge ? PCI_HEADER_TYPE_BRIDGE : 0) |
			       (multifunction ? 0x80 : 0);
	if (pcie_type >= 0) {
		*(u16 *)(cfg + PCI_STATUS) = PCI_STATUS_CAP_LIST;
		cfg[PCI_CAPABILITY_LIST] = FPCI_EXP_CAP;
		cfg[FPCI_EXP_CAP + PCI_CAP_LIST_ID] = PCI_CAP_ID_EXP;
		*(u16 *)(cfg + FPCI_EXP_CAP + PCI_EXP_FLAGS) = 2 | pcie_type << 4;
		if (acs_ctrl) {
			*(u32 *)(cfg + FPCI_ACS_CAP) = PCI_EXT_CAP_ID_ACS | 1 << 16;
			/*
			 * Advertise every control the isolation check needs:
			 * the PCI core takes a control that is not advertised
			 * as hard-wired on.
			 */
			*(u16 *)(cfg + FPCI_ACS_CAP + PCI_ACS_CAP) = FPCI_ALL_ACS;
			*(u16 *)(cfg + FPCI_ACS_CAP + PCI_ACS_CTRL) = acs_ctrl;
		}
	}
	f->cfg[bus][PCI_DEVFN(dev, func)] = cfg;
	f->nr_funcs++;
	return cfg;
}

/* Make @cfg a bridge to a new bus; returns the bus number, or -ENOSPC. */
static inline int fpci_bridge_to(struct fpci *f, u8 *cfg, int bus)
{
	int sec;

	if (f->next_bus == 0)
		return -ENOSPC;	/* wrapped: all 255 buses used */
	sec = f->next_bus++;
	cfg[PCI_PRIMARY_BUS] = bus;
	cfg[PCI_SECONDARY_BUS] = sec;
	cfg[PCI_SUBORDINATE_BUS] = sec;
	return sec;
}

/* Subordinate bus numbers, once the whole hierarchy is built. */
static inline u8 fpci_fix_subordinate(struct fpci *f, int bus)
{
	u8 top = bus;
	int devfn;

	for (devfn = 0; devfn < 256; devfn++) {
		u8 *cfg = f->cfg[bus][devfn];
		u8 sub;

		if (!cfg || (cfg[PCI_HEADER_TYPE] & 0x7f) != PCI_HEADER_TYPE_BRIDGE)
			continue;
		sub = fpci_fix_subordinate(f, cfg[PCI_SECONDARY_BUS]);
		cfg[PCI_SUBORDINATE_BUS] = sub;
		top = max(top, sub);
	}
	return top;
}

/* Root port at 00:@dev.@func; returns its secondary bus, or < 0. */
static inline int fpci_root_port(struct fpci *f, int dev, int func, bool mf,
				 u16 acs)
{
	u8 *cfg = fpci_add(f, 0, dev, func, PCI_EXP_TYPE_ROOT_PORT, true, mf, acs);

	return cfg ? fpci_bridge_to(f, cfg, 0) : -ENOMEM;
}

/*
 * A switch on @bus: upstream port at device 0, @nr downstream ports with
 * ACS controls @acs.  Stores the downstream ports' secondary buses in
 * @dsp_bus; returns the internal bus, or < 0.
 */
static inline int fpci_switch(struct fpci *f, int bus, int nr, u16 acs,
			      int *dsp_bus)
{
	u8 *usp = fpci_add(f, bus, 0, 0, PCI_EXP_TYPE_UPSTREAM, true, false, 0);
	int internal, i;

	if (!usp)
		return -ENOMEM;
	internal = fpci_bridge_to(f, usp, bus);
	for (i = 0; internal >= 0 && i < nr; i++) {
		u8 *dsp = fpci_add(f, internal, i, 0, PCI_EXP_TYPE_DOWNSTREAM,
				   true, false, acs);

		dsp_bus[i] = dsp ? fpci_bridge_to(f, dsp, internal) : -ENOMEM;
		if (dsp_bus[i] < 0)
			return dsp_bus[i];
	}
	return internal;
}

/* An endpoint with @nr functions at @bus:00; ACS per function as given. */
static inline int fpci_endpoint(struct fpci *f, int bus, int nr, u16 acs)
{
	int i;

	for (i = 0; i < nr; i++)
		if (!fpci_add(f, bus, 0, i, PCI_EXP_TYPE_ENDPOINT, false,
			      nr > 1, acs))
			return -ENOMEM;
	return 0;
}

static int fpci_collect(struct pci_dev *pdev, void *data)
{
	struct pci_dev ***next = data;

	*(*next)++ = pdev;
	return 0;
}

/*
 * Scan the hierarchy into PCI domain f->domain.  Devices are added (and
 * show up in sysfs) but no driver is bound.  On success @devs (room for
 * f->nr_funcs entries) lists them in scan order.
 */
static inline int fpci_scan(struct fpci *f, struct pci_dev **devs)
{
	struct pci_dev **next = devs;
	LIST_HEAD(resources);

	fpci_fix_subordinate(f, 0);
	f->busn = DEFINE_RES_NAMED(0, 256, "fpci bus", IORESOURCE_BUS);
	pci_add_resource(&resources, &f->busn);
	pci_lock_rescan_remove();
	f->root = pci_create_root_bus(NULL, 0, &fpci_ops, &f->sysdata, &resources);
	if (f->root)
		pci_scan_child_bus(f->root);
	pci_unlock_rescan_remove();
	if (!f->root) {
		pci_free_resource_list(&resources);
		return -ENOMEM;
	}
	pci_walk_bus(f->root, fpci_collect, &next);
	return next - devs == f->nr_funcs ? 0 : -EIO;
}

static inline void fpci_destroy(struct fpci *f)
{
	int bus, devfn;

	if (f->root) {
		pci_lock_rescan_remove();
		pci_stop_root_bus(f->root);
		pci_remove_root_bus(f->root);
		pci_unlock_rescan_remove();
	}
	for (bus = 0; bus < 256; bus++)
		for (devfn = 0; devfn < 256; devfn++)
			kfree(f->cfg[bus][devfn]);
	vfree(f);
}

#endif /* __DRIVERS_IOMMU_GROUP_FORMATION_FAKEPCI_H */

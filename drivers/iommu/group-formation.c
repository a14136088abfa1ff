// SPDX-License-Identifier: GPL-2.0-only
/*
 * Group formation: decide which PCI functions must share an IOMMU group.
 *
 * gf_classify() maps a function to an anchor: functions with the same
 * anchor must share a group, and the anchor depends only on the topology,
 * never on which devices were probed before.  It reads the path from the
 * function to its root bus and the buses on that path, so the cost per
 * function does not grow with the number of devices in the system.
 *
 * The rules, in the order they are applied:
 *
 * 1. Requester ID.  A bridge to conventional PCI (or from it) issues DMA
 *    from everything behind it with its own requester ID, and conventional
 *    PCI cannot isolate anyway: the topmost such bridge on the path stands
 *    for the function.  pci_real_dma_dev() does the same for devices whose
 *    DMA carries another function's ID.
 *
 * 2. Isolation.  From there towards the root, every bus is checked:
 *    - below a root or downstream port without ACS, the port and
 *      everything below it share a group (the port can redirect
 *      requests between them without the IOMMU seeing them);
 *    - a switch's internal bus is isolated only if every downstream port
 *      on it enforces ACS; otherwise everything below that bus shares a
 *      group, because a port without request redirection lets its
 *      endpoint reach the endpoints of the other ports directly.
 *    The topmost bus that is not isolated wins.
 *
 * 3. Same bus.  Where the anchor is a function, the functions of a
 *    multifunction device without ACS share with it, and so do DMA
 *    aliases (quirks) on the same bus; the lowest devfn stands for them.
 *
 * Upstream pci_device_group() differs in rule 2: it lets each downstream
 * port of a switch decide alone, so endpoints below ports without ACS end
 * up in separate groups although they can reach each other.
 */
#include <linux/bitmap.h>
#include <linux/bitops.h>
#include <linux/export.h>
#include <linux/pci.h>
#include <kunit/visibility.h>

#include "group-formation.h"

/* The bus above @bus, or GF_NONE at a root bus. */
static int gf_up(const struct gf_topology *t, int bus)
{
	const struct gf_bus *b = &t->buses[bus];

	return b->self != GF_NONE ? t->funcs[b->self].bus : b->parent;
}

static bool gf_is_downstream_port(const struct gf_func *f)
{
	return f->kind == GF_ROOT_PORT || f->kind == GF_DOWNSTREAM_PORT;
}

/* Bridges that put their own requester ID on traffic from below. */
static bool gf_takes_over_rid(const struct gf_func *f)
{
	return f->kind == GF_PCIE_TO_PCI || f->kind == GF_PCI_TO_PCIE ||
	       f->kind == GF_PCI_BRIDGE;
}

/* The first downstream port on @bus without ACS, or GF_NONE. */
static int gf_port_without_acs(const struct gf_topology *t, int bus)
{
	int i;

	for (i = 0; i < t->nr_funcs; i++) {
		const struct gf_func *f = &t->funcs[i];

		if (f->bus == bus && f->kind == GF_DOWNSTREAM_PORT && !f->acs)
			return i;
	}
	return GF_NONE;
}

static bool gf_aliases(const struct gf_func *a, const struct gf_func *b)
{
	return a->dma_alias && test_bit(b->devfn, a->dma_alias);
}

static void gf_raise(struct gf_key *key, enum gf_rule rule, int subject)
{
	if (rule > key->rule) {
		key->rule = rule;
		key->subject = subject;
	}
}

/*
 * Rule 3: close the anchor function @k over its bus.  Returns the member
 * with the lowest devfn, which anchors them all.
 */
static int gf_close_over_bus(const struct gf_topology *t, int k,
			     struct gf_key *key)
{
	s16 on_bus[GF_MAX_DEVFN];
	DECLARE_BITMAP(in, GF_MAX_DEVFN);
	u8 queue[GF_MAX_DEVFN];
	int head = 0, tail = 0, bus = t->funcs[k].bus, i, d;

	for (d = 0; d < GF_MAX_DEVFN; d++)
		on_bus[d] = GF_NONE;
	for (i = 0; i < t->nr_funcs; i++)
		if (t->funcs[i].bus == bus)
			on_bus[t->funcs[i].devfn] = i;

	bitmap_zero(in, GF_MAX_DEVFN);
	__set_bit(t->funcs[k].devfn, in);
	queue[tail++] = t->funcs[k].devfn;

	while (head < tail) {
		const struct gf_func *m = &t->funcs[on_bus[queue[head++]]];
		bool shares_slot = m->multifunction && !m->acs;

		for (d = 0; d < GF_MAX_DEVFN; d++) {
			const struct gf_func *o;

			if (on_bus[d] == GF_NONE || test_bit(d, in))
				continue;
			o = &t->funcs[on_bus[d]];
			if (shares_slot && !o->acs &&
			    PCI_SLOT(o->devfn) == PCI_SLOT(m->devfn)) {
				gf_raise(key, GF_RULE_MULTIFUNCTION, on_bus[d]);
			} else if (gf_aliases(m, o) || gf_aliases(o, m)) {
				gf_raise(key, GF_RULE_DMA_ALIAS, on_bus[d]);
			} else {
				continue;
			}
			__set_bit(d, in);
			queue[tail++] = d;
		}
	}
	return on_bus[find_first_bit(in, GF_MAX_DEVFN)];
}

/**
 * gf_classify() - find the anchor of a function's group
 * @t: the topology
 * @fn: index of the function in @t
 * @key: the anchor, the rule and the rule's subject
 *
 * Return: 0, or -EINVAL when @fn or the topology it refers to is malformed.
 */
int gf_classify(const struct gf_topology *t, int fn, struct gf_key *key)
{
	int a, bus, depth;

	if (fn < 0 || fn >= t->nr_funcs)
		return -EINVAL;

	a = fn;
	key->rule = GF_RULE_ISOLATED;
	key->subject = fn;
	if (t->funcs[fn].real_dma != GF_NONE) {
		a = t->funcs[fn].real_dma;
		if (a < 0 || a >= t->nr_funcs)
			return -EINVAL;
		gf_raise(key, GF_RULE_DMA_ALIAS, a);
	}

	/*
	 * Rule 1: the topmost bridge that takes over the requester ID.  This
	 * walk also checks the path, which rule 2 then takes again.
	 */
	depth = 0;
	for (bus = t->funcs[a].bus; bus != GF_NONE; bus = gf_up(t, bus)) {
		const struct gf_func *p;
		int self;

		if (bus < 0 || bus >= t->nr_buses || ++depth > t->nr_buses)
			return -EINVAL;	/* out of range, or a loop */
		self = t->buses[bus].self;
		if (self == GF_NONE)
			continue;	/* a root or virtual bus */
		if (self < 0 || self >= t->nr_funcs)
			return -EINVAL;
		p = &t->funcs[self];
		if (p->xlate_root)
			break;
		if (gf_takes_over_rid(p)) {
			a = self;
			key->rule = GF_RULE_PCI_BRIDGE;
			key->subject = self;
		}
	}

	/* Rule 2: the topmost bus that is not isolated. */
	key->is_bus = false;
	key->index = a;
	for (bus = t->funcs[a].bus; bus != GF_NONE; bus = gf_up(t, bus)) {
		int self = t->buses[bus].self;
		const struct gf_func *p;

		if (self == GF_NONE)
			continue;
		p = &t->funcs[self];

		/* The topmost finding names the anchor and the reason. */
		if (gf_is_downstream_port(p) && !p->acs) {
			key->is_bus = false;
			key->index = self;
			key->rule = GF_RULE_PORT_NO_ACS;
			key->subject = self;
		}
		if (p->kind == GF_UPSTREAM_PORT) {
			int port = gf_port_without_acs(t, bus);

			if (port != GF_NONE) {
				key->is_bus = true;
				key->index = bus;
				key->rule = GF_RULE_SWITCH_NO_ACS;
				key->subject = port;
			}
		}
	}

	/* Rule 3: functions and aliases on the anchor's bus. */
	if (!key->is_bus)
		key->index = gf_close_over_bus(t, key->index, key);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(gf_classify);

/**
 * gf_key_equal() - do two functions belong to the same group?
 * @a: the anchor of one
 * @b: the anchor of the other
 *
 * Return: true when the anchors are the same bus or the same function.
 */
bool gf_key_equal(const struct gf_key *a, const struct gf_key *b)
{
	return a->is_bus == b->is_bus && a->index == b->index;
}
EXPORT_SYMBOL_IF_KUNIT(gf_key_equal);

/**
 * gf_rule_name() - a short name of a rule, for messages and tests
 * @rule: the rule
 *
 * Return: a constant string.
 */
const char *gf_rule_name(enum gf_rule rule)
{
	static const char *const names[] = {
		[GF_RULE_ISOLATED]	= "isolated",
		[GF_RULE_DMA_ALIAS]	= "dma-alias",
		[GF_RULE_MULTIFUNCTION]	= "multifunction",
		[GF_RULE_PCI_BRIDGE]	= "pci-bridge",
		[GF_RULE_PORT_NO_ACS]	= "port-no-acs",
		[GF_RULE_SWITCH_NO_ACS]	= "switch-no-acs",
	};

	return rule < ARRAY_SIZE(names) ? names[rule] : "unknown";
}
EXPORT_SYMBOL_IF_KUNIT(gf_rule_name);

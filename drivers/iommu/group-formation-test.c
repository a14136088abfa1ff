// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for group formation on synthetic PCI topologies.
 *
 * Each case builds a small hierarchy with the helpers below and checks
 * which functions share a group and why.  Where the rules differ from
 * upstream's pci_device_group() (switches whose downstream ports lack
 * ACS), the case says so.
 */
#include <kunit/test.h>
#include <kunit/visibility.h>
#include <linux/bitmap.h>
#include <linux/pci.h>

#include "group-formation.h"

#define T_MAX_BUSES	32
#define T_MAX_FUNCS	96

struct topo {
	struct gf_bus buses[T_MAX_BUSES];
	struct gf_func funcs[T_MAX_FUNCS];
	unsigned long alias[T_MAX_FUNCS][BITS_TO_LONGS(GF_MAX_DEVFN)];
	struct gf_topology t;
};

static struct topo *topo_new(struct kunit *test)
{
	struct topo *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	t->t.buses = t->buses;
	t->t.funcs = t->funcs;
	/* Bus 0 is the root bus. */
	t->buses[0].self = GF_NONE;
	t->buses[0].parent = GF_NONE;
	t->t.nr_buses = 1;
	return t;
}

/* Add function dev.fn on @bus; single-function, ACS as given. */
static int fn(struct topo *t, int bus, int dev, int func, enum gf_kind kind,
	      bool acs)
{
	int i = t->t.nr_funcs++;

	t->funcs[i] = (struct gf_func) {
		.bus = bus,
		.devfn = PCI_DEVFN(dev, func),
		.kind = kind,
		.acs = acs,
		.real_dma = GF_NONE,
	};
	return i;
}

/* Add function dev.fn of a multifunction device. */
static int mfn(struct topo *t, int bus, int dev, int func, enum gf_kind kind,
	       bool acs)
{
	int i = fn(t, bus, dev, func, kind, acs);

	t->funcs[i].multifunction = true;
	return i;
}

/* The bus below bridge @br. */
static int below(struct topo *t, int br)
{
	int b = t->t.nr_buses++;

	t->buses[b].self = br;
	t->buses[b].parent = GF_NONE;
	t->buses[b].number = b;
	return b;
}

/* A virtual bus hanging off @bus, as SR-IOV creates for VFs. */
static int virtual_bus(struct topo *t, int bus)
{
	int b = t->t.nr_buses++;

	t->buses[b].self = GF_NONE;
	t->buses[b].parent = bus;
	t->buses[b].number = b;
	return b;
}

/* @a's DMA is also tagged with @b's devfn (a quirk). */
static void alias(struct topo *t, int a, int b)
{
	t->funcs[a].dma_alias = t->alias[a];
	__set_bit(t->funcs[b].devfn, t->alias[a]);
}

static struct gf_key key_of(struct kunit *test, struct topo *t, int f)
{
	struct gf_key key;

	KUNIT_ASSERT_EQ(test, 0, gf_classify(&t->t, f, &key));
	return key;
}

static bool same(struct kunit *test, struct topo *t, int a, int b)
{
	struct gf_key ka = key_of(test, t, a), kb = key_of(test, t, b);

	return gf_key_equal(&ka, &kb);
}

#define EXPECT_SAME(t, a, b)  KUNIT_EXPECT_TRUE(test, same(test, t, a, b))
#define EXPECT_APART(t, a, b) KUNIT_EXPECT_FALSE(test, same(test, t, a, b))

static void expect_rule(struct kunit *test, struct topo *t, int f,
			enum gf_rule rule, int subject)
{
	struct gf_key k = key_of(test, t, f);

	KUNIT_EXPECT_STREQ(test, gf_rule_name(k.rule), gf_rule_name(rule));
	if (subject != GF_NONE)
		KUNIT_EXPECT_EQ(test, k.subject, subject);
}

/* Number of groups the whole topology falls into. */
static int nr_groups(struct kunit *test, struct topo *t)
{
	struct gf_key *keys = kunit_kcalloc(test, T_MAX_FUNCS, sizeof(*keys), GFP_KERNEL);
	int i, j, n = 0;

	KUNIT_ASSERT_NOT_NULL(test, keys);

	for (i = 0; i < t->t.nr_funcs; i++) {
		keys[i] = key_of(test, t, i);
		for (j = 0; j < i; j++)
			if (gf_key_equal(&keys[i], &keys[j]))
				break;
		if (j == i)
			n++;
	}
	return n;
}

/* A root port at 00:dev.0 with ACS as given and an endpoint below it. */
static int rp_with_ep(struct topo *t, int dev, bool acs, int *ep)
{
	int rp = fn(t, 0, dev, 0, GF_ROOT_PORT, acs);

	*ep = fn(t, below(t, rp), 0, 0, GF_ENDPOINT, true);
	return rp;
}

/*
 * A switch below @parent_bus: upstream port at 00.0, @n downstream ports
 * with ACS as in @acs, one endpoint below each.  Returns the internal bus.
 */
static int add_switch(struct topo *t, int parent_bus, int n, const bool *acs,
		      int *usp, int *dsp, int *ep)
{
	int internal, i;

	*usp = fn(t, parent_bus, 0, 0, GF_UPSTREAM_PORT, true);
	internal = below(t, *usp);
	for (i = 0; i < n; i++) {
		dsp[i] = fn(t, internal, i, 0, GF_DOWNSTREAM_PORT, acs[i]);
		ep[i] = fn(t, below(t, dsp[i]), 0, 0, GF_ENDPOINT, true);
	}
	return internal;
}

static void gf_test_single_endpoint(struct kunit *test)
{
	struct topo *t = topo_new(test);
	int e = fn(t, 0, 2, 0, GF_ENDPOINT, true);

	expect_rule(test, t, e, GF_RULE_ISOLATED, e);
	KUNIT_EXPECT_EQ(test, nr_groups(test, t), 1);
}

static void gf_test_root_bus_endpoints_apart(struct kunit *test)
{
	struct topo *t = topo_new(test);
	int a = fn(t, 0, 2, 0, GF_ENDPOINT, true);
	int b = fn(t, 0, 3, 0, GF_ENDPOINT, true);
	int c = fn(t, 0, 4, 0, GF_PCI, false);

	EXPECT_APART(t, a, b);
	EXPECT_APART(t, a, c);
	KUNIT_EXPECT_EQ(test, nr_groups(test, t), 3);
}

static void gf_test_multifunction_no_acs(struct kunit *test)
{
	struct topo *t = topo_new(test);
	int f0 = mfn(t, 0, 0x1f, 0, GF_ENDPOINT, false);
	int f2 = mfn(t, 0, 0x1f, 2, GF_ENDPOINT, false);
	int f3 = mfn(t, 0, 0x1f, 3, GF_ENDPOINT, false);

	EXPECT_SAME(t, f0, f2);
	EXPECT_SAME(t, f0, f3);
	expect_rule(test, t, f0, GF_RULE_MULTIFUNCTION, GF_NONE);
	KUNIT_EXPECT_EQ(test, nr_groups(test, t), 1);
}

static void gf_test_multifunction_acs(struct kunit *test)
{
	struct topo *t = topo_new(test);
	int f0 = mfn(t, 0, 5, 0, GF_ENDPOINT, true);
	int f1 = mfn(t, 0, 5, 1, GF_ENDPOINT, true);

	EXPECT_APART(t, f0, f1);
	expect_rule(test, t, f1, GF_RULE_ISOLATED, f1);
}

static void gf_test_multifunction_partial_acs(struct kunit *test)
{
	struct topo *t = topo_new(test);
	int f0 = mfn(t, 0, 5, 0, GF_ENDPOINT, true);
	int f1 = mfn(t, 0, 5, 1, GF_ENDPOINT, false);
	int f2 = mfn(t, 0, 5, 2, GF_ENDPOINT, false);

	/* Functions without ACS share; the one with ACS stays apart. */
	EXPECT_SAME(t, f1, f2);
	EXPECT_APART(t, f0, f1);
	KUNIT_EXPECT_EQ(test, nr_groups(test, t), 2);
}

static void gf_test_multifunction_slots_apart(struct kunit *test)
{
	struct topo *t = topo_new(test);
	int a = mfn(t, 0, 5, 0, GF_ENDPOINT, false);
	int b = mfn(t, 0, 6, 0, GF_ENDPOINT, false);

	/* Different devices never share through the multifunction rule. */
	EXPECT_APART(t, a, b);
}

static void gf_test_root_port_acs(struct kunit *test)
{
	struct topo *t = topo_new(test);
	int ep, rp = rp_with_ep(t, 0x10, true, &ep);

	EXPECT_APART(t, rp, ep);
	expect_rule(test, t, ep, GF_RULE_ISOLATED, ep);
}

static void gf_test_root_port_no_acs(struct kunit *test)
{
	struct topo *t = topo_new(test);
	int ep, rp = rp_with_ep(t, 0x10, false, &ep);

	EXPECT_SAME(t, rp, ep);
	expect_rule(test, t, ep, GF_RULE_PORT_NO_ACS, rp);
}

static void gf_test_root_ports_no_acs_apart(struct kunit *test)
{
	struct topo *t = topo_new(test);
	int e1, e2, r1 = rp_with_ep(t, 0x10, false, &e1);
	int r2 = rp_with_ep(t, 0x11, false, &e2);

	/* As upstream: peer traffic between root ports is not modelled. */
	EXPECT_APART(t, r1, r2);
	EXPECT_APART(t, e1, e2);
	EXPECT_SAME(t, r1, e1);
	EXPECT_SAME(t, r2, e2);
}

static void gf_test_root_ports_multifunction(struct kunit *test)
{
	struct topo *t = topo_new(test);
	int r0 = mfn(t, 0, 0x1c, 0, GF_ROOT_PORT, false);
	int r1 = mfn(t, 0, 0x1c, 1, GF_ROOT_PORT, false);
	int e0 = fn(t, below(t, r0), 0, 0, GF_ENDPOINT, true);
	int e1 = fn(t, below(t, r1), 0, 0, GF_ENDPOINT, true);

	/* Root ports in one slot without ACS: one group with all below. */
	EXPECT_SAME(t, r0, r1);
	EXPECT_SAME(t, e0, e1);
	EXPECT_SAME(t, r0, e1);
	KUNIT_EXPECT_EQ(test, nr_groups(test, t), 1);
	expect_rule(test, t, e1, GF_RULE_PORT_NO_ACS, GF_NONE);
}

static void gf_test_root_ports_multifunction_acs(struct kunit *test)
{
	struct topo *t = topo_new(test);
	int r0 = mfn(t, 0, 0x1c, 0, GF_ROOT_PORT, true);
	int r1 = mfn(t, 0, 0x1c, 1, GF_ROOT_PORT, true);
	int e0 = fn(t, below(t, r0), 0, 0, GF_ENDPOINT, true);
	int e1 = fn(t, below(t, r1), 0, 0, GF_ENDPOINT, true);

	EXPECT_APART(t, r0, r1);
	EXPECT_APART(t, e0, e1);
	KUNIT_EXPECT_EQ(test, nr_groups(test, t), 4);
}

/* Upstream splits this one per downstream port; the endpoints can talk. */
static void gf_test_switch_no_acs(struct kunit *test)
{
	static const bool acs[] = { false, false };
	struct topo *t = topo_new(test);
	int ep_rp, rp = rp_with_ep(t, 0x10, true, &ep_rp);
	int usp, dsp[2], ep[2], bus;

	/* Replace the root port's endpoint by a switch. */
	t->t.nr_funcs--;
	bus = t->funcs[ep_rp].bus;
	add_switch(t, bus, 2, acs, &usp, dsp, ep);

	EXPECT_SAME(t, ep[0], ep[1]);
	EXPECT_SAME(t, dsp[0], ep[1]);
	EXPECT_SAME(t, dsp[1], ep[0]);
	EXPECT_APART(t, usp, ep[0]);
	EXPECT_APART(t, rp, usp);
	expect_rule(test, t, ep[1], GF_RULE_SWITCH_NO_ACS, dsp[0]);
	KUNIT_EXPECT_EQ(test, nr_groups(test, t), 3);
}

static void gf_test_switch_acs(struct kunit *test)
{
	static const bool acs[] = { true, true, true };
	struct topo *t = topo_new(test);
	int usp, dsp[3], ep[3];

	add_switch(t, 0, 3, acs, &usp, dsp, ep);
	EXPECT_APART(t, ep[0], ep[1]);
	EXPECT_APART(t, ep[1], ep[2]);
	EXPECT_APART(t, dsp[0], ep[0]);
	KUNIT_EXPECT_EQ(test, nr_groups(test, t), 7);
}

static void gf_test_switch_mixed_acs(struct kunit *test)
{
	static const bool acs[] = { true, false, true };
	struct topo *t = topo_new(test);
	int usp, dsp[3], ep[3];

	add_switch(t, 0, 3, acs, &usp, dsp, ep);
	/*
	 * One port without request redirection lets its endpoint reach the
	 * others, even those below ports with ACS: the bus is not isolated.
	 */
	EXPECT_SAME(t, ep[0], ep[1]);
	EXPECT_SAME(t, ep[0], ep[2]);
	EXPECT_SAME(t, dsp[2], ep[0]);
	expect_rule(test, t, ep[0], GF_RULE_SWITCH_NO_ACS, dsp[1]);
	KUNIT_EXPECT_EQ(test, nr_groups(test, t), 2);
}

static void gf_test_switch_below_port_no_acs(struct kunit *test)
{
	static const bool acs[] = { true, true };
	struct topo *t = topo_new(test);
	int rp = fn(t, 0, 0x10, 0, GF_ROOT_PORT, false);
	int usp, dsp[2], ep[2];

	add_switch(t, below(t, rp), 2, acs, &usp, dsp, ep);
	/* The topmost bus that is not isolated decides. */
	EXPECT_SAME(t, rp, ep[0]);
	EXPECT_SAME(t, usp, ep[1]);
	expect_rule(test, t, ep[0], GF_RULE_PORT_NO_ACS, rp);
	KUNIT_EXPECT_EQ(test, nr_groups(test, t), 1);
}

static void gf_test_nested_inner_no_acs(struct kunit *test)
{
	static const bool inner_acs[] = { false, false };
	struct topo *t = topo_new(test);
	int ousp = fn(t, 0, 0, 0, GF_UPSTREAM_PORT, true);
	int obus = below(t, ousp);
	int od0 = fn(t, obus, 0, 0, GF_DOWNSTREAM_PORT, true);
	int od1 = fn(t, obus, 1, 0, GF_DOWNSTREAM_PORT, true);
	int oe1 = fn(t, below(t, od1), 0, 0, GF_ENDPOINT, true);
	int iusp, idsp[2], iep[2];

	/* A second switch, without ACS, below the first outer port. */
	add_switch(t, below(t, od0), 2, inner_acs, &iusp, idsp, iep);

	EXPECT_SAME(t, iep[0], iep[1]);
	EXPECT_SAME(t, idsp[0], iep[1]);
	EXPECT_APART(t, iusp, iep[0]);
	EXPECT_APART(t, oe1, iep[0]);
	EXPECT_APART(t, od0, iep[0]);
	/* ousp, od0, od1, oe1, iusp, the inner switch's group */
	KUNIT_EXPECT_EQ(test, nr_groups(test, t), 6);
}

static void gf_test_nested_outer_no_acs(struct kunit *test)
{
	static const bool outer_acs[] = { false, true };
	static const bool inner_acs[] = { true, true };
	struct topo *t = topo_new(test);
	int ousp, odsp[2], oep[2], iusp, idsp[2], iep[2];

	add_switch(t, 0, 2, outer_acs, &ousp, odsp, oep);
	add_switch(t, t->funcs[oep[1]].bus, 2, inner_acs, &iusp, idsp, iep);

	/* Everything below the outer internal bus shares, the inner switch too. */
	EXPECT_SAME(t, oep[0], iep[0]);
	EXPECT_SAME(t, iusp, iep[1]);
	EXPECT_SAME(t, odsp[1], idsp[0]);
	EXPECT_APART(t, ousp, oep[0]);
	expect_rule(test, t, iep[0], GF_RULE_SWITCH_NO_ACS, odsp[0]);
}

static void gf_test_pcie_to_pci_bridge(struct kunit *test)
{
	struct topo *t = topo_new(test);
	int ep_rp, rp = rp_with_ep(t, 0x10, true, &ep_rp);
	int br, b, d1, d2;

	t->t.nr_funcs--;
	br = fn(t, t->funcs[ep_rp].bus, 0, 0, GF_PCIE_TO_PCI, false);
	b = below(t, br);
	d1 = fn(t, b, 1, 0, GF_PCI, false);
	d2 = fn(t, b, 2, 0, GF_PCI, false);

	EXPECT_SAME(t, br, d1);
	EXPECT_SAME(t, d1, d2);
	EXPECT_APART(t, rp, br);
	expect_rule(test, t, d2, GF_RULE_PCI_BRIDGE, br);
	KUNIT_EXPECT_EQ(test, nr_groups(test, t), 2);
}

static void gf_test_pci_bridge_on_root_bus(struct kunit *test)
{
	struct topo *t = topo_new(test);
	int br = fn(t, 0, 6, 0, GF_PCI_BRIDGE, false);
	int b = below(t, br);
	int d1 = fn(t, b, 1, 0, GF_PCI, false);
	int d2 = fn(t, b, 2, 0, GF_PCI, false);
	int other = fn(t, 0, 7, 0, GF_ENDPOINT, true);

	EXPECT_SAME(t, br, d1);
	EXPECT_SAME(t, br, d2);
	EXPECT_APART(t, br, other);
	expect_rule(test, t, d1, GF_RULE_PCI_BRIDGE, br);
}

static void gf_test_nested_pci_bridges(struct kunit *test)
{
	struct topo *t = topo_new(test);
	int rp = fn(t, 0, 0x10, 0, GF_ROOT_PORT, true);
	int top = fn(t, below(t, rp), 0, 0, GF_PCIE_TO_PCI, false);
	int mid = fn(t, below(t, top), 3, 0, GF_PCI_BRIDGE, false);
	int d = fn(t, below(t, mid), 4, 0, GF_PCI, false);

	/* The topmost bridge's requester ID is what the IOMMU sees. */
	EXPECT_SAME(t, d, top);
	EXPECT_SAME(t, mid, top);
	expect_rule(test, t, d, GF_RULE_PCI_BRIDGE, top);
}

static void gf_test_pci_bridge_below_switch(struct kunit *test)
{
	static const bool acs[] = { true, true };
	struct topo *t = topo_new(test);
	int usp, dsp[2], ep[2], br, d;

	add_switch(t, 0, 2, acs, &usp, dsp, ep);
	t->funcs[ep[0]].kind = GF_PCIE_TO_PCI;
	br = ep[0];
	d = fn(t, below(t, br), 1, 0, GF_PCI, false);

	EXPECT_SAME(t, br, d);
	EXPECT_APART(t, dsp[0], d);
	EXPECT_APART(t, ep[1], d);
}

static void gf_test_dma_alias(struct kunit *test)
{
	struct topo *t = topo_new(test);
	int a = fn(t, 0, 8, 0, GF_ENDPOINT, true);
	int b = fn(t, 0, 9, 0, GF_ENDPOINT, true);
	int c = fn(t, 0, 10, 0, GF_ENDPOINT, true);

	alias(t, a, b);
	EXPECT_SAME(t, a, b);
	EXPECT_APART(t, a, c);
	expect_rule(test, t, a, GF_RULE_DMA_ALIAS, b);
}

static void gf_test_dma_alias_reverse(struct kunit *test)
{
	struct topo *t = topo_new(test);
	int a = fn(t, 0, 8, 0, GF_ENDPOINT, true);
	int b = fn(t, 0, 9, 0, GF_ENDPOINT, true);

	/* Only b says it aliases a: they still share, seen from either side. */
	alias(t, b, a);
	EXPECT_SAME(t, a, b);
	expect_rule(test, t, a, GF_RULE_DMA_ALIAS, b);
}

static void gf_test_dma_alias_chain(struct kunit *test)
{
	struct topo *t = topo_new(test);
	int a = fn(t, 0, 8, 0, GF_ENDPOINT, true);
	int b = fn(t, 0, 9, 0, GF_ENDPOINT, true);
	int c = fn(t, 0, 10, 0, GF_ENDPOINT, true);

	alias(t, a, b);
	alias(t, c, b);
	EXPECT_SAME(t, a, c);
	KUNIT_EXPECT_EQ(test, nr_groups(test, t), 1);
}

static void gf_test_dma_alias_phantom(struct kunit *test)
{
	struct topo *t = topo_new(test);
	int a = fn(t, 0, 8, 0, GF_ENDPOINT, true);
	int b = fn(t, 0, 9, 0, GF_ENDPOINT, true);

	/* An alias to a devfn where no function exists joins nothing. */
	t->funcs[a].dma_alias = t->alias[a];
	__set_bit(PCI_DEVFN(8, 3), t->alias[a]);
	EXPECT_APART(t, a, b);
	expect_rule(test, t, a, GF_RULE_ISOLATED, a);
}

static void gf_test_dma_alias_multifunction(struct kunit *test)
{
	struct topo *t = topo_new(test);
	int f0 = mfn(t, 0, 8, 0, GF_ENDPOINT, false);
	int f1 = mfn(t, 0, 8, 1, GF_ENDPOINT, false);
	int x = fn(t, 0, 9, 0, GF_ENDPOINT, true);

	/* x aliases f1, which shares with f0: all three together. */
	alias(t, x, f1);
	EXPECT_SAME(t, x, f0);
	KUNIT_EXPECT_EQ(test, nr_groups(test, t), 1);
}

static void gf_test_real_dma_dev(struct kunit *test)
{
	struct topo *t = topo_new(test);
	int vmd = fn(t, 0, 0x0e, 0, GF_ENDPOINT, true);
	int d = fn(t, 0, 0x0f, 0, GF_ENDPOINT, true);
	int other = fn(t, 0, 0x0d, 0, GF_ENDPOINT, true);

	/* d's DMA carries vmd's requester ID. */
	t->funcs[d].real_dma = vmd;
	EXPECT_SAME(t, d, vmd);
	EXPECT_APART(t, d, other);
	expect_rule(test, t, d, GF_RULE_DMA_ALIAS, vmd);
}

static void gf_test_xlate_root(struct kunit *test)
{
	struct topo *t = topo_new(test);
	int br = fn(t, 0, 6, 0, GF_PCI_BRIDGE, false);
	int x = fn(t, below(t, br), 0, 0, GF_DOWNSTREAM_PORT, true);
	int d = fn(t, below(t, x), 0, 0, GF_ENDPOINT, true);

	/* Below the bridge that holds the IOMMU, requester IDs stay as they are. */
	t->funcs[x].xlate_root = true;
	EXPECT_APART(t, d, br);
	expect_rule(test, t, d, GF_RULE_ISOLATED, d);
	t->funcs[x].xlate_root = false;
	EXPECT_SAME(t, d, br);
}

static void gf_test_vfs_isolated(struct kunit *test)
{
	struct topo *t = topo_new(test);
	int ep, rp = rp_with_ep(t, 0x10, true, &ep);
	int bus = t->funcs[ep].bus, vf[4], i;

	for (i = 0; i < 4; i++)
		vf[i] = fn(t, bus, 0, 1 + i, GF_ENDPOINT, true);
	for (i = 1; i < 4; i++)
		EXPECT_APART(t, vf[0], vf[i]);
	EXPECT_APART(t, ep, vf[0]);
	EXPECT_APART(t, rp, vf[0]);
	KUNIT_EXPECT_EQ(test, nr_groups(test, t), 6);
}

static void gf_test_vfs_below_switch_no_acs(struct kunit *test)
{
	static const bool acs[] = { false, true };
	struct topo *t = topo_new(test);
	int usp, dsp[2], ep[2], vf = GF_NONE, i;

	add_switch(t, 0, 2, acs, &usp, dsp, ep);
	for (i = 0; i < 3; i++)
		vf = fn(t, t->funcs[ep[1]].bus, 0, 1 + i, GF_ENDPOINT, true);
	/* A VF that appears later joins the group of its switch. */
	EXPECT_SAME(t, vf, ep[0]);
	EXPECT_SAME(t, vf, dsp[1]);
	KUNIT_EXPECT_EQ(test, nr_groups(test, t), 2);
}

static void gf_test_vfs_on_virtual_bus(struct kunit *test)
{
	static const bool acs[] = { false, false };
	struct topo *t = topo_new(test);
	int usp, dsp[2], ep[2], vbus, vf0, vf1;

	add_switch(t, 0, 2, acs, &usp, dsp, ep);
	vbus = virtual_bus(t, t->funcs[ep[0]].bus);
	vf0 = fn(t, vbus, 0, 0, GF_ENDPOINT, true);
	vf1 = fn(t, vbus, 0, 1, GF_ENDPOINT, true);
	/* The walk goes through the virtual bus to the switch above it. */
	EXPECT_SAME(t, vf0, ep[1]);
	EXPECT_SAME(t, vf1, dsp[0]);
	expect_rule(test, t, vf0, GF_RULE_SWITCH_NO_ACS, dsp[0]);
}

static void gf_test_virtual_bus_isolated(struct kunit *test)
{
	struct topo *t = topo_new(test);
	int ep, rp = rp_with_ep(t, 0x10, true, &ep);
	int vbus = virtual_bus(t, t->funcs[ep].bus);
	int vf0 = fn(t, vbus, 0, 0, GF_ENDPOINT, true);
	int vf1 = fn(t, vbus, 0, 1, GF_ENDPOINT, true);

	EXPECT_APART(t, vf0, vf1);
	EXPECT_APART(t, vf0, ep);
	EXPECT_APART(t, vf0, rp);
}

/* The same classification whatever the order functions are looked at. */
static void gf_test_order_independent(struct kunit *test)
{
	static const bool acs[] = { false, true, true };
	struct topo *t = topo_new(test);
	struct gf_key *fwd = kunit_kcalloc(test, T_MAX_FUNCS, sizeof(*fwd), GFP_KERNEL);
	struct gf_key *rev = kunit_kcalloc(test, T_MAX_FUNCS, sizeof(*rev), GFP_KERNEL);
	int usp, dsp[3], ep[3], e, n, i, j;

	KUNIT_ASSERT_NOT_NULL(test, fwd);
	KUNIT_ASSERT_NOT_NULL(test, rev);

	add_switch(t, 0, 3, acs, &usp, dsp, ep);
	rp_with_ep(t, 0x10, false, &e);
	mfn(t, 0, 5, 0, GF_ENDPOINT, false);
	mfn(t, 0, 5, 1, GF_ENDPOINT, false);
	n = t->t.nr_funcs;

	for (i = 0; i < n; i++)
		fwd[i] = key_of(test, t, i);
	for (i = n - 1; i >= 0; i--)
		rev[i] = key_of(test, t, i);
	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++)
			KUNIT_EXPECT_EQ(test, gf_key_equal(&fwd[i], &fwd[j]),
					gf_key_equal(&rev[i], &rev[j]));
}

/* The q35 switch scenario (tests/scenarios/intel-switch.scn), modelled. */
static void gf_test_q35_switch_scenario(struct kunit *test)
{
	static const bool acs[] = { false, false };
	struct topo *t = topo_new(test);
	int host = fn(t, 0, 0, 0, GF_ENDPOINT, true);
	int lpc = mfn(t, 0, 0x1f, 0, GF_ENDPOINT, false);
	int sata = mfn(t, 0, 0x1f, 2, GF_ENDPOINT, false);
	int smb = mfn(t, 0, 0x1f, 3, GF_ENDPOINT, false);
	int rp = fn(t, 0, 0x10, 0, GF_ROOT_PORT, true);
	int usp, dsp[2], ep[2];

	add_switch(t, below(t, rp), 2, acs, &usp, dsp, ep);
	EXPECT_SAME(t, lpc, sata);
	EXPECT_SAME(t, lpc, smb);
	EXPECT_APART(t, host, lpc);
	EXPECT_SAME(t, dsp[0], ep[1]);
	/* host, ICH9, root port, upstream port, the switch below it */
	KUNIT_EXPECT_EQ(test, nr_groups(test, t), 5);
}

static void gf_test_bad_input(struct kunit *test)
{
	struct topo *t = topo_new(test);
	struct gf_key key;
	int br = fn(t, 0, 6, 0, GF_PCI_BRIDGE, false);
	int b = below(t, br);
	int d = fn(t, b, 1, 0, GF_PCI, false);

	KUNIT_EXPECT_EQ(test, -EINVAL, gf_classify(&t->t, -1, &key));
	KUNIT_EXPECT_EQ(test, -EINVAL, gf_classify(&t->t, t->t.nr_funcs, &key));
	/* A bridge that sits below itself. */
	t->funcs[br].bus = b;
	KUNIT_EXPECT_EQ(test, -EINVAL, gf_classify(&t->t, d, &key));
	/* A bus whose bridge does not exist. */
	t->funcs[br].bus = 0;
	t->buses[b].self = T_MAX_FUNCS + 5;
	KUNIT_EXPECT_EQ(test, -EINVAL, gf_classify(&t->t, d, &key));
	/* A real DMA device that does not exist. */
	t->buses[b].self = br;
	KUNIT_EXPECT_EQ(test, 0, gf_classify(&t->t, d, &key));
	t->funcs[d].real_dma = -7;
	KUNIT_EXPECT_EQ(test, -EINVAL, gf_classify(&t->t, d, &key));
}

static void gf_test_rule_names(struct kunit *test)
{
	KUNIT_EXPECT_STREQ(test, gf_rule_name(GF_RULE_ISOLATED), "isolated");
	KUNIT_EXPECT_STREQ(test, gf_rule_name(GF_RULE_SWITCH_NO_ACS), "switch-no-acs");
	KUNIT_EXPECT_STREQ(test, gf_rule_name(99), "unknown");
	/* Stronger rules sort higher: a group takes its strongest. */
	KUNIT_EXPECT_LT(test, GF_RULE_MULTIFUNCTION, GF_RULE_PORT_NO_ACS);
	KUNIT_EXPECT_LT(test, GF_RULE_PORT_NO_ACS, GF_RULE_SWITCH_NO_ACS);
}

static struct kunit_case gf_test_cases[] = {
	KUNIT_CASE(gf_test_single_endpoint),
	KUNIT_CASE(gf_test_root_bus_endpoints_apart),
	KUNIT_CASE(gf_test_multifunction_no_acs),
	KUNIT_CASE(gf_test_multifunction_acs),
	KUNIT_CASE(gf_test_multifunction_partial_acs),
	KUNIT_CASE(gf_test_multifunction_slots_apart),
	KUNIT_CASE(gf_test_root_port_acs),
	KUNIT_CASE(gf_test_root_port_no_acs),
	KUNIT_CASE(gf_test_root_ports_no_acs_apart),
	KUNIT_CASE(gf_test_root_ports_multifunction),
	KUNIT_CASE(gf_test_root_ports_multifunction_acs),
	KUNIT_CASE(gf_test_switch_no_acs),
	KUNIT_CASE(gf_test_switch_acs),
	KUNIT_CASE(gf_test_switch_mixed_acs),
	KUNIT_CASE(gf_test_switch_below_port_no_acs),
	KUNIT_CASE(gf_test_nested_inner_no_acs),
	KUNIT_CASE(gf_test_nested_outer_no_acs),
	KUNIT_CASE(gf_test_pcie_to_pci_bridge),
	KUNIT_CASE(gf_test_pci_bridge_on_root_bus),
	KUNIT_CASE(gf_test_nested_pci_bridges),
	KUNIT_CASE(gf_test_pci_bridge_below_switch),
	KUNIT_CASE(gf_test_dma_alias),
	KUNIT_CASE(gf_test_dma_alias_reverse),
	KUNIT_CASE(gf_test_dma_alias_chain),
	KUNIT_CASE(gf_test_dma_alias_phantom),
	KUNIT_CASE(gf_test_dma_alias_multifunction),
	KUNIT_CASE(gf_test_real_dma_dev),
	KUNIT_CASE(gf_test_xlate_root),
	KUNIT_CASE(gf_test_vfs_isolated),
	KUNIT_CASE(gf_test_vfs_below_switch_no_acs),
	KUNIT_CASE(gf_test_vfs_on_virtual_bus),
	KUNIT_CASE(gf_test_virtual_bus_isolated),
	KUNIT_CASE(gf_test_order_independent),
	KUNIT_CASE(gf_test_q35_switch_scenario),
	KUNIT_CASE(gf_test_bad_input),
	KUNIT_CASE(gf_test_rule_names),
	{}
};

static struct kunit_suite gf_test_suite = {
	.name = "iommu-group-formation",
	.test_cases = gf_test_cases,
};

kunit_test_suite(gf_test_suite);

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
MODULE_DESCRIPTION("KUnit tests for IOMMU group formation");
MODULE_LICENSE("GPL");

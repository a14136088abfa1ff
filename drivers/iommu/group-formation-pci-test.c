// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for PCI group formation through the real PCI core.
 *
 * Each case lays out a hierarchy in memory (group-formation-fakepci.h),
 * lets the PCI core enumerate it in a PCI domain of its own, and asks
 * pci_device_group() for the group of each function, as an IOMMU driver
 * would.  Config space reads, the cached PCIe types and pci_acs_enabled()
 * are the PCI core's own.
 */
#include <kunit/test.h>
#include <linux/iommu.h>
#include <linux/pci.h>

#include "group-formation-fakepci.h"
#include "iommu-group.h"

struct pcit {
	struct kunit *test;
	struct fpci *f;
	struct pci_dev **devs;
	struct iommu_group **groups;
	int nr;
};

static int pcit_next_domain = 0x7e00;

static void pcit_release(void *data)
{
	struct pcit *p = data;
	int i;

	for (i = 0; i < p->nr; i++)
		if (!IS_ERR_OR_NULL(p->groups[i]))
			iommu_group_put(p->groups[i]);
	fpci_destroy(p->f);
}

static struct pcit *pcit_new(struct kunit *test)
{
	struct pcit *p = kunit_kzalloc(test, sizeof(*p), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	p->test = test;
	p->f = fpci_new(pcit_next_domain++);
	KUNIT_ASSERT_NOT_NULL(test, p->f);
	return p;
}

/* Scan, then get the group of every function, as IOMMU probing would. */
static void pcit_scan(struct pcit *p)
{
	struct kunit *test = p->test;
	int i;

	p->devs = kunit_kcalloc(test, p->f->nr_funcs, sizeof(*p->devs), GFP_KERNEL);
	p->groups = kunit_kcalloc(test, p->f->nr_funcs, sizeof(*p->groups), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p->devs);
	KUNIT_ASSERT_NOT_NULL(test, p->groups);
	KUNIT_ASSERT_EQ(test, 0, fpci_scan(p->f, p->devs));
	p->nr = p->f->nr_funcs;
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, pcit_release, p));
	for (i = 0; i < p->nr; i++) {
		p->groups[i] = pci_device_group(&p->devs[i]->dev);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, p->groups[i]);
	}
}

/* The group of the function at bus:dev.fn of the fake domain. */
static struct iommu_group *pcit_group(struct pcit *p, int bus, int dev, int fn)
{
	int i;

	for (i = 0; i < p->nr; i++)
		if (p->devs[i]->bus->number == bus &&
		    p->devs[i]->devfn == PCI_DEVFN(dev, fn))
			return p->groups[i];
	KUNIT_FAIL(p->test, "no function %02x:%02x.%d", bus, dev, fn);
	return NULL;
}

#define PCIT_NAME_LEN	32

/* pci_name() of the function at bus:dev.fn of the fake domain. */
static const char *pcit_name(struct pcit *p, char *buf, int bus, int dev, int fn)
{
	snprintf(buf, PCIT_NAME_LEN, "%04x:%02x:%02x.%d", p->f->domain, bus, dev, fn);
	return buf;
}

static void gf_pci_test_switch_no_acs(struct kunit *test)
{
	struct pcit *p = pcit_new(test);
	char want[2 * IOMMU_GROUP_REASON_LEN], usp[PCIT_NAME_LEN], dsp[PCIT_NAME_LEN];
	int rp_bus, dsp_bus[2], internal;

	rp_bus = fpci_root_port(p->f, 0x10, 0, false, FPCI_ALL_ACS);
	internal = fpci_switch(p->f, rp_bus, 2, 0, dsp_bus);
	KUNIT_ASSERT_GE(test, internal, 0);
	KUNIT_ASSERT_EQ(test, 0, fpci_endpoint(p->f, dsp_bus[0], 1, 0));
	KUNIT_ASSERT_EQ(test, 0, fpci_endpoint(p->f, dsp_bus[1], 1, 0));
	pcit_scan(p);

	/* Both endpoints and both ports below the internal bus share. */
	KUNIT_EXPECT_PTR_EQ(test, pcit_group(p, dsp_bus[0], 0, 0),
			    pcit_group(p, dsp_bus[1], 0, 0));
	KUNIT_EXPECT_PTR_EQ(test, pcit_group(p, internal, 0, 0),
			    pcit_group(p, dsp_bus[1], 0, 0));
	KUNIT_EXPECT_PTR_EQ(test, pcit_group(p, internal, 1, 0),
			    pcit_group(p, dsp_bus[0], 0, 0));
	KUNIT_EXPECT_PTR_NE(test, pcit_group(p, rp_bus, 0, 0),
			    pcit_group(p, dsp_bus[0], 0, 0));
	KUNIT_EXPECT_PTR_NE(test, pcit_group(p, 0, 0x10, 0),
			    pcit_group(p, rp_bus, 0, 0));
	snprintf(want, sizeof(want), "below %s: downstream port %s without ACS",
		 pcit_name(p, usp, rp_bus, 0, 0), pcit_name(p, dsp, internal, 0, 0));
	KUNIT_EXPECT_STREQ(test, pcit_group(p, dsp_bus[0], 0, 0)->reason, want);
}

static void gf_pci_test_switch_acs(struct kunit *test)
{
	struct pcit *p = pcit_new(test);
	int rp_bus, dsp_bus[3], i;

	rp_bus = fpci_root_port(p->f, 0x10, 0, false, FPCI_ALL_ACS);
	KUNIT_ASSERT_GE(test, fpci_switch(p->f, rp_bus, 3, FPCI_ALL_ACS, dsp_bus), 0);
	for (i = 0; i < 3; i++)
		KUNIT_ASSERT_EQ(test, 0, fpci_endpoint(p->f, dsp_bus[i], 1, 0));
	pcit_scan(p);

	KUNIT_EXPECT_PTR_NE(test, pcit_group(p, dsp_bus[0], 0, 0),
			    pcit_group(p, dsp_bus[1], 0, 0));
	KUNIT_EXPECT_PTR_NE(test, pcit_group(p, dsp_bus[1], 0, 0),
			    pcit_group(p, dsp_bus[2], 0, 0));
	KUNIT_EXPECT_STREQ(test, pcit_group(p, dsp_bus[2], 0, 0)->reason, "isolated");
}

/* ACS with only some of the required controls does not isolate. */
static void gf_pci_test_partial_acs(struct kunit *test)
{
	struct pcit *p = pcit_new(test);
	char want[2 * IOMMU_GROUP_REASON_LEN], rp[PCIT_NAME_LEN];
	int rp_bus = fpci_root_port(p->f, 0x10, 0, false, PCI_ACS_SV | PCI_ACS_RR);

	KUNIT_ASSERT_EQ(test, 0, fpci_endpoint(p->f, rp_bus, 1, 0));
	pcit_scan(p);

	KUNIT_EXPECT_PTR_EQ(test, pcit_group(p, 0, 0x10, 0),
			    pcit_group(p, rp_bus, 0, 0));
	snprintf(want, sizeof(want), "below %s: root port without ACS",
		 pcit_name(p, rp, 0, 0x10, 0));
	KUNIT_EXPECT_STREQ(test, pcit_group(p, rp_bus, 0, 0)->reason, want);
}

static void gf_pci_test_multifunction(struct kunit *test)
{
	struct pcit *p = pcit_new(test);
	int a = fpci_root_port(p->f, 0x10, 0, false, FPCI_ALL_ACS);
	int b = fpci_root_port(p->f, 0x11, 0, false, FPCI_ALL_ACS);

	KUNIT_ASSERT_EQ(test, 0, fpci_endpoint(p->f, a, 3, 0));
	KUNIT_ASSERT_EQ(test, 0, fpci_endpoint(p->f, b, 2, FPCI_ALL_ACS));
	pcit_scan(p);

	/* Without ACS the functions share; with it each stands alone. */
	KUNIT_EXPECT_PTR_EQ(test, pcit_group(p, a, 0, 0), pcit_group(p, a, 0, 2));
	KUNIT_EXPECT_PTR_EQ(test, pcit_group(p, a, 0, 1), pcit_group(p, a, 0, 2));
	KUNIT_EXPECT_PTR_NE(test, pcit_group(p, b, 0, 0), pcit_group(p, b, 0, 1));
	KUNIT_EXPECT_PTR_NE(test, pcit_group(p, 0, 0x10, 0), pcit_group(p, a, 0, 0));
	KUNIT_EXPECT_STREQ(test, pcit_group(p, b, 0, 1)->reason, "isolated");
}

static void gf_pci_test_pcie_to_pci_bridge(struct kunit *test)
{
	struct pcit *p = pcit_new(test);
	char want[2 * IOMMU_GROUP_REASON_LEN], name[PCIT_NAME_LEN];
	int rp_bus = fpci_root_port(p->f, 0x10, 0, false, FPCI_ALL_ACS);
	u8 *br = fpci_add(p->f, rp_bus, 0, 0, PCI_EXP_TYPE_PCI_BRIDGE, true, false, 0);
	int pci_bus;

	KUNIT_ASSERT_NOT_NULL(test, br);
	pci_bus = fpci_bridge_to(p->f, br, rp_bus);
	KUNIT_ASSERT_NOT_NULL(test, fpci_add(p->f, pci_bus, 1, 0, -1, false, false, 0));
	KUNIT_ASSERT_NOT_NULL(test, fpci_add(p->f, pci_bus, 2, 0, -1, false, false, 0));
	pcit_scan(p);

	KUNIT_EXPECT_PTR_EQ(test, pcit_group(p, pci_bus, 1, 0), pcit_group(p, pci_bus, 2, 0));
	KUNIT_EXPECT_PTR_EQ(test, pcit_group(p, pci_bus, 1, 0), pcit_group(p, rp_bus, 0, 0));
	KUNIT_EXPECT_PTR_NE(test, pcit_group(p, 0, 0x10, 0), pcit_group(p, rp_bus, 0, 0));
	snprintf(want, sizeof(want), "conventional PCI below %s",
		 pcit_name(p, name, rp_bus, 0, 0));
	KUNIT_EXPECT_STREQ(test, pcit_group(p, pci_bus, 2, 0)->reason, want);
}

/* The anchor table holds no reference: once released, a group is new. */
static void gf_pci_test_released_group_not_reused(struct kunit *test)
{
	struct pcit *p = pcit_new(test);
	int rp_bus = fpci_root_port(p->f, 0x10, 0, false, 0);
	struct iommu_group *again;
	int id;

	KUNIT_ASSERT_EQ(test, 0, fpci_endpoint(p->f, rp_bus, 1, 0));
	pcit_scan(p);
	KUNIT_ASSERT_PTR_EQ(test, p->groups[0], p->groups[1]);
	id = iommu_group_id(p->groups[0]);

	iommu_group_put(p->groups[0]);
	iommu_group_put(p->groups[1]);
	p->groups[0] = NULL;
	p->groups[1] = NULL;

	again = pci_device_group(&p->devs[1]->dev);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, again);
	p->groups[1] = again;
	/* The id is free again, so the new group gets it; the reason is fresh. */
	KUNIT_EXPECT_EQ(test, iommu_group_id(again), id);
	p->groups[0] = pci_device_group(&p->devs[0]->dev);
	KUNIT_EXPECT_PTR_EQ(test, p->groups[0], again);
}

static struct kunit_case gf_pci_test_cases[] = {
	KUNIT_CASE(gf_pci_test_switch_no_acs),
	KUNIT_CASE(gf_pci_test_switch_acs),
	KUNIT_CASE(gf_pci_test_partial_acs),
	KUNIT_CASE(gf_pci_test_multifunction),
	KUNIT_CASE(gf_pci_test_pcie_to_pci_bridge),
	KUNIT_CASE(gf_pci_test_released_group_not_reused),
	{}
};

static struct kunit_suite gf_pci_test_suite = {
	.name = "iommu-group-formation-pci",
	.test_cases = gf_pci_test_cases,
};

kunit_test_suite(gf_pci_test_suite);

MODULE_DESCRIPTION("KUnit tests for PCI group formation through the PCI core");
MODULE_LICENSE("GPL");

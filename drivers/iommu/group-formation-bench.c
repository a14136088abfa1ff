// SPDX-License-Identifier: GPL-2.0-only
/*
 * Boot-time benchmark of PCI IOMMU group formation.
 *
 * With iommu_group_bench=256,1024,4096 on the command line, builds PCI
 * hierarchies of about that many functions in memory (see
 * group-formation-fakepci.h), lets the PCI core enumerate them, and times
 * pci_device_group() for every function, adding each to its group as IOMMU
 * probing does.  It uses exported API only, so the same file measures any
 * kernel's pci_device_group().  One line per size:
 *
 *   @@bench n=4096 funcs=4107 domains=5 groups=2310 total_ns=... ns_per_func=...
 *
 * The hierarchy repeats three root port shapes: a multifunction endpoint
 * without ACS; a switch with ACS whose ports lead to 8-function endpoints
 * with ACS (SR-IOV-like); a switch without ACS with single endpoints.
 */
#define pr_fmt(fmt) "iommu-group-bench: " fmt

#include <linux/init.h>
#include <linux/iommu.h>
#include <linux/ktime.h>
#include <linux/pci.h>
#include <linux/string.h>

#include "group-formation-fakepci.h"

#define BENCH_MAX_SIZES		8
#define BENCH_DOMAIN_BASE	0x7000
#define BENCH_MAX_DOMAINS	64

/* bench_sizes[0] is the count, as get_options() fills it. */
static int bench_sizes[BENCH_MAX_SIZES + 1];

static int __init bench_setup(char *str)
{
	get_options(str, ARRAY_SIZE(bench_sizes), bench_sizes);
	return 1;
}
__setup("iommu_group_bench=", bench_setup);

/* Add one root port unit of shape @shape to @f; false when @f is full. */
static bool bench_unit(struct fpci *f, int shape, int slot)
{
	int rp_bus, dsp_bus[4], i;
	static const int buses[] = { 1, 6, 6 };

	if (slot >= 256 || f->next_bus == 0 || f->next_bus + buses[shape] > 255)
		return false;
	rp_bus = fpci_root_port(f, slot / 8, slot % 8, true, FPCI_ALL_ACS);
	if (rp_bus < 0)
		return false;
	switch (shape) {
	case 0:
		return !fpci_endpoint(f, rp_bus, 4, 0);
	case 1:
		if (fpci_switch(f, rp_bus, 4, FPCI_ALL_ACS, dsp_bus) < 0)
			return false;
		for (i = 0; i < 4; i++)
			if (fpci_endpoint(f, dsp_bus[i], 8, FPCI_ALL_ACS))
				return false;
		return true;
	default:
		if (fpci_switch(f, rp_bus, 4, 0, dsp_bus) < 0)
			return false;
		for (i = 0; i < 4; i++)
			if (fpci_endpoint(f, dsp_bus[i], 1, 0))
				return false;
		return true;
	}
}

static int bench_one(int n)
{
	struct fpci *doms[BENCH_MAX_DOMAINS] = { };
	struct iommu_group **groups = NULL;
	struct pci_dev **devs = NULL;
	int nr_doms = 0, total = 0, nr_groups = 0, i, j, ret = -ENOMEM;
	u64 ns = 0;

	/* Lay out domains of root port units until there are n functions. */
	while (total < n && nr_doms < BENCH_MAX_DOMAINS) {
		struct fpci *f = fpci_new(BENCH_DOMAIN_BASE + nr_doms);
		int slot = 0;

		if (!f)
			goto out;
		doms[nr_doms++] = f;
		while (total + f->nr_funcs < n && bench_unit(f, slot % 3, slot))
			slot++;
		total += f->nr_funcs;
	}

	devs = kvcalloc(total, sizeof(*devs), GFP_KERNEL);
	groups = kvcalloc(total, sizeof(*groups), GFP_KERNEL);
	if (!devs || !groups)
		goto out;
	for (i = 0, j = 0; i < nr_doms; j += doms[i]->nr_funcs, i++) {
		ret = fpci_scan(doms[i], devs + j);
		if (ret)
			goto out;
	}

	for (i = 0; i < total; i++) {
		u64 start = ktime_get_ns();

		groups[i] = pci_device_group(&devs[i]->dev);
		ns += ktime_get_ns() - start;
		if (IS_ERR(groups[i])) {
			ret = PTR_ERR(groups[i]);
			groups[i] = NULL;
			goto out;
		}
		/* As IOMMU probing does: later lookups find the group here. */
		ret = iommu_group_add_device(groups[i], &devs[i]->dev);
		if (ret)
			goto out;
	}

	for (i = 0; i < total; i++) {
		for (j = 0; j < i && groups[j] != groups[i]; j++)
			;
		nr_groups += j == i;
	}
	pr_info("@@bench n=%d funcs=%d domains=%d groups=%d total_ns=%llu ns_per_func=%llu\n",
		n, total, nr_doms, nr_groups, ns, div_u64(ns, total));
	ret = 0;
out:
	for (i = 0; groups && i < total; i++) {
		if (!groups[i])
			continue;
		iommu_group_remove_device(&devs[i]->dev);
		iommu_group_put(groups[i]);
	}
	for (i = 0; i < nr_doms; i++)
		fpci_destroy(doms[i]);
	kvfree(devs);
	kvfree(groups);
	if (ret)
		pr_err("@@bench n=%d failed: %d\n", n, ret);
	return ret;
}

static int __init bench_init(void)
{
	int i;

	for (i = 1; i <= bench_sizes[0]; i++)
		bench_one(bench_sizes[i]);
	return 0;
}
late_initcall(bench_init);

// SPDX-License-Identifier: GPL-2.0-only
/*
 * ig_replay: replay a real machine's PCI topology through the PCI core and
 * form its IOMMU groups.
 *
 * Not part of the series: the harness builds this module against both the
 * series kernel and the unpatched oracle, so it uses exported API only.
 * harness/topology.py turns an "lspci -vvnn" dump into a description of
 * config space (its docstring has the format); userspace writes it to
 * debugfs and the module
 *
 *   - lays each function's config space out in memory behind fake host
 *     bridges, one per root bus, in PCI domains of their own (0x40000 plus
 *     the machine's domain), and lets the PCI core enumerate them, so header
 *     fixups, DMA alias quirks and ACS quirks keyed by the IDs run as they
 *     do on the machine;
 *   - enables the SR-IOV virtual functions the dump shows (the VFs' config
 *     space answers only once its PF has them enabled);
 *   - calls pci_device_group() for every function to be grouped, in the
 *     order the devices were added, and adds it to its group as IOMMU
 *     probing does.
 *
 * A dword named "ro=OFF" in the description keeps its value whatever the
 * kernel writes: the dump shows the ACS controls the real kernel ended up
 * with, and some hardware ignores a control the kernel sets.
 *
 * debugfs files, in /sys/kernel/debug/ig_replay/:
 *   topology  write: the description (appended; several writes are fine)
 *   run       write anything: parse it, enumerate, form the groups
 *   groups    read: "ADDRESS GROUP-ID" per function to be grouped, in the
 *             order of the description; "-" when it got no group
 *   status    read: "ok", or the error of the last run
 *   clear     write anything: remove the groups, the devices and the hosts
 *
 * Registers a dump does not show read as zero (absent capabilities); BARs
 * and expansion ROMs are not implemented, so nothing reaches MMIO.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <linux/xarray.h>

#define RP_DOMAIN_BASE	0x40000
#define RP_CFG_SIZE	4096
#define RP_MAX_HOSTS	64
#define RP_MAX_TEXT	(8 << 20)

enum { RP_GROUP = 1, RP_VF = 2 };

struct rp_fn {
	char label[20];			/* DDDD:BB:DD.F as the description has it */
	u32 domain;
	u8 bus, devfn;
	unsigned int flags;
	u8 *cfg;
	DECLARE_BITMAP(ro, RP_CFG_SIZE / 4);	/* dwords writes do not change */
	struct pci_dev *pdev;		/* referenced once enumerated */
	struct iommu_group *group;	/* our reference, once grouped */
};

struct rp_host {
	u32 domain;
	u8 root, last;
	char vmd[20];			/* the VMD controller of this domain, or "" */
	struct pci_sysdata sysdata;	/* sysdata.domain: the fake domain */
	struct resource busn;
	struct pci_bus *bus;
};

struct rp_sriov {
	int fn;				/* index of the PF in fns */
	int nr;
};

/* One machine at a time; everything below is protected by rp_lock. */
static struct {
	char *text;			/* the description as written */
	size_t len;
	char name[64];
	struct rp_host hosts[RP_MAX_HOSTS];
	int nr_hosts;
	struct rp_fn *fns;
	int nr_fns;
	struct rp_sriov *sriov;
	int nr_sriov;
	struct xarray cfg;		/* (domain, bus, devfn) -> struct rp_fn */
	bool vfs_visible;
	bool built;
	char status[160];
} rp;

static DEFINE_MUTEX(rp_lock);
static struct dentry *rp_dir;

static unsigned long rp_key(u32 domain, u8 bus, u8 devfn)
{
	return (unsigned long)domain << 16 | bus << 8 | devfn;
}

/* Config accesses come from the PCI core while rp_lock is held by run. */
static struct rp_fn *rp_lookup(struct pci_bus *bus, unsigned int devfn)
{
	struct rp_host *h = container_of(bus->sysdata, struct rp_host, sysdata);
	struct rp_fn *fn = xa_load(&rp.cfg, rp_key(h->domain, bus->number, devfn));

	if (fn && (fn->flags & RP_VF) && !rp.vfs_visible)
		return NULL;
	return fn;
}

static int rp_read(struct pci_bus *bus, unsigned int devfn, int where,
		   int size, u32 *val)
{
	struct rp_fn *fn = rp_lookup(bus, devfn);

	if (!fn || where + size > RP_CFG_SIZE) {
		*val = ~0;
		return PCIBIOS_DEVICE_NOT_FOUND;
	}
	*val = 0;
	memcpy(val, fn->cfg + where, size);
	return PCIBIOS_SUCCESSFUL;
}

/* IDs, BARs and the expansion ROM are read-only zeroes or constants. */
static bool rp_read_only(const u8 *cfg, int where)
{
	bool bridge = (cfg[PCI_HEADER_TYPE] & 0x7f) == PCI_HEADER_TYPE_BRIDGE;
	int bars_end = bridge ? PCI_BASE_ADDRESS_2 : PCI_CARDBUS_CIS;
	int rom = bridge ? PCI_ROM_ADDRESS1 : PCI_ROM_ADDRESS;

	return where < PCI_COMMAND ||
	       (where >= PCI_BASE_ADDRESS_0 && where < bars_end) ||
	       (where >= rom && where < rom + 4);
}

static int rp_write(struct pci_bus *bus, unsigned int devfn, int where,
		    int size, u32 val)
{
	struct rp_fn *fn = rp_lookup(bus, devfn);

	if (!fn || where + size > RP_CFG_SIZE)
		return PCIBIOS_DEVICE_NOT_FOUND;
	if (!rp_read_only(fn->cfg, where) && !test_bit(where / 4, fn->ro))
		memcpy(fn->cfg + where, &val, size);
	return PCIBIOS_SUCCESSFUL;
}

static struct pci_ops rp_ops = {
	.read = rp_read,
	.write = rp_write,
};

static __printf(2, 3) int rp_fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rp.status, sizeof(rp.status), fmt, ap);
	va_end(ap);
	pr_err("%s: %s\n", rp.name[0] ? rp.name : "(no machine)", rp.status);
	return err;
}

static int rp_parse_addr(const char *s, u32 *domain, u8 *bus, u8 *devfn)
{
	unsigned int d, b, dev, f;
	char end;

	if (sscanf(s, "%x:%x:%x.%x%c", &d, &b, &dev, &f, &end) != 4 ||
	    d > 0xffff + 0x10000 || b > 0xff || dev > 0x1f || f > 7)
		return -EINVAL;
	*domain = d;
	*bus = b;
	*devfn = PCI_DEVFN(dev, f);
	return 0;
}

static struct rp_fn *rp_find(const char *label)
{
	int i;

	for (i = 0; i < rp.nr_fns; i++)
		if (!strcmp(rp.fns[i].label, label))
			return &rp.fns[i];
	return NULL;
}

static int rp_parse_host(char *args, int line)
{
	struct rp_host *h;
	unsigned int d, root, last;
	char end;

	if (rp.nr_hosts == RP_MAX_HOSTS)
		return rp_fail(-E2BIG, "line %d: more than %d host bridges", line, RP_MAX_HOSTS);
	char vmd[20] = "";
	int n = sscanf(args, "%x %x %x vmd=%19s%c", &d, &root, &last, vmd, &end);

	if ((n != 3 && n != 4) || d > 0x1ffff || root > last || last > 0xff)
		return rp_fail(-EINVAL, "line %d: bad host line", line);
	h = &rp.hosts[rp.nr_hosts++];
	h->domain = d;
	h->root = root;
	h->last = last;
	strscpy(h->vmd, vmd);
	return 0;
}

/* "fn ADDR FLAGS OFF=VAL ..." */
static int rp_parse_fn(char *args, int line)
{
	struct rp_fn *fn;
	char *tok, *label, *flags;
	int err;

	label = strsep(&args, " ");
	flags = strsep(&args, " ");
	if (!label || !flags || strlen(label) >= sizeof(fn->label))
		return rp_fail(-EINVAL, "line %d: fn needs an address and flags", line);
	fn = &rp.fns[rp.nr_fns];
	memset(fn, 0, sizeof(*fn));
	if (rp_parse_addr(label, &fn->domain, &fn->bus, &fn->devfn))
		return rp_fail(-EINVAL, "line %d: bad address '%s'", line, label);
	strscpy(fn->label, label);
	for (; *flags; flags++) {
		if (*flags == 'g')
			fn->flags |= RP_GROUP;
		else if (*flags == 'v')
			fn->flags |= RP_VF;
		else if (*flags != '-')
			return rp_fail(-EINVAL, "line %d: unknown flag '%c'", line, *flags);
	}
	fn->cfg = kzalloc(RP_CFG_SIZE, GFP_KERNEL);
	if (!fn->cfg)
		return rp_fail(-ENOMEM, "line %d: out of memory", line);
	rp.nr_fns++;	/* owns cfg from here on: freed by rp_clear() */
	while ((tok = strsep(&args, " "))) {
		unsigned int off;
		u32 val;
		char *eq = strchr(tok, '=');

		if (!*tok)
			continue;
		if (!strncmp(tok, "ro=", 3)) {
			if (kstrtouint(tok + 3, 16, &off) || off % 4 || off >= RP_CFG_SIZE)
				return rp_fail(-EINVAL, "line %d: bad %s", line, tok);
			__set_bit(off / 4, fn->ro);
			continue;
		}
		if (!eq)
			return rp_fail(-EINVAL, "line %d: '%s' is not OFF=VAL", line, tok);
		*eq = '\0';
		if (kstrtouint(tok, 16, &off) || kstrtou32(eq + 1, 16, &val) ||
		    off % 4 || off >= RP_CFG_SIZE)
			return rp_fail(-EINVAL, "line %d: bad dword %s=%s", line, tok, eq + 1);
		memcpy(fn->cfg + off, &val, 4);
	}
	err = xa_insert(&rp.cfg, rp_key(fn->domain, fn->bus, fn->devfn), fn, GFP_KERNEL);
	if (err == -EBUSY)
		return rp_fail(err, "line %d: %s described twice", line, label);
	if (err)
		return rp_fail(err, "line %d: out of memory", line);
	return 0;
}

static int rp_parse_sriov(char *args, int line)
{
	char label[20];
	struct rp_fn *pf;
	unsigned int nr;

	if (sscanf(args, "%19s %x", label, &nr) != 2 || !nr || nr > 0xffff)
		return rp_fail(-EINVAL, "line %d: bad sriov line", line);
	pf = rp_find(label);
	if (!pf || (pf->flags & RP_VF))
		return rp_fail(-EINVAL, "line %d: sriov names no PF: %s", line, label);
	rp.sriov[rp.nr_sriov].fn = pf - rp.fns;
	rp.sriov[rp.nr_sriov].nr = nr;
	rp.nr_sriov++;
	return 0;
}

static int rp_parse(void)
{
	char *text = rp.text, *line;
	int nr_lines = 0, lineno = 0, err = 0, i;
	bool ended = false;

	for (i = 0; i < rp.len; i++)
		nr_lines += text[i] == '\n';
	rp.fns = kvcalloc(nr_lines + 1, sizeof(*rp.fns), GFP_KERNEL);
	rp.sriov = kvcalloc(nr_lines + 1, sizeof(*rp.sriov), GFP_KERNEL);
	if (!rp.fns || !rp.sriov)
		return rp_fail(-ENOMEM, "out of memory");
	while (!err && (line = strsep(&text, "\n"))) {
		char *cmd;

		lineno++;
		line = strim(line);
		if (!*line || *line == '#')
			continue;
		if (ended)
			return rp_fail(-EINVAL, "line %d: text after 'end'", lineno);
		cmd = strsep(&line, " ");
		if (!strcmp(cmd, "machine") && line)
			strscpy(rp.name, line);
		else if (!strcmp(cmd, "host") && line)
			err = rp_parse_host(line, lineno);
		else if (!strcmp(cmd, "fn") && line)
			err = rp_parse_fn(line, lineno);
		else if (!strcmp(cmd, "sriov") && line)
			err = rp_parse_sriov(line, lineno);
		else if (!strcmp(cmd, "end"))
			ended = true;
		else
			err = rp_fail(-EINVAL, "line %d: unknown or incomplete line '%s'", lineno, cmd);
	}
	if (!err && !ended)
		err = rp_fail(-EINVAL, "no 'end' line: truncated description");
	if (!err && !rp.nr_hosts)
		err = rp_fail(-EINVAL, "no host bridge");
	return err;
}

static int rp_scan_host(struct rp_host *h)
{
	LIST_HEAD(resources);

	h->sysdata.domain = RP_DOMAIN_BASE + h->domain;
	h->sysdata.node = NUMA_NO_NODE;
	h->busn = DEFINE_RES_NAMED(h->root, h->last - h->root + 1, "ig_replay bus",
				   IORESOURCE_BUS);
	pci_add_resource(&resources, &h->busn);
	h->bus = pci_create_root_bus(NULL, h->root, &rp_ops, &h->sysdata, &resources);
	if (!h->bus) {
		pci_free_resource_list(&resources);
		return rp_fail(-ENOMEM, "cannot create host bridge %04x:%02x", h->domain, h->root);
	}
	pci_scan_child_bus(h->bus);
	return 0;
}

static struct pci_dev *rp_pdev(struct rp_fn *fn)
{
	return pci_get_domain_bus_and_slot(RP_DOMAIN_BASE + fn->domain, fn->bus, fn->devfn);
}

/*
 * An Intel VMD domain: its devices' DMA carries the VMD controller's
 * requester ID, which pci_real_dma_dev() finds through the host bridge's
 * sysdata (with CONFIG_VMD), as the vmd driver sets it up.
 */
static int rp_set_vmd(struct rp_host *h)
{
#if IS_ENABLED(CONFIG_VMD)
	struct rp_fn *fn = rp_find(h->vmd);

	if (!fn || !fn->pdev)
		return rp_fail(-EINVAL, "VMD domain %04x: no controller %s", h->domain, h->vmd);
	h->sysdata.vmd_dev = fn->pdev;	/* referenced in fns[] until rp_clear() */
	return 0;
#else
	return rp_fail(-EOPNOTSUPP, "VMD domain %04x: the kernel has no CONFIG_VMD", h->domain);
#endif
}

/* Form groups in the order the devices were added, as IOMMU probing does. */
static int rp_group_one(struct device *dev, void *unused)
{
	struct pci_dev *pdev = to_pci_dev(dev);
	int domain = pci_domain_nr(pdev->bus);
	struct iommu_group *group;
	struct rp_fn *fn;
	int err;

	if (domain < RP_DOMAIN_BASE)
		return 0;
	fn = xa_load(&rp.cfg, rp_key(domain - RP_DOMAIN_BASE, pdev->bus->number, pdev->devfn));
	if (!fn || !(fn->flags & RP_GROUP) || fn->group)
		return 0;
	group = pci_device_group(dev);
	if (IS_ERR(group))
		return rp_fail(PTR_ERR(group), "%s: pci_device_group() failed: %ld",
			       fn->label, PTR_ERR(group));
	err = iommu_group_add_device(group, dev);
	if (err) {
		iommu_group_put(group);
		return rp_fail(err, "%s: iommu_group_add_device() failed: %d", fn->label, err);
	}
	fn->group = group;
	return 0;
}

static int rp_build(void)
{
	int i, err = 0;

	pci_lock_rescan_remove();
	for (i = 0; i < rp.nr_hosts && !err; i++)
		err = rp_scan_host(&rp.hosts[i]);
	rp.vfs_visible = true;
	for (i = 0; i < rp.nr_sriov && !err; i++) {
		struct rp_fn *pf = &rp.fns[rp.sriov[i].fn];
		struct pci_dev *pdev = rp_pdev(pf);

		err = pdev ? pci_enable_sriov(pdev, rp.sriov[i].nr) : -ENODEV;
		pci_dev_put(pdev);
		if (err)
			err = rp_fail(err, "%s: cannot enable %d VFs: %d", pf->label,
				      rp.sriov[i].nr, err);
	}
	pci_unlock_rescan_remove();
	if (err)
		return err;
	for (i = 0; i < rp.nr_fns; i++)
		rp.fns[i].pdev = rp_pdev(&rp.fns[i]);
	for (i = 0; i < rp.nr_hosts; i++)
		if (rp.hosts[i].vmd[0]) {
			err = rp_set_vmd(&rp.hosts[i]);
			if (err)
				return err;
		}
	return bus_for_each_dev(&pci_bus_type, NULL, NULL, rp_group_one);
}

static void rp_clear(void)
{
	int i;

	for (i = rp.nr_fns - 1; i >= 0; i--) {
		struct rp_fn *fn = &rp.fns[i];

		if (fn->group) {
			iommu_group_remove_device(&fn->pdev->dev);
			iommu_group_put(fn->group);
		}
	}
	pci_lock_rescan_remove();
	for (i = 0; i < rp.nr_sriov; i++) {
		struct pci_dev *pdev = rp.fns[rp.sriov[i].fn].pdev;

		if (pdev && pdev->is_physfn)
			pci_disable_sriov(pdev);
	}
	for (i = 0; i < rp.nr_fns; i++)
		pci_dev_put(rp.fns[i].pdev);
	for (i = rp.nr_hosts - 1; i >= 0; i--) {
		if (!rp.hosts[i].bus)
			continue;
		pci_stop_root_bus(rp.hosts[i].bus);
		pci_remove_root_bus(rp.hosts[i].bus);
	}
	pci_unlock_rescan_remove();
	for (i = 0; i < rp.nr_fns; i++)
		kfree(rp.fns[i].cfg);
	xa_destroy(&rp.cfg);
	kvfree(rp.fns);
	kvfree(rp.sriov);
	kvfree(rp.text);
	memset(&rp, 0, sizeof(rp));
	xa_init(&rp.cfg);
	strscpy(rp.status, "empty");
}

static ssize_t rp_topology_write(struct file *file, const char __user *buf,
				 size_t count, loff_t *ppos)
{
	char *text;
	ssize_t ret = count;

	mutex_lock(&rp_lock);
	if (rp.built) {
		ret = -EBUSY;	/* clear first */
		goto out;
	}
	if (rp.len + count + 1 > RP_MAX_TEXT) {
		ret = -EFBIG;
		goto out;
	}
	text = kvrealloc(rp.text, rp.len + count + 1, GFP_KERNEL);
	if (!text) {
		ret = -ENOMEM;
		goto out;
	}
	rp.text = text;
	if (copy_from_user(rp.text + rp.len, buf, count)) {
		ret = -EFAULT;
		goto out;
	}
	rp.len += count;
	rp.text[rp.len] = '\0';
out:
	mutex_unlock(&rp_lock);
	return ret;
}

static ssize_t rp_run_write(struct file *file, const char __user *buf,
			    size_t count, loff_t *ppos)
{
	int err;

	mutex_lock(&rp_lock);
	if (rp.built) {
		err = -EBUSY;
		goto out;
	}
	if (!rp.text) {
		err = rp_fail(-ENODATA, "no topology written");
		goto out;
	}
	rp.built = true;	/* whatever happens, clear undoes it */
	err = rp_parse();
	if (!err)
		err = rp_build();
	if (!err)
		strscpy(rp.status, "ok");
out:
	mutex_unlock(&rp_lock);
	return err ? err : count;
}

static ssize_t rp_clear_write(struct file *file, const char __user *buf,
			      size_t count, loff_t *ppos)
{
	mutex_lock(&rp_lock);
	rp_clear();
	mutex_unlock(&rp_lock);
	return count;
}

static int rp_groups_show(struct seq_file *s, void *unused)
{
	int i;

	mutex_lock(&rp_lock);
	for (i = 0; i < rp.nr_fns; i++) {
		struct rp_fn *fn = &rp.fns[i];

		if (!(fn->flags & RP_GROUP))
			continue;
		if (fn->group)
			seq_printf(s, "%s %d\n", fn->label, iommu_group_id(fn->group));
		else
			seq_printf(s, "%s -\n", fn->label);
	}
	mutex_unlock(&rp_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(rp_groups);

static int rp_status_show(struct seq_file *s, void *unused)
{
	mutex_lock(&rp_lock);
	seq_printf(s, "%s\n", rp.status);
	mutex_unlock(&rp_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(rp_status);

static const struct file_operations rp_topology_fops = {
	.owner = THIS_MODULE,
	.write = rp_topology_write,
};

static const struct file_operations rp_run_fops = {
	.owner = THIS_MODULE,
	.write = rp_run_write,
};

static const struct file_operations rp_clear_fops = {
	.owner = THIS_MODULE,
	.write = rp_clear_write,
};

static int __init rp_init(void)
{
	xa_init(&rp.cfg);
	strscpy(rp.status, "empty");
	rp_dir = debugfs_create_dir("ig_replay", NULL);
	debugfs_create_file("topology", 0200, rp_dir, NULL, &rp_topology_fops);
	debugfs_create_file("run", 0200, rp_dir, NULL, &rp_run_fops);
	debugfs_create_file("clear", 0200, rp_dir, NULL, &rp_clear_fops);
	debugfs_create_file("groups", 0400, rp_dir, NULL, &rp_groups_fops);
	debugfs_create_file("status", 0400, rp_dir, NULL, &rp_status_fops);
	return 0;
}

static void __exit rp_exit(void)
{
	debugfs_remove(rp_dir);
	mutex_lock(&rp_lock);
	rp_clear();
	mutex_unlock(&rp_lock);
}

module_init(rp_init);
module_exit(rp_exit);
MODULE_DESCRIPTION("Replay a PCI topology and form its IOMMU groups");
MODULE_LICENSE("GPL");

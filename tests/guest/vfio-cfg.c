// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-cfg: open any PCI function through its VFIO group and read its
 * config space through the device fd; for devices that have nothing like
 * edu's DMA engine, such as SR-IOV virtual functions.
 *
 *   vfio-cfg [-p PREFIX] [-t UUID] [-E ERRNO] [-H FILE] BDF
 *
 * The group of BDF (bound to vfio-pci) must be viable; it goes into a
 * type1v2 container; VFIO_GROUP_GET_DEVICE_FD is asked for "BDF", or for
 * "BDF vf_token=UUID" with -t (a VF whose PF vfio-pci drives needs the
 * PF's token).  With -E (EACCES, EPERM, EBUSY, EINVAL, ENODEV) the device
 * fd must be refused with that errno; otherwise it must open, be a PCI
 * device, and its config region must show the vendor and device ids sysfs
 * has (for a VF vfio-pci fills them in from the PF's SR-IOV capability:
 * the VF itself reads 0xffff there).
 *
 * With -H, once the checks passed, it keeps the device, group and
 * container open, creates FILE.ready and waits until FILE exists (at most
 * 120 s): for steps that act on a device while userspace holds it.
 *
 * Every check prints "@@result PREFIX-NAME pass|fail DETAIL"; the exit
 * status is 0 only when nothing failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include "sysfs-group.h"

static const char *prefix = "cfg";
static const char *hold_until;
static int failures;

static void result(const char *name, int ok, const char *fmt, ...)
{
	va_list ap;

	printf("@@result %s-%s %s ", prefix, name, ok ? "pass" : "fail");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	failures += !ok;
}

static const struct {
	const char *name;
	int value;
} errnos[] = {
	{ "EACCES", EACCES }, { "EPERM", EPERM }, { "EBUSY", EBUSY },
	{ "EINVAL", EINVAL }, { "ENODEV", ENODEV },
};

static int errno_value(const char *name)
{
	for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
		if (!strcmp(errnos[i].name, name))
			return errnos[i].value;
	fprintf(stderr, "vfio-cfg: unknown errno name %s\n", name);
	exit(2);
}

/* The sysfs id file @attr of @bdf ("vendor", "device"), or -1. */
static long sysfs_id(const char *bdf, const char *attr)
{
	char path[PATH_MAX];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", bdf, attr);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%li", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static int run(const char *bdf, const char *token, int expect)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vfio_region_info cfg = {
		.argsz = sizeof(cfg), .index = VFIO_PCI_CONFIG_REGION_INDEX,
	};
	char path[64], name[128];
	int container, group, device, id;
	uint16_t ids[2];
	long vendor, devid;

	id = group_of(bdf);
	if (id < 0) {
		result("group", 0, "%s has no IOMMU group", bdf);
		return 1;
	}
	container = open("/dev/vfio/vfio", O_RDWR);
	snprintf(path, sizeof(path), "/dev/vfio/%d", id);
	group = open(path, O_RDWR);
	if (container < 0 || group < 0) {
		result("group", 0, "open /dev/vfio/vfio or %s: %s", path, strerror(errno));
		return 1;
	}
	if (ioctl(group, VFIO_GROUP_GET_STATUS, &status) ||
	    !(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		result("group", 0, "group %d of %s not viable", id, bdf);
		return 1;
	}
	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) ||
	    ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU)) {
		result("group", 0, "group %d into a type1v2 container: %s", id, strerror(errno));
		return 1;
	}
	result("group", 1, "%s in group %d, viable, in a type1v2 container", bdf, id);

	if (token)
		snprintf(name, sizeof(name), "%s vf_token=%s", bdf, token);
	else
		snprintf(name, sizeof(name), "%s", bdf);
	device = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, name);
	if (expect) {
		result("device-fd", device < 0 && errno == expect,
		       "VFIO_GROUP_GET_DEVICE_FD \"%s\": %s (want %s)", name,
		       device < 0 ? strerror(errno) : "opened", strerror(expect));
		if (device >= 0)
			close(device);
		close(group);
		close(container);
		return failures;
	}
	if (device < 0) {
		result("device-fd", 0, "VFIO_GROUP_GET_DEVICE_FD \"%s\": %s", name, strerror(errno));
		return 1;
	}
	if (ioctl(device, VFIO_DEVICE_GET_INFO, &info) || !(info.flags & VFIO_DEVICE_FLAGS_PCI) ||
	    ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &cfg)) {
		result("device-fd", 0, "\"%s\": not a PCI device fd with a config region: %s",
		       name, strerror(errno));
		return 1;
	}
	result("device-fd", 1, "\"%s\": PCI device, %u regions, config %llu bytes", name,
	       info.num_regions, (unsigned long long)cfg.size);

	vendor = sysfs_id(bdf, "vendor");
	devid = sysfs_id(bdf, "device");
	if (pread(device, ids, sizeof(ids), cfg.offset + PCI_VENDOR_ID) != sizeof(ids)) {
		result("config-read", 0, "pread of the config region: %s", strerror(errno));
		return 1;
	}
	result("config-read", ids[0] == vendor && ids[1] == devid,
	       "ids through VFIO %04x:%04x, sysfs %04lx:%04lx", ids[0], ids[1], vendor, devid);
	if (hold_until && !failures) {
		char ready[PATH_MAX];
		int n, fd;

		snprintf(ready, sizeof(ready), "%s.ready", hold_until);
		fd = open(ready, O_WRONLY | O_CREAT, 0644);
		result("held", fd >= 0, "%s open until %s exists", bdf, hold_until);
		if (fd >= 0)
			close(fd);
		for (n = 0; n < 12000 && access(hold_until, F_OK); n++)
			usleep(10000);
		if (n == 12000)
			result("released", 0, "%s never appeared", hold_until);
	}
	close(device);
	close(group);
	close(container);
	return failures;
}

int main(int argc, char **argv)
{
	const char *token = NULL;
	int opt, expect = 0;

	while ((opt = getopt(argc, argv, "p:t:E:H:")) != -1) {
		if (opt == 'p')
			prefix = optarg;
		else if (opt == 't')
			token = optarg;
		else if (opt == 'E')
			expect = errno_value(optarg);
		else if (opt == 'H')
			hold_until = optarg;
		else
			goto usage;
	}
	if (optind + 1 != argc)
		goto usage;
	return run(argv[optind], token, expect) ? 1 : 0;
usage:
	fprintf(stderr, "usage: vfio-cfg [-p PREFIX] [-t UUID] [-E ERRNO] [-H FILE] BDF\n");
	return 2;
}

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sysfs-group.h - the IOMMU group of a PCI device, for the guest's VFIO
 * test programs (vfio-edu.c, vfio-cfg.c).
 */
#ifndef IG_SYSFS_GROUP_H
#define IG_SYSFS_GROUP_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The number of @bdf's IOMMU group, or -1 when it has none. */
static int group_of(const char *bdf)
{
	char path[PATH_MAX], link[PATH_MAX];
	const char *slash;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -1;
	link[n] = 0;
	slash = strrchr(link, '/');
	return atoi(slash ? slash + 1 : link);
}

#endif

// SPDX-License-Identifier: GPL-2.0-only
/*
 * lsiommu - list IOMMU groups, their devices, and whether VFIO can use them
 *
 * Reads /sys/kernel/iommu_groups.  For every group: its devices (address,
 * class, vendor:device, bound driver), whether it is viable for VFIO right
 * now and, if not, which device is in the way, the driver the group is
 * claimed for (driver_override), and why its members share it (reason).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GROUPS_DIR	"/sys/kernel/iommu_groups"

enum { EXIT_OK, EXIT_NONE, EXIT_USAGE, EXIT_NOGROUP };

static const char *root = "";	/* prefix for testing against a copy of sysfs */

struct device_info {
	char name[NAME_MAX + 1];
	char class[16], vendor[16], device[16];
	char driver[NAME_MAX + 1];
};

struct group_info {
	long id;
	char name[256], type[32], reason[256], claim[NAME_MAX + 1];
	struct device_info *devs;
	int nr;
	bool viable;
	char why_not[NAME_MAX * 2 + 32];
};

static const char help_text[] =
	"Usage: lsiommu [-j] [-g GROUP] [-h]\n"
	"\n"
	"List the IOMMU groups in /sys/kernel/iommu_groups: each group's devices\n"
	"(PCI address, class, vendor:device, bound driver), whether VFIO can use\n"
	"the group now (every member bound to vfio-pci, to a driver that leaves DMA\n"
	"to its user, such as pci-stub or pcieport, or to no driver) and which\n"
	"device is in the way if not, the driver the group is claimed for\n"
	"(driver_override), and why the devices share the group (reason).\n"
	"\n"
	"Options:\n"
	"  -j, --json        print JSON\n"
	"  -g, --group N     only group N\n"
	"  -h, --help        this text\n"
	"\n"
	"Exit status: 0 groups listed; 1 no IOMMU groups (no IOMMU, or it is off);\n"
	"2 bad usage; 3 no such group.\n";

static void print_help(FILE *f)
{
	fputs(help_text, f);
}

/* Copy @src into @dst of @size bytes; false if it does not fit. */
static bool copy(char *dst, size_t size, const char *src)
{
	size_t len = strlen(src);

	if (len >= size)
		return false;
	memcpy(dst, src, len + 1);
	return true;
}

/* @dst = @a "/" @b; false if it does not fit. */
static bool join(char *dst, size_t size, const char *a, const char *b)
{
	int n = snprintf(dst, size, "%s/%s", a, b);

	return n >= 0 && (size_t)n < size;
}

/* Read a one-line sysfs attribute into @buf; "" when absent. */
static void read_attr(const char *dir, const char *attr, char *buf, size_t size)
{
	char path[PATH_MAX];
	FILE *f;

	buf[0] = 0;
	if (!join(path, sizeof(path), dir, attr))
		return;
	f = fopen(path, "r");
	if (!f)
		return;
	if (fgets(buf, size, f))
		buf[strcspn(buf, "\n")] = 0;
	fclose(f);
}

static bool is_bridge(const struct device_info *d)
{
	return !strncmp(d->class, "0x0604", 6);
}

/* Drivers that leave DMA to the device's user: VFIO accepts them. */
static bool driver_ok(const struct device_info *d)
{
	return !d->driver[0] || !strcmp(d->driver, "vfio-pci") ||
	       !strcmp(d->driver, "pci-stub") ||
	       (!strcmp(d->driver, "pcieport") && is_bridge(d));
}

static int load_device(const char *gdir, const char *name, struct device_info *d)
{
	char devices[PATH_MAX], dir[PATH_MAX], link[PATH_MAX], target[PATH_MAX];
	const char *base;
	ssize_t n;

	memset(d, 0, sizeof(*d));
	if (!copy(d->name, sizeof(d->name), name) ||
	    !join(devices, sizeof(devices), gdir, "devices") ||
	    !join(dir, sizeof(dir), devices, name) ||
	    !join(link, sizeof(link), dir, "driver"))
		return -1;
	read_attr(dir, "class", d->class, sizeof(d->class));
	read_attr(dir, "vendor", d->vendor, sizeof(d->vendor));
	read_attr(dir, "device", d->device, sizeof(d->device));
	n = readlink(link, target, sizeof(target) - 1);
	if (n > 0) {
		target[n] = 0;
		base = strrchr(target, '/');
		copy(d->driver, sizeof(d->driver), base ? base + 1 : target);
	}
	return 0;
}

static int cmp_dev(const void *a, const void *b)
{
	return strcmp(((const struct device_info *)a)->name,
		      ((const struct device_info *)b)->name);
}

static int load_group(long id, struct group_info *g)
{
	char gdir[PATH_MAX], ddir[PATH_MAX];
	struct dirent *e;
	DIR *dir;
	int i, n;

	memset(g, 0, sizeof(*g));
	g->id = id;
	n = snprintf(gdir, sizeof(gdir), "%s%s/%ld", root, GROUPS_DIR, id);
	if (n < 0 || (size_t)n >= sizeof(gdir) || !join(ddir, sizeof(ddir), gdir, "devices"))
		return -1;
	dir = opendir(ddir);
	if (!dir)
		return -1;
	read_attr(gdir, "name", g->name, sizeof(g->name));
	read_attr(gdir, "type", g->type, sizeof(g->type));
	read_attr(gdir, "reason", g->reason, sizeof(g->reason));
	read_attr(gdir, "driver_override", g->claim, sizeof(g->claim));
	while ((e = readdir(dir))) {
		if (e->d_name[0] == '.')
			continue;
		g->devs = realloc(g->devs, (g->nr + 1) * sizeof(*g->devs));
		if (!g->devs) {
			closedir(dir);
			return -1;
		}
		if (!load_device(gdir, e->d_name, &g->devs[g->nr]))
			g->nr++;
	}
	closedir(dir);
	qsort(g->devs, g->nr, sizeof(*g->devs), cmp_dev);

	g->viable = true;
	for (i = 0; i < g->nr; i++) {
		if (driver_ok(&g->devs[i]))
			continue;
		g->viable = false;
		n = snprintf(g->why_not, sizeof(g->why_not), "%s bound to %s",
			     g->devs[i].name, g->devs[i].driver);
		if (n < 0 || (size_t)n >= sizeof(g->why_not))
			g->why_not[0] = 0;
		break;
	}
	return 0;
}

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void json_field(const char *key, const char *value, bool last)
{
	printf("\"%s\": ", key);
	if (value && value[0])
		json_string(value);
	else
		printf("null");
	printf(last ? "" : ", ");
}

static void print_json(struct group_info *g, bool first)
{
	int i;

	printf("%s{\"id\": %ld, ", first ? "" : ",\n", g->id);
	json_field("name", g->name, false);
	json_field("type", g->type, false);
	json_field("reason", g->reason, false);
	json_field("claim", g->claim, false);
	printf("\"viable\": %s, ", g->viable ? "true" : "false");
	json_field("not_viable_because", g->why_not, false);
	printf("\"devices\": [");
	for (i = 0; i < g->nr; i++) {
		struct device_info *d = &g->devs[i];

		printf("%s{", i ? ", " : "");
		json_field("device", d->name, false);
		json_field("class", d->class, false);
		json_field("vendor", d->vendor, false);
		json_field("device_id", d->device, false);
		json_field("driver", d->driver, true);
		printf("}");
	}
	printf("]}");
}

static void print_text(struct group_info *g)
{
	int i;

	printf("group %ld%s%s: %s", g->id, g->name[0] ? " " : "", g->name,
	       g->viable ? "viable" : "not viable");
	if (!g->viable)
		printf(" (%s)", g->why_not);
	if (g->claim[0])
		printf(", claimed for %s", g->claim);
	printf("\n");
	if (g->reason[0])
		printf("  reason: %s\n", g->reason);
	for (i = 0; i < g->nr; i++) {
		struct device_info *d = &g->devs[i];

		printf("  %-14s [%.6s] %s:%s  %s\n", d->name,
		       d->class[0] ? d->class + 2 : "?",
		       d->vendor[0] ? d->vendor + 2 : "?",
		       d->device[0] ? d->device + 2 : "?",
		       d->driver[0] ? d->driver : "(no driver)");
	}
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "group", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	bool json = false;
	long only = -1, *ids = NULL;
	int opt, nr = 0, i, shown = 0;
	char path[PATH_MAX], *end;
	struct dirent *e;
	DIR *dir;

	if (getenv("LSIOMMU_ROOT"))
		root = getenv("LSIOMMU_ROOT");
	while ((opt = getopt_long(argc, argv, "jg:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'g':
			errno = 0;
			only = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || only < 0) {
				fprintf(stderr, "lsiommu: bad group number '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			print_help(stdout);
			return EXIT_OK;
		default:
			print_help(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "lsiommu: unexpected argument '%s'\n", argv[optind]);
		print_help(stderr);
		return EXIT_USAGE;
	}

	if (snprintf(path, sizeof(path), "%s%s", root, GROUPS_DIR) >= (int)sizeof(path)) {
		fprintf(stderr, "lsiommu: LSIOMMU_ROOT too long\n");
		return EXIT_USAGE;
	}
	dir = opendir(path);
	if (!dir) {
		fprintf(stderr, "lsiommu: %s: %s (no IOMMU, or it is off)\n", path,
			strerror(errno));
		return EXIT_NONE;
	}
	while ((e = readdir(dir))) {
		long id = strtol(e->d_name, &end, 10);

		if (e->d_name[0] == '.' || *end)
			continue;
		ids = realloc(ids, (nr + 1) * sizeof(*ids));
		if (!ids)
			return EXIT_NONE;
		ids[nr++] = id;
	}
	closedir(dir);
	qsort(ids, nr, sizeof(*ids), cmp_long);
	if (!nr) {
		fprintf(stderr, "lsiommu: no IOMMU groups in %s\n", path);
		return EXIT_NONE;
	}

	if (json)
		printf("{\"groups\": [");
	for (i = 0; i < nr; i++) {
		struct group_info g;

		if (only >= 0 && ids[i] != only)
			continue;
		if (load_group(ids[i], &g))
			continue;
		if (json)
			print_json(&g, !shown);
		else
			print_text(&g);
		shown++;
		free(g.devs);
	}
	if (json)
		printf("]}\n");
	free(ids);
	if (only >= 0 && !shown) {
		fprintf(stderr, "lsiommu: no group %ld\n", only);
		return EXIT_NOGROUP;
	}
	return EXIT_OK;
}

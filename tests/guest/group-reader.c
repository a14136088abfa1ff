// SPDX-License-Identifier: GPL-2.0-only
/*
 * group-reader: walk /sys/kernel/iommu_groups again and again while
 * something else changes the groups (hot-plug storms), and check every
 * read.
 *
 *   group-reader [-p NAME] [-i MS] STOP
 *
 * A pass lists every group's devices/ and reads its name, type, reason and
 * reserved_regions; passes repeat, MS milliseconds apart (default 0), until
 * the file STOP exists.  A group may vanish under the reader: ENOENT from
 * open, readlink or opendir and ENODEV from read (kernfs, on an attribute
 * removed while open) are counted as "vanished".  Any other error is an
 * error, and so are: an empty name or reason, a type the kernel does not
 * print, a reserved_regions line that is not "0xSTART 0xEND TYPE" with
 * START <= END, a devices/ entry that is not a link into /sys/devices.
 * "unknown" types (a group without a default domain yet) are counted.
 *
 * Prints one line "@@result NAME pass|fail DETAIL" at the end (NAME
 * defaults to "reader"); it passes, and the exit status is 0, when there
 * was no error and something was read.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define GROUPS "/sys/kernel/iommu_groups"

static unsigned long passes, reads, vanished, unknown, errors;
static char first[512];

static void error(const char *fmt, ...)
{
	va_list ap;

	errors++;
	if (first[0])
		return;
	va_start(ap, fmt);
	vsnprintf(first, sizeof(first), fmt, ap);
	va_end(ap);
}

/* Count an errno that a vanishing group explains, or report it. */
static void failed(const char *what, const char *path, int err)
{
	if (err == ENOENT || err == ENODEV)
		vanished++;
	else
		error("%s %s: %s", what, path, strerror(err));
}

/* Read a whole attribute; -1 (counted) when it could not be read. */
static int read_attr(const char *path, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0) {
		failed("open", path, errno);
		return -1;
	}
	while (len < size - 1 && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += n;
	if (n < 0) {
		failed("read", path, errno);
		close(fd);
		return -1;
	}
	close(fd);
	buf[len] = 0;
	reads++;
	return 0;
}

static void check_type(const char *path, const char *v)
{
	static const char *const types[] = {
		"DMA\n", "DMA-FQ\n", "identity\n", "blocked\n", "unmanaged\n",
	};
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(v, types[i]))
			return;
	if (!strcmp(v, "unknown\n"))
		unknown++;
	else
		error("%s reads '%.40s'", path, v);
}

static void check_regions(const char *path, char *v)
{
	char *line, *save = NULL;

	for (line = strtok_r(v, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long start, end;
		char type[32];

		if (sscanf(line, "0x%llx 0x%llx %31s", &start, &end, type) != 3 ||
		    start > end) {
			error("%s: line '%.60s'", path, line);
			return;
		}
	}
}

static void check_devices(const char *group)
{
	char path[PATH_MAX], link[PATH_MAX];
	struct dirent *e;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/devices", group);
	dir = opendir(path);
	if (!dir) {
		failed("opendir", path, errno);
		return;
	}
	while ((e = readdir(dir))) {
		ssize_t n;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/devices/%s", group, e->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n < 0) {
			failed("readlink", path, errno);
			continue;
		}
		link[n] = 0;
		reads++;
		if (!strstr(link, "/devices/"))
			error("%s -> %s", path, link);
	}
	closedir(dir);
}

/* An attribute not every group has: if it is there, it is not empty. */
static void check_optional_text(const char *group, const char *attr)
{
	char path[PATH_MAX], buf[4096];

	snprintf(path, sizeof(path), "%s/%s", group, attr);
	if (!access(path, F_OK) && !read_attr(path, buf, sizeof(buf)) &&
	    (!buf[0] || buf[0] == '\n'))
		error("%s is empty", path);
}

static void one_group(const char *name)
{
	char group[64], path[PATH_MAX], buf[4096];

	snprintf(group, sizeof(group), GROUPS "/%.30s", name);
	check_devices(group);
	/* Only groups that were given a name have one. */
	check_optional_text(group, "name");
	/* The series' own attribute. */
	check_optional_text(group, "reason");

	snprintf(path, sizeof(path), "%s/type", group);
	if (!read_attr(path, buf, sizeof(buf)))
		check_type(path, buf);

	snprintf(path, sizeof(path), "%s/reserved_regions", group);
	if (!read_attr(path, buf, sizeof(buf)))
		check_regions(path, buf);
}

static void one_pass(void)
{
	struct dirent *e;
	DIR *dir = opendir(GROUPS);

	if (!dir) {
		error("opendir " GROUPS ": %s", strerror(errno));
		return;
	}
	while ((e = readdir(dir)))
		if (e->d_name[0] != '.')
			one_group(e->d_name);
	closedir(dir);
	passes++;
}

int main(int argc, char **argv)
{
	const char *name = "reader";
	struct timespec gap = { 0, 0 };
	int opt;

	while ((opt = getopt(argc, argv, "p:i:")) != -1) {
		if (opt == 'p') {
			name = optarg;
		} else if (opt == 'i') {
			long ms = atol(optarg);

			gap.tv_sec = ms / 1000;
			gap.tv_nsec = ms % 1000 * 1000000L;
		} else {
			optind = argc + 1;
			break;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: group-reader [-p NAME] [-i MS] STOP\n");
		return 2;
	}
	while (access(argv[optind], F_OK)) {
		one_pass();
		if (gap.tv_sec || gap.tv_nsec)
			nanosleep(&gap, NULL);
	}
	printf("@@result %s %s %lu passes, %lu reads, %lu vanished under the reader, "
	       "%lu 'unknown' types, %lu errors%s%s\n", name,
	       errors || !reads ? "fail" : "pass", passes, reads, vanished,
	       unknown, errors, first[0] ? ", first: " : "", first);
	return errors || !reads ? 1 : 0;
}

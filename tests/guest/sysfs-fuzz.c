// SPDX-License-Identifier: GPL-2.0-only
/*
 * sysfs-fuzz: throw random and boundary input at a group's writable
 * attributes and check that every rejected write fails with a specific
 * error and changes nothing.
 *
 *   sysfs-fuzz [-p PREFIX] [-n COUNT] [-s SEED] GROUP
 *
 * Attributes: driver_override (the binder; rejected input must give
 * EINVAL or, for a well-formed name of no driver, ENODEV) and type
 * (upstream's; EINVAL, or EBUSY when the group's devices have drivers).
 * After every rejected write the attribute reads as before and every
 * member keeps its driver.  Two writers run at once for part of the run.
 * One "@@result" line per attribute.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * Paths here are short sysfs paths and the rest are messages: a cut-off
 * message is harmless, so gcc's truncation warnings are only noise.
 */
#pragma GCC diagnostic ignored "-Wformat-truncation"

static const char *prefix = "fuzz";
static char gdir[PATH_MAX];

static int read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return 0;
}

/* The members' drivers, one "dev=driver;" each, for before/after checks. */
static void snapshot(char *buf, size_t size)
{
	char path[PATH_MAX], link[PATH_MAX];
	struct dirent *e;
	size_t len = 0;
	DIR *dir;

	buf[0] = 0;
	snprintf(path, sizeof(path), "%s/devices", gdir);
	dir = opendir(path);
	if (!dir)
		return;
	while ((e = readdir(dir))) {
		ssize_t n;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/devices/%s/driver", gdir, e->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		link[n > 0 ? n : 0] = 0;
		len += snprintf(buf + len, size > len ? size - len : 0, "%s=%s;",
				e->d_name, n > 0 ? strrchr(link, '/') + 1 : "-");
	}
	closedir(dir);
}

/* One random or boundary input; returns its length. */
static size_t make_input(char *buf, size_t size, unsigned int i)
{
	size_t len, k;

	switch (i % 8) {
	case 0:		/* empty, no newline: a release of an unclaimed group */
		return 0;
	case 1:		/* huge */
		len = size - 1;
		memset(buf, 'a' + i % 26, len);
		return len;
	case 2:		/* binary */
		len = 1 + rand() % 64;
		for (k = 0; k < len; k++)
			buf[k] = rand() % 256;
		return len;
	case 3:		/* blanks inside */
		return snprintf(buf, size, "vfio %s\n", "pci");
	case 4:		/* two newlines */
		return snprintf(buf, size, "name%u\n\n", i);
	case 5:		/* missing newline, no such driver */
		return snprintf(buf, size, "no-such-driver-%u", i);
	case 6:		/* control characters */
		return snprintf(buf, size, "\t\x7f%u", i);
	default:	/* random printable */
		len = 1 + rand() % 80;
		for (k = 0; k < len; k++)
			buf[k] = 32 + rand() % 95;
		return len;
	}
}

static int fuzz(const char *attr, unsigned int count, const int *ok_errnos,
		int nr_ok, char *why, size_t why_size)
{
	char path[PATH_MAX], before[4096], after[4096], drv0[4096], drv1[4096];
	static char input[8192];
	unsigned int i;

	snprintf(path, sizeof(path), "%s/%s", gdir, attr);
	if (read_file(path, before, sizeof(before))) {
		snprintf(why, why_size, "cannot read %s", path);
		return -1;
	}
	snapshot(drv0, sizeof(drv0));
	for (i = 0; i < count; i++) {
		size_t len = make_input(input, sizeof(input), i);
		int fd = open(path, O_WRONLY), e, j;
		ssize_t n;

		if (fd < 0) {
			snprintf(why, why_size, "open %s: %s", path, strerror(errno));
			return -1;
		}
		n = write(fd, input, len);
		e = errno;
		close(fd);
		if (n >= 0 && len) {
			snprintf(why, why_size, "input %u (%zu bytes) accepted", i, len);
			return -1;
		}
		for (j = 0; n < 0 && j < nr_ok && ok_errnos[j] != e; j++)
			;
		if (n < 0 && j == nr_ok) {
			snprintf(why, why_size, "input %u: unexpected error %s", i, strerror(e));
			return -1;
		}
		if (read_file(path, after, sizeof(after)) || strcmp(before, after)) {
			snprintf(why, why_size, "input %u changed %s", i, attr);
			return -1;
		}
		snapshot(drv1, sizeof(drv1));
		if (strcmp(drv0, drv1)) {
			snprintf(why, why_size, "input %u changed drivers: %s", i, drv1);
			return -1;
		}
	}
	snprintf(why, why_size, "%u inputs rejected, nothing changed", count);
	return 0;
}

static void run(const char *attr, unsigned int count, const int *ok, int nr_ok)
{
	char why[512];
	int status, bad;
	pid_t pid;

	/* A second writer for the first half of the run. */
	pid = fork();
	if (pid == 0) {
		srand(getpid());
		_exit(fuzz(attr, count / 2, ok, nr_ok, why, sizeof(why)) ? 1 : 0);
	}
	bad = fuzz(attr, count, ok, nr_ok, why, sizeof(why));
	if (pid > 0) {
		waitpid(pid, &status, 0);
		if (!bad && (!WIFEXITED(status) || WEXITSTATUS(status))) {
			bad = 1;
			snprintf(why, sizeof(why), "the concurrent writer failed");
		}
	}
	printf("@@result %s-%s %s %s\n", prefix, attr, bad ? "fail" : "pass", why);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static const int override_ok[] = { EINVAL, ENODEV };
	static const int type_ok[] = { EINVAL, EBUSY };
	unsigned int count = 400, seed = 1;
	char path[PATH_MAX];
	int opt;

	while ((opt = getopt(argc, argv, "p:n:s:")) != -1) {
		if (opt == 'p')
			prefix = optarg;
		else if (opt == 'n')
			count = strtoul(optarg, NULL, 0);
		else if (opt == 's')
			seed = strtoul(optarg, NULL, 0);
		else
			goto usage;
	}
	if (argc - optind != 1)
		goto usage;
	snprintf(gdir, sizeof(gdir), "/sys/kernel/iommu_groups/%s", argv[optind]);
	srand(seed);
	snprintf(path, sizeof(path), "%s/driver_override", gdir);
	if (!access(path, F_OK))	/* the series' binder */
		run("driver_override", count, override_ok, 2);
	run("type", count, type_ok, 2);
	return 0;
usage:
	fprintf(stderr, "usage: sysfs-fuzz [-p PREFIX] [-n COUNT] [-s SEED] GROUP\n");
	return 2;
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * fail-nth: make the N-th allocation of one sysfs write fail, through the
 * kernel's per-task fault injection (/proc/thread-self/fail-nth, with
 * CONFIG_FAULT_INJECTION and CONFIG_FAILSLAB, and CONFIG_FAIL_PAGE_ALLOC
 * where the kernel has it).
 *
 *   fail-nth filter FUNC|- [NOTFUNC]
 *	Set up failslab and fail_page_alloc (debugfs must be mounted on
 *	/sys/kernel/debug): every allocation may fail, sleeping or not, of
 *	any order, quietly; with FUNC, only allocations made below the kernel
 *	function FUNC (its text, from /proc/kallsyms, is the stack filter's
 *	required range: CONFIG_FAULT_INJECTION_STACKTRACE_FILTER), so that
 *	the faults land on the path under test and only there; with NOTFUNC,
 *	none below NOTFUNC (the rejected range).  Either may be "A..B": from
 *	the start of function A to the end of function B (A before B in the
 *	kernel's text).  "-" drops the filter.  Prints the ranges.  The filter
 *	looks at the 32 innermost frames only (the kernel's limit).  A
 *	kernel without CONFIG_FAIL_PAGE_ALLOC fails slab allocations only.
 *   fail-nth write N FILE VALUE
 *	Open FILE, arm fail-nth with N, write VALUE (and a newline) in one
 *	write(), read back how many fault points were left and disarm.
 *	Prints "INJECTED RESULT": INJECTED is 1 when the N-th fault point was
 *	reached (an allocation was made to fail), 0 when the write made fewer
 *	than N; RESULT is "ok" or the write's error message.
 *
 * Only the write() itself runs armed: FILE is opened before, and memory is
 * locked so that no page fault of this program takes a fault point.
 * Exit status: 0, or 1 when the set-up or the write could not be done at
 * all (the message says why).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define DEBUGFS "/sys/kernel/debug"

static int die(const char *what, const char *path)
{
	fprintf(stderr, "fail-nth: %s %s: %s\n", what, path, strerror(errno));
	return 1;
}

static int put(const char *dir, const char *attr, const char *value)
{
	char path[PATH_MAX];
	ssize_t len = strlen(value);
	int fd, ok;

	snprintf(path, sizeof(path), DEBUGFS "/%s/%s", dir, attr);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return die("open", path);
	ok = write(fd, value, len) == len;
	close(fd);
	return ok ? 0 : die("write", path);
}

/* Does the kernel have the fault capability @dir (CONFIG_FAILSLAB, ...)? */
static int present(const char *dir)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), DEBUGFS "/%s", dir);
	return access(path, F_OK) == 0;
}

/* The text of @func: its address and the next symbol's, from kallsyms. */
static int find_range(const char *func, unsigned long long *start,
		      unsigned long long *end)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	unsigned long long addr;
	char type, name[256];
	int found = 0;

	if (!f)
		return die("open", "/proc/kallsyms");
	*start = 0;
	while (fscanf(f, "%llx %c %255s%*[^\n]", &addr, &type, name) == 3) {
		if (strcmp(name, func) || (type != 't' && type != 'T'))
			continue;
		found++;
		*start = addr;
	}
	if (found != 1 || !*start) {
		fclose(f);
		fprintf(stderr, "fail-nth: %d text symbols called %s in /proc/kallsyms%s\n",
			found, func, found ? " (or no addresses: kptr_restrict?)" : "");
		return 1;
	}
	rewind(f);
	*end = ~0ULL;
	while (fscanf(f, "%llx %c %255s%*[^\n]", &addr, &type, name) == 3)
		if (addr > *start && addr < *end)
			*end = addr;
	fclose(f);
	return 0;
}

/* FUNC or "A..B" (from the start of A to the end of B). */
static int spec_range(const char *spec, unsigned long long *start,
		      unsigned long long *end)
{
	const char *dots = strstr(spec, "..");
	unsigned long long s2, e1;
	char first[256];

	if (!dots)
		return find_range(spec, start, end);
	snprintf(first, sizeof(first), "%.*s", (int)(dots - spec), spec);
	if (find_range(first, start, &e1) || find_range(dots + 2, &s2, end))
		return 1;
	if (*start >= *end) {
		fprintf(stderr, "fail-nth: %s: %s does not come before %s\n",
			spec, first, dots + 2);
		return 1;
	}
	return 0;
}

static int filter(const char *func, const char *not)
{
	static const char *const dirs[] = { "failslab", "fail_page_alloc" };
	unsigned long long start = 0, end = ~0ULL, rstart = 0, rend = 0;
	char s[32], e[32], rs[32], re[32];
	size_t i, set = 0;

	if (strcmp(func, "-") && spec_range(func, &start, &end))
		return 1;
	if (not && spec_range(not, &rstart, &rend))
		return 1;
	snprintf(s, sizeof(s), "%llu", start);
	snprintf(e, sizeof(e), "%llu", end);
	snprintf(rs, sizeof(rs), "%llu", rstart);
	snprintf(re, sizeof(re), "%llu", rend);
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (!present(dirs[i]))
			continue;
		set++;
		if (put(dirs[i], "ignore-gfp-wait", "N") ||
		    put(dirs[i], "verbose", "0") ||
		    put(dirs[i], "stacktrace-depth", "32") ||
		    put(dirs[i], "require-start", s) ||
		    put(dirs[i], "require-end", e) ||
		    put(dirs[i], "reject-start", rs) ||
		    put(dirs[i], "reject-end", re))
			return 1;
	}
	if (!set) {
		fprintf(stderr, "fail-nth: no failslab or fail_page_alloc in " DEBUGFS "\n");
		return 1;
	}
	if (present("fail_page_alloc") && put("fail_page_alloc", "min-order", "0"))
		return 1;
	printf("%s 0x%llx-0x%llx", func, start, end);
	if (not)
		printf(", not below %s 0x%llx-0x%llx", not, rstart, rend);
	putchar('\n');
	return 0;
}

static int armed_write(const char *n, const char *path, const char *value)
{
	char buf[512], left[32];
	ssize_t len, ret, got;
	int nth, fd, err;

	len = snprintf(buf, sizeof(buf), "%s\n", value);
	if (len >= (ssize_t)sizeof(buf)) {
		fprintf(stderr, "fail-nth: value too long\n");
		return 1;
	}
	/* Best effort: a page fault of ours must not take the fault point. */
	mlockall(MCL_CURRENT | MCL_FUTURE);
	nth = open("/proc/thread-self/fail-nth", O_RDWR);
	if (nth < 0)
		return die("open", "/proc/thread-self/fail-nth");
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return die("open", path);
	if (write(nth, n, strlen(n)) != (ssize_t)strlen(n))
		return die("arm", "/proc/thread-self/fail-nth");
	ret = write(fd, buf, len);
	err = errno;
	got = pread(nth, left, sizeof(left) - 1, 0);
	if (write(nth, "0", 1) != 1 || got <= 0)
		return die("disarm", "/proc/thread-self/fail-nth");
	left[got] = 0;
	close(fd);
	close(nth);
	printf("%d %s\n", atoi(left) == 0,
	       ret == len ? "ok" : ret < 0 ? strerror(err) : "short write");
	return 0;
}

int main(int argc, char **argv)
{
	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "filter"))
		return filter(argv[2], argc == 4 ? argv[3] : NULL);
	if (argc == 5 && !strcmp(argv[1], "write") && atoi(argv[2]) > 0)
		return armed_write(argv[2], argv[3], argv[4]);
	fprintf(stderr, "usage: fail-nth filter FUNC|- [NOTFUNC]\n"
		"       fail-nth write N FILE VALUE\n");
	return 2;
}

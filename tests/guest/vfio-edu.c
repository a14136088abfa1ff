// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-edu: drive QEMU's "edu" device (1234:11e8) from userspace through
 * VFIO, to prove that the IOMMU group handed out by the kernel really
 * isolates the device.
 *
 *   vfio-edu [-p PREFIX] [-N WHY] COMMAND BDF...
 *
 * type1 BDF: open the device's group through the container interface, map
 *   two pages with VFIO_TYPE1v2_IOMMU, read the edu ID register, run a DMA
 *   round trip RAM -> device -> RAM through the IOMMU and compare the
 *   bytes, aim a DMA at an unmapped IOVA and check that it faults (the
 *   IOMMU driver logs the address) and leaves memory alone, then unmap and
 *   check that the old IOVA faults too.
 * share BDF1 BDF2: two groups in one container share its mappings: a DMA
 *   from each device through the same IOVA works; with the second group
 *   taken out of the container the first keeps working.
 * reopen BDF: a group is opened once at a time (EBUSY), and can be opened
 *   again once closed.
 * nonviable BDF HOST_BDF: HOST_BDF shares BDF's group and is bound to a
 *   host driver: the group is not viable and VFIO_GROUP_SET_CONTAINER
 *   fails with EPERM (iommu_group_claim_dma_owner() refuses a group a
 *   kernel driver uses for DMA); once HOST_BDF is unbound, both work.
 * reach -E refuse|allow BDF HOST_BDF: BDF's group reaches HOST_BDF's one
 *   way (a switch port without ACS above BDF, one with ACS above HOST_BDF)
 *   and HOST_BDF is bound to a host driver.  "refuse" (the series): the
 *   group is not viable, VFIO_GROUP_SET_CONTAINER and the cdev's
 *   VFIO_DEVICE_BIND_IOMMUFD fail with EBUSY; once HOST_BDF is unbound the
 *   group goes to a container and does a DMA round trip, and while it is
 *   owned HOST_BDF's driver cannot bind again.  "allow" (upstream): all of
 *   it succeeds, which is the unsafe assignment the series refuses.
 * claimbusy BDF: with the group in a container, releasing its binder
 *   claim (/sys/kernel/iommu_groups/N/driver_override) fails with EBUSY.
 * iommufd BDF [BDF2]: the same round trip through /dev/iommu and the
 *   device cdev (VFIO_DEVICE_BIND_IOMMUFD, one IOAS shared by all the
 *   devices given, IOMMU_IOAS_MAP/UNMAP).
 * spapr BDF: the type1 round trip on POWER with VFIO_SPAPR_TCE_v2_IOMMU:
 *   TCE_GET_INFO, register the buffer, create a DMA window, map, DMA,
 *   fault outside the mapping, unmap, remove the window.
 * hold BDF READY STOP: take the device's group (container, type1v2, one
 *   mapping, device fd, a DMA round trip), create the file READY, keep it
 *   all open until the file STOP appears (at most 15 minutes), then check
 *   that the group id is unchanged and the same mapping still serves a
 *   DMA round trip.  For scenarios that churn other devices meanwhile.
 *
 * The edu registers are native-endian in QEMU, so on qemu-system-ppc64
 * they read big-endian from this little-endian program; open_edu() tells
 * by the ID register and swaps.
 *
 * Every check prints one line "@@result PREFIX-NAME pass|fail|skip DETAIL"
 * for the harness; the exit status is 0 only when nothing failed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <byteswap.h>
#include <linux/iommufd.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include "sysfs-group.h"

/* edu registers (QEMU docs/specs/edu.rst) */
#define EDU_ID		0x00
#define EDU_DMA_SRC	0x80
#define EDU_DMA_DST	0x88
#define EDU_DMA_CNT	0x90
#define EDU_DMA_CMD	0x98
#define EDU_CMD_START	0x1
#define EDU_CMD_TO_RAM	0x2
#define EDU_BUF		0x40000	/* device-side DMA buffer */
#define EDU_ID_MAGIC	0xed	/* low byte of the ID register */

/* edu masks DMA addresses to 28 bits: keep every IOVA below 256 MiB. */
#define IOVA_BASE	0x100000ULL
#define IOVA_UNMAPPED	0x800000ULL
#define PAGE		4096
#define XFER		2048	/* the edu engine rejects a full 4 KiB */

static const char *prefix = "vfio";
/* Why the IOMMU cannot be expected to log faults here, if it cannot. */
static const char *no_fault_log;
static int failures;

static void result(const char *name, const char *status, const char *fmt, ...)
{
	va_list ap;

	printf("@@result %s-%s %s ", prefix, name, status);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (!strcmp(status, "fail"))
		failures++;
}

#define pass(name, ...) result(name, "pass", __VA_ARGS__)
#define fail(name, ...) result(name, "fail", __VA_ARGS__)

struct edu {
	int device;
	struct vfio_region_info bar0;
	struct vfio_region_info config;
	volatile uint8_t *mmio;	/* BAR0 mapping, or NULL to use pread/pwrite */
	bool swap;		/* registers are big-endian (QEMU on POWER) */
};

static uint64_t edu_swap(struct edu *e, uint64_t v, int size)
{
	if (!e->swap)
		return v;
	return size == 8 ? bswap_64(v) : bswap_32((uint32_t)v);
}

static uint64_t edu_read(struct edu *e, unsigned int reg, int size)
{
	uint64_t v = 0;
	uint32_t v32 = 0;

	if (e->mmio)
		v = size == 8 ? *(volatile uint64_t *)(e->mmio + reg) :
				*(volatile uint32_t *)(e->mmio + reg);
	else if (pread(e->device, size == 8 ? (void *)&v : (void *)&v32, size,
		       e->bar0.offset + reg) != size)
		return ~0ULL;
	else if (size == 4)
		v = v32;
	return edu_swap(e, v, size);
}

static void edu_write(struct edu *e, unsigned int reg, uint64_t v, int size)
{
	uint32_t v32;

	v = edu_swap(e, v, size);
	v32 = v;

	if (e->mmio) {
		if (size == 8)
			*(volatile uint64_t *)(e->mmio + reg) = v;
		else
			*(volatile uint32_t *)(e->mmio + reg) = v32;
		return;
	}
	if (pwrite(e->device, size == 8 ? (void *)&v : (void *)&v32, size,
		   e->bar0.offset + reg) != size)
		perror("edu_write");
}

/* Run one edu DMA and wait for the engine to finish; 0 on completion. */
static int edu_dma(struct edu *e, uint64_t src, uint64_t dst, uint32_t len,
		   int to_ram)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int i;

	edu_write(e, EDU_DMA_SRC, src, 8);
	edu_write(e, EDU_DMA_DST, dst, 8);
	edu_write(e, EDU_DMA_CNT, len, 8);
	edu_write(e, EDU_DMA_CMD, EDU_CMD_START | (to_ram ? EDU_CMD_TO_RAM : 0), 8);
	for (i = 0; i < 1000; i++) {
		if (!(edu_read(e, EDU_DMA_CMD, 8) & EDU_CMD_START))
			return 0;
		nanosleep(&ts, NULL);
	}
	return -1;
}

/* Position a non-blocking /dev/kmsg reader at the end of the log. */
static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/*
 * Wait up to two seconds for a kernel message that reports a fault at
 * @iova.  Intel ("fault addr 0x..."), AMD ("IO_PAGE_FAULT ... address=0x...")
 * and virtio-iommu ("fault from EP ... at 0x...") all print the address.
 */
static int kmsg_find_fault(int fd, uint64_t iova, char *line, size_t size)
{
	char want[32];
	int tries;

	snprintf(want, sizeof(want), "0x%llx", (unsigned long long)iova);
	for (tries = 0; tries < 200; tries++) {
		ssize_t n;

		while ((n = read(fd, line, size - 1)) > 0 || (n < 0 && errno == EPIPE)) {
			char *msg;

			if (n < 0)
				continue;
			line[n] = 0;
			msg = strchr(line, ';');
			msg = msg ? msg + 1 : line;
			if (strcasestr(msg, "fault") && strstr(msg, want)) {
				msg[strcspn(msg, "\n")] = 0;
				memmove(line, msg, strlen(msg) + 1);
				return 0;
			}
		}
		usleep(10000);
	}
	return -1;
}

static int enable_bus_master(struct edu *e)
{
	uint16_t cmd;

	if (pread(e->device, &cmd, 2, e->config.offset + PCI_COMMAND) != 2)
		return -1;
	cmd |= PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	if (pwrite(e->device, &cmd, 2, e->config.offset + PCI_COMMAND) != 2)
		return -1;
	return 0;
}

static int region_info(int device, unsigned int index, struct vfio_region_info *info)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	info->index = index;
	return ioctl(device, VFIO_DEVICE_GET_REGION_INFO, info);
}

/* Map the edu BAR0 and config space of an open VFIO device. */
static int open_edu(struct edu *e, int device)
{
	uint32_t id;

	e->device = device;
	e->mmio = NULL;
	e->swap = false;
	if (device < 0 ||
	    region_info(device, VFIO_PCI_BAR0_REGION_INDEX, &e->bar0) ||
	    region_info(device, VFIO_PCI_CONFIG_REGION_INDEX, &e->config))
		return -1;
	if (e->bar0.flags & VFIO_REGION_INFO_FLAG_MMAP) {
		void *p = mmap(NULL, e->bar0.size, PROT_READ | PROT_WRITE,
			       MAP_SHARED, device, e->bar0.offset);

		if (p != MAP_FAILED)
			e->mmio = p;
	}
	id = edu_read(e, EDU_ID, 4);
	if ((id & 0xff) != EDU_ID_MAGIC && (id >> 24) == EDU_ID_MAGIC)
		e->swap = true;
	return enable_bus_master(e);
}

static void close_edu(struct edu *e)
{
	if (e->mmio)
		munmap((void *)e->mmio, e->bar0.size);
	close(e->device);
}

static void check_id(struct edu *e, const char *name)
{
	uint32_t id = edu_read(e, EDU_ID, 4);

	if ((id & 0xff) == EDU_ID_MAGIC)
		pass(name, "id=0x%08x%s", id, e->swap ? " (big-endian registers)" : "");
	else
		fail(name, "id=0x%08x, expected 0x......%02x", id, EDU_ID_MAGIC);
}

/* RAM -> edu -> RAM through @iova (source page) and @iova + PAGE. */
static void check_roundtrip(struct edu *e, uint8_t *buf, uint64_t iova,
			    const char *name)
{
	uint8_t *src = buf, *dst = buf + PAGE;
	int i;

	for (i = 0; i < XFER; i++)
		src[i] = (uint8_t)(i * 7 + 3 + iova / PAGE);
	memset(dst, 0, PAGE);
	if (edu_dma(e, iova, EDU_BUF, XFER, 0) || edu_dma(e, EDU_BUF, iova + PAGE, XFER, 1))
		fail(name, "edu DMA engine did not finish");
	else if (memcmp(src, dst, XFER))
		fail(name, "bytes differ after RAM->edu->RAM (dst[0]=0x%02x)", dst[0]);
	else
		pass(name, "%d bytes RAM->edu->RAM through IOVA 0x%llx", XFER,
		     (unsigned long long)iova);
}

/*
 * A DMA to @iova, where nothing is mapped, must fault and not land: the
 * IOMMU driver logs the address, and @watch (a page that was mapped there
 * or elsewhere) stays as it was.
 */
static void check_fault(struct edu *e, uint64_t iova, uint8_t *watch,
			const char *name)
{
	char line[1024], wname[64];
	int i, kmsg;

	memset(watch, 0x5a, PAGE);
	kmsg = kmsg_open();
	if (edu_dma(e, EDU_BUF, iova, XFER, 1)) {
		fail(name, "edu DMA engine did not finish");
	} else if (no_fault_log) {
		result(name, "skip", "%s", no_fault_log);
	} else if (kmsg < 0) {
		fail(name, "cannot read /dev/kmsg: %s", strerror(errno));
	} else if (!kmsg_find_fault(kmsg, iova, line, sizeof(line))) {
		pass(name, "%s", line);
	} else {
		/*
		 * IOMMU drivers rate-limit their fault messages (VT-d: 10 per
		 * 5 s, two per fault): wait that out and try once more.
		 */
		sleep(6);
		if (edu_dma(e, EDU_BUF, iova, XFER, 1))
			fail(name, "edu DMA engine did not finish");
		else if (kmsg_find_fault(kmsg, iova, line, sizeof(line)))
			fail(name, "no IOMMU fault logged for IOVA 0x%llx",
			     (unsigned long long)iova);
		else
			pass(name, "%s (after waiting out the rate limit)", line);
	}
	if (kmsg >= 0)
		close(kmsg);

	snprintf(wname, sizeof(wname), "%s-no-write", name);
	for (i = 0; i < PAGE && watch[i] == 0x5a; i++)
		;
	if (i == PAGE)
		pass(wname, "memory unchanged");
	else
		fail(wname, "byte %d changed to 0x%02x", i, watch[i]);
}

static uint8_t *dma_buffer(void)
{
	uint8_t *buf = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return buf == MAP_FAILED ? NULL : buf;
}

static int open_container_for(int type, const char *what)
{
	int container = open("/dev/vfio/vfio", O_RDWR);

	if (container < 0) {
		fail("container", "open /dev/vfio/vfio: %s", strerror(errno));
		return -1;
	}
	if (ioctl(container, VFIO_GET_API_VERSION) != VFIO_API_VERSION ||
	    ioctl(container, VFIO_CHECK_EXTENSION, type) != 1) {
		fail("container", "no VFIO API %d with %s", VFIO_API_VERSION, what);
		close(container);
		return -1;
	}
	return container;
}

static int open_container(void)
{
	return open_container_for(VFIO_TYPE1v2_IOMMU, "type1v2");
}

/* Open /dev/vfio/N for the group of @bdf; errno tells why not. */
static int open_group_quiet(const char *bdf, char *path, size_t size)
{
	int id = group_of(bdf);

	snprintf(path, size, "/dev/vfio/%d", id);
	if (id < 0) {
		errno = ENODEV;
		return -1;
	}
	return open(path, O_RDWR);
}

static int open_group(const char *bdf, const char *name)
{
	char path[64];
	int group;

	if (group_of(bdf) < 0) {
		fail(name, "%s has no iommu_group link", bdf);
		return -1;
	}
	group = open_group_quiet(bdf, path, sizeof(path));
	if (group < 0)
		fail(name, "open %s: %s", path, strerror(errno));
	else
		pass(name, "%s is in group %d, %s opened", bdf, group_of(bdf), path);
	return group;
}

static bool viable(int group)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };

	return !ioctl(group, VFIO_GROUP_GET_STATUS, &status) &&
	       (status.flags & VFIO_GROUP_FLAGS_VIABLE);
}

/* Open @bdf's device fd from its group and map the edu registers. */
static int group_device(struct edu *e, int group, const char *bdf)
{
	if (open_edu(e, ioctl(group, VFIO_GROUP_GET_DEVICE_FD, bdf))) {
		fail("device-fd", "%s: %s", bdf, strerror(errno));
		return -1;
	}
	pass("device-fd", "BAR0 %llu bytes%s", (unsigned long long)e->bar0.size,
	     e->mmio ? ", mmap" : "");
	return 0;
}

/* The group must be viable; put it in @container with IOMMU @type. */
static int take_group(int container, int group, const char *bdf, int type,
		      const char *what)
{
	if (!viable(group)) {
		fail("viable", "group of %s not viable", bdf);
		return -1;
	}
	pass("viable", "group of %s viable", bdf);
	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) ||
	    ioctl(container, VFIO_SET_IOMMU, type)) {
		fail("set-iommu", "%s: %s", what, strerror(errno));
		return -1;
	}
	return 0;
}

static int type1_map(int container, uint8_t *buf, uint64_t iova)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.vaddr = (uintptr_t)buf,
		.iova = iova,
		.size = 2 * PAGE,
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
	};

	return ioctl(container, VFIO_IOMMU_MAP_DMA, &map);
}

static int type1_unmap(int container, uint64_t iova)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.iova = iova,
		.size = 2 * PAGE,
	};

	if (ioctl(container, VFIO_IOMMU_UNMAP_DMA, &unmap))
		return -1;
	return unmap.size == 2 * PAGE ? 0 : -1;
}

static int run_type1(const char *bdf)
{
	int container, group;
	struct edu e;
	uint8_t *buf = dma_buffer();

	container = open_container();
	group = open_group(bdf, "group");
	if (container < 0 || group < 0 || !buf)
		return 1;
	if (take_group(container, group, bdf, VFIO_TYPE1v2_IOMMU, "VFIO_TYPE1v2_IOMMU"))
		return 1;
	if (type1_map(container, buf, IOVA_BASE)) {
		fail("map-dma", "VFIO_IOMMU_MAP_DMA: %s", strerror(errno));
		return 1;
	}
	pass("map-dma", "2 pages at IOVA 0x%llx", (unsigned long long)IOVA_BASE);
	if (group_device(&e, group, bdf))
		return 1;

	check_id(&e, "edu-id");
	check_roundtrip(&e, buf, IOVA_BASE, "dma-roundtrip");
	check_fault(&e, IOVA_UNMAPPED, buf + PAGE, "dma-unmapped-faults");

	if (type1_unmap(container, IOVA_BASE))
		fail("unmap-dma", "VFIO_IOMMU_UNMAP_DMA: %s", strerror(errno));
	else
		pass("unmap-dma", "2 pages");
	/* What was mapped a moment ago must fault now. */
	check_fault(&e, IOVA_BASE + PAGE, buf + PAGE, "dma-after-unmap-faults");

	close_edu(&e);
	close(group);
	close(container);
	return 0;
}

static int run_share(const char *bdf1, const char *bdf2)
{
	int container = open_container();
	int g1 = open_group(bdf1, "group1"), g2 = open_group(bdf2, "group2");
	uint8_t *buf = dma_buffer();
	struct edu e1, e2;

	if (container < 0 || g1 < 0 || g2 < 0 || !buf)
		return 1;
	if (ioctl(g1, VFIO_GROUP_SET_CONTAINER, &container) ||
	    ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) ||
	    ioctl(g2, VFIO_GROUP_SET_CONTAINER, &container)) {
		fail("two-groups-one-container", "%s", strerror(errno));
		return 1;
	}
	pass("two-groups-one-container", "groups of %s and %s in one container", bdf1, bdf2);
	if (type1_map(container, buf, IOVA_BASE)) {
		fail("map-dma", "VFIO_IOMMU_MAP_DMA: %s", strerror(errno));
		return 1;
	}
	if (open_edu(&e1, ioctl(g1, VFIO_GROUP_GET_DEVICE_FD, bdf1)) ||
	    open_edu(&e2, ioctl(g2, VFIO_GROUP_GET_DEVICE_FD, bdf2))) {
		fail("device-fds", "%s", strerror(errno));
		return 1;
	}
	/* One mapping, made once, serves both devices. */
	check_roundtrip(&e1, buf, IOVA_BASE, "dma-first");
	check_roundtrip(&e2, buf, IOVA_BASE, "dma-second");

	close_edu(&e2);
	if (ioctl(g2, VFIO_GROUP_UNSET_CONTAINER))
		fail("unset-container", "%s", strerror(errno));
	else
		pass("unset-container", "group of %s out of the container", bdf2);
	check_roundtrip(&e1, buf, IOVA_BASE, "dma-first-after-unset");

	close_edu(&e1);
	close(g1);
	close(g2);
	close(container);
	return 0;
}

static int run_reopen(const char *bdf)
{
	int g = open_group(bdf, "open"), again;
	char path[64];

	if (g < 0)
		return 1;
	again = open_group_quiet(bdf, path, sizeof(path));
	if (again >= 0) {
		fail("second-open-refused", "a second open of the group succeeded");
		close(again);
	} else if (errno == EBUSY) {
		pass("second-open-refused", "EBUSY");
	} else {
		fail("second-open-refused", "%s, expected EBUSY", strerror(errno));
	}
	close(g);
	g = open_group(bdf, "reopen");
	if (g >= 0)
		close(g);
	return 0;
}

/* Write @bdf to the sysfs file @path in one write(); errno tells why not. */
static int write_bdf(const char *path, const char *bdf)
{
	int fd = open(path, O_WRONLY), ret, err;

	if (fd < 0)
		return -1;
	ret = write(fd, bdf, strlen(bdf)) == (ssize_t)strlen(bdf) ? 0 : -1;
	err = errno;
	close(fd);
	errno = err;
	return ret;
}

/* Unbind a PCI device from its driver, through sysfs. */
static int unbind(const char *bdf)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver/unbind", bdf);
	return write_bdf(path, bdf);
}

static int run_nonviable(const char *bdf, const char *host_bdf)
{
	int container = open_container(), group = open_group(bdf, "group");

	if (container < 0 || group < 0)
		return 1;
	if (group_of(host_bdf) != group_of(bdf)) {
		fail("shares-group", "%s and %s are not in one group", bdf, host_bdf);
		return 1;
	}
	pass("shares-group", "%s and %s share group %d", bdf, host_bdf, group_of(bdf));

	if (viable(group))
		fail("not-viable", "group viable although %s has a host driver", host_bdf);
	else
		pass("not-viable", "%s bound to a host driver", host_bdf);
	if (!ioctl(group, VFIO_GROUP_SET_CONTAINER, &container))
		fail("set-container-refused", "succeeded on a group that is not viable");
	else if (errno != EPERM)
		fail("set-container-refused", "%s, expected EPERM", strerror(errno));
	else
		pass("set-container-refused", "EPERM");

	if (unbind(host_bdf)) {
		fail("host-unbound", "unbind %s: %s", host_bdf, strerror(errno));
		return 1;
	}
	pass("host-unbound", "%s has no driver", host_bdf);
	if (!viable(group))
		fail("viable-after-unbind", "group still not viable");
	else
		pass("viable-after-unbind", "group viable");
	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) ||
	    ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		fail("set-container-after-unbind", "%s", strerror(errno));
	else
		pass("set-container-after-unbind", "container set, type1v2");
	close(group);
	close(container);
	return 0;
}

/*
 * While a user owns the group (container set), the binder must refuse to
 * release or change the group's claim: EBUSY.
 */
static int run_claimbusy(const char *bdf)
{
	int container = open_container(), group = open_group(bdf, "group");
	char path[PATH_MAX];
	int fd;

	if (container < 0 || group < 0)
		return 1;
	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) ||
	    ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU)) {
		fail("owned", "%s", strerror(errno));
		return 1;
	}
	pass("owned", "group of %s in a container", bdf);
	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/driver_override",
		 group_of(bdf));
	fd = open(path, O_WRONLY);
	if (fd < 0) {
		fail("release-refused", "open %s: %s", path, strerror(errno));
	} else if (write(fd, "\n", 1) >= 0) {
		fail("release-refused", "released a group a user owns");
	} else if (errno != EBUSY) {
		fail("release-refused", "%s, expected EBUSY", strerror(errno));
	} else {
		pass("release-refused", "EBUSY");
	}
	if (fd >= 0)
		close(fd);
	close(group);
	close(container);
	return 0;
}

/* The cdev of a vfio-pci device: /dev/vfio/devices/vfioN. */
static int open_cdev(const char *bdf, const char *name)
{
	char path[PATH_MAX], dev[PATH_MAX];
	struct dirent *d;
	DIR *dir;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vfio-dev", bdf);
	dir = opendir(path);
	if (!dir) {
		fail(name, "%s: %s", path, strerror(errno));
		return -1;
	}
	dev[0] = 0;
	while ((d = readdir(dir)))
		if (!strncmp(d->d_name, "vfio", 4))
			snprintf(dev, sizeof(dev), "/dev/vfio/devices/%s", d->d_name);
	closedir(dir);
	fd = dev[0] ? open(dev, O_RDWR) : -1;
	if (fd < 0)
		fail(name, "open %s: %s", dev[0] ? dev : "(no vfioN)", strerror(errno));
	else
		pass(name, "%s opened for %s", dev, bdf);
	return fd;
}

/* Bind @bdf to driver @drv through sysfs; errno tells why not. */
static int bind_to(const char *drv, const char *bdf)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/bind", drv);
	return write_bdf(path, bdf);
}

/* The name of @bdf's driver in @buf, "" when it has none. */
static const char *driver_name(const char *bdf, char *buf, size_t size)
{
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	n = readlink(path, target, sizeof(target) - 1);
	buf[0] = 0;
	if (n > 0) {
		target[n] = 0;
		snprintf(buf, size, "%s", strrchr(target, '/') + 1);
	}
	return buf;
}

/* VFIO_DEVICE_BIND_IOMMUFD of @bdf's cdev: 0, or -1 with errno. */
static int cdev_bind(const char *bdf)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	int fd = open_cdev(bdf, "cdev"), ret;

	bind.iommufd = open("/dev/iommu", O_RDWR);
	if (fd < 0 || bind.iommufd < 0)
		return -1;
	ret = ioctl(fd, VFIO_DEVICE_BIND_IOMMUFD, &bind);
	if (ret) {
		int err = errno;

		close(fd);
		close(bind.iommufd);
		errno = err;
		return -1;
	}
	close(fd);
	close(bind.iommufd);
	return 0;
}

/* @what succeeded (@ok) or failed with errno: as "refuse" or "allow" expects. */
static void expect_outcome(bool refuse, bool ok, const char *name, const char *what)
{
	if (refuse && ok)
		fail(name, "%s succeeded: the group reaches a device of a host driver", what);
	else if (refuse && errno != EBUSY)
		fail(name, "%s: %s, expected EBUSY", what, strerror(errno));
	else if (refuse)
		pass(name, "%s refused: EBUSY", what);
	else if (!ok)
		fail(name, "%s: %s (upstream allows it)", what, strerror(errno));
	else
		pass(name, "%s allowed (upstream: the unsafe assignment)", what);
}

static int run_reach(bool refuse, const char *bdf, const char *host_bdf)
{
	int container, group, ok, err;
	char drv[64], now[64];
	uint8_t *buf = dma_buffer();
	struct edu e;

	if (group_of(host_bdf) == group_of(bdf) || !*driver_name(host_bdf, drv, sizeof(drv))) {
		fail("setup", "%s must be in a group of its own with a driver", host_bdf);
		return 1;
	}
	pass("setup", "%s in group %d, %s (%s) in group %d", bdf, group_of(bdf),
	     host_bdf, drv, group_of(host_bdf));
	/* The cdev first: VFIO refuses it while the group is open. */
	ok = !cdev_bind(bdf);
	expect_outcome(refuse, ok, "cdev-bind", "VFIO_DEVICE_BIND_IOMMUFD");

	container = open_container();
	group = open_group(bdf, "group");
	if (container < 0 || group < 0 || !buf)
		return 1;
	if (viable(group) == refuse)
		fail("viable", "group %s viable", refuse ? "is" : "is not");
	else
		pass("viable", "group %s viable", refuse ? "not" : "is");
	ok = !ioctl(group, VFIO_GROUP_SET_CONTAINER, &container);
	expect_outcome(refuse, ok, "set-container", "VFIO_GROUP_SET_CONTAINER");
	if (ok)
		ioctl(group, VFIO_GROUP_UNSET_CONTAINER);

	if (unbind(host_bdf)) {
		fail("host-unbound", "unbind %s: %s", host_bdf, strerror(errno));
		return 1;
	}
	pass("host-unbound", "%s has no driver", host_bdf);
	if (take_group(container, group, bdf, VFIO_TYPE1v2_IOMMU, "VFIO_TYPE1v2_IOMMU"))
		return 1;
	if (type1_map(container, buf, IOVA_BASE) || group_device(&e, group, bdf)) {
		fail("map-dma", "%s", strerror(errno));
		return 1;
	}
	check_roundtrip(&e, buf, IOVA_BASE, "dma-roundtrip");

	ok = !bind_to(drv, host_bdf);
	err = errno;
	if (ok != !!*driver_name(host_bdf, now, sizeof(now))) {
		fail("host-rebind", "bind said %s, the driver link says %s",
		     ok ? "yes" : "no", *now ? now : "none");
	} else {
		errno = err;
		expect_outcome(refuse, ok, "host-rebind", "binding the host driver again");
	}
	close_edu(&e);
	close(group);
	close(container);
	if (!*driver_name(host_bdf, now, sizeof(now)) && bind_to(drv, host_bdf))
		fail("host-back", "%s: %s once the group is released", drv, strerror(errno));
	else
		pass("host-back", "%s bound to %s again", host_bdf, drv);
	return 0;
}

static int run_iommufd(int n, char **bdfs)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct iommu_ioas_map map = { .size = sizeof(map) };
	struct iommu_ioas_unmap unmap = { .size = sizeof(unmap) };
	uint8_t *buf = dma_buffer();
	struct edu e[2];
	char name[48];
	int iommufd, i;

	iommufd = open("/dev/iommu", O_RDWR);
	if (iommufd < 0 || !buf || ioctl(iommufd, IOMMU_IOAS_ALLOC, &alloc)) {
		fail("ioas", "/dev/iommu: %s", strerror(errno));
		return 1;
	}
	pass("ioas", "IOAS %u", alloc.out_ioas_id);
	for (i = 0; i < n; i++) {
		struct vfio_device_bind_iommufd bind = {
			.argsz = sizeof(bind), .iommufd = iommufd,
		};
		struct vfio_device_attach_iommufd_pt attach = {
			.argsz = sizeof(attach), .pt_id = alloc.out_ioas_id,
		};
		int fd;

		snprintf(name, sizeof(name), "cdev%d", i + 1);
		fd = open_cdev(bdfs[i], name);
		if (fd < 0)
			return 1;
		snprintf(name, sizeof(name), "bind-attach%d", i + 1);
		if (ioctl(fd, VFIO_DEVICE_BIND_IOMMUFD, &bind) ||
		    ioctl(fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach)) {
			fail(name, "%s", strerror(errno));
			return 1;
		}
		pass(name, "devid %u attached to IOAS %u", bind.out_devid, alloc.out_ioas_id);
		if (open_edu(&e[i], fd)) {
			fail(name, "regions: %s", strerror(errno));
			return 1;
		}
	}

	map.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
		    IOMMU_IOAS_MAP_WRITEABLE;
	map.ioas_id = alloc.out_ioas_id;
	map.user_va = (uintptr_t)buf;
	map.length = 2 * PAGE;
	map.iova = IOVA_BASE;
	if (ioctl(iommufd, IOMMU_IOAS_MAP, &map)) {
		fail("ioas-map", "%s", strerror(errno));
		return 1;
	}
	pass("ioas-map", "2 pages at IOVA 0x%llx", (unsigned long long)IOVA_BASE);

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "edu-id%d", i + 1);
		check_id(&e[i], name);
		snprintf(name, sizeof(name), "dma-roundtrip%d", i + 1);
		check_roundtrip(&e[i], buf, IOVA_BASE, name);
	}
	check_fault(&e[0], IOVA_UNMAPPED, buf + PAGE, "dma-unmapped-faults");

	unmap.ioas_id = alloc.out_ioas_id;
	unmap.iova = IOVA_BASE;
	unmap.length = 2 * PAGE;
	if (ioctl(iommufd, IOMMU_IOAS_UNMAP, &unmap) || unmap.length != 2 * PAGE)
		fail("ioas-unmap", "%s", strerror(errno));
	else
		pass("ioas-unmap", "2 pages");
	check_fault(&e[0], IOVA_BASE + PAGE, buf + PAGE, "dma-after-unmap-faults");

	for (i = 0; i < n; i++)
		close_edu(&e[i]);
	close(iommufd);
	return 0;
}

/*
 * POWER: the group's PE gets its DMA windows from userspace.  Taking the
 * group into the container took the PE's TCE tables from the host (the
 * blocked domain), so there is no window until we create one.
 */
static int run_spapr(const char *bdf)
{
	struct vfio_iommu_spapr_tce_info info = { .argsz = sizeof(info) };
	struct vfio_iommu_spapr_register_memory reg = { .argsz = sizeof(reg) };
	struct vfio_iommu_spapr_tce_create create = { .argsz = sizeof(create) };
	struct vfio_iommu_spapr_tce_remove remove = { .argsz = sizeof(remove) };
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };
	struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap) };
	long sys_page = sysconf(_SC_PAGESIZE);
	unsigned int shift;
	uint64_t len;
	int container, group;
	uint8_t *buf;
	struct edu e;

	container = open_container_for(VFIO_SPAPR_TCE_v2_IOMMU, "sPAPR TCE v2");
	group = open_group(bdf, "group");
	len = 2 * PAGE > sys_page ? 2 * PAGE : sys_page;
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (container < 0 || group < 0 || buf == MAP_FAILED)
		return 1;
	if (take_group(container, group, bdf, VFIO_SPAPR_TCE_v2_IOMMU,
		       "VFIO_SPAPR_TCE_v2_IOMMU"))
		return 1;
	if (ioctl(container, VFIO_IOMMU_SPAPR_TCE_GET_INFO, &info)) {
		fail("tce-info", "VFIO_IOMMU_SPAPR_TCE_GET_INFO: %s", strerror(errno));
		return 1;
	}
	if (!(info.flags & VFIO_IOMMU_SPAPR_INFO_DDW) || !info.ddw.pgsizes) {
		fail("tce-info", "no dynamic DMA windows (flags 0x%x)", info.flags);
		return 1;
	}
	/*
	 * The smallest IOMMU page the PE offers.  pseries puts created windows
	 * at 1 << 59: give edu a 64-bit dma_mask (its default is 28 bits).
	 */
	shift = __builtin_ctzll(info.ddw.pgsizes);
	pass("tce-info", "32-bit window 0x%x+0x%x, %u windows, page sizes 0x%llx",
	     info.dma32_window_start, info.dma32_window_size, info.ddw.max_dynamic_windows_supported,
	     (unsigned long long)info.ddw.pgsizes);

	reg.vaddr = (uintptr_t)buf;
	reg.size = len;
	if (ioctl(container, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, &reg)) {
		fail("register-memory", "%s", strerror(errno));
		return 1;
	}
	pass("register-memory", "%llu bytes", (unsigned long long)len);

	create.page_shift = shift;
	create.window_size = 1ULL << 28;
	create.levels = 1;
	if (ioctl(container, VFIO_IOMMU_SPAPR_TCE_CREATE, &create)) {
		fail("create-window", "VFIO_IOMMU_SPAPR_TCE_CREATE (page shift %u): %s",
		     shift, strerror(errno));
		return 1;
	}
	pass("create-window", "256 MiB at 0x%llx, %u-byte TCEs",
	     (unsigned long long)create.start_addr, 1u << shift);

	map.vaddr = (uintptr_t)buf;
	map.iova = create.start_addr + IOVA_BASE;
	map.size = len < (1ULL << shift) ? 1ULL << shift : len;
	map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	if (map.size > len) {
		fail("map-dma", "IOMMU page 0x%x larger than the buffer", 1u << shift);
		return 1;
	}
	if (ioctl(container, VFIO_IOMMU_MAP_DMA, &map)) {
		fail("map-dma", "VFIO_IOMMU_MAP_DMA: %s", strerror(errno));
		return 1;
	}
	pass("map-dma", "%llu bytes at IOVA 0x%llx", (unsigned long long)map.size,
	     (unsigned long long)map.iova);
	if (group_device(&e, group, bdf))
		return 1;

	check_id(&e, "edu-id");
	check_roundtrip(&e, buf, map.iova, "dma-roundtrip");
	check_fault(&e, create.start_addr + IOVA_UNMAPPED, buf + PAGE, "dma-unmapped-faults");

	unmap.iova = map.iova;
	unmap.size = map.size;
	if (ioctl(container, VFIO_IOMMU_UNMAP_DMA, &unmap))
		fail("unmap-dma", "VFIO_IOMMU_UNMAP_DMA: %s", strerror(errno));
	else
		pass("unmap-dma", "%llu bytes", (unsigned long long)unmap.size);
	check_fault(&e, map.iova + PAGE, buf + PAGE, "dma-after-unmap-faults");

	remove.start_addr = create.start_addr;
	if (ioctl(container, VFIO_IOMMU_SPAPR_TCE_REMOVE, &remove))
		fail("remove-window", "%s", strerror(errno));
	else
		pass("remove-window", "window at 0x%llx removed",
		     (unsigned long long)create.start_addr);
	if (ioctl(container, VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, &reg))
		fail("unregister-memory", "%s", strerror(errno));
	close_edu(&e);
	close(group);
	close(container);
	return 0;
}

/* Poll for @path every 20 ms, for at most @seconds; 0 once it exists. */
static int wait_file(const char *path, int seconds)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	int i;

	for (i = 0; i < seconds * 50; i++) {
		if (!access(path, F_OK))
			return 0;
		nanosleep(&ts, NULL);
	}
	return -1;
}

/*
 * Hold a group open and in use while the scenario does something else
 * (hot-plug storms): everything stays set up until @stop exists, and the
 * device must still do DMA through the same mapping afterwards.
 */
static int run_hold(const char *bdf, const char *ready, const char *stop)
{
	int container = open_container(), group = open_group(bdf, "group");
	int id = group_of(bdf), fd;
	uint8_t *buf = dma_buffer();
	struct edu e;

	if (container < 0 || group < 0 || !buf)
		return 1;
	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) ||
	    ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) ||
	    type1_map(container, buf, IOVA_BASE)) {
		fail("held", "set container, type1v2, map: %s", strerror(errno));
		return 1;
	}
	if (open_edu(&e, ioctl(group, VFIO_GROUP_GET_DEVICE_FD, bdf))) {
		fail("held", "device fd of %s: %s", bdf, strerror(errno));
		return 1;
	}
	check_roundtrip(&e, buf, IOVA_BASE, "dma-before");
	fd = open(ready, O_WRONLY | O_CREAT, 0644);
	if (fd < 0) {
		fail("held", "create %s: %s", ready, strerror(errno));
		return 1;
	}
	close(fd);
	pass("held", "group %d of %s open, in a container, device fd open", id, bdf);

	if (wait_file(stop, 900))
		fail("released", "%s did not appear within 900 s", stop);
	else
		pass("released", "%s appeared", stop);
	if (group_of(bdf) != id)
		fail("same-group", "%s now in group %d, was %d", bdf, group_of(bdf), id);
	else
		pass("same-group", "%s still in group %d", bdf, id);
	if (!viable(group))
		fail("still-viable", "group %d no longer viable", id);
	else
		pass("still-viable", "group %d viable", id);
	check_id(&e, "edu-id-after");
	check_roundtrip(&e, buf, IOVA_BASE, "dma-after");

	close_edu(&e);
	close(group);
	close(container);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: vfio-edu [-p PREFIX] [-N WHY] COMMAND BDF...\n"
		"  type1 BDF              container + type1v2 round trip and faults\n"
		"  share BDF1 BDF2        two groups in one container\n"
		"  reopen BDF             one open of a group at a time\n"
		"  nonviable BDF HOST     group not viable while HOST has a driver\n"
		"  iommufd BDF [BDF2]     round trip through /dev/iommu and the cdev\n"
		"  reach -E refuse|allow BDF HOST\n"
		"                         BDF's group reaches HOST's one way\n"
		"  claimbusy BDF          the binder refuses a group a user owns\n"
		"  spapr BDF              POWER: sPAPR TCE v2 window, map, round trip\n"
		"  hold BDF READY STOP    hold the group in use from READY until STOP\n"
		"  -p PREFIX  prefix of the result names (default vfio)\n"
		"  -N WHY     the IOMMU logs no faults here: report the fault\n"
		"             checks as skipped, giving WHY\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *cmd, *expect = NULL;
	int opt, n;

	while ((opt = getopt(argc, argv, "p:N:E:")) != -1) {
		if (opt == 'p')
			prefix = optarg;
		else if (opt == 'N')
			no_fault_log = optarg;
		else if (opt == 'E' && (!strcmp(optarg, "refuse") || !strcmp(optarg, "allow")))
			expect = optarg;
		else
			usage();
	}
	if (optind >= argc)
		usage();
	cmd = argv[optind];
	n = argc - optind - 1;
	argv += optind + 1;
	if (!strcmp(cmd, "type1") && n == 1)
		run_type1(argv[0]);
	else if (!strcmp(cmd, "share") && n == 2)
		run_share(argv[0], argv[1]);
	else if (!strcmp(cmd, "reopen") && n == 1)
		run_reopen(argv[0]);
	else if (!strcmp(cmd, "nonviable") && n == 2)
		run_nonviable(argv[0], argv[1]);
	else if (!strcmp(cmd, "reach") && n == 2 && expect)
		run_reach(!strcmp(expect, "refuse"), argv[0], argv[1]);
	else if (!strcmp(cmd, "claimbusy") && n == 1)
		run_claimbusy(argv[0]);
	else if (!strcmp(cmd, "spapr") && n == 1)
		run_spapr(argv[0]);
	else if (!strcmp(cmd, "iommufd") && (n == 1 || n == 2))
		run_iommufd(n, argv);
	else if (!strcmp(cmd, "hold") && n == 3)
		run_hold(argv[0], argv[1], argv[2]);
	else
		usage();
	return failures ? 1 : 0;
}

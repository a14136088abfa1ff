// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-edu: drive QEMU's "edu" device (1234:11e8) from userspace through
 * VFIO, to prove that the IOMMU group handed out by the kernel really
 * isolates the device.
 *
 *   vfio-edu [-p PREFIX] [-N WHY] type1 BDF
 *
 * type1: open the device's group through the legacy container interface,
 * map two pages with VFIO_TYPE1v2_IOMMU, read the edu ID register, run a
 * DMA round trip RAM -> device -> RAM through the IOMMU and compare the
 * bytes, then aim a DMA at an unmapped IOVA and check that it faults (the
 * IOMMU driver logs the address) and leaves memory alone.
 *
 * Every check prints one line "@@result PREFIX-NAME pass|fail|skip DETAIL"
 * for the harness; the exit status is 0 only when nothing failed.
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
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

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
};

static uint64_t edu_read(struct edu *e, unsigned int reg, int size)
{
	uint64_t v = 0;

	if (e->mmio)
		return size == 8 ? *(volatile uint64_t *)(e->mmio + reg) :
				   *(volatile uint32_t *)(e->mmio + reg);
	if (pread(e->device, &v, size, e->bar0.offset + reg) != size)
		return ~0ULL;
	return v;
}

static void edu_write(struct edu *e, unsigned int reg, uint64_t v, int size)
{
	uint32_t v32 = v;

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

/* Read the ID register, then the DMA round trip and the fault check. */
static void edu_checks(struct edu *e, uint8_t *buf, uint64_t iova)
{
	uint8_t *src = buf, *dst = buf + PAGE;
	char line[1024];
	uint32_t id;
	int i, kmsg;

	id = edu_read(e, EDU_ID, 4);
	if ((id & 0xff) == EDU_ID_MAGIC)
		pass("edu-id", "id=0x%08x", id);
	else
		fail("edu-id", "id=0x%08x, expected 0x......%02x", id, EDU_ID_MAGIC);

	if (enable_bus_master(e)) {
		fail("bus-master", "config write: %s", strerror(errno));
		return;
	}

	for (i = 0; i < XFER; i++)
		src[i] = (uint8_t)(i * 7 + 3);
	memset(dst, 0, PAGE);
	if (edu_dma(e, iova, EDU_BUF, XFER, 0) || edu_dma(e, EDU_BUF, iova + PAGE, XFER, 1))
		fail("dma-roundtrip", "edu DMA engine did not finish");
	else if (memcmp(src, dst, XFER))
		fail("dma-roundtrip", "bytes differ after RAM->edu->RAM (dst[0]=0x%02x)", dst[0]);
	else
		pass("dma-roundtrip", "%d bytes RAM->edu->RAM through IOVA 0x%llx", XFER,
		     (unsigned long long)iova);

	/* A DMA to an IOVA nothing is mapped at must fault, not land. */
	memset(dst, 0x5a, PAGE);
	kmsg = kmsg_open();
	if (edu_dma(e, EDU_BUF, IOVA_UNMAPPED, XFER, 1)) {
		fail("dma-unmapped-faults", "edu DMA engine did not finish");
	} else if (no_fault_log) {
		result("dma-unmapped-faults", "skip", "%s", no_fault_log);
	} else if (kmsg < 0) {
		fail("dma-unmapped-faults", "cannot read /dev/kmsg: %s", strerror(errno));
	} else if (kmsg_find_fault(kmsg, IOVA_UNMAPPED, line, sizeof(line))) {
		fail("dma-unmapped-faults", "no IOMMU fault logged for IOVA 0x%llx",
		     (unsigned long long)IOVA_UNMAPPED);
	} else {
		pass("dma-unmapped-faults", "%s", line);
	}
	for (i = 0; i < PAGE && dst[i] == 0x5a; i++)
		;
	if (i == PAGE)
		pass("dma-unmapped-no-write", "mapped memory unchanged");
	else
		fail("dma-unmapped-no-write", "byte %d changed to 0x%02x", i, dst[i]);
	if (kmsg >= 0)
		close(kmsg);
}

static int open_edu(struct edu *e, int device)
{
	e->device = device;
	e->mmio = NULL;
	if (region_info(device, VFIO_PCI_BAR0_REGION_INDEX, &e->bar0) ||
	    region_info(device, VFIO_PCI_CONFIG_REGION_INDEX, &e->config))
		return -1;
	if (e->bar0.flags & VFIO_REGION_INFO_FLAG_MMAP) {
		void *p = mmap(NULL, e->bar0.size, PROT_READ | PROT_WRITE,
			       MAP_SHARED, device, e->bar0.offset);

		if (p != MAP_FAILED)
			e->mmio = p;
	}
	return 0;
}

static int run_type1(const char *bdf)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };
	struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap) };
	char path[64];
	int container, group, device, id;
	struct edu e;
	uint8_t *buf;

	id = group_of(bdf);
	if (id < 0) {
		fail("group", "%s has no iommu_group link", bdf);
		return 1;
	}
	container = open("/dev/vfio/vfio", O_RDWR);
	if (container < 0) {
		fail("container", "open /dev/vfio/vfio: %s", strerror(errno));
		return 1;
	}
	if (ioctl(container, VFIO_GET_API_VERSION) != VFIO_API_VERSION ||
	    ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) != 1) {
		fail("container", "no VFIO API %d with type1v2", VFIO_API_VERSION);
		return 1;
	}
	snprintf(path, sizeof(path), "/dev/vfio/%d", id);
	group = open(path, O_RDWR);
	if (group < 0) {
		fail("group", "open %s: %s", path, strerror(errno));
		return 1;
	}
	pass("group", "%s is in group %d, %s opened", bdf, id, path);

	if (ioctl(group, VFIO_GROUP_GET_STATUS, &status) ||
	    !(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		fail("viable", "group %d not viable (flags 0x%x)", id, status.flags);
		return 1;
	}
	pass("viable", "group %d viable", id);

	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) ||
	    ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU)) {
		fail("set-iommu", "%s", strerror(errno));
		return 1;
	}
	buf = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		fail("map-dma", "mmap: %s", strerror(errno));
		return 1;
	}
	map.vaddr = (uintptr_t)buf;
	map.iova = IOVA_BASE;
	map.size = 2 * PAGE;
	map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	if (ioctl(container, VFIO_IOMMU_MAP_DMA, &map)) {
		fail("map-dma", "VFIO_IOMMU_MAP_DMA: %s", strerror(errno));
		return 1;
	}
	pass("map-dma", "2 pages at IOVA 0x%llx", (unsigned long long)IOVA_BASE);

	device = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (device < 0 || open_edu(&e, device)) {
		fail("device-fd", "%s: %s", bdf, strerror(errno));
		return 1;
	}
	pass("device-fd", "BAR0 %llu bytes%s", (unsigned long long)e.bar0.size,
	     e.mmio ? ", mmap" : "");

	edu_checks(&e, buf, IOVA_BASE);

	unmap.iova = IOVA_BASE;
	unmap.size = 2 * PAGE;
	if (ioctl(container, VFIO_IOMMU_UNMAP_DMA, &unmap) || unmap.size != 2 * PAGE)
		fail("unmap-dma", "%s (unmapped %llu)", strerror(errno),
		     (unsigned long long)unmap.size);
	else
		pass("unmap-dma", "2 pages");
	close(device);
	close(group);
	close(container);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: vfio-edu [-p PREFIX] [-N WHY] type1 BDF\n"
		"  -p PREFIX  prefix of the result names (default vfio)\n"
		"  -N WHY     the IOMMU logs no faults here: report the fault\n"
		"             check as skipped, giving WHY\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int opt;

	while ((opt = getopt(argc, argv, "p:N:")) != -1) {
		if (opt == 'p')
			prefix = optarg;
		else if (opt == 'N')
			no_fault_log = optarg;
		else
			usage();
	}
	if (argc - optind != 2)
		usage();
	if (!strcmp(argv[optind], "type1"))
		run_type1(argv[optind + 1]);
	else
		usage();
	return failures ? 1 : 0;
}

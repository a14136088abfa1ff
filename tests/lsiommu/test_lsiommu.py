#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Tests for lsiommu (tools/iommu) against fake sysfs and proc trees.

lsiommu is built from LSIOMMU_SRC (default: the series tree's tools/iommu)
with plain gcc into a temporary directory, then run with --sysfs/--proc
pointing at trees made here: a series kernel with every attribute, a reach
pair below a switch, groups iommu_group.isolate= would split or has split,
an upstream kernel without the new attributes, and broken trees.  Standard
library only.

    python3 -m unittest -v tests/lsiommu/test_lsiommu.py
    LSIOMMU_SRC=/path/to/linux/tools/iommu python3 tests/lsiommu/test_lsiommu.py
"""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

SRC = os.environ.get("LSIOMMU_SRC",
                     "/work/main/build/series/linux/tools/iommu")
BIN = None          # built once in setUpModule
TMP = None          # the binary
TREES = None        # the fake trees: on tmpfs where there is one
STATIC = False      # BIN was built with the guest's flags

EXIT_OK, EXIT_RUNTIME, EXIT_USAGE, EXIT_NOTFOUND = 0, 1, 2, 3
EXIT_REFUSED, EXIT_KERNEL, EXIT_UNSUPPORTED = 4, 5, 6

PCI_IDS = "#" + "x" * 1022 + "10de  Not a vendor: the rest of a long line\n" + """\
# A few entries in the format of pci.ids, as lspci reads it.
1234  Technical Corp.
\t1111  QEMU Virtual Video Controller
\t11e8  Education device
1af4  Red Hat, Inc.
\t1000  Virtio network device
\t1001  Virtio block device
\t\t1af4 0002  QEMU Virtual Machine
10de  NVIDIA Corporation
\t1aef  GA102 High Definition Audio Controller
\t2206  GA102 [GeForce RTX 3080]
1b36  Red Hat, Inc.
\t000c  QEMU PCIe Root port
\t0010  QEMU NVM Express Controller
8086  Intel Corporation
\t10d3  82574L Gigabit Network Connection
\t29c0  82G33/G31/P35/P31 Express DRAM Controller
C 00  Unclassified device
\t00  Non-VGA unclassified device
C 01  Mass storage controller
\t00  SCSI storage controller
\t08  Non-Volatile memory controller
\t\t02  NVM Express
C 02  Network controller
\t00  Ethernet controller
C 03  Display controller
\t00  VGA compatible controller
C 04  Multimedia controller
\t03  Audio device
C 06  Bridge
\t00  Host bridge
\t04  PCI bridge
C 07  Communication controller
C 0c  Serial bus controller
\t03  USB controller
C ff  Unassigned class
"""


def setUpModule():
    """Build as the guest initramfs does (static, -Werror); without a
    static libc, dynamically with the same warnings."""
    global BIN, TMP, TREES, STATIC
    TMP = tempfile.mkdtemp(prefix="lsiommu-test-")
    shm = "/dev/shm"
    TREES = tempfile.mkdtemp(
        prefix="lsiommu-trees-", dir=shm if os.access(shm, os.W_OK) else TMP)
    src = os.path.join(SRC, "lsiommu.c")
    if not os.path.exists(src):
        raise unittest.SkipTest("no %s (set LSIOMMU_SRC)" % src)
    BIN = os.path.join(TMP, "lsiommu")
    flags = ["-O2", "-Wall", "-Wextra", "-Werror", "-o", BIN, src]
    r = subprocess.run(["gcc", "-static", "-isystem", "/usr/include"] + flags,
                       capture_output=True, text=True)
    STATIC = r.returncode == 0
    if not STATIC and "-lc" not in r.stderr:
        raise AssertionError("gcc -static failed:\n" + r.stderr)
    if not STATIC:
        subprocess.run(["gcc"] + flags, check=True)


def tearDownModule():
    for d in (TREES, TMP):
        if d:
            shutil.rmtree(d, ignore_errors=True)


class FakeTree:
    """A fake /sys and /proc below one root, built like the kernel's."""

    def __init__(self, root, series=True):
        self.root = root
        self.series = series        # the new group attributes exist
        self.paths = {}             # PCI address -> sysfs directory
        for d in ("sys/devices/pci0000:00", "sys/bus/pci/devices",
                  "sys/bus/pci/drivers", "sys/kernel/iommu_groups",
                  "sys/class/block", "sys/class/net", "sys/class/graphics",
                  "proc/self", "proc/net"):
            os.makedirs(self.p(d), exist_ok=True)
        self.write("proc/self/mountinfo",
                   "22 1 0:21 / /proc rw - proc proc rw\n")
        self.write("proc/net/route",
                   "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\t"
                   "Metric\tMask\tMTU\tWindow\tIRTT\n")
        self.write("proc/swaps",
                   "Filename\tType\tSize\tUsed\tPriority\n")

    def p(self, rel):
        return os.path.join(self.root, rel)

    def write(self, rel, text):
        path = self.p(rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)

    def read(self, rel):
        with open(self.p(rel)) as f:
            return f.read()

    def link(self, rel, target_rel):
        """Relative symlink at rel to target_rel, like sysfs makes."""
        path = self.p(rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        os.symlink(os.path.relpath(self.p(target_rel), os.path.dirname(path)),
                   path)

    def pci(self, addr, vendor, device, cls, driver=None, parent=None,
            group=None, boot_vga=None, bus="pci0000:00"):
        base = self.paths[parent] if parent else "sys/devices/" + bus
        d = os.path.join(base, addr)
        self.paths[addr] = d
        self.write(d + "/vendor", "0x%04x\n" % vendor)
        self.write(d + "/device", "0x%04x\n" % device)
        self.write(d + "/class", "0x%06x\n" % cls)
        if boot_vga is not None:
            self.write(d + "/boot_vga", "%d\n" % boot_vga)
        if driver:
            os.makedirs(self.p("sys/bus/pci/drivers/" + driver),
                        exist_ok=True)
            self.link(d + "/driver", "sys/bus/pci/drivers/" + driver)
        self.link("sys/bus/pci/devices/" + addr, d)
        if group is not None:
            self.join(group, addr)
        return d

    def group(self, gid, reason=None, type_="DMA", claim="",
              dma_owner=None, reaches=None, reached_by=None,
              regions="0x00000000fee00000 0x00000000feefffff msi\n"):
        g = "sys/kernel/iommu_groups/%d" % gid
        os.makedirs(self.p(g + "/devices"), exist_ok=True)
        if type_ is not None:
            self.write(g + "/type", type_ + "\n")
        if regions is not None:
            self.write(g + "/reserved_regions", regions)
        if not self.series:
            return g
        self.write(g + "/reason", (reason or "isolated") + "\n")
        if claim is not None:
            self.write(g + "/driver_override", claim + "\n")
        if dma_owner is not None:
            self.write(g + "/dma_owner", dma_owner + "\n")
        self.write(g + "/reaches", "".join(
            "%d %s\n" % r for r in (reaches or [])))
        self.write(g + "/reached_by", "".join(
            "%d %s\n" % r for r in (reached_by or [])))
        return g

    def join(self, gid, addr, name=None):
        g = "sys/kernel/iommu_groups/%d" % gid
        self.link(g + "/devices/" + (name or addr), self.paths[addr])
        self.link(self.paths[addr] + "/iommu_group", g)

    def block(self, name, addr, dev, parts=(), sub="nvme/nvme0"):
        d = "%s/%s/block/%s" % (self.paths[addr], sub, name)
        self.write(d + "/dev", dev + "\n")
        self.link("sys/class/block/" + name, d)
        for part, pdev in parts:
            self.write(d + "/%s/dev" % part, pdev + "\n")
            self.link("sys/class/block/" + part, d + "/" + part)

    def virtual_block(self, name, dev, slaves, dm_name=None):
        d = "sys/devices/virtual/block/" + name
        self.write(d + "/dev", dev + "\n")
        if dm_name:
            self.write(d + "/dm/name", dm_name + "\n")
        for s in slaves:
            self.link(d + "/slaves/" + s, os.path.realpath(
                self.p("sys/class/block/" + s))[len(self.root) + 1:])
        self.link("sys/class/block/" + name, d)

    def mount(self, dev, point, source, fstype="ext4"):
        with open(self.p("proc/self/mountinfo"), "a") as f:
            f.write("30 1 %s / %s rw,relatime shared:1 - %s %s rw\n"
                    % (dev, point, fstype, source))

    def net(self, ifname, addr=None, up=True, lower=()):
        if addr:
            d = "%s/net/%s" % (self.paths[addr], ifname)
            self.link(d + "/device", self.paths[addr])
        else:
            d = "sys/devices/virtual/net/" + ifname
        self.write(d + "/flags", "0x1003\n" if up else "0x1002\n")
        for low in lower:
            self.link(d + "/lower_" + low, os.path.realpath(
                self.p("sys/class/net/" + low))[len(self.root) + 1:])
        self.link("sys/class/net/" + ifname, d)

    def default_route(self, ifname):
        with open(self.p("proc/net/route"), "a") as f:
            f.write("%s\t00000000\t0102A8C0\t0003\t0\t0\t100\t00000000\t"
                    "0\t0\t0\n" % ifname)

    def fb(self, name, addr):
        d = "%s/graphics/%s" % (self.paths[addr], name)
        self.write(d + "/dev", "29:0\n")
        self.link("sys/class/graphics/" + name, d)


def series_tree(root):
    """A series kernel: every attribute, a mix of groups."""
    t = FakeTree(root)
    t.group(0, dma_owner="none")
    t.pci("0000:00:00.0", 0x8086, 0x29c0, 0x060000, group=0)
    # The intel-binder scenario's multifunction group.
    t.group(1, reason="multifunction 0000:00:05 without ACS",
            dma_owner="kernel 0000:00:05.1=virtio-pci")
    t.pci("0000:00:05.0", 0x1234, 0x11e8, 0x00ff00, group=1)
    t.pci("0000:00:05.1", 0x1af4, 0x1001, 0x010000, "virtio-pci", group=1)
    # The boot VGA with the console framebuffer.
    t.group(2, dma_owner="kernel 0000:00:02.0=bochs-drm")
    t.pci("0000:00:02.0", 0x1234, 0x1111, 0x030000, "bochs-drm", group=2,
          boot_vga=1)
    t.fb("fb0", "0000:00:02.0")
    # Root port and the NVMe that holds the root filesystem.
    t.group(3, dma_owner="none")
    t.pci("0000:00:10.0", 0x1b36, 0x000c, 0x060400, "pcieport", group=3)
    t.group(4, dma_owner="kernel 0000:01:00.0=nvme")
    t.pci("0000:01:00.0", 0x1b36, 0x0010, 0x010802, "nvme",
          parent="0000:00:10.0", group=4)
    t.block("nvme0n1", "0000:01:00.0", "259:0",
            parts=[("nvme0n1p1", "259:1"), ("nvme0n1p2", "259:2")])
    t.mount("259:2", "/", "/dev/nvme0n1p2")
    # Root port and the NIC that carries the default route.
    t.group(5, dma_owner="none")
    t.pci("0000:00:11.0", 0x1b36, 0x000c, 0x060400, "pcieport", group=5)
    t.group(6, dma_owner="kernel 0000:02:00.0=e1000e")
    t.pci("0000:02:00.0", 0x8086, 0x10d3, 0x020000, "e1000e",
          parent="0000:00:11.0", group=6)
    t.net("eth0", "0000:02:00.0")
    t.default_route("eth0")
    # A GPU and its audio function, claimed for vfio-pci.
    t.group(7, reason="multifunction 0000:03:00 without ACS",
            claim="vfio-pci", dma_owner="none")
    t.pci("0000:00:12.0", 0x1b36, 0x000c, 0x060400, "pcieport", group=8)
    t.pci("0000:03:00.0", 0x10de, 0x2206, 0x030000, "vfio-pci",
          parent="0000:00:12.0", group=7)
    t.pci("0000:03:00.1", 0x10de, 0x1aef, 0x040300, "vfio-pci",
          parent="0000:00:12.0", group=7)
    t.group(8, dma_owner="none")
    # Three functions, two with host drivers: every blocker is listed.
    t.group(9, reason="multifunction 0000:00:06 without ACS",
            dma_owner="kernel 0000:00:06.0=e1000e 0000:00:06.2=snd_hda_intel")
    t.pci("0000:00:06.0", 0x8086, 0x10d3, 0x020000, "e1000e", group=9)
    t.pci("0000:00:06.1", 0x1234, 0x11e8, 0x00ff00, "vfio-pci", group=9)
    t.pci("0000:00:06.2", 0x8086, 0x293e, 0x040300, "snd_hda_intel", group=9)
    # A direct-mapped region (RMRR) and a relaxable one.
    t.group(10, dma_owner="none", regions=(
        "0x00000000000a0000 0x00000000000bffff direct\n"
        "0x00000000fee00000 0x00000000feefffff msi\n"))
    t.pci("0000:00:07.0", 0x1234, 0x11e8, 0x00ff00, group=10)
    t.group(11, dma_owner="kernel 0000:00:14.0=xhci_hcd", regions=(
        "0x000000007b800000 0x000000007fffffff direct-relaxable\n"))
    t.pci("0000:00:14.0", 0x8086, 0xa36d, 0x0c0330, "xhci_hcd", group=11)
    # Owned by userspace through VFIO.
    t.group(12, claim="vfio-pci", dma_owner="user")
    t.pci("0000:00:08.0", 0x1234, 0x11e8, 0x00ff00, "vfio-pci", group=12)
    return t


def reach_tree(root):
    """The intel-reach scenario: one-way reach below a switch."""
    t = FakeTree(root)
    t.group(0, dma_owner="none")
    t.pci("0000:00:10.0", 0x1b36, 0x000c, 0x060400, "pcieport", group=0)
    t.group(1, dma_owner="none")
    t.pci("0000:01:00.0", 0x104c, 0x8232, 0x060400, "pcieport",
          parent="0000:00:10.0", group=1)
    t.group(2, dma_owner="none")
    t.pci("0000:02:00.0", 0x1b36, 0x000c, 0x060400, "pcieport",
          parent="0000:01:00.0", group=2)
    t.group(3, reason="below 0000:01:00.0: port 0000:02:01.0 without ACS",
            dma_owner="none",
            reaches=[(5, "0000:02:01.0"), (6, "0000:02:01.0")])
    t.pci("0000:02:01.0", 0x1b36, 0x000c, 0x060400, "pcieport",
          parent="0000:01:00.0", group=3)
    t.pci("0000:04:00.0", 0x1234, 0x11e8, 0x00ff00, "vfio-pci",
          parent="0000:02:01.0", group=3)
    t.group(4, dma_owner="none")
    t.pci("0000:02:02.0", 0x1b36, 0x000c, 0x060400, "pcieport",
          parent="0000:01:00.0", group=4)
    t.group(5, reason="isolated, reached one way through 0000:02:01.0",
            dma_owner="kernel 0000:03:00.0=virtio-pci",
            reached_by=[(3, "0000:02:01.0")])
    t.pci("0000:03:00.0", 0x1af4, 0x1005, 0x00ff00, "virtio-pci",
          parent="0000:02:00.0", group=5)
    t.group(6, dma_owner="none", reached_by=[(3, "0000:02:01.0")])
    t.pci("0000:05:00.0", 0x1234, 0x11e8, 0x00ff00, "vfio-pci",
          parent="0000:02:02.0", group=6)
    return t


def isolate_tree(root):
    """Groups the switch, multifunction and port rules made, for
    iommu_group.isolate= (the intel-isolate scenario before and after)."""
    t = FakeTree(root)
    # A switch whose three downstream ports lack ACS: one group.
    t.group(0, dma_owner="none")
    t.pci("0000:00:10.0", 0x1b36, 0x000c, 0x060400, "pcieport", group=0)
    t.group(1, dma_owner="none")
    t.pci("0000:01:00.0", 0x104c, 0x8232, 0x060400, "pcieport",
          parent="0000:00:10.0", group=1)
    t.group(2, reason="below 0000:01:00.0: downstream port 0000:02:00.0 "
            "without ACS", dma_owner="kernel 0000:05:00.1=e1000e")
    for port in ("0000:02:00.0", "0000:02:01.0", "0000:02:02.0"):
        t.pci(port, 0x104c, 0x8233, 0x060400, "pcieport",
              parent="0000:01:00.0", group=2)
    t.pci("0000:03:00.0", 0x10de, 0x2206, 0x030000, parent="0000:02:00.0",
          group=2)
    t.pci("0000:04:00.0", 0x1234, 0x11e8, 0x00ff00, parent="0000:02:01.0",
          group=2)
    t.pci("0000:05:00.0", 0x8086, 0x10d3, 0x020000, parent="0000:02:02.0",
          group=2)
    t.pci("0000:05:00.1", 0x8086, 0x10d3, 0x020000, "e1000e",
          parent="0000:02:02.0", group=2)
    # A multifunction device without ACS: no driver, so 00:05.2 is a
    # bridge to ISA, which counts as a device.
    t.group(3, reason="multifunction 0000:00:05 without ACS",
            dma_owner="none")
    t.pci("0000:00:05.0", 0x1234, 0x11e8, 0x00ff00, group=3)
    t.pci("0000:00:05.1", 0x1af4, 0x1001, 0x010000, group=3)
    t.pci("0000:00:05.2", 0x8086, 0x2918, 0x060100, group=3)
    # A root port without ACS: its subtree is the group.
    t.group(4, reason="below 0000:00:1c.0: root port without ACS",
            dma_owner="none")
    t.pci("0000:00:1c.0", 0x8086, 0x2940, 0x060400, "pcieport", group=4)
    t.pci("0000:06:00.0", 0x1234, 0x11e8, 0x00ff00, parent="0000:00:1c.0",
          group=4)
    # What the scenario's isolate=0000:02:00.0,00:05.1 makes of them.
    t.group(5, reason="isolated; split by iommu_group.isolate=0000:22:00.0; "
            "reached one way through 0000:22:01.0 (port without ACS)",
            dma_owner="none")
    t.pci("0000:20:00.0", 0x1b36, 0x000c, 0x060400, "pcieport", group=6)
    t.pci("0000:21:00.0", 0x104c, 0x8232, 0x060400, "pcieport",
          parent="0000:20:00.0", group=6)
    t.pci("0000:22:00.0", 0x104c, 0x8233, 0x060400, "pcieport",
          parent="0000:21:00.0", group=7)
    t.pci("0000:23:00.0", 0x1234, 0x11e8, 0x00ff00, parent="0000:22:00.0",
          group=5)
    t.group(6, dma_owner="none")
    t.group(7, reason="below 0000:21:00.0: downstream port 0000:22:01.0 "
            "without ACS; split by iommu_group.isolate=0000:22:00.0,"
            "0000:00:07.1", dma_owner="none")
    for port in ("0000:22:01.0", "0000:22:02.0"):
        t.pci(port, 0x104c, 0x8233, 0x060400, "pcieport",
              parent="0000:21:00.0", group=7)
    t.pci("0000:24:00.0", 0x1234, 0x11e8, 0x00ff00, parent="0000:22:01.0",
          group=7)
    t.pci("0000:25:00.0", 0x1234, 0x11e8, 0x00ff00, parent="0000:22:02.0",
          group=7)
    # A chipset: a multifunction device whose third function is the
    # switch's upstream port, with a function on the internal bus and a
    # DMA alias beside it that no entry splits off.
    t.group(8, reason="multifunction 0000:30:00 without ACS",
            dma_owner="none")
    t.pci("0000:00:1d.0", 0x1b36, 0x000c, 0x060400, "pcieport", group=9)
    t.pci("0000:30:00.0", 0x1022, 0x43f7, 0x0c0330, parent="0000:00:1d.0",
          group=8)
    t.pci("0000:30:00.2", 0x1022, 0x43f4, 0x060400, "pcieport",
          parent="0000:00:1d.0", group=8)
    t.pci("0000:30:01.0", 0x1234, 0x11e8, 0x00ff00, parent="0000:00:1d.0",
          group=8)
    t.pci("0000:31:00.0", 0x1022, 0x43f5, 0x060400, "pcieport",
          parent="0000:30:00.2", group=8)
    t.pci("0000:32:00.0", 0x1b36, 0x0010, 0x010802, parent="0000:31:00.0",
          group=8)
    t.group(9, dma_owner="none")
    t.group(10, reason="below 0000:40:00.0: downstream port 0000:41:00.0 "
            "without ACS", dma_owner="none")
    t.pci("0000:00:1e.0", 0x1b36, 0x000c, 0x060400, "pcieport", group=11)
    t.pci("0000:40:00.0", 0x104c, 0x8232, 0x060400, "pcieport",
          parent="0000:00:1e.0", group=12)
    t.pci("0000:41:00.0", 0x104c, 0x8233, 0x060400, "pcieport",
          parent="0000:40:00.0", group=10)
    t.pci("0000:41:08.0", 0x1022, 0x43f7, 0x0c0330,
          parent="0000:40:00.0", group=10)
    t.pci("0000:42:00.0", 0x1234, 0x11e8, 0x00ff00, parent="0000:41:00.0",
          group=10)
    t.group(11, dma_owner="none")
    t.group(12, dma_owner="none")
    # Two root ports without ACS, functions of one device: the group of
    # the first holds the second and what is below it too.
    t.group(13, reason="below 0000:00:1b.0: root port without ACS",
            dma_owner="none")
    t.pci("0000:00:1b.0", 0x8086, 0x2940, 0x060400, "pcieport", group=13)
    t.pci("0000:00:1b.4", 0x8086, 0x2948, 0x060400, "pcieport", group=13)
    t.pci("0000:50:00.0", 0x1234, 0x11e8, 0x00ff00, parent="0000:00:1b.0",
          group=13)
    t.pci("0000:51:00.0", 0x1b36, 0x0010, 0x010802, parent="0000:00:1b.4",
          group=13)
    return t


def upstream_tree(root):
    """Linux 6.12 as released: no reason, claim, dma_owner or reach."""
    t = FakeTree(root, series=False)
    t.group(0)
    t.pci("0000:00:00.0", 0x8086, 0x29c0, 0x060000, group=0)
    t.group(1)
    t.pci("0000:00:05.0", 0x1234, 0x11e8, 0x00ff00, "vfio-pci", group=1)
    t.pci("0000:00:05.1", 0x1af4, 0x1001, 0x010000, "virtio-pci", group=1)
    t.pci("0000:00:05.2", 0x8086, 0x10d3, 0x020000, "e1000e", group=1)
    t.group(2)
    t.pci("0000:00:06.0", 0x15b3, 0x101e, 0x020000, "mlx5_vfio_pci", group=2)
    t.group(3)
    t.pci("0000:00:07.0", 0x1234, 0x11e8, 0x00ff00, "pci-stub", group=3)
    t.group(4)
    t.pci("0000:00:10.0", 0x1b36, 0x000c, 0x060400, "pcieport", group=4)
    t.pci("0000:01:00.0", 0x1234, 0x11e8, 0x00ff00, parent="0000:00:10.0",
          group=4)
    t.group(5)
    t.pci("0000:00:08.0", 0x1af4, 0x1041, 0x020000, "virtio-vfio-pci",
          group=5)
    t.pci("0000:00:08.1", 0x1234, 0x11e8, 0x00ff00, "vfio-pci-core-test",
          group=5)
    return t


class Base(unittest.TestCase):
    tree = None     # a function building the tree, or None

    def setUp(self):
        self.root = tempfile.mkdtemp(dir=TREES)
        self.ids = os.path.join(self.root, "pci.ids")
        with open(self.ids, "w") as f:
            f.write(PCI_IDS)
        self.rules = os.path.join(self.root, "80-lsiommu-claim.rules")
        self.t = type(self).tree(self.root) if type(self).tree else None

    def run_ls(self, *args, env=None, names=False):
        e = dict(os.environ)
        for k in list(e):
            if k.startswith("LSIOMMU_"):
                del e[k]
        # Names only where a test asks for them: no host pci.ids.
        e["LSIOMMU_PCI_IDS"] = self.ids if names else "/nonexistent"
        e["LSIOMMU_UDEV_RULES"] = self.rules
        e.update(env or {})
        cmd = [BIN]
        if "LSIOMMU_SYSFS" not in (env or {}):
            cmd += ["--sysfs", self.root, "--proc", self.root]
        r = subprocess.run(cmd + list(args), capture_output=True, text=True,
                           env=e, timeout=10)
        return r.returncode, r.stdout, r.stderr

    def ok(self, *args, **kw):
        rc, out, err = self.run_ls(*args, **kw)
        self.assertEqual(rc, 0, "exit %d, stderr: %s" % (rc, err))
        return out

    def fails(self, code, *args, **kw):
        rc, out, err = self.run_ls(*args, **kw)
        self.assertEqual(rc, code, "stdout: %s\nstderr: %s" % (out, err))
        self.assertTrue(err.startswith("lsiommu: ") or code == EXIT_USAGE,
                        err)
        return out, err

    def json(self, *args, **kw):
        doc = json.loads(self.ok("--json", *args, **kw))
        self.assertEqual(doc["version"], 1)
        return {g["id"]: g for g in doc["groups"]}


class BuildTest(Base):
    def test_guest_static_flags(self):
        """The guest initramfs build: static, -Werror (setUpModule)."""
        if not STATIC:
            self.skipTest("no static libc")
        self.assertTrue(os.access(BIN, os.X_OK))

    def test_only_one_program(self):
        """Every tools/iommu/*.c is a program of its own in the guest."""
        progs = [f for f in os.listdir(SRC) if f.endswith(".c")]
        self.assertEqual(progs, ["lsiommu.c"])

    def test_make_with_output_dir(self):
        if not os.path.exists(os.path.join(SRC, "../scripts/Makefile.include")):
            self.skipTest("not in a kernel tree")
        out = os.path.join(self.root, "out")
        os.mkdir(out)
        r = subprocess.run(["make", "-s", "-j1", "-C", SRC, "O=" + out,
                            "CFLAGS=-O0"],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(os.access(os.path.join(out, "lsiommu"), os.X_OK))
        self.assertFalse(os.path.exists(os.path.join(SRC, "lsiommu.o")))
        dest = os.path.join(self.root, "dest")
        r = subprocess.run(["make", "-s", "-C", SRC, "O=" + out,
                            "DESTDIR=" + dest, "prefix=/usr", "install"],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(os.path.exists(dest + "/usr/bin/lsiommu"))
        self.assertTrue(os.path.exists(dest + "/usr/share/man/man8/lsiommu.8"))


class UsageTest(Base):
    tree = series_tree

    def test_help(self):
        out = self.ok("--help")
        for word in ("claim GROUP|DEVICE DRIVER", "--sysfs", "--proc",
                     "--pci-ids", "--persist", "blockers", "reached_by",
                     "Exit status", "4 claim refused"):
            self.assertIn(word, out)

    def test_bad_option(self):
        self.fails(EXIT_USAGE, "--bogus")

    def test_bad_group_number(self):
        for bad in ("abc", "-1", "1x", "", "99999999999999999999999"):
            _, err = self.fails(EXIT_USAGE, "-g", bad)
            self.assertIn("bad group number", err)

    def test_no_such_group(self):
        _, err = self.fails(EXIT_NOTFOUND, "-g", "999")
        self.assertIn("no group 999", err)

    def test_malformed_address(self):
        for bad in ("01:00", "0000:01:00.8", "01:20.0", "zz:00.0",
                    "0000:01:00.0x", "lsiommu"):
            _, err = self.fails(EXIT_USAGE, bad)
            self.assertIn("not a PCI address", err)

    def test_unknown_device(self):
        _, err = self.fails(EXIT_NOTFOUND, "0000:42:00.0")
        self.assertIn("no device 0000:42:00.0", err)

    def test_unknown_class(self):
        _, err = self.fails(EXIT_USAGE, "--class", "toaster")
        self.assertIn("unknown class 'toaster'", err)

    def test_option_combinations(self):
        self.fails(EXIT_USAGE, "--tree", "--json")
        self.fails(EXIT_USAGE, "--force")
        self.fails(EXIT_USAGE, "--json", "claim", "1", "vfio-pci")
        self.fails(EXIT_USAGE, "claim", "1")
        self.fails(EXIT_USAGE, "release")


class SeriesTextTest(Base):
    tree = series_tree

    def test_scenario_lines(self):
        """The lines the intel-binder guest scenario checks."""
        out = self.ok()
        lines = out.splitlines()
        i = lines.index("group 1: not viable (0000:00:05.1 bound to virtio-pci)")
        self.assertEqual(lines[i + 1],
                         "  reason: multifunction 0000:00:05 without ACS")
        member = [l for l in lines if l.startswith("  0000:00:05.1")]
        self.assertEqual(" ".join(member[0].split()),
                         "0000:00:05.1 [010000] 1af4:1001 virtio-pci")
        self.assertEqual(self.ok("-g", "7").splitlines()[0],
                         "group 7: viable, claimed for vfio-pci")

    def test_every_blocker(self):
        head = self.ok("-g", "9").splitlines()[0]
        self.assertEqual(head, "group 9: not viable (0000:00:06.0 bound to "
                         "e1000e; 0000:00:06.2 bound to snd_hda_intel)")

    def test_type_and_regions(self):
        out = self.ok("-g", "10")
        self.assertIn("  type: DMA\n", out)
        self.assertIn("reserved: 0xa0000-0xbffff direct (RMRR), "
                      "0xfee00000-0xfeefffff msi", out)
        self.assertTrue(out.startswith("group 10: not viable (direct region "
                                       "0xa0000-0xbffff (RMRR)"))
        out = self.ok("-g", "11")
        self.assertIn("0x7b800000-0x7fffffff direct-relaxable\n", out)
        self.assertNotIn("RMRR", out)

    def test_owned_by_user(self):
        self.assertEqual(self.ok("-g", "12").splitlines()[0],
                         "group 12: viable, claimed for vfio-pci, "
                         "owned by userspace")

    def test_no_heuristic_note(self):
        self.assertNotIn("heuristic", self.ok())

    def test_names(self):
        out = self.ok("-g", "7", names=True)
        self.assertIn("0000:03:00.0   [030000] 10de:2206  vfio-pci      "
                      "VGA compatible controller: NVIDIA Corporation GA102 "
                      "[GeForce RTX 3080]", out)
        self.assertIn("Audio device: NVIDIA Corporation GA102 High "
                      "Definition Audio Controller", out)
        # Not in the database: lspci's fallbacks.
        out = self.ok("-g", "9", names=True)
        self.assertIn("Audio device: Intel Corporation Device 293e", out)
        out = self.ok("-g", "11", names=True)
        self.assertIn("USB controller: Intel Corporation Device a36d", out)
        # A subclass the database lacks: the base class name.
        out = self.ok("-g", "1", names=True)
        self.assertIn("(no driver)   Unclassified device: Technical Corp. "
                      "Education device", out)

    def test_names_off(self):
        out = self.ok("-g", "7", "-n", names=True)
        self.assertNotIn("NVIDIA", out)
        out = self.ok("-g", "7", "--pci-ids", self.ids)
        self.assertIn("NVIDIA", out)

    def test_pci_ids_missing(self):
        rc, out, err = self.run_ls("-g", "7", "--pci-ids", "/nonexistent")
        self.assertEqual(rc, 0)
        self.assertIn("10de:2206  vfio-pci\n", out)
        self.assertIn("showing IDs only", err)
        rc, out, err = self.run_ls("-g", "7")   # env: silently IDs only
        self.assertEqual((rc, err), (0, ""))

    def test_device_lookup(self):
        a = self.ok("03:00.1")
        self.assertEqual(a, self.ok("0000:03:00.1"))
        self.assertEqual(a, self.ok("-g", "7"))
        self.assertIn("0000:03:00.0", a)
        out = self.ok("0:3:0.0", "00:00.0")
        self.assertEqual([l for l in out.splitlines() if l.startswith("group")],
                         ["group 0: viable", "group 7: viable, claimed for vfio-pci"])

    def test_device_in_no_group(self):
        self.t.pci("0000:00:1f.0", 0x8086, 0x2918, 0x060100)
        _, err = self.fails(EXIT_NOTFOUND, "00:1f.0")
        self.assertIn("0000:00:1f.0 is in no IOMMU group", err)

    def test_class_filter(self):
        def groups(*args):
            return [l.split(":")[0] for l in self.ok(*args).splitlines()
                    if l.startswith("group ")]
        self.assertEqual(groups("--class", "gpu"), ["group 2", "group 7"])
        self.assertEqual(groups("-c", "nvme"), ["group 4"])
        self.assertEqual(groups("-c", "0108"), ["group 4"])
        self.assertEqual(groups("-c", "audio"), ["group 7", "group 9"])
        self.assertEqual(groups("-c", "usb,net"),
                         ["group 6", "group 9", "group 11"])
        self.assertEqual(groups("-c", "bridge"),
                         ["group 0", "group 3", "group 5", "group 8"])
        self.assertEqual(groups("-c", "gpu", "-g", "2"), ["group 2"])
        self.assertEqual(groups("-c", "crypto"), [])

    def test_tree(self):
        out = self.ok("--tree")
        lines = out.splitlines()
        self.assertEqual(lines[0], "pci0000:00")
        i = lines.index("+- 0000:00:10.0  group 3  [060400] 1b36:000c  "
                        "pcieport")
        self.assertEqual(lines[i + 1], "|  \\- 0000:01:00.0  group 4 (not "
                         "viable)  [010802] 1b36:0010  nvme")
        self.assertTrue(lines[-1].startswith("\\- 0000:00:14.0"))
        self.assertIn("|  +- 0000:03:00.0", out)
        self.assertIn("|  \\- 0000:03:00.1", out)

    def test_tree_other_bus_and_no_group(self):
        self.t.pci("0000:00:1f.0", 0x8086, 0x2918, 0x060100)
        self.t.group(13, dma_owner="none")
        self.t.pci("0000:80:01.0", 0x1b36, 0x000c, 0x060400, "pcieport",
                   bus="pci0000:80", group=13)
        self.t.pci("0000:81:00.0", 0x1234, 0x11e8, 0x00ff00,
                   parent="0000:80:01.0", group=13)
        lines = self.ok("--tree").splitlines()
        self.assertIn("\\- 0000:00:1f.0  no group  [060100] 8086:2918  "
                      "(no driver)", lines)
        self.assertEqual(lines[-3:], [
            "pci0000:80",
            "\\- 0000:80:01.0  group 13  [060400] 1b36:000c  pcieport",
            "   \\- 0000:81:00.0  group 13  [00ff00] 1234:11e8  (no driver)"])
        self.assertNotIn("0000:00:1f.0", self.ok("--tree", "-g", "13"))

    def test_repeated_group_option(self):
        out = self.ok("-g", "3", "-g", "0")
        self.assertEqual([l for l in out.splitlines() if l.startswith("group")],
                         ["group 0: viable", "group 3: viable"])

    def test_tree_selected(self):
        out = self.ok("--tree", "-c", "nvme")
        self.assertEqual(out.splitlines(), [
            "pci0000:00",
            "\\- 0000:00:10.0  group 3  [060400] 1b36:000c  pcieport",
            "   \\- 0000:01:00.0  group 4 (not viable)  [010802] 1b36:0010  "
            "nvme"])

    def test_env_roots(self):
        out = self.ok(env={"LSIOMMU_SYSFS": self.root,
                           "LSIOMMU_PROC": self.root})
        self.assertIn("group 12:", out)


class SeriesJsonTest(Base):
    tree = series_tree

    def test_schema(self):
        groups = self.json()
        self.assertEqual(sorted(groups), list(range(13)))
        for g in groups.values():
            self.assertEqual(set(g), {
                "id", "name", "type", "reason", "claim", "viable",
                "blockers", "viability", "dma_owner", "reserved_regions",
                "reaches", "reached_by", "split", "split_by", "devices"})
            self.assertEqual(g["viability"], "dma_owner")
            self.assertEqual(g["viable"], not g["blockers"])
            for d in g["devices"]:
                self.assertEqual(set(d), {
                    "address", "vendor_id", "device_id", "class",
                    "vendor_name", "device_name", "class_name", "driver",
                    "present"})

    def test_values(self):
        groups = self.json(names=True)
        g = groups[1]
        self.assertEqual(g["reason"], "multifunction 0000:00:05 without ACS")
        self.assertEqual(g["type"], "DMA")
        self.assertIsNone(g["claim"])
        self.assertEqual(g["dma_owner"], "kernel")
        self.assertEqual(g["blockers"], [{
            "kind": "driver", "device": "0000:00:05.1",
            "detail": "bound to virtio-pci", "driver": "virtio-pci"}])
        self.assertEqual(g["devices"][1], {
            "address": "0000:00:05.1", "vendor_id": "1af4",
            "device_id": "1001", "class": "010000",
            "vendor_name": "Red Hat, Inc.",
            "device_name": "Virtio block device",
            "class_name": "SCSI storage controller", "driver": "virtio-pci",
            "present": True})
        self.assertIsNone(g["devices"][0]["driver"])
        self.assertEqual(g["reaches"], [])
        self.assertEqual(g["reserved_regions"], [{
            "start": "0xfee00000", "end": "0xfeefffff", "type": "msi",
            "direct": False}])
        self.assertEqual(groups[7]["claim"], "vfio-pci")
        self.assertTrue(groups[7]["viable"])
        self.assertEqual(len(groups[9]["blockers"]), 2)
        self.assertEqual(groups[10]["blockers"][0]["kind"], "direct")
        self.assertIsNone(groups[10]["blockers"][0]["device"])
        self.assertTrue(groups[10]["reserved_regions"][0]["direct"])
        self.assertEqual(groups[12]["dma_owner"], "user")

    def test_one_group_a_line(self):
        out = self.ok("--json", "-g", "7")
        self.assertIn('"claim": "vfio-pci", "viable": true, "blockers": []',
                      out.splitlines()[1])


class ReachTest(Base):
    tree = reach_tree

    def test_reach_blocker_text(self):
        out = self.ok("-g", "3")
        self.assertEqual(out.splitlines()[0],
                         "group 3: not viable (0000:03:00.0 bound to "
                         "virtio-pci in group 5, reached through 0000:02:01.0)")
        self.assertIn("  reaches: group 5 through 0000:02:01.0, group 6 "
                      "through 0000:02:01.0\n", out)
        out = self.ok("05:00.0")
        self.assertTrue(out.startswith("group 6: viable\n"))
        self.assertIn("  reached by: group 3 through 0000:02:01.0\n", out)

    def test_reach_blocker_json(self):
        groups = self.json()
        self.assertEqual(groups[3]["blockers"], [{
            "kind": "reach", "device": "0000:03:00.0",
            "detail": "bound to virtio-pci in group 5, reached through "
                      "0000:02:01.0",
            "driver": "virtio-pci", "group": 5, "port": "0000:02:01.0"}])
        self.assertEqual(groups[3]["reaches"], [
            {"group": 5, "port": "0000:02:01.0"},
            {"group": 6, "port": "0000:02:01.0"}])
        self.assertEqual(groups[5]["reached_by"],
                         [{"group": 3, "port": "0000:02:01.0"}])
        self.assertTrue(groups[6]["viable"])

    def test_reach_heuristic(self):
        """A kernel with reach but no dma_owner: the reached group's
        drivers, by name."""
        for g in range(7):
            os.unlink(self.t.p("sys/kernel/iommu_groups/%d/dma_owner" % g))
        groups = self.json()
        self.assertEqual(groups[3]["viability"], "heuristic")
        self.assertEqual(groups[3]["blockers"][0]["device"], "0000:03:00.0")

    def test_tree(self):
        out = self.ok("--tree", "-g", "3")
        self.assertEqual(out.splitlines(), [
            "pci0000:00",
            "\\- 0000:00:10.0  group 0  [060400] 1b36:000c  pcieport",
            "   \\- 0000:01:00.0  group 1  [060400] 104c:8232  pcieport",
            "      \\- 0000:02:01.0  group 3 (not viable)  [060400] "
            "1b36:000c  pcieport",
            "         \\- 0000:04:00.0  group 3 (not viable)  [00ff00] "
            "1234:11e8  vfio-pci"])


class IsolateTest(Base):
    """Which iommu_group.isolate= entry would split a group, and what the
    administrator accepts by using it (issue #20)."""
    tree = isolate_tree

    def split_lines(self, gid):
        return [l for l in self.ok("-g", str(gid)).splitlines()
                if l.startswith(("  split:", "    kernel parameter:"))]

    def test_switch(self):
        self.assertEqual(self.split_lines(2), [
            "  split: iommu_group.isolate=0000:02:00.0 would give "
            "0000:03:00.0 its own group; it and 0000:04:00.0, 0000:05:00.0, "
            "0000:05:00.1 could still reach each other without the IOMMU",
            "    kernel parameter: iommu_group.isolate=0000:02:00.0@104c:8233",
            "  split: iommu_group.isolate=0000:02:01.0 would give "
            "0000:04:00.0 its own group; it and 0000:03:00.0, 0000:05:00.0, "
            "0000:05:00.1 could still reach each other without the IOMMU",
            "    kernel parameter: iommu_group.isolate=0000:02:01.0@104c:8233",
            "  split: iommu_group.isolate=0000:02:02.0 would give "
            "0000:05:00.0, 0000:05:00.1 their own group; they and "
            "0000:03:00.0, 0000:04:00.0 could still reach each other "
            "without the IOMMU",
            "    kernel parameter: iommu_group.isolate=0000:02:02.0@104c:8233"])

    def test_split_lines_follow_reason(self):
        lines = self.ok("-g", "2").splitlines()
        self.assertTrue(lines[1].startswith("  reason: below 0000:01:00.0"))
        self.assertTrue(lines[2].startswith("  split: "))

    def test_multifunction(self):
        """Each function is its own entry; an ISA bridge is a peer."""
        self.assertEqual(self.split_lines(3), [
            "  split: iommu_group.isolate=0000:00:05.0 would give "
            "0000:00:05.0 its own group; it and 0000:00:05.1, 0000:00:05.2 "
            "could still reach each other without the IOMMU",
            "    kernel parameter: iommu_group.isolate=0000:00:05.0@1234:11e8",
            "  split: iommu_group.isolate=0000:00:05.1 would give "
            "0000:00:05.1 its own group; it and 0000:00:05.0, 0000:00:05.2 "
            "could still reach each other without the IOMMU",
            "    kernel parameter: iommu_group.isolate=0000:00:05.1@1af4:1001",
            "  split: iommu_group.isolate=0000:00:05.2 would give "
            "0000:00:05.2 its own group; it and 0000:00:05.0, 0000:00:05.1 "
            "could still reach each other without the IOMMU",
            "    kernel parameter: iommu_group.isolate=0000:00:05.2@8086:2918"])

    def test_root_port(self):
        self.assertEqual(self.split_lines(4), [
            "  split: nothing to split: the group is port 0000:00:1c.0 and "
            "what is below it"])

    def test_multifunction_root_ports(self):
        self.assertEqual(self.split_lines(13), [
            "  split: iommu_group.isolate=0000:00:1b.0 would give "
            "0000:50:00.0 its own group; it and 0000:51:00.0 could still "
            "reach each other without the IOMMU",
            "    kernel parameter: iommu_group.isolate=0000:00:1b.0@8086:2940",
            "  split: iommu_group.isolate=0000:00:1b.4 would give "
            "0000:51:00.0 its own group; it and 0000:50:00.0 could still "
            "reach each other without the IOMMU",
            "    kernel parameter: iommu_group.isolate=0000:00:1b.4@8086:2948"])

    def test_no_peer_but_ports(self):
        """A switch whose other ports are empty: nobody else to reach."""
        for addr in ("0000:04:00.0", "0000:05:00.0", "0000:05:00.1"):
            os.unlink(self.t.p("sys/kernel/iommu_groups/2/devices/" + addr))
        self.assertEqual(self.split_lines(2), [
            "  split: iommu_group.isolate=0000:02:00.0 would give "
            "0000:03:00.0 its own group; no other device in the group could "
            "reach it",
            "    kernel parameter: iommu_group.isolate=0000:02:00.0@104c:8233"])

    def test_already_split(self):
        self.assertEqual(self.split_lines(5), [
            "  split: already, by iommu_group.isolate=0000:22:00.0 (on the "
            "administrator's word: the hardware does not enforce it)"])
        lines = self.split_lines(7)
        self.assertEqual(lines[0],
                         "  split: already, by iommu_group.isolate="
                         "0000:22:00.0,0000:00:07.1 (on the administrator's "
                         "word: the hardware does not enforce it)")
        # What is left of the switch can be split further.
        self.assertEqual(lines[1],
                         "  split: iommu_group.isolate=0000:22:01.0 would "
                         "give 0000:24:00.0 its own group; it and "
                         "0000:25:00.0 could still reach each other without "
                         "the IOMMU")

    def test_multifunction_bridge_and_alias(self):
        """A switch's upstream port that is a function of the slot takes
        everything below it along; a DMA alias is no function of the slot."""
        self.assertEqual(self.split_lines(8), [
            "  split: iommu_group.isolate=0000:30:00.0 would give "
            "0000:30:00.0 its own group; it and 0000:30:01.0, 0000:32:00.0 "
            "could still reach each other without the IOMMU",
            "    kernel parameter: iommu_group.isolate=0000:30:00.0@1022:43f7",
            "  split: iommu_group.isolate=0000:30:00.2 would give "
            "0000:32:00.0 its own group; it and 0000:30:00.0, 0000:30:01.0 "
            "could still reach each other without the IOMMU",
            "    kernel parameter: iommu_group.isolate=0000:30:00.2@1022:43f4",
            "  split: no iommu_group.isolate= entry gives 0000:30:01.0 its "
            "own group: it is not a function of 0000:30:00"])

    def test_function_on_internal_bus(self):
        self.assertEqual(self.split_lines(10), [
            "  split: iommu_group.isolate=0000:41:00.0 would give "
            "0000:42:00.0 its own group; it and 0000:41:08.0 could still "
            "reach each other without the IOMMU",
            "    kernel parameter: iommu_group.isolate=0000:41:00.0@104c:8233",
            "  split: no iommu_group.isolate= entry gives 0000:41:08.0 its "
            "own group: it is on the internal bus of 0000:40:00.0 (only "
            "declaring every port there without ACS would)"])

    def test_other_groups_quiet(self):
        for gid in (0, 1, 6, 9):
            self.assertEqual(self.split_lines(gid), [], gid)

    def test_json(self):
        groups = self.json()
        self.assertEqual(groups[2]["split"][2], {
            "entry": "0000:02:02.0",
            "parameter": "iommu_group.isolate=0000:02:02.0@104c:8233",
            "devices": ["0000:05:00.0", "0000:05:00.1"],
            "peers": ["0000:03:00.0", "0000:04:00.0"]})
        self.assertEqual([s["entry"] for s in groups[2]["split"]],
                         ["0000:02:00.0", "0000:02:01.0", "0000:02:02.0"])
        self.assertEqual(groups[2]["split_by"], [])
        self.assertEqual(groups[3]["split"][1]["peers"],
                         ["0000:00:05.0", "0000:00:05.2"])
        self.assertEqual(groups[4]["split"], [])
        self.assertEqual(groups[5]["split"], [])
        self.assertEqual(groups[5]["split_by"], ["0000:22:00.0"])
        self.assertEqual(groups[7]["split_by"],
                         ["0000:22:00.0", "0000:00:07.1"])
        self.assertEqual(groups[0]["split"], [])
        self.assertEqual(groups[0]["split_by"], [])

    def test_device_gone(self):
        """A member whose device went away is neither split nor a peer."""
        os.unlink(self.t.p("sys/kernel/iommu_groups/2/devices/0000:04:00.0"))
        os.symlink("../../../../devices/pci0000:00/gone",
                   self.t.p("sys/kernel/iommu_groups/2/devices/0000:04:00.0"))
        self.assertEqual(self.json()[2]["split"][0]["peers"],
                         ["0000:05:00.0", "0000:05:00.1"])

    def test_entry_without_ids(self):
        os.unlink(self.t.p(self.t.paths["0000:02:00.0"] + "/device"))
        self.assertIn("    kernel parameter: iommu_group.isolate="
                      "0000:02:00.0\n", self.ok("-g", "2"))

    def test_odd_reasons(self):
        """Reasons lsiommu does not know, or cut short, split nothing."""
        for reason in ("below 0000:01:00.0: port 0000:02:01.0 without ACS",
                       "below 0000:01:00.0: downstream port",
                       "below nothing: root port without ACS",
                       "multifunction 0000:00:05", "formed by the IOMMU "
                       "driver", "split by iommu_group.isolate=",
                       "isolated; split by iommu_group.isolate=zz:00.0"):
            self.t.write("sys/kernel/iommu_groups/2/reason", reason + "\n")
            self.assertEqual(self.split_lines(2), [], reason)
            self.assertEqual(self.json()[2]["split"], [], reason)

    def test_upstream_kernel(self):
        """No reason: no split lines, and null in the JSON."""
        for gid in range(14):
            path = self.t.p("sys/kernel/iommu_groups/%d/reason" % gid)
            if os.path.exists(path):
                os.unlink(path)
        self.assertNotIn("split:", self.ok())
        for g in self.json().values():
            self.assertIsNone(g["split"])
            self.assertIsNone(g["split_by"])


class UpstreamTest(Base):
    tree = upstream_tree

    def test_heuristic_text(self):
        out = self.ok()
        self.assertIn("group 1: not viable (0000:00:05.1 bound to virtio-pci; "
                      "0000:00:05.2 bound to e1000e)\n  type: DMA\n  "
                      "viability: from driver names (heuristic: kernel "
                      "without dma_owner)\n", out)
        self.assertNotIn("reason:", out)
        for g in ("group 2: viable", "group 3: viable", "group 4: viable",
                  "group 5: viable"):
            self.assertIn(g + "\n", out)

    def test_heuristic_json(self):
        groups = self.json()
        for g in groups.values():
            self.assertEqual(g["viability"], "heuristic")
            self.assertIsNone(g["dma_owner"])
            self.assertIsNone(g["reason"])
            self.assertIsNone(g["reaches"])
            self.assertIsNone(g["reached_by"])
            self.assertIsNone(g["claim"])
        self.assertEqual([b["device"] for b in groups[1]["blockers"]],
                         ["0000:00:05.1", "0000:00:05.2"])

    def test_claim_unsupported(self):
        _, err = self.fails(EXIT_UNSUPPORTED, "claim", "1", "vfio-pci")
        self.assertIn("no driver_override", err)
        self.fails(EXIT_UNSUPPORTED, "release", "00:05.0")


class BrokenTreeTest(Base):
    def test_no_groups_directory(self):
        _, err = self.fails(EXIT_RUNTIME)
        self.assertIn("no IOMMU, or it is off", err)

    def test_empty_groups_directory(self):
        FakeTree(self.root)
        _, err = self.fails(EXIT_RUNTIME)
        self.assertIn("no IOMMU groups in", err)

    def test_odd_names(self):
        t = FakeTree(self.root)
        for odd in ("foo", "12abc", "-1", " 3", "0x10"):
            os.makedirs(t.p("sys/kernel/iommu_groups/%s/devices" % odd))
        t.group(3, dma_owner="none")
        t.group(20, reason='odd "quoted"\\ reason \x01 \u00e9',
                dma_owner="none")
        t.write("sys/kernel/iommu_groups/20/name", "domain0-pe1\n")
        t.pci("0000:00:03.0", 0x1234, 0x11e8, 0x00ff00, group=3)
        # A second member with a name taken gets a ".0" suffix.
        d = "sys/devices/platform/0000:00:03.0"
        t.write(d + "/modalias", "platform:x\n")
        t.link("sys/kernel/iommu_groups/3/devices/0000:00:03.0.0", d)
        t.write("sys/devices/platform/ff200000.dma/uevent", "\n")
        t.link("sys/kernel/iommu_groups/20/devices/ff200000.dma",
               "sys/devices/platform/ff200000.dma")
        out = self.ok()
        self.assertEqual(out.count("group "), 2)
        self.assertIn("group 20 domain0-pe1: viable\n", out)
        self.assertIn("  ff200000.dma   [?] ?:?  (no driver)\n", out)
        self.assertEqual(out.count("  0000:00:03.0"), 2)
        groups = self.json()
        self.assertEqual(groups[20]["reason"],
                         'odd "quoted"\\ reason \x01 \u00e9')
        self.assertEqual(groups[20]["name"], "domain0-pe1")
        self.assertIsNone(groups[20]["devices"][0]["vendor_id"])

    def test_missing_files(self):
        t = FakeTree(self.root)
        t.group(1, type_=None, regions=None, claim=None, dma_owner="none")
        os.unlink(t.p("sys/kernel/iommu_groups/1/reason"))
        t.pci("0000:00:01.0", 0x1234, 0x11e8, 0x00ff00, group=1)
        os.unlink(t.p(t.paths["0000:00:01.0"] + "/class"))
        os.makedirs(t.p("sys/kernel/iommu_groups/2"))   # no devices/
        out, err = self.run_ls()[1:]
        self.assertEqual(out, "group 1: viable\n  0000:00:01.0   [?] ?:?  "
                         "(no driver)\n")
        self.assertIn("iommu_groups/2/devices", err)
        g = self.json()[1]
        self.assertIsNone(g["type"])
        self.assertIsNone(g["reserved_regions"])
        self.assertIsNone(g["reason"])
        _, err = self.fails(EXIT_UNSUPPORTED, "claim", "1", "vfio-pci")

    def test_dangling_links(self):
        t = FakeTree(self.root)
        t.group(1, dma_owner="none")
        t.pci("0000:00:01.0", 0x1234, 0x11e8, 0x00ff00, group=1)
        t.link("sys/kernel/iommu_groups/1/devices/0000:00:09.0",
               "sys/devices/pci0000:00/0000:00:09.0")
        t.link("sys/bus/pci/devices/0000:00:09.0",
               "sys/devices/pci0000:00/0000:00:09.0")
        out = self.ok()
        self.assertIn("  0000:00:09.0   [?] ?:?  (device missing)\n", out)
        self.assertFalse(self.json()[1]["devices"][1]["present"])
        rc, out, err = self.run_ls("--tree")
        self.assertEqual(rc, 0)
        self.assertIn("0000:00:09.0", err)
        self.assertEqual(len(out.splitlines()), 2)

    def test_garbage_attributes(self):
        t = FakeTree(self.root)
        t.group(1, dma_owner="sideways", reaches=None, regions=(
            "garbage\n0x1000 0x1fff direct\n\n0xzz 0x1 msi\n"))
        t.write("sys/kernel/iommu_groups/1/reaches", "x y\n42\n7 0000:02:01.0\n")
        t.pci("0000:00:01.0", 0x1234, 0x11e8, 0x00ff00, "e1000e", group=1)
        out = self.ok()
        self.assertIn("heuristic: dma_owner not understood", out)
        self.assertIn("0000:00:01.0 bound to e1000e", out)
        g = self.json()[1]
        self.assertEqual(g["reaches"], [{"group": 7, "port": "0000:02:01.0"}])
        self.assertEqual(len(g["reserved_regions"]), 1)


class ClaimTest(Base):
    tree = series_tree

    def override(self, gid):
        return self.t.read("sys/kernel/iommu_groups/%d/driver_override" % gid)

    def test_claim_and_release(self):
        out = self.ok("claim", "1", "vfio-pci")
        self.assertEqual(out, "group 1 claimed for vfio-pci: 0000:00:05.0 "
                         "0000:00:05.1\n")
        self.assertEqual(self.override(1), "vfio-pci\n")
        self.assertEqual(self.ok("release", "00:05.1"), "group 1 released\n")
        self.assertEqual(self.override(1), "\n")

    def test_claim_by_device(self):
        self.ok("claim", "0000:00:06.1", "vfio-pci")
        self.assertEqual(self.override(9), "vfio-pci\n")

    def test_claim_bad_input(self):
        _, err = self.fails(EXIT_USAGE, "claim", "1", "vfio pci")
        self.assertIn("bad driver name", err)
        self.fails(EXIT_USAGE, "claim", "1", "../x")
        self.fails(EXIT_USAGE, "claim", "1", "--", "-r")
        self.fails(EXIT_USAGE, "claim", "1", ".x")
        self.fails(EXIT_USAGE, "claim", "1", "x" * 256)
        self.fails(EXIT_USAGE, "claim", "one", "vfio-pci")
        self.fails(EXIT_NOTFOUND, "claim", "99", "vfio-pci")
        self.fails(EXIT_NOTFOUND, "claim", "42:00.0", "vfio-pci")
        self.assertEqual(self.override(1), "\n")

    def test_kernel_refuses(self):
        os.unlink(self.t.p("sys/kernel/iommu_groups/1/driver_override"))
        os.symlink("/dev/full",
                   self.t.p("sys/kernel/iommu_groups/1/driver_override"))
        _, err = self.fails(EXIT_KERNEL, "claim", "1", "vfio-pci")
        self.assertIn("cannot claim group 1", err)

    def refused(self, target, *expect):
        _, err = self.fails(EXIT_REFUSED, "claim", target, "vfio-pci")
        for e in expect:
            self.assertIn(e, err)
        self.assertIn("--force", err)
        return err

    def test_refuse_root_fs(self):
        self.refused("01:00.0", "0000:01:00.0 backs / (the root filesystem, "
                     "nvme0n1p2)")
        self.assertEqual(self.override(4), "\n")
        self.ok("claim", "--force", "01:00.0", "vfio-pci")
        self.assertEqual(self.override(4), "vfio-pci\n")

    def test_refuse_other_mounts_and_swap(self):
        self.t.mount("259:1", "/boot/efi", "/dev/nvme0n1p1", "vfat")
        with open(self.t.p("proc/swaps"), "a") as f:
            f.write("/dev/nvme0n1p1 partition 1000 0 -2\n")
        self.refused("4", "backs the filesystem on /boot/efi (nvme0n1p1)",
                     "holds active swap (nvme0n1p1)", "root filesystem")

    def test_refuse_btrfs_by_source(self):
        with open(self.t.p("proc/self/mountinfo"), "w") as f:
            f.write("30 1 0:33 / / rw - btrfs /dev/nvme0n1p2 rw\n")
        self.refused("4", "root filesystem")

    def test_refuse_dm_crypt_root(self):
        with open(self.t.p("proc/self/mountinfo"), "w") as f:
            f.write("30 1 253:0 / / rw - ext4 /dev/mapper/root rw\n")
        self.t.virtual_block("dm-0", "253:0", ["nvme0n1p2"], dm_name="root")
        self.refused("4", "root filesystem, dm-0")

    def test_refuse_default_route(self):
        self.refused("02:00.0", "0000:02:00.0 carries the default route (eth0)")
        self.assertEqual(self.override(6), "\n")

    def test_default_route_through_bridge(self):
        with open(self.t.p("proc/net/route"), "w") as f:
            f.write("Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\t"
                    "Mask\tMTU\tWindow\tIRTT\n")
        self.t.net("br0", lower=["eth0"])
        self.t.default_route("br0")
        self.refused("6", "carries the default route (br0)")

    def test_refuse_ipv6_default_route(self):
        self.t.write("proc/net/route", "Iface\tDestination\n")
        self.ok("claim", "6", "vfio-pci")
        self.ok("release", "6")
        self.t.write("proc/net/ipv6_route",
                     "00000000000000000000000000000000 00 "
                     "00000000000000000000000000000000 00 "
                     "00000000000000000000000000000000 ffffffff 00000001 "
                     "00000000 00200200 lo\n"
                     "00000000000000000000000000000000 00 "
                     "00000000000000000000000000000000 00 "
                     "fe800000000000000000000000000001 00000400 00000001 "
                     "00000000 00450003 eth0\n")
        self.refused("6", "carries the default route (eth0)")

    def test_interface_down_is_no_reason(self):
        os.unlink(self.t.p("proc/net/route"))
        self.t.write("proc/net/route", "Iface\tDestination\n")
        self.ok("claim", "6", "vfio-pci")
        self.t.write(self.t.paths["0000:02:00.0"] + "/net/eth0/flags",
                     "0x1002\n")
        self.t.default_route("eth0")
        self.ok("release", "6")
        self.ok("claim", "6", "vfio-pci")

    def test_refuse_boot_vga(self):
        self.refused("2", "0000:00:02.0 is the boot VGA device",
                     "drives the console framebuffer (fb0)")
        self.assertEqual(self.override(2), "\n")

    def test_release_is_not_checked(self):
        self.ok("release", "4")

    def rules_text(self):
        with open(self.rules) as f:
            return f.read()

    def test_persist(self):
        out = self.ok("claim", "--persist", "03:00.1", "vfio-pci")
        self.assertIn("persisted: %s claims group 7 at boot" % self.rules, out)
        self.assertIn("iommu_group.claim=0000:03:00.0:vfio-pci", out)
        self.assertIn("vfio-pci.ids=10de:2206,10de:1aef", out)
        rules = self.rules_text()
        self.assertTrue(rules.startswith("# IOMMU group claims"))
        self.assertIn('ACTION=="add", SUBSYSTEM=="pci", KERNEL=="0000:03:00.0", '
                      'ATTR{vendor}=="0x10de", ATTR{device}=="0x2206", '
                      'RUN+="/bin/sh -c \'modprobe -q vfio-pci; echo vfio-pci > '
                      '/sys/bus/pci/devices/%k/iommu_group/driver_override\'"\n',
                      rules)
        self.assertEqual(oct(os.stat(self.rules).st_mode & 0o777), "0o644")
        # Again, and another group: one rule each.
        self.ok("claim", "--persist", "7", "vfio-pci")
        self.ok("claim", "--persist", "1", "pci-stub")
        rules = self.rules_text()
        self.assertEqual(rules.count('KERNEL=="0000:03:00.0"'), 1)
        # The rule keys on the first member that is not a bridge.
        self.assertIn("# lsiommu: claim 0000:00:05.0 for pci-stub (group 1: "
                      "0000:00:05.0 0000:00:05.1)", rules)
        self.assertNotIn("vfio-pci.ids", self.ok("claim", "--persist", "1",
                                                 "pci-stub"))
        out = self.ok("release", "--persist", "03:00.0")
        self.assertIn("no longer claims group 7", out)
        rules = self.rules_text()
        self.assertNotIn("0000:03:00", rules)
        self.assertIn('KERNEL=="0000:00:05.0"', rules)
        self.ok("release", "--persist", "1")
        self.assertFalse(os.path.exists(self.rules))
        self.assertEqual(os.listdir(self.root).count("80-lsiommu-claim.rules"),
                         0)

    def test_persist_refused_writes_nothing(self):
        self.fails(EXIT_REFUSED, "claim", "--persist", "4", "vfio-pci")
        self.assertFalse(os.path.exists(self.rules))

    def test_persist_unwritable(self):
        _, err = self.fails(EXIT_RUNTIME, "claim", "--persist", "--udev-rules",
                            "/nonexistent/dir/x.rules", "7", "vfio-pci")
        self.assertIn("claimed, but not at boot", err)
        self.assertEqual(self.override(7), "vfio-pci\n")


if __name__ == "__main__":
    unittest.main()

"""Tests of the replay description (harness/topology.py).  The test reads
the description back with its own parser, written from topology.py's
docstring, checks every function against lspci.parse(), enables VFs the way
the kernel computes their addresses, and scans the buses the way the
kernel's pci_scan_slot()/next_fn() do: every function must be found."""

import os
import re
import subprocess
import sys
import unittest

from replay_common import (HARNESS, UNPARSEABLE, corpus_dumps, dump_path,
                           dump_text)
import lspci  # noqa: E402
import topology  # noqa: E402

ADDR = r"[0-9a-f]{4,}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]"


class Description:
    """A description read back: machine, hosts, fns {addr: (flags, {off: val})},
    the order of the fn lines, and sriov {pf: n}."""

    def __init__(self, text):
        self.hosts, self.fns, self.order, self.sriov = [], {}, [], {}
        lines = text.split("\n")
        assert lines[-1] == "", "the text ends with a newline"
        lines = lines[:-1]
        m = re.fullmatch(r"machine (\S+)", lines[0])
        assert m, f"first line {lines[0]!r}"
        self.machine = m.group(1)
        assert lines[-1] == "end", f"last line {lines[-1]!r}"
        stage = "host"
        for line in lines[1:-1]:
            kind = line.split(" ", 1)[0]
            assert ["host", "fn", "sriov"].index(kind) >= ["host", "fn", "sriov"].index(stage), \
                f"{kind} line after {stage} lines: {line!r}"
            stage = kind
            getattr(self, "read_" + kind)(line)

    def read_host(self, line):
        m = re.fullmatch(rf"host ([0-9a-f]{{4,}}) ([0-9a-f]{{2}}) ([0-9a-f]{{2}})(?: vmd=({ADDR}))?", line)
        assert m, line
        domain, root, last = (int(x, 16) for x in m.groups()[:3])
        assert root <= last, line
        assert m.group(4) is None or domain >= 0x10000, f"vmd= outside a VMD domain: {line!r}"
        self.hosts.append((domain, root, last))

    def read_fn(self, line):
        words = line.split(" ")
        assert re.fullmatch(ADDR, words[1]) and re.fullmatch(r"-|g?v?", words[2]) \
            and words[2] != "", line
        cfg, read_only = {}, set()
        for word in words[3:]:
            m = re.fullmatch(r"ro=([0-9a-f]{1,3})", word)
            if m:
                assert int(m.group(1), 16) in cfg, f"ro= names a dword not given: {line!r}"
                read_only.add(int(m.group(1), 16))
                continue
            assert not read_only, f"ro= comes after the dwords: {line!r}"
            m = re.fullmatch(r"([0-9a-f]{1,3})=([0-9a-f]{8})", word)
            assert m, f"{word!r} in {line!r}"
            off, val = int(m.group(1), 16), int(m.group(2), 16)
            assert off % 4 == 0 and val != 0 and off not in cfg, word
            assert not cfg or off > max(cfg), f"offsets ascend: {line!r}"
            cfg[off] = val
        assert words[1] not in self.fns, f"{words[1]} twice"
        if self.order and "v" in self.fns[self.order[-1]][0]:
            assert "v" in words[2], f"non-VF after a VF: {line!r}"
        self.fns[words[1]] = (words[2], cfg)
        self.order.append(words[1])

    def read_sriov(self, line):
        m = re.fullmatch(rf"sriov ({ADDR}) ([0-9a-f]+)", line)
        assert m and m.group(1) in self.fns and int(m.group(2), 16) > 0, line
        self.sriov[m.group(1)] = int(m.group(2), 16)

    # --- reading config space like the kernel does

    def dword(self, addr, off):
        return self.fns[addr][1].get(off, 0)

    def word(self, addr, off):
        return self.dword(addr, off & ~3) >> (8 * (off & 2)) & 0xffff

    def pcie(self, addr):
        """(type, version, slot) of the PCIe capability, None without one."""
        if not self.dword(addr, 4) & 0x00100000:
            return None
        pos = self.dword(addr, 0x34) & 0xff
        while pos:
            header = self.dword(addr, pos)
            if header & 0xff == 0x10:
                flags = header >> 16
                return (flags >> 4 & 0xf, flags & 0xf, bool(flags & 0x100))
            pos = header >> 8 & 0xff
        return None

    def ext_cap(self, addr, cap_id):
        """The offset of extended capability @cap_id, 0 if none."""
        pos, seen = 0x100, set()
        while pos and pos not in seen:
            seen.add(pos)
            header = self.dword(addr, pos)
            if header & 0xffff == cap_id:
                return pos
            pos = header >> 20
        return 0

    def vf_addresses(self, pf):
        """The kernel's VF addresses: PF routing ID + offset + i * stride."""
        pos = self.ext_cap(pf, 0x10)
        domain, bus, devfn = split(pf)
        offset, stride = self.word(pf, pos + 0x14), self.word(pf, pos + 0x16)
        out = []
        for i in range(self.sriov.get(pf, 0)):
            rid = (bus << 8 | devfn) + offset + i * stride
            out.append(join(domain, rid >> 8, rid & 0xff))
        return out

    # --- the kernel's bus scan

    def scan(self):
        """The addresses the kernel's scan finds from the hosts."""
        found = set()
        for domain, root, _ in self.hosts:
            self.scan_bus(domain, root, None, found)
        return found

    def present(self, addr):
        return addr in self.fns and "v" not in self.fns[addr][0]

    def scan_bus(self, domain, bus, bridge, found):
        port = bridge is not None and (self.pcie(bridge) or (None,))[0] in (4, 6)
        for base in (0,) if port else range(0, 256, 8):
            ari, fn = False, 0
            while fn >= 0:
                addr = join(domain, bus, base + fn)
                here = self.present(addr)
                if here:
                    found.add(addr)
                    if addr == join(domain, bus, 0) and bridge is not None:
                        ari = self.ari_enabled(bridge, addr)
                elif fn == 0:
                    break
                fn = self.next_fn(addr, fn, here, ari)
        for addr in sorted(a for a in found if split(a)[:2] == (domain, bus)):
            if self.dword(addr, 0x0c) >> 16 & 0x7f in (1, 2):
                secondary = self.dword(addr, 0x18) >> 8 & 0xff
                self.scan_bus(domain, secondary, addr, found)

    def ari_enabled(self, bridge, first):
        """pci_configure_ari(): the bridge forwards ARI (DevCap2 bit 5, PCIe
        v2) and function 0 below it has an ARI capability."""
        pcie = self.pcie(bridge)
        return bool(pcie and pcie[1] >= 2 and self.dword(bridge, 0x64) & 0x20
                    and self.pcie(first) and self.ext_cap(first, 0x0e))

    def next_fn(self, addr, fn, here, ari):
        if ari:
            pos = self.ext_cap(addr, 0x0e) if here else 0
            nxt = self.dword(addr, pos + 4) >> 8 & 0xff if pos else -1
            return nxt if nxt > fn else -1
        if fn >= 7 or (here and not self.dword(addr, 0x0c) & 0x00800000):
            return -1
        return fn + 1


def split(addr):
    domain, bus, rest = addr.split(":")
    dev, fn = rest.split(".")
    return int(domain, 16), int(bus, 16), int(dev, 16) << 3 | int(fn)


def join(domain, bus, devfn):
    return f"{domain:04x}:{bus:02x}:{devfn >> 3:02x}.{devfn & 7}"


class RoundTrip:
    """Checks shared by the hand-made and the corpus tests."""

    def describe(self, text, name):
        functions = lspci.parse(text, name)
        desc = Description(topology.describe(functions, name))
        self.assertEqual(desc.machine, name)
        return functions, desc

    def check_round_trip(self, functions, desc):
        self.assertEqual(sorted(desc.fns), sorted(f.addr for f in functions))
        recorded = any(f.group is not None for f in functions)
        for f in functions:
            flags, cfg = desc.fns[f.addr]
            with self.subTest(fn=f.addr):
                self.assertEqual(cfg[0], f.device << 16 | f.vendor)
                self.assertEqual(desc.dword(f.addr, 8), f.class24 << 8 | f.revision)
                header = desc.dword(f.addr, 0x0c) >> 16 & 0xff
                self.assertEqual(header, f.header_type | (0x80 if f.multifunction else 0))
                if f.is_bridge:
                    self.assertEqual(desc.dword(f.addr, 0x18),
                                     f.primary | f.secondary << 8 | f.subordinate << 16)
                pcie = desc.pcie(f.addr)
                if f.pcie_type is None and not f.is_vf:
                    self.assertIsNone(pcie)
                else:
                    expect = f.pcie_type if f.pcie_type is not None else 0
                    self.assertEqual(pcie, (expect, 2 if f.pcie_version >= 2 else 1,
                                            f.pcie_slot))
                acs = desc.ext_cap(f.addr, 0x0d)
                if f.acs_cap is None:
                    self.assertEqual(acs, 0)
                else:
                    self.assertEqual(desc.dword(f.addr, acs + 4), f.acs_cap | f.acs_ctl << 16)
                self.assertEqual("g" in flags, f.group is not None or not recorded)
                self.assertEqual("v" in flags, f.is_vf)
                if f.sriov:
                    pos = desc.ext_cap(f.addr, 0x10)
                    s = f.sriov
                    self.assertEqual(desc.dword(f.addr, pos + 0x0c), s["initial"] | s["total"] << 16)
                    self.assertEqual(desc.dword(f.addr, pos + 0x14), s["offset"] | s["stride"] << 16)
                    self.assertEqual(desc.word(f.addr, pos + 0x1a), s["vf_device"])
        self.check_hosts(functions, desc)
        self.check_vfs(functions, desc)
        self.assertEqual(desc.scan(), {f.addr for f in functions if not f.is_vf},
                         "the kernel's scan finds every non-VF function")

    def check_hosts(self, functions, desc):
        """Hosts do not overlap; every bridge's buses lie inside its host."""
        spans = sorted(desc.hosts)
        for a, b in zip(spans, spans[1:]):
            if a[0] == b[0]:
                self.assertLess(a[2], b[1], f"hosts {a} and {b} overlap")
        for f in functions:
            span = [h for h in spans if h[0] == f.domain and h[1] <= f.bus <= h[2]]
            self.assertEqual(len(span), 1, f"{f.addr} in one host")
            if f.is_bridge:
                self.assertLessEqual(f.subordinate, span[0][2])

    def check_vfs(self, functions, desc):
        """Enabling the VFs of each sriov line makes exactly the dump's VFs."""
        made = [vf for pf in desc.sriov for vf in desc.vf_addresses(pf)]
        self.assertEqual(sorted(made), sorted(f.addr for f in functions if f.is_vf))
        for pf in desc.sriov:
            for vf in desc.vf_addresses(pf):
                self.assertIn("v", desc.fns[vf][0])


class HandMade(RoundTrip, unittest.TestCase):
    def test_round_trips(self):
        for name in ("switch-mixed-acs", "sriov", "ari", "stray-pcilib", "vmd", "pch"):
            with self.subTest(dump=name):
                functions, desc = self.describe(dump_text(name), name)
                self.check_round_trip(functions, desc)

    def test_vmd_domain_names_its_controller(self):
        text = topology.describe(lspci.parse(dump_text("vmd")), "vmd")
        self.assertIn("host 0000 00 00\n", text)
        self.assertIn("host 10000 e0 e1 vmd=0000:00:0e.0\n", text)

    def test_switch_lines(self):
        text = topology.describe(lspci.parse(dump_text("switch-mixed-acs")), "switch")
        self.assertEqual(text.split("\n")[:3], [
            "machine switch",
            "host 0000 00 05",
            "fn 0000:00:00.0 g 0=3ec28086 8=06000007",
        ])
        self.assertIn("fn 0000:02:08.0 g 0=874710b5 4=00100000 8=060400ca c=00010000 "
                      "18=00030302 34=00000040 40=01620010 100=0001000d 104=001d003d ro=104\n", text)
        self.assertIn("fn 0000:05:00.0 g 0=1c8210de 4=00100000 8=030000a1 c=00800000 "
                      "34=00000040 40=00120010\n", text)
        self.assertTrue(text.endswith("\nend\n"))

    def test_sriov_lines(self):
        text = topology.describe(lspci.parse(dump_text("sriov")), "sriov")
        lines = text.split("\n")
        self.assertEqual(lines[-4:], ["sriov 0000:01:00.0 2", "sriov 0000:01:00.1 3", "end", ""])
        pf = next(line for line in lines if line.startswith("fn 0000:01:00.0 "))
        # SR-IOV alone at 100 (the dump's ARI is not needed: bus 01 has only device 0)
        self.assertIn(" 100=00010010 10c=00200020 110=00000002 114=00020080 118=10ed0000 "
                      "11c=00000553 120=00000001", pf)
        self.assertEqual([line.split()[1] for line in lines if " gv " in line],
                         ["0000:01:10.0", "0000:01:10.1", "0000:01:10.2", "0000:01:10.3",
                          "0000:01:10.5"])

    def test_missing_vf_cuts_the_count(self):
        text = dump_text("sriov")
        desc = Description(topology.describe(lspci.parse(text[:text.index("01:10.5 ")]), "s"))
        self.assertEqual(desc.sriov, {"0000:01:00.0": 2, "0000:01:00.1": 2})
        pos = desc.ext_cap("0000:01:00.1", 0x10)
        self.assertEqual(desc.dword("0000:01:00.1", pos + 0x10), 2)

    def test_ari_chain_below_a_port(self):
        functions, desc = self.describe(dump_text("ari"), "ari")
        self.assertTrue(all(flags == "g" for flags, _ in desc.fns.values()))
        chain = {}
        for addr in ("0000:01:00.0", "0000:01:00.1", "0000:01:01.0"):
            pos = desc.ext_cap(addr, 0x0e)
            self.assertTrue(pos, addr)
            chain[addr] = desc.dword(addr, pos + 4) >> 8
        self.assertEqual(chain, {"0000:01:00.0": 0x01, "0000:01:00.1": 0x08, "0000:01:01.0": 0})
        self.assertEqual(desc.dword("0000:00:1c.0", 0x64), 0x20)   # child past device 0
        self.assertEqual(desc.dword("0000:00:1c.4", 0x64), 0x20)   # ARIFwd+ in the dump
        self.assertEqual(desc.dword("0000:00:1d.0", 0x64), 0)      # PCIe v1: no DevCap2
        self.assertEqual(desc.ext_cap("0000:02:00.0", 0x0e), 0)    # bus 02: device 0 only
        # Without the ARI capabilities the scan stops at device 0 below 00:1c.0.
        for addr in chain:
            desc.fns[addr][1].pop(0x100)
        self.assertNotIn("0000:01:01.0", desc.scan())

    def test_vf_bus_past_the_root_bus(self):
        pf = ("00:03.0 Ethernet controller [0200]: Intel Corporation X [8086:154d] (rev 01)\n"
              "\tCapabilities: [a0] Express (v2) Endpoint, MSI 00\n"
              "\tCapabilities: [160 v1] Single Root I/O Virtualization (SR-IOV)\n"
              "\t\tInitial VFs: 8, Total VFs: 8, Number of VFs: 1, Function Dependency Link: 00\n"
              "\t\tVF offset: 232, stride: 1, Device ID: 10ed\n\n")
        vf = "01:00.0 Ethernet controller [0200]: Intel Corporation VF [8086:10ed] (rev 01)\n\n"
        functions, desc = self.describe(pf + vf, "vfbus")
        self.assertEqual(desc.hosts, [(0, 0, 1)])
        self.assertEqual(desc.pcie("0000:01:00.0"), (0, 1, False))  # VF without a PCIe line
        self.check_vfs(functions, desc)

    def test_bad_machine_name(self):
        with self.assertRaises(ValueError):
            topology.describe(lspci.parse(dump_text("pch")), "two words")


class Corpus(RoundTrip, unittest.TestCase):
    def test_corpus_round_trips(self):
        paths = corpus_dumps()
        if not paths:
            self.skipTest("no corpus (../shared/lspci or $IG_CORPUS)")
        for path in paths:
            name = os.path.basename(path)
            if name in UNPARSEABLE:
                continue
            with self.subTest(dump=name):
                functions = lspci.read(path)
                desc = Description(topology.describe(functions, topology.machine_name(path)))
                self.check_round_trip(functions, desc)


class CommandLine(unittest.TestCase):
    def run_cli(self, *args):
        return subprocess.run([sys.executable, os.path.join(HARNESS, "topology.py"), *args],
                              capture_output=True, text=True, timeout=60)

    def test_prints_the_description(self):
        r = self.run_cli(dump_path("pch"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(Description(r.stdout).machine, "pch")

    def test_bad_dump_exits_2(self):
        r = self.run_cli(dump_path("truncated"))
        self.assertEqual(r.returncode, 2)
        self.assertRegex(r.stderr, r"^topology.py: truncated.lspci:11: ")
        self.assertEqual(self.run_cli().returncode, 2)


if __name__ == "__main__":
    unittest.main()

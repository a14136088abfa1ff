"""Tests of the lspci -vvnn parser (harness/lspci.py): the hand-made dumps
of tests/replay/ pin what is read from each kind of line, malformed input
gives DumpError("name:LINE: ...") and nothing else, and every dump of the
public corpus parses (skipped without the corpus)."""

import os
import random
import re
import subprocess
import sys
import unittest

from replay_common import (HARNESS, UNPARSEABLE, corpus_dumps, dump_path,
                           dump_text, read_text)
import lspci  # noqa: E402  (replay_common put harness/ on the path)


def by_addr(functions):
    return {f.addr: f for f in functions}


def parse_or_dump_error(test, text, name):
    """Parse @text; DumpError is fine, any other exception fails @test."""
    try:
        lspci.parse(text, name)
    except lspci.DumpError as e:
        test.assertRegex(str(e), rf"^{name}:\d+: ")
    except Exception as e:  # noqa: BLE001 - the point of the test
        test.fail(f"{name}: {type(e).__name__}: {e}")


class HandMadeDumps(unittest.TestCase):
    def test_switch_with_mixed_acs(self):
        fs = by_addr(lspci.parse(dump_text("switch-mixed-acs"), "switch"))
        self.assertEqual(len(fs), 10)
        root, up = fs["0000:00:01.0"], fs["0000:01:00.0"]
        self.assertEqual((root.vendor, root.device, root.class24, root.revision),
                         (0x8086, 0x1901, 0x060400, 0x07))
        self.assertEqual((root.header_type, root.pcie_type, root.pcie_version, root.pcie_slot),
                         (1, 4, 2, True))
        self.assertEqual((root.primary, root.secondary, root.subordinate), (0, 1, 5))
        self.assertEqual((root.acs_cap, root.acs_ctl), (0x1f, 0x1d))
        self.assertFalse(root.ari_fwd)          # ARIFwd- in DevCap2, + only in DevCtl2
        self.assertEqual((up.pcie_type, up.acs_cap, up.acs_ctl), (5, None, None))
        self.assertEqual((up.primary, up.secondary, up.subordinate), (1, 2, 5))
        self.assertEqual(fs["0000:02:08.0"].acs_cap, 0x3d)      # EgressCtrl+ in the cap
        self.assertEqual(fs["0000:02:08.0"].acs_ctl, 0x1d)
        self.assertEqual(fs["0000:02:08.0"].pcie_type, 6)
        self.assertIsNone(fs["0000:02:10.0"].acs_cap)
        self.assertFalse(fs["0000:02:10.0"].pcie_slot)
        gpu, audio = fs["0000:05:00.0"], fs["0000:05:00.1"]
        self.assertEqual((gpu.pcie_type, audio.pcie_type), (1, 0))
        self.assertTrue(gpu.multifunction and audio.multifunction)
        self.assertFalse(fs["0000:02:08.0"].multifunction)      # 02:08, 02:09, 02:10: three slots
        self.assertEqual(gpu.class24, 0x030000)
        self.assertEqual(fs["0000:03:00.0"].class24, 0x010802)  # prog-if 02
        self.assertEqual(fs["0000:03:00.0"].revision, 0)        # no (rev NN)
        self.assertEqual([f.group for f in fs.values()], [0, 1, 2, 3, 4, 5, 6, 7, 5, 5])
        self.assertEqual(fs["0000:03:00.0"].driver, "nvme")
        self.assertEqual(fs["0000:00:01.0"].line, 7)
        self.assertIsNone(fs["0000:00:00.0"].pcie_type)
        self.assertEqual(fs["0000:00:00.0"].header_type, 0)

    def test_sriov_pf_and_vfs(self):
        fs = by_addr(lspci.parse(dump_text("sriov"), "sriov"))
        pf0, pf1 = fs["0000:01:00.0"], fs["0000:01:00.1"]
        self.assertEqual(pf0.sriov, dict(initial=32, total=32, num=2, offset=128,
                                         stride=2, vf_device=0x10ed))
        self.assertEqual(pf1.sriov["num"], 3)
        self.assertTrue(pf0.ari and pf1.ari)
        vfs = {a: f.pf for a, f in fs.items() if f.is_vf}
        self.assertEqual(vfs, {"0000:01:10.0": pf0.addr, "0000:01:10.2": pf0.addr,
                               "0000:01:10.1": pf1.addr, "0000:01:10.3": pf1.addr,
                               "0000:01:10.5": pf1.addr})
        self.assertFalse(pf0.is_vf)
        self.assertEqual(fs["0000:01:10.0"].pcie_version, 0)    # "Express (v0)"
        # The PFs share slot 00; the VFs of slot 10 make nothing multifunction.
        self.assertTrue(pf0.multifunction and pf1.multifunction)
        self.assertFalse(any(f.multifunction for f in fs.values() if f.is_vf))
        self.assertTrue(fs["0000:00:01.0"].ari_fwd)             # on a DevCap2 continuation line

    def test_vf_not_listed_is_not_invented(self):
        text = dump_text("sriov")
        cut = text.index("01:10.5 ")
        fs = by_addr(lspci.parse(text[:cut], "sriov"))
        self.assertEqual(sum(f.is_vf for f in fs.values()), 4)
        self.assertNotIn("0000:01:10.5", fs)

    def test_ari_device_and_no_groups(self):
        fs = by_addr(lspci.parse(dump_text("ari"), "ari"))
        self.assertTrue(all(f.group is None for f in fs.values()))
        self.assertEqual([a for a, f in fs.items() if f.ari],
                         ["0000:01:00.0", "0000:01:00.1", "0000:01:01.0"])
        self.assertFalse(fs["0000:00:1c.0"].ari_fwd)   # DevCap2 ARIFwd-, DevCtl2 ARIFwd+
        self.assertTrue(fs["0000:00:1c.4"].ari_fwd)
        self.assertEqual(fs["0000:00:1d.0"].pcie_version, 1)
        self.assertFalse(fs["0000:01:01.0"].multifunction)
        self.assertTrue(fs["0000:01:00.1"].multifunction)

    def test_stray_pcilib_lines(self):
        fs = by_addr(lspci.parse(dump_text("stray-pcilib"), "stray"))
        self.assertEqual(list(fs), ["0000:00:00.0", "0000:00:01.0", "0000:00:01.1", "0000:01:00.0"])
        port = fs["0000:00:01.1"]
        # "Bus: primary=00, sec" + message + "ondary=01, ..." joined back
        self.assertEqual((port.primary, port.secondary, port.subordinate), (0, 1, 1))
        # "... ARI" + message + "Fwd+" and "Upstr" + message + "eamFwd+"
        self.assertTrue(port.ari_fwd)
        self.assertEqual((port.acs_cap, port.acs_ctl), (0x1d, 0x1d))
        self.assertEqual(fs["0000:01:00.0"].driver, "nvme")
        self.assertEqual(fs["0000:00:00.0"].line, 2)

    def test_vmd_domain(self):
        fs = by_addr(lspci.parse(dump_text("vmd"), "vmd"))
        port = fs["10000:e0:06.0"]
        self.assertEqual((port.domain, port.bus, port.dev, port.fn), (0x10000, 0xe0, 6, 0))
        self.assertEqual(fs["0000:00:0e.0"].pcie_type, 9)

    def test_malformed_dump(self):
        with self.assertRaisesRegex(lspci.DumpError, r"^bad:6: bad bus numbers"):
            lspci.parse(dump_text("malformed-bus"), "bad")

    def test_truncated_dump(self):
        with self.assertRaisesRegex(lspci.DumpError, r"^cut:11: .*truncated"):
            lspci.parse(dump_text("truncated"), "cut")

    def test_read_names_the_file(self):
        with self.assertRaisesRegex(lspci.DumpError, r"^truncated.lspci:11: "):
            lspci.read(dump_path("truncated"))
        with self.assertRaisesRegex(lspci.DumpError, r"cannot read"):
            lspci.read(dump_path("no-such-dump"))


HOST = "00:00.0 Host bridge [0600]: Intel Corporation Device [8086:3ec2] (rev 07)\n\tIOMMU group: 0\n\n"
PORT = ("00:1c.0 PCI bridge [0604]: Intel Corporation Device [8086:a338] (prog-if 00 [Normal decode])\n"
        "\tBus: primary=00, secondary=01, subordinate=01, sec-latency=0\n\n")


class Errors(unittest.TestCase):
    """Each malformed input names the line and what is wrong."""

    CASES = [
        ("", 1, "empty dump"),
        ("\n\n  \n", 3, "empty dump"),
        ("Hello\n\n", 1, "expected a function's address line"),
        ("\tIOMMU group: 3\n\n", 1, "indented line outside a function"),
        ("00:00.0 Host bridge [0600]: Intel Corporation Device\n\n", 1, "without [vvvv:dddd]"),
        ("00:00.0 Host bridge: Intel Corporation Device [8086:3ec2]\n\n", 1, "class code"),
        ("00:20.0 Host bridge [0600]: X [8086:3ec2]\n\n", 1, "device number 20"),
        (HOST + HOST, 4, "duplicate address 0000:00:00.0 (first at line 1)"),
        (HOST + PORT.replace("secondary=01", "secondary=0x"), 5, "bad Bus line"),
        (HOST + PORT.replace("primary=00", "primary=02"), 5, "bad bus numbers"),
        (HOST + PORT + PORT.replace("1c.0", "1c.4"), 7, "bus 01 is the secondary bus of both 0000:00:1c.0"),
        (HOST + PORT.replace("\tBus: primary=00, secondary=01, subordinate=01, sec-latency=0\n", ""),
         4, "has no 'Bus: primary=' line"),
        (HOST.replace("group: 0", "group: zero"), 2, "bad IOMMU group line"),
        (HOST.replace("\n\n", "\n\tIOMMU group: 1\n\n"), 3, "second IOMMU group line"),
        (HOST.replace("\n\n", "\n\tCapabilities: [40] Express (v2) Sideways Port, MSI 00\n\n"),
         3, "unknown PCI Express capability"),
        (HOST.rstrip("\n"), 2, "truncated?"),
    ]

    def test_messages(self):
        for text, line, what in self.CASES:
            with self.subTest(text=text[:40], what=what):
                with self.assertRaises(lspci.DumpError) as cm:
                    lspci.parse(text, "t")
                self.assertTrue(str(cm.exception).startswith(f"t:{line}: "), str(cm.exception))
                self.assertIn(what, str(cm.exception))

    def test_not_text(self):
        with self.assertRaisesRegex(lspci.DumpError, "not text"):
            lspci.parse(b"00:00.0", "t")

    def test_unknown_type_number(self):
        text = HOST.replace("\n\n", "\n\tCapabilities: [40] Express (v2) Unknown type 3, MSI 00\n\n")
        self.assertEqual(lspci.parse(text)[0].pcie_type, 3)

    def test_crlf_and_no_domain(self):
        f = lspci.parse(HOST.replace("\n", "\r\n"))[0]
        self.assertEqual((f.addr, f.group, f.revision), ("0000:00:00.0", 0, 7))


class Fuzz(unittest.TestCase):
    """Cut, shuffled and garbled dumps: a result or DumpError, nothing else."""

    def garble(self, text, rnd):
        lines = text.split("\n")
        for _ in range(10):
            i = rnd.randrange(len(lines))
            cut = rnd.randrange(len(lines[i]) + 1)
            lines[i] = lines[i][:cut] + rnd.choice(["", "\t", " ", "[", "]", ":", "=", "0"]) \
                + lines[i][rnd.randrange(len(lines[i]) + 1):]
        return "\n".join(lines)

    def check_all_ways(self, text, name, rnd, rounds):
        lines = text.split("\n")
        for _ in range(rounds):
            parse_or_dump_error(self, text[:rnd.randrange(len(text) + 1)], name)
            shuffled = lines[:]
            rnd.shuffle(shuffled)
            parse_or_dump_error(self, "\n".join(shuffled), name)
            parse_or_dump_error(self, self.garble(text, rnd), name)

    def test_hand_made_dumps(self):
        rnd = random.Random(7)
        for name in ("switch-mixed-acs", "sriov", "ari", "stray-pcilib", "vmd", "pch"):
            text = dump_text(name)
            lines = text.split("\n")
            for i in range(len(lines) + 1):
                parse_or_dump_error(self, "\n".join(lines[:i]), name)
            for i in range(len(text) + 1):
                parse_or_dump_error(self, text[:i], name)
            self.check_all_ways(text, name, rnd, 50)

    def test_corpus(self):
        paths = corpus_dumps()
        if not paths:
            self.skipTest("no corpus (../shared/lspci or $IG_CORPUS)")
        rnd = random.Random(11)
        for path in paths:
            self.check_all_ways(read_text(path), os.path.basename(path), rnd, 8)
        # Every line boundary of the smallest dump.
        path = min(paths, key=os.path.getsize)
        lines = read_text(path).split("\n")
        for i in range(len(lines) + 1):
            parse_or_dump_error(self, "\n".join(lines[:i]) + "\n", os.path.basename(path))


class Corpus(unittest.TestCase):
    def setUp(self):
        self.paths = corpus_dumps()
        if not self.paths:
            self.skipTest("no corpus (../shared/lspci or $IG_CORPUS)")

    def test_every_dump_parses(self):
        for path in self.paths:
            name = os.path.basename(path)
            with self.subTest(dump=name):
                if name in UNPARSEABLE:
                    with self.assertRaisesRegex(lspci.DumpError, "^" + re.escape(name)
                                                + r":\d+: " + re.escape(UNPARSEABLE[name])):
                        lspci.read(path)
                    continue
                functions = lspci.read(path)
                text = read_text(path)
                starts = [line for line in text.split("\n") if lspci.ADDRESS.match(line)]
                self.assertGreater(len(functions), 0)
                self.assertEqual(len(functions), len(starts))

    def test_recorded_groups_are_functions_of_the_dump(self):
        for path in self.paths:
            name = os.path.basename(path)
            if name in UNPARSEABLE:
                continue
            with self.subTest(dump=name):
                text = read_text(path)
                functions = lspci.read(path)
                grouped = [f for f in functions if f.group is not None]
                self.assertEqual(len(grouped), text.count("\tIOMMU group: "))
                for f in grouped:
                    line = text.split("\n")[f.line - 1]
                    self.assertIn(f"{f.bus:02x}:{f.dev:02x}.{f.fn}", line)
                    if f.ids_cut:
                        self.assertRegex(line, r"\[[0-9a-f:]*\.\.\.")
                    else:
                        self.assertIn(f"[{f.vendor:04x}:{f.device:04x}]", line)

    def test_bridges_and_vfs_are_consistent(self):
        for path in self.paths:
            name = os.path.basename(path)
            if name in UNPARSEABLE:
                continue
            with self.subTest(dump=name):
                functions = lspci.read(path)
                at = by_addr(functions)
                for f in functions:
                    if f.is_bridge:
                        self.assertLess(f.secondary, f.subordinate + 1)
                    if f.is_vf:
                        self.assertIn(f.pf, at)
                        self.assertIsNotNone(at[f.pf].sriov)


class CommandLine(unittest.TestCase):
    def run_cli(self, *args):
        return subprocess.run([sys.executable, os.path.join(HARNESS, "lspci.py"), *args],
                              capture_output=True, text=True, timeout=60)

    def test_listing(self):
        r = self.run_cli(dump_path("switch-mixed-acs"))
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertEqual(len(lines), 10)
        self.assertRegex(lines[3], r"^0000:02:08\.0 10b5:8747 060400 downstream +bus 02-03-03 "
                                   r"acs 3d/1d +slot group 3$")
        self.assertTrue(lines[8].endswith("mf group 5"))

    def test_malformed_exits_2(self):
        r = self.run_cli(dump_path("malformed-bus"))
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stdout, "")
        self.assertIn("malformed-bus.lspci:6: bad bus numbers", r.stderr)
        self.assertNotIn("Traceback", r.stderr)

    def test_usage(self):
        self.assertEqual(self.run_cli().returncode, 2)


if __name__ == "__main__":
    unittest.main()


class CutIds(unittest.TestCase):
    """lspci cuts long names, ids included: the function stays, its ids
    stand in (lspci.UNKNOWN_IDS), and the rest of the line is still read."""

    def test_cut_ids(self):
        text = ("00:0f.2 System peripheral [0880]: Intel Corporation Xeon Integrated "
                "Memory Controller 0 Channel Target Address Decoder Registers [808... (rev 04)\n"
                "\tIOMMU group: 7\n\n")
        f, = lspci.parse(text, "cut")
        self.assertTrue(f.ids_cut)
        self.assertEqual((f.vendor, f.device), lspci.UNKNOWN_IDS)
        self.assertEqual((f.class24, f.revision, f.group), (0x088000, 4, 7))

    def test_no_ids_at_all_is_an_error(self):
        with self.assertRaisesRegex(lspci.DumpError, r"^x:1: address line without \[vvvv:dddd\] ids$"):
            lspci.parse("00:00.0 Host bridge [0600]: Intel Corporation Device\n\n", "x")

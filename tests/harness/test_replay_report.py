"""Tests of the replay report (harness/replay_report.py) on synthetic
results: a small corpus of the hand-made dumps of tests/replay/ with a
SOURCES.tsv written per test, and @@replay lines made from the recorded
groups with the changes each case needs."""

import contextlib
import io
import json
import os
import shutil
import tempfile
import unittest

from replay_common import UNPARSEABLE, corpus_dir, corpus_dumps, dump_path
import lspci  # noqa: E402
import replay_report  # noqa: E402


def recorded(machine, corpus):
    """{address: group} the dump recorded."""
    return {f.addr: f.group for f in lspci.read(os.path.join(corpus, machine + ".lspci"))
            if f.group is not None}


def replay_lines(kernel, machine, groups, reasons=None, errors=(), end=True):
    """The @@replay lines of one replay."""
    out = [f"@@replay-begin {kernel} {machine}"]
    out += [f"@@replay-fn {kernel} {machine} {a} {'-' if g is None else g}"
            for a, g in sorted(groups.items())]
    out += [f"@@replay-reason {kernel} {machine} {g} {r}" for g, r in (reasons or {}).items()]
    out += [f"@@replay-error {kernel} {machine} {e}" for e in errors]
    if end:
        out.append(f"@@replay-end {kernel} {machine}")
    return out


class ReportTest(unittest.TestCase):
    """A fresh corpus directory per test with the hand-made dumps."""

    MACHINES = ("switch-mixed-acs", "pch", "vmd", "sriov")

    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.corpus = os.path.join(self.dir, "corpus")
        os.mkdir(self.corpus)
        for name in self.MACHINES:
            shutil.copy(dump_path(name), self.corpus)
        self.sources({})
        self.lines = []

    def tearDown(self):
        shutil.rmtree(self.dir)

    def sources(self, rows):
        """SOURCES.tsv: @rows {machine: (kernel, cpu)}; others plain Intel."""
        with open(os.path.join(self.corpus, "SOURCES.tsv"), "w", encoding="utf-8") as f:
            f.write("file\tsource (linuxhw/LsPCI)\tkernel\tcpu\n")
            for name in self.MACHINES:
                kernel, cpu = rows.get(name, ("6.8.0-45-GENERIC", "Intel"))
                f.write(f"{name}.lspci\tDesktop/x/{name}\t{kernel}\t{cpu}\n")

    def rec(self, machine):
        return recorded(machine, self.corpus)

    def add(self, kernel, machine, groups, **kw):
        self.lines += replay_lines(kernel, machine, groups, **kw)

    def run_report(self, *extra, text=None):
        """Run main() on the results; (exit code, stdout, stderr, result lines)."""
        path = os.path.join(self.dir, "results.txt")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text if text is not None else "\n".join(self.lines) + "\n")
        results = os.path.join(self.dir, "harness.txt")
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = replay_report.main(["--corpus", self.corpus, "--results", results,
                                     *extra, path])
        lines = []
        if os.path.exists(results):
            with open(results, encoding="utf-8") as f:
                lines = f.read().splitlines()
        return rc, out.getvalue(), err.getvalue(), lines

    def report_json(self):
        rc, out, err, lines = self.run_report("--json")
        return rc, json.loads(out), lines

    def both_as_recorded(self, machine):
        self.add("oracle", machine, self.rec(machine))
        self.add("series", machine, self.rec(machine))


class SeriesDifferences(ReportTest):
    def test_identical(self):
        self.both_as_recorded("switch-mixed-acs")
        rc, out, err, lines = self.run_report()
        self.assertEqual((rc, err), (0, ""))
        self.assertNotIn("== switch", out)
        self.assertEqual(lines, [
            "PASS replay/switch-mixed-acs/fidelity oracle == recorded (8 groups)",
            "PASS replay/switch-mixed-acs/series-explained series == recorded",
            "PASS replay/switch-mixed-acs/assignable upstream 2, switch rule 2, series 2 "
            "(0 unsafe alone under upstream)"])
        self.assertRegex(out, r"functions with a recorded group +10\n")
        self.assertRegex(out, r"oracle == recorded \(fidelity\) +1 +100\.0% of 1 replayed")
        self.assertRegex(out, r"series == recorded +1 +100\.0% of 1 replayed")

    def test_larger_with_a_reason_is_explained(self):
        rec = self.rec("switch-mixed-acs")
        self.add("oracle", "switch-mixed-acs", rec)
        series = dict(rec, **{"0000:03:00.0": 3})
        self.add("series", "switch-mixed-acs", series, reasons={
            3: "downstream port 0000:02:08.0 without ACS P2P egress control", 4: "isolated"})
        rc, data, lines = self.report_json()
        self.assertEqual(rc, 0)
        diff = data["machines"][0]["series"]["differences"]
        self.assertEqual(diff, [dict(kind="larger", members=["0000:02:08.0", "0000:03:00.0"],
                                     reason="downstream port 0000:02:08.0 without ACS P2P "
                                            "egress control", explained=True, moved=1)])
        s = data["summary"]
        self.assertEqual((s["larger_machines"], s["larger_devices"], s["series_equal"]), (1, 1, 0))
        self.assertEqual(s["larger_rules"], {
            "downstream port <dev> without ACS P2P egress control": dict(machines=1, devices=1)})
        self.assertTrue(lines[1].startswith("PASS replay/switch-mixed-acs/series-explained "
                                            "1 differences vs recorded (larger), all explained"))

    def test_larger_without_a_reason_fails(self):
        rec = self.rec("switch-mixed-acs")
        self.add("oracle", "switch-mixed-acs", rec)
        self.add("series", "switch-mixed-acs", dict(rec, **{"0000:03:00.0": 3}),
                 reasons={3: "isolated"})
        rc, out, err, lines = self.run_report()
        self.assertEqual(rc, 1)
        self.assertIn("UNEXPLAINED: larger {0000:02:08.0 0000:03:00.0} (reason 'isolated')", out)
        self.assertRegex(lines[1], r"^FAIL replay/switch-mixed-acs/series-explained 1 unexplained")

    def test_smaller_unexplained_fails(self):
        rec = self.rec("switch-mixed-acs")
        self.add("oracle", "switch-mixed-acs", rec)
        self.add("series", "switch-mixed-acs",
                 dict(rec, **{"0000:05:00.0": 9, "0000:05:00.1": 9}), reasons={5: "isolated"})
        rc, data, lines = self.report_json()
        self.assertEqual(rc, 1)
        kinds = [(d["kind"], d["members"], d["explained"])
                 for d in data["machines"][0]["series"]["differences"]]
        self.assertEqual(kinds, [("smaller", ["0000:02:10.0"], False),
                                 ("smaller", ["0000:05:00.0", "0000:05:00.1"], False)])
        self.assertEqual((data["summary"]["smaller_unexplained"],
                          data["summary"]["smaller_explained"]), (2, 0))
        self.assertTrue(lines[1].startswith("FAIL "))
        self.assertIn("smaller {0000:05:00.0 0000:05:00.1} (no reason)", lines[1])

    def test_smaller_fails_even_with_a_rule(self):
        # A smaller group isolates devices the real kernel says reach each
        # other: no reason makes that right (the replay found one so).
        rec = self.rec("switch-mixed-acs")
        self.add("oracle", "switch-mixed-acs", rec)
        self.add("series", "switch-mixed-acs",
                 dict(rec, **{"0000:05:00.0": 9, "0000:05:00.1": 9}),
                 reasons={5: "port 0000:02:10.0 alone: no peer can reach it",
                          9: "multifunction 0000:05:00.0: no ACS"})
        rc, data, lines = self.report_json()
        self.assertEqual(rc, 1)
        self.assertEqual((data["summary"]["smaller_unexplained"],
                          data["summary"]["smaller_explained"]), (2, 0))

    def test_mixed_and_ungrouped(self):
        rec = self.rec("switch-mixed-acs")
        self.add("oracle", "switch-mixed-acs", rec)
        self.add("series", "switch-mixed-acs",
                 dict(rec, **{"0000:05:00.0": 3, "0000:04:00.0": None}),
                 reasons={3: "p2p through the switch", 5: "p2p through the switch"})
        rc, data, lines = self.report_json()
        self.assertEqual(rc, 1)
        kinds = {d["kind"]: (d["members"], d["explained"])
                 for d in data["machines"][0]["series"]["differences"]}
        self.assertEqual(kinds, {
            "ungrouped": (["0000:04:00.0"], False),
            "mixed": (["0000:02:08.0", "0000:05:00.0"], False),
            "smaller": (["0000:02:10.0", "0000:05:00.1"], False)})

    def test_series_error(self):
        rec = self.rec("switch-mixed-acs")
        self.add("oracle", "switch-mixed-acs", rec)
        self.add("series", "switch-mixed-acs", rec, errors=["sriov: enable failed -22"])
        rc, out, err, lines = self.run_report()
        self.assertEqual(rc, 1)
        self.assertEqual(lines[1], "FAIL replay/switch-mixed-acs/series-explained "
                                   "series replay error: sriov: enable failed -22")


class FidelityCauses(ReportTest):
    def cause(self, machine, oracle, series=None, rows=None, **kw):
        """Replay @machine with the @oracle groups; the fidelity dict and result lines."""
        self.sources(rows or {})
        self.add("oracle", machine, oracle, **kw)
        self.add("series", machine, series if series is not None else oracle)
        rc, data, lines = self.report_json()
        return rc, data["machines"][0]["fidelity"], lines

    def merged(self, machine, *groups):
        """The recorded groups with @groups made one."""
        return {a: groups[0] if g in groups else g for a, g in self.rec(machine).items()}

    def test_acs_override_kernel(self):
        rc, fid, lines = self.cause("switch-mixed-acs", self.merged("switch-mixed-acs", 3, 6),
                                    rows={"switch-mixed-acs": ("6.1.12-ARCH1-1-VFIO", "Intel")})
        self.assertEqual((rc, fid["cause"]), (0, "ACS override kernel (6.1.12-ARCH1-1-VFIO)"))
        self.assertEqual(fid["recorded_only"], [["0000:02:08.0"], ["0000:03:00.0"]])
        self.assertEqual(fid["oracle_only"], [["0000:02:08.0", "0000:03:00.0"]])
        self.assertRegex(lines[0], r"^PASS replay/switch-mixed-acs/fidelity miss: ACS override")
        self.assertEqual(lines[1], "PASS replay/switch-mixed-acs/series-explained series == oracle")

    def test_override_name_without_a_finer_recording_is_unexplained(self):
        oracle = dict(self.rec("switch-mixed-acs"), **{"0000:05:00.1": 11})
        rc, fid, lines = self.cause("switch-mixed-acs", oracle,
                                    rows={"switch-mixed-acs": ("5.15.102-1-pve", "Intel")})
        self.assertEqual((rc, fid["cause"]), (1, "unexplained"))
        self.assertTrue(lines[0].startswith("FAIL replay/switch-mixed-acs/fidelity miss: "
                                            "unexplained"))

    def test_amd_ivrs_alias(self):
        oracle = dict(self.rec("switch-mixed-acs"), **{"0000:05:00.0": 11, "0000:05:00.1": 11})
        rc, fid, _ = self.cause("switch-mixed-acs", oracle,
                                rows={"switch-mixed-acs": ("6.8.0-41-GENERIC", "AMD")})
        self.assertEqual((rc, fid["cause"]), (0, "firmware DMA alias (AMD IVRS), not in a dump"))

    def test_coarser_recording_on_intel_is_unexplained(self):
        oracle = dict(self.rec("switch-mixed-acs"), **{"0000:05:00.0": 11, "0000:05:00.1": 11})
        rc, fid, _ = self.cause("switch-mixed-acs", oracle)
        self.assertEqual((rc, fid["cause"]), (1, "unexplained"))

    def test_intel_pch_root_ports(self):
        oracle = self.merged("pch", 1, 2, 3, 4)
        rc, fid, lines = self.cause("pch", oracle)
        self.assertEqual((rc, fid["cause"]),
                         (0, "Intel PCH ACS quirk needs chipset MMIO (RCBA), not in a dump"))
        # The same partitions on an AMD machine: no evidence for any cause.
        self.lines = []
        rc, fid, _ = self.cause("pch", oracle, rows={"pch": ("6.8.0-45-GENERIC", "AMD")})
        self.assertEqual((rc, fid["cause"]), (1, "unexplained"))

    def test_finer_on_intel_without_a_pch_port_is_unexplained(self):
        # 00:01.0 of this machine has ACS: the PCH quirk cannot be why.
        rc, fid, _ = self.cause("switch-mixed-acs", self.merged("switch-mixed-acs", 1, 2))
        self.assertEqual((rc, fid["cause"]), (1, "unexplained"))

    def test_vmd(self):
        oracle = dict(self.rec("vmd"), **{"10000:e0:06.0": 7, "10000:e1:00.0": 8})
        rc, fid, _ = self.cause("vmd", oracle)
        self.assertEqual(rc, 0)
        self.assertTrue(fid["cause"].startswith("Intel VMD"))

    def test_replay_error_and_unfinished(self):
        rec = self.rec("sriov")
        rc, fid, lines = self.cause("sriov", rec, errors=["sriov: no VF at 0000:01:10.0"])
        self.assertEqual((rc, fid["cause"]), (0, "not replayable: sriov: no VF at 0000:01:10.0"))
        self.assertEqual(lines[1], "PASS replay/sriov/series-explained series == recorded")
        self.lines = []
        rc, fid, _ = self.cause("sriov", {}, end=False)
        self.assertEqual(fid["cause"], "not replayable: the replay did not finish "
                                       "(no @@replay-end)")

    def test_not_replayable_on_either_kernel_is_skipped(self):
        self.add("oracle", "sriov", {}, errors=["out of memory"])
        self.add("series", "sriov", {}, errors=["out of memory"])
        rc, out, err, lines = self.run_report()
        self.assertEqual(rc, 0)
        self.assertEqual(lines, ["PASS replay/sriov/fidelity miss: not replayable: out of memory; "
                                 "recorded only {0000:00:00.0} {0000:00:01.0} {0000:01:00.0} "
                                 "{0000:01:00.1} {0000:01:10.0} {0000:01:10.1} {0000:01:10.2} "
                                 "{0000:01:10.3} {0000:01:10.5}; oracle only -; no group: "
                                 "0000:00:00.0 0000:00:01.0 0000:01:00.0 0000:01:00.1 "
                                 "0000:01:10.0 0000:01:10.1 0000:01:10.2 0000:01:10.3 "
                                 "0000:01:10.5",
                                 "SKIP replay/sriov/series-explained not replayable on either "
                                 "kernel: out of memory",
                                 "SKIP replay/sriov/assignable not replayed by both kernels: "
                                 "oracle: out of memory; series: out of memory"])

    def test_oracle_leaves_a_function_without_group(self):
        rc, fid, lines = self.cause("sriov", dict(self.rec("sriov"), **{"0000:01:10.5": None}))
        self.assertEqual((rc, fid["cause"], fid["ungrouped"]), (1, "unexplained", ["0000:01:10.5"]))

    def test_series_is_compared_with_the_oracle_after_a_miss(self):
        rows = {"switch-mixed-acs": ("6.1.12-ARCH1-1-VFIO", "Intel")}
        oracle = self.merged("switch-mixed-acs", 3, 6)
        series = dict(oracle, **{"0000:04:00.0": 3})
        rc, fid, lines = self.cause("switch-mixed-acs", oracle, series, rows=rows)
        self.assertEqual(rc, 1)      # no reason given for the series' group 3
        self.assertIn("unexplained vs oracle: larger {0000:02:08.0 0000:03:00.0 0000:04:00.0}",
                      lines[1])
        _, out, _, _ = self.run_report()
        self.assertIn("series vs oracle (the oracle misses the recording):", out)


class Summary(ReportTest):
    def test_table_over_machines(self):
        self.both_as_recorded("switch-mixed-acs")
        self.both_as_recorded("sriov")
        self.sources({"pch": ("6.8.0-45-GENERIC", "AMD")})
        self.add("oracle", "pch", dict(self.rec("pch"), **{"0000:01:00.0": 1}))
        self.add("series", "pch", self.rec("pch"))
        rc, out, err, lines = self.run_report()
        # A finer recording on AMD is unexplained; the series, compared with
        # the oracle, then has two unexplained smaller groups.
        self.assertEqual(rc, 1)
        self.assertIn("== pch (AMD, kernel 6.8.0-45-GENERIC)\nfidelity: miss, unexplained\n", out)
        self.assertRegex(out, r"\nmachines +3\n")
        self.assertRegex(out, r"\nfunctions with a recorded group +24\n")
        self.assertRegex(out, r"\nrecorded groups +22\n")
        self.assertRegex(out, r"\noracle == recorded \(fidelity\) +2 +66\.7% of 3 replayed\n")
        self.assertRegex(out, r"\nseries == recorded +3 +100\.0% of 3 replayed\n")
        self.assertRegex(out, r"\n  unexplained +1\n")
        self.assertRegex(out, r"\ngroups smaller than recorded +2 +2 unexplained\n")
        self.assertRegex(out, r"\nfailures +2\n")
        self.assertEqual(len(lines), 9)      # fidelity, series-explained, assignable

    def test_results_file_is_appended(self):
        self.both_as_recorded("pch")
        path = os.path.join(self.dir, "harness.txt")
        with open(path, "w", encoding="utf-8") as f:
            f.write("PASS earlier/line\n")
        _, _, _, lines = self.run_report()
        self.assertEqual(lines[0], "PASS earlier/line")
        self.assertEqual(len(lines), 4)

    def test_noise_and_time_stamps(self):
        rec = self.rec("pch")
        text = "\n".join(["Linux version 6.12", "[    2.000000] random"]
                         + ["[    3.141592] " + line for line in replay_lines("oracle", "pch", rec)]
                         + replay_lines("series", "pch", rec)) + "\r\n"
        rc, out, err, lines = self.run_report(text=text)
        self.assertEqual((rc, err), (0, ""))
        self.assertEqual(len(lines), 3)

    def test_unusable_dump_is_skipped(self):
        shutil.copy(dump_path("truncated"), self.corpus)
        self.both_as_recorded("pch")
        self.lines.append("@@replay-error oracle truncated dump not converted")
        rc, out, err, lines = self.run_report()
        self.assertEqual((rc, err), (0, ""))
        self.assertIn("== truncated: the dump is not usable: truncated.lspci:11: ", out)
        self.assertRegex(out, r"\nmachines whose dump is not usable \(skipped\) +1\n")
        self.assertEqual(len(lines), 6)
        self.assertTrue(lines[0].startswith("SKIP replay/truncated/fidelity the dump is not "
                                            "usable: truncated.lspci:11: the dump ends inside"))

    def test_one_kernel_only(self):
        self.add("series", "pch", self.rec("pch"))
        rc, out, err, lines = self.run_report()
        self.assertEqual(rc, 0)
        self.assertEqual(lines[0], "SKIP replay/pch/fidelity no oracle replay in the results")

    def test_helpers(self):
        a, b, c = frozenset({"a"}), frozenset({"b"}), frozenset({"c", "d"})
        ref = {1: a, 2: b, 3: c}
        self.assertEqual(replay_report.classify(a | b, ref), "larger")
        self.assertEqual(replay_report.classify(frozenset({"c"}), ref), "smaller")
        self.assertEqual(replay_report.classify(a | {"c"}, ref), "mixed")
        self.assertEqual(replay_report.moved(a | c, ref), 1)
        self.assertEqual(replay_report.rule_of("alias 0000:05:00.0 -> 05:00.1 and 10000:e1:00.0"),
                         "alias <dev> -> <dev> and <dev>")
        self.assertFalse(replay_report.explained(None))
        self.assertFalse(replay_report.explained(" Isolated "))
        self.assertTrue(replay_report.explained("isolated by ACS on 0000:00:01.0"))


class Assignable(ReportTest):
    """Devices assignable alone under upstream, the single-group switch rule
    and the series.  switch-reach: a switch whose ports 02:00.0 and 02:01.0
    have ACS (an NVMe, a NIC below them) and 02:02.0 has none (a USB
    controller below it).  switch-noacs-pair: a switch whose two ports
    have no ACS (a USB and a SATA controller below them)."""

    MACHINES = ("switch-reach", "switch-noacs-pair", "switch-mixed-acs")
    NVME, NIC, USB = "0000:03:00.0", "0000:04:00.0", "0000:05:00.0"

    def one_way(self, machine="switch-reach"):
        """The series as recorded, with the USB group reaching the NVMe's
        and the NIC's one way through its port (replay domain 40000)."""
        rec = self.rec(machine)
        self.add("oracle", machine, rec)
        self.add("series", machine, rec, reasons={5: "below 40000:01:00.0: downstream port "
                                                     "40000:02:02.0 without ACS"})
        self.lines[-1:-1] = [f"@@replay-reaches series {machine} 5 {to} 40000:02:02.0"
                             for to in (6, 7)]

    def test_one_way_reach(self):
        self.one_way()
        rc, data, lines = self.report_json()
        self.assertEqual(rc, 0)
        a = data["machines"][0]["assignable"]
        self.assertEqual((a["status"], a["devices"], a["upstream"], a["switch_rule"],
                          a["series"], a["lost"], a["target_met"]),
                         ("measured", 3, 3, 0, 2, [], True))
        self.assertEqual(a["unsafe"], [dict(device=self.USB, kind="one-way", mutual=[],
                                            one_way=[self.NVME, self.NIC],
                                            ports=["0000:02:02.0"])])
        self.assertEqual(lines[2], "PASS replay/switch-reach/assignable upstream 3, "
                                   "switch rule 0, series 2 (1 unsafe alone under upstream)")
        s = data["summary"]
        self.assertEqual((s["assignable_machines"], s["alone_upstream"], s["alone_switch_rule"],
                          s["alone_series"], s["unsafe_alone_upstream"]), (1, 3, 0, 2, 1))
        rc, out, err, _ = self.run_report()
        self.assertEqual((rc, err), (0, ""))
        # The groups equal the recording: the block is there for the counts.
        self.assertIn("== switch-reach (Intel, kernel 6.8.0-45-GENERIC)\n"
                      "assignable alone: upstream 3, switch rule 0, series 2\n"
                      "  unsafe alone under upstream: 0000:05:00.0: one-way reach to "
                      "0000:03:00.0 0000:04:00.0 through 0000:02:02.0\n\n", out)
        self.assertRegex(out, r"\ndevices assignable alone under upstream +3  over 1 machines "
                              r"both kernels replayed\n")
        self.assertRegex(out, r"\ndevices assignable alone under the single-group switch rule "
                              r"+0\n")
        self.assertRegex(out, r"\ndevices assignable alone under the series +2\n")
        self.assertRegex(out, r"\nunsafe alone under upstream +1\n")

    def test_mutual_reach(self):
        rec = self.rec("switch-noacs-pair")
        self.add("oracle", "switch-noacs-pair", rec)
        merged = dict(rec, **{"0000:02:03.0": 3, "0000:04:00.0": 3})
        self.add("series", "switch-noacs-pair", merged,
                 reasons={3: "below 40000:01:00.0: downstream port 40000:02:01.0 without ACS"})
        rc, data, lines = self.report_json()
        self.assertEqual(rc, 0)
        a = data["machines"][0]["assignable"]
        self.assertEqual((a["upstream"], a["switch_rule"], a["series"]), (2, 0, 0))
        self.assertEqual(a["unsafe"], [
            dict(device="0000:03:00.0", kind="mutual", mutual=["0000:04:00.0"], one_way=[],
                 ports=[]),
            dict(device="0000:04:00.0", kind="mutual", mutual=["0000:03:00.0"], one_way=[],
                 ports=[])])
        self.assertEqual(lines[2], "PASS replay/switch-noacs-pair/assignable upstream 2, "
                                   "switch rule 0, series 0 (2 unsafe alone under upstream)")
        _, out, _, _ = self.run_report()
        self.assertIn("  unsafe alone under upstream: 0000:03:00.0: mutual reach with "
                      "0000:04:00.0\n  unsafe alone under upstream: 0000:04:00.0: mutual "
                      "reach with 0000:03:00.0\n", out)

    def test_mutual_and_one_way(self):
        self.one_way()
        self.lines = [line.replace(f"switch-reach {self.NIC} 7", f"switch-reach {self.NIC} 5")
                      if line.startswith("@@replay-fn series") else line for line in self.lines]
        rc, data, lines = self.report_json()
        self.assertEqual(rc, 0)
        a = data["machines"][0]["assignable"]
        self.assertEqual((a["upstream"], a["switch_rule"], a["series"]), (3, 0, 1))
        self.assertEqual([(u["device"], u["kind"], u["mutual"], u["one_way"])
                          for u in a["unsafe"]],
                         [(self.NIC, "both", [self.USB], [self.NVME]),
                          (self.USB, "both", [self.NIC], [self.NVME])])
        _, out, _, _ = self.run_report()
        self.assertIn("0000:05:00.0: mutual reach with 0000:04:00.0; one-way reach to "
                      "0000:03:00.0 through 0000:02:02.0\n", out)

    def test_lost_device_without_reach_fails(self):
        rec = self.rec("switch-reach")
        self.add("oracle", "switch-reach", rec)
        self.add("series", "switch-reach", dict(rec, **{self.NVME: None}))
        rc, data, lines = self.report_json()
        self.assertEqual(rc, 1)
        a = data["machines"][0]["assignable"]
        self.assertEqual((a["upstream"], a["switch_rule"], a["series"], a["unsafe"], a["lost"],
                          a["ok"], a["target_met"]),
                         (3, 2, 2, [], [self.NVME], False, False))
        self.assertEqual(lines[2], "FAIL replay/switch-reach/assignable upstream 3, switch "
                                   "rule 2, series 2 (0 unsafe alone under upstream); alone "
                                   "under upstream, not under the series, with no device it "
                                   "reaches: 0000:03:00.0; below the target series >= upstream "
                                   "- unsafe (2 < 3 - 0)")
        self.assertEqual(data["summary"]["failures"], 2)    # series-explained: ungrouped
        _, out, _, _ = self.run_report()
        self.assertIn("  LOST: 0000:03:00.0 alone under upstream, not under the series, with "
                      "no device it reaches (no series group)\n", out)

    def test_totals_and_skips(self):
        self.one_way()
        self.add("oracle", "switch-noacs-pair", self.rec("switch-noacs-pair"))
        self.add("series", "switch-mixed-acs", self.rec("switch-mixed-acs"))
        rc, data, lines = self.report_json()
        self.assertEqual(rc, 0)
        s = data["summary"]
        self.assertEqual((s["assignable_machines"], s["alone_upstream"], s["alone_series"]),
                         (1, 3, 2))
        by_name = {line.split()[1]: line for line in lines if "/assignable" in line}
        self.assertEqual(by_name["replay/switch-noacs-pair/assignable"],
                         "SKIP replay/switch-noacs-pair/assignable no series replay in the "
                         "results")
        self.assertEqual(by_name["replay/switch-mixed-acs/assignable"],
                         "SKIP replay/switch-mixed-acs/assignable no oracle replay in the "
                         "results")

    def test_helpers(self):
        groups = {"a": 1, "b": 2, "c": 3, "d": 4, "e": None}
        merged = replay_report.merge_reaching(groups, {2: {3: []}, 1: {2: []}})
        self.assertEqual(merged, {"a": 1, "b": 1, "c": 1, "d": 4, "e": None})
        self.assertEqual(replay_report.alone(["a", "b", "d", "e"], merged), {"d"})
        self.assertEqual(replay_report.machine_addr("40000:02:01.0"), "0000:02:01.0")
        self.assertEqual(replay_report.machine_addr("50000:E1:00.0"), "10000:e1:00.0")
        self.assertEqual(replay_report.machine_addr("0000:02:01.0"), "0000:02:01.0")


class BadInput(ReportTest):
    def expect_2(self, text, what):
        rc, out, err, lines = self.run_report(text=text)
        self.assertEqual(rc, 2, err)
        self.assertIn(what, err)
        self.assertNotIn("Traceback", err)
        self.assertEqual(lines, [])

    def test_bad_lines(self):
        good = "@@replay-begin oracle pch\n"
        self.expect_2(good + "@@replay-fn kernel9 pch 0000:00:00.0 1\n",
                      "results.txt:2: kernel 'kernel9' is neither oracle nor series")
        self.expect_2(good + "@@replay-fn oracle pch 00:00.0 1\n", "results.txt:2: bad value")
        self.expect_2(good + "@@replay-fn oracle pch 0000:00:00.0 one\n", "bad value one")
        self.expect_2(good + "@@replay-fn oracle pch 0000:00:00.0\n", "malformed @@replay-fn")
        self.expect_2(good + "@@replay-fin oracle pch\n", "unknown line @@replay-fin")
        self.expect_2(good + "@@replay-fn oracle pch 0000:00:00.0 1\n"
                      "@@replay-fn oracle pch 0000:00:00.0 2\n", "reported in groups 1 and 2")
        self.expect_2(good + "@@replay-reaches series pch 1 2\n", "malformed @@replay-reaches")
        self.expect_2(good + "@@replay-reaches series pch 1 2 40000:00:1c.0 x\n",
                      "malformed @@replay-reaches")
        self.expect_2(good + "@@replay-reaches series pch 1 - 40000:00:1c.0\n", "bad value -")
        self.expect_2(good + "@@replay-reaches series pch 1 2 port\n", "bad value port")
        self.expect_2("nothing here\n", "no @@replay lines")
        self.expect_2("@@replay-begin oracle no-such-machine\n", "no dump")

    def test_bad_files(self):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            self.assertEqual(replay_report.main(["--corpus", self.corpus, "/no/such/file"]), 2)
            self.assertEqual(replay_report.main(["--corpus", "/no/such/dir", dump_path("pch")]), 2)
            self.assertEqual(replay_report.main([]), 2)
        self.assertIn("/no/such/file: cannot read", err.getvalue())


class Corpus(unittest.TestCase):
    def test_recorded_groups_replayed_unchanged(self):
        """Every corpus machine replayed as recorded: all equal, nothing fails."""
        corpus = corpus_dir()
        if not corpus_dumps():
            self.skipTest("no corpus (../shared/lspci or $IG_CORPUS)")
        lines, total, machines, unusable = [], 0, 0, 0
        for path in corpus_dumps():
            name = os.path.basename(path)
            machine = name.removesuffix(".lspci")
            if name in UNPARSEABLE:
                lines.append(f"@@replay-error oracle {machine} dump not converted")
                unusable += 1
                continue
            rec = recorded(machine, corpus)
            total += len(rec)
            machines += 1
            lines += replay_lines("oracle", machine, rec) + replay_lines("series", machine, rec)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "results.txt")
            with open(path, "w", encoding="utf-8") as f:
                f.write("\n".join(lines) + "\n")
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                rc = replay_report.main(["--corpus", corpus, "--json", path])
        data = json.loads(out.getvalue())
        self.assertEqual(rc, 0)
        s = data["summary"]
        self.assertEqual((s["machines"], s["functions"], s["fidelity"], s["series_equal"],
                          s["unusable"]), (machines, total, machines, machines, unusable))
        self.assertTrue(all(m["cpu"] in ("AMD", "Intel") and m["kernel"] for m in data["machines"]))


if __name__ == "__main__":
    unittest.main()

"""Tests of how the harness reads a guest's console (harness/boot_log.py)
and judges it (harness/boot_checks.py): a broken result line or a
checker's report must never go unnoticed."""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "harness"))
import boot_checks  # noqa: E402
import boot_log  # noqa: E402
import scenario_file  # noqa: E402

SCN = """description: a test
iommu: intel
group: 00:00.0
"""


class Results:
    def __init__(self):
        self.lines = []

    def add(self, status, name, detail=""):
        self.lines.append((status, name, detail))


def judge(log, kernel="series"):
    tmp = os.path.join(os.environ.get("TMPDIR", "/tmp"), "ig-test-boot.scn")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(SCN)
    scn = scenario_file.Scenario(tmp)
    b = boot_log.Boot(log)
    b.elapsed, b.timed_out, b.rc, b.logpath, b.stderr = 1.0, False, 0, tmp, ""
    res = Results()
    boot_checks.check_boot(scn, kernel, b, res)
    return res.lines


BEGIN = "@@begin 6.12\n@@group 0 0000:00:00.0\n"
END = "@@kmemleak 0\n@@end\n"


class BootLogTest(unittest.TestCase):
    def failures(self, log, kernel="series"):
        return [(n, d) for s, n, d in judge(log, kernel) if s == "FAIL"]

    def test_clean_boot_passes(self):
        self.assertEqual(self.failures(BEGIN + "@@result x pass fine\n" + END), [])

    def test_malformed_result_fails(self):
        bad = self.failures(BEGIN + "@@result lonely\n" + END)
        self.assertTrue(any("malformed" in n for n, _ in bad), bad)

    def test_result_without_status_word_fails(self):
        bad = self.failures(BEGIN + "@@result\n" + END)
        self.assertTrue(any("malformed" in n for n, _ in bad), bad)

    def test_report_on_a_line_with_at_at_fails(self):
        log = BEGIN + "@@result x pass [   12.345678] BUG: KASAN: use-after-free in foo\n" + END
        bad = self.failures(log, kernel="debug")
        self.assertTrue(any(n.endswith("/debug-reports") for n, _ in bad), bad)

    def test_report_alone_fails(self):
        log = BEGIN + "[    3.100000] WARNING: CPU: 0 PID: 1 at drivers/iommu/x.c:1\n" + END
        bad = self.failures(log, kernel="debug")
        self.assertTrue(any(n.endswith("/debug-reports") for n, _ in bad), bad)

    def test_result_text_that_names_a_checker_is_not_a_report(self):
        log = BEGIN + "@@result kasan pass no KASAN report in 3 runs\n" + END
        self.assertEqual(self.failures(log, kernel="debug"), [])


if __name__ == "__main__":
    unittest.main()

"""Tests of how harness/selftests.py reads kselftest's TAP from a guest's
console and judges the series against the oracle: a test that differs, or
fails on both kernels without a known reason, must never pass."""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "harness"))
import selftests  # noqa: E402

CONSOLE = """\
[    1.000000] Run /init as init process
@@begin 6.12
@@kst-begin iommufd 2.50
TAP version 13
1..4
# Starting 4 tests from 2 test cases.
#  RUN           iommufd.simple_close ...
#            OK  iommufd.simple_close
ok 1 iommufd.simple_close
#  RUN           iommufd_ioas.mock_domain.get_hw_info ...
# iommufd.c:618:get_hw_info:Expected 0 (0) == _test_cmd_get_hw_info(x) (-1)
# get_hw_info: Test terminated by assertion
#          FAIL  iommufd_ioas.mock_domain.get_hw_info
not ok 2 iommufd_ioas.mock_domain.get_hw_info
#  RUN           iommufd_ioas.mock_domain.area ...
[    3.100000] some kernel line ok 9 not.a.test
#            OK  iommufd_ioas.mock_domain.area
[    3.200000] printk in front ok 3 iommufd_ioas.mock_domain.area
#  RUN           iommufd.skipped ...
ok 4 iommufd.skipped # SKIP no hugepages
# FAILED: 2 / 4 tests passed.
@@kst-end iommufd 1 8.75
@@end
"""


class Res:
    def __init__(self):
        self.lines = []

    def add(self, status, name, detail=""):
        self.lines.append(f"{status} {name} {detail}".rstrip())


class ParseTest(unittest.TestCase):
    def test_outcomes_and_reasons(self):
        runs = selftests.parse(CONSOLE)
        r = runs["iommufd"]
        self.assertEqual(r.plan, 4)
        self.assertEqual(r.exit, 1)
        self.assertAlmostEqual(r.seconds, 6.25)
        self.assertEqual(r.tests["iommufd.simple_close"], ("ok", ""))
        self.assertEqual(r.tests["iommufd_ioas.mock_domain.get_hw_info"][0], "fail")
        self.assertIn(":Expected 0 (0)", r.tests["iommufd_ioas.mock_domain.get_hw_info"][1])
        # a kernel line in front of a TAP line does not hide it
        self.assertEqual(r.tests["iommufd_ioas.mock_domain.area"], ("ok", ""))
        self.assertEqual(r.tests["iommufd.skipped"], ("skip", "no hugepages"))
        self.assertEqual(len(r.tests), 4)

    def test_nothing_outside_the_markers(self):
        self.assertEqual(selftests.parse("ok 1 a.b\n1..1\n"), {})

    def test_unfinished_run_is_incomplete(self):
        text = CONSOLE.split("#  RUN           iommufd_ioas.mock_domain.area")[0]
        r = selftests.parse(text)["iommufd"]
        self.assertIsNone(r.exit)
        self.assertEqual(len(r.tests), 2)


class CompareTest(unittest.TestCase):
    KNOWN = {"iommufd/t.known": "newer UAPI", "iommufd/t.dbg@debug": "checkers' allocations"}

    def judge(self, mine, oracle):
        res = Res()
        selftests.compare("series", {"iommufd": mine}, {"iommufd": oracle},
                          self.KNOWN, ["iommufd"], res)
        return res.lines

    def test_equal_pass(self):
        self.assertEqual(self.judge({"t.a": ("ok", "")}, {"t.a": ("ok", "")}),
                         ["PASS iommufd-selftests[series]/iommufd/t.a ok on series and oracle"])

    def test_difference_fails(self):
        lines = self.judge({"t.a": ("fail", "x.c:1:Expected")}, {"t.a": ("ok", "")})
        self.assertTrue(lines[0].startswith("FAIL "), lines)
        lines = self.judge({"t.a": ("ok", "")}, {"t.a": ("fail", "x")})
        self.assertTrue(lines[0].startswith("FAIL "), lines)

    def test_missing_on_one_kernel_fails(self):
        lines = self.judge({}, {"t.a": ("ok", "")})
        self.assertTrue(lines[0].startswith("FAIL "), lines)

    def test_known_failure_on_both_is_a_skip_with_reason(self):
        lines = self.judge({"t.known": ("fail", "why")}, {"t.known": ("fail", "why")})
        self.assertEqual(len(lines), 1)
        self.assertTrue(lines[0].startswith("SKIP "), lines)
        self.assertIn("newer UAPI", lines[0])

    def test_unknown_failure_on_both_fails(self):
        lines = self.judge({"t.b": ("fail", "why")}, {"t.b": ("fail", "why")})
        self.assertTrue(lines[0].startswith("FAIL "), lines)

    def test_known_kernel_only_failure(self):
        res = Res()
        selftests.compare("debug", {"iommufd": {"t.dbg": ("fail", "limit")}},
                          {"iommufd": {"t.dbg": ("ok", "")}}, self.KNOWN, ["iommufd"], res)
        self.assertTrue(res.lines[0].startswith("SKIP "), res.lines)
        # on another kernel the entry does not apply
        lines = self.judge({"t.dbg": ("fail", "limit")}, {"t.dbg": ("ok", "")})
        self.assertTrue(lines[0].startswith("FAIL "), lines)
        # and a stale one fails
        res = Res()
        selftests.compare("debug", {"iommufd": {"t.dbg": ("ok", "")}},
                          {"iommufd": {"t.dbg": ("ok", "")}}, self.KNOWN, ["iommufd"], res)
        self.assertTrue(res.lines[0].startswith("FAIL "), res.lines)

    def test_stale_known_failure_fails(self):
        lines = self.judge({"t.known": ("ok", "")}, {"t.known": ("ok", "")})
        self.assertTrue(any(x.startswith("FAIL ") for x in lines), lines)


class KnownFailuresTest(unittest.TestCase):
    def test_the_list_parses(self):
        known = selftests.load_known()
        self.assertTrue(known)
        for key, why in known.items():
            self.assertIn(key.split("/")[0], selftests.PROGS)
            self.assertTrue(why)


if __name__ == "__main__":
    unittest.main()

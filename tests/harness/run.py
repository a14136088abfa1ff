#!/usr/bin/env python3
"""Run the harness's own tests (tests/harness/test_*.py); append one
"PASS|FAIL|SKIP harness/NAME detail" line per test to the file given.

Usage: run.py RESULTS [DIR PREFIX]   the tests in DIR instead, named PREFIX/..."""

import os
import sys
import unittest


PREFIX = "harness"


class Recorder(unittest.TextTestResult):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = []

    def _name(self, test):
        # test_monitor.MonitorTest.test_x -> harness/monitor.test_x
        parts = test.id().split(".")
        return f"{PREFIX}/{parts[0].removeprefix('test_')}.{parts[-1]}"

    def addSuccess(self, test):
        super().addSuccess(test)
        self.lines.append(f"PASS {self._name(test)}")

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self.lines.append(f"SKIP {self._name(test)} {reason}")

    def addFailure(self, test, err):
        super().addFailure(test, err)
        last = self._exc_info_to_string(err, test).strip().splitlines()[-1]
        self.lines.append(f"FAIL {self._name(test)} {last}")

    def addError(self, test, err):
        super().addError(test, err)
        last = self._exc_info_to_string(err, test).strip().splitlines()[-1]
        self.lines.append(f"FAIL {self._name(test)} error: {last}")


def main():
    global PREFIX
    here = os.path.dirname(os.path.abspath(__file__))
    if len(sys.argv) == 4:
        here, PREFIX = os.path.abspath(sys.argv[2]), sys.argv[3]
    suite = unittest.defaultTestLoader.discover(here, pattern="test_*.py")
    result = unittest.TextTestRunner(resultclass=Recorder, verbosity=2).run(suite)
    if len(sys.argv) > 1:
        with open(sys.argv[1], "a", encoding="utf-8") as f:
            for line in result.lines:
                f.write(line + "\n")
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Count the result lines of every suite and print the closing line.

usage: summary.py RESULTS_DIR
Prints each FAIL and SKIP, then exactly one line
  check: N passed, M failed[, K skipped]
and exits 1 when anything failed (or nothing ran).
"""
import glob
import os
import sys


def main():
    counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}
    notes = []
    for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.txt"))):
        with open(path, encoding="utf-8") as f:
            for line in f:
                status = line.split(" ", 1)[0]
                if status not in counts:
                    status = "FAIL"
                    line = f"FAIL malformed result in {os.path.basename(path)}: {line}"
                counts[status] += 1
                if status != "PASS":
                    notes.append(line.rstrip())
    for line in notes:
        print(line)
    summary = f"check: {counts['PASS']} passed, {counts['FAIL']} failed"
    if counts["SKIP"]:
        summary += f", {counts['SKIP']} skipped"
    print(summary)
    return 1 if counts["FAIL"] or not counts["PASS"] else 0


sys.exit(main())

#!/usr/bin/env python3
"""Turn kunit.py --json output into harness result lines.

usage: kunit_results.py JSON EXIT_CODE LOG
A run that produced no JSON, or no test at all, is one FAIL line.
"""
import json
import sys


def cases(node, path, root=False):
    name = node.get("name") or ""
    here = path if root or not name else path + [name]
    for case in node.get("test_cases", []):
        yield "/".join(here + [case["name"]]), case.get("status", "FAIL")
    for sub in node.get("sub_groups", []):
        yield from cases(sub, here)


def main():
    path, rc, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        print(f"FAIL kunit/run kunit.py exited {rc} without results (log {log})")
        return
    found = 0
    for name, status in cases(data.get("results", data), ["kunit"], root=True):
        found += 1
        status = {"PASS": "PASS", "SKIP": "SKIP"}.get(status, "FAIL")
        print(f"{status} {name}")
    if not found:
        print(f"FAIL kunit/run no test case ran (exit {rc}, log {log})")
    elif rc:
        print(f"FAIL kunit/run kunit.py exited {rc} (log {log})")


main()

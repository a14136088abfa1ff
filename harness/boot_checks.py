"""One boot judged against its scenario: the boot itself, the debug
checkers, the groups, and the guest's own results, as result lines."""

import os
import re

from boot_log import DEBUG_REPORTS, KERNEL_LINE
from machines import TOP


def fmt_partition(groups):
    return "; ".join("{" + " ".join(sorted(g)) + "}" for g in sorted(groups, key=sorted))


class Results:
    def __init__(self, path):
        self.path = path
        self.lines = []

    def add(self, status, name, detail=""):
        line = f"{status} {name} {detail}".rstrip()
        self.lines.append(line)
        print(line, flush=True)
        if self.path:
            with open(self.path, "a", encoding="utf-8") as f:
                f.write(line + "\n")


def check_boot(scn, kernel, b, res):
    tag = f"{scn.name}[{kernel}]"
    rel = os.path.relpath(b.logpath, TOP)
    if kernel == "oracle" and scn.oracle_oops:
        m = scn.oracle_oops.search(b.log)
        if m and b.began and not b.ended:
            res.add("PASS", f"{tag}/upstream-bug-reproduced",
                    f"'{m.group(0).splitlines()[0]}' (log {rel})")
            b.ended = True      # what it printed before the crash is checked below
        else:
            res.add("FAIL", f"{tag}/upstream-bug-reproduced",
                    f"expected the oracle to crash with /{scn.oracle_oops.pattern}/ (log {rel})")
            if not b.began:
                return False
            b.ended = True
    if not (b.began and b.ended):
        why = (f"timed out after {scn.timeout}s" if b.timed_out
               else f"guest did not finish (qemu exit {b.rc})")
        # QEMU's own last word, not a trace event (IG_QEMU_TRACE)
        tail = [x for x in b.stderr.splitlines()
                if not re.match(r"\d+@\d+\.\d+:", x)][-1:]
        res.add("FAIL", f"{tag}/boot", f"{why}; log {rel} {' '.join(tail)}".strip())
        return False
    res.add("PASS", f"{tag}/boot", f"{b.elapsed:.1f}s")
    if kernel == "debug":
        reports = [line.strip() for line in b.log.splitlines()
                   if (k := KERNEL_LINE.search(line)) and DEBUG_REPORTS.search(line, k.end())]
        leaks = re.findall(r"@@kmemleak (\d+)", b.log)
        if reports:
            res.add("FAIL", f"{tag}/debug-reports", f"{len(reports)} lines, first: {reports[0]} (log {rel})")
        else:
            res.add("PASS", f"{tag}/debug-reports", "no KASAN, lockdep, debugobjects or WARN report")
        if not leaks:
            res.add("FAIL", f"{tag}/kmemleak", "no kmemleak scan result")
        elif leaks[-1] != "0":
            res.add("FAIL", f"{tag}/kmemleak", f"{leaks[-1]} suspected leaks (log {rel})")
        else:
            res.add("PASS", f"{tag}/kmemleak", "scan found no leak")
    want = set(scn.expected(kernel))
    got = set(b.partition())
    if want == got:
        res.add("PASS", f"{tag}/groups", f"{len(got)} groups as expected")
    else:
        res.add("FAIL", f"{tag}/groups",
                f"missing {fmt_partition(want - got) or '-'}, "
                f"unexpected {fmt_partition(got - want) or '-'} (log {rel})")
    for line in b.malformed:
        res.add("FAIL", f"{tag}/malformed-result", f"{line!r}: a result needs a name and a status (log {rel})")
    for name, status, detail in b.results:
        status = status.upper()
        if status not in ("PASS", "FAIL", "SKIP"):
            status, detail = "FAIL", f"bad status in guest result: {detail}"
        res.add(status, f"{tag}/{name}", detail)
    return True

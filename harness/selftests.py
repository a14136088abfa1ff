#!/usr/bin/env python3
"""Upstream's iommufd selftests on the series, compared test by test with the oracle.

tools/testing/selftests/iommu of the base tree (iommufd, iommufd_fail_nth),
built unchanged by harness/selftests.sh, runs in a guest of each kernel
(tests/guest/selftests.sh): they register a mock IOMMU on a mock bus, so
every mock device goes through the group core (group allocation, add and
remove, DMA-ownership claims, attach / replace / detach, release).

Each test's outcome on a kernel must equal the oracle's.  A test that fails
on both kernels must be listed, with the reason, in
tests/selftests/known-failures: it is then reported as a skip with that
reason; an unlisted one, or a listed one that passes, fails.  An entry
TEST@KERNEL names a test that fails on that kernel only (the debug
kernel's checkers change what a test sees), with the reason, alike.  Any kernel
report (WARN, BUG, KASAN, lockdep...) during a run fails it, and on the
debug kernel so does a kmemleak finding.

Usage: selftests.py [--kernels series,oracle|debug] [--results FILE]
                    [--only PROG] [--args 'KSELFTEST ARGS']
"""

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from boot_checks import Results  # noqa: E402
from boot_log import DEBUG_REPORTS, KERNEL_LINE, Boot  # noqa: E402
from machines import BUILD, TOP, kernel_image  # noqa: E402
from qemu_cmd import append_tree, detect_accel  # noqa: E402

WORK = os.path.join(BUILD, "selftests")
BIN = os.path.join(WORK, "bin")
KNOWN = os.path.join(TOP, "tests", "selftests", "known-failures")
PROGS = ("iommufd", "iommufd_fail_nth")
SUITE = "iommufd-selftests"
# Seconds for one guest running both programs (about 15 s of tests on the
# series under TCG; the debug kernel's checkers make it many times slower).
TIMEOUTS = {"series": 600, "oracle": 600, "debug": 2400}

# kselftest's TAP: "ok 3 fixture.variant.test", "not ok 4 ...", "ok 5 x # SKIP why".
# A kernel line may land in front of it on the console: search, do not anchor.
TAP_RESULT = re.compile(r"(?<![\w-])(not ok|ok) (\d+) (\S+)(?: # (\w+)\s*(.*))?$")
TAP_PLAN = re.compile(r"(?:^|\s)1\.\.(\d+)\s*$")
TAP_RUN = re.compile(r"#\s+RUN\s+(\S+) \.\.\.")
KST_BEGIN = re.compile(r"@@kst-begin (\S+) ([\d.]+)")
KST_END = re.compile(r"@@kst-end (\S+) (\d+) ([\d.]+)")


class Run:
    """What one program printed in one guest: its plan and per-test outcome."""

    def __init__(self, prog):
        self.prog = prog
        self.plan = None
        self.tests = {}         # name -> (ok|fail|skip, reason)
        self.exit = None
        self.seconds = None


def parse(text):
    """prog -> Run, from a guest's console output."""
    runs, cur, diag, start = {}, None, [], 0.0
    for raw in text.splitlines():
        line = raw.rstrip("\r")
        if (m := KST_BEGIN.search(line)):
            cur = runs[m.group(1)] = Run(m.group(1))
            diag, start = [], float(m.group(2))
            continue
        if cur is None:
            continue
        if (m := KST_END.search(line)):
            cur.exit, cur.seconds = int(m.group(2)), float(m.group(3)) - start
            cur = None
            continue
        if (m := TAP_PLAN.search(line)) and cur.plan is None:
            cur.plan = int(m.group(1))
        elif TAP_RUN.search(line):
            diag = []
        elif (m := TAP_RESULT.search(line)) and int(m.group(2)) == len(cur.tests) + 1:
            # numbered in order: a kernel line that happens to read
            # "ok N x" does not count
            name = m.group(3)
            if m.group(1) == "ok" and (m.group(4) or "").upper() == "SKIP":
                cur.tests[name] = ("skip", m.group(5).strip() or "skipped")
            elif m.group(1) == "ok":
                cur.tests[name] = ("ok", "")
            else:
                cur.tests[name] = ("fail", reason(diag))
            diag = []
        elif line.lstrip().startswith("#"):
            diag.append(line.strip().lstrip("#").strip())
    return runs


def reason(diag):
    """The line that says why a test failed: its first assertion, a timeout or
    a signal, else the last thing it printed."""
    for d in diag:
        if re.search(r":Expected |terminated by|died by signal|Test failed", d):
            return d[:240]
    useful = [d for d in diag if not re.match(r"(OK|FAIL|SKIP)\s+\S+$", d)]
    return (useful[-1] if useful else "no diagnostic printed")[:240]


def load_known():
    """test name -> reason, from tests/selftests/known-failures."""
    known = {}
    with open(KNOWN, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            words = line.split(None, 2)
            if len(words) < 3 or words[0] not in PROGS:
                raise SystemExit(f"{KNOWN}:{n}: want 'PROG TEST REASON', got {line!r}")
            known[f"{words[0]}/{words[1]}"] = words[2]
    return known


def image_id(kernel):
    with open(kernel_image(kernel, "x86_64"), "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def overlay(dest):
    """The base initramfs plus /selftests/* and the guest part."""
    with tempfile.TemporaryDirectory() as tmp:
        os.makedirs(os.path.join(tmp, "selftests"))
        os.makedirs(os.path.join(tmp, "scenario"))
        for prog in PROGS:
            shutil.copy(os.path.join(BIN, prog), os.path.join(tmp, "selftests", prog))
        shutil.copy(os.path.join(TOP, "tests", "guest", "selftests.sh"),
                    os.path.join(tmp, "scenario", "test"))
        append_tree(tmp, "x86_64", dest)


def boot(kernel, cpio, accel, only, args, timeout, more=""):
    """Run the selftests in one guest of @kernel; returns (console text, log, seconds, timed out)."""
    append = [f"console=ttyS0 panic=-1 oops=panic ig.kernel={kernel}",
              # no VT-d: an active Intel IOMMU takes the mock devices and refuses them
              "intel_iommu=off"]
    if only:
        append.append("ig.kst=" + only)
    if args:
        append.append("ig.kst-args=" + ",".join(args.split()))
    if more:
        append.append(more)
    # 1.5 GiB: room for the 96 huge pages the guest reserves and the
    # dirty-tracking cases' 128 MiB buffers
    cmd = ["qemu-system-x86_64", "-accel", accel, "-M", "q35", "-m", "1536", "-smp", "1",
           "-nodefaults", "-display", "none", "-serial", "stdio", "-no-reboot",
           "-kernel", kernel_image(kernel, "x86_64"), "-initrd", cpio,
           "-append", " ".join(append)]
    start = time.monotonic()
    timed_out = False
    try:
        out = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                             timeout=timeout).stdout.decode(errors="replace")
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace") + f"\n# timed out after {timeout}s\n"
        timed_out = True
    elapsed = time.monotonic() - start
    log = os.path.join(BUILD, "logs", f"{SUITE}.{kernel}.log")
    with open(log, "w", encoding="utf-8") as f:
        f.write("# " + " ".join(cmd) + "\n" + out)
    return out, os.path.relpath(log, TOP), elapsed, timed_out


def check_guest(kernel, out, log, elapsed, timed_out, runs, progs, res):
    """Boot-level results of one guest: it finished, its own steps, no
    kernel report, every test reported."""
    tag = f"{SUITE}[{kernel}]"
    b = Boot(out)
    if b.began and b.ended:
        res.add("PASS", f"{tag}/boot", f"{elapsed:.1f}s")
    else:
        res.add("FAIL", f"{tag}/boot",
                f"{'timed out' if timed_out else 'the guest stopped'} after {elapsed:.0f}s: "
                f"{crash_line(out)} (log {log})")
    for name, status, detail in b.results:
        res.add(status.upper() if status.upper() in ("PASS", "FAIL", "SKIP") else "FAIL",
                f"{tag}/{name}", detail)
    reports = [line.strip() for line in out.splitlines()
               if (k := KERNEL_LINE.search(line))
               and DEBUG_REPORTS.search(line, k.end())]
    if reports:
        res.add("FAIL", f"{tag}/kernel-reports", f"{len(reports)} lines, first: {reports[0]} (log {log})")
    else:
        res.add("PASS", f"{tag}/kernel-reports", "no WARN, BUG or checker report during the selftests")
    if kernel == "debug":
        leaks = re.findall(r"@@kmemleak (\d+)", out)
        if not leaks:
            res.add("FAIL", f"{tag}/kmemleak", f"no kmemleak scan result (log {log})")
        elif leaks[-1] != "0":
            res.add("FAIL", f"{tag}/kmemleak", f"{leaks[-1]} suspected leaks (log {log})")
        else:
            res.add("PASS", f"{tag}/kmemleak", "scan found no leak")
    for prog in progs:
        r = runs.get(prog)
        if r is None:
            res.add("FAIL", f"{tag}/{prog}", f"did not start (log {log})")
            continue
        counts = {s: sum(1 for v in r.tests.values() if v[0] == s) for s in ("ok", "fail", "skip")}
        summary = (f"{len(r.tests)} of {r.plan} tests reported: {counts['ok']} ok, "
                   f"{counts['fail']} failed, {counts['skip']} skipped"
                   + (f", {r.seconds:.1f}s" if r.seconds is not None else ""))
        if r.plan is None or r.exit is None or len(r.tests) != r.plan:
            res.add("FAIL", f"{tag}/{prog}", f"{summary}; exit {r.exit} (log {log})")
        else:
            res.add("PASS", f"{tag}/{prog}", summary)


def crash_line(out):
    for line in out.splitlines():
        if re.search(r"BUG:|Oops|general protection|Kernel panic|RIP:|timed out", line):
            return line.strip()[:200]
    return "no @@end"


def compare(kernel, mine, oracle, known, progs, res):
    """One result per test: @kernel's outcome against the oracle's."""
    tag = f"{SUITE}[{kernel}]"
    for prog in progs:
        a = mine.get(prog, {})
        o = oracle.get(prog, {})
        for test in sorted(set(a) | set(o)):
            key = f"{prog}/{test}"
            name = f"{tag}/{key}"
            sa, ra = a.get(test, ("missing", "no result"))
            so, ro = o.get(test, ("missing", "no result"))
            only_here = known.get(f"{key}@{kernel}")
            if sa == "fail" and so == "ok" and only_here:
                res.add("SKIP", name, f"fails on {kernel} only, as known: {only_here} [{ra}]")
            elif sa != so:
                res.add("FAIL", name, f"{kernel}: {sa}" + (f" ({ra})" if ra else "")
                        + f"; oracle: {so}" + (f" ({ro})" if ro else ""))
            elif sa == "ok" and only_here:
                res.add("FAIL", name, f"passes on {kernel} and oracle, but tests/selftests/"
                        f"known-failures says it fails on {kernel}: remove the entry")
            elif sa == "ok":
                res.add("PASS", name, f"ok on {kernel} and oracle"
                        + (" (listed in known-failures: remove it)" if key in known else ""))
                if key in known:
                    res.add("FAIL", f"{name}-known", "listed in tests/selftests/known-failures "
                            "but passes on both kernels: remove the entry")
            elif sa == "skip":
                res.add("SKIP", name, f"skipped on {kernel} and oracle: {ra}")
            elif key in known:
                res.add("SKIP", name, f"fails on {kernel} and oracle alike: {known[key]} [{ra}]")
            else:
                res.add("FAIL", name, f"fails on {kernel} and oracle alike, not a known failure: {ra}")


def run_kernel(kernel, accel, args, res, progs):
    """Boot @kernel, report its guest-level results, return prog -> tests."""
    cpio = os.path.join(WORK, f"{kernel}.cpio")
    overlay(cpio)
    out, log, elapsed, timed_out = boot(kernel, cpio, accel, ",".join(progs) if args.only else "",
                                        args.args, args.timeout or TIMEOUTS[kernel], args.append)
    runs = parse(out)
    check_guest(kernel, out, log, elapsed, timed_out, runs, progs, res)
    return {p: r.tests for p, r in runs.items()}


def oracle_results(accel, args, res, progs):
    """The oracle's outcomes: from this run's earlier boot of the same
    oracle image and selection if there is one, else a boot now."""
    saved = os.path.join(WORK, "oracle.json")
    want = {"image": image_id("oracle"), "progs": progs, "args": args.args or "",
            "append": args.append}
    try:
        with open(saved, encoding="utf-8") as f:
            data = json.load(f)
        if all(data.get(k) == v for k, v in want.items()):
            return {p: {t: tuple(v) for t, v in tests.items()} for p, tests in data["tests"].items()}
    except (OSError, ValueError, KeyError):
        pass
    tests = run_kernel("oracle", accel, args, res, progs)
    with open(saved, "w", encoding="utf-8") as f:
        json.dump(dict(want, tests=tests), f, indent=1)
    return tests


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kernels", default="series,oracle",
                    help="kernels compared with the oracle (series, debug); the oracle always runs")
    ap.add_argument("--results", help="append PASS/FAIL/SKIP lines to this file")
    ap.add_argument("--only", choices=PROGS, help="run one of the two programs")
    ap.add_argument("--args", help="kselftest selectors for it, e.g. '-f iommufd_ioas'")
    ap.add_argument("--timeout", type=int, help="seconds per guest")
    ap.add_argument("--append", default="", help="more kernel command line (not for the oracle's saved run)")
    args = ap.parse_args()
    if args.args and not args.only:
        ap.error("--args needs --only: the two programs have different test names")
    progs = [args.only] if args.only else list(PROGS)
    os.makedirs(WORK, exist_ok=True)
    os.makedirs(os.path.join(BUILD, "logs"), exist_ok=True)
    res = Results(args.results)
    subprocess.run([os.path.join(TOP, "harness", "selftests.sh")], check=True)
    known = load_known()
    accel = detect_accel("x86_64")
    kernels = [k for k in args.kernels.split(",") if k != "oracle"]
    for k in kernels:
        if k not in ("series", "debug"):
            ap.error(f"unknown kernel {k!r} (series, oracle, debug)")
    # a fresh oracle boot whenever the series runs too (make check's suite);
    # the debug suite reuses it
    if "series" in kernels:
        try:
            os.unlink(os.path.join(WORK, "oracle.json"))
        except FileNotFoundError:
            pass
    oracle = oracle_results(accel, args, res, progs)
    for k in kernels:
        compare(k, run_kernel(k, accel, args, res, progs), oracle, known, progs, res)
    return 1 if any(line.startswith("FAIL") for line in res.lines) else 0


def guarded():
    """main(), with a crash recorded as a result: make check's debug suite
    calls this among other steps and reads only its results."""
    try:
        return main()
    except SystemExit:
        raise
    except Exception as e:  # noqa: BLE001 - any crash becomes a FAIL line
        if "--results" in sys.argv[1:-1]:
            path = sys.argv[sys.argv.index("--results") + 1]
            with open(path, "a", encoding="utf-8") as f:
                f.write(f"FAIL {SUITE}/harness selftests.py crashed: {type(e).__name__}: {e}\n")
        raise


if __name__ == "__main__":
    sys.exit(guarded())

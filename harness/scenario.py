#!/usr/bin/env python3
"""Boot scenarios: parse, run under QEMU, assert, compare with the oracle.

Each job has its own file in harness/:

  scenario_file.py   the scenario files (tests/scenarios/*.scn): keys, checks
  machines.py        architectures, kernels, IOMMU machines, image paths
  qemu_cmd.py        the accelerator, the initramfs overlay, the command line
  monitor.py         QMP: the guest's '@@qmp' commands, hot-plug ordering
  boot_log.py        the guest's console parsed ('@@' lines, checker reports)
  boot_checks.py     one boot against its scenario, as result lines
  oracle_compare.py  the series' sysfs state against the oracle's
  group_table.py     the group table (--table)

This file runs QEMU with the serial console and the monitor in one loop,
and boots every scenario given on every kernel asked for.

The guest (tests/guest/init) prints "@@" lines; they become results: one
"PASS|FAIL|SKIP name detail" line each, appended to --results.
"""

import argparse
import concurrent.futures
import os
import selectors
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

from boot_checks import Results, check_boot
from boot_log import Boot
from group_table import print_table
from machines import ARCHES, BUILD, KERNEL_ALIASES, KERNELS, TOP, initramfs, kernel_image
from monitor import Monitor
from oracle_compare import compare
from qemu_cmd import detect_accel, overlay_cpio, qemu_command
from scenario_file import Scenario, ScenarioError


def run_guest(cmd, timeout, qmp_path):
    """Run QEMU until it exits or @timeout passes.  A guest line
    '@@qmp {...}' goes to QEMU's monitor (see Monitor); the harness's own
    lines ("# qmp ...") go into the log between the guest's lines."""
    # stderr goes to a file: nobody reads a pipe while QEMU runs, and a
    # full one would stop it (traces, warnings)
    errfile = tempfile.TemporaryFile()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=errfile)
    deadline = time.monotonic() + timeout
    out = bytearray()
    stamp = bool(os.environ.get("IG_QEMU_TRACE"))

    def log(line):
        # with QEMU's trace (wall-clock stamped), stamp ours alike
        if stamp:
            line = f"{line} @{time.time():.6f}"
        out.extend(line.encode() + b"\n")

    mon = Monitor(qmp_path, log)
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    watching = False
    pending = b""
    timed_out = waiting = False
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = True
            proc.kill()
            break
        if mon.sock is not None and not watching and not mon.closed:
            sel.register(mon, selectors.EVENT_READ)
            watching = True
        elif watching and mon.closed:
            sel.unregister(mon)
            watching = False
        ready = sel.select(timeout=min(left, 0.05 if waiting else 1.0))
        eof = False
        for key, _ in ready:
            if key.fileobj is mon:
                mon.pump()
                continue
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                eof = True
                break
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                out += line + b"\n"
                i = line.find(b"@@qmp ")
                if i >= 0:
                    mon.request(line[i + 6:].decode(errors="replace").strip())
        if eof or (not ready and proc.poll() is not None):
            break
        waiting = mon.run()
    out += pending
    mon.close()
    try:
        proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
    errfile.seek(0)
    err = errfile.read()
    errfile.close()
    rc = None if timed_out else proc.returncode
    return bytes(out), err, rc, timed_out


def boot(scn, kernel, accel, more=""):
    rundir = os.path.join(BUILD, "run")
    os.makedirs(rundir, exist_ok=True)
    cpio = os.path.join(rundir, f"{scn.name}.{kernel}.cpio")
    overlay_cpio(scn, cpio)
    logpath = os.path.join(BUILD, "logs", f"{scn.name}.{kernel}.log")
    os.makedirs(os.path.dirname(logpath), exist_ok=True)
    qmp_path = os.path.join(rundir, f"{scn.name}.{kernel}.qmp")
    if os.path.exists(qmp_path):
        os.unlink(qmp_path)
    cmd = qemu_command(scn, kernel, accel, cpio, qmp_path, more)
    start = time.monotonic()
    out, err, rc, timed_out = run_guest(cmd, scn.timeout, qmp_path)
    elapsed = time.monotonic() - start
    text = out.decode(errors="replace")
    with open(logpath, "w", encoding="utf-8") as f:
        f.write("# " + shlex.join(cmd) + "\n")
        f.write(text)
        if err:
            f.write("\n# qemu stderr:\n" + err.decode(errors="replace"))
    b = Boot(text)
    b.elapsed, b.timed_out, b.rc, b.logpath = elapsed, timed_out, rc, logpath
    b.stderr = err.decode(errors="replace").strip()
    return b


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kernel", default="both",
                    help="series, oracle, both (default) or debug")
    ap.add_argument("--results", help="append result lines to this file")
    ap.add_argument("--append", default="",
                    help="more kernel command line for every boot (e.g. ig.storm=100)")
    ap.add_argument("--table", action="store_true", help="print the group table")
    ap.add_argument("--validate", action="store_true",
                    help="only parse the scenario files")
    ap.add_argument("--arch", choices=sorted(ARCHES),
                    help="run only the scenarios of this architecture")
    ap.add_argument("--print-arch", action="store_true",
                    help="print the architecture of each scenario and stop")
    ap.add_argument("scenarios", nargs="+")
    args = ap.parse_args()

    kernel = KERNEL_ALIASES.get(args.kernel, args.kernel)
    if kernel == "both":
        kernels = ["series", "oracle"]
    elif kernel in KERNELS:
        kernels = [kernel]
    else:
        sys.exit(f"scenario.py: --kernel must be series, oracle, both or debug, not '{args.kernel}'")
    try:
        scns = [Scenario(p) for p in args.scenarios]
    except ScenarioError as e:
        sys.exit(f"scenario.py: {e}")
    if args.validate:
        print(f"{len(scns)} scenario files valid")
        return 0
    if args.print_arch:
        for s in scns:
            print(s.arch)
        return 0
    if args.arch:
        scns = [s for s in scns if s.arch == args.arch]
        if not scns:
            sys.exit(f"scenario.py: no {args.arch} scenario among those given")
    for arch in sorted({s.arch for s in scns}):
        for k in kernels:
            image = kernel_image(k, arch)
            if not os.path.exists(image):
                target = {"series": "kernel", "oracle": "oracle", "debug": "check-debug"}[k]
                if arch != "x86_64":
                    target += f" ARCH={arch}"
                sys.exit(f"scenario.py: no {k} kernel at {os.path.relpath(image, TOP)}"
                         f" (run 'make {target}')")
        if not os.path.exists(initramfs(arch)):
            sys.exit(f"scenario.py: no initramfs for {arch} (run 'make initramfs')")
        if not shutil.which(ARCHES[arch]["qemu"]):
            sys.exit(f"scenario.py: {ARCHES[arch]['qemu']} missing (run harness/deps.sh)")
    accels = {arch: detect_accel(arch) for arch in {s.arch for s in scns}}
    res = Results(args.results)
    jobs = [(s, k) for s in scns for k in kernels]
    workers = max(1, min(int(os.environ.get("JOBS", os.cpu_count() or 1)), len(jobs)))
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        futures = {job: pool.submit(boot, job[0], job[1], accels[job[0].arch], args.append)
                   for job in jobs}
        boots = {job: f.result() for job, f in futures.items()}
    for s in scns:
        for k in kernels:
            check_boot(s, k, boots[(s, k)], res)
            if args.table:
                print_table(s, k, boots[(s, k)])
        if len(kernels) == 2:
            compare(s, {k: boots[(s, k)] for k in kernels}, res)
    failed = sum(1 for line in res.lines if line.startswith("FAIL"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""make replay: real machines' PCI topologies through both kernels.

For every `lspci -vvnn` dump in the corpus (../shared/lspci by default, or
CORPUS=dir), harness/lspci.py and harness/topology.py describe its config
space; the test module tests/kernel/ig_replay.c, built against each kernel
(harness/kmod.sh), lays it out behind fake host bridges inside a QEMU guest,
lets the PCI core enumerate it and forms every function's group with that
kernel's pci_device_group().  harness/replay_report.py then compares the
recorded groups (the real kernel on the real machine) with both replays.

A machine whose replay crashes the guest is reported with the crash, and
the others are replayed in a new boot.

Usage: replay.py [--corpus DIR] [--kernels series,oracle] [--results FILE]
"""

import argparse
import glob
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lspci  # noqa: E402
import machines  # noqa: E402
import qemu_cmd  # noqa: E402
import topology  # noqa: E402

TOP = machines.TOP
WORK = os.path.join(machines.BUILD, "replay")
DEFAULT_CORPUS = os.path.join(os.path.dirname(TOP), "shared", "lspci")
LINE = re.compile(r"@@replay-(begin|fn|reason|reaches|error|end) (\S+) (\S+)(?: (.*))?$")


def describe_corpus(corpus):
    """NAME -> description text, and NAME -> conversion error."""
    topos, errors = {}, {}
    for path in sorted(glob.glob(os.path.join(corpus, "*.lspci"))):
        name = os.path.basename(path)[:-len(".lspci")]
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                funcs = lspci.parse(f.read(), os.path.basename(path))
            topos[name] = topology.describe(funcs, name)
        except (lspci.DumpError, ValueError) as e:
            errors[name] = f"dump not converted: {e}"
    return topos, errors


def overlay(topos, module, dest):
    """The base initramfs plus /replay/*.topo, the module and the guest part."""
    with tempfile.TemporaryDirectory() as tmp:
        for d in ("replay", "lib/modules", "scenario"):
            os.makedirs(os.path.join(tmp, d))
        for name, text in topos.items():
            with open(os.path.join(tmp, "replay", name + ".topo"), "w", encoding="utf-8") as f:
                f.write(text)
        with open(module, "rb") as src, \
                open(os.path.join(tmp, "lib", "modules", "ig_replay.ko"), "wb") as dst:
            dst.write(src.read())
        with open(os.path.join(TOP, "tests", "guest", "replay.sh"), encoding="utf-8") as src, \
                open(os.path.join(tmp, "scenario", "test"), "w", encoding="utf-8") as dst:
            dst.write(src.read())
        qemu_cmd.append_tree(tmp, "x86_64", dest)


def boot(kernel, topos, module, accel, attempt):
    """One guest boot over @topos; returns its console output."""
    cpio = os.path.join(WORK, f"{kernel}.{attempt}.cpio")
    overlay(topos, module, cpio)
    # An IOMMU, for its side effect: its driver asks the PCI core to
    # enable ACS (pci_request_acs()), as on the real machines, which
    # matters to chipsets whose ACS quirks enable it themselves.  The
    # replayed devices are in PCI domains it does not cover.
    cmd = ["qemu-system-x86_64", "-accel", accel, "-M", "q35", "-device", "intel-iommu",
           "-m", "1024", "-smp", "1",
           "-nodefaults", "-display", "none", "-serial", "stdio", "-no-reboot",
           "-kernel", machines.kernel_image(kernel, "x86_64"), "-initrd", cpio,
           # ASPM plays no part in grouping, and tearing down the link
           # state of a replayed hierarchy (no link registers in a dump)
           # oopses in pcie_aspm_check_latency(): leave it off
           "-append", f"console=ttyS0 panic=-1 oops=panic pcie_aspm=off ig.kernel={kernel}"]
    timeout = 90 + 5 * len(topos)
    try:
        out = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                             timeout=timeout).stdout.decode(errors="replace")
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace") + f"\n# timed out after {timeout}s\n"
    log = os.path.join(machines.BUILD, "logs", f"replay.{kernel}.{attempt}.log")
    with open(log, "w", encoding="utf-8") as f:
        f.write("# " + " ".join(cmd) + "\n" + out)
    return out, log


def crash_line(out):
    """The first line that says why the guest died."""
    for line in out.splitlines():
        if re.search(r"BUG:|Oops|general protection|Kernel panic|timed out|RIP:", line):
            return line.strip()
    return "the guest stopped"


def replay_kernel(kernel, topos, accel):
    """All @@replay lines of @kernel, rebooting past a machine that crashes."""
    module = os.path.join(machines.BUILD, "kmod", kernel, "ig_replay.ko")
    subprocess.run([os.path.join(TOP, "harness", "kmod.sh"), kernel], check=True)
    lines, left, attempt = [], dict(topos), 0
    while left:
        attempt += 1
        out, log = boot(kernel, left, module, accel, attempt)
        ended, begun = set(), None
        for raw in out.splitlines():
            m = LINE.search(raw)
            if not m or m.group(2) != kernel:
                continue
            lines.append(m.group(0))
            if m.group(1) == "begin":
                begun = m.group(3)
            elif m.group(1) == "end":
                ended.add(m.group(3))
                begun = None
        for name in ended:
            left.pop(name, None)
        if begun is None and not ended:
            # nothing replayed at all: the module or the guest is broken
            for name in left:
                lines.append(f"@@replay-error {kernel} {name} no replay ran "
                             f"({crash_line(out)}; log {os.path.relpath(log, TOP)})")
            break
        if begun is not None:
            lines.append(f"@@replay-error {kernel} {begun} not replayable: the kernel crashed: "
                         f"{crash_line(out)} (log {os.path.relpath(log, TOP)})")
            lines.append(f"@@replay-end {kernel} {begun}")
            left.pop(begun, None)
        elif left:
            for name in left:
                lines.append(f"@@replay-error {kernel} {name} the guest stopped before it "
                             f"(log {os.path.relpath(log, TOP)})")
            break
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", default=os.environ.get("CORPUS") or DEFAULT_CORPUS)
    ap.add_argument("--kernels", default="series,oracle")
    ap.add_argument("--results", help="append PASS/FAIL lines to this file")
    args = ap.parse_args()
    if not os.path.isdir(args.corpus):
        why = f"no corpus directory {args.corpus} (CORPUS=dir)"
        if args.results:
            with open(args.results, "a", encoding="utf-8") as f:
                f.write(f"SKIP replay/corpus {why}\n")
            return 0
        sys.exit(f"replay.py: {why}")
    os.makedirs(WORK, exist_ok=True)
    os.makedirs(os.path.join(machines.BUILD, "logs"), exist_ok=True)
    topos, errors = describe_corpus(args.corpus)
    if not topos and not errors:
        sys.exit(f"replay.py: no *.lspci dump in {args.corpus}")
    accel = qemu_cmd.detect_accel("x86_64")
    results = os.path.join(WORK, "results.txt")
    with open(results, "w", encoding="utf-8") as f:
        for kernel in args.kernels.split(","):
            for name, err in errors.items():
                f.write(f"@@replay-error {kernel} {name} {err}\n")
            for line in replay_kernel(kernel, topos, accel):
                f.write(line + "\n")
    cmd = [sys.executable, os.path.join(TOP, "harness", "replay_report.py"),
           "--corpus", args.corpus, results]
    if args.results:
        cmd += ["--results", args.results]
    return subprocess.run(cmd, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())

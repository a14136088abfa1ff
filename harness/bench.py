#!/usr/bin/env python3
"""make bench: time PCI group formation in the series and in the oracle.

Boots out/x86_64-bench/bzImage and out/x86_64-upstream-bench/bzImage (the
series and the unpatched base, each with the benchmark of patches/bench/
built in) under QEMU, one after the other, with iommu_group_bench=SIZES,
and prints ns per function for each size and the ratio, and the memory a
group keeps and a member adds (from the slab counters, to the page).  No IOMMU device:
the benchmark calls pci_device_group() itself.
"""
import os
import re
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KERNELS = [("series", "out/x86_64-bench/bzImage"),
           ("oracle", "out/x86_64-upstream-bench/bzImage")]
LINE = re.compile(r"@@bench n=(\d+) funcs=(\d+) domains=(\d+) groups=(\d+) "
                  r"total_ns=(\d+) ns_per_func=(\d+)"
                  r"(?: group_bytes=(-?\d+) member_bytes=(-?\d+))?")


def run(kernel, image, sizes, timeout):
    log = os.path.join(TOP, "build", "logs", f"bench.{kernel}.log")
    cmd = ["qemu-system-x86_64", "-accel", os.environ.get("IG_ACCEL", "tcg"),
           "-M", "q35", "-m", "2048", "-smp", "1", "-nodefaults",
           "-display", "none", "-serial", "stdio", "-no-reboot",
           "-kernel", os.path.join(TOP, image),
           "-initrd", os.path.join(TOP, "build", "initramfs", "x86_64.cpio"),
           "-append", f"console=ttyS0 panic=-1 iommu_group_bench={sizes}"]
    try:
        out = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                             timeout=timeout).stdout.decode(errors="replace")
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace") + "\n# timed out\n"
    os.makedirs(os.path.dirname(log), exist_ok=True)
    with open(log, "w", encoding="utf-8") as f:
        f.write(out)
    rows = {}
    for m in LINE.finditer(out):
        n, funcs, doms, groups, total, per = map(int, m.groups()[:6])
        gb, mb = (int(v) if v is not None else None for v in m.groups()[6:])
        rows[n] = dict(funcs=funcs, domains=doms, groups=groups, total=total, per=per,
                       gbytes=gb, mbytes=mb)
    if "failed" in out and "@@bench" in out:
        for line in out.splitlines():
            if "@@bench" in line and "failed" in line:
                print(f"{kernel}: {line.strip()}", file=sys.stderr)
    return rows, log


def main():
    sizes = os.environ.get("SIZES", "256,1024,4096,16384")
    timeout = int(os.environ.get("BENCH_TIMEOUT", "1200"))
    results = {}
    for kernel, image in KERNELS:
        if not os.path.exists(os.path.join(TOP, image)):
            sys.exit(f"bench.py: no {image} (make bench builds it)")
        results[kernel], log = run(kernel, image, sizes, timeout)
        if not results[kernel]:
            sys.exit(f"bench.py: no result from the {kernel} kernel (log {os.path.relpath(log, TOP)})")
    print(f"{'N':>6} {'functions':>9} | {'series ns/fn':>12} {'groups':>6} | "
          f"{'oracle ns/fn':>12} {'groups':>6} | {'oracle/series':>13} | "
          f"{'B/group s/o':>13} {'B/member s/o':>13}")
    for n in map(int, sizes.split(",")):
        s, o = results["series"].get(n), results["oracle"].get(n)
        if not s or not o:
            print(f"{n:>6}  (no result: see build/logs/bench.*.log)")
            continue
        mem = (f"{s['gbytes']}/{o['gbytes']}", f"{s['mbytes']}/{o['mbytes']}")
        print(f"{n:>6} {s['funcs']:>9} | {s['per']:>12} {s['groups']:>6} | "
              f"{o['per']:>12} {o['groups']:>6} | {o['per'] / max(s['per'], 1):>12.1f}x | "
              f"{mem[0]:>13} {mem[1]:>13}")
    return 0


sys.exit(main())

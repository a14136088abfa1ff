"""The QEMU command line of one scenario boot: the accelerator, the
initramfs with the scenario's guest steps, the machine and its devices."""

import os
import re
import subprocess
import tempfile

from machines import ARCHES, BUILD, IOMMUS, NEEDS_DEFAULTS, initramfs, kernel_image


def detect_accel(arch="x86_64"):
    """TCG unless KVM is there and proven to work (cached per boot of the host)."""
    if arch != "x86_64":
        return "tcg"            # a POWER guest on this host is always emulated
    if os.environ.get("IG_ACCEL"):
        return os.environ["IG_ACCEL"]
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            flags = f.read()
    except OSError:
        flags = ""
    if not re.search(r"\b(vmx|svm)\b", flags) or not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return "tcg"
    cache = os.path.join(BUILD, "accel")
    try:
        with open(cache, encoding="utf-8") as f:
            return f.read().strip()
    except OSError:
        pass
    accel = "tcg"
    image = kernel_image("oracle", arch)
    if not os.path.exists(image):
        image = kernel_image("series", arch)
    if os.path.exists(image):
        cmd = ["qemu-system-x86_64", "-accel", "kvm", "-M", "q35", "-m", "256",
               "-nodefaults", "-display", "none", "-serial", "stdio", "-no-reboot",
               "-kernel", image, "-initrd", initramfs(arch),
               "-append", "console=ttyS0 panic=-1"]
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=30,
                                 errors="replace").stdout
            if "@@end" in out:
                accel = "kvm"
        except subprocess.TimeoutExpired:
            pass
    os.makedirs(BUILD, exist_ok=True)
    with open(cache, "w", encoding="utf-8") as f:
        f.write(accel + "\n")
    return accel


def append_tree(tmp, arch, dest):
    """Write @dest: the base initramfs of @arch, then a cpio of everything
    in the directory @tmp (the kernel unpacks both, the second on top)."""
    names = subprocess.run(["find", ".", "-mindepth", "1"], cwd=tmp, capture_output=True,
                           text=True, check=True).stdout
    over = subprocess.run(["cpio", "--quiet", "-o", "-H", "newc", "--owner=0:0"],
                          cwd=tmp, input=names.encode(), capture_output=True,
                          check=True).stdout
    with open(initramfs(arch), "rb") as f:
        base = f.read()
    with open(dest, "wb") as f:
        f.write(base)
        f.write(over)


def overlay_cpio(scn, dest):
    """A cpio with /scenario/{setup,test}, appended to the base initramfs."""
    with tempfile.TemporaryDirectory() as tmp:
        os.makedirs(os.path.join(tmp, "scenario"))
        for part in ("setup", "test"):
            text = getattr(scn, part)
            if text:
                with open(os.path.join(tmp, "scenario", part), "w", encoding="utf-8") as f:
                    f.write(text + "\n")
        append_tree(tmp, scn.arch, dest)


def qemu_command(scn, kernel, accel, cpio, qmp_path, more=""):
    """The command line that boots @scn on @kernel: the initramfs @cpio,
    QEMU's monitor on the UNIX socket @qmp_path, @more kernel command line."""
    arch = ARCHES[scn.arch]
    _, machine, extra = IOMMUS[scn.iommu]
    # ig.kernel tells the guest which kernel it runs, so that its steps
    # assert per kernel instead of guessing from what the kernel has
    append = " ".join(x for x in [f"console={arch['console']} panic=-1 oops=panic",
                                  f"ig.kernel={kernel}", extra, scn.append, more] if x)
    cmd = ([arch["qemu"], "-accel", accel, "-m", arch["mem"], "-smp", "1"]
           + ([] if scn.iommu in NEEDS_DEFAULTS else ["-nodefaults"])
           + ["-display", "none", "-serial", "stdio", "-no-reboot"]
           + machine + scn.qemu
           + ["-kernel", kernel_image(kernel, scn.arch), "-initrd", cpio, "-append", append])
    cmd += ["-qmp", f"unix:{qmp_path},server=on,wait=off"]
    if os.environ.get("IG_QEMU_TRACE"):
        # a debugging aid: QEMU's trace events, in the log's stderr part
        cmd += ["-trace", "enable=" + os.environ["IG_QEMU_TRACE"],
                "-msg", "timestamp=on"]
    return cmd

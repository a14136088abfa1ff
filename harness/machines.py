"""What the harness boots: the architectures, the kernels and the IOMMU
machines a scenario may ask for, and where their images live."""

import os

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(TOP, "build")
OUT = os.path.join(TOP, "out")

# Per architecture: QEMU binary, kernel image name, console, guest memory.
ARCHES = {
    "x86_64": {"qemu": "qemu-system-x86_64", "image": "bzImage",
               "console": "ttyS0", "mem": "512"},
    "ppc64le": {"qemu": "qemu-system-ppc64", "image": "vmlinux",
                "console": "hvc0", "mem": "1024"},
}

KERNELS = {
    # name: (directory suffix under out/ARCH, description)
    "series": ("", "patched"),
    "oracle": ("-upstream", "upstream 6.12"),
    # the series with KASAN, lockdep, kmemleak, debugobjects (make check-debug)
    "debug": ("-debug", "patched, debug checkers"),
}
KERNEL_ALIASES = {"upstream": "oracle", "patched": "series"}


def kernel_image(kernel, arch):
    return os.path.join(OUT, arch + KERNELS[kernel][0], ARCHES[arch]["image"])


IOMMUS = {
    # name: (arch, QEMU machine arguments, extra kernel command line)
    "intel": ("x86_64", ["-M", "q35,kernel-irqchip=split",
                         "-device", "intel-iommu,intremap=on"], ""),
    "amd": ("x86_64", ["-M", "q35", "-device", "amd-iommu,intremap=on"], ""),
    # Without interrupt remapping, type1 refuses groups unless told to.
    "virtio": ("x86_64", ["-M", "q35", "-device", "virtio-iommu-pci"],
               "vfio_iommu_type1.allow_unsafe_interrupts=1 iommufd.allow_unsafe_interrupts=1"),
    # POWER: the sPAPR PHBs of a pseries guest (one PE per PHB) and the
    # bare-metal PHB4s of a POWER9 machine under skiboot (one PE per
    # device, function group or bridge).
    "spapr": ("ppc64le", ["-M", "pseries,cap-cfpc=broken,cap-sbbc=broken,"
                          "cap-ibs=broken,cap-ccf-assist=off"], ""),
    # Bare metal: PHB3 (POWER8), PHB4 (POWER9), PHB5 (POWER10), all IODA2
    # to the kernel.  QEMU creates their PHBs only as default devices: no
    # -nodefaults there.
    "powernv8": ("ppc64le", ["-M", "powernv8", "-net", "none", "-vga", "none"], ""),
    "powernv9": ("ppc64le", ["-M", "powernv9", "-net", "none", "-vga", "none"], ""),
    "powernv10": ("ppc64le", ["-M", "powernv10", "-net", "none", "-vga", "none"], ""),
}
NEEDS_DEFAULTS = {"powernv8", "powernv9", "powernv10"}


def initramfs(arch):
    return os.path.join(BUILD, "initramfs", f"{arch}.cpio")

#!/usr/bin/env python3
"""Describe a machine's PCI functions as config space for the kernel's
replay module.

usage: topology.py DUMP         (prints the description of an lspci -vvnn dump)

The description is plain text, one item per line, fields separated by one
space; numbers are hexadecimal, lower case, without 0x:

  machine NAME
      First line.  NAME is the dump's file name without ".lspci"; it has no
      white space.
  host DDDD BB EE [vmd=DDDD:BB:DD.F]
      One line per root bus, all before the first "fn" line: PCI domain
      DDDD (4 or more hex digits), root bus number BB, and EE, the last bus
      number the host bridge spans (EE >= BB).  Hosts of one domain do not
      overlap.  vmd= names the Intel VMD controller whose domain this is
      (domains from 10000 on): its devices' DMA carries its requester ID.
  fn DDDD:BB:DD.F FLAGS OFF=VAL OFF=VAL ...
      One PCI function and its configuration space.  The address is
      domain:bus:device.function, as the kernel prints it.
      FLAGS is "-" or a string of letters:
        g  the kernel must form this function's IOMMU group (every function
           for which the dump recorded a group; every function when the
           dump recorded none)
        v  an SR-IOV virtual function: hidden from the bus scan; it appears
           when its PF's VFs are enabled (see "sriov")
      Each OFF=VAL is one 32-bit dword of config space: OFF a dword-aligned
      offset 0..ffc (1-3 hex digits), VAL exactly 8 hex digits, the value
      the dword reads (bits 7:0 are the byte at OFF).  Offsets ascend.
      Dwords not listed read 0.  After them, "ro=OFF" tokens name
      dwords whose value writes do not change (the ACS capability and
      control dword: the dump shows the control the real kernel ended up
      with, and some hardware ignores a bit the kernel sets).  Reads of
      a function that is not listed return all ones, as for an empty slot.
      Every function not flagged "v" comes before the first "v" function.
  sriov DDDD:BB:DD.F N
      After all "fn" lines: enable N (hex, > 0) VFs on this PF once the
      scan is done.
  end
      Last line.

Config space of each function:
  00  device << 16 | vendor
  04  0x00100000 (status: Capabilities List) when the function has a
      capability list, else 0 (omitted)
  08  class << 8 | revision (class = base class, subclass, prog-if)
  0c  header type in bits 23:16; bit 23 set for a multifunction device
  18  bridges: primary | secondary << 8 | subordinate << 16
  34  0x40, the capability pointer, when the function has a PCIe capability
  40  PCIe capability: 0x10 | flags << 16; next pointer 0; flags =
      version (2 if the dump shows v2 or later, else 1) | port type << 4
      | 0x100 if the dump shows Slot+
  64  (version 2 only) Device Capabilities 2: bit 5, ARI Forwarding
      Supported, on a root or downstream port whose dump shows ARIFwd+ in
      DevCap2 or that has a function at a device number other than 0 on
      its secondary bus (without it the kernel scans only device 0 there)
  100, 140, 180  PCIe extended capabilities, in this order, each present
      only when it applies; each header dword is ID | 1 << 16 | next << 20
      (next = the offset of the following one, 0 for the last):
      ACS (ID 0x0d) when the dump shows one: +4 = ACSCap | ACSCtl << 16.
      ARI (ID 0x0e) on every non-VF PCIe function on a bus that has a
      non-VF function at a device number other than 0 and whose bridge is
      a root or downstream port: +4 = next function number << 8, the
      devfn (ARI function number) of the next non-VF function on that bus
      in devfn order, 0 for the last.  With it the kernel finds the
      functions past device 0 below a PCIe port.
      SR-IOV (ID 0x10) on a PF: +0c = InitialVFs | TotalVFs << 16,
      +10 = NumVFs (the N of its "sriov" line, 0 if none), +14 = First VF
      Offset | VF Stride << 16, +18 = VF Device ID << 16, +1c = 0x553
      (supported page sizes), +20 = 1 (system page size); control 0: the
      kernel sets VF Enable itself.
  VFs get the same dwords 00-0c, a PCIe capability (Endpoint unless the
  dump shows another type) and ACS when the dump shows one.
CardBus bridges (header type 2) get their bus numbers at 18 (the same
layout there) and no capabilities.

Root buses are the bus numbers (of non-VF functions) of a domain that are
no bridge's secondary bus.  A host spans from its root bus to the highest
subordinate bus of the bridges on it, or the highest bus of the VFs of
PFs on it, at least to the root bus itself.

The N of a "sriov" line is the dump's "Number of VFs", cut to the VFs the
dump lists: VFs 0..N-1 are all present as functions.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lspci  # noqa: E402

CAP_LIST = 0x00100000
PCIE_CAP = 0x40
EXT_START = 0x100
EXT_STEP = 0x40
ID_ACS, ID_ARI, ID_SRIOV = 0x0d, 0x0e, 0x10
DEVCAP2_ARI = 0x20
PORTS = (lspci.TYPE_ROOT_PORT, lspci.TYPE_DOWNSTREAM)


class Machine:
    """The facts about the whole dump that one function's config needs."""

    def __init__(self, functions):
        self.functions = functions
        self.at = {(f.domain, f.bus, f.devfn): f for f in functions}
        self.bridge_of = {(f.domain, f.secondary): f for f in functions if f.is_bridge}
        self.on_bus = {}
        for f in sorted((f for f in functions if not f.is_vf),
                        key=lambda f: (f.domain, f.bus, f.devfn)):
            self.on_bus.setdefault((f.domain, f.bus), []).append(f)
        self.recorded = any(f.group is not None for f in functions)

    def past_device_0(self, domain, bus):
        """Has @bus a non-VF function at a device number other than 0?"""
        return any(f.dev != 0 for f in self.on_bus.get((domain, bus), []))

    def needs_ari(self, f):
        """Does @f get an ARI capability so the kernel scans its bus fully?"""
        parent = self.bridge_of.get((f.domain, f.bus))
        return (not f.is_vf and f.pcie_type is not None
                and parent is not None and parent.pcie_type in PORTS
                and self.past_device_0(f.domain, f.bus))

    def next_function(self, f):
        """The devfn of the next non-VF function on @f's bus, 0 if none."""
        later = [g.devfn for g in self.on_bus.get((f.domain, f.bus), [])
                 if g.devfn > f.devfn]
        return later[0] if later else 0

    def vfs(self, pf):
        """@pf's VFs the dump lists, in VF order, up to the first missing one."""
        out = []
        for key in lspci.vf_addresses(pf):
            vf = self.at.get(key)
            if vf is None or vf.pf != pf.addr:
                break
            out.append(vf)
        return out

    def hosts(self):
        """(domain, root bus, last bus) of every host bridge, in order."""
        buses = sorted({(f.domain, f.bus) for f in self.functions if not f.is_vf})
        out = []
        for domain, root in buses:
            if (domain, root) in self.bridge_of:
                continue
            last = root
            for f in self.on_bus[(domain, root)]:
                if f.is_bridge:
                    last = max(last, f.subordinate)
                for vf in self.vfs(f):
                    last = max(last, vf.bus)
            if out and out[-1][0] == domain and out[-1][2] >= root:
                raise ValueError(f"bus {root:02x} of domain {domain:04x} is a root "
                                 f"bus inside the bus range of the root bus "
                                 f"{out[-1][1]:02x} (a bridge missing from the dump?)")
            out.append((domain, root, last))
        return out


def ext_caps(f, m):
    """The extended capabilities of @f: a list of (id, {offset: dword})."""
    caps = []
    if f.acs_cap is not None:
        caps.append((ID_ACS, {4: f.acs_cap | (f.acs_ctl or 0) << 16}))
    if m.needs_ari(f):
        caps.append((ID_ARI, {4: m.next_function(f) << 8}))
    if f.sriov is not None and not f.is_vf:
        s = f.sriov
        caps.append((ID_SRIOV, {
            0x0c: s["initial"] & 0xffff | (s["total"] & 0xffff) << 16,
            0x10: len(m.vfs(f)),
            0x14: s["offset"] & 0xffff | (s["stride"] & 0xffff) << 16,
            0x18: s["vf_device"] << 16,
            0x1c: 0x553,
            0x20: 1,
        }))
    return caps


def config(f, m):
    """The config space dwords of @f: {offset: value}."""
    cfg = {
        0x00: f.device << 16 | f.vendor,
        0x08: f.class24 << 8 | f.revision,
        0x0c: (f.header_type | (0x80 if f.multifunction else 0)) << 16,
    }
    if f.is_bridge:
        cfg[0x18] = f.primary | f.secondary << 8 | f.subordinate << 16
    pcie_type = f.pcie_type
    if f.is_vf and pcie_type is None:
        pcie_type = 0
    if pcie_type is None or f.header_type == 2:
        return cfg
    version = 2 if f.pcie_version >= 2 else 1
    flags = version | pcie_type << 4 | (0x100 if f.pcie_slot else 0)
    cfg[0x04] = CAP_LIST
    cfg[0x34] = PCIE_CAP
    cfg[PCIE_CAP] = 0x10 | flags << 16
    if version == 2 and pcie_type in PORTS and (
            f.ari_fwd or (f.is_bridge and m.past_device_0(f.domain, f.secondary))):
        cfg[PCIE_CAP + 0x24] = DEVCAP2_ARI
    caps = ext_caps(f, m)
    for i, (cap_id, body) in enumerate(caps):
        at = EXT_START + i * EXT_STEP
        following = at + EXT_STEP if i + 1 < len(caps) else 0
        cfg[at] = cap_id | 1 << 16 | following << 20
        for offset, value in body.items():
            cfg[at + offset] = value
    return cfg


def flags(f, m):
    letters = ""
    if f.group is not None or not m.recorded:
        letters += "g"
    if f.is_vf:
        letters += "v"
    return letters or "-"


def read_only(f, m):
    """Dwords of @f that keep the dump's value whatever the kernel writes:
    the ACS control register, because the dump shows it after the real
    kernel enabled what the hardware let it (some ports ignore a bit)."""
    if f.acs_cap is None or f.pcie_type is None or f.header_type == 2:
        return []
    return [EXT_START + 4]


def fn_line(f, m):
    cfg = config(f, m)
    words = [f"{off:x}={val & 0xffffffff:08x}" for off, val in sorted(cfg.items()) if val]
    words += [f"ro={off:x}" for off in read_only(f, m) if cfg.get(off)]
    return f"fn {f.addr} {flags(f, m)} {' '.join(words)}"


# Intel VMD puts the devices behind it into PCI domains from 10000 on.
VMD_DOMAIN = 0x10000


def vmd_controller(functions):
    """The Intel VMD controller that owns the domains from VMD_DOMAIN on:
    the function the vmd driver is bound to, or None."""
    for f in functions:
        if f.driver == "vmd" and f.domain < VMD_DOMAIN:
            return f
    return None


def describe(functions, machine):
    """The replay description (see the module docstring) of the functions
    lspci.parse() returned, for the machine named @machine."""
    if not machine or any(c.isspace() for c in machine):
        raise ValueError(f"machine name {machine!r} is empty or has white space")
    m = Machine(functions)
    order = sorted(functions, key=lambda f: (f.is_vf, f.domain, f.bus, f.devfn))
    lines = [f"machine {machine}"]
    vmd = vmd_controller(functions)
    lines += [f"host {d:04x} {root:02x} {last:02x}"
              + (f" vmd={vmd.addr}" if d >= VMD_DOMAIN and vmd else "")
              for d, root, last in m.hosts()]
    lines += [fn_line(f, m) for f in order]
    for f in order:
        n = len(m.vfs(f)) if not f.is_vf else 0
        if n:
            lines.append(f"sriov {f.addr} {n:x}")
    lines.append("end")
    return "\n".join(lines) + "\n"


def machine_name(path):
    """The machine name of a dump file: its name without .lspci."""
    return os.path.basename(path).removesuffix(".lspci")


def main(argv):
    if len(argv) != 1:
        print("usage: topology.py DUMP", file=sys.stderr)
        return 2
    try:
        functions = lspci.read(argv[0])
        text = describe(functions, machine_name(argv[0]))
    except (lspci.DumpError, ValueError) as e:
        print(f"topology.py: {e}", file=sys.stderr)
        return 2
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""Parse `lspci -vvnn` output: one Function per PCI function of the machine.

usage: lspci.py DUMP...
Prints one line per function: address, vendor:device, class, PCIe type,
bus numbers (bridges), ACS capability/control, flags and the IOMMU group
the real kernel gave it.  Exit 2 with the message when a dump is malformed.

What is read (every other line is skipped):
  DDDD:BB:DD.F Class [cccc]: Vendor Device [vvvv:dddd] (rev NN) (prog-if NN [...])
      (the domain prefix is absent on single-domain machines)
  <TAB>Bus: primary=PP, secondary=SS, subordinate=UU, ...
  <TAB>IOMMU group: N
  <TAB>Kernel driver in use: NAME
  <TAB>Capabilities: [40] Express (v2) Root Port (Slot+), ...
  <TAB><TAB>DevCap2: ... ARIFwd+         (also on its continuation lines)
  <TAB>Capabilities: [...] Access Control Services
  <TAB><TAB>ACSCap:/ACSCtl:  SrcValid+ TransBlk- ...
  <TAB>Capabilities: [...] Alternative Routing-ID Interpretation (ARI)
  <TAB>Capabilities: [...] Single Root I/O Virtualization (SR-IOV)
  <TAB><TAB>Initial VFs: 32, Total VFs: 32, Number of VFs: 4, ...
  <TAB><TAB>VF offset: 128, stride: 2, Device ID: 10ed

The probe tool that collected the public dumps sometimes wrote its own
messages ("pcilib: sysfs_read_vpd: read failed: ...") into the output, even
in the middle of a line, whose rest then follows on the next line at column
0.  clean_lines() removes such a message and joins the line back together.

Anything malformed raises DumpError("name:LINE: what is wrong"); nothing
else is raised for any input text.
"""

import dataclasses
import re
import sys


class DumpError(Exception):
    """A dump that cannot be used; the message is "name:LINE: what is wrong"."""


# PCI_EXP_TYPE_* values by the words lspci prints after "Express (vN) ".
PCIE_TYPES = {
    "Endpoint": 0,
    "Legacy Endpoint": 1,
    "Root Port": 4,
    "Upstream Port": 5,
    "Downstream Port": 6,
    "Express to PCI/PCI-X Bridge": 7,
    "PCI-Express to PCI/PCI-X Bridge": 7,
    "PCI/PCI-X to PCI-Express Bridge": 8,
    "Root Complex Integrated Endpoint": 9,
    "Root Complex Event Collector": 10,
}

# Short names for the command line listing.
TYPE_NAMES = {
    None: "pci", 0: "endpoint", 1: "legacy-ep", 4: "root-port",
    5: "upstream", 6: "downstream", 7: "pcie-to-pci", 8: "pci-to-pcie",
    9: "rc-endpoint", 10: "rc-collector",
}

# ACS capability/control register bits by lspci's names.
ACS_BITS = {
    "SrcValid": 0x01, "TransBlk": 0x02, "ReqRedir": 0x04, "CmpltRedir": 0x08,
    "UpstreamFwd": 0x10, "EgressCtrl": 0x20, "DirectTrans": 0x40,
}

TYPE_ROOT_PORT = 4
TYPE_DOWNSTREAM = 6

ADDRESS = re.compile(r"(?:([0-9a-f]{4,8}):)?([0-9a-f]{2}):([0-9a-f]{2})\.([0-7]) ")
CLASS = re.compile(r"[^\[]*?\[([0-9a-f]{4})\]: ")
IDS = re.compile(r"\[([0-9a-f]{4}):([0-9a-f]{4})\]")
# Stand-in vendor:device for a function whose ids lspci cut off: QEMU's
# vendor id with a device id nobody uses, which no PCI quirk is keyed to.
# (Not vendor 0x0001: the PCI core reads that as "retry later" and waits.)
UNKNOWN_IDS = (0x1b36, 0x00fe)
REV = re.compile(r"\(rev ([0-9a-f]{2})\)")
PROG_IF = re.compile(r"\(prog-if ([0-9a-f]{2})\b")
BUS = re.compile(r"Bus: primary=([0-9a-f]{2}), secondary=([0-9a-f]{2}), "
                 r"subordinate=([0-9a-f]{2})(?:,|$)")
GROUP = re.compile(r"IOMMU group: (\d+)$")
EXPRESS = re.compile(r"Express (?:\(v(\d+)\) )?([^,]*?)(?: \(Slot([+-])\))?(?:,.*)?$")
UNKNOWN_TYPE = re.compile(r"Unknown type (\d+)$")
CAPABILITY = re.compile(r"Capabilities: \[[0-9a-f]+(?: v\d+)?\] (.*)$")
SRIOV_COUNTS = re.compile(r"Initial VFs: (\d+), Total VFs: (\d+), Number of VFs: (\d+)(?:,|$)")
SRIOV_OFFSET = re.compile(r"VF offset: (\d+), stride: (\d+), Device ID: ([0-9a-f]{4})$")
STRAY = "pcilib: "


@dataclasses.dataclass
class Function:
    """One PCI function as the dump shows it (see the module docstring)."""
    domain: int
    bus: int
    dev: int
    fn: int
    vendor: int
    device: int
    class24: int
    revision: int = 0
    header_type: int = 0
    primary: int = 0
    secondary: int = 0
    subordinate: int = 0
    pcie_type: int | None = None
    pcie_version: int = 1
    pcie_slot: bool = False
    acs_cap: int | None = None
    acs_ctl: int | None = None
    ari: bool = False
    ari_fwd: bool = False
    sriov: dict | None = None
    group: int | None = None
    driver: str | None = None
    ids_cut: bool = False       # lspci cut the ids off: UNKNOWN_IDS stand in
    line: int = 0
    multifunction: bool = False
    is_vf: bool = False
    pf: str | None = None

    @property
    def addr(self):
        """The address as the kernel names it: DDDD:BB:DD.F."""
        return f"{self.domain:04x}:{self.bus:02x}:{self.dev:02x}.{self.fn:x}"

    @property
    def devfn(self):
        return self.dev << 3 | self.fn

    @property
    def rid(self):
        """The routing ID: bus << 8 | devfn."""
        return self.bus << 8 | self.devfn

    @property
    def is_bridge(self):
        return self.header_type in (1, 2)


def clean_lines(text):
    """Yield (line number, line) with the probe tool's stray messages taken
    out.  A message that split a line leaves the line's rest at the start of
    the next line (not indented, not an address): the two are joined."""
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()         # the text's final newline ends a line, it is none
    i = 0
    while i < len(lines):
        number, line = i + 1, lines[i].rstrip("\r")
        i += 1
        at = line.find(STRAY)
        if at < 0:
            yield number, line
            continue
        prefix = line[:at]
        rest = lines[i].rstrip("\r") if i < len(lines) else ""
        if rest and not rest.startswith("\t") and STRAY not in rest \
                and not ADDRESS.match(rest):
            i += 1
            yield number, prefix + rest
        elif prefix.strip():
            yield number, prefix


def acs_bits(words):
    """The register value of "SrcValid+ TransBlk- ..."."""
    value = 0
    for name, sign in re.findall(r"(\w+)([+-])", words):
        if sign == "+":
            value |= ACS_BITS.get(name, 0)
    return value


class Parser:
    """Reads one dump line by line; parse() is the entry point."""

    def __init__(self, name):
        self.name = name
        self.functions = []
        self.current = None     # the Function whose lines are being read
        self.cap = ""           # the capability the current lines belong to
        self.sub = ""           # the register name of the current sub-line
        self.saw_bus = False

    def error(self, number, what):
        return DumpError(f"{self.name}:{number}: {what}")

    def address_line(self, number, line):
        """Start a new function from its first line."""
        m = ADDRESS.match(line)
        if not m:
            raise self.error(number, f"expected a function's address line "
                             f"(DDDD:BB:DD.F or BB:DD.F), got {line[:60]!r}")
        domain, bus, dev, fn = (int(x, 16) if x else 0 for x in m.groups())
        if dev > 0x1f:
            raise self.error(number, f"device number {dev:02x} is above 1f")
        rest = line[m.end():]
        klass = CLASS.match(rest)
        if not klass:
            raise self.error(number, "address line without a [cccc] class code")
        ids = IDS.findall(rest)
        cut = None
        if not ids:
            # lspci cuts a long name, ids and all ("... Registers [808...");
            # such a function is kept with ids that match no quirk
            cut = re.search(r"\[[0-9a-f]{0,4}(?::[0-9a-f]{0,3})?\.\.\.", rest)
            if not cut:
                raise self.error(number, "address line without [vvvv:dddd] ids")
            vendor, device = UNKNOWN_IDS
            tail = rest[cut.start():]
        else:
            vendor, device = (int(x, 16) for x in ids[-1])
            tail = rest[rest.rfind(f"[{ids[-1][0]}:{ids[-1][1]}]"):]
        rev = REV.search(tail)
        prog_if = PROG_IF.search(tail)
        class16 = int(klass.group(1), 16)
        self.finish(number)
        self.current = Function(
            domain=domain, bus=bus, dev=dev, fn=fn, vendor=vendor, device=device,
            class24=class16 << 8 | (int(prog_if.group(1), 16) if prog_if else 0),
            revision=int(rev.group(1), 16) if rev else 0,
            header_type=2 if class16 == 0x0607 else 1 if class16 in (0x0604, 0x0609) else 0,
            ids_cut=cut is not None, line=number)
        self.cap = self.sub = ""
        self.saw_bus = False

    def finish(self, number):
        """The current function's lines are over."""
        f = self.current
        if f is None:
            return
        if f.header_type and not self.saw_bus:
            raise self.error(f.line, f"bridge {f.addr} has no 'Bus: primary=' line")
        self.functions.append(f)
        self.current = None

    def body_line(self, number, line):
        """One indented line of the current function."""
        tabs = len(line) - len(line.lstrip("\t"))
        continued = line[tabs:tabs + 1] == " "     # "\t\t\t AtomicOpsCap: ..."
        text = line.strip()
        if tabs <= 1:
            self.cap = self.sub = ""
            self.top_line(number, text)
        elif tabs == 2 and not continued:
            self.sub = text.split(":", 1)[0]
            self.register_line(number, text)
        elif self.sub == "DevCap2" and self.cap == "Express" and "ARIFwd+" in text:
            self.current.ari_fwd = True

    def top_line(self, number, text):
        """A line at one tab: the function's own facts and capability headers."""
        f = self.current
        if text.startswith("IOMMU group:"):
            m = GROUP.match(text)
            if not m:
                raise self.error(number, f"bad IOMMU group line {text!r}")
            if f.group is not None:
                raise self.error(number, f"second IOMMU group line for {f.addr}")
            f.group = int(m.group(1))
        elif text.startswith("Bus:"):
            self.bus_line(number, text)
        elif text.startswith("Kernel driver in use:"):
            f.driver = text.split(":", 1)[1].strip()
        elif text.startswith("Capabilities:"):
            m = CAPABILITY.match(text)
            if m:
                self.capability(number, m.group(1))

    def bus_line(self, number, text):
        f = self.current
        m = BUS.match(text)
        if not m:
            raise self.error(number, f"bad Bus line {text!r}")
        primary, secondary, subordinate = (int(x, 16) for x in m.groups())
        if self.saw_bus:
            raise self.error(number, f"second Bus line for {f.addr}")
        if not primary < secondary <= subordinate:
            raise self.error(number, f"bad bus numbers for {f.addr}: primary "
                             f"{primary:02x}, secondary {secondary:02x}, "
                             f"subordinate {subordinate:02x}")
        self.saw_bus = True
        f.primary, f.secondary, f.subordinate = primary, secondary, subordinate
        if f.header_type == 0:
            f.header_type = 1

    def capability(self, number, what):
        """A capability header line; remember which one the next lines describe."""
        f = self.current
        if what.startswith("Express"):
            m = EXPRESS.match(what)
            kind = m.group(2) if m else ""
            unknown = UNKNOWN_TYPE.match(kind)
            if kind in PCIE_TYPES:
                f.pcie_type = PCIE_TYPES[kind]
            elif unknown and int(unknown.group(1)) < 16:
                f.pcie_type = int(unknown.group(1))
            else:
                raise self.error(number, f"unknown PCI Express capability {what!r}")
            f.pcie_version = int(m.group(1)) if m.group(1) else 1
            f.pcie_slot = m.group(3) == "+"
            self.cap = "Express"
        elif what.startswith("Access Control Services"):
            f.acs_cap = f.acs_ctl = 0
            self.cap = "ACS"
        elif what.startswith("Alternative Routing-ID Interpretation (ARI)"):
            f.ari = True
        elif what.startswith("Single Root I/O Virtualization (SR-IOV)"):
            f.sriov = dict(initial=0, total=0, num=0, offset=0, stride=0, vf_device=0)
            self.cap = "SR-IOV"

    def register_line(self, number, text):
        """A line at two tabs: a register of the current capability."""
        f = self.current
        if self.cap == "Express" and self.sub == "DevCap2" and "ARIFwd+" in text:
            f.ari_fwd = True
        elif self.cap == "ACS" and self.sub == "ACSCap":
            f.acs_cap = acs_bits(text)
        elif self.cap == "ACS" and self.sub == "ACSCtl":
            f.acs_ctl = acs_bits(text)
        elif self.cap == "SR-IOV" and self.sub == "Initial VFs":
            m = SRIOV_COUNTS.match(text)
            if not m:
                raise self.error(number, f"bad SR-IOV line {text!r}")
            f.sriov.update(zip(("initial", "total", "num"), (int(x) for x in m.groups())))
        elif self.cap == "SR-IOV" and self.sub == "VF offset":
            m = SRIOV_OFFSET.match(text)
            if not m:
                raise self.error(number, f"bad SR-IOV line {text!r}")
            f.sriov.update(offset=int(m.group(1)), stride=int(m.group(2)),
                           vf_device=int(m.group(3), 16))

    def parse(self, text):
        last = 0
        for number, line in clean_lines(text):
            last = number
            if not line.strip():
                self.finish(number)
            elif not line[0].isspace():
                self.address_line(number, line)
            elif self.current is None:
                raise self.error(number, "indented line outside a function "
                                 "(expected an address line)")
            else:
                self.body_line(number, line)
        if self.current is not None:
            raise self.error(last, f"the dump ends inside {self.current.addr} "
                             f"(line {self.current.line}) without the blank line "
                             "lspci writes after each function: truncated?")
        if not self.functions:
            raise self.error(max(last, 1), "empty dump: no PCI function in it")
        return self.functions


def check_unique(functions, name):
    """No address twice, no bus number behind two bridges."""
    seen, behind = {}, {}
    for f in functions:
        if f.addr in seen:
            raise DumpError(f"{name}:{f.line}: duplicate address {f.addr} "
                            f"(first at line {seen[f.addr].line})")
        seen[f.addr] = f
        if f.is_bridge:
            key = (f.domain, f.secondary)
            if key in behind:
                other = behind[key]
                raise DumpError(f"{name}:{f.line}: bus {f.secondary:02x} is the "
                                f"secondary bus of both {other.addr} (line "
                                f"{other.line}) and {f.addr}")
            behind[key] = f


def vf_addresses(pf):
    """(domain, bus, devfn) of each of @pf's enabled VFs, in VF order."""
    s = pf.sriov
    out = []
    for i in range(s["num"] if s else 0):
        rid = pf.rid + s["offset"] + i * s["stride"]
        if rid > 0xffff:
            break
        out.append((pf.domain, rid >> 8, rid & 0xff))
    return out


def mark_vfs(functions, name):
    """Set is_vf/pf on every function that is one of a PF's enabled VFs."""
    at = {(f.domain, f.bus, f.devfn): f for f in functions}
    for pf in functions:
        for key in vf_addresses(pf):
            vf = at.get(key)
            if vf is None or vf is pf or vf.sriov is not None or vf.pf == pf.addr:
                continue
            if vf.is_vf:
                raise DumpError(f"{name}:{vf.line}: {vf.addr} is a VF of both "
                                f"{vf.pf} and {pf.addr}")
            vf.is_vf, vf.pf = True, pf.addr


def mark_multifunction(functions):
    """multifunction: more than one non-VF function in the same slot."""
    count = {}
    for f in functions:
        if not f.is_vf:
            count[(f.domain, f.bus, f.dev)] = count.get((f.domain, f.bus, f.dev), 0) + 1
    for f in functions:
        f.multifunction = not f.is_vf and count[(f.domain, f.bus, f.dev)] > 1


def parse(text, name="<dump>"):
    """The functions of the lspci -vvnn output @text, in dump order.
    Raises DumpError("name:LINE: ...") on a malformed or truncated dump."""
    if not isinstance(text, str):
        raise DumpError(f"{name}:1: not text")
    functions = Parser(name).parse(text)
    check_unique(functions, name)
    mark_vfs(functions, name)
    mark_multifunction(functions)
    return functions


def read(path):
    """parse() a dump file; unreadable files raise DumpError too."""
    name = path.rsplit("/", 1)[-1]
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError as e:
        raise DumpError(f"{path}:0: cannot read: {e.strerror}") from None
    return parse(text, name)


def describe_line(f):
    """One human-readable line for the listing."""
    flags = []
    if f.multifunction:
        flags.append("mf")
    if f.pcie_slot:
        flags.append("slot")
    if f.ari:
        flags.append("ari")
    if f.ari_fwd:
        flags.append("arifwd")
    if f.sriov:
        flags.append(f"sriov={f.sriov['num']}/{f.sriov['total']}")
    if f.is_vf:
        flags.append(f"vf-of={f.pf}")
    buses = (f"{f.primary:02x}-{f.secondary:02x}-{f.subordinate:02x}"
             if f.is_bridge else "-")
    acs = "-" if f.acs_cap is None else f"{f.acs_cap:02x}/{f.acs_ctl:02x}"
    group = "-" if f.group is None else str(f.group)
    return (f"{f.addr} {f.vendor:04x}:{f.device:04x} {f.class24:06x} "
            f"{TYPE_NAMES.get(f.pcie_type, str(f.pcie_type)):<12} bus {buses} "
            f"acs {acs:<5} {','.join(flags) or '-'} group {group}")


def main(argv):
    if not argv:
        print("usage: lspci.py DUMP...", file=sys.stderr)
        return 2
    for path in argv:
        try:
            functions = read(path)
        except DumpError as e:
            print(f"lspci.py: {e}", file=sys.stderr)
            return 2
        if len(argv) > 1:
            print(f"# {path}")
        for f in functions:
            print(describe_line(f))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

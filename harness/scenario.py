#!/usr/bin/env python3
"""Boot scenarios: parse, run under QEMU, assert, compare with the oracle.

A scenario file (tests/scenarios/*.scn) is a list of "key: value" lines:

  description: what the topology shows                 (required, once)
  iommu: intel | amd | virtio | spapr | powernv8 | powernv9 | powernv10
  qemu: -device ...            QEMU arguments; lines are joined
  group: 00:1f.0 00:1f.2       one expected group of the series kernel
  oracle-group: ...            the oracle's groups, where the series
                               deliberately differs (all of them, then)
  setup: shell line            guest steps before the groups are dumped
  test: shell line             guest steps after the dump (print @@result)
  append: ...                  extra kernel command line
  timeout: 120                 seconds for one boot (default 120)
  oracle-oops: regex           upstream is known to crash in this scenario:
                               its log must match; the crash is a result
                               ("upstream-bug-reproduced"), not a failure

Every device that has a group must appear in exactly one group line and
every group line must match a group exactly.  PCI addresses may omit the
domain (00:1f.0 means 0000:00:1f.0).  Comments start with '#'.

The guest (tests/guest/init) prints "@@" lines; this script turns them into
results: one "PASS|FAIL|SKIP name detail" line each, appended to --results.
"""

import argparse
import concurrent.futures
import json
import os
import re
import selectors
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time

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


def kernel_image(kernel, arch):
    return os.path.join(OUT, arch + KERNELS[kernel][0], ARCHES[arch]["image"])


# What the debug checkers print when they find something.  A report is
# the kernel's (a printk time stamp before it), wherever it lands on the
# console: on a line of its own or inside a guest's "@@" line.
KERNEL_LINE = re.compile(r"\[\s*\d+\.\d+\] ")
DEBUG_REPORTS = re.compile(
    r"BUG: |WARNING: |KASAN|possible (recursive|circular) locking|"
    r"inconsistent lock state|suspicious RCU usage|ODEBUG: |"
    r"INFO: task .* blocked|unreferenced object|general protection fault")
KERNEL_ALIASES = {"upstream": "oracle", "patched": "series"}

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

SINGLE_KEYS = {"description", "iommu", "timeout", "append", "oracle-oops"}
MULTI_KEYS = {"qemu", "group", "oracle-group", "setup", "test"}
BDF_SHORT = re.compile(r"^[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$")
BDF_LONG = re.compile(r"^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$")


class ScenarioError(Exception):
    pass


def normalize_dev(name):
    name = name.lower()
    if BDF_SHORT.match(name):
        return "0000:" + name
    return name


class Scenario:
    def __init__(self, path):
        self.path = path
        self.name = os.path.splitext(os.path.basename(path))[0]
        self.fields = {k: [] for k in MULTI_KEYS}
        try:
            with open(path, encoding="utf-8") as f:
                lines = f.read().splitlines()
        except OSError as e:
            raise ScenarioError(f"{path}: {e.strerror}") from e
        for n, raw in enumerate(lines, 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            key, sep, value = line.partition(":")
            key, value = key.strip(), value.strip()
            where = f"{path}:{n}"
            if not sep or not re.match(r"^[a-z-]+$", key):
                raise ScenarioError(f"{where}: expected 'key: value', got {raw!r}")
            if key in SINGLE_KEYS:
                if key in self.fields:
                    raise ScenarioError(f"{where}: '{key}' given twice")
                self.fields[key] = value
            elif key in MULTI_KEYS:
                self.fields[key].append((where, value))
            else:
                known = ", ".join(sorted(SINGLE_KEYS | MULTI_KEYS))
                raise ScenarioError(f"{where}: unknown key '{key}' (known: {known})")
        for key in ("description", "iommu"):
            if not self.fields.get(key):
                raise ScenarioError(f"{path}: missing '{key}:'")
        self.iommu = self.fields["iommu"]
        if self.iommu not in IOMMUS:
            raise ScenarioError(f"{path}: iommu must be one of {', '.join(IOMMUS)}, "
                                f"not '{self.iommu}'")
        self.arch = IOMMUS[self.iommu][0]
        try:
            self.timeout = int(self.fields.get("timeout", "120"))
        except ValueError:
            raise ScenarioError(f"{path}: timeout must be a whole number of seconds") from None
        if not 5 <= self.timeout <= 1800:
            raise ScenarioError(f"{path}: timeout must be 5..1800 seconds")
        self.qemu = []
        for where, value in self.fields["qemu"]:
            try:
                self.qemu += shlex.split(value)
            except ValueError as e:
                raise ScenarioError(f"{where}: {e}") from None
        self.groups = self._partition("group")
        self.oracle_groups = self._partition("oracle-group") or self.groups
        self.differs = bool(self.fields["oracle-group"])
        self.setup = "\n".join(v for _, v in self.fields["setup"])
        self.test = "\n".join(v for _, v in self.fields["test"])
        self.append = self.fields.get("append", "")
        self.oracle_oops = None
        if "oracle-oops" in self.fields:
            try:
                self.oracle_oops = re.compile(self.fields["oracle-oops"])
            except re.error as e:
                raise ScenarioError(f"{path}: oracle-oops is not a regular expression: {e}") from None

    def _partition(self, key):
        seen = {}
        groups = []
        for where, value in self.fields[key]:
            members = [normalize_dev(m) for m in value.split()]
            if not members:
                raise ScenarioError(f"{where}: empty group")
            for m in members:
                if ":" in m and not BDF_LONG.match(m):
                    raise ScenarioError(f"{where}: '{m}' is not a PCI address "
                                        "(bb:dd.f or dddd:bb:dd.f)")
                if m in seen:
                    raise ScenarioError(f"{where}: {m} already in a group at {seen[m]}")
                seen[m] = where
            groups.append(frozenset(members))
        return groups

    def expected(self, kernel):
        return self.oracle_groups if kernel == "oracle" else self.groups


class Boot:
    """What one guest boot printed, parsed."""

    def __init__(self, log):
        self.log = log
        self.began = self.ended = False
        self.groups = {}        # id -> [members]
        self.state = []         # every @@ line of the dump, for comparison
        self.results = []       # (name, status, detail)
        self.malformed = []     # @@result lines without a name and status
        self.pci = {}           # bdf -> (ids, class, driver, group)
        for line in log.splitlines():
            line = line.strip("\r")
            i = line.find("@@")
            if i < 0:
                continue
            words = line[i + 2:].split(" ", 3)
            tag = words[0]
            if tag == "begin":
                self.began = True
            elif tag == "end":
                self.ended = True
            elif tag == "group":
                self.groups[words[1]] = line[i:].split()[2:]
                self.state.append(line[i:])
            elif tag == "result" and len(words) >= 3 and words[1] and words[2]:
                self.results.append((words[1], words[2], words[3] if len(words) > 3 else ""))
            elif tag == "result":
                self.malformed.append(line[i:])
            elif tag == "pci":
                f = line[i:].split()
                if len(f) >= 6:
                    self.pci[f[1]] = tuple(f[2:6])
                self.state.append(line[i:])
            elif tag in ("attr", "member", "vfio"):
                self.state.append(line[i:])

    def partition(self):
        return [frozenset(m) for m in self.groups.values()]


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


def initramfs(arch):
    return os.path.join(BUILD, "initramfs", f"{arch}.cpio")


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


class QmpCommand:
    """A guest's QMP command waiting in the Monitor's queue."""

    def __init__(self, text):
        self.text = text
        self.queued = time.monotonic()
        self.waiting_for = None     # the device it waited for, if any


class Monitor:
    """The harness's QMP connection to one QEMU, kept for the whole boot.

    Guest lines '@@qmp {...}' are queued and sent in order, and QEMU's
    events are logged as they come.  Under QEMU 7.2's ACPI PCI hot-plug the
    guest may evaluate a slot's _EJ0 twice for one unplug request (once per
    GPE that found the request pending), and QEMU ejects whatever is in the
    slot by then.  So that this never takes a device nobody unplugged:

    - a device_del waits until QEMU has reported DEVICE_DELETED for the
      previous one: one unplug request is pending at a time;
    - a device_add waits until every device deleted from its bus (or from
      a bus the harness does not know) is gone;
    - a device QEMU deletes without a device_del is plugged in again, with
      its id and bus (at most REPLUGS times), and the log says so.

    No wait lasts longer than SLOT_WAIT seconds after the device_del that
    causes it, which is less than the storm's 10 s wait for a device; a
    device deleted later than that is "late" and is not plugged in again.
    """

    SLOT_WAIT = 8
    REPLUGS = 3

    def __init__(self, path, log):
        self.path = path
        self.log = log              # callable taking one str line
        self.sock = None
        self.closed = False         # QEMU hung up
        self.buf = b""
        self.seq = 0                # our QMP command ids: "ig<seq>"
        self.queue = []             # QmpCommand
        self.plugged = {}           # id -> (bus, device_add text)
        self.leaving = {}           # id -> (bus or None, time device_del sent)
        self.late = set()           # ids whose deletion the wait gave up on
        self.replugs = {}           # id -> times plugged in again

    def fileno(self):
        return self.sock.fileno()

    def _connect(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(10)
        try:
            sock.connect(self.path)
            self.sock = sock
            self._line()                                # greeting
            self._command({"execute": "qmp_capabilities"})
        except (OSError, ValueError):
            sock.close()
            self.sock = None
            self.buf = b""
            raise

    def _take(self):
        """The next whole line in the buffer, or None."""
        if b"\n" not in self.buf:
            return None
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode(errors="replace").strip()

    def _line(self):
        """The next line from QEMU, waiting for it."""
        while (line := self._take()) is None:
            chunk = self.sock.recv(65536)
            if not chunk:
                self.closed = True
                raise OSError("QMP connection closed")
            self.buf += chunk
        return line

    def _event(self, msg):
        data = msg.get("data") or {}
        dev = data.get("device")
        if msg["event"] == "DEVICE_DELETED" and dev is None:
            return                      # a device's unnamed child
        self.log(f"# qmp event {msg['event']} {json.dumps(data)}")
        if msg["event"] != "DEVICE_DELETED":
            return
        asked = self.leaving.pop(dev, None) is not None or dev in self.late
        self.late.discard(dev)
        if not asked and dev in self.plugged:
            n = self.replugs.get(dev, 0)
            if n < self.REPLUGS:
                self.replugs[dev] = n + 1
                self.log(f"# qmp: QEMU deleted {dev} without a device_del "
                         "(a second _EJ0 for its slot?); plugging it in again")
                self.queue.insert(0, QmpCommand(self.plugged[dev][1]))
        self.plugged.pop(dev, None)

    def _handle(self, line):
        """Handle one line from QEMU; return it parsed if it is a reply."""
        try:
            msg = json.loads(line)
        except ValueError:
            self.log(f"# qmp: not JSON from QEMU: {line[:200]}")
            return None
        if not isinstance(msg, dict):
            return None
        if "event" in msg:
            self._event(msg)
            return None
        return msg

    def _drain(self):
        """Handle the whole lines in the buffer (only events come unasked)."""
        while (line := self._take()) is not None:
            msg = self._handle(line)
            if msg is not None:
                self.log(f"# qmp: late reply {json.dumps(msg)[:200]}")

    def pump(self):
        """Read what QEMU has sent (events) without blocking."""
        if self.sock is None or self.closed:
            return
        self.sock.setblocking(False)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    self.closed = True
                    break
                self.buf += chunk
        except BlockingIOError:
            pass
        except OSError:
            self.closed = True
        finally:
            self.sock.settimeout(10)
        self._drain()

    def _command(self, msg):
        """Send @msg (a dict) with an id of ours; return QEMU's reply."""
        self.seq += 1
        want = f"ig{self.seq}"
        self.sock.sendall((json.dumps(dict(msg, id=want)) + "\n").encode())
        while True:
            reply = self._handle(self._line())
            if reply is None:
                continue
            if reply.get("id") == want:
                reply.pop("id")
                return reply
            self.log(f"# qmp: late reply {json.dumps(reply)[:200]}")

    def request(self, command):
        self.queue.append(QmpCommand(command))

    def _blocked(self, msg):
        """The id of a device the command @msg must wait for, or None."""
        ex, args = msg.get("execute"), msg.get("arguments") or {}
        if ex == "device_del":
            bus = "*"                   # any device still leaving
        elif ex == "device_add":
            bus = args.get("bus")
        else:
            return None
        now = time.monotonic()
        for dev, (b, sent) in list(self.leaving.items()):
            if bus != "*" and b is not None and b != bus:
                continue
            if now - sent < self.SLOT_WAIT:
                return dev
            self.log(f"# qmp: {dev} not deleted {self.SLOT_WAIT} s after its "
                     "device_del; not waiting for it any longer")
            del self.leaving[dev]
            self.late.add(dev)
        return None

    def _send(self, msg):
        """Send one guest command; keep track of what it plugs or unplugs."""
        ex, args = msg.get("execute"), msg.get("arguments") or {}
        dev = args.get("id") if isinstance(args.get("id"), str) else None
        ours = False
        if ex == "device_del" and dev and dev not in self.leaving:
            # before the reply: its DEVICE_DELETED may come with it
            bus = self.plugged.get(dev, (None, None))[0]
            self.leaving[dev] = (bus, time.monotonic())
            ours = True
        reply = self._command(msg)
        ok = "return" in reply
        if ex == "device_add" and dev and ok:
            self.plugged[dev] = (args.get("bus"), json.dumps(msg))
            self.late.discard(dev)
        elif ex == "device_del" and ours and not ok:
            self.leaving.pop(dev, None)
        return json.dumps(reply)

    def run(self):
        """Send queued commands in order; True if the head must wait."""
        while self.queue:
            cmd = self.queue[0]
            try:
                msg = json.loads(cmd.text)
                if not isinstance(msg, dict) or not isinstance(msg.get("arguments") or {}, dict):
                    raise ValueError("not a QMP command object")
                if self.sock is None:
                    self._connect()
                self.pump()
                if self.queue[0] is not cmd:
                    continue            # a replug went first
                dev = self._blocked(msg)
                if dev:
                    cmd.waiting_for = dev
                    return True
                if cmd.waiting_for:
                    self.log(f"# qmp: queued {time.monotonic() - cmd.queued:.3f} s, "
                             f"waiting for {cmd.waiting_for} to go")
                reply = self._send(msg)
            except (OSError, ValueError) as e:
                reply = f"error: {e}"
            self.queue.remove(cmd)
            self.log(f"# qmp {cmd.text} -> {reply}")
        return False

    def close(self):
        for cmd in self.queue:
            self.log(f"# qmp {cmd.text} -> not sent: QEMU is gone")
        self.queue = []
        if self.sock is not None:
            self.sock.close()


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
    image = kernel_image(kernel, scn.arch)
    arch = ARCHES[scn.arch]
    rundir = os.path.join(BUILD, "run")
    os.makedirs(rundir, exist_ok=True)
    cpio = os.path.join(rundir, f"{scn.name}.{kernel}.cpio")
    overlay_cpio(scn, cpio)
    _, machine, extra = IOMMUS[scn.iommu]
    # ig.kernel tells the guest which kernel it runs, so that its steps
    # assert per kernel instead of guessing from what the kernel has
    append = " ".join(x for x in [f"console={arch['console']} panic=-1 oops=panic",
                                  f"ig.kernel={kernel}", extra, scn.append, more] if x)
    cmd = ([arch["qemu"], "-accel", accel, "-m", arch["mem"], "-smp", "1"]
           + ([] if scn.iommu in NEEDS_DEFAULTS else ["-nodefaults"])
           + ["-display", "none", "-serial", "stdio", "-no-reboot"]
           + machine + scn.qemu
           + ["-kernel", image, "-initrd", cpio, "-append", append])
    logpath = os.path.join(BUILD, "logs", f"{scn.name}.{kernel}.log")
    os.makedirs(os.path.dirname(logpath), exist_ok=True)
    qmp_path = os.path.join(rundir, f"{scn.name}.{kernel}.qmp")
    if os.path.exists(qmp_path):
        os.unlink(qmp_path)
    cmd += ["-qmp", f"unix:{qmp_path},server=on,wait=off"]
    if os.environ.get("IG_QEMU_TRACE"):
        # a debugging aid: QEMU's trace events, in the log's stderr part
        cmd += ["-trace", "enable=" + os.environ["IG_QEMU_TRACE"],
                "-msg", "timestamp=on"]
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


# Group attributes the series adds; the oracle has none of them.
SERIES_ATTRS = {"reason", "driver_override", "reached_by", "reaches", "dma_owner"}


def oracle_view(state):
    """The series' state without what only the series has."""
    return {line for line in state
            if not (line.startswith("@@attr ") and line.split(" ", 3)[2] in SERIES_ATTRS)}


def compare(scn, boots, res):
    """The series must leave the sysfs state exactly as upstream has it."""
    s, o = boots["series"], boots["oracle"]
    name = f"{scn.name}/same-as-oracle"
    if not (s.ended and o.ended):
        res.add("FAIL", name, "a boot did not finish")
        return
    if scn.differs:
        return  # both partitions were asserted separately
    a, b = oracle_view(s.state), set(o.state)
    if a == b:
        res.add("PASS", name, f"{len(a)} sysfs facts identical")
    else:
        only_s = sorted(a - b)[:3]
        only_o = sorted(b - a)[:3]
        res.add("FAIL", name, f"series only: {only_s}; oracle only: {only_o}")


def print_table(scn, kernel, b):
    print(f"\nIOMMU groups, scenario {scn.name} ({scn.iommu}), {kernel} kernel:")
    if not b.groups:
        print("  (none)")
    reasons = {}
    for line in b.state:
        f = line.split(" ", 3)
        if f[0] == "@@attr" and len(f) == 4 and f[2] == "reason":
            reasons[f[1]] = f[3]
    for gid in sorted(b.groups, key=int):
        if gid in reasons:
            print(f"  {gid:>5}  reason: {reasons[gid]}")
        for i, dev in enumerate(b.groups[gid]):
            ids, cls, drv = b.pci.get(dev, ("-", "-", "-", "-"))[:3]
            label = gid if i == 0 and gid not in reasons else ""
            print(f"  {label:>5}  {dev}  {ids}  class {cls}  driver {drv}")


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

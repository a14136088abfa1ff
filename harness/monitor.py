"""The harness's QMP connection to a running QEMU, and the order in which
it sends a guest's hot-plug commands (see Monitor).

QEMU's own QMP library (qemu.qmp) is not used: PyPI, where it lives, is not
reachable from the project's machines and Debian 12 does not package it.
The monitor also has to run inside run_guest()'s single select() loop next
to the serial console, holding commands back until QEMU's events allow
them; qemu.qmp's asyncio client (or its legacy blocking wrapper) would add
a thread or an event loop for what is one socket and a JSON line each way.
"""

import json
import socket
import time


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

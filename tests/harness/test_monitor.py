"""Tests of the harness's QMP Monitor (harness/monitor.py) against a fake
QEMU monitor: the order in which it sends hot-plug commands, and the
device it plugs in again when QEMU ejects one unasked."""

import json
import os
import socket
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "harness"))
import monitor  # noqa: E402


class FakeQemu:
    """A QMP server on a UNIX socket.  Every command gets {"return": {}},
    or {"error": ...} for a device_del of an id it does not have; the test
    decides when DEVICE_DELETED events go out (event())."""

    def __init__(self):
        self.dir = tempfile.mkdtemp()
        self.path = os.path.join(self.dir, "qmp")
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(self.path)
        self.srv.listen(1)
        self.conn = None
        self.got = []                   # commands received, in order
        self.devices = set()
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _send(self, obj, ask=None):
        if ask is not None and "id" in ask:
            obj = dict(obj, id=ask["id"])       # QMP echoes a command's id
        self.conn.sendall((json.dumps(obj) + "\n").encode())

    def _serve(self):
        self.conn, _ = self.srv.accept()
        self._send({"QMP": {"version": {}, "capabilities": []}})
        f = self.conn.makefile("r")
        for line in f:
            msg = json.loads(line)
            with self.lock:
                ex = msg["execute"]
                args = msg.get("arguments") or {}
                if ex == "qmp_capabilities":
                    self._send({"return": {}}, msg)
                    continue
                self.got.append((ex, args.get("id") if isinstance(args.get("id"), str) else None))
                if ex == "device_add" and not isinstance(args.get("id"), str):
                    self._send({"error": {"class": "GenericError", "desc": "no id"}}, msg)
                elif ex == "device_add":
                    self.devices.add(args["id"])
                    self._send({"return": {}}, msg)
                elif ex == "device_del" and (not isinstance(args.get("id"), str)
                                             or args["id"] not in self.devices):
                    self._send({"error": {"class": "DeviceNotFound", "desc": "no"}}, msg)
                else:
                    self._send({"return": {}}, msg)

    def event(self, dev):
        """QEMU deleted @dev (the guest ejected it)."""
        with self.lock:
            self.devices.discard(dev)
            self._send({"event": "DEVICE_DELETED",
                        "data": {"device": dev, "path": "/machine/peripheral/" + dev},
                        "timestamp": {"seconds": 0, "microseconds": 0}})

    def close(self):
        if self.conn:
            self.conn.shutdown(socket.SHUT_RDWR)
            self.conn.close()
            self.conn = None
        self.srv.close()


def add(dev, bus):
    return json.dumps({"execute": "device_add",
                       "arguments": {"driver": "edu", "id": dev, "bus": bus}})


def delete(dev):
    return json.dumps({"execute": "device_del", "arguments": {"id": dev}})


class MonitorTest(unittest.TestCase):
    def setUp(self):
        self.qemu = FakeQemu()
        self.log = []
        self.mon = monitor.Monitor(self.qemu.path, self.log.append)

    def tearDown(self):
        self.mon.close()
        self.qemu.close()

    def ask(self, *commands):
        for c in commands:
            self.mon.request(c)

    def settle(self, want, timeout=5):
        """Run the monitor until QEMU has received @want commands."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.mon.run()
            self.mon.pump()
            with self.qemu.lock:
                if len(self.qemu.got) >= want:
                    return
            time.sleep(0.01)

    def test_commands_in_order(self):
        self.ask(add("s1", "rp1"), add("s2", "rp2"))
        self.settle(2)
        self.assertEqual(self.qemu.got, [("device_add", "s1"), ("device_add", "s2")])
        self.assertEqual(self.mon.queue, [])

    def test_device_del_waits_for_previous_deletion(self):
        self.ask(add("s1", "rp1"), add("s2", "rp2"), delete("s1"), delete("s2"))
        self.settle(4, timeout=0.5)
        # s2's device_del waits until QEMU has deleted s1
        self.assertEqual(self.qemu.got[-1], ("device_del", "s1"))
        self.assertTrue(self.mon.run())
        self.qemu.event("s1")
        self.settle(4)
        self.assertEqual(self.qemu.got[-1], ("device_del", "s2"))
        self.assertTrue(any("waiting for s1 to go" in x for x in self.log))

    def test_device_add_waits_for_its_bus(self):
        self.ask(add("s1", "rp1"), delete("s1"), add("s2", "rp2"), add("s3", "rp1"))
        self.settle(4, timeout=0.5)
        # s2 goes to another bus; s3 waits for s1 to leave rp1
        self.assertEqual(self.qemu.got, [("device_add", "s1"), ("device_del", "s1"),
                                         ("device_add", "s2")])
        self.qemu.event("s1")
        self.settle(4)
        self.assertEqual(self.qemu.got[-1], ("device_add", "s3"))

    def test_unasked_deletion_plugs_in_again(self):
        self.mon.request(add("s1", "rp1"))
        self.settle(1)
        self.qemu.event("s1")           # a second _EJ0 took it
        self.settle(2)
        self.assertEqual(self.qemu.got, [("device_add", "s1"), ("device_add", "s1")])
        self.assertTrue(any("without a device_del" in x for x in self.log))

    def test_replugs_are_bounded(self):
        self.mon.request(add("s1", "rp1"))
        self.settle(1)
        for n in range(monitor.Monitor.REPLUGS + 2):
            self.qemu.event("s1")
            self.settle(2 + n, timeout=0.3)
        adds = [g for g in self.qemu.got if g == ("device_add", "s1")]
        self.assertEqual(len(adds), 1 + monitor.Monitor.REPLUGS)

    def test_failed_device_del_does_not_block(self):
        self.ask(delete("nosuch"), add("s1", "rp1"), delete("s1"))
        self.settle(3, timeout=2)
        self.assertEqual(self.qemu.got, [("device_del", "nosuch"), ("device_add", "s1"),
                                         ("device_del", "s1")])
        self.assertTrue(any("DeviceNotFound" in x for x in self.log))

    def test_wait_is_bounded(self):
        self.mon.SLOT_WAIT = 0.2
        self.ask(add("s1", "rp1"), delete("s1"), add("s2", "rp1"))
        self.settle(3, timeout=2)
        self.assertEqual(self.qemu.got[-1], ("device_add", "s2"))
        self.assertTrue(any("s1 not deleted 0.2 s after" in x for x in self.log))
        # deleted at last: late, not unasked, so not plugged in again
        self.qemu.event("s1")
        self.settle(4, timeout=0.3)
        self.assertEqual(self.qemu.got.count(("device_add", "s1")), 1)

    def test_unknown_device_blocks_every_bus(self):
        # a device the harness did not plug (a scenario's -device ...,id=)
        self.qemu.devices.add("boot1")
        self.ask(delete("boot1"), add("s1", "rp1"))
        self.settle(2, timeout=0.5)
        self.assertEqual(self.qemu.got, [("device_del", "boot1")])
        self.qemu.event("boot1")
        self.settle(2)
        self.assertEqual(self.qemu.got[-1], ("device_add", "s1"))

    def test_stray_reply_is_not_taken_for_ours(self):
        self.mon.request(add("s1", "rp1"))
        self.settle(1)
        with self.qemu.lock:
            self.qemu._send({"return": {}, "id": "ig-stale"})
        self.mon.request(delete("nosuch"))
        self.settle(2)
        self.assertTrue(any("late reply" in x for x in self.log))
        self.assertTrue(any("nosuch" in x and "DeviceNotFound" in x for x in self.log))

    def test_odd_commands_are_refused(self):
        self.ask("[1, 2]", '{"execute": "device_add", "arguments": null}',
                  '{"execute": "device_del", "arguments": {"id": ["x"]}}',
                  '{"execute": "device_add", "arguments": [1]}')
        self.mon.request(add("s1", "rp1"))
        self.settle(3, timeout=2)
        self.assertEqual(self.mon.queue, [])
        self.assertEqual(self.qemu.got[-1], ("device_add", "s1"))

    def test_qemu_gone(self):
        self.mon.request(add("s1", "rp1"))
        self.settle(1)
        self.qemu.close()
        self.mon.pump()                 # no exception
        self.mon.request(add("s2", "rp2"))
        self.mon.run()
        self.assertTrue(any(x.startswith("# qmp " + add("s2", "rp2") + " -> error")
                            for x in self.log), self.log)

    def test_bad_json_is_logged_not_fatal(self):
        self.mon.request("{not json")
        self.mon.request(add("s1", "rp1"))
        self.settle(1)
        self.assertEqual(self.qemu.got, [("device_add", "s1")])
        self.assertTrue(any(x.startswith("# qmp {not json -> error") for x in self.log))


if __name__ == "__main__":
    unittest.main()

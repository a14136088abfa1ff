"""Scenario files: parse and validate them.

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
  oracle-drivers: rule          the series binds drivers differently on
                               purpose (a boot parameter the oracle
                               lacks): driver facts are not compared
  oracle-oops: regex           upstream is known to crash in this scenario:
                               its log must match; the crash is a result
                               ("upstream-bug-reproduced"), not a failure

Every device that has a group must appear in exactly one group line and
every group line must match a group exactly.  PCI addresses may omit the
domain (00:1f.0 means 0000:00:1f.0).  Comments start with '#'.
"""

import os
import re
import shlex

from machines import IOMMUS

SINGLE_KEYS = {"description", "iommu", "timeout", "append", "oracle-oops", "oracle-drivers"}
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
        self.drivers_differ = self.fields.get("oracle-drivers", "")
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

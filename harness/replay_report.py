#!/usr/bin/env python3
"""Compare the IOMMU groups of replayed real machines with the groups their
real kernel recorded, and print one table for the corpus.

usage: replay_report.py --corpus DIR [--results FILE] [--json] RESULTS...

RESULTS are text files the replay guests wrote (several allowed, e.g. one
per kernel).  Only these lines count (anywhere on a line, so a console
time stamp in front is fine); everything else is ignored:
  @@replay-begin KERNEL MACHINE
  @@replay-fn KERNEL MACHINE DDDD:BB:DD.F GROUPID   (an integer, or "-": no group)
  @@replay-reason KERNEL MACHINE GROUPID free text  (the series' reason attribute)
  @@replay-reaches KERNEL MACHINE GROUPID TARGET_GROUPID PORT
      (series: the devices of GROUPID reach those of TARGET_GROUPID one
      way, through the port PORT, an address in the replay's domains, the
      machine's + 40000; it is printed as the machine's address)
  @@replay-error KERNEL MACHINE free text
  @@replay-end KERNEL MACHINE
KERNEL is "oracle" (unpatched upstream) or "series"; MACHINE names
DIR/MACHINE.lspci.  DIR/SOURCES.tsv gives each dump's kernel name and CPU
vendor (columns file, source path, kernel, cpu).

Per machine, only the functions with a recorded group are compared, as set
partitions (group numbers do not matter):
  fidelity   the oracle's partition equals the recorded one.  A miss gets
             the cause the evidence shows, in this order: the replay
             reported an error (or did not finish): "not replayable"; an
             ACS-override kernel name and a finer recording; an AMD machine
             with a coarser recording (IVRS aliases); an Intel machine with
             a finer recording where each split oracle group holds an Intel
             root port without ACS (PCH quirk); a coarser recording whose
             merged groups hold functions of a VMD domain (>= 10000; the
             VMD's children use its requester ID, which the replay, a host
             bridge per domain, does not model).  Anything else, a recorded
             function the oracle gave no group included, is "unexplained",
             a failure.
  series     every series group that is not a reference group (the
             recorded ones; the oracle replay's when the oracle misses the
             recording) is listed with its members and reason, as "larger"
             (a union of 2+ reference groups), "smaller" (a strict part of
             one) or "mixed"; a recorded function the series gave no group
             is an "ungrouped" difference.  A group is explained when its
             reason names a rule (a reason other than none or "isolated");
             unexplained differences are failures.  "series == recorded" in
             the table is the plain comparison with the recording; "groups
             smaller than recorded" counts smaller groups against the
             reference.
  assignable how many devices a user can be given alone, on machines both
             kernels replayed without an error.  A device is a function
             with a recorded group that is no bridge (header type 1/2)
             and no host bridge (class 0600xx).  Alone under upstream: no
             other device in its oracle group.  Under the single-group
             switch rule: no other device in its series group merged with
             every group it reaches, transitively.  Under the series: no
             other device in its series group and no device in a group
             its group reaches (DMA ownership refuses a group that reaches
             a group with a host driver).  A device alone under upstream
             but not under the series is "unsafe alone under upstream"
             and is listed with the devices it reaches: the other devices
             of its series group ("mutual") and those of the groups its
             group reaches ("one-way").  Such a device with no device to
             name (the series gave it no group) is a failure, and so is
             a machine below the target: series >= upstream - unsafe.

A machine of the results whose dump lspci.py refuses is not compared: it
gets SKIP lines with the parser's message (the replay cannot have run it).

Output: a block per machine with a difference (in the groups, or in the
counts of devices assignable alone), then the summary table; --json prints
the same as JSON instead.  --results FILE appends one
"PASS|FAIL|SKIP replay/MACHINE/fidelity ...", one
"... replay/MACHINE/series-explained ..." and one
"... replay/MACHINE/assignable ..." line per machine.
Exit 0, 1 when anything failed, 2 on bad input.
"""

import argparse
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lspci  # noqa: E402

KERNELS = ("oracle", "series")
OVERRIDE_NAMES = ("vfio", "zen", "liquorix", "-pve", "xanmod", "acso")
ADDR = re.compile(r"([0-9a-f]{4,8}):([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$")
ANY_ADDR = re.compile(r"\b(?:[0-9a-f]{4,8}:)?[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]\b", re.I)
VMD_DOMAIN = 0x10000
REPLAY_DOMAIN = 0x40000     # the replay's PCI domains: the machine's + this
HOST_BRIDGE_CLASS = 0x0600


class InputError(Exception):
    """Bad input: the message says which file and line."""


class Replay:
    """What one kernel reported for one machine."""

    def __init__(self):
        self.groups = {}        # address -> group id, None for "-"
        self.reasons = {}       # group id -> reason text
        self.reaches = {}       # group id -> {target group id: [ports]}
        self.errors = []
        self.ended = False

    def problem(self):
        """The replay's error, or None when it ran through."""
        if self.errors:
            return self.errors[0]
        if not self.ended:
            return "the replay did not finish (no @@replay-end)"
        return None


def norm_addr(text):
    """DDDD:BB:DD.F with the domain as 4+ hex digits, or None."""
    m = ADDR.match(text.lower())
    if not m:
        return None
    return f"{int(m.group(1), 16):04x}:{m.group(2)}:{m.group(3)}.{m.group(4)}"


def machine_addr(text):
    """The machine's address of a replay address (domain - 40000), or None."""
    addr = norm_addr(text)
    if addr is None:
        return None
    domain, rest = addr.split(":", 1)
    domain = int(domain, 16)
    if domain >= REPLAY_DOMAIN:
        domain -= REPLAY_DOMAIN
    return f"{domain:04x}:{rest}"


def group_id(text):
    if text == "-":
        return None
    if not text.isdigit():
        raise ValueError(text)
    return int(text)


def read_results(paths):
    """{machine: {kernel: Replay}} from the result files."""
    replays = {}
    for path in paths:
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                lines = f.read().split("\n")
        except OSError as e:
            raise InputError(f"{path}: cannot read: {e.strerror}") from None
        for number, line in enumerate(lines, 1):
            at = line.find("@@replay-")
            if at >= 0:
                result_line(replays, line[at:].rstrip("\r"), f"{path}:{number}")
    if not replays:
        raise InputError(f"no @@replay lines in {', '.join(paths)}")
    return replays


def result_line(replays, line, where):
    """Record one @@replay line."""
    words = line.split()
    tag = words[0].removeprefix("@@replay-")
    arity = {"begin": 3, "end": 3, "fn": 5, "reason": 4, "reaches": 6, "error": 4}
    if tag not in arity:
        raise InputError(f"{where}: unknown line {words[0]}")
    if len(words) < arity[tag] or (tag in ("begin", "end", "fn", "reaches")
                                   and len(words) != arity[tag]):
        raise InputError(f"{where}: malformed {words[0]} line: {line!r}")
    kernel, machine = words[1], words[2]
    if kernel not in KERNELS:
        raise InputError(f"{where}: kernel {kernel!r} is neither oracle nor series")
    r = replays.setdefault(machine, {}).setdefault(kernel, Replay())
    try:
        if tag == "fn":
            addr, gid = norm_addr(words[3]), group_id(words[4])
            if addr is None:
                raise ValueError(words[3])
            if r.groups.get(addr, gid) != gid:
                raise InputError(f"{where}: {addr} reported in groups "
                                 f"{r.groups[addr]} and {gid}")
            r.groups[addr] = gid
        elif tag == "reason":
            gid = group_id(words[3])
            r.reasons[gid] = line.split(None, 4)[4] if len(words) > 4 else ""
        elif tag == "reaches":
            gid, target, port = group_id(words[3]), group_id(words[4]), machine_addr(words[5])
            if gid is None or target is None:
                raise ValueError("-")
            if port is None:
                raise ValueError(words[5])
            ports = r.reaches.setdefault(gid, {}).setdefault(target, [])
            if port not in ports:
                ports.append(port)
        elif tag == "error":
            r.errors.append(line.split(None, 3)[3])
        elif tag == "end":
            r.ended = True
    except ValueError as e:
        raise InputError(f"{where}: bad value {e} in {line!r}") from None


def read_sources(corpus):
    """{machine: (kernel name, cpu vendor)} from SOURCES.tsv."""
    path = os.path.join(corpus, "SOURCES.tsv")
    out = {}
    try:
        with open(path, encoding="utf-8") as f:
            rows = [line.rstrip("\n").split("\t") for line in f]
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror}") from None
    for row in rows[1:]:
        if len(row) >= 4:
            out[row[0].removesuffix(".lspci")] = (row[2], row[3])
    return out


# A partition is {group id: frozenset(addresses)} over the recorded functions
# a kernel gave a group; the ones it gave none are listed apart (ungrouped()).

def partition(groups, members):
    blocks = {}
    for addr in sorted(members):
        if groups.get(addr) is not None:
            blocks.setdefault(groups[addr], set()).add(addr)
    return {key: frozenset(v) for key, v in blocks.items()}


def ungrouped(groups, members):
    """The functions of @members without a group in @groups."""
    return sorted(a for a in members if groups.get(a) is None)


def same(a, b):
    return set(a.values()) == set(b.values())


def refines(fine, coarse):
    """Is every block of @fine inside one block of @coarse?"""
    where = {addr: block for block in coarse.values() for addr in block}
    return all(block <= where.get(next(iter(block)), frozenset())
               for block in fine.values())


def only_in(a, b):
    """The blocks of @a that are no block of @b, as sorted lists."""
    theirs = set(b.values())
    return sorted(sorted(block) for block in a.values() if block not in theirs)


def classify(block, reference):
    """larger, smaller or mixed: how @block stands to the reference blocks."""
    touched = {ref for ref in reference.values() if ref & block}
    if len(touched) >= 2 and all(ref <= block for ref in touched):
        return "larger"
    if len(touched) == 1 and block < next(iter(touched)):
        return "smaller"
    return "mixed"


def moved(block, reference):
    """Devices of a larger group outside the biggest group it swallowed."""
    return len(block) - max(len(ref) for ref in reference.values() if ref <= block)


def rule_of(reason):
    """The reason with device addresses taken out: one rule per text."""
    return ANY_ADDR.sub("<dev>", reason or "").strip()


def explained(reason):
    return bool(reason and reason.strip() and reason.strip().lower() != "isolated")


def group_members(devices, groups):
    """{group id: sorted devices of @devices in it} under @groups."""
    out = {}
    for addr in sorted(devices):
        if groups.get(addr) is not None:
            out.setdefault(groups[addr], []).append(addr)
    return out


def alone(devices, groups):
    """The devices of @devices with a group in @groups that holds no other."""
    return {m[0] for m in group_members(devices, groups).values() if len(m) == 1}


def merge_reaching(groups, reaches):
    """@groups with every group merged with the groups it reaches,
    transitively (the single-group switch rule); a merged group is named
    by its smallest group id."""
    parent = {}

    def find(g):
        parent.setdefault(g, g)
        while parent[g] != g:
            parent[g] = parent[parent[g]]
            g = parent[g]
        return g

    for gid, targets in reaches.items():
        for target in targets:
            a, b = find(gid), find(target)
            if a != b:
                parent[max(a, b)] = min(a, b)
    return {addr: None if gid is None else find(gid) for addr, gid in groups.items()}


class Machine:
    """One dump, what its real kernel recorded and the two replays."""

    def __init__(self, name, functions, kernel, cpu, replays):
        self.name, self.kernel, self.cpu = name, kernel, cpu
        self.by_addr = {f.addr: f for f in functions}
        self.recorded = {f.addr: f.group for f in functions if f.group is not None}
        self.oracle = replays.get("oracle")
        self.series = replays.get("series")
        self.fidelity = None     # dict, see judge_fidelity()
        self.compare = None      # dict, see judge_series()
        self.assignable = None   # dict, see judge_assignable()

    def blocks(self, replay):
        return partition(replay.groups, self.recorded)

    def judge_fidelity(self):
        rec = partition(self.recorded, self.recorded)
        if self.oracle is None:
            self.fidelity = dict(status="not-run", ok=True, cause=None)
            return
        ora = self.blocks(self.oracle)
        lost = ungrouped(self.oracle.groups, self.recorded)
        if same(ora, rec) and not lost and self.oracle.problem() is None:
            self.fidelity = dict(status="match", ok=True, cause=None)
            return
        cause = self.cause(rec, ora, lost)
        self.fidelity = dict(status="miss", ok=cause != "unexplained", cause=cause,
                             recorded_only=only_in(rec, ora), oracle_only=only_in(ora, rec),
                             ungrouped=lost)

    def cause(self, rec, ora, lost):
        """Why the oracle's partition @ora differs from the recorded @rec
        (@lost: the recorded functions the oracle gave no group)."""
        problem = self.oracle.problem()
        if problem:
            return f"not replayable: {problem}"
        if lost:
            return "unexplained"
        finer, coarser = refines(rec, ora), refines(ora, rec)
        if finer and any(s in self.kernel.lower() for s in OVERRIDE_NAMES):
            return f"ACS override kernel ({self.kernel})"
        if coarser and self.cpu.lower() == "amd":
            return "firmware DMA alias (AMD IVRS), not in a dump"
        split = [b for b in ora.values() if b not in set(rec.values())]
        if finer and self.cpu.lower() == "intel" and all(
                any(self.pch_port(a) for a in block) for block in split):
            return "Intel PCH ACS quirk needs chipset MMIO (RCBA), not in a dump"
        merged = [b for b in rec.values() if b not in set(ora.values())]
        if coarser and all(any(self.domain(a) >= VMD_DOMAIN for a in b) for b in merged):
            return "Intel VMD: functions behind it use its requester ID, not replayed"
        return "unexplained"

    def pch_port(self, addr):
        f = self.by_addr.get(addr)
        return (f is not None and f.vendor == 0x8086 and f.acs_cap is None
                and f.pcie_type == lspci.TYPE_ROOT_PORT)

    def domain(self, addr):
        return int(addr.split(":")[0], 16)

    def judge_series(self):
        if self.series is None:
            self.compare = dict(status="not-run", ok=True, differences=[])
            return
        oracle_problem = self.oracle.problem() if self.oracle else None
        problem = self.series.problem()
        if problem:
            both = oracle_problem is not None
            self.compare = dict(status="not-replayable" if both else "error", ok=both,
                                error=problem, differences=[])
            return
        recorded = partition(self.recorded, self.recorded)
        reference, against = recorded, "recorded"
        if self.fidelity["status"] == "miss" and oracle_problem is None:
            reference, against = self.blocks(self.oracle), "oracle"
        differences = [dict(kind="ungrouped", members=[addr], reason=None,
                            explained=False, moved=0)
                       for addr in ungrouped(self.series.groups, self.recorded)]
        for key, block in sorted(self.blocks(self.series).items(), key=lambda kv: sorted(kv[1])):
            if block in set(reference.values()):
                continue
            reason = self.series.reasons.get(key)
            kind = classify(block, reference)
            differences.append(dict(
                kind=kind, members=sorted(block), reason=reason,
                # a group smaller than the reference's (or cutting
                # across it) isolates devices that reach each other:
                # a hole, whatever the reason says
                explained=kind == "larger" and explained(reason),
                moved=moved(block, reference) if kind == "larger" else 0))
        equal = same(self.blocks(self.series), recorded) and \
            not ungrouped(self.series.groups, self.recorded)
        self.compare = dict(status="match" if not differences else "differs",
                            against=against, differences=differences, equals_recorded=equal,
                            ok=all(d["explained"] for d in differences))

    def device(self, addr):
        """Can @addr be given to a user at all: a recorded function that is
        no bridge and no host bridge?"""
        f = self.by_addr.get(addr)
        return (addr in self.recorded and f is not None and not f.is_bridge
                and f.class24 >> 8 != HOST_BRIDGE_CLASS)

    def judge_assignable(self):
        """The devices assignable alone under upstream, the single-group
        switch rule and the series (see the module docstring)."""
        missing = [k for k, r in (("oracle", self.oracle), ("series", self.series)) if r is None]
        if missing:
            self.assignable = dict(status="not-run", ok=True,
                                   why=f"no {' or '.join(missing)} replay in the results")
            return
        problems = [f"{k}: {r.problem()}" for k, r in (("oracle", self.oracle),
                                                      ("series", self.series)) if r.problem()]
        if problems:
            self.assignable = dict(status="not-replayed", ok=True,
                                   why="not replayed by both kernels: " + "; ".join(problems))
            return
        if not self.recorded:
            self.assignable = dict(status="no-groups", ok=True,
                                   why="the dump recorded no IOMMU groups")
            return
        devices = sorted(a for a in self.recorded if self.device(a))
        upstream = alone(devices, self.oracle.groups)
        series_groups = self.series.groups
        members = group_members(devices, series_groups)
        switch = alone(devices, merge_reaching(series_groups, self.series.reaches))
        series, unsafe, lost = set(), [], []
        for addr in devices:
            gid = series_groups.get(addr)
            mutual = [] if gid is None else [a for a in members.get(gid, []) if a != addr]
            reaches = {} if gid is None else self.series.reaches.get(gid, {})
            one_way, ports = set(), set()
            for target, via in reaches.items():
                if target != gid and members.get(target):
                    one_way.update(members[target])
                    ports.update(via)
            if gid is not None and not mutual and not one_way:
                series.add(addr)
            elif addr in upstream:
                if not mutual and not one_way:
                    lost.append(addr)
                    continue
                kind = "mutual" if not one_way else "one-way" if not mutual else "both"
                unsafe.append(dict(device=addr, kind=kind, mutual=mutual,
                                   one_way=sorted(one_way), ports=sorted(ports)))
        counts = dict(upstream=len(upstream), switch_rule=len(switch), series=len(series))
        target = counts["series"] >= counts["upstream"] - len(unsafe)
        self.assignable = dict(status="measured", ok=target and not lost, devices=len(devices),
                               **counts, unsafe=unsafe, lost=lost, target_met=target)

    def judge(self):
        self.judge_fidelity()
        self.judge_series()
        self.judge_assignable()
        return self

    def as_dict(self):
        return dict(machine=self.name, kernel=self.kernel, cpu=self.cpu,
                    functions=len(self.recorded),
                    recorded_groups=len(set(self.recorded.values())),
                    fidelity=self.fidelity, series=self.compare,
                    assignable=self.assignable)


def load(corpus, replays):
    """Machine objects for every machine in @replays, judged, and
    {machine: error} for those whose dump lspci.py refuses (the replay
    cannot have run them: they are skipped, not compared)."""
    sources = read_sources(corpus)
    machines, unusable = [], {}
    for name in sorted(replays):
        path = os.path.join(corpus, name + ".lspci")
        if not os.path.isfile(path):
            raise InputError(f"no dump {path} for machine {name!r} of the results")
        try:
            functions = lspci.read(path)
        except lspci.DumpError as e:
            unusable[name] = str(e)
            continue
        kernel, cpu = sources.get(name, ("", ""))
        machines.append(Machine(name, functions, kernel, cpu, replays[name]).judge())
    return machines, unusable


def unusable_lines(name, error):
    return [f"SKIP replay/{name}/{test} the dump is not usable: {error}"
            for test in ("fidelity", "series-explained", "assignable")]


def result_lines(m):
    """The harness result lines of one machine."""
    name, fid, cmp = f"replay/{m.name}", m.fidelity, m.compare
    if fid["status"] == "not-run":
        out = [f"SKIP {name}/fidelity no oracle replay in the results"]
    elif fid["status"] == "match":
        out = [f"PASS {name}/fidelity oracle == recorded "
               f"({len(set(m.recorded.values()))} groups)"]
    else:
        word = "PASS" if fid["ok"] else "FAIL"
        out = [f"{word} {name}/fidelity miss: {fid['cause']}; recorded only "
               f"{fmt_blocks(fid['recorded_only'])}; oracle only {fmt_blocks(fid['oracle_only'])}"
               + (f"; no group: {' '.join(fid['ungrouped'])}" if fid["ungrouped"] else "")]
    if cmp["status"] == "not-run":
        out.append(f"SKIP {name}/series-explained no series replay in the results")
    elif cmp["status"] == "not-replayable":
        out.append(f"SKIP {name}/series-explained not replayable on either kernel: {cmp['error']}")
    elif cmp["status"] == "error":
        out.append(f"FAIL {name}/series-explained series replay error: {cmp['error']}")
    elif cmp["status"] == "match":
        out.append(f"PASS {name}/series-explained series == {cmp['against']}")
    else:
        bad = [d for d in cmp["differences"] if not d["explained"]]
        if bad:
            out.append(f"FAIL {name}/series-explained {len(bad)} unexplained vs "
                       f"{cmp['against']}: " + "; ".join(fmt_difference(d) for d in bad))
        else:
            kinds = sorted({d["kind"] for d in cmp["differences"]})
            out.append(f"PASS {name}/series-explained {len(cmp['differences'])} "
                       f"differences vs {cmp['against']} ({', '.join(kinds)}), all explained")
    out.append(assignable_line(m))
    return out


def fmt_counts(a):
    return f"upstream {a['upstream']}, switch rule {a['switch_rule']}, series {a['series']}"


def assignable_line(m):
    """The harness result line of the devices assignable alone."""
    name, a = f"replay/{m.name}/assignable", m.assignable
    if a["status"] != "measured":
        return f"SKIP {name} {a['why']}"
    line = f"{fmt_counts(a)} ({len(a['unsafe'])} unsafe alone under upstream)"
    if a["ok"]:
        return f"PASS {name} {line}"
    if a["lost"]:
        line += ("; alone under upstream, not under the series, with no device it "
                 "reaches: " + " ".join(a["lost"]))
    if not a["target_met"]:
        line += (f"; below the target series >= upstream - unsafe "
                 f"({a['series']} < {a['upstream']} - {len(a['unsafe'])})")
    return f"FAIL {name} {line}"


def fmt_unsafe(u):
    """A device unsafe alone under upstream and the devices it reaches."""
    parts = []
    if u["mutual"]:
        parts.append(f"mutual reach with {' '.join(u['mutual'])}")
    if u["one_way"]:
        parts.append(f"one-way reach to {' '.join(u['one_way'])} "
                     f"through {' '.join(u['ports'])}")
    return f"{u['device']}: {'; '.join(parts)}"


def assignable_block(m):
    """The lines of the devices assignable alone, [] when the three
    counts are equal and there is nothing to list."""
    a = m.assignable
    if a["status"] != "measured" or (
            a["upstream"] == a["switch_rule"] == a["series"] and not a["unsafe"]
            and not a["lost"]):
        return []
    out = [f"assignable alone: {fmt_counts(a)}"]
    out += [f"  unsafe alone under upstream: {fmt_unsafe(u)}" for u in a["unsafe"]]
    out += [f"  LOST: {addr} alone under upstream, not under the series, with no device "
            "it reaches (no series group)" for addr in a["lost"]]
    if not a["target_met"]:
        out.append(f"  BELOW TARGET: series {a['series']} < upstream {a['upstream']} "
                   f"- unsafe {len(a['unsafe'])}")
    return out


def fmt_blocks(blocks):
    return " ".join("{" + " ".join(b) + "}" for b in blocks) or "-"


def fmt_difference(d):
    reason = "no reason" if d["reason"] is None else f"reason {d['reason']!r}"
    return f"{d['kind']} {fmt_blocks([d['members']])} ({reason})"


def machine_block(m):
    """The text block of a machine with a difference, or [] if none."""
    fid, cmp = m.fidelity, m.compare
    assignable = assignable_block(m)
    if fid["status"] != "miss" and cmp["status"] in ("match", "not-run") and not assignable:
        return []
    out = [f"== {m.name} ({m.cpu or 'cpu ?'}, kernel {m.kernel or '?'})"]
    if fid["status"] == "miss":
        out.append(f"fidelity: miss, {fid['cause']}")
        out.append(f"  recorded only: {fmt_blocks(fid['recorded_only'])}")
        out.append(f"  oracle only:   {fmt_blocks(fid['oracle_only'])}")
        if fid["ungrouped"]:
            out.append(f"  no group from the oracle: {' '.join(fid['ungrouped'])}")
    if cmp["status"] in ("error", "not-replayable"):
        out.append(f"series: replay error: {cmp['error']}")
    elif cmp["status"] == "differs":
        note = " (the oracle misses the recording)" if cmp["against"] == "oracle" else ""
        out.append(f"series vs {cmp['against']}{note}:")
        for d in cmp["differences"]:
            tag = "explained" if d["explained"] else "UNEXPLAINED"
            out.append(f"  {tag}: {fmt_difference(d)}")
    return out + assignable + [""]


def summarize(machines, unusable):
    """The corpus figures, as a dict."""
    s = dict(machines=len(machines), unusable=len(unusable),
             functions=sum(len(m.recorded) for m in machines),
             recorded_groups=sum(len(set(m.recorded.values())) for m in machines))
    oracle = [m for m in machines if m.fidelity["status"] != "not-run"]
    series = [m for m in machines if m.compare["status"] != "not-run"]
    s["oracle_replayed"] = len(oracle)
    s["fidelity"] = sum(m.fidelity["status"] == "match" for m in oracle)
    s["series_replayed"] = len(series)
    s["series_equal"] = sum(bool(m.compare.get("equals_recorded")) for m in series)
    larger, rules, smaller = set(), {}, [0, 0]
    for m in series:
        for d in m.compare["differences"]:
            if d["kind"] == "larger":
                larger.add(m.name)
                rule = rules.setdefault(rule_of(d["reason"]) or "(no reason)",
                                        dict(machines=set(), devices=0))
                rule["machines"].add(m.name)
                rule["devices"] += d["moved"]
            elif d["kind"] == "smaller":
                smaller[0 if d["explained"] else 1] += 1
    s["larger_machines"] = len(larger)
    s["larger_devices"] = sum(r["devices"] for r in rules.values())
    s["larger_rules"] = {k: dict(machines=len(v["machines"]), devices=v["devices"])
                         for k, v in sorted(rules.items())}
    s["smaller_explained"], s["smaller_unexplained"] = smaller
    causes = {}
    for m in oracle:
        if m.fidelity["status"] == "miss":
            kind = re.sub(r" \(.*\)$|: .*$", "", m.fidelity["cause"])
            causes[kind] = causes.get(kind, 0) + 1
    s["fidelity_misses"] = dict(sorted(causes.items()))
    measured = [m.assignable for m in machines if m.assignable["status"] == "measured"]
    s["assignable_machines"] = len(measured)
    for key in ("upstream", "switch_rule", "series"):
        s[f"alone_{key}"] = sum(a[key] for a in measured)
    s["unsafe_alone_upstream"] = sum(len(a["unsafe"]) for a in measured)
    s["failures"] = sum(line.startswith("FAIL") for m in machines for line in result_lines(m))
    return s


def pct(n, total):
    return f"{100.0 * n / total:.1f}%" if total else "-"


def table(s):
    """The summary table as text lines."""
    rows = [
        ("machines", s["machines"], ""),
        ("machines whose dump is not usable (skipped)", s["unusable"], ""),
        ("functions with a recorded group", s["functions"], ""),
        ("recorded groups", s["recorded_groups"], ""),
        ("oracle == recorded (fidelity)", s["fidelity"],
         f"{pct(s['fidelity'], s['oracle_replayed'])} of {s['oracle_replayed']} replayed"),
        ("series == recorded", s["series_equal"],
         f"{pct(s['series_equal'], s['series_replayed'])} of {s['series_replayed']} replayed"),
        ("series makes groups larger (machines)", s["larger_machines"],
         f"devices moved: {s['larger_devices']}"),
    ]
    rows += [(f"  rule: {rule}", r["machines"], f"devices moved: {r['devices']}")
             for rule, r in s["larger_rules"].items()]
    rows.append(("groups smaller than recorded", s["smaller_explained"] + s["smaller_unexplained"],
                 f"{s['smaller_unexplained']} unexplained"))
    rows += [
        ("devices assignable alone under upstream", s["alone_upstream"],
         f"over {s['assignable_machines']} machines both kernels replayed"),
        ("devices assignable alone under the single-group switch rule",
         s["alone_switch_rule"], ""),
        ("devices assignable alone under the series", s["alone_series"], ""),
        ("unsafe alone under upstream", s["unsafe_alone_upstream"], ""),
    ]
    rows.append(("fidelity misses", sum(s["fidelity_misses"].values()), ""))
    rows += [(f"  {cause}", n, "") for cause, n in s["fidelity_misses"].items()]
    rows.append(("failures", s["failures"], ""))
    width = max(len(r[0]) for r in rows)
    return [f"{label:<{width}}  {value:>6}  {note}".rstrip() for label, value, note in rows]


def main(argv):
    ap = argparse.ArgumentParser(prog="replay_report.py",
                                 description="Compare replayed IOMMU groups with the recorded ones.")
    ap.add_argument("--corpus", required=True, help="directory of the .lspci dumps and SOURCES.tsv")
    ap.add_argument("--results", help="append harness result lines to this file")
    ap.add_argument("--json", action="store_true", help="print JSON instead of text")
    ap.add_argument("files", nargs="+", metavar="RESULTS")
    try:
        args = ap.parse_args(argv)
    except SystemExit as e:
        return 2 if e.code else 0
    try:
        machines, unusable = load(args.corpus, read_results(args.files))
    except InputError as e:
        print(f"replay_report.py: {e}", file=sys.stderr)
        return 2
    summary = summarize(machines, unusable)
    if args.json:
        print(json.dumps(dict(machines=[m.as_dict() for m in machines], unusable=unusable,
                              summary=summary), indent=1))
    else:
        for name, error in unusable.items():
            print(f"== {name}: the dump is not usable: {error}\n")
        for m in machines:
            for line in machine_block(m):
                print(line)
        for line in table(summary):
            print(line)
    if args.results:
        try:
            with open(args.results, "a", encoding="utf-8") as f:
                for name, error in unusable.items():
                    f.writelines(line + "\n" for line in unusable_lines(name, error))
                for m in machines:
                    f.writelines(line + "\n" for line in result_lines(m))
        except OSError as e:
            print(f"replay_report.py: {args.results}: {e.strerror}", file=sys.stderr)
            return 2
    return 1 if summary["failures"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

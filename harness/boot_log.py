"""What one guest boot printed on its console, parsed: the guest's "@@"
lines (groups, sysfs state, results) and the debug checkers' reports."""

import re

# What the debug checkers print when they find something.  A report is
# the kernel's (a printk time stamp before it), wherever it lands on the
# console: on a line of its own or inside a guest's "@@" line.
KERNEL_LINE = re.compile(r"\[\s*\d+\.\d+\] ")
DEBUG_REPORTS = re.compile(
    r"BUG: |WARNING: |KASAN|possible (recursive|circular) locking|"
    r"inconsistent lock state|suspicious RCU usage|ODEBUG: |"
    r"INFO: task .* blocked|unreferenced object|general protection fault")


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

"""The series against the oracle: the sysfs state both kernels leave must
be the same, apart from what only the series has."""

# Group attributes the series adds; the oracle has none of them.
SERIES_ATTRS = {"reason", "driver_override", "reached_by", "reaches", "dma_owner"}


def oracle_view(state):
    """The series' state without what only the series has."""
    return {line for line in state
            if not (line.startswith("@@attr ") and line.split(" ", 3)[2] in SERIES_ATTRS)}


def without_drivers(state):
    """@state without which driver has a device and which groups VFIO
    opened: for scenarios whose boot parameters bind drivers on purpose."""
    out = set()
    for line in state:
        f = line.split(" ")
        if f[0] == "@@pci" and len(f) >= 6:
            f[4] = "*"
            line = " ".join(f)
        elif f[0] == "@@vfio":
            continue
        out.add(line)
    return out


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
    rule = ""
    if scn.drivers_differ:
        a, b = without_drivers(a), without_drivers(b)
        rule = f" (drivers differ by design: {scn.drivers_differ})"
    if a == b:
        res.add("PASS", name, f"{len(a)} sysfs facts identical{rule}")
    else:
        only_s = sorted(a - b)[:3]
        only_o = sorted(b - a)[:3]
        res.add("FAIL", name, f"series only: {only_s}; oracle only: {only_o}")

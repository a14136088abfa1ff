"""The group table a boot found, printed for people (--table)."""


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

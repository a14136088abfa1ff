#!/usr/bin/env python3
"""Copied lines: runs of upstream code in the files the series adds.

Usage: copied_lines.py TREE [BASE [SERIES]]     (refs default to base, series)

Every file the series adds (git diff --diff-filter=A BASE SERIES) is
compared with the base's code where it could have come from: the
directories of every file the series adds or changes, and those in
UPSTREAM_DIRS.  Lines are compared with their white space folded, and
trivial lines are passed over on both sides (blank lines, comments, lone
punctuation such as braces, #include, SPDX tags).  Five such lines in a row
that stand in the same order in an upstream file are a hit; overlapping
hits make one run.  Each run is printed as

    copied: drivers/iommu/x.c:10-24 = drivers/iommu/iommu.c:300-316 (9 lines)

(the line count is of the lines compared, trivial ones not counted) and
the script exits 1 if there is any run that ALLOW does not name.
"""

import os
import re
import subprocess
import sys

WINDOW = 5

# Where the series' code could come from, besides the directories it
# touches: the PCI core (group formation reads it), the headers, and
# tools/pci (lsiommu is a userspace PCI tool).
UPSTREAM_DIRS = ["drivers/iommu", "drivers/pci", "drivers/base", "drivers/vfio",
                 "include/linux", "include/uapi/linux", "arch/powerpc",
                 "tools/pci", "tools/include", "lib/kunit"]

# Files compared: code and build files, not documentation.
CODE = re.compile(r"(\.(c|h|S|sh|py)|/Makefile|/Kconfig[^/]*|^Makefile)$")

# Runs the check lets through: (owned path, first owned line's text,
# folded), each with the reason.  None today.
ALLOW = {
}

TRIVIAL = re.compile(r"""^(
      [{}()\[\];,]*                       # lone punctuation: } ); };
    | \#\s*include\b.*                    # includes
    | //.* | /\*.* | \*(\s.*|/.*)?        # comment lines (not *p = x;)
    | .*SPDX-License-Identifier.*
    )$""", re.X)


def git(tree, *args):
    p = subprocess.run(["git", "-C", tree, *args], capture_output=True)
    if p.returncode:
        sys.exit(f"copied_lines.py: git {' '.join(args[:2])}: {p.stderr.decode().strip()}")
    return p.stdout


def read_blobs(tree, ref, paths):
    """{path: text} of @paths at @ref, through one git cat-file."""
    if not paths:
        return {}
    query = "".join(f"{ref}:{p}\n" for p in paths).encode()
    out = subprocess.run(["git", "-C", tree, "cat-file", "--batch"], input=query,
                         capture_output=True, check=True).stdout
    blobs, pos = {}, 0
    for p in paths:
        end = out.index(b"\n", pos)
        header = out[pos:end].split()
        pos = end + 1
        if header[-1] == b"missing":
            continue
        size = int(header[2])
        blobs[p] = out[pos:pos + size].decode(errors="replace")
        pos += size + 1
    return blobs


def code_lines(text):
    """[(line number, folded text)] of the lines that are not trivial."""
    kept = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = " ".join(raw.split())
        if line and not TRIVIAL.match(line):
            kept.append((n, line))
    return kept


def windows(lines):
    for i in range(len(lines) - WINDOW + 1):
        yield i, tuple(t for _, t in lines[i:i + WINDOW])


def main():
    tree = sys.argv[1]
    base = sys.argv[2] if len(sys.argv) > 2 else "base"
    series = sys.argv[3] if len(sys.argv) > 3 else "series"

    changed = git(tree, "diff", "--name-status", "--no-renames", base, series).decode()
    added, dirs = [], set(UPSTREAM_DIRS)
    for line in changed.splitlines():
        status, path = line.split("\t", 1)
        if status == "A" and CODE.search("/" + path):
            added.append(path)
        dirs.add(os.path.dirname(path) or ".")
    dirs.discard(".")           # the top-level files: none is code we compare

    upstream_paths = [p for p in git(tree, "ls-tree", "-r", "--name-only", base, "--",
                                     *sorted(dirs)).decode().splitlines()
                      if CODE.search("/" + p)]
    # Where each upstream window stands (file, index into its code lines).
    index, upstream = {}, {}
    for path, text in read_blobs(tree, base, upstream_paths).items():
        upstream[path] = code_lines(text)
        for i, w in windows(upstream[path]):
            index.setdefault(w, []).append((path, i))

    runs = []
    for path, text in read_blobs(tree, series, added).items():
        mine = code_lines(text)
        hits = [index.get(w, []) for _, w in windows(mine)]
        i = 0
        while i < len(hits):
            if not hits[i]:
                i += 1
                continue
            # the upstream place whose run goes on longest from here
            best, length = None, 0
            for f, j in hits[i]:
                k = 1
                while i + k < len(hits) and (f, j + k) in hits[i + k]:
                    k += 1
                if k > length:
                    best, length = (f, j), k
            f, j = best
            count = length + WINDOW - 1
            ours = (mine[i][0], mine[i + count - 1][0])
            theirs = (upstream[f][j][0], upstream[f][j + count - 1][0])
            runs.append((path, ours, f, theirs, count, mine[i][1]))
            i += length

    bad = 0
    for path, ours, f, theirs, count, first in runs:
        why = ALLOW.get((path, first))
        tag = f"allowed ({why})" if why else "copied"
        print(f"{tag}: {path}:{ours[0]}-{ours[1]} = {f}:{theirs[0]}-{theirs[1]} ({count} lines)")
        bad += not why
    total = sum(r[4] for r in runs)
    print(f"copied lines: {len(runs)} runs, {total} lines in {len(added)} files the series adds"
          f" (compared with {len(upstream)} upstream files)", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

"""Helpers shared by the replay tests (test_lspci, test_topology,
test_replay_report): where the harness, the hand-made dumps and the public
corpus are."""

import glob
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
HARNESS = os.path.join(TOP, "harness")
DUMPS = os.path.join(TOP, "tests", "replay")
sys.path.insert(0, HARNESS)


def dump_path(name):
    """A hand-made dump of tests/replay/."""
    return os.path.join(DUMPS, name + ".lspci")


def dump_text(name):
    with open(dump_path(name), encoding="utf-8") as f:
        return f.read()


def corpus_dir():
    """The public lspci corpus ($IG_CORPUS, else ../shared/lspci beside the
    repository), or None when it is not there."""
    path = os.environ.get("IG_CORPUS") or os.path.join(TOP, "..", "shared", "lspci")
    return path if os.path.isdir(path) else None


def corpus_dumps():
    """The corpus dump paths, sorted; [] without a corpus."""
    path = corpus_dir()
    return sorted(glob.glob(os.path.join(path, "*.lspci"))) if path else []


def read_text(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


# Corpus dumps the parser must refuse, with the reason it must give.  None
# today: 030's lspci cut some names short, ids included ("[808..."), and
# the parser keeps those functions with stand-in ids (lspci.UNKNOWN_IDS);
# the source in linuxhw/LsPCI has the same lines.
UNPARSEABLE = {}

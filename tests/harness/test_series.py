"""Tests of harness/series.sh on a tiny stand-in for the kernel: patches/
as git format-patch mails is the one source of truth, build/series/linux
the place to edit, and refresh writes an edit to any commit back."""

import os
import shutil
import subprocess
import tempfile
import unittest

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SERIES_SH = os.path.join(TOP, "harness", "series.sh")


def pin():
    """KERNEL_VERSION and SHA256 from base.pin, as common.sh reads them."""
    vals = {}
    with open(os.path.join(TOP, "base.pin"), encoding="utf-8") as f:
        for line in f:
            if "=" in line and not line.startswith("#"):
                k, v = line.strip().split("=", 1)
                vals[k] = v.strip('"')
    return vals["KERNEL_VERSION"], vals["SHA256"]


def git(cwd, *args, env=None):
    return subprocess.run(["git", "-C", cwd, *args], check=True, capture_output=True,
                          text=True, env=env).stdout


class SeriesTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        version, sha = pin()
        self.env = dict(os.environ,
                        IG_CACHE=os.path.join(self.tmp, "cache"),
                        IG_BUILD=os.path.join(self.tmp, "build"),
                        IG_PATCHES=os.path.join(self.tmp, "patches"),
                        GIT_AUTHOR_NAME="Tester", GIT_AUTHOR_EMAIL="t@example.org",
                        GIT_AUTHOR_DATE="2026-01-01T00:00:00Z",
                        GIT_COMMITTER_NAME="Tester", GIT_COMMITTER_EMAIL="t@example.org",
                        GIT_COMMITTER_DATE="2026-01-01T00:00:00Z")
        # A base repository laid out as base.sh leaves it (its stamp included).
        base = os.path.join(self.tmp, "cache", "base", f"linux-{version}")
        os.makedirs(base)
        git(base, "init", "-q", "-b", "base")
        self.write(base, "a.c", "int a;\n" * 20)
        self.write(base, "b.c", "int b;\n")
        git(base, "add", "-A")
        git(base, "commit", "-q", "-m", "base", env=self.env)
        with open(os.path.join(base, ".git", "iommu-groups-base"), "w") as f:
            f.write(sha + "\n")
        # Three patches: 1 adds new.c, 2 changes a.c, 3 changes new.c.
        work = os.path.join(self.tmp, "work")
        git(self.tmp, "clone", "-q", base, work)
        self.write(work, "new.c", "int n;\n" * 20)
        self.commit(work, "x: Add new.c")
        self.write(work, "a.c", "int a;\n" * 19 + "int a2;\n")
        self.commit(work, "x: Change a.c")
        self.write(work, "new.c", "int n0;\n" + "int n;\n" * 19)
        self.commit(work, "x: Change the top of new.c")
        os.makedirs(self.env["IG_PATCHES"])
        git(work, "format-patch", "-q", "-o", self.env["IG_PATCHES"], "origin/base..HEAD")
        names = sorted(n for n in os.listdir(self.env["IG_PATCHES"]) if n.endswith(".patch"))
        self.write(self.env["IG_PATCHES"], "series", "# test\n" + "\n".join(names) + "\n")
        self.tree = os.path.join(self.env["IG_BUILD"], "series", "linux")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    @staticmethod
    def write(d, name, text):
        with open(os.path.join(d, name), "w", encoding="utf-8") as f:
            f.write(text)

    def commit(self, d, subject):
        git(d, "add", "-A")
        git(d, "commit", "-q", "-m", subject, "-m", "Signed-off-by: Tester <t@example.org>",
            env=self.env)

    def series(self, *args, ok=True, extra=None):
        env = dict(self.env, **(extra or {}))
        r = subprocess.run(["bash", SERIES_SH, *args], capture_output=True, text=True, env=env)
        if ok:
            self.assertEqual(r.returncode, 0, r.stderr)
        else:
            self.assertNotEqual(r.returncode, 0, "series.sh " + " ".join(args) + " should fail")
        return r

    def patches(self):
        d = self.env["IG_PATCHES"]
        out = {}
        for n in sorted(os.listdir(d)):
            if n.endswith(".patch"):
                with open(os.path.join(d, n), encoding="utf-8") as f:
                    out[n] = f.read()
        return out

    def read(self, name):
        with open(os.path.join(self.tree, name), encoding="utf-8") as f:
            return f.read()

    def test_apply_builds_one_commit_per_patch(self):
        self.series("apply")
        log = git(self.tree, "log", "--format=%s", "base..HEAD").split("\n")
        self.assertEqual(log[:3], ["x: Change the top of new.c", "x: Change a.c", "x: Add new.c"])
        self.assertTrue(self.read("new.c").startswith("int n0;\n"))

    def test_middle_commit_changes_a_file_an_earlier_one_added(self):
        self.series("apply")
        self.series("refresh")
        before = self.patches()
        tip_before = git(self.tree, "rev-parse", "HEAD^{tree}").strip()
        # Edit commit 2 of 3 so that it also changes new.c, which commit 1 adds.
        second = git(self.tree, "rev-list", "--reverse", "base..HEAD").split()[1]
        self.write(self.tree, "new.c", self.read("new.c") + "int edited;\n")
        git(self.tree, "commit", "-q", "-a", "--fixup", second, env=self.env)
        env = dict(self.env, GIT_SEQUENCE_EDITOR="true")
        git(self.tree, "rebase", "-q", "-i", "--autosquash", "base", env=env)
        self.series("refresh")
        after = self.patches()
        self.assertEqual(sorted(before), sorted(after))
        first, second_p, third = sorted(after)
        self.assertEqual(before[first], after[first], "patch 1 must not change")
        self.assertIn("+int edited;", after[second_p])
        self.assertIn("new.c", after[second_p])
        self.assertNotEqual(git(self.tree, "rev-parse", "HEAD^{tree}").strip(), tip_before)
        # The patches alone give the edited tree again.
        tip = git(self.tree, "rev-parse", "HEAD^{tree}").strip()
        self.series("apply", extra={"FORCE": "1"})
        shutil.rmtree(self.tree)
        self.series("apply")
        self.assertEqual(git(self.tree, "rev-parse", "HEAD^{tree}").strip(), tip)
        self.assertIn("int edited;", self.read("new.c"))

    def test_refresh_is_stable(self):
        self.series("apply")
        self.series("refresh")
        once = self.patches()
        self.series("apply")
        self.series("refresh")
        self.assertEqual(once, self.patches())

    def test_apply_keeps_unrefreshed_edits(self):
        self.series("apply")
        self.write(self.tree, "b.c", "int changed;\n")
        r = self.series("apply", ok=False)
        self.assertIn("uncommitted changes", r.stderr)
        self.assertEqual(self.read("b.c"), "int changed;\n")
        git(self.tree, "commit", "-q", "-a", "-m", "x: More", env=self.env)
        r = self.series("apply", ok=False)
        self.assertIn("not in patches/", r.stderr)
        self.series("apply", extra={"FORCE": "1"})
        self.assertEqual(self.read("b.c"), "int b;\n")

    def test_check_rejects_unlisted_and_missing_patches(self):
        d = self.env["IG_PATCHES"]
        self.series("check")
        self.write(d, "9999-stray.patch", "From: x\n")
        r = self.series("check", ok=False)
        self.assertIn("9999-stray.patch is not listed", r.stderr)
        os.remove(os.path.join(d, "9999-stray.patch"))
        with open(os.path.join(d, "series"), "a", encoding="utf-8") as f:
            f.write("0042-missing.patch\n")
        r = self.series("check", ok=False)
        self.assertIn("no such patch '0042-missing.patch'", r.stderr)

    def test_a_patch_that_does_not_apply_is_named(self):
        d = self.env["IG_PATCHES"]
        name = sorted(n for n in os.listdir(d) if n.endswith(".patch"))[1]
        path = os.path.join(d, name)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        with open(path, "w", encoding="utf-8") as f:
            f.write(text.replace(" int a;\n", " int zzz;\n"))
        r = self.series("apply", ok=False)
        self.assertIn(f"{name} does not apply", r.stderr)


if __name__ == "__main__":
    unittest.main()

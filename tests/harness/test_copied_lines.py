"""Tests of the copied-lines check (harness/copied_lines.py, part of make
lint): on a small git tree, a file the series adds with five upstream lines
in a row fails, whatever its white space, comments and braces; four lines
pass."""

import os
import subprocess
import sys
import tempfile
import unittest

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "harness", "copied_lines.py")

UPSTREAM = """// SPDX-License-Identifier: GPL-2.0
#include <linux/slab.h>

struct thing *thing_alloc(void)
{
	struct thing *t;
	int ret;

	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return ERR_PTR(-ENOMEM);
	ret = ida_alloc(&thing_ida, GFP_KERNEL);
	return t;
}
"""


def git(tree, *args):
    subprocess.run(["git", "-C", tree, "-c", "user.name=t", "-c", "user.email=t@t",
                    *args], check=True, capture_output=True)


class CopiedLinesTest(unittest.TestCase):
    def run_check(self, added):
        with tempfile.TemporaryDirectory() as tree:
            git(tree, "init", "-q", "-b", "base")
            os.makedirs(os.path.join(tree, "drivers", "iommu"))
            with open(os.path.join(tree, "drivers/iommu/iommu.c"), "w") as f:
                f.write(UPSTREAM)
            git(tree, "add", ".")
            git(tree, "commit", "-q", "-m", "base")
            git(tree, "checkout", "-q", "-b", "series")
            with open(os.path.join(tree, "drivers/iommu/new.c"), "w") as f:
                f.write(added)
            git(tree, "add", ".")
            git(tree, "commit", "-q", "-m", "series")
            p = subprocess.run([sys.executable, SCRIPT, tree], capture_output=True, text=True)
            return p.returncode, p.stdout

    def test_five_lines_fail_despite_spacing_comments_and_braces(self):
        added = """// SPDX-License-Identifier: GPL-2.0
struct thing *thing_alloc(void)
   {
  struct thing   *t;
	/* a comment of ours */
  int ret;
  t = kzalloc(sizeof(*t), GFP_KERNEL);

  if (!t)
  {
    return 0;
  }
}
"""
        rc, out = self.run_check(added)
        self.assertEqual(rc, 1, out)
        self.assertIn("copied: drivers/iommu/new.c:2-9 = drivers/iommu/iommu.c:4-10 (5 lines)", out)

    def test_longer_run_is_one_run(self):
        added = "\n".join(UPSTREAM.splitlines()[3:13]) + "\n"
        rc, out = self.run_check(added)
        self.assertEqual(rc, 1, out)
        self.assertEqual(out.count("copied:"), 1, out)
        self.assertIn("(8 lines)", out)

    def test_four_lines_pass(self):
        added = """struct thing *thing_alloc(void)
{
	struct thing *t;
	int ret;

	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (t == NULL)
		return ERR_PTR(-ENOMEM);
}
"""
        rc, out = self.run_check(added)
        self.assertEqual((rc, out), (0, ""))


if __name__ == "__main__":
    unittest.main()
